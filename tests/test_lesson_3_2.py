"""Unit tests of lesson 3.2 (Contrastive alignment, deeper): its export cells and self-checks."""
import math

import pytest
import torch
import torch.nn.functional as F

from nbexport import load_exports

NB = "notebooks/3-deep-dive/3-2-contrastive-alignment.ipynb"


@pytest.fixture(scope="module")
def m():
    return load_exports(NB)


def unit(n, d, seed=0):
    return F.normalize(torch.randn(n, d, generator=torch.Generator().manual_seed(seed)), dim=-1)


# --- contrastive_loss -------------------------------------------------------------------------

def test_contrastive_loss_chance_level(m):
    a, b = unit(64, 16, 0), unit(64, 16, 1)
    assert m.contrastive_loss(a, b, 1e-6).item() == pytest.approx(math.log(64), abs=1e-4)
    assert m.contrastive_loss(a, b, 1e-6, group=4).item() == pytest.approx(math.log(4), abs=1e-4)


def test_contrastive_loss_matches_explicit_formula(m):
    a, b = unit(8, 16, 2), unit(8, 16, 3)
    logits = 10.0 * a @ b.T
    y = torch.arange(8)
    want = (F.cross_entropy(logits, y) + F.cross_entropy(logits.T, y)) / 2
    assert m.contrastive_loss(a, b, 10.0).item() == pytest.approx(want.item(), abs=1e-5)
    # grouping into one group of the whole batch is the same as no grouping
    assert m.contrastive_loss(a, b, 10.0, group=8).item() == pytest.approx(want.item(), abs=1e-6)


def test_contrastive_loss_perfect_alignment_goes_to_zero(m):
    a = F.normalize(torch.eye(8) - 1 / 8, dim=-1)
    assert m.contrastive_loss(a, a, 100.0).item() < 1e-6


@pytest.mark.parametrize("args, err", [
    ((unit(8, 4), unit(6, 4), 10.0, None), ValueError),
    ((unit(8, 4), unit(8, 4), 0.0, None), ValueError),
    ((unit(8, 4), unit(8, 4), 10.0, 3), ValueError),
    ((unit(8, 4), unit(8, 4), 10.0, 1), ValueError),
    (([[1.0]], unit(1, 1), 10.0, None), TypeError),
])
def test_contrastive_loss_bad_input(m, args, err):
    with pytest.raises(err):
        m.contrastive_loss(*args[:3], group=args[3])


# --- hard_negative_loss -----------------------------------------------------------------------

def test_hard_negative_loss_without_negatives_is_clip_loss(m):
    a, b = unit(6, 8, 4), unit(6, 8, 5)
    empty = torch.zeros(0, 8)
    assert m.hard_negative_loss(a, b, empty, 14.3).item() == pytest.approx(
        m.contrastive_loss(a, b, 14.3).item(), abs=1e-6)


def test_hard_negative_loss_grows_with_a_negative_equal_to_the_positive(m):
    a = F.normalize(torch.eye(4) - 0.25, dim=-1)
    plain = m.hard_negative_loss(a, a, torch.zeros(0, 4), 20.0).item()
    tied = m.hard_negative_loss(a, a, a.clone(), 20.0).item()  # each image's negative == its caption
    assert tied > plain + 0.3  # a tie halves p(match) in the image->text direction: +log 2 / 2


def test_hard_negative_loss_bad_shapes(m):
    with pytest.raises(ValueError):
        m.hard_negative_loss(unit(4, 8), unit(4, 8), unit(4, 6), 10.0)
    with pytest.raises(ValueError):
        m.hard_negative_loss(unit(4, 8), unit(5, 8), unit(4, 8), 10.0)


# --- data, tokenizer and caption edits --------------------------------------------------------

