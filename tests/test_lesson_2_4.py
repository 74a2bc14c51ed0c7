"""Tests of lesson 2.4 (the token estimator): its export cells, bad-input errors and checks."""
import math
import random
import re
from fractions import Fraction

import nbformat
import numpy as np
import pytest

from nbexport import ROOT, load_exports

NB = "notebooks/2-guided/2-4-token-estimator.ipynb"


@pytest.fixture(scope="module")
def m():
    return load_exports(NB)


def _cell_source(grade_id):
    nb = nbformat.read(ROOT / NB, as_version=4)
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return cell.source
    raise LookupError(grade_id)


def _solution(grade_id, name):
    """The notebook's own solution function (the nbgrader solution cell, run on its own)."""
    ns = {}
    exec(_cell_source(grade_id), ns)  # noqa: S102 - our own notebook
    return ns[name]


def _student_stub(grade_id, name):
    """What the student copy holds: the solution region replaced by NotImplementedError."""
    src = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "raise NotImplementedError()",
                 _cell_source(grade_id), flags=re.S)
    ns = {}
    exec(src, ns)  # noqa: S102
    return ns[name]


# --- the flawed estimator and the property test ------------------------------------------------

def test_flawed_estimator_reproduces_the_article(m):
    assert m.flawed_estimate(1024, 768, False) == 1024
    assert m.flawed_estimate(1024, 768, True) == 648
    assert m.flawed_estimate(2048, 2048, True) == 560
    assert m.flawed_estimate(4032, 3024, True) == 1680  # the value Exercise 2.8's check holds


def test_property_test_catches_the_flawed_estimator(m):
    found = m.find_violations(m.flawed_estimate)
    assert set(found) == {m.RULE_PIXELS, m.RULE_DETAIL}
    for more, less in found.values():  # each counterexample is real: recompute both sides
        for w, h, hi, tokens in (more, less):
            assert m.flawed_estimate(w, h, hi) == tokens
        assert more[3] < less[3] and more[0] * more[1] >= less[0] * less[1]
    with pytest.raises(AssertionError, match="never"):
        m.assert_properties(m.flawed_estimate)


def test_property_test_keeps_the_smallest_counterexample(m):
    found = m.find_violations(m.flawed_estimate, n_trials=600, seed=4)
    sizes = found[m.RULE_PIXELS][1][0] * found[m.RULE_PIXELS][1][1]
    rng = random.Random(4)
    for _ in range(600):  # no violation met in the same search has a smaller image
        w, h, k = rng.randint(1, 2500), rng.randint(1, 2500), rng.randint(2, 4)
        for hi in (False, True):
            if m.flawed_estimate(k * w, k * h, hi) < m.flawed_estimate(w, h, hi):
                assert w * h >= sizes


