"""Unit tests of lesson 2.1 (patch embedding in code): export cells, bad input, exercise checks."""
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
    assert torch.equal(p[1, 4], x[1, :, 2:4, 2:4].reshape(-1))  # grid (1, 1), channel first
    assert torch.equal(m.patchify(x[0], 2), p[0])


@pytest.mark.parametrize("shape,patch", [((1, 3, 28, 42), 14), ((3, 16, 8), 4), ((2, 1, 9, 9), 3),
                                         ((1, 3, 5, 5), 1), ((1, 2, 6, 6), 6)])
def test_three_ways_agree(m, shape, patch):
    x = torch.randn(*shape)
    torch.testing.assert_close(m.patchify(x, patch), m.patchify_unfold(x, patch))
    c = x.shape[-3]
    lin = nn.Linear(c * patch * patch, 5)
    conv = m.conv_from_linear(lin, c, patch)
    xb = x if x.dim() == 4 else x.unsqueeze(0)
    torch.testing.assert_close(conv(xb).flatten(2).transpose(1, 2), lin(m.patchify(xb, patch)),
                               rtol=1e-4, atol=1e-5)


def test_patchify_is_not_a_plain_reshape(m):
    x = torch.randn(1, 3, 28, 28)
    assert not torch.allclose(m.patchify(x, 14), x.reshape(1, 4, 3 * 14 * 14))


# --- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", ["patchify", "patchify_unfold"])
@pytest.mark.parametrize("images,patch,err,words", [
    (torch.zeros(224, 224, 3), 14, ValueError, r"look channels-last.*permute\(2, 0, 1\)"),
    (torch.zeros(2, 224, 224, 3), 14, ValueError, r"look channels-last.*permute\(0, 3, 1, 2\)"),
    (torch.zeros(224, 224), 14, ValueError, "2 dimensions"),
    (torch.zeros(1, 1, 3, 224, 224), 14, ValueError, "5 dimensions"),
    (torch.zeros(1, 3, 225, 224), 14, ValueError, "multiples of the patch size"),
    (np.zeros((3, 224, 224)), 14, TypeError, "torch.Tensor"),
    (torch.zeros(3, 28, 28), 14.0, TypeError, "patch must be an int"),
    (torch.zeros(3, 28, 28), 0, ValueError, "at least 1"),
])
def test_patchify_bad_input(m, fn, images, patch, err, words):
    with pytest.raises(err, match=words):
        getattr(m, fn)(images, patch)


def test_conv_from_linear_bad_sizes(m):
    with pytest.raises(ValueError, match="588 numbers"):
        m.conv_from_linear(nn.Linear(100, 8), 3, 14)


def test_vision_encoder_patch_zero_is_a_value_error(m):
    with pytest.raises(ValueError, match="patch must be at least 1 pixel, got 0"):
        m.TinyVisionEncoder(224, patch=0)


def test_vision_encoder_indivisible_size(m):
    with pytest.raises(ValueError, match="multiples of the patch size"):
        m.TinyVisionEncoder(30, patch=14)


def test_splice_names_the_batch_axis_not_the_projection(m):
    ids, text = torch.tensor([1, 9, 2]), torch.zeros(3, 4)
    with pytest.raises(ValueError, match=r"still has its batch axis.*image_embeds\[0\]") as info:
        m.splice_image_tokens(ids, text, torch.zeros(1, 5, 4), 9)
    assert "project" not in str(info.value)
    with pytest.raises(ValueError, match="project the image tokens to the LM width"):
        m.splice_image_tokens(ids, text, torch.zeros(5, 3), 9)


def test_splice_bad_input(m):
    text, image = torch.zeros(3, 4), torch.zeros(5, 4)
    with pytest.raises(ValueError, match="found 0"):
        m.splice_image_tokens(torch.tensor([1, 2, 3]), text, image, 9)
    with pytest.raises(ValueError, match="found 2"):
        m.splice_image_tokens(torch.tensor([9, 9, 3]), text, image, 9)
    with pytest.raises(ValueError, match="1-D"):
        m.splice_image_tokens(torch.tensor([[1, 9, 2]]), text, image, 9)
    with pytest.raises(TypeError, match="torch.Tensor"):
        m.splice_image_tokens([1, 9, 2], text, image, 9)


# --- encoder, splice, language model --------------------------------------------------------

