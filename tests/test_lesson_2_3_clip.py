"""Unit tests of lesson 2.3 (training a tiny CLIP): the carried-over CLIP cell, bad input, checks.

(v1's ``tests/test_lesson_2_3.py`` tests the token estimator, now lesson 2.4.)
"""
import pytest
import torch

from nbexport import load_exports

NB = "notebooks/2-guided/2-3-training-a-tiny-clip.ipynb"


@pytest.fixture(scope="module")
def m():
    torch.set_num_threads(1)
    return load_exports(NB)


# --- data -----------------------------------------------------------------------------------

def test_render_shapes_dtypes_and_determinism(m):
    seen, held = m.diagonal_split(0)
    images, labels = m.render(64, seen, seed=3)
    assert images.shape == (64, 3, m.IMAGE, m.IMAGE) and images.dtype == torch.uint8
    assert labels.shape == (64, 3) and labels.dtype == torch.long
    assert {(int(c), int(s)) for c, s, _ in labels} <= set(seen)
    again, _ = m.render(64, seen, seed=3)
    assert torch.equal(images, again)
    other, _ = m.render(64, seen, seed=4)
    assert not torch.equal(images, other)
    gen = torch.Generator().manual_seed(3)
    assert torch.equal(m.render(64, seen, gen)[0], images)     # a Generator works too


def test_render_draws_the_labelled_colour(m):
    images, labels = m.render(200, [(c, s) for c in range(5) for s in range(5)], seed=0)
    for image, (c, _, _) in zip(images.float() / 255, labels):
        ink = image.reshape(3, -1)[:, (image.reshape(3, -1) - image[:, 0, 0, None]).norm(dim=0) > 0.3]
        palette = m.PALETTE                                     # (5, 3)
        nearest = (palette[:, :, None] - ink[None]).norm(dim=1).mean(dim=1).argmin()
        assert int(nearest) == int(c)


@pytest.mark.parametrize("args,err,words", [
    ((3, []), ValueError, "combos is empty"),
    ((0, [(0, 0)]), ValueError, "positive int"),
    ((2.5, [(0, 0)]), ValueError, "positive int"),
])
def test_render_bad_input(m, args, err, words):
    with pytest.raises(err, match=words):
        m.render(*args)


def test_diagonal_split(m):
    for k in range(5):
        seen, held = m.diagonal_split(k)
        assert len(seen) == 20 and len(held) == 5 and not set(seen) & set(held)
        assert sorted(c for c, _ in held) == list(range(5))
        assert sorted(s for _, s in held) == list(range(5))
    assert m.diagonal_split(0)[1] != m.diagonal_split(1)[1]
    with pytest.raises(TypeError, match="int"):
        m.diagonal_split("0")


def test_captions_and_tokens(m):
    label = torch.tensor([0, 4, 1])                             # red, cross, large
    assert m.caption(label) == "a large red cross"
    ids = m.tokenize(["a large red cross", "A blue circle"])
    assert ids.shape == (2, 4) and ids[1, 3] == 0
    assert torch.equal(m.caption_ids(label[None]), ids[:1])
    with pytest.raises(TypeError, match="list of captions"):
        m.tokenize("a red circle")
    with pytest.raises(ValueError, match="unknown word 'pink'"):
        m.tokenize(["a pink circle"])


# --- model ----------------------------------------------------------------------------------

def test_model_shapes_unit_rows_and_scale(m):
    torch.manual_seed(0)
    model = m.TinyCLIP()
    images, labels = m.render(8, m.diagonal_split(0)[0], seed=0)
    img = model.encode_image(images.float() / 255)
    txt = model.encode_text(m.caption_ids(labels))
    assert img.shape == txt.shape == (8, 32)
    torch.testing.assert_close(img.norm(dim=1), torch.ones(8))
    torch.testing.assert_close(txt.norm(dim=1), torch.ones(8))
    assert model.logit_scale().item() == pytest.approx(1 / 0.07, rel=1e-6)
    with torch.no_grad():
        model.log_scale.fill_(9.0)
    assert model.logit_scale().item() == pytest.approx(100.0, rel=1e-6)
    plain = m.TinyCLIP(outline=False)
    assert plain.image_encoder.features[0].in_channels == 3
    assert model.image_encoder.features[0].in_channels == 4


def test_outline_channel(m):
    images = torch.full((2, 3, 8, 8), 0.9)
    images[0, :, 3:5, 3:5] = torch.tensor([0.9, 0.9, 0.1]).view(3, 1, 1)
    out = m.add_outline_channel(images)
    assert out.shape == (2, 4, 8, 8)
    torch.testing.assert_close(out[:, :3], images)
    assert out[0, 3, 3, 3] == pytest.approx(0.8) and out[0, 3, 0, 0] == 0
    assert out[1, 3].abs().max() == 0


def test_encoder_rejects_uint8_and_wrong_layout(m):
    model = m.TinyCLIP()
    images, _ = m.render(2, [(0, 0)], seed=0)
    with pytest.raises(TypeError, match=r"uint8.*images.float\(\) / 255"):
        model.encode_image(images)
    with pytest.raises(TypeError, match="torch.Tensor"):
        model.encode_image(images.numpy())
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        model.encode_image(images.permute(0, 2, 3, 1).float() / 255)   # channels-last


