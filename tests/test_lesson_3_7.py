"""Unit tests of lesson 3.5's export cells: scenes, questions, vocabulary, the tiny VLM, decoding,
and the three self-checks."""
import numpy as np
import pytest
import torch

from nbexport import load_exports

m = load_exports("notebooks/3-deep-dive/3-5-capstone-tiny-vlm.ipynb")


# --- scenes and questions ------------------------------------------------------------------

def test_masks_cover_a_sensible_fraction_and_reject_bad_input():
    for shape in m.SHAPES:
        mask = m.shape_mask(shape, 12)
        assert mask.shape == (12, 12) and 0.3 < mask.mean() < 0.9
    with pytest.raises(ValueError, match="unknown shape"):
        m.shape_mask("hexagon", 12)
    with pytest.raises(ValueError, match="positive int"):
        m.shape_mask("circle", 0)


def test_scenes_have_two_to_four_objects_in_distinct_sorted_cells():
    rng = np.random.default_rng(0)
    for _ in range(200):
        scene = m.sample_scene(rng)
        cells = [c for _, _, c in scene]
        assert 2 <= len(scene) <= 4 and cells == sorted(set(cells))
        assert all(c in m.COLOURS and s in m.SHAPES for c, s, _ in scene)
    with pytest.raises(ValueError, match="2, 3 or 4 objects"):
        m.sample_scene(rng, n_objects=5)


def test_render_puts_ink_only_in_occupied_cells():
    rng = np.random.default_rng(1)
    scene = [("red", "square", 0), ("blue", "circle", 8)]
    img = m.render_scene(scene, rng)
    assert img.shape == (48, 48, 3) and img.dtype == np.float32 and 0 <= img.min() and img.max() <= 1
    cells = img.reshape(3, 16, 3, 16, 3).transpose(0, 2, 1, 3, 4).reshape(9, 16, 16, 3)
    distance = np.linalg.norm(cells - np.array(m.BACKGROUND), axis=-1).max(axis=(1, 2))
    assert distance[0] > 0.5 and distance[8] > 0.5
    assert (distance[1:8] < 0.2).all()  # empty cells hold only background and noise
    with pytest.raises(ValueError, match="bad object"):
        m.render_scene([("pink", "square", 0)], rng)


def test_answers_agree_with_the_scene():
    rng = np.random.default_rng(2)
    seen = set()
    for _ in range(400):
        scene = m.sample_scene(rng)
        for qtype in m.QUESTION_TYPES:
            qa = m.ask(scene, qtype, rng)
            if qa is None:
                continue
            q, a = qa
            seen.add(qtype)
            assert all(w in m.STOI for w in q + [a])
            if qtype == "colour":
                (obj,) = [o for o in scene if o[1] == q[4]]
                assert a == obj[0]
            elif qtype == "shape":
                (obj,) = [o for o in scene if o[0] == q[4]]
                assert a == obj[1]
            elif qtype == "count":
                assert a == m.NUMBERS[sum(m.PLURALS[s] == q[2] for _, s, _ in scene)]
            else:
                (obj,) = [o for o in scene if (o[0], o[1]) == (q[3], q[4])]
                assert a == m.POSITIONS[obj[2]]
    assert seen == set(m.QUESTION_TYPES)


def test_ambiguous_questions_are_not_asked():
    rng = np.random.default_rng(3)
    twins = [("red", "circle", 0), ("red", "circle", 4)]
    for qtype in ("colour", "shape", "position"):
        assert m.ask(twins, qtype, rng) is None
    assert m.ask(twins, "count", rng)[1] in ("zero", "two")
    with pytest.raises(ValueError, match="unknown question type"):
        m.ask(twins, "relation", rng)


def test_description_lists_objects_in_cell_order():
    scene = [("red", "circle", 0), ("blue", "cross", 5)]
    assert m.describe(scene) == ["red", "circle", "top-left", "blue", "cross", "right"]


def test_vocabulary_round_trip_and_errors():
    words = "how many triangles are there ?".split()
    assert m.decode(m.encode(words)) == words
    assert len(set(m.VOCAB)) == len(m.VOCAB)
    with pytest.raises(ValueError, match="hexagon"):
        m.encode(["what", "hexagon"])
    with pytest.raises(TypeError, match="list of words"):
        m.encode("what colour")


