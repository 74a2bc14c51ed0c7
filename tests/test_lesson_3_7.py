"""Unit tests of lesson 3.7's export cells: scenes, questions, vocabulary, the tiny VLM, its
losses, `ask` (bad input included) and the two self-checks."""
import numpy as np
import pytest
import torch

from nbexport import load_exports

m = load_exports("notebooks/3-deep-dive/3-7-capstone-tiny-vlm.ipynb")


# --- scenes and questions ------------------------------------------------------------------

def test_masks_cover_a_sensible_fraction_and_reject_bad_input():
    for shape in m.SHAPES:
        mask = m.shape_mask(shape, 12)
        assert mask.shape == (12, 12) and 0.3 < mask.mean() < 0.9
    with pytest.raises(ValueError, match="unknown shape"):
        m.shape_mask("hexagon", 12)


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
    img = m.render_scene([("red", "square", 0), ("blue", "circle", 8)], rng)
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
            qa = m.make_question(scene, qtype, rng)
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
        assert m.make_question(twins, qtype, rng) is None
    assert m.make_question(twins, "count", rng)[1] in ("zero", "two")
    with pytest.raises(ValueError, match="unknown question type"):
        m.make_question(twins, "relation", rng)


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


def test_patch_word_targets_are_distributions():
    t = m.patch_word_targets([[("red", "circle", 4)]], len(m.VOCAB))
    assert t.shape == (1, 9, len(m.VOCAB))
    assert torch.allclose(t.sum(-1), torch.ones(1, 9))
    assert t[0, 4, m.STOI["red"]] == 0.5 and t[0, 4, m.STOI["circle"]] == 0.5
    assert t[0, 4, m.STOI["nothing"]] == 0 and t[0, 0, m.STOI["nothing"]] == 1.0


# --- the model and its losses ----------------------------------------------------------------

def test_vit_shapes_ink_and_bad_input():
    torch.manual_seed(0)
    vit = m.TinyViT()
    assert vit(torch.zeros(2, 3, 48, 48)).shape == (2, 9, 64)
    images = torch.full((1, 3, 48, 48), -0.5)
    images[0, :, 20:28, 20:28] = 0.9
    ink = m.TinyViT.ink(images)
    assert ink.shape == (1, 1, 48, 48) and ink[0, 0, 0, 0] == 0 and ink[0, 0, 24, 24] > 2
    with pytest.raises(ValueError, match=r"\(B, 3, 48, 48\)"):
        vit(torch.zeros(2, 3, 32, 32))


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
    # cached features give the same logits as the encoder
    with torch.no_grad():
        assert torch.allclose(model(None, tokens, model.encoder(images)), logits, atol=1e-6)


def test_losses_are_finite_and_the_patch_word_loss_can_be_switched_off():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    scenes = [m.sample_scene(rng) for _ in range(8)]
    images = torch.from_numpy(np.stack([m.render_scene(s, rng) for s in scenes])).permute(0, 3, 1, 2) * 2 - 1
    targets = m.patch_word_targets(scenes, len(m.VOCAB))
    texts = m.describe_texts(scenes)
    questions = m.question_texts([(i, *m.sample_question(s, rng)) for i, s in enumerate(scenes) for _ in range(3)])
    model = m.TinyVLM(len(m.VOCAB))
    both = m.stage1_loss(model, images, texts, targets, np.random.default_rng(1))
    one = m.stage1_loss(model, images, texts, targets, np.random.default_rng(1), patch_words=False)
    assert len(both) == 2 and len(one) == 1 and torch.isfinite(torch.stack(both)).all()
    assert torch.allclose(both[0], one[0])
    (answer,) = m.stage2_loss(model, images, questions, np.random.default_rng(2))
    assert torch.isfinite(answer) and answer > 0
    with torch.no_grad():  # cached features give the same answer loss as the encoder
        (cached,) = m.stage2_loss(model, images, questions, np.random.default_rng(2), feats=model.encoder(images))
    assert torch.allclose(cached, answer, atol=1e-5)


