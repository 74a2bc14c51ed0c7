"""Student copies (`make student`): each runs top to bottom, says "Not attempted", and leaks nothing.

Every student copy is executed once, in a fresh kernel (tools/runner.py); then, in the same
kernel, the leak probe (tools/leakprobe.py) calls every graded check with every function or
class the notebook defines whose signature fits: none may pass. A lesson whose answer stands
somewhere in the notebook (v1: `largest_side` above its exercise) fails here.
"""
import pathlib
import zipfile

import nbformat
import pytest

import leakprobe
import make_student
import runner
import structure

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENTRIES = [e for e in structure.toc_entries(ROOT) if e.endswith(".ipynb")]
# lessons whose answer is known to stand in the notebook, with the issue that fixes it
KNOWN_LEAKS: dict[str, str] = {}


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


def test_the_zip_holds_every_student_copy(tmp_path):
    archive = tmp_path / "student.zip"
    assert make_student.main(["--out", str(tmp_path / "student"), "--zip", str(archive)]) == 0
    names = zipfile.ZipFile(archive).namelist()
    assert set(ENTRIES) <= set(names) and "requirements.txt" in names


@pytest.mark.parametrize("entry", ENTRIES)
def test_student_copy_has_no_solutions_hidden_tests_or_outputs(entry):
    original = nbformat.read(ROOT / entry, as_version=4)
    copy = make_student.student_notebook(original)
    code = "\n".join(c.source for c in copy.cells if c.cell_type == "code")
    assert "### BEGIN SOLUTION" not in code and "### BEGIN HIDDEN TESTS" not in code
    assert all(not c.get("outputs") for c in copy.cells if c.cell_type == "code")
    for cell in original.cells:
        for block in make_student.SOLUTION.finditer(cell.source):
            for line in block.group(0).splitlines()[1:-1]:
                if len(line.strip()) > 12:
                    assert line.strip() not in code, f"solution line left in the code: {line.strip()}"


def leak_params():
    return [pytest.param(e, marks=pytest.mark.xfail(reason=KNOWN_LEAKS[e], strict=True))
            if e in KNOWN_LEAKS else e for e in ENTRIES]


@pytest.mark.slow
@pytest.mark.parametrize("entry", leak_params())
def test_student_copy_runs_says_not_attempted_and_leaks_no_answer(entry, tmp_path):
    copy = make_student.student_notebook(nbformat.read(ROOT / entry, as_version=4))
    path = tmp_path / pathlib.Path(entry).name
    nbformat.write(copy, path)
    results = runner.run_notebook(path, after=leakprobe.probe_source(copy))  # raises at a failing cell
    graded = [r for r in results[:-1] if r["cell"].metadata.get("nbgrader", {}).get("grade")]
    if "/reference/" not in entry:
        assert graded, "no graded check cell"
    for r in graded:
        assert "Not attempted" in r["stdout"], f"check cell did not say 'not attempted': {r['stdout']!r}"
    leaks = leakprobe.parse(results[-1]["stdout"])
    assert leaks == [], f"functions of the notebook pass a check: {leaks}"