def test_make_batch_pads_and_marks_targets():
    tokens, mask = m.make_batch([["describe", ":"], ["where", "is", "the", "red", "circle", "?"]],
                                [["red", "<eos>"], ["top", "<eos>"]])
    assert tokens.shape == mask.shape == (2, 8)
    assert m.decode(tokens[0]) == ["describe", ":", "red", "<eos>"] + ["<pad>"] * 4
    assert mask[0].tolist() == [False, False, True, True] + [False] * 4
    assert mask[1].tolist() == [False] * 6 + [True, True]
    with pytest.raises(ValueError, match="2 prompts but 1 targets"):
        m.make_batch([["?"], ["?"]], [["top"]])


def test_patch_word_targets_are_distributions():
    t = m.patch_word_targets([[("red", "circle", 4)]], len(m.VOCAB))
    assert t.shape == (1, 9, len(m.VOCAB))
    assert torch.allclose(t.sum(-1), torch.ones(1, 9))
    assert t[0, 4, m.STOI["red"]] == 0.5 and t[0, 4, m.STOI["circle"]] == 0.5
    assert t[0, 0, m.STOI["nothing"]] == 1.0


def test_lr_schedule_warms_up_then_decays_to_zero():
    values = [m.lr_schedule(s, 100, 10) for s in range(101)]
    assert values[0] < values[9] and abs(max(values) - 1) < 0.05
    assert values[-1] == pytest.approx(0.0, abs=1e-9)


# --- the model -----------------------------------------------------------------------------

def test_causal_mask_is_lower_triangular_and_rejects_bad_lengths():
    assert torch.equal(m.causal_mask(5), torch.ones(5, 5, dtype=torch.bool).tril())
    for bad in (0, -3, 2.0, True):
        with pytest.raises(ValueError, match="positive int"):
            m.causal_mask(bad)


def test_vit_shapes_ink_and_bad_input():
    torch.manual_seed(0)
    for patch, n in ((16, 9), (8, 36), (4, 144)):
        vit = m.TinyViT(patch=patch)
        assert vit(torch.zeros(2, 3, 48, 48)).shape == (2, n, 64)
    images = torch.full((1, 3, 48, 48), -0.5)
    images[0, :, 20:28, 20:28] = 0.9
    ink = m.TinyViT.ink(images)
    assert ink.shape == (1, 1, 48, 48) and ink[0, 0, 0, 0] == 0 and ink[0, 0, 24, 24] > 2
    with pytest.raises(ValueError, match=r"\(B, 3, 48, 48\)"):
        m.TinyViT()(torch.zeros(2, 3, 32, 32))
    with pytest.raises(ValueError, match="does not divide"):
        m.TinyViT(patch=10)


def test_vlm_logits_shape_and_causality():
    torch.manual_seed(0)
    model = m.TinyVLM(len(m.VOCAB)).eval()
    images = torch.rand(2, 3, 48, 48) * 2 - 1
    tokens = torch.tensor([m.encode("what colour is the circle ?".split())] * 2)
    logits = model(images, tokens)
    assert logits.shape == (2, 9 + 6, len(m.VOCAB))
    changed = tokens.clone()
    changed[:, -1] = m.STOI["where"]
    # a later word changes nothing before it, image positions included
    assert torch.allclose(model(images, changed)[:, :-1], logits[:, :-1], atol=1e-5)
    # the image does change what the text positions predict
    assert not torch.allclose(model(-images, tokens)[:, 9:], logits[:, 9:])


def test_vlm_rejects_bad_tokens():
    model = m.TinyVLM(len(m.VOCAB))
    images = torch.zeros(2, 3, 48, 48)
    with pytest.raises(TypeError, match="int64"):
        model(images, torch.zeros(2, 3))
    with pytest.raises(ValueError, match="max_text"):
        model(images, torch.zeros(2, 30, dtype=torch.long))
    with pytest.raises(ValueError, match="2 images but 3 token rows"):
        model(images, torch.zeros(3, 4, dtype=torch.long))


def test_greedy_decode_respects_max_new_and_returns_words():
    torch.manual_seed(0)
    model = m.TinyVLM(len(m.VOCAB))
    out = m.greedy_decode(model, torch.zeros(3, 3, 48, 48), [["describe", ":"]] * 3, max_new=4)
    assert len(out) == 3 and all(len(o) <= 4 and all(w in m.STOI for w in o) for o in out)
    assert model.training  # restored


def test_greedy_decode_stops_at_eos():
    class AlwaysEos(torch.nn.Module):
        n_image = 9

        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, images, tokens, feats=None):
            logits = torch.zeros(tokens.shape[0], 9 + tokens.shape[1], len(m.VOCAB))
            logits[..., m.EOS] = 1.0
            return logits

    assert m.greedy_decode(AlwaysEos(), None, [["?"]] * 2, max_new=5) == [[], []]


