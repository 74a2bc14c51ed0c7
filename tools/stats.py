"""`make stats`: how long each lesson takes to study, and what it asks of the learner.

    python tools/stats.py [--markdown book/benchmarks.md] [NOTEBOOK ...]

Per lesson of the toc: time to study (visible prose words / 200 + visible code lines / 12, see
tools/lessonformat.py), visible code lines, level-2 sections, and exercises by kind (shown /
transfer / predict-then-run / experiment). Prints a table; with --markdown it replaces the part
of that page between ``<!-- stats:start -->`` and ``<!-- stats:end -->`` by the table.
"""
from __future__ import annotations

import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "tests")]

import lessonformat as lf  # noqa: E402

LIMIT_MIN, CAPSTONE_LIMIT_MIN, LIMIT_SECTIONS = 40, 60, 8


def toc_notebooks() -> list[str]:
    import structure
    return [e for e in structure.toc_entries(ROOT) if e.endswith(".ipynb")]


def limit(entry: str) -> int:
    return CAPSTONE_LIMIT_MIN if "capstone" in entry else LIMIT_MIN


def row(entry: str) -> dict:
    nb = lf.read(ROOT / entry)
    kinds = [e["kind"] for e in lf.exercises(nb)]
    return {"notebook": entry, "lesson": lf.lesson_number(nb) or pathlib.Path(entry).stem,
            "minutes": round(lf.study_minutes(nb), 1), "stated": lf.stated_study_minutes(nb),
            "code_lines": lf.visible_code_lines(nb), "words": lf.prose_words(nb),
            "sections": lf.sections(nb),
            "exercises": {k: kinds.count(k) for k in lf.KINDS},
            "unlabelled": kinds.count(None), "limit": limit(entry)}


def table(rows: list[dict]) -> str:
    lines = ["| lesson | time to study (min) | limit | prose words | visible code lines | "
             "sections (≤ 8) | shown | transfer | predict-then-run | experiment |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        name = pathlib.Path(r["notebook"]).stem
        flag = "" if r["minutes"] <= r["limit"] else " ⚠"
        e = r["exercises"]
        lines.append(f"| [{name}](../{r['notebook']}) | {r['minutes']:.0f}{flag} | {r['limit']} | "
                     f"{r['words']} | {r['code_lines']} | {r['sections']} | {e['shown']} | "
                     f"{e['transfer']} | {e['predict-then-run']} | {e['experiment']} |")
    return "\n".join(lines)


def replace_between(text: str, name: str, content: str) -> str:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text:
        return text.rstrip("\n") + f"\n\n{start}\n{content}\n{end}\n"
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    return f"{head}{start}\n{content}\n{end}{tail}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*")
    parser.add_argument("--markdown", help="write the table into this page between the stats markers")
    parser.add_argument("--instructors", help="write the lessons and exercises tables into this page "
                        "(between the instructors markers), times to run from --markdown's page")
    args = parser.parse_args()
    entries = args.notebooks or toc_notebooks()
    missing = [e for e in entries if not (ROOT / e).exists()]
    for e in missing:
        print(f"note: {e} is in the toc but does not exist yet", file=sys.stderr)
    rows = [row(e) for e in entries if e not in missing]
    md = table(rows)
    print(md)
    for r in rows:
        if r["stated"] is not None and r["stated"] != lf.rounded_study_minutes(lf.read(ROOT / r["notebook"])):
            print(f"note: {r['notebook']} states {r['stated']} min to study; "
                  f"the rule gives {lf.rounded_study_minutes(lf.read(ROOT / r['notebook']))}")
    if args.markdown:
        page = pathlib.Path(args.markdown)
        intro = ("Time to study is visible prose words / 200 plus visible code lines / 12 "
                 "(folded machinery does not count); `make stats` (`tools/stats.py`) computes it. "
                 "Limits: 40 minutes a lesson, 60 for the capstone, at most 8 sections.\n\n")
        page.write_text(replace_between(page.read_text(), "stats", intro + md))
    if args.instructors:
        page = pathlib.Path(args.instructors)
        bench_page = pathlib.Path(args.markdown or ROOT / "book" / "benchmarks.md")
        page.write_text(replace_between(page.read_text(), "instructors", instructors_tables(bench_page)))
    return 0



# --- the instructors' page ----------------------------------------------------------------

BENCH_ROW = re.compile(r"^\| \[([\w-]+)\]\([^)]*\) \| ([\d.]+) \| ([\d.]+) \|", re.M)
PREREQ = re.compile(r"\*\*Prerequisites:\*\*\s*(.+?)(?:\n\n|\n\*\*|$)", re.S)


def bench_seconds(page: pathlib.Path) -> dict[str, float]:
    """{notebook stem: wall seconds} from the `make bench` table of the benchmarks page."""
    text = page.read_text()
    if "<!-- bench:start -->" in text:
        text = text.split("<!-- bench:start -->", 1)[1].split("<!-- bench:end -->", 1)[0]
    return {m.group(1): float(m.group(2)) for m in BENCH_ROW.finditer(text)}


def exercise_rows(entry: str) -> list[dict]:
    """Every exercise of a lesson: id, kind, title and the points of its graded cell."""
    nb = lf.read(ROOT / entry)
    points = [c.metadata["nbgrader"].get("points", 0) for c in nb.cells
              if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
    rows = []
    for k, e in enumerate(lf.exercises(nb)):
        title = e["heading"].split(":", 1)[1].strip() if ":" in e["heading"] else ""
        rows.append({"id": e["id"], "kind": e["kind"], "title": title,
                     "points": points[k] if k < len(points) else 0})
    return rows


def lesson_title(nb) -> str:
    return nb.cells[0].source.split("\n", 1)[0].lstrip("# ").strip()


def instructors_tables(bench_page: pathlib.Path) -> str:
    """The lessons table (prerequisites, time to study, time to run, exercises by kind, points)
    and the exercises table of the instructors' page, computed from the notebooks and the
    benchmarks page."""
    seconds = bench_seconds(bench_page)
    lessons = ["| Lesson | Prerequisites | Time to study (min) | Time to run (s) | "
               "Exercises (shown / transfer / predict / experiment) | Points |",
               "|---|---|---:|---:|---|---:|"]
    exercises = ["| Exercise | Lesson | Kind | Task | Points |", "|---|---|---|---|---:|"]
    for entry in toc_notebooks():
        if "/reference/" in entry or not (ROOT / entry).exists():
            continue
        nb = lf.read(ROOT / entry)
        stem = pathlib.Path(entry).stem
        prereq = PREREQ.search(nb.cells[0].source)
        prereq = " ".join(prereq.group(1).split()) if prereq else "—"
        rows = exercise_rows(entry)
        kinds = [r["kind"] for r in rows]
        by_kind = " / ".join(str(kinds.count(k)) for k in lf.KINDS)
        run = f"{seconds[stem]:.0f}" if stem in seconds else "not measured"
        title = lesson_title(nb)
        lessons.append(f"| [{title}](../{entry}) | {prereq} | {lf.rounded_study_minutes(nb)} | {run} | "
                       f"{by_kind} | {sum(r['points'] for r in rows)} |")
        for r in rows:
            exercises.append(f"| {r['id']} | {title} | {r['kind']} | {r['title']} | {r['points']} |")
    return "\n".join(lessons) + "\n\n" + "\n".join(exercises)


if __name__ == "__main__":
    sys.exit(main())
