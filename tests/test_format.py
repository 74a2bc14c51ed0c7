"""The lesson format v2 (CONTRIBUTING.md), checked on every notebook of the toc.

Machinery folded in all three environments; one sitting (time to study, sections) and the
stated time to study; exercises by kind; links absolute (their targets are resolved against the
built site in test_book.py); carried-over cells identical to their origin; no solution line
elsewhere in its notebook; committed student copies up to date. Each check is also run on a
deliberately broken notebook, to show it can fail.
"""
import copy
import pathlib

import nbformat
import pytest

import lessonformat as lf
import make_student
import structure

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENTRIES = [e for e in structure.toc_entries(ROOT) if e.endswith(".ipynb")]
LESSONS = [e for e in ENTRIES if "/reference/" not in e]
# lessons that do not meet a limit yet, with the reason (strict: an unexpected pass fails too)
EXPECTED_FAILURES: dict[str, str] = {}


def params(entries):
    return [pytest.param(e, marks=pytest.mark.xfail(reason=EXPECTED_FAILURES[e], strict=True))
            if e in EXPECTED_FAILURES else e for e in entries]


def read(entry):
    return lf.read(ROOT / entry)


@pytest.mark.parametrize("entry", ENTRIES)
def test_machinery_is_folded_in_all_three_places(entry):
    nb = read(entry)
    problems = [f"cell {i}: {', '.join(p)}" for i, p in lf.unfolded_machinery(nb)]
    problems += [f"cell {i} (an exercise's solution): {', '.join(lf.fold_problems(c))}"
                 for i, c in enumerate(nb.cells)
                 if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
                 and lf.fold_problems(c)]
    assert problems == []


@pytest.mark.parametrize("entry", params(LESSONS))
def test_one_sitting(entry):
    nb = read(entry)
    limit = 60 if "capstone" in entry else 40
    minutes = lf.study_minutes(nb)
    assert minutes <= limit, f"{minutes:.0f} minutes to study (limit {limit})"
    assert lf.sections(nb) <= 8, f"{lf.sections(nb)} level-2 sections (limit 8)"


@pytest.mark.parametrize("entry", LESSONS)
def test_states_prerequisites_and_time_to_study(entry):
    nb = read(entry)
    assert "**Prerequisites:**" in nb.cells[0].source, "the first cell names no prerequisites"
    want = lf.rounded_study_minutes(nb)
    assert lf.stated_study_minutes(nb) == want, (
        f"the first cell should say '**Time to study:** about {want} minutes' "
        f"({lf.study_minutes(nb):.1f} measured by make stats)")


@pytest.mark.parametrize("entry", LESSONS)
def test_exercises_make_learners_think(entry):
    kinds = [e["kind"] for e in lf.exercises(read(entry))]
    assert 2 <= len(kinds) <= 4, f"{len(kinds)} exercises; a lesson has 2-4"
    assert all(k in lf.KINDS for k in kinds), f"kinds {kinds}: label each '**Kind:** ...' with one of {lf.KINDS}"
    assert kinds.count("shown") <= 1, "at most one exercise may ask for what the lesson showed"


@pytest.mark.parametrize("entry", ENTRIES)
def test_links_are_absolute(entry):
    assert lf.relative_links(read(entry)) == [], "use absolute links to the published site"


@pytest.mark.parametrize("entry", ENTRIES)
def test_no_solution_line_stands_elsewhere(entry):
    assert lf.solution_lines_elsewhere(read(entry)) == []


def origin_exports(number: str) -> list[str]:
    for entry in ENTRIES:
        nb = read(entry)
        if lf.lesson_number(nb) == number:
            return [lf.body(c.source) for c in nb.cells
                    if c.cell_type == "code" and "export" in c.metadata.get("tags", [])]
    raise AssertionError(f"no lesson {number} in the toc")


def carried_problems(entries) -> list[str]:
    problems = []
    for entry in entries:
        nb = read(entry) if isinstance(entry, str) else entry
        for i, number, body in lf.carried_cells(nb):
            if body not in origin_exports(number):
                problems.append(f"{entry if isinstance(entry, str) else 'notebook'} cell {i}: not "
                                f"identical to any export cell of lesson {number}")
            if lf.fold_problems(nb.cells[i]):
                problems.append(f"cell {i}: carried-over code must be folded")
    return problems


def test_carried_over_code_is_identical_to_its_origin():
    assert carried_problems(ENTRIES) == []


def test_committed_student_copies_are_up_to_date(tmp_path):
    stale = []
    for entry in ENTRIES:
        want = make_student.student_notebook(nbformat.read(ROOT / entry, as_version=4))
        path = ROOT / "student" / entry
        if not path.exists():
            stale.append(f"{entry}: no student copy")
            continue
        have = nbformat.read(path, as_version=4)
        if [(c.cell_type, c.source, c.metadata) for c in have.cells] != \
           [(c.cell_type, c.source, c.metadata) for c in want.cells]:
            stale.append(f"{entry}: student copy differs")
    assert stale == [], "run `make student` and commit student/"


