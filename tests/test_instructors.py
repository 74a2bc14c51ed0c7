"""The instructors' page matches the notebooks and the benchmarks.

Its lessons table (prerequisites, time to study, time to run, exercises by kind, points) and its
exercises table are what `make stats` computes from the notebooks and from the `make bench`
table of the benchmarks page; every lesson of the toc has a row of learning objectives.
"""
import pathlib

import stats
import structure

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGE = ROOT / "book" / "for-instructors.md"


def section(text, name):
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    assert start in text and end in text, f"the page has no {name} markers"
    return text.split(start, 1)[1].split(end, 1)[0].strip()


def test_lessons_and_exercises_tables_match_the_notebooks_and_benchmarks():
    want = stats.instructors_tables(ROOT / "book" / "benchmarks.md").strip()
    assert section(PAGE.read_text(), "instructors") == want, "run `make stats` and commit the page"


def test_every_lesson_has_learning_objectives():
    text = section(PAGE.read_text(), "objectives")
    for entry in structure.toc_entries(ROOT):
        if entry.endswith(".ipynb") and "/reference/" not in entry:
            assert f"({'../' + entry})" in text, f"no objectives row links {entry}"


def test_the_table_check_fails_when_a_time_drifts(tmp_path):
    bench = tmp_path / "benchmarks.md"
    text = (ROOT / "book" / "benchmarks.md").read_text()
    rows = stats.bench_seconds(ROOT / "book" / "benchmarks.md")
    stem = next(iter(rows))
    bench.write_text(text.replace(f"[{stem}]", f"[{stem}-renamed]"))
    assert stats.instructors_tables(bench) != stats.instructors_tables(ROOT / "book" / "benchmarks.md")
