"""Unit tests of lesson 1.3's export cells: image pricing rules, budgets, x-height, the self-checks."""
import math

import numpy as np
import pytest

from nbexport import load_exports

m = load_exports("notebooks/1-surface/1-3-images-cost-context.ipynb")


# --- pricing rules against the vendors' own worked examples --------------------------------

@pytest.mark.parametrize("fn,w,h,documented", [
    ("gpt4o_tokens", 1024, 1024, 765), ("gpt4o_tokens", 2048, 4096, 1105),
    ("claude_legacy_tokens", 200, 200, 54), ("claude_legacy_tokens", 1000, 1000, 1334),
    ("claude_legacy_tokens", 1092, 1092, 1590),
])
def test_documented_examples(fn, w, h, documented):
    assert getattr(m, fn)(w, h) == documented


def test_gpt4o_steps_explain_photo_vs_screenshot():
    photo, shot = m.gpt4o_steps(4032, 3024), m.gpt4o_steps(1920, 1080)
    assert photo == {"fit_2048": (2048, 1536), "short_768": (1024, 768), "tiles": (2, 2), "tokens": 765}
    assert shot == {"fit_2048": (1920, 1080), "short_768": (1365, 768), "tiles": (3, 2), "tokens": 1105}
    assert m.gpt4o_tokens(512, 512) == 85 + 170          # small images are not enlarged
    assert m.gpt4o_tokens(600, 400) == 85 + 2 * 170
    assert m.gpt4o_tokens(2480, 3508) == 85 + 6 * 170    # -> 768 x 1086: 2 x 3 tiles
    assert m.gpt4o_tokens(4000, 3000, detail="low") == 85


def test_gpt4o_floors_sizes():
    """2048 x 1365 -> short side 768: 1365 -> 768 exactly, 2048 * 768 / 1365 = 1152.28 floors to 1152."""
    assert m.gpt4o_steps(2048, 1365)["short_768"] == (1152, 768)


def test_claude_current_rule_within_and_above_the_limits():
    assert m.claude_tokens(1092, 1092) == 39 * 39
    assert m.claude_tokens(200, 200) == 8 * 8
    for model, (side, cap) in m.CLAUDE_LIMITS.items():
        for w, h in [(4032, 3024), (2480, 3508), (10000, 200), (1920, 1080)]:
            s = m.claude_steps(w, h, model)
            assert s["tokens"] <= cap and max(s["size"]) <= side
            assert s["tokens"] == math.ceil(s["size"][0] / 28) * math.ceil(s["size"][1] / 28)
    a4_new = m.claude_tokens(2480, 3508, model="Claude Opus 4.7+")
    assert a4_new > 2 * m.claude_legacy_tokens(2480, 3508)  # review item 2: far above ~1,600
    with pytest.raises(ValueError, match="unknown Claude model"):
        m.claude_tokens(100, 100, model="Claude 9")


def test_gemini_reading_is_labelled_and_tiles():
    assert "READING" in m.gemini2_reading.__doc__
    assert m.gemini2_reading(384, 200) == 258 and m.gemini2_reading(2048, 2048) == 258 * 9


def test_llava_is_constant():
    assert {m.llava15_tokens(w, h) for w, h in [(1, 1), (336, 336), (4032, 3024)]} == {576}


@pytest.mark.parametrize("fn", ["llava15_tokens", "gpt4o_tokens", "claude_tokens", "claude_legacy_tokens",
                                "gemini2_reading"])
@pytest.mark.parametrize("w,h,err,msg", [(0, 10, ValueError, "positive"), (10, -3, ValueError, "positive"),
                                         (10.0, 10, TypeError, "whole number"), (True, 10, TypeError, "whole number"),
                                         ("10", 10, TypeError, "whole number")])
def test_bad_sizes_are_rejected(fn, w, h, err, msg):
    with pytest.raises(err, match=msg):
        getattr(m, fn)(w, h)


