"""Unit tests of lesson 3.2 (a ViT at work): the FLOP formula, the course's timer, the memory
meter, the synthetic scenes, `interpolate_positions` and the bad input it refuses, the cells
carried over from lesson 3.1, and the exercises' self-checks.

(The file is not test_lesson_3_2.py: in v2, lesson 3.2 is v1's lesson 3.1, second half.)"""
import math

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from nbexport import ROOT, export_sources, load_exports

NB = "notebooks/3-deep-dive/3-2-a-vit-at-work.ipynb"
m = load_exports(NB)


# --- cost: FLOPs, the timer, memory -------------------------------------------------------------

@pytest.mark.parametrize("n,d,r", [(17, 64, 4), (197, 48, 2), (130, 96, 3)])
def test_block_flops_equal_pytorchs_count_on_the_carried_block(n, d, r):
    block = m.Block(d, 4, mlp_ratio=r).eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        block(torch.randn(1, n, d))
    assert m.block_flops(n, d, r) == counter.get_total_flops()


def test_attention_products_overtake_the_rest_at_6d():
    d = 192
    for n, more in ((6 * d - 1, False), (6 * d + 1, True)):
        attention = 4 * n * n * d
        assert (attention > m.block_flops(n, d) - attention) is more
    assert abs(100 * 4 * 577 * 577 * 1024 / m.block_flops(577, 1024) - 8.58) < 0.01


def test_time_it_is_the_median_after_warmup(monkeypatch):
    clock, calls = {"t": 0.0}, []
    durations = iter([9.0, 9.0, 0.3, 0.1, 0.2, 5.0, 0.4, 0.2, 0.1])   # 2 warm-up calls, then 7 timed

    def fn(x):
        calls.append(x)
        clock["t"] += next(durations)

    monkeypatch.setattr(m.time, "perf_counter", lambda: clock["t"])
    assert m.time_it(fn, 7) == pytest.approx(0.2)      # the median: slow warm-up and one outlier ignored
    assert calls == [7] * 9


def test_time_it_source_is_contributings():
    guide = (ROOT / "CONTRIBUTING.md").read_text()
    timer = next(s for s in export_sources(NB) if "def time_it(" in s)
    body = "\n".join(timer.strip().split("\n")[1:]).strip()       # without its #@title line
    assert body in guide


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


def test_explicit_attention_holds_two_matrices_and_fused_does_not():
    n, h = 1024, 2
    q, k, v = torch.randn(3, 1, h, n, 16)
    peaks = {}
    for name, fn in (("explicit", lambda: m.attention(q, k, v)), ("fused", lambda: F.scaled_dot_product_attention(q, k, v))):
        with m.PeakTensorMemory() as meter:
            out = fn()
        del out
        peaks[name] = meter.peak_bytes
    matrix = h * n * n * 4
    assert 2 * matrix <= peaks["explicit"] < 2 * matrix + 4 * n * 16 * 4 * 4
    assert peaks["fused"] < 0.1 * peaks["explicit"]


# --- interpolate_positions -----------------------------------------------------------------------

def flat_table_reference(table, old, new):
    """The transformers-style interpolation of a flat (1, 1 + s*s, D) table, written independently."""
    d = table.shape[-1]
    grid = table[0, 1:].reshape(old, old, d).permute(2, 0, 1)[None]
    grid = F.interpolate(grid, size=(new, new), mode="bicubic", align_corners=False)[0]
    return torch.cat([table[0, :1], grid.permute(1, 2, 0).reshape(new * new, d)])[None]


@pytest.mark.parametrize("old,new", [(4, 6), (4, 8), (14, 24), (3, 2)])
def test_interpolate_positions(old, new):
    g = torch.Generator().manual_seed(0)
    table = torch.randn(1, 1 + old * old, 8, generator=g)
    out = m.interpolate_positions(table, new)
    assert out.shape == (1, 1 + new * new, 8)
    assert torch.equal(out[:, 0], table[:, 0])                       # [CLS] row untouched
    torch.testing.assert_close(out, flat_table_reference(table, old, new))
    torch.testing.assert_close(m.interpolate_positions(table, old), table)   # same grid, same table


def test_interpolation_keeps_a_constant_grid_constant_and_places_rows_row_major():
    const = torch.cat([torch.zeros(1, 1, 3), torch.full((1, 16, 3), 0.7)], dim=1)
    torch.testing.assert_close(m.interpolate_positions(const, 7)[:, 1:], torch.full((1, 49, 3), 0.7))
    # a table whose value is the column index stays increasing along each row, constant down columns
    cols = torch.arange(4.0).repeat(4)                               # row-major: 0 1 2 3 0 1 2 3 ...
    table = torch.cat([torch.zeros(1), cols])[None, :, None]
    grid = m.interpolate_positions(table, 6)[0, 1:, 0].reshape(6, 6)
    assert (grid[:, 1:] > grid[:, :-1]).all() and torch.allclose(grid, grid[:1].expand(6, 6))


