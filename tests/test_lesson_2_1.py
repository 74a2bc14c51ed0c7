"""Unit tests of lesson 2.1 (patch embedding in code): its export cells and exercise checks."""
import math

import numpy as np
import pytest
import torch
from torch import nn

from nbexport import load_exports

NB = "notebooks/2-guided/2-1-patch-embedding.ipynb"


@pytest.fixture(scope="module")
def m():
    return load_exports(NB)


# --- patchify, three ways -------------------------------------------------------------------

def test_patchify_shapes_and_order(m):
    x = torch.arange(2 * 3 * 4 * 6, dtype=torch.float32).reshape(2, 3, 4, 6)
    p = m.patchify(x, 2)
    assert p.shape == (2, 6, 12)                       # 2×3 grid of 2×2 patches, 3 channels
    # patch 4 is grid row 1, column 1: rows 2-3, columns 2-3, channel first
    expected = x[1, :, 2:4, 2:4].reshape(-1)
    assert torch.equal(p[1, 4], expected)
    single = m.patchify(x[0], 2)
    assert torch.equal(single, p[0])


@pytest.mark.parametrize("shape,patch", [((1, 3, 28, 42), 14), ((3, 16, 8), 4), ((2, 1, 9, 9), 3),
                                         ((1, 3, 5, 5), 1), ((1, 2, 6, 6), 6)])
def test_three_ways_agree(m, shape, patch):
    x = torch.randn(*shape)
    a = m.patchify(x, patch)
    b = m.patchify_unfold(x, patch)
    torch.testing.assert_close(a, b)
    c, d = x.shape[-3], 5
    lin = nn.Linear(c * patch * patch, d)
    conv = m.conv_from_linear(lin, c, patch)
    xb = x if x.dim() == 4 else x.unsqueeze(0)
    via_conv = conv(xb).flatten(2).transpose(1, 2)
    via_lin = lin(m.patchify(xb, patch))
    torch.testing.assert_close(via_conv, via_lin, rtol=1e-4, atol=1e-5)


def test_patchify_is_not_a_plain_reshape(m):
    """A naive reshape has the right shape but the wrong content: the test must see that."""
    x = torch.randn(1, 3, 28, 28)
    naive = x.reshape(1, 4, 3 * 14 * 14)
    assert not torch.allclose(m.patchify(x, 14), naive)


@pytest.mark.parametrize("fn", ["patchify", "patchify_unfold"])
@pytest.mark.parametrize("images,patch,err,words", [
    (torch.zeros(224, 224), 14, ValueError, "2 dimensions"),
    (torch.zeros(1, 1, 3, 224, 224), 14, ValueError, "5 dimensions"),
    (torch.zeros(1, 3, 225, 224), 14, ValueError, "multiples of the patch size"),
    (torch.zeros(3, 224, 230), 14, ValueError, "multiples of the patch size"),
    (np.zeros((3, 224, 224)), 14, TypeError, "torch.Tensor"),
    (torch.zeros(3, 28, 28), 14.0, TypeError, "patch must be an int"),
    (torch.zeros(3, 28, 28), 0, ValueError, "at least 1"),
])
def test_patchify_bad_input(m, fn, images, patch, err, words):
    with pytest.raises(err, match=words):
        getattr(m, fn)(images, patch)


def test_conv_from_linear_bad_input(m):
    with pytest.raises(TypeError, match="nn.Linear"):
        m.conv_from_linear(nn.Conv2d(3, 4, 2), 3, 2)
    with pytest.raises(ValueError, match="588 numbers"):
        m.conv_from_linear(nn.Linear(100, 8), 3, 14)


# --- encoder, splice, language model --------------------------------------------------------