def test_property_test_finds_a_planted_bug(m):
    """A subtle bug (one tile fewer above 2000 px) must be caught too."""
    def sneaky(w, h, hi):
        t = m.fixed_estimate(w, h, hi)
        return t - 576 if hi and w > 2000 and h > 2000 else t
    assert m.find_violations(sneaky, n_trials=300, seed=0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fixed_estimator_passes_the_property_test(m, seed):
    assert m.find_violations(m.fixed_estimate, n_trials=300, seed=seed) == {}


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4o-mini", "gpt-5"])
def test_openai_rules_pass_the_property_test(m, model):
    def est(w, h, hi):
        return m.openai_tokens(w, h, "high" if hi else "low", model)
    assert m.find_violations(est, n_trials=300, seed=3, max_side=5000) == {}


# --- the fix -----------------------------------------------------------------------------------

def test_fixed_estimator_values(m):
    assert m.fixed_estimate(1024, 768, False) == 576
    assert m.fixed_estimate(1024, 768, True) == 4 * 3 * 576 + 576
    assert m.fixed_estimate(336, 336, True) == 576  # one tile: no thumbnail
    assert m.fixed_estimate(337, 336, True) == 2 * 576 + 576  # one extra pixel, one extra tile
    assert m.fixed_estimate(1, 1, True) == 576  # never zero tokens
    assert m.grid_tokens(1024, 768, max_tiles=None) == 12 * 576 + 576


def test_cap_shrinks_instead_of_cropping(m):
    for w, h in [(2048, 2048), (5000, 300), (300, 20000), (4032, 3024), (13000, 7)]:
        rw, rh = m.shrink_to_fit(w, h, 336, 36)
        cols, rows = math.ceil(rw / 336), math.ceil(rh / 336)
        assert cols * rows <= 36 and rw <= w and rh <= h
        assert abs(rw / rh - w / h) <= max(w / h, h / w) * 2 / min(rw, rh) + 1e-9  # aspect kept
        total = m.grid_tokens(w, h)
        assert total == cols * rows * 576 + (576 if cols * rows > 1 else 0)
    assert m.grid_tokens(2048, 2048) == 36 * 576 + 576  # the largest allowed grid, not fewer


# --- real models -------------------------------------------------------------------------------

def test_published_numbers(m):
    for size in [(1024, 768), (37, 4000), (336, 336), (8000, 8000)]:
        assert m.llava15_tokens(*size) == 576
    for size in [(1, 1), (512, 512), (4096, 4096), (100, 9000)]:
        assert m.openai_tokens(*size, detail="low") == 85
    assert m.openai_tokens(1024, 1024) == 765
    assert m.openai_tokens(2048, 4096) == 1105
    assert m.openai_tokens(1024, 768) == 765
    assert m.openai_tokens(512, 512) == 255  # shrink-only reading
    assert m.openai_tokens(768, 2048) == 85 + 8 * 170  # the maximum, 1,445
    assert m.openai_tokens(1024, 1024, "low", "gpt-4o-mini") == 2833
    assert m.openai_tokens(1024, 1024, "high", "gpt-5") == 70 + 4 * 140


def _openai_doc_rule(w, h, base=85, per_tile=170):
    """An independent reading of OpenAI's steps: exact fractions, sizes truncated to pixels."""
    if max(w, h) > 2048:
        s = Fraction(2048, max(w, h))
        w, h = int(w * s), int(h * s)
    if min(w, h) > 768:
        s = Fraction(768, min(w, h))
        w, h = int(w * s), int(h * s)
    return base + per_tile * math.ceil(max(w, 1) / 512) * math.ceil(max(h, 1) / 512)


def test_gpt4o_high_agrees_with_an_independent_reading(m):
    rng = random.Random(7)
    sizes = [(rng.randint(1, 9000), rng.randint(1, 9000)) for _ in range(3000)]
    sizes += [(768, 768), (769, 1024), (2048, 2049), (1536, 1537), (513, 512)]
    assert [(w, h) for w, h in sizes if m.openai_tokens(w, h) != _openai_doc_rule(w, h)] == []


def test_gpt4o_never_needs_more_than_8_tiles(m):
    rng = random.Random(11)
    for _ in range(3000):
        rw, rh = m.openai_resize(rng.randint(1, 12000), rng.randint(1, 12000))
        assert math.ceil(rw / 512) * math.ceil(rh / 512) <= 8


def test_aspect_matters(m):
    """Widening an image can lower GPT-4o's count (why the property keeps the aspect ratio)."""
    assert m.openai_tokens(2048, 2100) < m.openai_tokens(1500, 2100)


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("bad, exc", [
    (0, ValueError), (-5, ValueError), (1024.0, TypeError), (1024.5, TypeError),
    ("1024", TypeError), (True, TypeError), (False, TypeError), (None, TypeError),
])
def test_estimators_reject_bad_sizes(m, bad, exc):
    for fn in (lambda: m.openai_tokens(bad, 768), lambda: m.openai_tokens(768, bad),
               lambda: m.flawed_estimate(bad, 768), lambda: m.fixed_estimate(768, bad),
               lambda: m.grid_tokens(bad, 10), lambda: m.llava15_tokens(10, bad)):
        with pytest.raises(exc, match="width|height"):
            fn()


def test_numpy_integers_are_accepted(m):
    assert m.openai_tokens(np.int64(1024), np.int32(768)) == 765


def test_estimator_rejects_bad_detail_and_model(m):
    with pytest.raises(ValueError, match="unknown detail 'medium'"):
        m.openai_tokens(1024, 768, detail="medium")
    with pytest.raises(ValueError, match="auto"):
        m.openai_tokens(1024, 768, detail="auto")
    with pytest.raises(ValueError, match="detail"):
        m.openai_tokens(1024, 768, detail=None)
    with pytest.raises(ValueError, match="unknown model 'gpt-9'.*gpt-4o"):
        m.openai_tokens(1024, 768, model="gpt-9")
    with pytest.raises(ValueError, match="model"):
        m.openai_tokens(1024, 768, model=4)
    with pytest.raises(TypeError, match="high_res"):
        m.flawed_estimate(1024, 768, "yes")
    with pytest.raises(TypeError, match="high_res"):
        m.fixed_estimate(1024, 768, 1)


# --- exercise checks ---------------------------------------------------------------------------
# CHECK_CASES is gathered by tests/test_exercises.py: the solution and plausible wrong answers.

PREDICT = ("ex2-4-1-solution", "predicted_phone_tokens")
UNCAPPED = ("ex2-4-2-solution", "uncapped_estimate")
NEXT = ("ex2-4-3-solution", "llava_next_grid")


@pytest.mark.parametrize("check, ids", [
    ("check_phone_prediction", PREDICT), ("check_uncapped_estimator", UNCAPPED),
    ("check_llava_next_grid", NEXT)])
def test_checks_accept_the_solution_and_see_the_stub(m, capsys, check, ids):
    assert getattr(m, check)(_solution(*ids)) is True
    assert "✔" in capsys.readouterr().out
    assert getattr(m, check)(_student_stub(*ids)) is None
    assert "Not attempted" in capsys.readouterr().out
    assert getattr(m, check)(_solution(*ids), quiet=True) is True
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("value, says", [
    (lambda: 108 * 576, "grow with the tiles"),
    (lambda: 576, "caps n at 35"),
    (lambda: 1024, "low-mode"),
    (lambda: 5000, "min(35"),
    (lambda: "1680", "return a number"),
    (lambda: 1 / 0, "ZeroDivisionError"),
])
def test_check_phone_prediction_rejects(m, capsys, value, says):
    assert m.check_phone_prediction(value) is False
    out = capsys.readouterr().out
    assert "✘" in out and says in out


def _floor_grid(w, h, hi=True):
    if not hi:
        return 576
    tiles = max(1, (w // 336) * (h // 336))
    return tiles * 576 + (576 if tiles > 1 else 0)


def _no_thumbnail(w, h, hi=True):
    return 576 if not hi else math.ceil(w / 336) * math.ceil(h / 336) * 576


def _low_is_1024(w, h, hi=True):
    return 1024 if not hi else _solution(*UNCAPPED)(w, h, hi)


def _thumbnail_always(w, h, hi=True):
    return 576 if not hi else math.ceil(w / 336) * math.ceil(h / 336) * 576 + 576


def _capped_at_36(w, h, hi=True):
    """The lesson's own capped fix, retyped: right except past 36 tiles."""
    if not hi:
        return 576
    cols, rows = math.ceil(w / 336), math.ceil(h / 336)
    tiles = min(36, cols * rows)
    return tiles * 576 + (576 if tiles > 1 else 0)


def _float_tokens(w, h, hi=True):
    return float(_solution(*UNCAPPED)(w, h, hi))


def _crashes(w, h, hi=True):
    raise ZeroDivisionError("oops")


@pytest.mark.parametrize("wrong, says", [
    (lambda w, h, hi=True: None, "whole number"),
    ("flawed", "article's arithmetic"),
    ("lesson", "capped the grid"),
    (_capped_at_36, "capped the grid"),
    (_floor_grid, "round each axis up"),
    (_no_thumbnail, "left out the thumbnail"),
    (_low_is_1024, "low mode"),
    (_thumbnail_always, "only when there is more than one tile"),
    (_float_tokens, "whole number"),
    (_crashes, "ZeroDivisionError"),
])
def test_check_uncapped_estimator_rejects(m, capsys, wrong, says):
    fn = {"flawed": m.flawed_estimate, "lesson": m.fixed_estimate}.get(wrong, wrong)
    assert m.check_uncapped_estimator(fn) is False
    out = capsys.readouterr().out
    assert "✘" in out and says in out
    assert "round" not in out or says == "round each axis up" or "math.ceil" in out


def test_check_uncapped_estimator_uses_the_property_test(m, capsys):
    solution = _solution(*UNCAPPED)

    def almost(w, h, hi=True):  # exact up to 13 MP, then a flat 576: bigger images cost less
        return solution(w, h, hi) if w * h <= 13_000_000 else 576
    assert m.check_uncapped_estimator(almost) is False
    assert "property test found" in capsys.readouterr().out


_PIN = [(672, 336), (336, 672), (672, 672), (336, 1008), (1008, 336)]


def _closest_ratio(w, h):
    cw, ch = min(_PIN, key=lambda c: abs(c[0] / c[1] - w / h))
    return cw // 336, ch // 336


def _rows_first(w, h):
    cols, rows = _solution(*NEXT)(w, h)
    return rows, cols


def _ceil_per_axis(w, h):
    return math.ceil(w / 336), math.ceil(h / 336)


def _upscale_counts(w, h):
    best = max(_PIN, key=lambda c: int(w * min(c[0] / w, c[1] / h)) * int(h * min(c[0] / w, c[1] / h)))
    return best[0] // 336, best[1] // 336


@pytest.mark.parametrize("wrong, says", [
    (_closest_ratio, "closest aspect ratio"),
    (_rows_first, "(rows, cols)"),
    (_ceil_per_axis, "not one of LLaVA-NeXT's five"),
    (_upscale_counts, "upscaling adds no information"),
    (lambda w, h: [2, 2], "tuple (cols, rows)"),
    (lambda w, h: (672, 672), "not one of"),
])
def test_check_llava_next_grid_rejects(m, capsys, wrong, says):
    assert m.check_llava_next_grid(wrong) is False
    out = capsys.readouterr().out
    assert "✘" in out and says in out


def test_no_lesson_function_passes_a_check(m):
    for fn in (m.flawed_estimate, m.fixed_estimate, m.grid_tokens):
        assert m.check_uncapped_estimator(fn, quiet=True) is False
    for fn in (m.openai_resize, m.llava15_tokens):
        assert m.check_llava_next_grid(fn, quiet=True) is False


CHECK_CASES = {
    "check_phone_prediction": {"solution": _solution(*PREDICT),
                               "wrong": [lambda: 108 * 576, lambda: 576, lambda: 1024]},
    "check_uncapped_estimator": {"solution": _solution(*UNCAPPED),
                                 "wrong": [_floor_grid, _no_thumbnail, _capped_at_36, _crashes]},
    "check_llava_next_grid": {"solution": _solution(*NEXT),
                              "wrong": [_closest_ratio, _rows_first, _ceil_per_axis]},
}
