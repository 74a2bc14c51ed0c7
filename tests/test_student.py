"""Student versions (`make student`): solutions stubbed, hidden tests gone, and each copy runs.

The copies are written to _build/student/ (the same place `make student` writes them) and each
one is executed top to bottom in a fresh kernel: a student who has not started any exercise must
still be able to run the whole lesson, with every check saying "not attempted".
"""
import pathlib
import re
import zipfile

import nbformat
import pytest

import make_student
import runner
import structure

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "_build" / "student"
ENTRIES = [e for e in structure.toc_entries(ROOT) if e.endswith(".ipynb")]


@pytest.fixture(scope="module")
def student_dir():
    import sys
    argv, sys.argv = sys.argv, ["make_student.py", "--out", str(OUT)]
    try:
        assert make_student.main() == 0
    finally:
        sys.argv = argv
    return OUT


def test_stub_replaces_a_solution_at_its_indentation():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n\nprint(f)"
    assert make_student.strip_source(source) == (
        "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\nprint(f)")


def test_hidden_tests_are_removed():
    source = "check(f)\n### BEGIN HIDDEN TESTS\nassert check(f, quiet=True)\n### END HIDDEN TESTS"
    assert make_student.strip_source(source) == "check(f)"


def test_unbalanced_markers_are_an_error():
    with pytest.raises(ValueError, match="unbalanced"):
        make_student.strip_source("### BEGIN SOLUTION\nx = 1\n")


def test_every_notebook_has_a_student_copy_and_the_zip_holds_them(student_dir):
    names = zipfile.ZipFile(student_dir / "pixels-to-tokens-student.zip").namelist()
    for entry in ENTRIES:
        assert (student_dir / entry).exists(), entry
        assert entry in names


@pytest.mark.parametrize("entry", ENTRIES)
def test_student_copy_has_no_solutions_hidden_tests_or_outputs(student_dir, entry):
    original = nbformat.read(ROOT / entry, as_version=4)
    copy = nbformat.read(student_dir / entry, as_version=4)
    assert len(copy.cells) == len(original.cells)
    text = "\n".join(c.source for c in copy.cells)
    assert "### BEGIN SOLUTION" not in text and "### BEGIN HIDDEN TESTS" not in text
    assert all(not c.get("outputs") for c in copy.cells if c.cell_type == "code")
    solved = 0
    for before, after in zip(original.cells, copy.cells):
        blocks = re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", before.source, re.S)
        solved += len(blocks)
        # the exercise cell itself keeps no line of its solution (the lesson may show its own
        # implementation elsewhere: that is how a student copy still runs to the end)
        assert after.source.count("raise NotImplementedError()") >= len(blocks)
        for block in blocks:
            for line in block.splitlines():
                if len(line.strip()) > 12:
                    assert line.strip() not in after.source, f"solution line left in: {line.strip()}"
    assert solved >= 1


@pytest.mark.slow
@pytest.mark.parametrize("entry", ENTRIES)
def test_student_copy_runs_top_to_bottom(student_dir, entry):
    results = runner.run_notebook(student_dir / entry)  # raises at the first failing cell
    graded = [r for r in results if r["cell"].metadata.get("nbgrader", {}).get("grade")]
    assert graded
    for r in graded:
        assert "Not attempted" in r["stdout"], f"check cell did not say 'not attempted': {r['stdout']!r}"