def test_make_single_shapes(m):
    d = m.make_single_shapes(20, seed=0)
    assert d["images"].shape == (20, 3, 32, 32) and d["images"].dtype == torch.uint8
    assert torch.equal(d["label"], d["colour"] * len(m.SHAPES) + d["shape"])
    assert torch.equal(d["images"], m.make_single_shapes(20, seed=0)["images"])  # seeded
    caps = m.single_captions(d, seed=0)
    assert len(caps) == 20 and all(isinstance(c, str) for c in caps)
    with pytest.raises(ValueError):
        m.make_single_shapes(0, seed=0)


def test_shapes_are_painted_where_asked(m):
    g = torch.Generator().manual_seed(0)
    bg = torch.zeros(4, 3, 32, 32)
    out = m.render_shapes(bg, torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 3]),
                          torch.full((4,), 16.0), torch.full((4,), 16.0), torch.full((4,), 8.0), g)
    assert (out[:, :, 16, 16].sum(1) > 0.5).all()  # centre covered
    assert (out[:, :, 1, 1] == 0).all()  # corner untouched
    with pytest.raises(ValueError):
        m.shape_distance(7, torch.zeros(1), torch.zeros(1), 1.0)
    with pytest.raises(ValueError):
        m.render_shapes(torch.zeros(3, 32, 32), torch.tensor([0]), torch.tensor([0]),
                        torch.ones(1), torch.ones(1), torch.ones(1), g)


def test_tokenize(m):
    t = m.tokenize(["a small red circle", "a photo of a red circle"])
    assert t.shape == (2, m.MAX_WORDS)
    assert t[0, 4:].eq(0).all() and t[1, 1].item() == m.WORD_ID["<unk>"]
    with pytest.raises(TypeError):
        m.tokenize("a red circle")
    with pytest.raises(ValueError):
        m.tokenize(["one two three four five six seven eight nine"])
    with pytest.raises(ValueError):
        m.tokenize([""])


def test_pair_scenes_and_swaps(m):
    d = m.make_pair_scenes(30, seed=1)
    s = m.make_pair_scenes(30, seed=1, swap=True)
    assert d["images"].shape == (30, 3, 32, 64)
    assert (d["left"] != d["right"]).all()
    assert torch.equal(d["left"], s["right"]) and torch.equal(d["right"], s["left"])
    c = "a red circle left of a blue square"
    assert m.object_swap(c) == "a blue square left of a red circle"
    assert m.relation_swap(c) == "a red circle right of a blue square"
    assert m.relation_swap(m.relation_swap(c)) == c and m.object_swap(m.object_swap(c)) == c
    for cap in d["captions"]:
        assert sorted(m.object_swap(cap).split()) == sorted(cap.split())
    for bad in ["a red circle", "a red circle above of a blue square", 42]:
        with pytest.raises(ValueError):
            m.object_swap(bad)
        with pytest.raises(ValueError):
            m.relation_swap(bad)


def test_swap_accuracy_counts_ties_as_half(m):
    a = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert m.swap_accuracy(a, a) == 0.5
    assert m.swap_accuracy(a, a - 1) == 1.0
    assert m.swap_accuracy(a, torch.tensor([0.0, 2.0, 5.0, 5.0])) == pytest.approx(0.375)
    with pytest.raises(ValueError):
        m.swap_accuracy(a, a[:2])


# --- encoders ---------------------------------------------------------------------------------

def test_bag_of_words_is_permutation_invariant_for_any_weights(m):
    tokens = m.tokenize(["a red circle left of a blue square", "a green cross right of a yellow triangle"])
    swapped = m.tokenize([m.object_swap(c) for c in ["a red circle left of a blue square",
                                                       "a green cross right of a yellow triangle"]])
    for seed in range(3):
        torch.manual_seed(seed)
        bow = m.BagOfWords(len(m.VOCAB))
        assert torch.equal(bow(tokens), bow(swapped))


def test_transformer_is_order_aware(m):
    torch.manual_seed(0)
    enc = m.TextTransformer(len(m.VOCAB))
    c = "a red circle left of a blue square"
    out = enc(m.tokenize([c, m.object_swap(c)]))
    assert out.shape == (2, 32) and not torch.allclose(out[0], out[1], atol=1e-4)


