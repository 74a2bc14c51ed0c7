"""Unit tests of lesson 3.1's export cells: attention, blocks, the ViT, FLOPs, the memory meter,
the synthetic shapes, and the exercises' self-checks."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from nbexport import load_exports

m = load_exports("notebooks/3-deep-dive/3-1-vit-from-scratch.ipynb")


# --- attention -------------------------------------------------------------------------------

@pytest.mark.parametrize("qs,ks,vs", [((2, 5, 8), (2, 5, 8), (2, 5, 8)),
                                      ((1, 3, 7, 16), (1, 3, 9, 16), (1, 3, 9, 4)),
                                      ((4, 1), (6, 1), (6, 2))])
def test_attention_matches_pytorch(qs, ks, vs):
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(s, generator=g) for s in (qs, ks, vs))
    out, weights = m.attention(q, k, v)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v), rtol=0, atol=1e-5)
    assert weights.shape == (*qs[:-1], ks[-2])
    torch.testing.assert_close(weights.sum(-1), torch.ones(qs[:-1]))


def test_attention_rejects_bad_inputs():
    q = torch.randn(2, 5, 8)
    with pytest.raises(TypeError, match="torch tensors"):
        m.attention(q.numpy(), q, q)
    with pytest.raises(ValueError, match="same length dk"):
        m.attention(q, torch.randn(2, 5, 7), torch.randn(2, 5, 8))
    with pytest.raises(ValueError, match="every key needs a value"):
        m.attention(q, q, torch.randn(2, 4, 8))
    with pytest.raises(ValueError, match="leading"):
        m.attention(q, torch.randn(3, 5, 8), torch.randn(3, 5, 8))
    with pytest.raises(ValueError, match="same rank"):
        m.attention(q, q[0], q[0])


def _mha_with_weights_of(mhsa):
    ref = nn.MultiheadAttention(mhsa.dim, mhsa.heads, batch_first=True).eval()
    with torch.no_grad():
        ref.in_proj_weight.copy_(mhsa.qkv.weight)
        ref.in_proj_bias.copy_(mhsa.qkv.bias)
        ref.out_proj.weight.copy_(mhsa.proj.weight)
        ref.out_proj.bias.copy_(mhsa.proj.bias)
    return ref


@pytest.mark.parametrize("dim,heads,n", [(64, 4, 50), (48, 3, 17), (32, 1, 9)])
def test_multihead_attention_equals_nn_multiheadattention(dim, heads, n):
    torch.manual_seed(0)
    mhsa = m.MultiHeadSelfAttention(dim, heads).eval()
    ref = _mha_with_weights_of(mhsa)
    x = torch.randn(2, n, dim)
    with torch.no_grad():
        ours, w = mhsa(x, return_attention=True)
        theirs, w_ref = ref(x, x, x, need_weights=True, average_attn_weights=False)
        mhsa.fused = True
        fused = mhsa(x)
    assert (ours - theirs).abs().max() < 1e-5
    assert (w - w_ref).abs().max() < 1e-5
    assert (ours - fused).abs().max() < 1e-5
    assert w.shape == (2, heads, n, n)


def test_multihead_attention_rejects_bad_sizes():
    with pytest.raises(ValueError, match="divisible by the number of heads"):
        m.MultiHeadSelfAttention(64, 5)
    with pytest.raises(ValueError, match=r"\(B, N, 64\)"):
        m.MultiHeadSelfAttention(64, 4)(torch.randn(2, 10, 32))


# --- blocks and the ViT ----------------------------------------------------------------------

def test_block_keeps_shape_and_is_permutation_equivariant():
    torch.manual_seed(0)
    block = m.Block(32, 4, mlp_ratio=2).eval()
    x = torch.randn(2, 11, 32)
    perm = torch.randperm(11)
    with torch.no_grad():
        y, w = block(x, return_attention=True)
        assert y.shape == x.shape and w.shape == (2, 4, 11, 11)
        torch.testing.assert_close(block(x[:, perm]), y[:, perm], rtol=0, atol=1e-5)


def test_block_with_zeroed_output_layers_is_identity():
    block = m.Block(16, 2).eval()
    with torch.no_grad():
        for layer in (block.attn.proj, block.mlp.fc2):
            layer.weight.zero_()
            layer.bias.zero_()
        x = torch.randn(1, 5, 16)
        assert torch.equal(block(x), x)


def test_patch_embed_is_unfold_plus_linear_and_rejects_bad_images():
    torch.manual_seed(0)
    pe = m.PatchEmbed(patch=4, in_chans=3, dim=8)
    x = torch.randn(2, 3, 8, 12)
    with torch.no_grad():
        tokens = pe(x)
        by_hand = F.unfold(x, 4, stride=4).transpose(1, 2) @ pe.proj.weight.reshape(8, -1).T + pe.proj.bias
    assert tokens.shape == (2, 6, 8)
    torch.testing.assert_close(tokens, by_hand, rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        pe(torch.randn(3, 8, 8))
    with pytest.raises(ValueError, match="expected 3 channels"):
        pe(torch.randn(1, 1, 8, 8))
    with pytest.raises(ValueError, match="4-px patches"):
        pe(torch.randn(1, 3, 10, 8))


def test_resize_pos_grid():
    grid = torch.randn(1, 5, 4, 6)
    assert m.resize_pos_grid(grid, (4, 6)) is grid
    out = m.resize_pos_grid(grid, (6, 9))
    assert out.shape == (1, 5, 6, 9)
    torch.testing.assert_close(out, F.interpolate(grid, size=(6, 9), mode="bicubic", align_corners=False))
    assert m.resize_pos_grid(grid, (8, 12), mode="nearest").shape == (1, 5, 8, 12)
    # a constant grid stays constant: interpolation invents no positions
    const = torch.full((1, 3, 4, 4), 0.7)
    torch.testing.assert_close(m.resize_pos_grid(const, (7, 7)), torch.full((1, 3, 7, 7), 0.7))
    with pytest.raises(ValueError, match=r"\(1, D, rows, cols\)"):
        m.resize_pos_grid(torch.randn(5, 4, 6), (6, 9))
    with pytest.raises(ValueError, match="positive"):
        m.resize_pos_grid(grid, (0, 3))


def test_vit_forward_shapes_attention_and_resolution_rules():
    torch.manual_seed(0)
    vit = m.ViT(img_size=32, patch=4, dim=32, depth=2, heads=4, mlp_ratio=2, num_classes=8).eval()
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        logits, maps = vit(x, return_attention=True)
        assert logits.shape == (3, 8) and len(maps) == 2
        assert maps[0].shape == (3, 4, 65, 65)
        torch.testing.assert_close(maps[1].sum(-1), torch.ones(3, 4, 65))
        torch.testing.assert_close(vit(x), logits)
        with pytest.raises(ValueError, match="interpolate_pos_encoding=True"):
            vit(torch.randn(1, 3, 48, 48))
        assert vit.embed(torch.randn(1, 3, 48, 40), interpolate_pos_encoding=True).shape == (1, 1 + 12 * 10, 32)
        assert vit(torch.randn(2, 3, 48, 48), interpolate_pos_encoding=True).shape == (2, 8)
        # at the built resolution, "interpolating" changes nothing
        torch.testing.assert_close(vit(x, interpolate_pos_encoding=True), logits)
        with pytest.raises(ValueError, match="pos_embed must have shape"):
            vit(x, pos_embed=torch.zeros(1, 64, 32))
        zero = torch.zeros(1, 65, 32)
        assert vit(x, pos_embed=zero).shape == (3, 8)
    with pytest.raises(ValueError, match="not a multiple of the patch size"):
        m.ViT(img_size=30, patch=4)


def test_interpolated_table_matches_the_flat_layout_of_real_checkpoints():
    """ViT.position_embeddings == the transformers-style flat-table interpolation."""
    torch.manual_seed(0)
    vit = m.ViT(img_size=24, patch=4, dim=8, depth=1, heads=2)
    flat = vit.position_embeddings(vit.grid)                      # (1, 37, 8)
    with torch.no_grad():
        got = vit.position_embeddings((9, 9), interpolate=True)
    want = torch.cat([flat[:, :1], F.interpolate(flat[:, 1:].reshape(1, 6, 6, 8).permute(0, 3, 1, 2),
                                                 size=(9, 9), mode="bicubic", align_corners=False)
                      .permute(0, 2, 3, 1).reshape(1, 81, 8)], dim=1)
    torch.testing.assert_close(got, want)


def test_count_parameters_of_vit_b16():
    with torch.device("meta"):
        vit = m.ViT(img_size=224, patch=16, dim=768, depth=12, heads=12, mlp_ratio=4, num_classes=1000)
    counts = m.count_parameters(vit)
    d, L = 768, 12
    per_block = 4 * d * d + 4 * d + 8 * d * d + 5 * d + 4 * d   # attention, MLP, two LayerNorms
    expected = (3 * 16 * 16 * d + d) + d + 197 * d + L * per_block + 2 * d + (d * 1000 + 1000)
    assert counts["total"] == expected
    assert 86e6 <= counts["total"] < 87e6
    assert counts["position embeddings"] == 197 * d
    assert sum(v for k, v in counts.items() if k != "total") == counts["total"]


# --- cost: FLOPs and memory --------------------------------------------------------------------

@pytest.mark.parametrize("n,d,r", [(49, 192, 4), (65, 64, 2), (130, 48, 3)])
def test_block_flops_equals_pytorch_flop_counter(n, d, r):
    block = m.Block(d, 3 if d % 3 == 0 else 4, mlp_ratio=r).eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        block(torch.randn(1, n, d))
    f = m.block_flops(n, d, r)
    assert f["total"] == counter.get_total_flops() == f["linear"] + f["attention"]
    assert f["attention"] == 4 * n * n * d


def test_block_flops_crossover_and_errors():
    d = 192
    below, above = m.block_flops(6 * d - 1, d), m.block_flops(6 * d + 1, d)
    assert below["attention"] < below["linear"] and above["attention"] > above["linear"]
    for bad in (0, -1, "196", True, None):
        with pytest.raises(ValueError, match="positive number"):
            m.block_flops(bad, d)


def test_peak_tensor_memory_counts_live_tensors_only():
    weight = torch.randn(256, 256)          # exists before: not counted, nor its views
    with m.PeakTensorMemory() as meter:
        t = weight.t()
        a = torch.ones(1024, 1024)          # 4 MiB
        b = a + 1                           # +4 MiB
        del a
        c = b * 2                           # a already freed
        del b, c, t
    assert meter.peak_bytes == 8 * 2**20
    assert meter.current_bytes <= 8 * 2**20


def test_explicit_attention_holds_two_attention_matrices_and_fused_does_not():
    torch.manual_seed(0)
    n, d, h = 2048, 64, 2
    explicit = m.Block(d, h).eval()
    fused = m.Block(d, h, fused=True).eval()
    fused.load_state_dict(explicit.state_dict())
    x = torch.randn(1, n, d)
    peaks = {}
    for name, block in (("explicit", explicit), ("fused", fused)):
        with m.PeakTensorMemory() as meter, torch.no_grad():
            block(x)
        peaks[name] = meter.peak_bytes
    matrix = h * n * n * 4
    assert 2 * matrix <= peaks["explicit"] < 2 * matrix + 4 * n * d * 4 * 4
    assert peaks["fused"] < matrix / 4


# --- synthetic shapes --------------------------------------------------------------------------

def test_scenes_are_deterministic_and_labels_encode_shape_and_side():
    s1, s2 = m.sample_scenes(64, seed=3), m.sample_scenes(64, seed=3)
    x1, y1 = m.render_scenes(s1, 32)
    x2, y2 = m.render_scenes(s2, 32)
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    assert x1.shape == (64, 3, 32, 32) and x1.dtype == torch.float32
    assert 0 <= x1.min() and x1.max() <= 1
    assert torch.equal(y1, torch.from_numpy(s1["shape"] + 4 * s1["side"]))
    assert ((s1["cx"] > 0.5) == (s1["side"] == 1)).all()
    assert len(m.CLASSES) == 8 and m.CLASSES[int(y1[0])].startswith(m.SHAPES[s1["shape"][0]])


def test_same_scenes_at_two_resolutions():
    s = m.sample_scenes(16, seed=0)
    x32, y32, c32 = m.render_scenes(s, 32, return_mask=True)
    x48, y48, c48 = m.render_scenes(s, 48, return_mask=True)
    assert torch.equal(y32, y48) and x48.shape == (16, 3, 48, 48)
    # the shape covers the same fraction of the image at both sizes (within anti-aliasing)
    np.testing.assert_allclose(c32.mean((1, 2)).numpy(), c48.mean((1, 2)).numpy(), atol=0.01)
    # and the covered pixels sit on the labelled side
    cols = torch.arange(32).float()
    centre_x = (c32.sum(1) * cols).sum(1) / c32.sum((1, 2)) / 32
    assert ((centre_x > 0.5) == torch.from_numpy(s["side"] == 1)).all()


def test_scene_functions_reject_bad_arguments():
    with pytest.raises(ValueError, match="positive int"):
        m.sample_scenes(0, seed=0)
    with pytest.raises(ValueError, match="positive int"):
        m.sample_scenes(2.5, seed=0)
    with pytest.raises(ValueError, match="int >= 8"):
        m.render_scenes(m.sample_scenes(2, seed=0), 4)


# --- the exercises' self-checks: cases for tests/test_exercises.py -----------------------------

def attention_solution(q, k, v):
    return (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).softmax(-1) @ v


def resize_solution(pos, old, new):
    d = pos.shape[-1]
    grid = pos[:, 1:].reshape(1, *old, d).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=tuple(new), mode="bicubic", align_corners=False)
    return torch.cat([pos[:, :1], grid.permute(0, 2, 3, 1).reshape(1, -1, d)], dim=1)


def resize_without_permute(pos, old, new):
    d = pos.shape[-1]
    grid = pos[:, 1:].reshape(1, d, *old)                 # scrambles rows, columns and channels
    grid = F.interpolate(grid, size=tuple(new), mode="bicubic", align_corners=False)
    return torch.cat([pos[:, :1], grid.reshape(1, -1, d)], dim=1)


def resize_bilinear(pos, old, new):
    d = pos.shape[-1]
    grid = pos[:, 1:].reshape(1, *old, d).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=tuple(new), mode="bilinear", align_corners=False)
    return torch.cat([pos[:, :1], grid.permute(0, 2, 3, 1).reshape(1, -1, d)], dim=1)


def resize_swapped_axes(pos, old, new):
    d = pos.shape[-1]
    grid = pos[:, 1:].reshape(1, old[1], old[0], d).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=(new[1], new[0]), mode="bicubic", align_corners=False)
    return torch.cat([pos[:, :1], grid.permute(0, 2, 3, 1).reshape(1, -1, d)], dim=1)


def resize_cls_shifted(pos, old, new):
    out = resize_solution(pos, old, new)
    out[:, 0] = out[:, 1]                                 # lost the [CLS] row
    return out


def flops_solution(n, d, r):
    return 2 * n * d * 3 * d + 2 * n * d * d + 4 * n * d * int(r * d) + 4 * n * n * d


CHECK_CASES = {
    "check_attention": {
        "solution": attention_solution,
        "wrong": [
            lambda q, k, v: (q @ k.transpose(-2, -1)).softmax(-1) @ v,                          # no scaling
            lambda q, k, v: (q @ k.transpose(-2, -1) / q.shape[-1]).softmax(-1) @ v,            # scaled by d
            lambda q, k, v: (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).softmax(-2) @ v,  # wrong axis
            lambda q, k, v: (attention_solution(q, k, v), None),                                # a tuple
            lambda q, k, v: F.scaled_dot_product_attention(q, k, v),                            # not by hand
        ],
    },
    "check_resize_pos_embed": {
        "solution": resize_solution,
        "wrong": [resize_without_permute, resize_bilinear, resize_swapped_axes, resize_cls_shifted,
                  lambda pos, old, new: pos],                                                   # unchanged
    },
    "check_block_flops": {
        "solution": flops_solution,
        "wrong": [
            lambda n, d, r: flops_solution(n, d, r) // 2,                                      # multiply-adds
            lambda n, d, r: flops_solution(n, d, r) - 2 * n * n * d,                           # no AV product
            lambda n, d, r: flops_solution(n, d, 4),                                           # ratio fixed at 4
            lambda n, d, r: 24 * n * d * d,                                                    # no attention
        ],
    },
}


def test_attention_check_explains_its_verdicts(capsys):
    assert m.check_attention(CHECK_CASES["check_attention"]["wrong"][0]) is False
    assert "√d_k" in capsys.readouterr().out
    assert m.check_attention(CHECK_CASES["check_attention"]["wrong"][2]) is False
    assert "last axis" in capsys.readouterr().out
    assert m.check_attention(CHECK_CASES["check_attention"]["wrong"][4]) is False
    assert "write the steps yourself" in capsys.readouterr().out
    assert F.scaled_dot_product_attention(torch.ones(1, 2, 2), torch.ones(1, 2, 2),
                                          torch.ones(1, 2, 2)).shape == (1, 2, 2)  # restored afterwards


def test_resize_and_flops_checks_explain_their_verdicts(capsys):
    assert m.check_resize_pos_embed(resize_bilinear) is False
    assert "bicubic" in capsys.readouterr().out
    assert m.check_resize_pos_embed(resize_cls_shifted) is False
    assert "[CLS] row" in capsys.readouterr().out
    assert m.check_block_flops(CHECK_CASES["check_block_flops"]["wrong"][0]) is False
    assert "multiply-add is 2 FLOPs" in capsys.readouterr().out
    assert m.check_block_flops(CHECK_CASES["check_block_flops"]["wrong"][2]) is False
    assert "mlp_ratio" in capsys.readouterr().out