@pytest.mark.parametrize("side", [28, 56])
def test_vision_encoder_shapes(m, side):
    enc = m.TinyVisionEncoder(side, patch=14, width=32, depth=1, heads=4).eval()
    out = enc(torch.rand(2, 3, side, side))
    assert out.shape == (2, 1 + (side // 14) ** 2, 32)


def test_vision_encoder_bad_input(m):
    with pytest.raises(ValueError, match="not a multiple"):
        m.TinyVisionEncoder(30, patch=14)
    enc = m.TinyVisionEncoder(28, patch=14, width=32, depth=1, heads=4)
    with pytest.raises(ValueError, match="position table is for 28-px"):
        enc(torch.rand(1, 3, 42, 42))
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        enc(torch.rand(3, 28, 28))


def test_splice_places_rows(m):
    ids = torch.tensor([4, 7, 9, 2])
    text = torch.arange(8, dtype=torch.float32).reshape(4, 2)
    image = -torch.ones(3, 2)
    out = m.splice_image_tokens(ids, text, image, 9)
    assert out.shape == (6, 2)
    assert torch.equal(out[:2], text[:2])
    assert torch.equal(out[2:5], image)
    assert torch.equal(out[5:], text[3:])


def test_splice_bad_input(m):
    ids, text, image = torch.tensor([1, 9, 2]), torch.zeros(3, 4), torch.zeros(5, 4)
    with pytest.raises(ValueError, match="found 0"):
        m.splice_image_tokens(torch.tensor([1, 2, 3]), text, image, 9)
    with pytest.raises(ValueError, match="found 2"):
        m.splice_image_tokens(torch.tensor([9, 9, 3]), text, image, 9)
    with pytest.raises(ValueError, match="LM width"):
        m.splice_image_tokens(ids, text, torch.zeros(5, 3), 9)
    with pytest.raises(ValueError, match="1-D"):
        m.splice_image_tokens(ids.unsqueeze(0), text, image, 9)
    with pytest.raises(ValueError, match="text_embeds must be"):
        m.splice_image_tokens(ids, torch.zeros(4, 4), image, 9)
    with pytest.raises(TypeError, match="torch.Tensor"):
        m.splice_image_tokens([1, 9, 2], text, image, 9)


def test_language_model_context_limit(m):
    lm = m.TinyLanguageModel(vocab_size=10, width=16, context=8, heads=2).eval()
    assert lm(torch.zeros(1, 8, 16)).shape == (1, 8, 10)
    with pytest.raises(ValueError, match="exceeds the context limit of 8 by 1"):
        lm(torch.zeros(1, 9, 16))
    with pytest.raises(ValueError, match="expected embeds"):
        lm(torch.zeros(1, 4, 15))


def test_language_model_is_causal(m):
    """Changing a later token must not change earlier outputs."""
    torch.manual_seed(0)
    lm = m.TinyLanguageModel(vocab_size=10, width=16, context=8, heads=2).eval()
    x = torch.randn(1, 6, 16)
    y = x.clone()
    y[0, 4:] += 1.0
    with torch.no_grad():
        torch.testing.assert_close(lm(x)[0, :4], lm(y)[0, :4])


# --- largest_side ---------------------------------------------------------------------------

def test_largest_side_matches_brute_force(m):
    for limit, text, p in [(1024, 11, 14), (600, 24, 14), (4096, 100, 16), (50, 49, 2), (10, 20, 14)]:
        brute = max([g * p for g in range(0, 200) if g * g + text <= limit] or [0])
        assert m.largest_side(limit, text, p) == brute


def test_largest_side_bad_input(m):
    with pytest.raises(TypeError, match="patch must be an int"):
        m.largest_side(1024, 10, 14.0)
    with pytest.raises(ValueError, match="patch >= 1"):
        m.largest_side(1024, 10, 0)


# --- exercise checks: solution accepted, wrong answers rejected with a useful message --------

def _solution_patchify(images, patch):
    single = images.dim() == 3
    x = images.unsqueeze(0) if single else images
    b, c, h, w = x.shape
    x = x.reshape(b, c, h // patch, patch, w // patch, patch)
    x = x.permute(0, 2, 4, 1, 3, 5).reshape(b, -1, c * patch * patch)
    return x[0] if single else x


def _channel_last_patchify(images, patch):     # right pixels, wrong order inside the patch
    single = images.dim() == 3
    x = images.unsqueeze(0) if single else images
    b, c, h, w = x.shape
    x = x.reshape(b, c, h // patch, patch, w // patch, patch)
    x = x.permute(0, 2, 4, 3, 5, 1).reshape(b, -1, c * patch * patch)
    return x[0] if single else x


def _naive_reshape_patchify(images, patch):    # right shape, wrong pixels
    single = images.dim() == 3
    x = images.unsqueeze(0) if single else images
    b, c, h, w = x.shape
    x = x.reshape(b, (h // patch) * (w // patch), c * patch * patch)
    return x[0] if single else x


def _batch_only_patchify(images, patch):       # forgets the (C, H, W) case
    b, c, h, w = images.shape
    return _solution_patchify(images, patch)


def _not_attempted(*args):
    raise NotImplementedError()


def test_check_patchify(m, capsys):
    assert m.check_patchify(_solution_patchify) is True
    assert "✔" in capsys.readouterr().out
    assert m.check_patchify(_not_attempted) is None
    assert "Not attempted" in capsys.readouterr().out
    assert m.check_patchify(_channel_last_patchify) is False
    assert "channel first" in capsys.readouterr().out
    assert m.check_patchify(_naive_reshape_patchify) is False
    assert "permute the two grid axes" in capsys.readouterr().out
    assert m.check_patchify(_batch_only_patchify) is False
    assert "raised ValueError" in capsys.readouterr().out
    assert m.check_patchify(lambda x, p: x.flatten(-2)) is False
    assert "shape should be" in capsys.readouterr().out
    assert m.check_patchify(_solution_patchify, quiet=True) is True
    assert capsys.readouterr().out == ""


def _solution_splice(ids, text, image, image_id):
    i = int((ids == image_id).nonzero())
    return torch.cat([text[:i], image, text[i + 1:]], dim=0)


def _keeps_placeholder(ids, text, image, image_id):
    i = int((ids == image_id).nonzero())
    return torch.cat([text[:i + 1], image, text[i + 1:]], dim=0)


def _off_by_one(ids, text, image, image_id):
    i = int((ids == image_id).nonzero())
    return torch.cat([text[:i + 1], image, text[i + 2:]], dim=0)


def _appends(ids, text, image, image_id):
    keep = ids != image_id
    return torch.cat([text[keep], image], dim=0)


def test_check_splice(m, capsys):
    assert m.check_splice(_solution_splice) is True
    assert "✔" in capsys.readouterr().out
    assert m.check_splice(_not_attempted) is None
    assert "Not attempted" in capsys.readouterr().out
    assert m.check_splice(_keeps_placeholder) is False
    assert "placeholder itself is replaced" in capsys.readouterr().out
    assert m.check_splice(_off_by_one) is False
    assert "misplaced" in capsys.readouterr().out
    assert m.check_splice(_appends) is False
    assert "misplaced" in capsys.readouterr().out
    assert m.check_splice(lambda *a: [1, 2]) is False
    assert "torch.Tensor" in capsys.readouterr().out


def test_check_largest_side(m, capsys):
    def solution(limit, text, p):
        room = limit - text
        return math.isqrt(room) * p if room > 0 else 0

    assert m.check_largest_side(solution) is True
    assert "✔" in capsys.readouterr().out
    assert m.check_largest_side(_not_attempted) is None
    assert "Not attempted" in capsys.readouterr().out
    assert m.check_largest_side(lambda limit, text, p: math.isqrt(limit) * p) is False
    assert "ignored the text tokens" in capsys.readouterr().out
    assert m.check_largest_side(lambda limit, text, p: math.isqrt(max(limit - text, 0))) is False
    assert "multiply by the patch size" in capsys.readouterr().out
    # forgets that nothing fits: math.isqrt of a negative number raises
    assert m.check_largest_side(lambda limit, text, p: math.isqrt(limit - text) * p) is False
    assert "raised ValueError" in capsys.readouterr().out


def _solution_largest_side(limit, text, p):
    room = limit - text
    return math.isqrt(room) * p if room > 0 else 0


# cases for tests/test_exercises.py: every check accepts its solution, rejects wrong answers
CHECK_CASES = {
    "check_patchify": {"solution": _solution_patchify,
                       "wrong": [_channel_last_patchify, _naive_reshape_patchify, _batch_only_patchify]},
    "check_splice": {"solution": _solution_splice,
                     "wrong": [_keeps_placeholder, _off_by_one, _appends]},
    "check_largest_side": {"solution": _solution_largest_side,
                           "wrong": [lambda limit, text, p: math.isqrt(limit) * p,
                                     lambda limit, text, p: math.isqrt(max(limit - text, 0))]},
}
