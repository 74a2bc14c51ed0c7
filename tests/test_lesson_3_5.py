"""Unit tests of lesson 3.5's export cells: the four token rules and GPT-4o's billing rule agree
with the reference calculator (notebooks/reference/image-token-rules) on a grid of sizes; the
compute-cost functions (prefill FLOPs, KV cache, time at peak) on hand-computed values and bad
input; the carried-over FLOP count; and the two exercise checks."""
import math

import pytest

from nbexport import load_exports

NB = "notebooks/3-deep-dive/3-5-tiling-and-token-budgets.ipynb"
m = load_exports(NB)
ref = load_exports("notebooks/reference/image-token-rules.ipynb")

SIDES = [1, 13, 28, 42, 70, 224, 300, 336, 400, 448, 640, 672, 700, 768, 1000, 1024, 1080, 1456,
         1792, 1920, 2048, 3000, 4032, 6000]
GRID = [(w, h) for w in SIDES for h in SIDES if max(w, h) / min(w, h) <= 200]


# ------------------------------------------------------------------ the lesson's rules = the reference's
def test_lesson_rules_agree_with_the_reference_calculator():
    for w, h in GRID:
        assert m.llava15_tokens(w, h) == ref.image_tokens("llava-1.5", w, h)
        assert m.llava_next_tokens(w, h)["total"] == ref.image_tokens("llava-next", w, h), (w, h)
        assert m.select_best_resolution(w, h) == ref.select_best_resolution(w, h, ref.LLAVA_NEXT_PINPOINTS)
        for cap in (12, 6, 1):
            assert m.internvl_tokens(w, h, cap) == ref.image_tokens("internvl", w, h, max_tiles=cap), (w, h, cap)
        for cap in (12845056, 1003520):
            assert m.qwen2_vl_tokens(w, h, cap) == ref.image_tokens("qwen2-vl", w, h, max_pixels=cap), (w, h, cap)
            assert m.smart_resize(w, h, max_pixels=cap) == ref.smart_resize(w, h, 28, 3136, cap)
        for detail in ("high", "low"):
            if min(w, h) * 2048 // max(w, h) >= 1:  # the reference clamps sides that round to 0 px
                assert m.gpt4o_tokens(w, h, detail) == ref.image_tokens("gpt-4o", w, h, detail=detail), (w, h)


def test_llava_next_breakdown_adds_up():
    for w, h in GRID:
        d = m.llava_next_tokens(w, h)
        assert d["base"] + d["unpadded"] + d["newlines"] == d["total"]


def test_qwen_rejects_aspect_over_200_like_the_reference():
    for w, h in [(8000, 39), (39, 8000)]:
        with pytest.raises(ValueError, match="200"):
            m.qwen2_vl_tokens(w, h)


def test_lesson_numbers_echoed_in_the_prose():
    assert m.llava_next_tokens(1024, 768)["total"] == 2340
    assert m.internvl_tokens(400, 300) == 3330 and m.internvl_tokens(448, 1792) == 1282
    assert m.qwen2_vl_tokens(2048, 2048) == 5331 and m.qwen2_vl_tokens(3024, 4032) == 15554


# ------------------------------------------------------------------ compute costs
BLOCK_FLOPS_BODY = '''def block_flops(tokens, width, mlp_ratio=4):
    """Forward FLOPs of one transformer block on ``tokens`` tokens of width ``width``.

    Counts only the matrix products, a multiply-add as 2 FLOPs: the Q, K, V and output
    projections 4 x 2ND^2, the attention scores and weighted sum 2 x 2N^2D, and the two
    MLP layers 2 x 2ND(rD) with hidden width rD.
    """
    n, d = tokens, width
    projections = 8 * n * d * d
    attention = 4 * n * n * d
    mlp = 4 * n * d * mlp_ratio * d
    return projections + attention + mlp'''


def test_block_flops_is_carried_over_verbatim():
    from nbexport import export_sources
    cells = [src for src in export_sources(NB) if src.startswith("#@title From lesson 3.2, unchanged")]
    assert len(cells) == 1
    assert cells[0].split("\n", 1)[1].strip() == BLOCK_FLOPS_BODY


def test_lm_block_flops_by_hand():
    # n=10, d=8, 2 heads (head width 4), 1 K/V head, mlp 16
    n, d, kv, mlp = 10, 8, 4, 16
    assert m.lm_block_flops(n, d, 2, 1, mlp) == 2 * n * d * (2 * d + 2 * kv) + 4 * n * n * d + 6 * n * d * mlp
    # full multi-head attention and a 3-matrix MLP of width 2d equal lesson 3.2's block with r = 3
    assert m.lm_block_flops(37, 64, 8, 8, 128) == m.block_flops(37, 64, mlp_ratio=3)
    # fewer K/V heads: fewer FLOPs, only in the projections
    assert m.lm_block_flops(37, 64, 8, 2, 128) < m.lm_block_flops(37, 64, 8, 8, 128)


