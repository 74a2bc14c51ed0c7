"""Unit tests of lesson 3.6's export cells: the five connectors, the probe's data and training,
and the exercises' self-checks."""
import math

import numpy as np
import pytest
import torch

from nbexport import load_exports

m = load_exports("notebooks/3-deep-dive/3-6-connectors.ipynb")

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


def test_resampler_queries_see_every_patch():
    """Changing one patch token changes every query's output (cross-attention reads all N)."""
    torch.manual_seed(0)
    res = m.LearnedQueryResampler(D_V, D_LM, num_queries=3, heads=2)
    x = torch.randn(1, 16, D_V)
    y = x.clone()
    y[0, 15] = torch.randn(D_V) * 3  # a different vector (a constant shift would vanish in LayerNorm)
    diff = (res(x) - res(y)).abs().amax(dim=-1)
    assert (diff > 1e-6).all()



def test_resampler_matches_an_explicit_softmax_attention():
    """The fused kernel inside the resampler computes softmax(q k^T / sqrt(d)) v over [tokens; queries]."""
    torch.manual_seed(0)
    res = m.LearnedQueryResampler(D_V, 16, num_queries=3, heads=4)
    x = torch.randn(2, 25, D_V)
    with torch.no_grad():
        q_in = res.norm_q(res.queries).expand(2, 3, 16)
        kv = torch.cat([res.kv_tokens(res.norm_x(x)), res.kv_queries(q_in)], dim=1)
        q = res.to_q(q_in).reshape(2, 3, 4, 4).transpose(1, 2)
        k, v = kv.reshape(2, -1, 2, 4, 4).permute(2, 0, 3, 1, 4)
        w = torch.softmax(q @ k.transpose(-1, -2) / 2.0, dim=-1)
        h = res.queries + res.out((w @ v).transpose(1, 2).reshape(2, 3, 16))
        want = res.proj(h + res.ff(h))
        assert torch.allclose(res(x), want, atol=1e-5)


# --- parameter counts --------------------------------------------------------------------------

def test_parameter_counts_at_real_widths():
    with torch.device("meta"):
        lin, mlp = m.LinearProjector(1024, 4096), m.MLPProjector(1024, 4096)
        ps, avg = m.PixelShuffleProjector(1024, 4096, 2), m.AverageMergeProjector(1024, 4096, 2)
    assert m.count_params(lin) == 1024 * 4096 + 4096
    assert m.count_params(mlp) == (1024 * 4096 + 4096) + (4096 * 4096 + 4096)
    wide = 4 * 1024
    assert m.count_params(ps) == 2 * wide + wide * 4096 + 4096 + 4096 * 4096 + 4096
    # the average merge gets the same kind of MLP: only its first layer is narrower
    assert m.count_params(ps) - m.count_params(avg) == 2 * (wide - 1024) + (wide - 1024) * 4096


def test_frozen_encoder_has_no_trainable_parameters_and_interpolates_positions_bicubically():
    enc = m.FrozenViTEncoder(width=16, patch=4, grid=8)
    assert m.count_params(enc) == 0
    assert enc(torch.rand(2, 32, 32)).shape == (2, 64, 16)
    assert enc(torch.rand(2, 48, 48)).shape == (2, 144, 16)


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


# --- the probe's data and training --------------------------------------------------------------

def test_ring_scenes_have_equal_ink_and_correct_labels():
    images, labels = m.make_ring_scenes(60, size=32, seed=3)
    assert images.shape == (60, 32, 32) and images.dtype == np.float32
    assert labels.dtype == np.int64 and labels.min() >= 0 and labels.max() <= 5
    assert (images.sum(axis=(1, 2)) == 5 * 12).all()
    assert set(np.unique(images)) <= {0.0, 1.0}
    # count rings independently: a lit 4x4 square whose 2x2 centre is dark
    for img, label in zip(images[:20], labels[:20]):
        rings = sum(1 for y in range(29) for x in range(29)
                    if img[y:y + 4, x:x + 4].sum() == 12 and img[y + 1:y + 3, x + 1:x + 3].sum() == 0)
        assert rings == label


