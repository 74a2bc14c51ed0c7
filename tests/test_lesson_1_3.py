"""Unit tests of lesson 1.3's export cells: image pricing rules, budgets, x-height, the self-check."""
import math

import numpy as np
import pytest

from nbexport import load_exports

m = load_exports("notebooks/1-surface/1-3-images-cost-context.ipynb")


# --- pricing rules against the vendors' own worked examples --------------------------------

@pytest.mark.parametrize("fn,w,h,documented", [
    ("gpt4o_tokens", 1024, 1024, 765), ("gpt4o_tokens", 2048, 4096, 1105),
    ("claude_tokens", 200, 200, 54), ("claude_tokens", 1000, 1000, 1334),
    ("claude_tokens", 1092, 1092, 1590), ("gemini2_tokens", 384, 384, 258),
])
def test_documented_examples(fn, w, h, documented):
    assert getattr(m, fn)(w, h) == documented


def test_gpt4o_details():
    assert m.gpt4o_tokens(4000, 3000, detail="low") == 85
    assert m.gpt4o_tokens(512, 512) == 85 + 170          # small images are not enlarged
    assert m.gpt4o_tokens(600, 400) == 85 + 2 * 170
    assert m.gpt4o_tokens(2480, 3508) == 85 + 6 * 170    # -> 768 x 1086: 2 x 3 tiles
    assert m.gpt4o_tokens(4032, 3024) == 85 + 4 * 170    # -> 1024 x 768: 2 x 2 tiles


def test_claude_is_capped_and_keeps_growing_below_the_cap():
    sizes = [(300, 300), (600, 600), (900, 900), (4000, 3000), (8000, 8000), (10000, 200)]
    for w, h in sizes:
        t = m.claude_tokens(w, h)
        assert t <= 1600
        assert t == math.ceil(w * h / 750) or w * h > 1600 * 750 or max(w, h) > 1568
    assert m.claude_tokens(300, 300) < m.claude_tokens(600, 600) < m.claude_tokens(900, 900)


def test_gemini_tiles():
    assert m.gemini2_tokens(384, 200) == 258
    assert m.gemini2_tokens(385, 200) == 258                # one 768 tile
    assert m.gemini2_tokens(2048, 2048) == 258 * 9
    assert m.gemini2_tokens(769, 768) == 258 * 2


def test_llava_is_constant():
    assert {m.llava15_tokens(w, h) for w, h in [(1, 1), (336, 336), (4032, 3024)]} == {576}


@pytest.mark.parametrize("fn", ["llava15_tokens", "gpt4o_tokens", "claude_tokens", "gemini2_tokens"])
@pytest.mark.parametrize("w,h,err,msg", [(0, 10, ValueError, "positive"), (10, -3, ValueError, "positive"),
                                         (10.0, 10, TypeError, "whole number"), (True, 10, TypeError, "whole number"),
                                         ("10", 10, TypeError, "whole number")])
def test_bad_sizes_are_rejected(fn, w, h, err, msg):
    with pytest.raises(err, match=msg):
        getattr(m, fn)(w, h)


def test_unknown_detail_and_model_are_rejected():
    with pytest.raises(ValueError, match="detail must be 'low' or 'high'"):
        m.gpt4o_tokens(100, 100, detail="auto")
    with pytest.raises(ValueError, match="unknown model"):
        m.image_tokens("GPT-5", 100, 100)


# --- budgets -----------------------------------------------------------------------------

def test_request_tokens_adds_up_and_rejects_bad_input():
    r = m.request_tokens(10, 1105, prompt_tokens=500, answer_tokens=1000)
    assert r == {"images": 11050, "prompt": 500, "answer": 1000, "total": 12550}
    with pytest.raises(ValueError, match=">= 0"):
        m.request_tokens(-1, 100)
    with pytest.raises(TypeError, match="int"):
        m.request_tokens(2.5, 100)


def test_conversation_requests():
    kept = m.conversation_requests([100, 0, 0], text_tokens_per_turn=10)
    assert kept.tolist() == [110, 120, 130]
    every = m.conversation_requests([100, 100, 100], text_tokens_per_turn=10)
    assert every.tolist() == [110, 220, 330]
    dropped = m.conversation_requests([100, 0, 0], text_tokens_per_turn=10, keep_images=False)
    assert dropped.tolist() == [110, 20, 30]
    with pytest.raises(TypeError, match="sequence of ints"):
        m.conversation_requests([1.5, 2.0])
    with pytest.raises(ValueError, match="non-negative"):
        m.conversation_requests([100, -1])


def test_workload_cost_is_linear_in_price_and_volume():
    mix = {"phone photo": 0.5, "A4 scan 300 dpi": 0.5}
    a = m.workload_cost(1000, mix, "GPT-4o (high)", 2.0)
    assert a["tokens_per_image"] == pytest.approx((765 + 1105) / 2)
    assert a["cost_per_day"] == pytest.approx(1000 * (765 + 1105) / 2 / 1e6 * 2.0)
    b = m.workload_cost(2000, mix, "GPT-4o (high)", 4.0)
    assert b["cost_per_30_days"] == pytest.approx(4 * a["cost_per_30_days"])


