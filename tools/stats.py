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
    return 0


if __name__ == "__main__":
    sys.exit(main())
