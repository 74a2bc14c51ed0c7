"""Unit tests of lesson 2.2 (CLIP similarity in code): its export cells and exercise checks."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nbexport import load_exports

NB = "notebooks/2-guided/2-2-clip-similarity.ipynb"


@pytest.fixture(scope="module")
def m():
    return load_exports(NB)


# --- cosine similarity: loop, rows, matrix --------------------------------------------------

def test_cosine_loop_values(m):
    assert math.isclose(m.cosine_similarity_loop([1, 2, 3], [2, 4, 6]), 1.0)
    assert m.cosine_similarity_loop([1, 0], [0, 5]) == 0.0
    assert math.isclose(m.cosine_similarity_loop([1, -1], [-3, 3]), -1.0)
    assert math.isclose(m.cosine_similarity_loop([3, 4], [4, 3]), 24 / 25)
    assert m.cosine_similarity_loop((1.5,), (-2,)) == -1.0


def test_cosine_loop_zero_vectors(m):
    assert m.cosine_similarity_loop([0, 0], [1, 2]) == 0.0
    assert m.cosine_similarity_loop([1, 2], [0, 0]) == 0.0
    assert m.cosine_similarity_loop([0.0], [0.0]) == 0.0
    # the same convention as PyTorch
    a, b = torch.zeros(1, 3), torch.tensor([[1.0, 2.0, 3.0]])
    assert F.cosine_similarity(a, b).item() == 0.0


def test_cosine_loop_matches_torch(m):
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        u, v = torch.randn(2, 7, generator=gen, dtype=torch.float64)
        expected = F.cosine_similarity(u, v, dim=0).item()
        assert math.isclose(m.cosine_similarity_loop(u.tolist(), v.tolist()), expected,
                            rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("u,v,err,words", [
    ([1, 2], [1, 2, 3], ValueError, "same length"),
    ([], [], ValueError, "empty"),
    (3, [1], TypeError, "sequences of numbers"),
    ([1, "x"], [1, 2], TypeError, "sequences of numbers"),
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


def test_similarity_matrix_is_scale_invariant(m):
    gen = torch.Generator().manual_seed(2)
    a, b = torch.randn(3, 4, generator=gen), torch.randn(6, 4, generator=gen)
    torch.testing.assert_close(m.similarity_matrix(7 * a, 0.1 * b), m.similarity_matrix(a, b))


def test_similarity_bad_input(m):
    with pytest.raises(ValueError, match="same shape"):
        m.cosine_similarity_rows(torch.zeros(2, 3), torch.zeros(3, 3))
    with pytest.raises(TypeError, match="torch.Tensor"):
        m.cosine_similarity_rows([1.0], torch.zeros(1))
    with pytest.raises(ValueError, match="widths differ"):
        m.similarity_matrix(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match=r"expected \(N, D\)"):
        m.similarity_matrix(torch.zeros(3), torch.zeros(2, 3))
    with pytest.raises(TypeError, match="torch.Tensor"):
        m.similarity_matrix(np.zeros((2, 3)), torch.zeros(2, 3))


# --- logit scale and loss -------------------------------------------------------------------

def test_logit_scale_init_and_clamp(m):
    s = m.LogitScale()
    assert math.isclose(s().item(), 1 / 0.07, rel_tol=1e-6)
    assert math.isclose(s.log_scale.item(), math.log(1 / 0.07), rel_tol=1e-6)
    with torch.no_grad():
        s.log_scale.fill_(8.0)
    assert math.isclose(s().item(), 100.0, rel_tol=1e-6)
    with pytest.raises(ValueError, match="init"):
        m.LogitScale(init=0.0)
    with pytest.raises(ValueError, match="init"):
        m.LogitScale(init=200.0)


def test_logit_scale_gets_gradient(m):
    s = m.LogitScale()
    gen = torch.Generator().manual_seed(3)
    img, txt = torch.randn(4, 5, generator=gen), torch.randn(4, 5, generator=gen)
    m.clip_loss(img, txt, s()).backward()
    assert s.log_scale.grad is not None and s.log_scale.grad.abs() > 0


def test_clip_loss_matches_step_by_step(m):
    gen = torch.Generator().manual_seed(4)
    img, txt = torch.randn(6, 8, generator=gen), torch.randn(6, 8, generator=gen)
    scale = 14.0
    logits = scale * F.normalize(img, dim=-1) @ F.normalize(txt, dim=-1).T
    by_hand = -(torch.log_softmax(logits, 1).diagonal().mean()
                + torch.log_softmax(logits, 0).diagonal().mean()) / 2
    torch.testing.assert_close(m.clip_loss(img, txt, scale), by_hand)


def test_clip_loss_orders_matched_and_shuffled(m):
    gen = torch.Generator().manual_seed(5)
    img = torch.randn(16, 8, generator=gen)
    matched = m.clip_loss(img, img + 0.1 * torch.randn(16, 8, generator=gen), 14.0)
    shuffled = m.clip_loss(img, img.roll(1, dims=0), 14.0)
    assert matched < math.log(16) < shuffled


def test_clip_loss_bad_input(m):
    with pytest.raises(ValueError, match="same shape"):
        m.clip_loss(torch.zeros(3, 4), torch.zeros(4, 4), 10.0)
    with pytest.raises(ValueError, match="positive"):
        m.clip_loss(torch.ones(3, 4), torch.ones(3, 4), 0.0)
    with pytest.raises(TypeError, match="torch.Tensor"):
        m.clip_loss([[1.0]], torch.ones(1, 1), 1.0)


# --- data helpers ---------------------------------------------------------------------------

def test_shape_mask(m):
    for shape in ["circle", "square", "triangle", "diamond", "cross"]:
        mask = m.shape_mask(shape, 10)
        assert mask.shape == (10, 10) and mask.dtype == np.float32
        assert 0 <= mask.min() and mask.max() <= 1
    assert m.shape_mask("square", 10).mean() > m.shape_mask("circle", 10).mean() \
        > m.shape_mask("triangle", 10).mean()
    with pytest.raises(ValueError, match="unknown shape"):
        m.shape_mask("star", 10)
    with pytest.raises(ValueError, match="side"):
        m.shape_mask("circle", 1)


def test_diagonal_split(m):
    for k in range(5):
        seen, held = m.diagonal_split(5, 5, k)
        assert len(seen) == 20 and len(held) == 5 and not set(seen) & set(held)
        assert sorted(c for c, _ in held) == list(range(5))
        assert sorted(s for _, s in held) == list(range(5))
    assert m.diagonal_split(5, 5, 0)[1] != m.diagonal_split(5, 5, 1)[1]
    with pytest.raises(ValueError, match="at least 2"):
        m.diagonal_split(1, 5, 0)


def test_tokenize(m):
    vocab = m.build_vocab(["small", "large"], ["red", "blue"], ["circle", "cross"])
    ids = m.tokenize(["a small red circle", "A blue cross"], vocab)
    assert ids.tolist() == [[1, 2, 4, 6], [1, 5, 7, 0]]
    with pytest.raises(ValueError, match="unknown word 'pink'"):
        m.tokenize(["a pink circle"], vocab)
    with pytest.raises(ValueError, match="more than 4"):
        m.tokenize(["a small red circle today"], vocab)
    with pytest.raises(TypeError, match="list of captions"):
        m.tokenize("a red circle", vocab)
    with pytest.raises(ValueError, match="share a word"):
        m.build_vocab(["red"], ["red"], ["circle"])


def test_outline_channel(m):
    images = torch.full((2, 3, 8, 8), 0.9)
    images[0, :, 3:5, 3:5] = torch.tensor([0.9, 0.9, 0.1]).view(3, 1, 1)   # yellowish dot
    out = m.add_outline_channel(images)
    assert out.shape == (2, 4, 8, 8)
    torch.testing.assert_close(out[:, :3], images)
    assert out[0, 3, 3, 3] == pytest.approx(0.8) and out[0, 3, 0, 0] == 0
    assert out[1, 3].abs().max() == 0
    with pytest.raises(ValueError, match="RGB images"):
        m.add_outline_channel(torch.zeros(2, 4, 8, 8))


# --- recall@1 -------------------------------------------------------------------------------

def test_recall_at_1_reference(m):
    sim = torch.tensor([[0.9, 0.1, 0.3], [0.8, 0.2, 0.1], [0.1, 0.5, 0.7]])
    i2t, t2i = m.recall_at_1_from_similarity(sim)
    assert i2t == pytest.approx(2 / 3) and t2i == pytest.approx(2 / 3)
    asym = torch.tensor([[0.9, 0.8], [0.1, 0.2]])
    assert m.recall_at_1_from_similarity(asym) == pytest.approx((1.0, 0.5))
    assert m.recall_at_1_from_similarity(torch.eye(3)) == (1.0, 1.0)
    with pytest.raises(ValueError, match="square"):
        m.recall_at_1_from_similarity(torch.zeros(2, 3))
    with pytest.raises(TypeError, match="torch.Tensor"):
        m.recall_at_1_from_similarity([[1.0]])


# --- exercise checks: solution accepted, wrong answers rejected with a useful message --------

def _todo(*args):
    raise NotImplementedError()


def test_check_similarity_matrix(m, capsys):
    def solution(a, b):
        return F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T

    assert m.check_similarity_matrix(solution) is True
    assert "✔" in capsys.readouterr().out
    assert m.check_similarity_matrix(_todo) is None
    assert "Not attempted" in capsys.readouterr().out
    assert m.check_similarity_matrix(lambda a, b: a @ b.T) is False
    assert "raw dot products" in capsys.readouterr().out
    assert m.check_similarity_matrix(lambda a, b: solution(b, a)) is False
    assert "text × image" in capsys.readouterr().out
    wrong_axis = lambda a, b: F.normalize(a, dim=0) @ F.normalize(b, dim=0).T  # noqa: E731
    assert m.check_similarity_matrix(wrong_axis) is False
    assert "wrong values" in capsys.readouterr().out
    assert m.check_similarity_matrix(lambda a, b: a @ b) is False
    assert "raised RuntimeError" in capsys.readouterr().out
    assert m.check_similarity_matrix(solution, quiet=True) is True
    assert capsys.readouterr().out == ""


def _loss_parts(a, b, s):
    logits = s * F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T
    t = torch.arange(len(a))
    return F.cross_entropy(logits, t), F.cross_entropy(logits.T, t)


def test_check_clip_loss(m, capsys):
    assert m.check_clip_loss(lambda a, b, s: sum(_loss_parts(a, b, s)) / 2) is True
    assert "✔" in capsys.readouterr().out
    assert m.check_clip_loss(_todo) is None
    assert "Not attempted" in capsys.readouterr().out
    assert m.check_clip_loss(lambda a, b, s: _loss_parts(a, b, s)[0]) is False
    assert "only one direction" in capsys.readouterr().out
    assert m.check_clip_loss(lambda a, b, s: sum(_loss_parts(a, b, s))) is False
    assert "summed the two directions" in capsys.readouterr().out
    assert m.check_clip_loss(lambda a, b, s: sum(_loss_parts(a, b, 1.0)) / 2) is False
    assert "logit scale is missing" in capsys.readouterr().out

    def unnormalised(a, b, s):
        logits = s * a @ b.T
        t = torch.arange(len(a))
        return (F.cross_entropy(logits, t) + F.cross_entropy(logits.T, t)) / 2

    assert m.check_clip_loss(unnormalised) is False
    assert "expected" in capsys.readouterr().out
    assert m.check_clip_loss(lambda a, b, s: torch.stack(_loss_parts(a, b, s))) is False
    assert "scalar" in capsys.readouterr().out


def test_check_recall_at_1(m, capsys):
    def solution(sim):
        d = torch.arange(len(sim))
        return (sim.argmax(1) == d).float().mean().item(), (sim.argmax(0) == d).float().mean().item()

    assert m.check_recall_at_1(solution) is True
    assert "✔" in capsys.readouterr().out
    assert m.check_recall_at_1(_todo) is None
    assert "Not attempted" in capsys.readouterr().out
    assert m.check_recall_at_1(lambda sim: solution(sim)[::-1]) is False
    assert "swapped" in capsys.readouterr().out
    assert m.check_recall_at_1(lambda sim: (solution(sim)[0],) * 2) is False
    assert "expected" in capsys.readouterr().out
    assert m.check_recall_at_1(lambda sim: solution(sim)[0]) is False
    assert "pair of numbers" in capsys.readouterr().out


def _sim_solution(a, b):
    return F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T


def _recall_solution(sim):
    d = torch.arange(len(sim))
    return (sim.argmax(1) == d).float().mean().item(), (sim.argmax(0) == d).float().mean().item()


# cases for tests/test_exercises.py: every check accepts its solution, rejects wrong answers
CHECK_CASES = {
    "check_similarity_matrix": {"solution": _sim_solution,
                                "wrong": [lambda a, b: a @ b.T, lambda a, b: _sim_solution(b, a),
                                          lambda a, b: F.normalize(a, dim=0) @ F.normalize(b, dim=0).T]},
    "check_clip_loss": {"solution": lambda a, b, s: sum(_loss_parts(a, b, s)) / 2,
                        "wrong": [lambda a, b, s: _loss_parts(a, b, s)[0],
                                  lambda a, b, s: sum(_loss_parts(a, b, s)),
                                  lambda a, b, s: sum(_loss_parts(a, b, 1.0)) / 2]},
    "check_recall_at_1": {"solution": _recall_solution,
                          "wrong": [lambda sim: _recall_solution(sim)[::-1],
                                    lambda sim: (_recall_solution(sim)[0],) * 2,
                                    lambda sim: _recall_solution(sim)[0]]},
}
