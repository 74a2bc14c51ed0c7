"""Unit tests of lesson 3.4's export cells: the five connectors, the probe's data and training,
and the exercises' self-checks."""
import math

import numpy as np
import pytest
import torch

from nbexport import load_exports

m = load_exports("notebooks/3-deep-dive/3-4-connectors.ipynb")

D_V, D_LM = 8, 12


def all_connectors(d_v=D_V, d_lm=D_LM):
    return {
        "linear": m.LinearProjector(d_v, d_lm),
        "mlp": m.MLPProjector(d_v, d_lm),
        "shuffle2": m.PixelShuffleProjector(d_v, d_lm, r=2),
        "shuffle3": m.PixelShuffleProjector(d_v, d_lm, r=3),
        "average2": m.AverageMergeProjector(d_v, d_lm, r=2),
        "resampler5": m.LearnedQueryResampler(d_v, d_lm, num_queries=5, heads=2),
    }


# --- shapes and token counts -----------------------------------------------------------------

@pytest.mark.parametrize("name", list(all_connectors()))
@pytest.mark.parametrize("n", [36, 144])
def test_every_connector_outputs_its_announced_tokens_at_lm_width(name, n):
    conn = all_connectors()[name]
    out = conn(torch.randn(3, n, D_V))
    assert out.shape == (3, conn.output_tokens(n), D_LM)


def test_token_counts_follow_the_formula():
    c = all_connectors()
    assert c["linear"].output_tokens(576) == c["mlp"].output_tokens(576) == 576
    assert c["shuffle2"].output_tokens(1024) == c["average2"].output_tokens(1024) == 256
    assert c["shuffle3"].output_tokens(144) == 16
    assert c["resampler5"].output_tokens(16) == c["resampler5"].output_tokens(4096) == 5


def test_patch_tokens():
    assert m.patch_tokens(336, 14) == 576
    assert m.patch_tokens(896, 14) == 4096
    with pytest.raises(ValueError, match="not a multiple of the patch size"):
        m.patch_tokens(300, 14)
    with pytest.raises(ValueError, match="positive integer"):
        m.patch_tokens(336, 0)


# --- what the merges compute -----------------------------------------------------------------