def test_image_encoder_pools_and_clip_normalises(m):
    x = torch.randint(0, 256, (2, 3, 32, 64), dtype=torch.uint8)
    for pool in ("global", "halves"):
        model = m.TinyCLIP(m.ImageEncoder(pool=pool), m.TextTransformer(len(m.VOCAB)))
        e = model.encode_image(x)
        assert e.shape == (2, 32) and torch.allclose(e.norm(dim=-1), torch.ones(2), atol=1e-5)
    with pytest.raises(ValueError):
        m.ImageEncoder(pool="max")
    fixed = m.TinyCLIP(m.ImageEncoder(), m.BagOfWords(len(m.VOCAB)), logit_scale=100.0, learn_scale=False)
    assert fixed.logit_scale().item() == pytest.approx(100.0, rel=1e-5)
    assert "log_scale" not in dict(fixed.named_parameters())
    learned = m.TinyCLIP(m.ImageEncoder(), m.BagOfWords(len(m.VOCAB)), logit_scale=1000.0)
    assert learned.logit_scale().item() == 100.0  # clamped as in CLIP


def test_train_clip_runs_and_validates(m):
    torch.manual_seed(0)
    d = m.make_single_shapes(64, seed=0)
    tokens = m.tokenize(m.single_captions(d, seed=0))
    model = m.TinyCLIP(m.ImageEncoder(), m.TextTransformer(len(m.VOCAB)))
    h = m.train_clip(model, d["images"], tokens, steps=3, batch_size=16, group=8)
    assert len(h["loss"]) == 3 and len(h["scale"]) == 3 and h["cpu_s"] >= 0
    with pytest.raises(ValueError):
        m.train_clip(model, d["images"], tokens[:10], steps=1)
    with pytest.raises(ValueError):
        m.train_clip(model, d["images"], tokens, steps=1, group=8, negatives=[tokens])
    with pytest.raises(ValueError):
        m.embed(model)


# --- gap measures, zero-shot helpers ----------------------------------------------------------

def test_modality_gap_report(m):
    img = F.normalize(unit(200, 8, 0) + torch.tensor([3.0] + [0.0] * 7), dim=-1)
    txt = F.normalize(unit(200, 8, 1) - torch.tensor([3.0] + [0.0] * 7), dim=-1)
    labels = torch.arange(200) % 4
    r = m.modality_gap_report(img, txt, labels)
    assert r["centroid distance"] == pytest.approx((img.mean(0) - txt.mean(0)).norm().item(), abs=1e-6)
    assert r["separability"] > 0.95 and r["cos image-image"] > 0.5
    same = m.modality_gap_report(img, img.clone(), labels)
    assert same["centroid distance"] == 0.0 and same["cos matched"] == pytest.approx(1.0, abs=1e-5)
    mixed = unit(400, 8, 2)
    assert abs(m.linear_separability(mixed[:200], mixed[200:]) - 0.5) < 0.15
    with pytest.raises(ValueError):
        m.modality_gap_report(img, txt[:10], labels)


def test_zero_shot_helpers(m):
    prompts = m.class_prompts("a {z} {c} {s}", "small")
    assert len(prompts) == len(m.COLOURS) * len(m.SHAPES) and prompts[0] == "a small red circle"
    cls = unit(3, 4, 0)
    assert m.zero_shot_accuracy(cls, torch.tensor([0, 1, 2]), cls) == 1.0
    ens = m.ensemble_class_embeddings(torch.stack([cls, cls]))
    assert torch.allclose(ens, cls, atol=1e-6)
    with pytest.raises(ValueError):
        m.ensemble_class_embeddings(cls)


# --- exercise checks --------------------------------------------------------------------------

