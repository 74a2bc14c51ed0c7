"""Unit tests of lesson 2.2 (similarity and the contrastive loss): export cells, bad input, checks."""
import math

import pytest
import torch
import torch.nn.functional as F

from nbexport import load_exports

NB = "notebooks/2-guided/2-2-similarity-and-contrastive-loss.ipynb"


@pytest.fixture(scope="module")
def m():
    return load_exports(NB)


# --- cosine similarity: loop, rows, matrix --------------------------------------------------

def test_cosine_loop_values(m):
    assert math.isclose(m.cosine_similarity_loop([1, 2, 3], [2, 4, 6]), 1.0)
    assert m.cosine_similarity_loop([1, 0], [0, 5]) == 0.0
    assert math.isclose(m.cosine_similarity_loop([1, -1], [-3, 3]), -1.0)
    assert math.isclose(m.cosine_similarity_loop([3, 4], [4, 3]), 24 / 25)
    assert m.cosine_similarity_loop([0, 0], [1, 2]) == 0.0
    assert m.cosine_similarity_loop([1, 2], [0, 0]) == 0.0


def test_cosine_loop_matches_torch(m):
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        u, v = torch.randn(2, 7, generator=gen, dtype=torch.float64)
        expected = F.cosine_similarity(u, v, dim=0).item()
        assert math.isclose(m.cosine_similarity_loop(u.tolist(), v.tolist()), expected,
                            rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("u,v,err,words", [
    ("123", "456", TypeError, "not strings"),          # returned 0.97 in v1
    ("123", [1, 2, 3], TypeError, "not strings"),
    (b"12", [1, 2], TypeError, "not strings"),
    ([1, 2], [1, 2, 3], ValueError, "same length"),
    ([], [], ValueError, "non-empty"),
])
def test_cosine_loop_bad_input(m, u, v, err, words):
    with pytest.raises(err, match=words):
        m.cosine_similarity_loop(u, v)


def test_rows_and_matrix_agree_with_loop(m):
    gen = torch.Generator().manual_seed(1)
    a = torch.randn(5, 6, generator=gen, dtype=torch.float64)
    b = torch.randn(5, 6, generator=gen, dtype=torch.float64)
    a[3] = 0
    rows = m.cosine_similarity_rows(a, b)
    loop = [m.cosine_similarity_loop(a[i].tolist(), b[i].tolist()) for i in range(5)]
    torch.testing.assert_close(rows, torch.tensor(loop, dtype=torch.float64))
    S = m.similarity_matrix(a, b[:4])
    assert S.shape == (5, 4)
    loop_S = [[m.cosine_similarity_loop(x.tolist(), y.tolist()) for y in b[:4]] for x in a]
    torch.testing.assert_close(S, torch.tensor(loop_S, dtype=torch.float64))
    torch.testing.assert_close(m.similarity_matrix(7 * a, 0.1 * b), m.similarity_matrix(a, b))


# --- loss and logit scale -------------------------------------------------------------------

def test_clip_loss_matches_step_by_step(m):
    gen = torch.Generator().manual_seed(4)
    img, txt = torch.randn(6, 8, generator=gen), torch.randn(6, 8, generator=gen)
    logits = 14.0 * F.normalize(img, dim=-1) @ F.normalize(txt, dim=-1).T
    by_hand = -(torch.log_softmax(logits, 1).diagonal().mean()
                + torch.log_softmax(logits, 0).diagonal().mean()) / 2
    torch.testing.assert_close(m.clip_loss(img, txt, 14.0), by_hand)
    torch.testing.assert_close(m.clip_loss(img, txt, torch.tensor(14.0)), by_hand)


def test_clip_loss_equal_cosines_is_ln_n(m):
    for n in (2, 16, 128):
        assert m.clip_loss(torch.ones(n, 4), torch.ones(n, 4), 14.3).item() == pytest.approx(math.log(n), abs=1e-5)


def test_clip_loss_orders_matched_and_shuffled(m):
    gen = torch.Generator().manual_seed(5)
    img = torch.randn(16, 8, generator=gen)
    matched = m.clip_loss(img, img + 0.1 * torch.randn(16, 8, generator=gen), 14.0)
    shuffled = m.clip_loss(img, img.roll(1, dims=0), 14.0)
    assert matched < math.log(16) < shuffled


@pytest.mark.parametrize("scale", ["14.3", None, [14.3], True])
def test_clip_loss_bad_scale(m, scale):
    with pytest.raises(TypeError, match="logit_scale must be a number"):
        m.clip_loss(torch.ones(3, 4), torch.ones(3, 4), scale)


def test_logit_scale_init_clamp_and_gradient(m):
    s = m.LogitScale()
    assert math.isclose(s().item(), 1 / 0.07, rel_tol=1e-6)
    gen = torch.Generator().manual_seed(3)
    img = torch.randn(4, 5, generator=gen)
    m.clip_loss(img, img + 0.1 * torch.randn(4, 5, generator=gen), s()).backward()
    assert s.log_scale.grad < 0      # right captions on top: a larger scale lowers the loss
    with torch.no_grad():
        s.log_scale.fill_(8.0)
    assert math.isclose(s().item(), 100.0, rel_tol=1e-6)


# --- exercise checks ------------------------------------------------------------------------

def _todo(*args):
    raise NotImplementedError()


def _siglip(a, b, scale, bias):
    logits = scale * F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T + bias
    z = 2 * torch.eye(len(a)) - 1
    return -F.logsigmoid(z * logits).sum() / len(a)


def _siglip_bce(a, b, scale, bias):      # the same loss written with 0/1 labels
    logits = scale * F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T + bias
    return F.binary_cross_entropy_with_logits(logits, torch.eye(len(a)), reduction="sum") / len(a)


def _siglip_mean(a, b, scale, bias):
    return _siglip(a, b, scale, bias) / len(a)


def _siglip_unnormalised(a, b, scale, bias):
    logits = scale * a @ b.T + bias
    return -F.logsigmoid((2 * torch.eye(len(a)) - 1) * logits).sum() / len(a)


def _siglip_all_positive(a, b, scale, bias):
    logits = scale * F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T + bias
    return -F.logsigmoid(logits).sum() / len(a)


def _clip_softmax(a, b, scale, bias):
    logits = scale * F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T
    t = torch.arange(len(a))
    return (F.cross_entropy(logits, t) + F.cross_entropy(logits.T, t)) / 2


def test_check_untrained_loss(m, capsys):
    assert m.check_untrained_loss(lambda n: math.log(n)) is True
    assert "✔" in capsys.readouterr().out
    assert m.check_untrained_loss(lambda n: torch.tensor(float(n)).log()) is True
    capsys.readouterr()
    assert m.check_untrained_loss(_todo) is None
    assert "Not attempted" in capsys.readouterr().out
    for wrong, words in [(lambda n: 0.0, "perfect model"), (lambda n: 1 / n, "minus its log"),
                         (lambda n: math.log2(n), "natural log"),
                         (lambda n: 2 * math.log(n), "averaged, not added"),
                         (lambda n: math.log(n - 1), "N-way"), (lambda n: "ln N", "a number"),
                         (lambda n: math.log(2 * n), "not pooled"),
                         (lambda n: 1 / 0, "raised ZeroDivisionError")]:
        assert m.check_untrained_loss(wrong) is False
        assert words in capsys.readouterr().out
    assert m.check_untrained_loss(lambda n: math.log(n), quiet=True) is True
    assert capsys.readouterr().out == ""


def test_check_siglip_loss(m, capsys):
    for right in (_siglip, _siglip_bce):
        assert m.check_siglip_loss(right) is True
        assert "✔" in capsys.readouterr().out
    assert m.check_siglip_loss(_todo) is None
    assert "Not attempted" in capsys.readouterr().out
    for wrong, words in [(_siglip_mean, "all N × N pairs"), (_siglip_unnormalised, "normalise"),
                         (_siglip_all_positive, "label +1"), (_clip_softmax, "softmax loss"),
                         (lambda *a: _siglip(*a).item(), "(0-d) tensor"),
                         (lambda a, b, s, bias: _siglip(a, b, s, 0.0), "expected")]:
        assert m.check_siglip_loss(wrong) is False
        assert words in capsys.readouterr().out


def test_no_notebook_function_passes_a_check(m):
    for fn in [m.cosine_similarity_loop, m.cosine_similarity_rows, m.similarity_matrix, m.clip_loss]:
        for check in (m.check_untrained_loss, m.check_siglip_loss):
            assert check(fn, quiet=True) is not True


CHECK_CASES = {
    "check_untrained_loss": {"solution": lambda n: math.log(n),
                             "wrong": [lambda n: 1 / n, lambda n: math.log2(n), lambda n: 2 * math.log(n)]},
    "check_siglip_loss": {"solution": _siglip,
                          "wrong": [_siglip_mean, _siglip_unnormalised, _siglip_all_positive, _clip_softmax]},
}