# --- each check can fail ------------------------------------------------------------------

def lesson_1_1():
    return read("notebooks/1-surface/1-1-images-become-tokens.ipynb")


def test_fold_check_fails_on_an_unfolded_check():
    nb = copy.deepcopy(lesson_1_1())
    cell = next(c for c in nb.cells if lf.must_fold(c))
    assert lf.unfolded_machinery(nb) == []
    del cell.metadata["cellView"]
    assert lf.unfolded_machinery(nb) and "Colab" in lf.unfolded_machinery(nb)[0][1][0]


def test_link_check_fails_on_a_relative_link():
    nb = copy.deepcopy(lesson_1_1())
    nb.cells.append(nbformat.v4.new_markdown_cell("See the [glossary](../../book/glossary.md#patch)."))
    assert lf.relative_links(nb) == ["../../book/glossary.md#patch"]


def test_solution_line_check_fails_when_a_solution_stands_above_its_exercise():
    nb = copy.deepcopy(lesson_1_1())
    solution = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    line = next(s.strip() for s in lf.SOLUTION_BLOCK.findall(solution.source)[0].splitlines()
                if len(s.strip()) > 12 and not s.strip().startswith("#"))
    nb.cells.insert(2, nbformat.v4.new_code_cell(f"def shown_above(x):\n    {line}"))
    assert lf.solution_lines_elsewhere(nb)


def test_carried_over_check_fails_on_a_drifted_copy():
    nb = next((read(e) for e in ENTRIES if lf.carried_cells(read(e))), None)
    if nb is None:
        pytest.skip("no lesson carries code over yet")
    nb = copy.deepcopy(nb)
    i = lf.carried_cells(nb)[0][0]
    assert carried_problems([nb]) == []
    nb.cells[i].source = nb.cells[i].source.rstrip() + "\n# drifted"
    assert carried_problems([nb])


def test_time_to_study_counts_visible_code_only():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("word " * 200),
                nbformat.v4.new_code_cell("\n".join(f"x{i} = {i}" for i in range(12)))]
    assert lf.study_minutes(nb) == pytest.approx(2.0)
    nb.cells[1].metadata.update({"tags": ["hide-input"], "jupyter": {"source_hidden": True},
                                 "cellView": "form"})
    nb.cells[1].source = "#@title machinery\n" + nb.cells[1].source
    assert lf.study_minutes(nb) == pytest.approx(1.0)


def test_student_copy_stubs_unfolds_and_offers_the_solution_one_step_away():
    nb = lesson_1_1()
    student = make_student.student_notebook(nb)
    solutions = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    stubs = [c for c in student.cells if c.metadata.get("nbgrader", {}).get("solution")]
    offered = [c for c in student.cells if "student-solution" in c.metadata.get("tags", [])]
    assert len(stubs) == len(solutions) == len(offered) >= 1
    for stub, offer, original in zip(stubs, offered, solutions):
        assert "raise NotImplementedError()" in stub.source
        assert lf.fold_problems(stub), "the learner's cell must not be folded"
        assert "jupyter" not in stub.metadata and "cellView" not in stub.metadata
        assert offer.source.startswith("<details>") and "</details>" in offer.source
        body = lf.SOLUTION_BLOCK.findall(original.source)[0].strip()
        assert body.splitlines()[0].strip() in offer.source


@pytest.mark.parametrize("entry", ENTRIES)
def test_one_thread_policy_in_the_set_up_cell(entry):
    code = [c.source for c in read(entry).cells if c.cell_type == "code"]
    if not any("import torch" in src for src in code):
        pytest.skip("no torch here")
    setup = next((src for src in code if "torch.manual_seed" in src or "device = " in src), "")
    assert "torch.set_num_threads(1)" in setup, (
        "the set-up cell must set the course's thread policy: torch.set_num_threads(1)")


def test_one_timer_for_the_whole_course():
    """Only lesson 3.2 defines the timer; other lessons carry it over unchanged."""
    definers = []
    for entry in ENTRIES:
        nb = read(entry)
        carried = {i for i, _, _ in lf.carried_cells(nb)}
        for i, c in enumerate(nb.cells):
            if c.cell_type == "code" and "def time_it(" in c.source and i not in carried:
                definers.append((lf.lesson_number(nb), entry))
    assert [d for d in definers if d[0] != "3.2"] == [], "a lesson defines its own timer"


@pytest.mark.parametrize("entry", LESSONS)
def test_check_calls_print_their_message_only(entry):
    """A graded cell's visible call ends with ';': the check prints its ✔/✘ message, and
    Jupyter does not echo the returned True/False/None under it (v1 did, in student copies)."""
    for cell in read(entry).cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            visible = make_student.strip_source(cell.source).strip().splitlines()[-1]
            assert visible.rstrip().endswith(";"), f"end the call with ';': {visible}"