def test_ring_scenes_are_deterministic_per_seed():
    a = m.make_ring_scenes(5, seed=7)
    b = m.make_ring_scenes(5, seed=7)
    c = m.make_ring_scenes(5, seed=8)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_train_probe_is_deterministic_and_learns():
    images, labels = m.make_ring_scenes(256, seed=0)
    torch.manual_seed(0)
    feats = m.FrozenViTEncoder()(torch.as_tensor(images))
    y = torch.as_tensor(labels)
    accs = []
    for _ in range(2):
        torch.manual_seed(0)
        conn = m.MLPProjector(16, 32)
        reader = m.train_probe(conn, feats, y, steps=60, batch=32, seed=0)
        accs.append(m.accuracy(conn, reader, feats, y))
    assert accs[0] == accs[1]
    assert accs[0] > np.bincount(labels).max() / len(labels) + 0.05  # fits its training data


# --- the exercises' self-checks: cases for tests/test_exercises.py ------------------------------

def d2s_solution(tokens, r):
    b, mm, wide = tokens.shape
    side, d = math.isqrt(mm), wide // (r * r)
    return tokens.reshape(b, side, side, r, r, d).permute(0, 1, 3, 2, 4, 5).reshape(b, (side * r) ** 2, d)


def d2s_no_permute(tokens, r):  # reshape only: right numbers, wrong grid positions
    b, mm, wide = tokens.shape
    return tokens.reshape(b, mm * r * r, wide // (r * r))


def d2s_wide_kept(tokens, r):  # returns the merged tokens unchanged
    return tokens


def d2s_offsets_swapped(tokens, r):  # column offset before row offset
    b, mm, wide = tokens.shape
    side, d = math.isqrt(mm), wide // (r * r)
    return tokens.reshape(b, side, side, r, r, d).permute(0, 1, 4, 2, 3, 5).reshape(b, (side * r) ** 2, d)


def gap_solution():
    return 0.06


CHECK_CASES = {
    "check_depth_to_space": {
        "solution": d2s_solution,
        "wrong": [d2s_no_permute, d2s_wide_kept, d2s_offsets_swapped],
    },
    "check_new_seed_gap": {
        "solution": gap_solution,
        "wrong": [lambda: -0.06, lambda: 6.0, lambda: [0.4, 0.35], lambda: 0.5],
    },
}


def test_check_hints_name_the_mistake(capsys):
    assert m.check_depth_to_space(d2s_no_permute) is False
    assert "wrong grid positions" in capsys.readouterr().out
    assert m.check_depth_to_space(d2s_wide_kept) is False
    assert "r² = 4 narrow ones" in capsys.readouterr().out
    assert m.check_new_seed_gap(lambda: -0.06) is False
    assert "minus average merge" in capsys.readouterr().out
    assert m.check_new_seed_gap(lambda: 6.0) is False
    assert "as a fraction" in capsys.readouterr().out
    assert m.check_new_seed_gap(lambda: [0.4, 0.35]) is False
    assert "not a list" in capsys.readouterr().out
    assert m.check_new_seed_gap(lambda: True) is False
    assert "bool" in capsys.readouterr().out


def test_gap_check_rejects_the_lessons_own_seeds(capsys, monkeypatch):
    monkeypatch.setattr(m, "GAP_SEEDS_012", 0.07)
    assert m.check_new_seed_gap(lambda: 0.07) is False
    assert "seeds 3, 4 and 5" in capsys.readouterr().out


def test_checks_report_a_crashing_answer(capsys):
    def crashes(*args, **kwargs):
        return undefined_name  # noqa: F821

    for check in (m.check_depth_to_space, m.check_new_seed_gap):
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
