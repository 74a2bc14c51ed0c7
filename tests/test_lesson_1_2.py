"""Unit tests of lesson 1.2's export cells: cosine, the shapes data, encoders, loss, retrieval, the self-check."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nbexport import load_exports

m = load_exports("notebooks/1-surface/1-2-a-shared-space.ipynb")


# --- cosine ---------------------------------------------------------------------------------

def test_cosine_known_angles():
    assert m.cosine([1, 0], [0, 3]) == pytest.approx(0.0)
    assert m.cosine([1, 1], [2, 2]) == pytest.approx(1.0)
    assert m.cosine([1, 0], [-5, 0]) == pytest.approx(-1.0)
    assert m.cosine([1, 0], [1, 1]) == pytest.approx(math.cos(math.pi / 4))


@pytest.mark.parametrize("k", [1e-3, 0.5, 7.0, 1e4])
def test_cosine_ignores_positive_scaling(k):
    g = torch.Generator().manual_seed(0)
    u, v = torch.randn(16, generator=g), torch.randn(16, generator=g)
    assert m.cosine(u, k * v) == pytest.approx(m.cosine(u, v), abs=1e-6)
    assert m.cosine(-u, v) == pytest.approx(-m.cosine(u, v), abs=1e-9)


def test_cosine_rejects_zero_and_mismatched_vectors():
    with pytest.raises(ValueError, match="zero vector"):
        m.cosine([0, 0, 0], [1, 2, 3])
    with pytest.raises(ValueError, match="same length"):
        m.cosine([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="1-D"):
        m.cosine([[1, 2]], [[1, 2]])


# --- data -----------------------------------------------------------------------------------

def test_draw_shape_is_seeded_and_coloured():
    a = m.draw_shape("red", "triangle", np.random.default_rng(3))
    b = m.draw_shape("red", "triangle", np.random.default_rng(3))
    assert a.shape == (32, 32, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    ink = a[(np.abs(a.astype(int) - 235).sum(axis=2) > 60)]  # pixels clearly not background
    assert len(ink) > 20 and ink[:, 0].mean() > ink[:, 2].mean() + 100  # red, not blue


def test_draw_shape_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown colour/shape"):
        m.draw_shape("purple", "circle", np.random.default_rng(0))
    with pytest.raises(ValueError, match="unknown colour/shape"):
        m.draw_shape("red", "hexagon", np.random.default_rng(0))


def test_make_dataset_shapes_and_labels():
    images, labels = m.make_dataset(4, np.random.default_rng(0), size=24)
    assert images.shape == (36, 3, 24, 24) and images.dtype == torch.float32
    assert 0.0 <= float(images.min()) and float(images.max()) <= 1.0
    assert torch.bincount(labels).tolist() == [4] * 9
    assert len(m.CAPTIONS) == 9 and len(set(m.CAPTIONS)) == 9


def test_bag_of_words_counts_and_rejects_unknown_words():
    counts = m.bag_of_words(["a red circle", "a a blue"])
    assert counts.shape == (2, len(m.VOCAB))
    assert counts[0, m.VOCAB.index("red")] == 1 and counts[1, m.VOCAB.index("a")] == 2
    assert counts.sum().item() == 6
    with pytest.raises(ValueError, match="not in the vocabulary"):
        m.bag_of_words(["a purple circle"])


# --- encoders and loss ----------------------------------------------------------------------

def test_encoders_output_unit_vectors():
    torch.manual_seed(0)
    z = m.ImageEncoder()(torch.rand(5, 3, 32, 32))
    t = m.CaptionEncoder()(m.bag_of_words(m.CAPTIONS))
    assert z.shape == (5, 2) and t.shape == (9, 2)
    assert torch.allclose(z.norm(dim=-1), torch.ones(5), atol=1e-5)
    assert torch.allclose(t.norm(dim=-1), torch.ones(9), atol=1e-5)


def test_image_encoder_ignores_where_the_shape_is():
    """A max over positions: moving the shape by whole 4-px steps, away from the border, changes nothing."""
    torch.manual_seed(0)
    enc = m.ImageEncoder(dim=8)
    x = torch.full((1, 3, 64, 64), 0.9)  # large enough that the shape stays out of the border's reach
    x[:, 0, 20:26, 20:26] = 0.1
    shifted = torch.roll(x, shifts=(16, 8), dims=(2, 3))
    assert torch.allclose(enc(x), enc(shifted), atol=1e-5)


def test_contrastive_loss_matches_a_direct_computation():
    g = torch.Generator().manual_seed(0)
    a = F.normalize(torch.randn(6, 4, generator=g), dim=-1)
    b = F.normalize(torch.randn(6, 4, generator=g), dim=-1)
    logits = 10.0 * a @ b.T
    by_hand = 0.0
    for i in range(6):  # -log softmax of the diagonal, over rows and over columns
        by_hand += -torch.log_softmax(logits[i], 0)[i] - torch.log_softmax(logits[:, i], 0)[i]
    assert m.contrastive_loss(a, b) == pytest.approx(float(by_hand / 12), rel=1e-5)


def test_contrastive_loss_rewards_alignment():
    angles = torch.arange(9) * 2 * math.pi / 9
    ideal = torch.stack([angles.cos(), angles.sin()], dim=1)
    shuffled = ideal[torch.tensor([1, 2, 3, 4, 5, 6, 7, 8, 0])]
    assert m.contrastive_loss(ideal, ideal) < 0.5 < math.log(9) < m.contrastive_loss(ideal, shuffled)
    same = torch.ones(9, 2) / math.sqrt(2)  # everything at one point: a uniform guess
    assert m.contrastive_loss(same, same) == pytest.approx(math.log(9), rel=1e-5)


def test_contrastive_loss_rejects_mismatched_batches():
    with pytest.raises(ValueError, match="same shape"):
        m.contrastive_loss(torch.rand(4, 2), torch.rand(5, 2))


def test_a_short_training_run_aligns_the_encoders():
    """Well above chance (1/9) after 150 steps of the notebook's recipe: the training signal is real."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    images, labels = m.make_dataset(20, rng)
    test_images, test_labels = m.make_dataset(10, rng)
    ie, ce = m.ImageEncoder(), m.CaptionEncoder()
    counts = m.bag_of_words(m.CAPTIONS)
    opt = torch.optim.Adam([*ie.parameters(), *ce.parameters()], lr=1e-2)
    by_caption = [torch.where(labels == k)[0] for k in range(9)]
    g = torch.Generator().manual_seed(0)
    for _ in range(150):
        picks = torch.stack([idx[torch.randint(len(idx), (1,), generator=g)][0] for idx in by_caption])
        loss = m.contrastive_loss(ie(images[picks]), ce(counts))
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        accuracy = m.retrieval_accuracy(ie(test_images) @ ce(counts).T, test_labels)
    assert accuracy > 0.5