def test_kv_cache_per_token_matches_the_configs():
    # 2 (K and V) x layers x kv_heads x head width 128 x 2 bytes
    assert m.kv_cache_mb(1, "vicuna-7b") == 2 * 32 * 32 * 128 * 2 / 1e6
    assert m.kv_cache_mb(1, "qwen2-7b") == 2 * 28 * 4 * 128 * 2 / 1e6
    assert m.kv_cache_mb(0, "qwen2-7b") == 0
    assert math.isclose(m.kv_cache_mb(100, "vicuna-7b", bytes_per_value=1), m.kv_cache_mb(100, "vicuna-7b") / 2)


def test_prefill_is_linear_plus_quadratic():
    f1, f2 = m.prefill_flops(1000, "qwen2-7b"), m.prefill_flops(2000, "qwen2-7b")
    assert 2 * f1 < f2 < 4 * f1
    assert m.prefill_flops(0, "vicuna-7b") == 0
    assert m.prefill_flops(576, "vicuna-7b") == 32 * m.lm_block_flops(576, 4096, 32, 32, 11008)
    assert math.isclose(m.prefill_seconds_at_peak(5331, "qwen2-7b"), m.prefill_flops(5331, "qwen2-7b") / 312e12)


@pytest.mark.parametrize("fn", ["prefill_flops", "kv_cache_mb", "prefill_seconds_at_peak"])
@pytest.mark.parametrize("tokens, lm, err, text", [
    (-1, "qwen2-7b", ValueError, "cannot be negative"), (-5331, "vicuna-7b", ValueError, ">= 0"),
    (5331.0, "qwen2-7b", TypeError, "whole number"), ("5331", "qwen2-7b", TypeError, "whole number"),
    (True, "qwen2-7b", TypeError, "whole number"), (100, "llama-7b", ValueError, "known: vicuna-7b, qwen2-7b"),
    (100, "Qwen2-7B", ValueError, "unknown language model"), (100, None, ValueError, "unknown language model")])
def test_cost_functions_reject_bad_input(fn, tokens, lm, err, text):
    with pytest.raises(err, match=text):
        getattr(m, fn)(tokens, lm)


# ------------------------------------------------------------------ exercise 3.9: Pixtral
def pixtral_solution(width, height):
    return ref.image_tokens("pixtral-12b", width, height)


def pixtral_no_breaks(width, height):
    d = ref.image_token_details("pixtral-12b", width, height)
    return d["placeholders"]


