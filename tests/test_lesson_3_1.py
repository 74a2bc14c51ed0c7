"""Unit tests of lesson 3.1's export cells (attention, heads, the pre-norm block, the ViT,
the parameter count), the bad input they refuse, and the exercises' self-checks."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from nbexport import load_exports

m = load_exports("notebooks/3-deep-dive/3-1-attention-and-the-vit.ipynb")


# --- attention ---------------------------------------------------------------------------------

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


def test_attention_with_a_mask_matches_pytorch_and_gives_masked_keys_no_weight():
    g = torch.Generator().manual_seed(1)
    q, k, v = torch.randn(2, 3, 6, 8, generator=g), torch.randn(2, 3, 9, 8, generator=g), torch.randn(2, 3, 9, 5, generator=g)
    mask = torch.rand(6, 9, generator=g) > 0.4
    mask[:, 0] = True
    out, weights = m.attention(q, k, v, mask)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), rtol=0, atol=1e-5)
    assert (weights[..., ~mask] == 0).all()


def test_attention_names_the_shapes_of_bad_input():
    q = torch.randn(1, 4, 5, 16)
    with pytest.raises(ValueError, match=r"q \(1, 4, 5, 16\) and k \(1, 4, 5, 8\)"):
        m.attention(q, torch.randn(1, 4, 5, 8), q)
    with pytest.raises(ValueError, match=r"mask \(6, 6\) must end in \(Nq, Nk\) = \(5, 5\)"):
        m.attention(q, q, q, mask=torch.ones(6, 6, dtype=torch.bool))


@pytest.mark.parametrize("dim,heads,n", [(64, 4, 50), (48, 3, 17), (32, 1, 9)])
def test_multihead_attention_equals_nn_multiheadattention(dim, heads, n):
    torch.manual_seed(0)
    mhsa = m.MultiHeadSelfAttention(dim, heads).eval()
    ref = nn.MultiheadAttention(dim, heads, batch_first=True).eval()
    with torch.no_grad():
        ref.in_proj_weight.copy_(mhsa.qkv.weight)
        ref.in_proj_bias.copy_(mhsa.qkv.bias)
        ref.out_proj.load_state_dict(mhsa.proj.state_dict())
        x = torch.randn(2, n, dim)
        ours = mhsa(x)
        theirs, w_ref = ref(x, x, x, average_attn_weights=False)
    assert (ours - theirs).abs().max() < 1e-5
    assert (mhsa.weights - w_ref).abs().max() < 1e-5
    assert mhsa.weights.shape == (2, heads, n, n)


def test_causal_mask_in_a_block_matches_nn_multiheadattention():
    torch.manual_seed(0)
    mhsa = m.MultiHeadSelfAttention(32, 4).eval()
    ref = nn.MultiheadAttention(32, 4, batch_first=True).eval()
    with torch.no_grad():
        ref.in_proj_weight.copy_(mhsa.qkv.weight)
        ref.in_proj_bias.copy_(mhsa.qkv.bias)
        ref.out_proj.load_state_dict(mhsa.proj.state_dict())
        x = torch.randn(2, 7, 32)
        allowed = torch.ones(7, 7, dtype=torch.bool).tril()
        ours = mhsa(x, allowed)
        theirs, _ = ref(x, x, x, attn_mask=~allowed)      # nn.MultiheadAttention: True = blocked
    assert (ours - theirs).abs().max() < 1e-5


# --- the block and the ViT ----------------------------------------------------------------------

def test_block_keeps_shape_is_permutation_equivariant_and_residual():
    torch.manual_seed(0)
    block = m.Block(32, 4, mlp_ratio=2).eval()
    x = torch.randn(2, 11, 32)
    perm = torch.randperm(11)
    with torch.no_grad():
        y = block(x)
        assert y.shape == x.shape and block.attn.weights.shape == (2, 4, 11, 11)
        torch.testing.assert_close(block(x[:, perm]), y[:, perm], rtol=0, atol=1e-5)
        for layer in (block.attn.proj, block.mlp[2]):
            layer.weight.zero_()
            layer.bias.zero_()
        assert torch.equal(block(x), x)


@pytest.mark.parametrize("n,d,r", [(49, 192, 4), (17, 64, 2), (130, 48, 3)])
def test_block_flops_are_8nd2_plus_4n2d_plus_4rnd2(n, d, r):
    """The FLOP formula lesson 3.2 argues from, counted by PyTorch on this block."""
    block = m.Block(d, 4, mlp_ratio=r).eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        block(torch.randn(1, n, d))
    assert counter.get_total_flops() == 8 * n * d * d + 4 * n * n * d + 4 * n * d * r * d


def test_vit_forward_equals_its_steps_and_refuses_a_wrong_position_table():
    torch.manual_seed(0)
    vit = m.ViT(img_size=32, patch=8, dim=32, depth=2, heads=4, mlp_ratio=2, num_classes=8).eval()
    x = torch.rand(3, 3, 32, 32)
    with torch.no_grad():
        logits = vit(x)
        t = vit.patch_embed(x).flatten(2).transpose(1, 2)
        t = torch.cat([vit.cls_token.expand(3, -1, -1), t], 1) + vit.pos_embed
        for b in vit.blocks:
            t = b(t)
        torch.testing.assert_close(vit.head(vit.norm(t[:, 0])), logits)
        assert logits.shape == (3, 8) and vit.pos_embed.shape == (1, 17, 32)
        torch.testing.assert_close(vit(x, pos_embed=vit.pos_embed), logits)
        with pytest.raises(ValueError, match="37 tokens but the position table has 17 rows"):
            vit(torch.rand(1, 3, 48, 48))
        assert vit(torch.rand(2, 3, 48, 48), pos_embed=torch.zeros(1, 37, 32)).shape == (2, 8)


def test_patch_embedding_is_unfold_plus_matmul():
    torch.manual_seed(0)
    vit = m.ViT(img_size=16, patch=4, dim=8, depth=1, heads=2)
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        conv = vit.patch_embed(x).flatten(2).transpose(1, 2)
        by_hand = F.unfold(x, 4, stride=4).transpose(1, 2) @ vit.patch_embed.weight.reshape(8, -1).T + vit.patch_embed.bias
    torch.testing.assert_close(conv, by_hand, rtol=0, atol=1e-5)


def test_parameters_by_part_of_vit_b16_and_l14():
    with torch.device("meta"):
        b16 = m.ViT(img_size=224, patch=16, dim=768, depth=12, heads=12, mlp_ratio=4, num_classes=1000)
        l14 = m.ViT(img_size=336, patch=14, dim=1024, depth=24, heads=16, mlp_ratio=4, num_classes=1000)
    counts = m.parameters_by_part(b16)
    d, L = 768, 12
    per_block = 4 * d * d + 4 * d + 8 * d * d + 5 * d + 4 * d   # attention, MLP, two LayerNorms
    expected = (3 * 16 * 16 * d + d) + d + 197 * d + L * per_block + 2 * d + (d * 1000 + 1000)
    assert counts["total"] == expected and 86e6 <= expected < 87e6
    assert sum(v for k, v in counts.items() if k != "total") == counts["total"]
    assert m.parameters_by_part(l14)["total"] == 304_531_432   # the value check_vit_l14_prediction uses


# --- the exercises' self-checks: cases for tests/test_exercises.py ------------------------------

def mask_solution(rows, cols, radius):
    i = torch.arange(rows * cols)
    r, c = i // cols, i % cols
    return ((r[:, None] - r[None, :]).abs() <= radius) & ((c[:, None] - c[None, :]).abs() <= radius)


def mask_manhattan(rows, cols, radius):
    i = torch.arange(rows * cols)
    r, c = i // cols, i % cols
    return (r[:, None] - r[None, :]).abs() + (c[:, None] - c[None, :]).abs() <= radius


def mask_flat(rows, cols, radius):
    i = torch.arange(rows * cols)
    return (i[:, None] - i[None, :]).abs() <= radius


def mask_rows_swapped(rows, cols, radius):
    i = torch.arange(rows * cols)
    r, c = i // rows, i % rows
    return ((r[:, None] - r[None, :]).abs() <= radius) & ((c[:, None] - c[None, :]).abs() <= radius)


CHECK_CASES = {
    "check_neighbour_mask": {
        "solution": mask_solution,
        "wrong": [mask_manhattan, mask_flat, mask_rows_swapped,
                  lambda rows, cols, radius: mask_solution(rows, cols, radius).float(),   # not bool
                  lambda rows, cols, radius: ~mask_solution(rows, cols, radius),          # inverted
                  lambda rows, cols, radius: mask_solution(rows, cols, radius).tolist()],  # a list
    },
    "check_vit_l14_prediction": {
        "solution": lambda: 304,
        "wrong": [lambda: 115.5, lambda: 173, lambda: 195, lambda: 304_531_432, lambda: "304",
                  lambda: 86.6],
    },
}


def test_neighbour_mask_check_explains_its_verdicts(capsys):
    hints = {mask_manhattan: "diagonals", mask_flat: "flat token indices",
             mask_rows_swapped: "i // cols"}
    for fn, words in hints.items():
        assert m.check_neighbour_mask(fn) is False
        assert words in capsys.readouterr().out
    assert m.check_neighbour_mask(CHECK_CASES["check_neighbour_mask"]["wrong"][3]) is False
    assert "torch.bool" in capsys.readouterr().out
    assert m.check_neighbour_mask(CHECK_CASES["check_neighbour_mask"]["wrong"][4]) is False
    assert "look at itself" in capsys.readouterr().out
    # the mask works in attention: a patch's output mixes only its neighbours' values
    q = torch.randn(1, 12, 4)
    _, w = m.attention(q, q, q, mask_solution(3, 4, 1))
    assert (w[0, 0, [2, 3, 6, 7, 8, 9, 10, 11]] == 0).all()


def test_vit_l14_check_explains_its_verdicts(capsys):
    for value, words in [(115.5, "square of the width"), (195, "position table"),
                         (304_531_432, "millions"), (173, "width changed too")]:
        assert m.check_vit_l14_prediction(lambda: value) is False
        assert words in capsys.readouterr().out
    assert m.check_vit_l14_prediction(lambda: 290) is True
