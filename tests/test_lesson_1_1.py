"""Unit tests of lesson 1.1's export cells: patchify, its inverse, counts, the self-check."""
import numpy as np
import pytest
import torch

from nbexport import load_exports

m = load_exports("notebooks/1-surface/1-1-images-become-tokens.ipynb")


def test_counts_match_the_formula():
    assert m.count_patches(512, 512, 16) == 32 * 32
    assert m.count_patches(336, 336, 14) == 24 * 24
    assert m.count_patches(224, 448, 14) == 16 * 32


@pytest.mark.parametrize("c,h,w,p", [(3, 336, 336, 14), (3, 64, 96, 16), (1, 8, 4, 4), (3, 32, 32, 32)])
def test_round_trip_is_exact(c, h, w, p):
    image = torch.rand(c, h, w)
    patches = m.patchify(image, p)
    assert patches.shape == ((h // p) * (w // p), p * p * c)
    assert torch.equal(m.unpatchify(patches, p, h, w), image)


def test_patches_are_row_major_squares():
    """Patch k is the k-th square in reading order, laid out as (row, column, channel)."""
    image = torch.arange(3 * 4 * 6, dtype=torch.float32).reshape(3, 4, 6)
    patches = m.patchify(image, 2)  # grid 2 x 3
    for k in range(6):
        r, c = divmod(k, 3)
        square = image[:, 2 * r:2 * r + 2, 2 * c:2 * c + 2]  # (C, P, P)
        assert torch.equal(patches[k], square.permute(1, 2, 0).reshape(-1))


@pytest.mark.parametrize("bad", [torch.rand(336, 336), torch.rand(1, 3, 336, 336), np.zeros((3, 28, 28))])
def test_patchify_rejects_wrong_rank_with_a_clear_message(bad):
    with pytest.raises(ValueError, match=r"channels-first image tensor of shape \(C, H, W\)"):
        m.patchify(bad, 14)


def test_patchify_rejects_indivisible_sides_and_says_by_how_much():
    with pytest.raises(ValueError, match=r"330 % 14 = 8"):
        m.patchify(torch.rand(3, 336, 330), 14)


@pytest.mark.parametrize("patch", [0, -14, 14.0, True])
def test_patchify_rejects_bad_patch_sizes(patch):
    with pytest.raises(ValueError, match="positive integer"):
        m.patchify(torch.rand(3, 28, 28), patch)


def test_unpatchify_rejects_a_mismatched_grid():
    with pytest.raises(ValueError, match="do not fit"):
        m.unpatchify(torch.rand(575, 588), 14, 336, 336)


def test_to_tensor_converts_and_resizes():
    array = (np.random.default_rng(0).random((40, 60, 3)) * 255).astype(np.uint8)
    x = m.to_tensor(array, size=(28, 14))
    assert x.shape == (3, 14, 28) and x.dtype == torch.float32
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    with pytest.raises(TypeError, match="PIL image or a numpy array"):
        m.to_tensor([1, 2, 3])


# --- the exercise's self-check: cases for tests/test_exercises.py -------------------------

def solution(h, w, p, cls_token=False):
    return (h // p) * (w // p) + (1 if cls_token else 0)


CHECK_CASES = {
    "check_tokens_for_image": {
        "solution": solution,
        "wrong": [
            lambda h, w, p, cls_token=False: h * w // p,            # divided by P once, not P²
            lambda h, w, p, cls_token=False: (h // p) + (w // p),   # added the sides
            lambda h, w, p, cls_token=False: (h // p) * (w // p),   # ignored cls_token
            lambda h, w, p, cls_token=False: h // p * w // p + int(cls_token) * (h // p),  # CLS per row
        ],
    },
}


def test_check_hints_name_the_mistake(capsys):
    assert m.check_tokens_for_image(CHECK_CASES["check_tokens_for_image"]["wrong"][0]) is False
    assert "patches per row times patches per column" in capsys.readouterr().out
    assert m.check_tokens_for_image(CHECK_CASES["check_tokens_for_image"]["wrong"][2]) is False
    assert "[CLS] token adds exactly one" in capsys.readouterr().out


def test_check_reports_a_crashing_answer(capsys):
    def crashes(h, w, p, cls_token=False):
        return h / undefined_name  # noqa: F821

    assert m.check_tokens_for_image(crashes) is False
    assert "NameError" in capsys.readouterr().out