@pytest.mark.parametrize("side", [28, 56])
def test_vision_encoder_adds_one_cls_token(m, side):
    enc = m.TinyVisionEncoder(side, patch=14, width=32, depth=1, heads=4).eval()
    assert enc(torch.rand(2, 3, side, side)).shape == (2, 1 + (side // 14) ** 2, 32)


def test_vision_encoder_wrong_resolution(m):
    enc = m.TinyVisionEncoder(28, patch=14, width=32, depth=1, heads=4)
    with pytest.raises(ValueError, match="position table is for a 2 × 2 grid"):
        enc(torch.rand(1, 3, 42, 42))


def test_splice_places_rows(m):
    ids = torch.tensor([4, 7, 9, 2])
    text = torch.arange(8, dtype=torch.float32).reshape(4, 2)
    image = -torch.ones(3, 2)
    out = m.splice_image_tokens(ids, text, image, 9)
    assert out.shape == (6, 2)
    assert torch.equal(out[:2], text[:2]) and torch.equal(out[2:5], image) and torch.equal(out[5:], text[3:])


def test_language_model_context_limit(m):
    lm = m.TinyLanguageModel(vocab_size=10, width=16, context=8, heads=2).eval()
    assert lm(torch.zeros(1, 8, 16)).shape == (1, 8, 10)
    with pytest.raises(ValueError, match="exceeds the context limit of 8 by 1"):
        lm(torch.zeros(1, 9, 16))


def test_language_model_is_causal(m):
    torch.manual_seed(0)
    lm = m.TinyLanguageModel(vocab_size=10, width=16, context=8, heads=2).eval()
    x = torch.randn(1, 6, 16)
    y = x.clone()
    y[0, 4:] += 1.0
    with torch.no_grad():
        torch.testing.assert_close(lm(x)[0, :4], lm(y)[0, :4])
        assert not torch.allclose(lm(x)[0, 4:], lm(y)[0, 4:])


# --- exercise checks -------------------------------------------------------------------------

def _splice_solution(ids, text, images, image_id):
    out, k = [], 0
    for i, t in enumerate(ids.tolist()):
        if t == image_id:
            out.append(images[k])
            k += 1
        else:
            out.append(text[i:i + 1])
    return torch.cat(out)


def _splice_keeps_placeholders(ids, text, images, image_id):
    out, k = [], 0
    for i, t in enumerate(ids.tolist()):
        out.append(text[i:i + 1])
        if t == image_id:
            out.append(images[k])
            k += 1
    return torch.cat(out)


def _splice_first_image_everywhere(ids, text, images, image_id):
    return torch.cat([images[0] if t == image_id else text[i:i + 1] for i, t in enumerate(ids.tolist())])


def _splice_reversed(ids, text, images, image_id):
    return _splice_solution(ids, text, images[::-1], image_id)


def _splice_appends(ids, text, images, image_id):
    return torch.cat([text[ids != image_id]] + list(images))


def _pad_solution(seqs):
    lengths = torch.tensor([len(s) for s in seqs])
    t = int(lengths.max())
    out = torch.zeros(len(seqs), t, seqs[0].shape[1])
    for b, s in enumerate(seqs):
        out[b, :len(s)] = s
    return out, torch.arange(t)[None] < lengths[:, None]


def _pad_inverted_mask(seqs):
    padded, mask = _pad_solution(seqs)
    return padded, ~mask


def _pad_left(seqs):
    padded, mask = _pad_solution(seqs)
    t = padded.shape[1]
    out = torch.zeros_like(padded)
    for b, s in enumerate(seqs):
        out[b, t - len(s):] = s
    return out, mask


def _pad_float_mask(seqs):
    padded, mask = _pad_solution(seqs)
    return padded, mask.float()


def _pad_no_mask(seqs):
    return _pad_solution(seqs)[0]


def _pad_time_first(seqs):  # pad_sequence without batch_first: (T_max, B, D)
    padded, mask = _pad_solution(seqs)
    return padded.transpose(0, 1), mask


CHECK_CASES = {
    "check_overlap_prediction": {
        "solution": lambda: 961,
        "wrong": [lambda: 1024, lambda: 256, lambda: 900, lambda: 961.0],
    },
    "check_splice_images": {
        "solution": _splice_solution,
        "wrong": [_splice_keeps_placeholders, _splice_first_image_everywhere, _splice_reversed,
                  _splice_appends],
    },
    "check_pad_batch": {
        "solution": _pad_solution,
        "wrong": [_pad_inverted_mask, _pad_left, _pad_float_mask, _pad_no_mask, _pad_time_first],
    },
}


@pytest.mark.parametrize("check,wrong,words", [
    ("check_overlap_prediction", lambda: 1024, "must fit inside"),
    ("check_overlap_prediction", lambda: 256, "non-overlapping"),
    ("check_overlap_prediction", lambda: 900, "position 0 too"),
    ("check_overlap_prediction", lambda: 961.0, "an int"),
    ("check_splice_images", _splice_keeps_placeholders, "replaced, not kept"),
    ("check_splice_images", _splice_first_image_everywhere, "k-th placeholder by the k-th image"),
    ("check_splice_images", _splice_reversed, "wrong order"),
    ("check_splice_images", _splice_appends, "exactly where its placeholder was"),
    ("check_pad_batch", _pad_inverted_mask, "~mask"),
    ("check_pad_batch", _pad_left, "right padding"),
    ("check_pad_batch", _pad_float_mask, "bool tensor"),
    ("check_pad_batch", _pad_no_mask, "pair (padded, mask)"),
    ("check_pad_batch", _pad_time_first, "batch_first=True"),
])
def test_check_hints_name_the_mistake(m, check, wrong, words, capsys):
    assert getattr(m, check)(wrong) is False
    assert words in capsys.readouterr().out


def test_checks_accept_solutions_and_say_not_attempted(m, capsys):
    def stub(*args):
        raise NotImplementedError()

    for name, case in CHECK_CASES.items():
        assert getattr(m, name)(case["solution"]) is True
        assert getattr(m, name)(stub) is None
        assert "Not attempted" in capsys.readouterr().out
        assert getattr(m, name)(case["solution"], quiet=True) is True
        assert capsys.readouterr().out == ""


def test_no_lesson_function_passes_a_check(m):
    assert m.check_splice_images(m.splice_image_tokens, quiet=True) is False
