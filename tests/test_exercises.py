"""Exercises follow the conventions, and every self-check is itself checked.

The learntools pattern: each ``check_...()`` must accept the solution and reject at least two
plausible wrong answers with a useful message. The cases live beside each lesson's unit tests,
as a module-level ``CHECK_CASES = {"check_name": {"solution": f, "wrong": [g, h, ...]}}`` in
``tests/test_lesson_<n>_<m>.py``; this module gathers them and fails for any check without them.
"""
import importlib
import pathlib

import pytest

import exercises
import structure
from nbexport import load_exports

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENTRIES = [e for e in structure.toc_entries(ROOT) if e.endswith(".ipynb")]
CHECKS = exercises.all_checks(ROOT, ENTRIES)  # check name -> notebook


def gather_cases():
    cases = {}
    for path in sorted(pathlib.Path(__file__).parent.glob("test_lesson_*.py")):
        module = importlib.import_module(path.stem)
        for name, case in getattr(module, "CHECK_CASES", {}).items():
            cases[name] = case
    return cases


CASES = gather_cases()


def not_attempted(*args, **kwargs):
    raise NotImplementedError()


def test_exercises_follow_the_conventions():
    assert exercises.problems(ROOT, ENTRIES) == []


def test_every_check_is_tested_with_a_solution_and_two_wrong_answers():
    missing = [f"{name} ({nb})" for name, nb in CHECKS.items()
               if name not in CASES or len(CASES[name].get("wrong", [])) < 2
               or "solution" not in CASES[name]]
    assert missing == [], "checks without a solution and two wrong answers in CHECK_CASES"


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_check_accepts_the_solution(name, capsys):
    check = getattr(load_exports(CHECKS[name]), name)
    assert check(CASES[name]["solution"]) is True
    assert "✔" in capsys.readouterr().out


@pytest.mark.parametrize("name,i", [(n, i) for n in sorted(CHECKS) if n in CASES
                                    for i in range(len(CASES[n].get("wrong", [])))])
def test_check_rejects_a_wrong_answer_with_a_message(name, i, capsys):
    check = getattr(load_exports(CHECKS[name]), name)
    assert check(CASES[name]["wrong"][i]) is False
    out = capsys.readouterr().out
    assert "✘" in out and len(out.strip()) > 30, f"unhelpful message: {out!r}"


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_check_says_not_attempted_for_the_untouched_stub(name, capsys):
    check = getattr(load_exports(CHECKS[name]), name)
    assert check(not_attempted) is None
    assert "Not attempted" in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_check_is_quiet_when_asked(name, capsys):
    check = getattr(load_exports(CHECKS[name]), name)
    assert check(CASES[name]["solution"], quiet=True) is True
    assert capsys.readouterr().out == ""


