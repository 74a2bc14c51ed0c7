"""Number the exercises of each part 1..n in reading order (the toc's), in both files of a pair.

    python tools/renumber_exercises.py [--check]

Exercises are numbered per part (chapter): "Exercise 3.4" is the fourth exercise of Part 3.
After lessons are added, split or reordered, this rewrites every "Exercise c.k" and every
nbgrader grade id "exc-k-..." of a notebook (``.py`` and ``.ipynb``) to its new number. With
``--check`` it only reports what it would change (exit 1 if anything).
"""
from __future__ import annotations

import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tools")]

import lessonformat as lf  # noqa: E402
import structure  # noqa: E402


def mapping() -> dict[str, dict[str, str]]:
    """{notebook: {old 'c.k': new 'c.k'}} for every notebook whose numbers change."""
    counters: dict[str, int] = {}
    out = {}
    for entry in structure.toc_entries(ROOT):
        if not entry.endswith(".ipynb") or not (ROOT / entry).exists():
            continue
        nb = lf.read(ROOT / entry)
        chapter = lf.lesson_number(nb)
        if chapter is None:
            continue
        chapter = chapter.split(".")[0]
        changes = {}
        for e in lf.exercises(nb):
            counters[chapter] = counters.get(chapter, 0) + 1
            new = f"{chapter}.{counters[chapter]}"
            if e["id"] != new:
                changes[e["id"]] = new
        if changes:
            out[entry] = changes
    return out


def rewrite(text: str, changes: dict[str, str]) -> str:
    ids = "|".join(re.escape(k) for k in sorted(changes, key=len, reverse=True))
    text = re.sub(rf"(Exercise )({ids})(?![\d])", lambda m: m.group(1) + changes[m.group(2)], text)
    dashed = {k.replace(".", "-"): v.replace(".", "-") for k, v in changes.items()}
    ids = "|".join(re.escape(k) for k in sorted(dashed, key=len, reverse=True))
    return re.sub(rf"\bex({ids})-", lambda m: f"ex{dashed[m.group(1)]}-", text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    plan = mapping()
    for entry, changes in plan.items():
        print(entry, changes)
        if args.check:
            continue
        for path in (ROOT / entry, (ROOT / entry).with_suffix(".py")):
            if path.exists():
                path.write_text(rewrite(path.read_text(), changes))
    return 1 if (plan and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
