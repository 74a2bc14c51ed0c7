"""A throw-away nbgrader course holding every lesson of the toc that has exercises.

Used by tests/test_nbgrader_*.py. ``build(tmp)`` makes the course, adds the students and the
assignment, runs ``nbgrader generate_assignment`` and submits, for student ``solved``, the
instructor's notebooks (solutions in place) and, for student ``untouched``, the released copies
as they are. ``autograde(course, student, limit_s)`` runs nbgrader's autograde for one student
under a wall-clock limit (a hang becomes a failure). ``scores`` reads each notebook's points.
"""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import time

import nbformat

import structure

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = pathlib.Path(sys.executable).parent
ASSIGNMENT = "ps1"


def graded_entries() -> list[str]:
    """Every notebook of the toc with at least one graded cell."""
    out = []
    for entry in structure.toc_entries(ROOT):
        if entry.endswith(".ipynb") and (ROOT / entry).exists():
            nb = nbformat.read(ROOT / entry, as_version=4)
            if any(c.metadata.get("nbgrader", {}).get("grade") for c in nb.cells):
                out.append(entry)
    return out


# wall-clock limit of one autograde of the whole course: ~7 min on one fast core, ~20 min on a
# slow busy one; it is there so that a hang fails instead of stalling CI
AUTOGRADE_LIMIT_S = 2700


def nbgrader(course, *args, force=True, timeout=900):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run([str(BIN / "nbgrader"), *args, *(["--force"] if force else [])],
                            cwd=course, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def build(tmp: pathlib.Path, entries: list[str], students=("solved", "untouched")) -> pathlib.Path:
    course = tmp / "course"
    course.mkdir()
    db = course / "gradebook.db"
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'pixels-to-tokens'\n"
        f"c.CourseDirectory.db_url = 'sqlite:///{db}'\n"
        "c.ExecutePreprocessor.timeout = 900\n"
        "c.Exchange.root = '" + str(course / "exchange") + "'\n")
    source = course / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    for entry in entries:
        shutil.copy(ROOT / entry, source / pathlib.Path(entry).name)
    for student in students:
        nbgrader(course, "db", "student", "add", student, force=False)
    nbgrader(course, "db", "assignment", "add", ASSIGNMENT, force=False)
    nbgrader(course, "generate_assignment", ASSIGNMENT)
    origins = {"solved": source, "untouched": course / "release" / ASSIGNMENT}
    for student in students:
        target = course / "submitted" / student / ASSIGNMENT
        target.mkdir(parents=True)
        for entry in entries:
            name = pathlib.Path(entry).name
            shutil.copy(origins[student] / name, target / name)
    return course


def autograde(course: pathlib.Path, student: str, limit_s: float) -> float:
    """Autograde one student's submission; fail if it takes longer than ``limit_s``."""
    start = time.monotonic()
    try:
        nbgrader(course, "autograde", ASSIGNMENT, "--student", student, timeout=limit_s)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"nbgrader autograde of {student!r} ran past {limit_s:.0f} s: "
                             "a notebook hangs or is far over its budget") from exc
    return time.monotonic() - start


def scores(course: pathlib.Path, student: str) -> dict[str, tuple[float, float]]:
    """{notebook name: (score, max score)} of one student's graded submission."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        submission = gb.find_submission(ASSIGNMENT, student)
        return {nb.name: (nb.score, nb.max_score) for nb in submission.notebooks}