def pixtral_floor_patches(width, height):
    scale = max(width, height) / 1024
    if scale > 1:
        width, height = int(width / scale), int(height / scale)
    return (height // 16) * (width // 16 + 1)


def pixtral_enlarges(width, height):
    scale = max(width, height) / 1024
    width, height = int(width / scale), int(height / scale)
    return math.ceil(height / 16) * (math.ceil(width / 16) + 1)


def pixtral_rounds(width, height):
    return ref.image_tokens("pixtral-12b", width, height, rounding="round")


def pixtral_float(width, height):
    return float(ref.image_tokens("pixtral-12b", width, height))


def pixtral_breaks_per_column(width, height):
    d = ref.image_token_details("pixtral-12b", width, height)
    cols, rows = d["token_grid"]
    return cols * (rows + 1)


def not_attempted(*args, **kwargs):
    raise NotImplementedError()


def test_check_pixtral_tokens(capsys):
    assert m.check_pixtral_tokens(pixtral_solution) is True
    assert "✔" in capsys.readouterr().out
    for wrong, hint in [(pixtral_no_breaks, "[IMG_BREAK]"), (pixtral_floor_patches, "round the patch count up"),
                        (pixtral_enlarges, "never enlarges"), (pixtral_rounds, "Floor each side"),
                        (pixtral_float, "return an int"), (pixtral_breaks_per_column, "each ROW")]:
        assert m.check_pixtral_tokens(wrong) is False
        assert hint in capsys.readouterr().out, wrong.__name__
    assert m.check_pixtral_tokens(not_attempted) is None
    assert "Not attempted" in capsys.readouterr().out
    assert m.check_pixtral_tokens(lambda w, h: 1 / 0, quiet=True) is False
    assert capsys.readouterr().out == ""


def test_no_lesson_function_passes_the_pixtral_check():
    for fn in (m.llava15_tokens, m.internvl_tokens, m.qwen2_vl_tokens, m.gpt4o_tokens, m.block_flops,
               m.select_best_resolution, m.llava_next_tokens, m.smart_resize, m.internvl_grid,
               m.prefill_flops, m.kv_cache_mb, m.prefill_seconds_at_peak):
        assert m.check_pixtral_tokens(fn, quiet=True) is False


# ------------------------------------------------------------------ exercise 3.10: KV prediction
def predict_right():
    return {"largest": "llava-next", "mb": 1100}


def predict_most_tokens():
    return {"largest": "qwen2-vl", "mb": 900}


def predict_far_off():
    return {"largest": "llava-next", "mb": 150}


def predict_fewest():
    return {"largest": "llava-1.5", "mb": 300}


def predict_tuple():
    return ("llava-next", 1233)


def predict_string_mb():
    return {"largest": "llava-next", "mb": "1233"}


def predict_unknown_model():
    return {"largest": "LLaVA-NeXT", "mb": 1233}


def test_the_hard_coded_truth_is_the_lessons_arithmetic():
    portrait = (3024, 4032)
    assert round(m.kv_cache_mb(m.llava_next_tokens(*portrait)["total"], "vicuna-7b")) == 1233
    assert round(m.kv_cache_mb(m.qwen2_vl_tokens(*portrait), "qwen2-7b")) == 892
    assert round(m.kv_cache_mb(m.llava15_tokens(*portrait), "vicuna-7b")) == 302


def test_check_kv_prediction(capsys):
    assert m.check_kv_prediction(predict_right) is True
    assert "✔" in capsys.readouterr().out
    for wrong, hint in [(predict_most_tokens, "4 K/V heads"), (predict_far_off, "not within 25 %"),
                        (predict_fewest, "the fewest"), (predict_tuple, "dict"),
                        (predict_string_mb, "must be a number"), (predict_unknown_model, "must be one of")]:
        assert m.check_kv_prediction(wrong) is False
        assert hint in capsys.readouterr().out, wrong.__name__
    assert m.check_kv_prediction(not_attempted) is None
    assert "Not attempted" in capsys.readouterr().out
    for lo_hi in (0.76 * 1233, 1.24 * 1233):
        assert m.check_kv_prediction(lambda v=lo_hi: {"largest": "llava-next", "mb": v}, quiet=True) is True


# ------------------------------------------------------------------ exercise 3.11: ten photos at 1003520
def _share(n):
    c = m.LANGUAGE_MODELS["qwen2-7b"]
    return c["layers"] * 4 * n * n * c["width"] / m.prefill_flops(n, "qwen2-7b")


def experiment_solution():
    n = 10 * m.qwen2_vl_tokens(2048, 2048, max_pixels=1003520)
    return {"tokens": n, "attention_share": _share(n)}


def experiment_released_setting():
    n = 10 * m.qwen2_vl_tokens(2048, 2048)
    return {"tokens": n, "attention_share": _share(n)}


def experiment_one_photo():
    n = m.qwen2_vl_tokens(2048, 2048, max_pixels=1003520)
    return {"tokens": n, "attention_share": _share(n)}


def experiment_no_markers():
    n = 10 * (m.qwen2_vl_tokens(2048, 2048, max_pixels=1003520) - 2)
    return {"tokens": n, "attention_share": _share(n)}


def experiment_percent():
    d = experiment_solution()
    return {"tokens": d["tokens"], "attention_share": 100 * d["attention_share"]}


def experiment_over_mlp_only():
    n = 10 * m.qwen2_vl_tokens(2048, 2048, max_pixels=1003520)
    c = m.LANGUAGE_MODELS["qwen2-7b"]
    return {"tokens": n, "attention_share": (4 * n * n * c["width"]) / (6 * n * c["width"] * c["mlp"])}


def experiment_float_tokens():
    d = experiment_solution()
    return {"tokens": float(d["tokens"]), "attention_share": d["attention_share"]}


def test_experiment_truth_is_the_lessons_arithmetic():
    d = experiment_solution()
    assert d["tokens"] == 12270 and 0.25 <= d["attention_share"] <= 0.30
    assert 0.58 <= experiment_released_setting()["attention_share"] <= 0.66


def test_check_ten_photo_experiment(capsys):
    assert m.check_ten_photo_experiment(experiment_solution) is True
    assert "✔" in capsys.readouterr().out
    for wrong, hint in [(experiment_released_setting, "released setting"), (experiment_one_photo, "one photo"),
                        (experiment_no_markers, "template markers"), (experiment_percent, "over 1"),
                        (experiment_over_mlp_only, "MLP term only"), (experiment_float_tokens, "must be an int"),
                        (predict_right, "exactly the keys")]:
        assert m.check_ten_photo_experiment(wrong) is False
        assert hint in capsys.readouterr().out, wrong.__name__
    assert m.check_ten_photo_experiment(not_attempted) is None
    assert "Not attempted" in capsys.readouterr().out


# gathered by tests/test_exercises.py (solution accepted, each wrong answer rejected with a message)
CHECK_CASES = {
    "check_pixtral_tokens": {"solution": pixtral_solution,
                             "wrong": [pixtral_no_breaks, pixtral_floor_patches, pixtral_enlarges,
                                       pixtral_rounds, pixtral_float, pixtral_breaks_per_column]},
    "check_kv_prediction": {"solution": predict_right,
                            "wrong": [predict_most_tokens, predict_far_off, predict_fewest, predict_tuple,
                                      predict_string_mb, predict_unknown_model]},
    "check_ten_photo_experiment": {"solution": experiment_solution,
                                   "wrong": [experiment_released_setting, experiment_one_photo, experiment_no_markers,
                                             experiment_percent, experiment_over_mlp_only, experiment_float_tokens]},
}