@pytest.mark.parametrize("shape", [(1, 16, 4), (1, 18, 4), (1, 196, 4), (1, 1, 4), (577, 1024)])
def test_interpolate_positions_refuses_a_table_that_is_not_cls_plus_a_square(shape):
    with pytest.raises(ValueError, match=r"is not \(1, 1 \+ s\*s, D\): one \[CLS\] row \+ a square grid"):
        m.interpolate_positions(torch.zeros(shape), 6)
    assert str(shape).replace(" ", "") in str(pytest.raises(ValueError, m.interpolate_positions,
                                                             torch.zeros(shape), 6).value).replace(" ", "")


def test_vit_runs_at_a_new_resolution_only_with_a_resized_table():
    torch.manual_seed(0)
    vit = m.ViT(img_size=32, patch=8, dim=16, depth=1, heads=2).eval()
    x48 = torch.rand(2, 3, 48, 48)
    with torch.no_grad():
        with pytest.raises(ValueError, match="37 tokens but the position table has 17 rows"):
            vit(x48)
        assert vit(x48, pos_embed=m.interpolate_positions(vit.pos_embed, 6)).shape == (2, 8)


# --- scenes --------------------------------------------------------------------------------------

def test_scenes_are_deterministic_and_labels_encode_shape_and_side():
    s1, s2 = m.sample_scenes(64, seed=3), m.sample_scenes(64, seed=3)
    x1, y1 = m.render_scenes(s1, 32)
    x2, y2 = m.render_scenes(s2, 32)
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    assert x1.shape == (64, 3, 32, 32) and 0 <= x1.min() and x1.max() <= 1
    assert torch.equal(y1, torch.from_numpy(s1["shape"] + 4 * s1["side"]))
    assert ((s1["cx"] > 0.5) == (s1["side"] == 1)).all()


def test_same_scenes_at_two_resolutions():
    s = m.sample_scenes(16, seed=0)
    _, y32, c32 = m.render_scenes(s, 32, return_mask=True)
    x48, y48, c48 = m.render_scenes(s, 48, return_mask=True)
    assert torch.equal(y32, y48) and x48.shape == (16, 3, 48, 48)
    np.testing.assert_allclose(c32.mean((1, 2)).numpy(), c48.mean((1, 2)).numpy(), atol=0.01)


# --- carried over from lesson 3.1 ----------------------------------------------------------------

def test_carried_cells_equal_lesson_3_1s_export_cells():
    origin = export_sources("notebooks/3-deep-dive/3-1-attention-and-the-vit.ipynb")
    nb = nbformat.read(ROOT / NB, as_version=4)
    carried = [c.source for c in nb.cells if c.cell_type == "code"
               and c.source.startswith("#@title From lesson 3.1, unchanged")]
    assert len(carried) == 2
    for source in carried:
        assert source.split("\n", 1)[1].strip() in [o.strip() for o in origin]


# --- the exercises' self-checks: cases for tests/test_exercises.py ------------------------------

RIGHT_64 = {"side interpolated": 0.96, "side zero-padded": 0.42, "shape interpolated": 0.72}

CHECK_CASES = {
    "check_attention_share": {
        "solution": lambda: 100 * 4 * 577 / (24 * 1024 + 4 * 577),
        "wrong": [lambda: 50.0, lambda: 0.0858, lambda: 22.0, lambda: 4.0, lambda: "8.6", lambda: None],
    },
    "check_twice_the_resolution": {
        "solution": lambda: dict(RIGHT_64),
        "wrong": [
            lambda: {k: 100 * v for k, v in RIGHT_64.items()},                            # percentages
            lambda: {"side interpolated": 0.42, "side zero-padded": 0.96, "shape interpolated": 0.72},
            lambda: {"side interpolated": 0.99, "side zero-padded": 0.99, "shape interpolated": 0.98},  # 32 px
            lambda: {k: torch.tensor(v) for k, v in RIGHT_64.items()},                    # tensors
            lambda: {"side interpolated": 0.55, "side zero-padded": 0.42, "shape interpolated": 0.72},
            lambda: {"side": 0.96, "shape": 0.72},                                        # keys
            lambda: [0.96, 0.42, 0.72],
        ],
    },
}


def test_attention_share_check_explains_its_verdicts(capsys):
    for value, words in [(50.0, "6D = 6,144"), (0.0858, "fraction"), (22.0, "MLP is missing"),
                         (4.0, "577 tokens")]:
        assert m.check_attention_share(lambda: value) is False
        assert words in capsys.readouterr().out
    assert m.check_attention_share(lambda: 10) is True


def test_twice_the_resolution_check_explains_its_verdicts(capsys):
    wrong = CHECK_CASES["check_twice_the_resolution"]["wrong"]
    for fn, words in zip(wrong, ["percentages", "swapped", "32 px", ".item()", "interpolate_positions",
                                 "exactly the keys", "exactly the keys"]):
        assert m.check_twice_the_resolution(fn) is False
        assert words in capsys.readouterr().out