def test_check_gap_distance(m, capsys):
    good = lambda i, t: (i.mean(0) - t.mean(0)).norm().item()  # noqa: E731
    assert m.check_gap_distance(good) is True
    assert "✔" in capsys.readouterr().out

    pairwise = lambda i, t: (i - t).norm(dim=1).mean().item()  # noqa: E731
    assert m.check_gap_distance(pairwise) is False
    assert "mean distance of matched pairs" in capsys.readouterr().out

    squared = lambda i, t: ((i.mean(0) - t.mean(0)) ** 2).sum().item()  # noqa: E731
    assert m.check_gap_distance(squared) is False
    assert "squared" in capsys.readouterr().out

    renormed = lambda i, t: (F.normalize(i.mean(0), dim=0) - F.normalize(t.mean(0), dim=0)).norm().item()  # noqa: E731
    assert m.check_gap_distance(renormed) is False
    assert "✘" in capsys.readouterr().out

    def untouched(i, t):
        raise NotImplementedError()
    assert m.check_gap_distance(untouched) is None
    assert "Not attempted" in capsys.readouterr().out

    def crashes(i, t):
        return i @ t  # shape error
    assert m.check_gap_distance(crashes, quiet=True) is False


def test_check_hard_negative_loss(m, capsys):
    assert m.check_hard_negative_loss(m.hard_negative_loss) is True
    assert "✔" in capsys.readouterr().out

    def plain(i, t, n, s):
        y = torch.arange(len(i))
        return (F.cross_entropy(s * i @ t.T, y) + F.cross_entropy(s * t @ i.T, y)) / 2
    assert m.check_hard_negative_loss(plain) is False
    assert "plain CLIP loss" in capsys.readouterr().out

    def one_way(i, t, n, s):
        return F.cross_entropy(s * i @ torch.cat([t, n]).T, torch.arange(len(i)))
    assert m.check_hard_negative_loss(one_way) is False
    assert "only the image->text term" in capsys.readouterr().out

    def negs_both_ways(i, t, n, s):  # negatives wrongly added as extra image candidates too
        logits = s * i @ torch.cat([t, n]).T
        y = torch.arange(len(i))
        return (F.cross_entropy(logits, y) + F.cross_entropy(s * t @ torch.cat([i, n]).T, y)) / 2
    assert m.check_hard_negative_loss(negs_both_ways) is False
    assert "✘" in capsys.readouterr().out

    def as_float(i, t, n, s):
        return m.hard_negative_loss(i, t, n, s).item()
    assert m.check_hard_negative_loss(as_float) is False
    assert "0-d tensor" in capsys.readouterr().out

    def untouched(i, t, n, s):
        raise NotImplementedError()
    assert m.check_hard_negative_loss(untouched) is None
    assert "Not attempted" in capsys.readouterr().out


def _plain_loss(i, t, n, s):
    y = torch.arange(len(i))
    return (F.cross_entropy(s * i @ t.T, y) + F.cross_entropy(s * t @ i.T, y)) / 2


def _one_way_loss(i, t, n, s):
    return F.cross_entropy(s * i @ torch.cat([t, n]).T, torch.arange(len(i)))


def _hard_negative_solution(i, t, n, s):
    return load_exports(NB).hard_negative_loss(i, t, n, s)


# cases for tests/test_exercises.py: every check accepts its solution, rejects wrong answers
CHECK_CASES = {
    "check_gap_distance": {
        "solution": lambda i, t: (i.mean(0) - t.mean(0)).norm().item(),
        "wrong": [lambda i, t: (i - t).norm(dim=1).mean().item(),
                  lambda i, t: ((i.mean(0) - t.mean(0)) ** 2).sum().item(),
                  lambda i, t: (F.normalize(i.mean(0), dim=0) - F.normalize(t.mean(0), dim=0)).norm().item()]},
    "check_hard_negative_loss": {
        "solution": _hard_negative_solution,
        "wrong": [_plain_loss, _one_way_loss,
                  lambda i, t, n, s: _hard_negative_solution(i, t, n, s).item()]},
}