# --- the exercises' self-checks: cases for tests/test_exercises.py -------------------------

def _greedy_solution(next_logits, prompt, eos, max_new):
    ids, new = list(prompt), []
    for _ in range(max_new):
        nxt = int(next_logits(ids).argmax())
        if nxt == eos:
            break
        ids.append(nxt)
        new.append(nxt)
    return new


def _greedy_with_prompt(next_logits, prompt, eos, max_new):
    return list(prompt) + _greedy_solution(next_logits, prompt, eos, max_new)


def _greedy_keeps_eos(next_logits, prompt, eos, max_new):
    ids, new = list(prompt), []
    for _ in range(max_new):
        nxt = int(next_logits(ids).argmax())
        ids.append(nxt)
        new.append(nxt)
        if nxt == eos:
            break
    return new


def _greedy_prompt_only(next_logits, prompt, eos, max_new):
    new = []
    for _ in range(max_new):  # scores the prompt every time: never sees its own output
        nxt = int(next_logits(list(prompt)).argmax())
        if nxt == eos:
            break
        new.append(nxt)
    return new


def _shape_at_solution(scene, cell):
    answer = next((s for _, s, c in scene if c == cell), "nothing")
    return ["what", "shape", "is", "the", m.POSITIONS[cell], "object", "?"], answer


def _shape_at_transposed(scene, cell):
    row, col = divmod(cell, 3)
    answer = next((s for _, s, c in scene if c == col * 3 + row), "nothing")
    return ["what", "shape", "is", "the", m.POSITIONS[cell], "object", "?"], answer


def _shape_at_colour(scene, cell):
    answer = next((c_ for c_, _, c in scene if c == cell), "nothing")
    return ["what", "shape", "is", "the", m.POSITIONS[cell], "object", "?"], answer


def _shape_at_unknown_word(scene, cell):
    answer = next((s for _, s, c in scene if c == cell), "nothing")
    return ["what", "shape", "is", "at", "the", m.POSITIONS[cell], "?"], answer


CHECK_CASES = {
    "check_causal_mask": {
        "solution": lambda n: torch.ones(n, n, dtype=torch.bool).tril(),
        "wrong": [
            lambda n: torch.ones(n, n, dtype=torch.bool).triu(),       # transposed
            lambda n: torch.ones(n, n, dtype=torch.bool).tril(-1),     # no diagonal
            lambda n: torch.ones(n, n).tril(),                          # float, not bool
            lambda n: torch.ones(n, n, dtype=torch.bool),               # no mask at all
        ],
    },
    "check_greedy": {
        "solution": _greedy_solution,
        "wrong": [_greedy_with_prompt, _greedy_keeps_eos, _greedy_prompt_only],
    },
    "check_shape_at": {
        "solution": _shape_at_solution,
        "wrong": [_shape_at_transposed, _shape_at_colour, _shape_at_unknown_word],
    },
}


@pytest.mark.parametrize("name,i,expected", [
    ("check_causal_mask", 0, "transposed"),
    ("check_causal_mask", 1, "diagonal is missing"),
    ("check_causal_mask", 2, "boolean"),
    ("check_greedy", 0, "prompt too"),
    ("check_greedy", 1, "ends with the eos"),
    ("check_greedy", 2, "whole sequence so far"),
    ("check_shape_at", 0, "row-major"),
    ("check_shape_at", 1, "shape word"),
    ("check_shape_at", 2, "not in VOCAB"),
])
def test_check_messages_name_the_mistake(name, i, expected, capsys):
    assert getattr(m, name)(CHECK_CASES[name]["wrong"][i]) is False
    assert expected in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(CHECK_CASES))
def test_checks_accept_the_solution_and_spot_unattempted_or_crashing_answers(name, capsys):
    check = getattr(m, name)
    assert check(CHECK_CASES[name]["solution"]) is True
    assert "✔" in capsys.readouterr().out

    def not_attempted(*args):
        raise NotImplementedError()

    def crashes(*args):
        return undefined_name  # noqa: F821

    assert check(not_attempted) is None
    assert "Not attempted" in capsys.readouterr().out
    assert check(crashes) is False
    assert "NameError" in capsys.readouterr().out
    assert check(CHECK_CASES[name]["solution"], quiet=True) is True
    assert capsys.readouterr().out == ""