def test_space_to_depth_concatenates_each_block_in_row_column_channel_order():
    s, r, d = 6, 3, 2
    x = torch.randn(2, s * s, d)
    out = m.space_to_depth(x, r)
    grid = x.reshape(2, s, s, d)
    for i in range(s // r):
        for j in range(s // r):
            want = torch.cat([grid[:, r * i + a, r * j + b] for a in range(r) for b in range(r)], dim=-1)
            assert torch.equal(out[:, i * (s // r) + j], want)


def internvl_pixel_shuffle(x, scale_factor=0.5):
    """InternVL's own view/permute sequence (as in its modeling code), on a (B, W, H, C) grid."""
    n, w, h, c = x.size()
    x = x.view(n, w, int(h * scale_factor), int(c / scale_factor))
    x = x.permute(0, 2, 1, 3).contiguous()
    x = x.view(n, int(h * scale_factor), int(w * scale_factor), int(c / (scale_factor * scale_factor)))
    return x.permute(0, 2, 1, 3).contiguous()


def test_space_to_depth_equals_internvls_pixel_shuffle():
    """InternVL reshapes row-major tokens to (B, rows, cols, C) and calls pixel_shuffle on that;
    the lesson says our order is the same as theirs."""
    b, s, d = 2, 8, 3
    x = torch.randn(b, s * s, d)
    ours = m.space_to_depth(x, 2)                                     # (B, 16, 4D)
    theirs = internvl_pixel_shuffle(x.reshape(b, s, s, d)).reshape(b, -1, 4 * d)
    assert torch.equal(ours, theirs)


def test_average_merge_is_the_block_mean_and_matches_avg_pool():
    x = torch.randn(2, 64, 5)
    out = m.average_merge(x, 2)
    ref = torch.nn.functional.avg_pool2d(x.transpose(1, 2).reshape(2, 5, 8, 8), 2).flatten(2).transpose(1, 2)
    assert torch.allclose(out, ref, atol=1e-6)


def test_hand_written_attention_matches_the_fused_kernel():
    torch.manual_seed(0)
    blk = m.CrossAttentionBlock(D_V, 16, heads=4)
    q0, x = torch.randn(2, 7, 16), torch.randn(2, 25, D_V)
    with torch.no_grad():
        mine = blk.attention(q0, x)
        q_in = blk.norm_q(q0)
        kv = torch.cat([blk.kv_from_tokens(blk.norm_x(x)), blk.kv_from_queries(q_in)], dim=1)
        q = blk.to_q(q_in).reshape(2, 7, 4, 4).transpose(1, 2)
        k, v = kv.reshape(2, -1, 2, 4, 4).permute(2, 0, 3, 1, 4)
        ref = torch.nn.functional.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(2, 7, 16)
    assert torch.allclose(mine, ref, atol=1e-5)


def test_resampler_queries_see_every_patch():
    """Changing one patch token changes every query's output (cross-attention reads all N)."""
    torch.manual_seed(0)
    res = m.LearnedQueryResampler(D_V, D_LM, num_queries=3, heads=2)
    x = torch.randn(1, 16, D_V)
    y = x.clone()
    y[0, 15] = torch.randn(D_V) * 3  # a different vector (a constant shift would vanish in LayerNorm)
    diff = (res(x) - res(y)).abs().amax(dim=-1)
    assert (diff > 1e-6).all()


# --- parameter counts --------------------------------------------------------------------------

def test_parameter_counts_at_real_widths():
    real = m.real_size_connectors(1024, 4096)
    assert m.count_params(real["linear"]) == 1024 * 4096 + 4096
    assert m.count_params(real["MLP (LLaVA-1.5)"]) == (1024 * 4096 + 4096) + (4096 * 4096 + 4096)
    wide = 4 * 1024
    assert m.count_params(real["pixel shuffle 2×2 (InternVL)"]) == 2 * wide + wide * 4096 + 4096 + 4096 * 4096 + 4096
    assert m.count_params(real["average merge 2×2"]) == 1024 * 4096 + 4096
    assert all(p.device.type == "meta" for mod in real.values() for p in mod.parameters())


def test_frozen_encoder_has_no_trainable_parameters_and_interpolates_positions():
    enc = m.FrozenViTEncoder(width=16, patch=4, grid=12)
    assert m.count_params(enc) == 0
    assert enc(torch.rand(2, 48, 48)).shape == (2, 144, 16)
    assert enc(torch.rand(2, 24, 24)).shape == (2, 36, 16)
    with pytest.raises(ValueError, match="multiple of the patch size"):
        enc(torch.rand(2, 30, 30))
    with pytest.raises(ValueError, match=r"\(B, H, W\)"):
        enc(torch.rand(2, 1, 48, 48))


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("bad,match", [
    (torch.randn(144, D_V), r"shape \(B, N, D\)"),
    (torch.randn(2, 143, D_V), "square grid"),
    (torch.randn(2, 144, D_V + 1), "built for width"),
])
@pytest.mark.parametrize("name", list(all_connectors()))
def test_connectors_reject_bad_tokens_with_a_clear_message(name, bad, match):
    with pytest.raises(ValueError, match=match):
        all_connectors()[name](bad)


def test_connectors_reject_non_tensors():
    with pytest.raises(TypeError, match="torch.Tensor"):
        m.MLPProjector(D_V, D_LM)(np.zeros((2, 16, D_V)))


def test_merges_reject_a_grid_not_divisible_by_r():
    with pytest.raises(ValueError, match="not divisible by the merge factor"):
        m.PixelShuffleProjector(D_V, D_LM, r=5)(torch.randn(1, 144, D_V))
    with pytest.raises(ValueError, match="not divisible by the merge factor"):
        m.average_merge(torch.randn(1, 36, D_V), 4)


@pytest.mark.parametrize("make", [
    lambda: m.LinearProjector(0, 4),
    lambda: m.MLPProjector(4, -1),
    lambda: m.PixelShuffleProjector(4, 4, r=1.5),
    lambda: m.AverageMergeProjector(4, 4, r=True),
    lambda: m.LearnedQueryResampler(4, 4, num_queries=0),
])
def test_constructors_reject_bad_sizes(make):
    with pytest.raises(ValueError, match="positive integer"):
        make()


def test_resampler_rejects_width_not_divisible_by_heads():
    with pytest.raises(ValueError, match="divisible by heads"):
        m.LearnedQueryResampler(4, 10, num_queries=2, heads=4)


# --- the probe's data ---------------------------------------------------------------------------

def test_ring_scenes_have_equal_ink_and_correct_labels():
    images, labels = m.make_ring_scenes(60, size=48, seed=3)
    assert images.shape == (60, 48, 48) and images.dtype == np.float32
    assert labels.dtype == np.int64 and labels.min() >= 0 and labels.max() <= 5
    assert (images.sum(axis=(1, 2)) == 8 * 12).all()
    assert set(np.unique(images)) <= {0.0, 1.0}
    # count rings independently: a lit 4x4 square whose 2x2 centre is dark
    for img, label in zip(images[:20], labels[:20]):
        rings = 0
        for y in range(45):
            for x in range(45):
                win = img[y:y + 4, x:x + 4]
                if win.sum() == 12 and win[1:3, 1:3].sum() == 0:
                    rings += 1
        assert rings == label


def test_ring_scenes_are_deterministic_per_seed():
    a = m.make_ring_scenes(5, seed=7)
    b = m.make_ring_scenes(5, seed=7)
    c = m.make_ring_scenes(5, seed=8)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("kwargs,match", [
    ({"n": 0}, "positive integer"),
    ({"n": 3, "max_rings": 9}, "max_rings"),
    ({"n": 3, "size": 12}, "do not fit"),
])
def test_ring_scenes_reject_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        m.make_ring_scenes(**kwargs)


def test_downsample_area_averages():
    img = torch.zeros(1, 4, 4)
    img[0, :2, :2] = 1.0
    out = m.downsample(img, 2)
    assert out.shape == (1, 2, 2)
    assert torch.allclose(out[0], torch.tensor([[1.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match=r"\(n, S, S\)"):
        m.downsample(torch.zeros(4, 4), 2)


def test_train_probe_runs_deterministically_and_lowers_the_loss():
    images, labels = m.make_ring_scenes(256, seed=0)
    torch.manual_seed(0)
    enc = m.FrozenViTEncoder()
    feats = m.encode(enc, images)
    y = torch.as_tensor(labels)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        conn = m.MLPProjector(16, 32)
        runs.append(m.train_probe(conn, feats, y, steps=40, batch=32, lr=3e-3, seed=0))
    assert runs[0]["losses"] == runs[1]["losses"]
    assert np.mean(runs[0]["losses"][-10:]) < np.mean(runs[0]["losses"][:5])
    acc = m.accuracy(conn, runs[1]["reader"], feats, y)
    assert 0.0 <= acc <= 1.0 and runs[0]["ms_per_step"] > 0


# --- the exercises' self-checks: cases for tests/test_exercises.py ------------------------------

def shuffle_solution(tokens, r):
    b, n, d = tokens.shape
    s = math.isqrt(n)
    x = tokens.reshape(b, s // r, r, s // r, r, d)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(b, (s // r) ** 2, r * r * d)


def shuffle_no_permute(tokens, r):  # reshape only: mixes the wrong grid positions
    b, n, d = tokens.shape
    return tokens.reshape(b, n // (r * r), r * r * d)


def shuffle_offsets_swapped(tokens, r):  # column offset slower than row offset
    b, n, d = tokens.shape
    s = math.isqrt(n)
    x = tokens.reshape(b, s // r, r, s // r, r, d)
    return x.permute(0, 1, 3, 4, 2, 5).reshape(b, (s // r) ** 2, r * r * d)


def shuffle_averaged(tokens, r):  # averages instead of concatenating
    return m.average_merge(tokens, r)


def tokens_solution(height, width, patch, merge=1, queries=None):
    if queries is not None:
        return queries
    return (height // patch) * (width // patch) // (merge * merge)


def params_solution(d_vision, d_lm, r):
    wide = r * r * d_vision
    return 2 * wide + (wide * d_lm + d_lm) + (d_lm * d_lm + d_lm)


CHECK_CASES = {
    "check_pixel_shuffle": {
        "solution": shuffle_solution,
        "wrong": [shuffle_no_permute, shuffle_offsets_swapped, shuffle_averaged],
    },
    "check_connector_tokens": {
        "solution": tokens_solution,
        "wrong": [
            lambda h, w, p, merge=1, queries=None: (h // p) * (w // p) // merge,          # ÷ m, not m²
            lambda h, w, p, merge=1, queries=None: (h // p) * (w // p) // (merge * merge),  # ignores queries
            lambda h, w, p, merge=1, queries=None: queries or h * w // p // (merge * merge),  # ÷ P once
        ],
    },
    "check_pixel_shuffle_params": {
        "solution": params_solution,
        "wrong": [
            lambda d, l, r: r * r * d * l + l + l * l + l,                                # no LayerNorm
            lambda d, l, r: 2 * r * r * d + r * r * d * l + l * l,                        # no biases
            lambda d, l, r: 2 * d + d * l + l + l * l + l,                                # forgot r²
        ],
    },
}


def test_check_hints_name_the_mistake(capsys):
    assert m.check_pixel_shuffle(shuffle_offsets_swapped) is False
    assert "wrong order" in capsys.readouterr().out
    assert m.check_pixel_shuffle(shuffle_no_permute) is False
    assert "wrong grid positions" in capsys.readouterr().out
    assert m.check_pixel_shuffle(shuffle_averaged) is False
    assert "r² times as wide" in capsys.readouterr().out
    assert m.check_connector_tokens(CHECK_CASES["check_connector_tokens"]["wrong"][0]) is False
    assert "m², not by m" in capsys.readouterr().out
    assert m.check_connector_tokens(CHECK_CASES["check_connector_tokens"]["wrong"][1]) is False
    assert "one token per query" in capsys.readouterr().out
    assert m.check_pixel_shuffle_params(CHECK_CASES["check_pixel_shuffle_params"]["wrong"][0]) is False
    assert "LayerNorm" in capsys.readouterr().out
    assert m.check_pixel_shuffle_params(CHECK_CASES["check_pixel_shuffle_params"]["wrong"][1]) is False
    assert "bias" in capsys.readouterr().out


def test_checks_report_a_crashing_answer(capsys):
    def crashes(*args, **kwargs):
        return undefined_name  # noqa: F821

    for check in (m.check_pixel_shuffle, m.check_connector_tokens, m.check_pixel_shuffle_params):
        assert check(crashes) is False
        assert "NameError" in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(CHECK_CASES))
def test_checks_accept_the_solution_reject_wrong_answers_and_spot_the_stub(name, capsys):
    """The same contract tests/test_exercises.py applies once the lesson is in the toc."""
    check = getattr(m, name)
    assert check(CHECK_CASES[name]["solution"]) is True
    assert "✔" in capsys.readouterr().out
    assert check(CHECK_CASES[name]["solution"], quiet=True) is True
    assert capsys.readouterr().out == ""
    for wrong in CHECK_CASES[name]["wrong"]:
        assert check(wrong) is False
        out = capsys.readouterr().out
        assert "✘" in out and len(out.strip()) > 30

    def stub(*args, **kwargs):
        raise NotImplementedError()

    assert check(stub) is None
    assert "Not attempted" in capsys.readouterr().out