def test_texts_are_tokenised_once_with_their_loss_masks():
    scenes = [[("red", "circle", 0), ("blue", "cross", 5)], [("green", "square", 4)]]
    tokens, mask = m.describe_texts(scenes)
    assert m.decode(tokens[0][mask[0]]) == ["red", "circle", "top-left", "blue", "cross", "right", "<eos>"]
    assert m.decode(tokens[1][mask[1]]) == ["green", "square", "centre", "<eos>"]
    assert m.decode(tokens[1][:2]) == ["describe", ":"] and not mask[:, :2].any()
    qas = [(1, ["what", "colour", "is", "the", "square", "?"], "green", "colour"),
           (0, ["how", "many", "crosses", "are", "there", "?"], "one", "count")]
    tokens, mask, scene = m.question_texts(qas)
    assert scene.tolist() == [1, 0] and tokens.shape == mask.shape == (2, 8)
    assert m.decode(tokens[0][mask[0]]) == ["green", "<eos>"] and m.decode(tokens[1][mask[1]]) == ["one", "<eos>"]


def test_answer_words_reads_the_last_question_position():
    torch.manual_seed(0)
    model = m.TinyVLM(len(m.VOCAB)).eval()
    images = torch.zeros(2, 3, 48, 48)
    short, long = ["how", "many", "circles", "are", "there", "?"], ["what", "shape", "is", "the", "red", "object", "?"]
    together = m.answer_words(model, images, [short, long])
    assert together == [m.answer_words(model, images[:1], [short])[0], m.answer_words(model, images[:1], [long])[0]]
    assert all(w in m.STOI for w in together)


# --- ask: the learner-facing function, with bad input ---------------------------------------------

@pytest.fixture(scope="module")
def model_and_image():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    return m.TinyVLM(len(m.VOCAB)).eval(), m.render_scene(m.sample_scene(rng), rng)


def test_ask_answers_with_one_vocabulary_word(model_and_image):
    model, image = model_and_image
    for question in ("how many circles are there ?", "what colour is the cross?",
                     ["where", "is", "the", "red", "circle", "?"]):
        assert m.ask(model, image, question) in m.STOI
    tensor = torch.from_numpy(image).permute(2, 0, 1) * 2 - 1
    assert m.ask(model, tensor, "what colour is the cross ?") == m.ask(model, image, "what colour is the cross ?")


def test_ask_names_the_words_it_does_not_know(model_and_image):
    model, image = model_and_image
    with pytest.raises(ValueError, match=r"does not know the words \['hexagon'\]"):
        m.ask(model, image, "what colour is the hexagon ?")
    with pytest.raises(ValueError, match=r"\['Where', 'ball'\]"):
        m.ask(model, image, "Where is the red ball ?")


@pytest.mark.parametrize("question,error,match", [
    ("", ValueError, "empty"),
    (42, TypeError, "string or a list of words"),
    ([1, 2], TypeError, "string or a list of words"),
])
def test_ask_rejects_malformed_questions(model_and_image, question, error, match):
    model, image = model_and_image
    with pytest.raises(error, match=match):
        m.ask(model, image, question)


def test_ask_rejects_a_wrong_image(model_and_image):
    model, _ = model_and_image
    with pytest.raises(ValueError, match="48 x 48 RGB"):
        m.ask(model, np.zeros((32, 32, 3)), "how many circles are there ?")


# --- the exercises' self-checks: cases for tests/test_exercises.py -------------------------

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


def _shape_at_bare_position(scene, cell):  # v1's check accepted this: not a question at all
    return [m.POSITIONS[cell]], next((s for _, s, c in scene if c == cell), "nothing")


def _shape_at_wrong_place(scene, cell):
    answer = next((s for _, s, c in scene if c == cell), "nothing")
    return ["what", "shape", "is", "the", m.POSITIONS[(cell + 1) % 9], "object", "?"], answer


CHECK_CASES = {
    "check_shape_at": {
        "solution": _shape_at_solution,
        "wrong": [_shape_at_transposed, _shape_at_colour, _shape_at_unknown_word, _shape_at_bare_position,
                  _shape_at_wrong_place],
    },
    "check_no_stage1_prediction": {
        "solution": lambda: 0.3,
        "wrong": [lambda: 0.95, lambda: 45, lambda: 0.05, lambda: "0.45"],
    },
}


@pytest.mark.parametrize("name,i,expected", [
    ("check_shape_at", 0, "row-major"),
    ("check_shape_at", 1, "shape word"),
    ("check_shape_at", 2, "not in VOCAB"),
    ("check_shape_at", 3, "not a question"),
    ("check_shape_at", 4, "must name exactly its position"),
    ("check_no_stage1_prediction", 0, "too optimistic"),
    ("check_no_stage1_prediction", 1, "percentage"),
    ("check_no_stage1_prediction", 2, "blind"),
    ("check_no_stage1_prediction", 3, "Return a number"),
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
