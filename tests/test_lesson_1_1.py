"""Unit tests of lesson 1.1's export cells: patchify, counts, to_tensor, bad input, self-checks."""
import numpy as np
import pytest
import torch
from PIL import Image

from nbexport import load_exports

m = load_exports("notebooks/1-surface/1-1-images-become-tokens.ipynb")


def test_counts_match_the_formula():
    assert m.count_patches(512, 512, 16) == 32 * 32
    assert m.count_patches(336, 336, 14) == 24 * 24
    assert m.count_patches(224, 448, 14) == 16 * 32


def test_toy_patches_are_the_squares_in_reading_order():
    toy = torch.arange(16).reshape(1, 4, 4)
    assert m.patchify(toy, 2).tolist() == [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]]


def test_patches_are_row_major_squares():
    """Patch k is the k-th square in reading order, laid out as (row, column, channel)."""
    image = torch.arange(3 * 4 * 6, dtype=torch.float32).reshape(3, 4, 6)
    patches = m.patchify(image, 2)  # grid 2 x 3
    assert patches.shape == (6, 12)
    for k in range(6):
        r, c = divmod(k, 3)
        square = image[:, 2 * r:2 * r + 2, 2 * c:2 * c + 2]  # (C, P, P)
        assert torch.equal(patches[k], square.permute(1, 2, 0).reshape(-1))


@pytest.mark.parametrize("c,h,w,p", [(3, 336, 336, 14), (3, 64, 96, 16), (1, 8, 4, 4), (3, 32, 32, 32)])
def test_shape_and_every_pixel_kept(c, h, w, p):
    image = torch.rand(c, h, w)
    patches = m.patchify(image, p)
    assert patches.shape == ((h // p) * (w // p), p * p * c)
    assert torch.equal(patches.flatten().sort().values,
                       image.flatten().sort().values)


def test_to_tensor_converts_and_resizes():
    array = (np.random.default_rng(0).random((40, 60, 3)) * 255).astype(np.uint8)
    x = m.to_tensor(array, size=(28, 14))  # (width, height)
    assert x.shape == (3, 14, 28) and x.dtype == torch.float32
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    assert m.to_tensor(Image.fromarray(array)).shape == (3, 40, 60)


# --- bad input: the mistakes learners made in v1, each named ---------------------------------

def test_channels_last_tensor_is_named():
    with pytest.raises(ValueError, match=r"looks channels-last.*to_tensor.*permute\(2, 0, 1\)"):
        m.patchify(torch.rand(224, 224, 3), 14)


@pytest.mark.parametrize("bad", [torch.rand(336, 336), torch.rand(1, 3, 336, 336), np.zeros((3, 28, 28))])
def test_patchify_rejects_wrong_rank(bad):
    with pytest.raises(ValueError, match=r"one image tensor of shape \(C, H, W\)"):
        m.patchify(bad, 14)


def test_patchify_rejects_indivisible_sides_and_says_by_how_much():
    with pytest.raises(ValueError, match=r"330 % 14 = 8"):
        m.patchify(torch.rand(3, 336, 330), 14)


@pytest.mark.parametrize("patch", [0, -14, 14.0, True, "14"])
def test_patchify_rejects_bad_patch_sizes(patch):
    with pytest.raises(ValueError, match="patch must be"):
        m.patchify(torch.rand(3, 28, 28), patch)


def test_count_patches_zero_patch_is_a_clear_value_error():
    with pytest.raises(ValueError, match="patch must be at least 1 pixel, got 0"):
        m.count_patches(336, 336, 0)


def test_count_patches_string_size_is_a_clear_value_error():
    with pytest.raises(ValueError, match=r"height must be a whole number of pixels, got '336'"):
        m.count_patches("336", 336, 14)


def test_count_patches_indivisible():
    with pytest.raises(ValueError, match="not divisible"):
        m.count_patches(336, 330, 14)


def test_to_tensor_int_size_says_width_height():
    photo = np.zeros((20, 30, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match=r"size is \(width, height\), e.g. size=\(336, 336\)"):
        m.to_tensor(photo, size=336)


# --- the exercises' self-checks: cases for tests/test_exercises.py ----------------------------

def _crop_solution(image, side):
    w, h = image.size
    s = side / min(w, h)
    nw, nh = max(side, round(w * s)), max(side, round(h * s))
    x = m.to_tensor(image, size=(nw, nh))
    t, l = (nh - side) // 2, (nw - side) // 2
    return x[:, t:t + side, l:l + side]


def _crop_stretch(image, side):          # squashes the picture into the square
    return m.to_tensor(image, size=(side, side))


def _crop_top_left(image, side):         # resizes right, crops the corner
    w, h = image.size
    s = side / min(w, h)
    x = m.to_tensor(image, size=(round(w * s), round(h * s)))
    return x[:, :side, :side]


def _crop_no_resize(image, side):        # crops the centre of the original picture
    x = m.to_tensor(image)
    t, l = (x.shape[1] - side) // 2, (x.shape[2] - side) // 2
    return x[:, t:t + side, l:l + side]


def _crop_fit_long_side(image, side):    # scales the long side: wrong shape
    w, h = image.size
    s = side / max(w, h)
    return m.to_tensor(image, size=(round(w * s), round(h * s)))


def _crop_channels_last(image, side):
    return _crop_solution(image, side).permute(1, 2, 0)


CHECK_CASES = {
    "check_predicted_tokens": {
        "solution": lambda: 3136,
        "wrong": [lambda: 784, lambda: 392, lambda: 1568, lambda: 3136.0, lambda: "3136"],
    },
    "check_resize_and_center_crop": {
        "solution": _crop_solution,
        "wrong": [_crop_stretch, _crop_top_left, _crop_no_resize, _crop_fit_long_side,
                  _crop_channels_last, lambda image, side: np.zeros((3, side, side))],
    },
}


@pytest.mark.parametrize("wrong,words", [
    (lambda: 784, "BOTH sides"), (lambda: 392, "two sides"), (lambda: 1568, "the square"),
    (lambda: 3136.0, "an int"), (lambda: 1000, "Work per side"),
])
def test_prediction_hints_name_the_mistake(wrong, words, capsys):
    assert m.check_predicted_tokens(wrong) is False
    assert words in capsys.readouterr().out


@pytest.mark.parametrize("wrong,words", [
    (_crop_stretch, "squashed"), (_crop_top_left, "cut the centre"),
    (_crop_no_resize, "misses the top"), (_crop_fit_long_side, "SHORT side"),
    (_crop_channels_last, "channels-last"),
])
def test_crop_hints_name_the_mistake(wrong, words, capsys):
    assert m.check_resize_and_center_crop(wrong) is False
    assert words in capsys.readouterr().out


def test_checks_report_a_crashing_answer(capsys):
    def crashes(image, side):
        return image / undefined_name  # noqa: F821

    assert m.check_resize_and_center_crop(crashes) is False
    assert "NameError" in capsys.readouterr().out


def test_no_lesson_function_passes_a_check():
    for fn in (m.to_tensor, m.patchify):
        assert m.check_resize_and_center_crop(fn, quiet=True) is False
