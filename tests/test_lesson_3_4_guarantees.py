"""Unit tests of lesson 3.4 (What alignment does not guarantee): export cells, checks, bad input."""
import pytest
import torch

from nbexport import load_exports

NB = "notebooks/3-deep-dive/3-4-what-alignment-does-not-guarantee.ipynb"


@pytest.fixture(scope="module")
def m():
    return load_exports(NB)


# --- scenes, captions, swaps --------------------------------------------------------------------

def test_pair_scenes_and_their_twins(m):
    d = m.make_pair_scenes(30, seed=1)
    s = m.make_pair_scenes(30, seed=1, swap=True)
    assert d["images"].shape == (30, 3, 32, 64) and d["images"].dtype == torch.uint8
    assert (d["left"] != d["right"]).all()
    assert torch.equal(d["left"], s["right"]) and torch.equal(d["right"], s["left"])
    assert torch.equal(d["images"], m.make_pair_scenes(30, seed=1)["images"])  # seeded
    assert not torch.equal(d["images"], s["images"])


def test_object_and_relation_swaps(m):
    c = "a red circle left of a blue square"
    assert m.object_swap(c) == "a blue square left of a red circle"
    assert m.relation_swap(c) == "a red circle right of a blue square"
    assert m.relation_swap(m.relation_swap(c)) == c and m.object_swap(m.object_swap(c)) == c
    for cap in m.make_pair_scenes(20, seed=2)["captions"]:
        assert sorted(m.object_swap(cap).split()) == sorted(cap.split())


@pytest.mark.parametrize("bad", ["a red circle", "a red circle above of a blue square", 42,
                                 "the red circle left of a blue square"])
def test_swaps_name_the_expected_caption_form(m, bad):
    for fn in (m.object_swap, m.relation_swap):
        with pytest.raises(ValueError, match="left\\|right"):
            fn(bad)


def test_tokenize_and_its_bad_input(m):
    ids = m.tokenize(["a red circle left of a blue square", "a red circle"])
    assert ids.shape == (2, 8) and ids[1, 3:].eq(0).all()
    with pytest.raises(TypeError, match="list of captions"):
        m.tokenize("a red circle")
    with pytest.raises(ValueError, match="purple"):
        m.tokenize(["a purple circle"])
    with pytest.raises(ValueError):
        m.tokenize(["a red circle left of a blue square and more"])


def test_make_pair_scenes_bad_n(m):
    for bad in (0, -3, 2.5, "10"):
        with pytest.raises(ValueError, match="positive int"):
            m.make_pair_scenes(bad, seed=0)


def test_swap_accuracy_counts_ties_as_half(m):
    a = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert m.swap_accuracy(a, a) == 0.5
    assert m.swap_accuracy(a, a - 1) == 1.0
    assert m.swap_accuracy(a, torch.tensor([0.0, 2.0, 5.0, 5.0])) == pytest.approx(0.375)


# --- encoders and the loss ----------------------------------------------------------------------

def test_bag_of_words_ties_every_reordering_for_any_weights(m):
    caps = ["a red circle left of a blue square", "a green cross right of a yellow triangle"]
    ids, swapped = m.tokenize(caps), m.tokenize([m.object_swap(c) for c in caps])
    for seed in range(3):
        torch.manual_seed(seed)
        bow = m.BagOfWords(len(m.VOCAB))
        assert torch.equal(bow(ids), bow(swapped))


def test_transformer_reads_order(m):
    torch.manual_seed(0)
    enc = m.TextTransformer(len(m.VOCAB))
    c = "a red circle left of a blue square"
    out = enc(m.tokenize([c, m.object_swap(c)]))
    assert out.shape == (2, 32) and not torch.allclose(out[0], out[1], atol=1e-4)


def test_image_encoder_pools(m):
    x = torch.randint(0, 256, (2, 3, 32, 64), dtype=torch.uint8)
    for pool in ("global", "halves"):
        assert m.ImageEncoder(pool=pool)(x).shape == (2, 32)
    with pytest.raises(ValueError, match="global"):
        m.ImageEncoder(pool="max")