# --- retrieval ------------------------------------------------------------------------------

def test_retrieval_accuracy_counts_top_1():
    scores = torch.tensor([[0.9, 0.1, 0.0], [0.2, 0.3, 0.1], [0.5, 0.4, 0.6], [0.0, 1.0, 0.2]])
    assert m.retrieval_accuracy(scores, torch.tensor([0, 1, 0, 1])) == pytest.approx(0.75)
    # an increasing map of the scores keeps the ranking, so the accuracy
    assert m.retrieval_accuracy(0.1 + 0.25 * scores, torch.tensor([0, 1, 0, 1])) == pytest.approx(0.75)


def test_retrieval_accuracy_rejects_mismatched_labels():
    with pytest.raises(ValueError, match=r"scores \(N, M\) and labels \(N,\)"):
        m.retrieval_accuracy(torch.rand(4, 3), torch.tensor([0, 1]))


# --- the exercise's self-check: cases for tests/test_exercises.py -------------------------

def solution(A, B):
    na = torch.linalg.vector_norm(A, dim=1, keepdim=True)
    nb = torch.linalg.vector_norm(B, dim=1, keepdim=True)
    if (na == 0).any() or (nb == 0).any():
        raise ValueError("zero row")
    return (A / na) @ (B / nb).T


CHECK_CASES = {
    "check_cosine_matrix": {
        "solution": solution,
        "wrong": [
            lambda A, B: A @ B.T,                                           # dot product only
            lambda A, B: F.normalize(A, dim=0) @ F.normalize(B, dim=0).T,   # normalised columns
            lambda A, B: F.normalize(A, dim=1) @ F.normalize(B, dim=1).T,   # zero row -> silent 0
            lambda A, B: F.normalize(A, dim=1) @ B.T,                       # normalised one side
            lambda A, B: F.normalize(A, dim=1).T @ F.normalize(B, dim=1),   # transposed wrong
        ],
    },
}


def test_check_hints_name_the_mistake(capsys):
    wrong = CHECK_CASES["check_cosine_matrix"]["wrong"]
    assert m.check_cosine_matrix(wrong[0]) is False
    assert "divide every row of both A and B by its length" in capsys.readouterr().out
    assert m.check_cosine_matrix(wrong[1]) is False
    assert "you normalised the columns" in capsys.readouterr().out
    assert m.check_cosine_matrix(wrong[2]) is False
    assert "instead of a ValueError" in capsys.readouterr().out
    assert m.check_cosine_matrix(wrong[3]) is False
    assert "outside [-1, 1]" in capsys.readouterr().out
    assert m.check_cosine_matrix(wrong[4]) is False
    assert "raised RuntimeError" in capsys.readouterr().out  # a shape error is reported, not raised


def test_check_accepts_numpy_output_and_reports_a_wrong_error_type(capsys):
    assert m.check_cosine_matrix(lambda A, B: solution(A, B).numpy()) is True

    def type_error_on_zero(A, B):
        if (A.norm(dim=1) == 0).any():
            raise TypeError("zero")
        return solution(A, B)

    assert m.check_cosine_matrix(type_error_on_zero) is False
    assert "expected a ValueError" in capsys.readouterr().out