def test_clip_loss_rejects_string_scale(m):
    with pytest.raises(TypeError, match="logit_scale"):
        m.clip_loss(torch.ones(2, 3), torch.ones(2, 3), "14.3")


def test_short_training_learns_and_records_settings(m):
    model, history = m.train_clip(seed=1, steps=60, batch=64, split=1)
    assert history["seed"] == 1 and history["steps"] == 60 and history["batch"] == 64
    assert history["split"] == 1 and len(history["loss"]) == 60 and history["seconds"] > 0
    assert sum(history["loss"][-10:]) / 10 < 0.8 * sum(history["loss"][:10]) / 10
    acc = m.zero_shot_accuracy(model, split=1, n=500)
    rec = m.recall_at_1(model, split=1, pools=3)
    assert set(acc) == {"held_out", "seen"} and set(rec) == {"i2t", "t2i"}
    assert all(0 <= v <= 1 for v in [*acc.values(), *rec.values()])
    assert acc["seen"] > 0.2                       # far above chance (1/25) after 60 steps
    again, _ = m.train_clip(seed=1, steps=3, batch=16, split=1)
    once_more, _ = m.train_clip(seed=1, steps=3, batch=16, split=1)
    for p, q in zip(again.parameters(), once_more.parameters()):
        assert torch.equal(p, q)                   # seeded: the same run twice


def test_untrained_model_is_near_chance(m):
    torch.manual_seed(0)
    acc = m.zero_shot_accuracy(m.TinyCLIP().eval(), split=0, n=500)
    assert acc["seen"] < 0.3


# --- exercise checks ------------------------------------------------------------------------

def _todo(*args):
    raise NotImplementedError()


def _recall_at_k(sim, k):
    best = sim.topk(k, dim=1).indices
    return (best == torch.arange(len(sim))[:, None]).any(dim=1).float().mean().item()


def _recall_columns(sim, k):
    return _recall_at_k(sim.T, k)


def _recall_smallest(sim, k):
    best = sim.topk(k, dim=1, largest=False).indices
    return (best == torch.arange(len(sim))[:, None]).any(dim=1).float().mean().item()


def _recall_k_plus_1(sim, k):
    return _recall_at_k(sim, min(k + 1, len(sim)))


def _recall_broadcast(sim, k):
    """The learner's slip: row numbers as a row, so (N, k) == (N,) broadcasts to (N, N) at k=1."""
    best = sim.topk(k, dim=1).indices
    return (best == torch.arange(len(sim))).any(dim=1).float().mean().item()


def test_check_recall_at_k(m, capsys):
    assert m.check_recall_at_k(_recall_at_k) is True
    assert "✔" in capsys.readouterr().out
    assert m.check_recall_at_k(_todo) is None
    assert "Not attempted" in capsys.readouterr().out
    for wrong, words in [(_recall_columns, "columns"), (_recall_smallest, "smallest"),
                         (_recall_k_plus_1, "k + 1"), (_recall_broadcast, "broadcast to (N, N)"),
                         (lambda s, k: _recall_at_k(s, 1), "top one"),
                         (lambda s, k: torch.tensor(_recall_at_k(s, k)), ".item()"),
                         (lambda s, k: (s.topk(k, dim=1).indices == torch.arange(len(s))[:, None]).any(1).mean(),
                          ".float()"),
                         (lambda s, k: int(_recall_at_k(s, k)), "float")]:
        assert m.check_recall_at_k(wrong) is False
        assert words in capsys.readouterr().out


def _fake_run(**settings):
    history = {"loss": [], "scale": [], "seed": 0, "steps": 250, "batch": 64, "split": 0}
    history.update(settings)
    return lambda: (None, history)


def test_check_half_batch_wrong_and_stub(m, capsys):
    assert m.check_half_batch(_todo) is None
    assert "Not attempted" in capsys.readouterr().out
    for wrong, words in [(_fake_run(batch=128), "batch=128"), (_fake_run(steps=400), "steps=400"),
                         (_fake_run(seed=1), "seed=1"), (lambda: "a model", "(model, history)"),
                         (lambda: 1 / 0, "raised ZeroDivisionError")]:
        assert m.check_half_batch(wrong) is False
        assert words in capsys.readouterr().out


def _half_batch_solution():
    import nbexport
    mod = nbexport.load_exports(NB)
    return mod.train_clip(seed=0, steps=250, split=0, batch=64)


def test_check_half_batch_accepts_the_run(m, capsys):
    assert m.check_half_batch(_half_batch_solution) is True
    out = capsys.readouterr().out
    assert "✔" in out and "held-out pairs" in out
    assert m.check_half_batch(_half_batch_solution, quiet=True) is True   # cached: no retraining
    assert capsys.readouterr().out == ""


CHECK_CASES = {
    "check_recall_at_k": {"solution": _recall_at_k,
                          "wrong": [_recall_columns, _recall_smallest, _recall_k_plus_1, _recall_broadcast]},
    "check_half_batch": {"solution": _half_batch_solution,
                         "wrong": [_fake_run(batch=128), _fake_run(steps=400), lambda: "a model"]},
}