def test_global_pooling_is_blind_to_the_swap_but_halves_are_not(m):
    a, b = m.make_pair_scenes(50, seed=3), m.make_pair_scenes(50, seed=3, swap=True)
    cos = {}
    for pool in ("global", "halves"):
        torch.manual_seed(0)
        enc = m.ImageEncoder(pool=pool).eval()
        with torch.no_grad():
            cos[pool] = torch.nn.functional.cosine_similarity(enc(a["images"]), enc(b["images"])).mean()
    assert cos["global"] > 0.99 and cos["halves"] < cos["global"]


def test_hard_negative_loss(m):
    f = torch.nn.functional
    g = torch.Generator().manual_seed(0)
    img = f.normalize(torch.randn(6, 8, generator=g), dim=-1)
    txt = f.normalize(torch.randn(6, 8, generator=g), dim=-1)
    y = torch.arange(6)
    plain = (f.cross_entropy(10 * img @ txt.T, y) + f.cross_entropy(10 * txt @ img.T, y)) / 2
    assert m.hard_negative_loss(img, txt, txt[:0], 10.0).item() == pytest.approx(plain.item(), abs=1e-5)
    a = f.normalize(torch.eye(4) - 0.25, dim=-1)
    tied = m.hard_negative_loss(a, a, a.clone(), 20.0).item()   # each negative equals its caption
    assert tied > m.hard_negative_loss(a, a, a[:0], 20.0).item() + 0.3


def test_training_step_runs(m):
    image_enc, text_enc = m.train_one("halves", "transformer", True, seed=0, steps=2)
    obj, rel = m.swap_scores(image_enc, text_enc)
    assert 0 <= obj <= 1 and 0 <= rel <= 1


# --- exercise checks ----------------------------------------------------------------------------

def _raises():
    raise NotImplementedError()


def test_check_positional_bag_prediction(m, capsys):
    assert m.check_positional_bag_prediction(lambda: 0.5) is True
    assert "✔" in capsys.readouterr().out
    assert m.check_positional_bag_prediction(lambda: torch.tensor(0.5)) is True
    capsys.readouterr()
    cases = [(lambda: 1.0, "better than a tie"), (lambda: 50, "percentage"),
             (lambda: 0.2, "worse than chance"), (lambda: "0.5", "one number"),
             (lambda: True, "one number"), (lambda: -1.0, "not an accuracy")]
    for answer, hint in cases:
        assert m.check_positional_bag_prediction(answer) is False
        assert hint in capsys.readouterr().out
    assert m.check_positional_bag_prediction(_raises) is None
    assert "Not attempted" in capsys.readouterr().out


def test_check_hard_negative_experiment_rejects_without_training(m, capsys):
    cases = [(lambda: {"hard_negatives": False, "prediction": "higher"}, "set 'hard_negatives' to True"),
             (lambda: {"hard_negatives": "True", "prediction": "higher"}, "the bool"),
             (lambda: {"hard_negatives": True}, "exactly two keys"),
             (lambda: {"hard_negatives": True, "prediction": "much higher"}, "must be one of"),
             (lambda: 0.5, "a dict")]
    for answer, hint in cases:
        assert m.check_hard_negative_experiment(answer) is False
        assert hint in capsys.readouterr().out
    assert m.check_hard_negative_experiment(_raises) is None
    assert "Not attempted" in capsys.readouterr().out


# cases for tests/test_exercises.py: every check accepts its solution and rejects wrong answers
CHECK_CASES = {
    "check_positional_bag_prediction": {
        "solution": lambda: 0.5,
        "wrong": [lambda: 1.0, lambda: 50, lambda: 0.25]},
    "check_hard_negative_experiment": {
        "solution": lambda: {"hard_negatives": True, "prediction": "about the same"},
        "wrong": [lambda: {"hard_negatives": False, "prediction": "about the same"},
                  lambda: {"hard_negatives": True, "prediction": "higher"},
                  lambda: {"hard_negatives": True, "prediction": "lower"}]},
}