def test_unknown_detail_is_rejected():
    with pytest.raises(ValueError, match="detail must be 'low' or 'high'"):
        m.gpt4o_tokens(100, 100, detail="auto")


def test_request_tokens_adds_up_and_rejects_bad_input():
    assert m.request_tokens(10, 1105, prompt_tokens=500, answer_tokens=1000) == 12550
    with pytest.raises(ValueError, match="non-negative int"):
        m.request_tokens(-1, 100)
    with pytest.raises(ValueError, match="non-negative int"):
        m.request_tokens(2.5, 100)


# --- text and x-height ---------------------------------------------------------------------

def test_glyph_x_height_scales_with_point_size_and_dpi():
    x10 = m.glyph_x_height_px(10, 300)
    assert 0.45 < x10 / (10 / 72 * 300) < 0.6
    assert abs(m.glyph_x_height_px(20, 300) - 2 * x10) <= 2


def test_resize_long_side():
    img = np.zeros((3508, 2480), np.uint8)
    assert m.resize_long_side(img, 896).shape == (896, round(2480 * 896 / 3508))


@pytest.mark.parametrize("bad", [0, -5, 2.5, True])
def test_resize_long_side_rejects_a_size_that_is_not_a_positive_int(bad):
    """Bad input from the issue: resize_long_side(page, 0) used to return a 1 x 1 image silently."""
    with pytest.raises(ValueError, match="long_side must be a positive whole number of pixels"):
        m.resize_long_side(np.zeros((20, 10), np.uint8), bad)


def test_resize_long_side_rejects_a_colour_image():
    with pytest.raises(ValueError, match="2-D grey image"):
        m.resize_long_side(np.zeros((20, 10, 3), np.uint8), 5)


def test_letters_merge_when_small():
    def alike(h):
        return int((m.letter_similarity(h)[np.triu_indices(26, k=1)] > 0.9).sum())
    assert alike(1) > 3 * alike(4) >= 0 and alike(12) <= 2
    with pytest.raises(ValueError, match="positive"):
        m.letter_similarity(0)


# --- the exercises' self-checks: cases for tests/test_exercises.py --------------------------

CHECK_CASES = {
    "check_screenshot_prediction": {
        "solution": lambda: 28,
        "wrong": [lambda: 29, lambda: 40, lambda: 14, lambda: 28.3, lambda: 385, lambda: 27, lambda: "28"],
    },
    "check_qwen2vl_tokens": {
        "solution": lambda w, h: round(w / 28) * round(h / 28),
        "wrong": [
            lambda w, h: math.ceil(w / 28) * math.ceil(h / 28),     # Claude's ceil
            lambda w, h: (w // 28) * (h // 28),                     # floor
            lambda w, h: round(w / 14) * round(h / 14),             # patches, not merged tokens
            lambda w, h: w * h / 784,                               # no rounding: a float
        ],
    },
}


def test_check_hints_name_the_mistake(capsys):
    expected = ["rounded 28.3 up", "4 : 3 image", "skipped the shrink", "whole number of screenshots",
                "detail=\"low\"", "three steps (fit 2048", "whole number of screenshots"]
    for fn, text in zip(CHECK_CASES["check_screenshot_prediction"]["wrong"], expected):
        assert m.check_screenshot_prediction(fn) is False
        assert text in capsys.readouterr().out
    expected = ["rounded up (ceil", "rounded down (floor)", "not 14 × 14", "whole number of tokens"]
    for fn, text in zip(CHECK_CASES["check_qwen2vl_tokens"]["wrong"], expected):
        assert m.check_qwen2vl_tokens(fn) is False
        assert text in capsys.readouterr().out


def test_no_token_rule_of_the_lesson_passes_the_qwen_check():
    for fn in (m.claude_tokens, m.claude_legacy_tokens, m.gpt4o_tokens, m.llava15_tokens, m.gemini2_reading):
        assert m.check_qwen2vl_tokens(fn, quiet=True) is False