@pytest.mark.parametrize("args,err,msg", [
    ((10, {"phone photo": 0.5}, "Gemini 2.x", 1.0), ValueError, "sum to 1"),
    ((10, {"fax": 1.0}, "Gemini 2.x", 1.0), ValueError, "unknown sizes"),
    ((10, {"phone photo": 1.0}, "Gemini 2.x", -1.0), ValueError, "price_per_million"),
    ((10, {"phone photo": 1.0}, "Gemini 2.x", "1.0"), TypeError, "price_per_million"),
    ((-5, {"phone photo": 1.0}, "Gemini 2.x", 1.0), ValueError, "images_per_day"),
    ((10, {"phone photo": 1.0}, "Gemini 9", 1.0), ValueError, "unknown model"),
])
def test_workload_cost_rejects_bad_input(args, err, msg):
    with pytest.raises(err, match=msg):
        m.workload_cost(*args)


# --- text and x-height ---------------------------------------------------------------------

def test_glyph_x_height_scales_with_point_size_and_dpi():
    x10 = m.glyph_x_height_px(10, 300)
    assert 0.45 < x10 / (10 / 72 * 300) < 0.6          # a sans-serif x-height is about half the em
    assert abs(m.glyph_x_height_px(20, 300) - 2 * x10) <= 2
    assert abs(m.glyph_x_height_px(10, 150) - x10 / 2) <= 2


def test_profile_method_agrees_with_the_glyph_on_a_rendered_page():
    lines = ["the quick brown fox jumps over the lazy dog, a vision model reads it"] * 30
    page = m.render_text(lines, 1240, 1754, point_size=12, dpi=150, margin_px=150)
    glyph = m.glyph_x_height_px(12, 150)
    assert abs(m.profile_x_height_px(page, block=25) - glyph) <= 0.15 * glyph
    with pytest.raises(ValueError, match="2-D grey image"):
        m.profile_x_height_px(np.zeros((10, 10, 3), np.uint8))


def test_resize_long_side():
    img = np.zeros((3508, 2480), np.uint8)
    assert m.resize_long_side(img, 896).shape == (896, round(2480 * 896 / 3508))


def test_letters_merge_when_small():
    assert m.confusable_pairs(1) > 3 * m.confusable_pairs(4) >= 0
    assert m.confusable_pairs(12) <= 2
    with pytest.raises(ValueError, match="positive"):
        m.confusable_pairs(0)


# --- the exercise's self-check: cases for tests/test_exercises.py --------------------------

def solution(width, height):
    w, h = width, height
    if max(w, h) > 2048:
        s = 2048 / max(w, h)
        w, h = math.floor(w * s), math.floor(h * s)
    if min(w, h) > 768:
        s = 768 / min(w, h)
        w, h = math.floor(w * s), math.floor(h * s)
    return 85 + 170 * math.ceil(w / 512) * math.ceil(h / 512)


def enlarges(width, height):  # read "shortest side 768" literally: small images enlarged
    w, h = width, height
    if max(w, h) > 2048:
        s = 2048 / max(w, h)
        w, h = math.floor(w * s), math.floor(h * s)
    s = 768 / min(w, h)
    w, h = math.floor(w * s), math.floor(h * s)
    return 85 + 170 * math.ceil(w / 512) * math.ceil(h / 512)


def no_768_step(width, height):
    w, h = width, height
    if max(w, h) > 2048:
        s = 2048 / max(w, h)
        w, h = math.floor(w * s), math.floor(h * s)
    return 85 + 170 * math.ceil(w / 512) * math.ceil(h / 512)



def _floor_tiles(width, height):
    w, h = width, height
    if max(w, h) > 2048:
        s = 2048 / max(w, h)
        w, h = math.floor(w * s), math.floor(h * s)
    if min(w, h) > 768:
        s = 768 / min(w, h)
        w, h = math.floor(w * s), math.floor(h * s)
    return 85 + 170 * max(1, (w // 512) * (h // 512))


CHECK_CASES = {
    "check_gpt4o_high": {
        "solution": solution,
        "wrong": [
            enlarges,
            no_768_step,
            _floor_tiles,
            lambda w, h: solution(w, h) - 85,                 # forgot the base 85
            lambda w, h: 85 + 170 * math.ceil(w / 512) * math.ceil(h / 512),  # no resizing at all
        ],
    },
}


@pytest.mark.parametrize("wrong,hint", [(enlarges, "not enlarged"), (no_768_step, "short side is at most 768"),
                                        (_floor_tiles, "partly covered tile"),
                                        (lambda w, h: solution(w, h) - 85, "fixed 85")])
def test_check_hints_name_the_mistake(wrong, hint, capsys):
    assert m.check_gpt4o_high(wrong) is False
    assert hint in capsys.readouterr().out


def test_check_reports_a_crashing_answer(capsys):
    def crashes(w, h):
        return w / undefined_name  # noqa: F821

    assert m.check_gpt4o_high(crashes) is False
    assert "NameError" in capsys.readouterr().out
