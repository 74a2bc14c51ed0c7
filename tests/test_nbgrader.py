"""The notebooks work in nbgrader unchanged.

Builds a throw-away nbgrader course in a temp folder with two of the course's notebooks, runs
nbgrader's own ``generate_assignment`` and ``autograde``, and checks: the released copies hold
no solution code; the instructor's notebooks (solutions in place) score full points; the
untouched released copies score zero. nbgrader is a test-only dependency.
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = pathlib.Path(sys.executable).parent
# two of the lighter notebooks, so autograde (which executes them) stays quick; both without
# an ipywidgets Output widget, which sometimes leaves nbgrader's nbclient waiting forever
NOTEBOOKS = [
    "notebooks/1-surface/1-2-a-shared-space.ipynb",
    "notebooks/2-guided/2-1-patch-embedding.ipynb",
]


def nbgrader(course, *args, force=True):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run([str(BIN / "nbgrader"), *args, *(["--force"] if force else [])], cwd=course, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    notebooks = [nb for nb in NOTEBOOKS if (ROOT / nb).exists()]
    assert len(notebooks) >= 1
    course = tmp_path_factory.mktemp("course")
    db = course / "gradebook.db"
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'pixels-to-tokens'\n"
        f"c.CourseDirectory.db_url = 'sqlite:///{db}'\n"
        "c.ExecutePreprocessor.timeout = 900\n"
        "c.Exchange.root = '" + str(course / "exchange") + "'\n")
    source = course / "source" / "ps1"
    source.mkdir(parents=True)
    for nb in notebooks:
        shutil.copy(ROOT / nb, source / pathlib.Path(nb).name)
    nbgrader(course, "db", "student", "add", "untouched", force=False)
    nbgrader(course, "db", "student", "add", "solved", force=False)
    nbgrader(course, "db", "assignment", "add", "ps1", force=False)
    nbgrader(course, "generate_assignment", "ps1")
    for student, origin in [("untouched", course / "release" / "ps1"), ("solved", source)]:
        target = course / "submitted" / student / "ps1"
        target.mkdir(parents=True)
        for nb in notebooks:
            shutil.copy(origin / pathlib.Path(nb).name, target / pathlib.Path(nb).name)
    nbgrader(course, "autograde", "ps1")
    return course, notebooks, db


def scores(db, student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{db}") as gb:
        submission = gb.find_submission("ps1", student)
        return submission.score, submission.max_score


@pytest.mark.slow
def test_released_copies_hold_no_solution_code(course):
    course_dir, notebooks, _ = course
    for nb in notebooks:
        original = nbformat.read(ROOT / nb, as_version=4)
        released = nbformat.read(course_dir / "release" / "ps1" / pathlib.Path(nb).name, as_version=4)
        text = "\n".join(c.source for c in released.cells)
        assert "### BEGIN SOLUTION" not in text and "### BEGIN HIDDEN TESTS" not in text
        by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in released.cells}
        for cell in original.cells:
            blocks = re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S)
            if not blocks:
                continue
            twin = by_id[cell.metadata["nbgrader"]["grade_id"]]
            for line in "".join(blocks).splitlines():
                if len(line.strip()) > 12:
                    assert line.strip() not in twin.source, f"solution line leaked: {line.strip()}"


@pytest.mark.slow
def test_instructor_solutions_score_full_points(course):
    _, _, db = course
    score, max_score = scores(db, "solved")
    assert max_score > 0
    assert score == max_score


@pytest.mark.slow
def test_untouched_student_copy_scores_zero(course):
    _, _, db = course
    score, max_score = scores(db, "untouched")
    assert max_score > 0
    assert score == 0
