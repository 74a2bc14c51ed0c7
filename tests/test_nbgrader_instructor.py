"""nbgrader on every lesson, the instructor's side: the notebooks as they are score full points.

A throw-away course holds every lesson with exercises (tests/nbgrader_course.py); nbgrader's own
``generate_assignment`` releases it and ``autograde`` grades the instructor's notebooks (solutions
in place) under a wall-clock limit, so a hang is a failure, not a stuck CI run. The released
copies hold no solution code. (The untouched copies are graded in test_nbgrader_students.py,
which pytest-xdist runs on the other worker.)
"""
import pathlib
import re

import nbformat
import pytest

import nbgrader_course as course_kit

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENTRIES = course_kit.graded_entries()
LIMIT_S = course_kit.AUTOGRADE_LIMIT_S


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = course_kit.build(tmp_path_factory.mktemp("nbgrader"), ENTRIES, students=("solved",))
    seconds = course_kit.autograde(course, "solved", LIMIT_S)
    print(f"autograde of {len(ENTRIES)} instructor notebooks: {seconds:.0f} s")
    return course


@pytest.mark.slow
def test_released_copies_hold_no_solution_code(course):
    for entry in ENTRIES:
        original = nbformat.read(ROOT / entry, as_version=4)
        released = nbformat.read(course / "release" / "ps1" / pathlib.Path(entry).name, as_version=4)
        text = "\n".join(c.source for c in released.cells)
        assert "### BEGIN SOLUTION" not in text and "### BEGIN HIDDEN TESTS" not in text
        by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in released.cells}
        for cell in original.cells:
            for block in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S):
                twin = by_id[cell.metadata["nbgrader"]["grade_id"]]
                for line in block.splitlines():
                    if len(line.strip()) > 12:
                        assert line.strip() not in twin.source, f"{entry}: solution line leaked: {line.strip()}"


@pytest.mark.slow
@pytest.mark.parametrize("entry", ENTRIES)
def test_instructor_notebook_scores_full_points(course, entry):
    score, max_score = course_kit.scores(course, "solved")[pathlib.Path(entry).stem]
    assert max_score > 0
    assert score == max_score, f"{entry}: {score} of {max_score} points with the solutions in place"
