"""Unit tests of lesson 3.3 (Contrastive alignment, deeper): export cells, checks, bad input."""
import math

import pytest
import torch
import torch.nn.functional as F

from nbexport import load_exports

NB = "notebooks/3-deep-dive/3-3-contrastive-alignment-deeper.ipynb"


@pytest.fixture(scope="module")
def m():
    return load_exports(NB)


def unit(n, d, seed=0):
    return F.normalize(torch.randn(n, d, generator=torch.Generator().manual_seed(seed)), dim=-1)


# --- the grouped loss ---------------------------------------------------------------------------

def test_grouped_loss_is_clip_loss_for_one_group_and_chance_for_tiny_scale(m):
    a, b = unit(64, 16, 0), unit(64, 16, 1)
    y = torch.arange(64)
    logits = 10.0 * a @ b.T
    want = (F.cross_entropy(logits, y) + F.cross_entropy(logits.T, y)) / 2
    assert m.grouped_clip_loss(a, b, 10.0, 64).item() == pytest.approx(want.item(), abs=1e-5)
    assert m.grouped_clip_loss(a, b, 1e-6, 4).item() == pytest.approx(math.log(4), abs=1e-4)
    assert m.grouped_clip_loss(a, b, 1e-6, 2).item() == pytest.approx(math.log(2), abs=1e-4)


def test_grouped_loss_only_sees_its_group(m):
    a = unit(8, 4, 2)
    b = a.clone()
    b[4:] = unit(4, 4, 3)                     # spoil the second group only
    first = m.grouped_clip_loss(a[:4], b[:4], 5.0, 4)
    both = m.grouped_clip_loss(a, b, 5.0, 4)
    second = m.grouped_clip_loss(a[4:], b[4:], 5.0, 4)
    assert both.item() == pytest.approx(((first + second) / 2).item(), abs=1e-6)


@pytest.mark.parametrize("group", [3, 1, 0, 2.0, "4"])
def test_grouped_loss_bad_group(m, group):
    with pytest.raises(ValueError, match="divides the batch size"):
        m.grouped_clip_loss(unit(8, 4), unit(8, 4), 10.0, group)


def test_simplex_bound_matches_a_real_simplex(m):
    n = 8
    simplex = F.normalize(torch.eye(n) - 1.0 / n, dim=-1)     # regular simplex in n dimensions
    for s in (1.0, 5.0, 14.3):
        assert m.clip_loss(simplex, simplex, s).item() == pytest.approx(m.simplex_loss_bound(n, s), abs=1e-5)
    # no other unit vectors do better: random ones at the same scale have a higher loss
    assert m.clip_loss(unit(8, 8, 4), unit(8, 8, 4), 5.0).item() > m.simplex_loss_bound(8, 5.0)


# --- training with the knobs, the gap measures --------------------------------------------------

def test_train_variant_runs_with_both_knobs(m):
    model, h = m.train_variant(0, group=2, steps=2)
    assert len(h["loss"]) == 2 and h["cpu_s"] >= 0
    model, h = m.train_variant(0, fixed_scale=100.0, steps=2)
    assert h["scale"] == [pytest.approx(100.0, rel=1e-5)] * 2
    assert not model.log_scale.requires_grad


def test_gap_report(m):
    shift = torch.tensor([3.0] + [0.0] * 7)
    img = F.normalize(unit(200, 8, 0) + shift, dim=-1)
    txt = F.normalize(unit(200, 8, 1) - shift, dim=-1)
    classes = torch.arange(200) % 4
    r = m.gap_report(img, txt, classes)
    assert r["centroid distance"] == pytest.approx((img.mean(0) - txt.mean(0)).norm().item(), abs=1e-6)
    assert r["separability"] > 0.95 and r["cos image-image"] > 0.5
    same = m.gap_report(img, img.clone(), classes)
    assert same["centroid distance"] == 0.0 and same["cos matched"] == pytest.approx(1.0, abs=1e-5)
    mixed = unit(400, 8, 2)
    assert abs(m.linear_separability(mixed[:200], mixed[200:]) - 0.5) < 0.15
    with pytest.raises(ValueError, match="one shape"):
        m.gap_report(img, txt[:10], classes)


# --- exercise checks ----------------------------------------------------------------------------

def _raises(*args):
    raise NotImplementedError()


def test_check_p_match_prediction(m, capsys):
    assert m.check_p_match_prediction(lambda: 0.54) is True
    assert "✔" in capsys.readouterr().out
    cases = [(lambda: 0.99, "more confident"), (lambda: 0.1, "less confident"),
             (lambda: 54, "percentage"), (lambda: "0.54", "one number"), (lambda: [0.54], "one number"),
             (lambda: torch.tensor([0.5, 0.5]), "several values"), (lambda: -0.2, "not a probability")]
    for answer, hint in cases:
        assert m.check_p_match_prediction(answer) is False
        assert hint in capsys.readouterr().out
    assert m.check_p_match_prediction(_raises) is None
    assert "Not attempted" in capsys.readouterr().out


def _close_gap(i, t):
    return F.normalize(i - i.mean(0), dim=-1), F.normalize(t - t.mean(0), dim=-1)


def _no_renormalise(i, t):
    return i - i.mean(0), t - t.mean(0)


def _common_mean(i, t):
    mu = torch.cat([i, t]).mean(0)
    return F.normalize(i - mu, dim=-1), F.normalize(t - mu, dim=-1)


def _normalise_columns(i, t):
    return F.normalize(i - i.mean(0), dim=0), F.normalize(t - t.mean(0), dim=0)


def test_check_close_gap(m, capsys):
    assert m.check_close_gap(_close_gap) is True
    assert "✔" in capsys.readouterr().out
    cases = [(_no_renormalise, "length 1"), (_common_mean, "own mean"), (_normalise_columns, "length 1"),
             (lambda i, t: _close_gap(i, t)[::-1], "swapped"), (lambda i, t: _close_gap(i, t)[0], "pair"),
             (lambda i, t: (i, t), "own mean"), (lambda i, t: i @ t.T, "pair")]
    for answer, hint in cases:
        assert m.check_close_gap(answer) is False
        assert hint in capsys.readouterr().out
    assert m.check_close_gap(_raises) is None
    assert "Not attempted" in capsys.readouterr().out


# cases for tests/test_exercises.py: every check accepts its solution and rejects wrong answers
CHECK_CASES = {
    "check_p_match_prediction": {
        "solution": lambda: math.exp(5) / (math.exp(5) + 127),
        "wrong": [lambda: 0.99, lambda: 0.05, lambda: 54]},
    "check_close_gap": {
        "solution": _close_gap,
        "wrong": [_no_renormalise, _common_mean, _normalise_columns]},
}
