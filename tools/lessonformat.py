"""The lesson format v2, as code: what is folded, what a learner reads, how long it takes.

Used by ``tools/stats.py`` (``make stats``), by ``tools/make_student.py`` and by the format tests
(``tests/test_format.py``). Plain functions over ``nbformat`` notebooks; no side effects.

Definitions (CONTRIBUTING.md, "Lesson format v2"):

* a cell is **folded** when it is folded in all three places people read it: on the site (tag
  ``hide-input``, ``remove-input``, ``hide-cell`` or ``remove-cell``), in JupyterLab / Notebook 7
  (metadata ``jupyter.source_hidden``) and in Colab (metadata ``cellView: form`` and a first line
  ``#@title ...``);
* **machinery that must be folded**: a code cell that defines a ``check_...`` function, shows a
  quiz (``display_quiz(``) or holds hidden tests (``### BEGIN HIDDEN TESTS``);
* **time to study** = visible prose words / 200 + visible code lines / 12, where visible code
  lines are the non-blank, non-comment lines of code cells that are not folded;
* **sections** = level-2 headings (``## ``) of markdown cells.
"""
from __future__ import annotations

import math
import re

import nbformat

FOLD_TAGS = {"hide-input", "remove-input", "remove-cell", "hide-cell"}
MACHINERY = re.compile(r"^def check_\w+|display_quiz\(|### BEGIN HIDDEN TESTS", re.M)
WORD = re.compile(r"[A-Za-z0-9][\w'.,-]*")
LINK_TARGET = re.compile(r"\]\([^)]*\)")
KINDS = ("shown", "transfer", "predict-then-run", "experiment")
EXERCISE = re.compile(r"^###\s+Exercise\s+(\d+)\.(\d+)\b[^\n]*", re.M)
KIND = re.compile(r"\*\*Kind:\*\*\s*([a-z-]+)", re.I)
STUDY = re.compile(r"\*\*Time to study:\*\*\s*about\s+(\d+)\s+min", re.I)
CARRIED = re.compile(r"^#@title From lesson (\d+\.\d+), unchanged\b.*$")


def read(path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def title_line(cell) -> str:
    """The first line of a cell's source."""
    return cell.source.split("\n", 1)[0].strip()


def fold_problems(cell) -> list[str]:
    """Why a code cell is not folded in all three environments ([] if it is)."""
    md = cell.get("metadata", {})
    missing = []
    if not set(md.get("tags", [])) & FOLD_TAGS:
        missing.append("site: no hide-input/remove-input tag")
    if not md.get("jupyter", {}).get("source_hidden"):
        missing.append('JupyterLab: no "jupyter": {"source_hidden": true}')
    if md.get("cellView") != "form":
        missing.append('Colab: no "cellView": "form"')
    if not title_line(cell).startswith("#@title"):
        missing.append("Colab: first line is not '#@title ...'")
    return missing


def folded(cell) -> bool:
    return cell.cell_type == "code" and not fold_problems(cell)


def must_fold(cell) -> bool:
    """A code cell that defines a check, shows a quiz or holds hidden tests."""
    return cell.cell_type == "code" and bool(MACHINERY.search(cell.source))


def unfolded_machinery(nb) -> list[tuple[int, list[str]]]:
    """(cell index, what is missing) for every machinery cell that is not folded."""
    return [(i, fold_problems(c)) for i, c in enumerate(nb.cells) if must_fold(c) and fold_problems(c)]


def prose_words(nb) -> int:
    return sum(len(WORD.findall(LINK_TARGET.sub("]", c.source)))
               for c in nb.cells if c.cell_type == "markdown")


def code_lines(source: str) -> int:
    return sum(1 for line in source.split("\n")
               if line.strip() and not line.strip().startswith(("#", "%", "!")))


def visible_code_lines(nb) -> int:
    return sum(code_lines(c.source) for c in nb.cells if c.cell_type == "code" and not folded(c))


def study_minutes(nb) -> float:
    """Visible prose words / 200 + visible code lines / 12."""
    return prose_words(nb) / 200 + visible_code_lines(nb) / 12


def rounded_study_minutes(nb) -> int:
    """The time to study a lesson states: minutes rounded up to a multiple of 5."""
    return 5 * max(1, math.ceil(study_minutes(nb) / 5))


def stated_study_minutes(nb) -> int | None:
    """The number in the first cell's '**Time to study:** about N minutes', if any."""
    m = STUDY.search(nb.cells[0].source) if nb.cells else None
    return int(m.group(1)) if m else None


def sections(nb) -> int:
    count = 0
    for c in nb.cells:
        if c.cell_type != "markdown":
            continue
        in_fence = False
        for line in c.source.split("\n"):
            if line.lstrip().startswith("```"):
                in_fence = not in_fence
            elif not in_fence and line.startswith("## "):
                count += 1
    return count


def exercises(nb) -> list[dict]:
    """Every '### Exercise c.k' with its kind (the '**Kind:** ...' line of the same cell)."""
    found = []
    for c in nb.cells:
        if c.cell_type != "markdown":
            continue
        for m in EXERCISE.finditer(c.source):
            kind = KIND.search(c.source[m.start():])
            found.append({"id": f"{m.group(1)}.{m.group(2)}", "heading": m.group(0),
                          "kind": kind.group(1).lower() if kind else None})
    return found


def carried_cells(nb) -> list[tuple[int, str, str]]:
    """(cell index, origin lesson 'X.Y', body) of every 'From lesson X.Y, unchanged' cell."""
    out = []
    for i, c in enumerate(nb.cells):
        if c.cell_type == "code":
            m = CARRIED.match(title_line(c))
            if m:
                out.append((i, m.group(1), body(c.source)))
    return out


def body(source: str) -> str:
    """A cell's source without a leading '#@title' line, stripped."""
    lines = source.strip().split("\n")
    if lines and lines[0].strip().startswith("#@title"):
        lines = lines[1:]
    return "\n".join(lines).strip()


def lesson_number(nb) -> str | None:
    """'1.1' from a first cell '# 1.1 Title'."""
    m = re.match(r"#\s+(\d+\.\d+)\s", nb.cells[0].source) if nb.cells else None
    return m.group(1) if m else None


SITE_LINK = re.compile(r"\]\((?!https?://|#|mailto:)([^)\s]+)\)")
SOLUTION_BLOCK = re.compile(r"### BEGIN SOLUTION[^\n]*\n(.*?)^[ \t]*### END SOLUTION", re.S | re.M)


def relative_links(nb) -> list[str]:
    """Links in markdown cells that are neither absolute URLs nor in-page anchors."""
    return [m for c in nb.cells if c.cell_type == "markdown" for m in SITE_LINK.findall(c.source)]


def solution_lines_elsewhere(nb) -> list[str]:
    """Lines of a solution (long enough to mean something) that stand in another cell."""
    found = []
    for i, c in enumerate(nb.cells):
        for block in SOLUTION_BLOCK.findall(c.source) if c.cell_type == "code" else []:
            for line in block.splitlines():
                s = line.strip()
                if len(s) <= 12 or s.startswith(("#", "import ", "from ", "return None", "pass")):
                    continue
                for j, other in enumerate(nb.cells):
                    if j != i and s in other.source:
                        found.append(f"cell {i}'s solution line {s!r} also stands in cell {j}")
    return found


def report(path) -> list[str]:
    """Everything the format asks of one lesson that it does not meet (for authors)."""
    nb = read(path)
    out = [f"cell {i} is machinery but not folded: {', '.join(p)}" for i, p in unfolded_machinery(nb)]
    for i, c in enumerate(nb.cells):
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution") and fold_problems(c):
            out.append(f"cell {i} (solution) not folded: {', '.join(fold_problems(c))}")
    out += [f"relative link {link!r}: use the absolute site URL" for link in relative_links(nb)]
    out += solution_lines_elsewhere(nb)
    minutes, limit = study_minutes(nb), (60 if "capstone" in str(path) else 40)
    if minutes > limit:
        out.append(f"{minutes:.0f} minutes to study (limit {limit})")
    if sections(nb) > 8:
        out.append(f"{sections(nb)} level-2 sections (limit 8)")
    stated = stated_study_minutes(nb)
    if stated != rounded_study_minutes(nb):
        out.append(f"first cell states time to study {stated}; it should say 'about "
                   f"{rounded_study_minutes(nb)} minutes' ({minutes:.1f} measured)")
    ex = exercises(nb)
    if "reference" not in str(path):
        if not 2 <= len(ex) <= 4:
            out.append(f"{len(ex)} exercises (2-4 wanted)")
        if [e for e in ex if e["kind"] not in KINDS]:
            out.append("an exercise has no '**Kind:** shown|transfer|predict-then-run|experiment' line")
        if sum(e["kind"] == "shown" for e in ex) > 1:
            out.append("more than one exercise of kind 'shown'")
    return out


if __name__ == "__main__":
    import sys
    bad = 0
    for p in sys.argv[1:]:
        problems = report(p)
        nb = read(p)
        print(f"{p}: {study_minutes(nb):.1f} min, {sections(nb)} sections, "
              f"exercises {[e['kind'] for e in exercises(nb)]}")
        for problem in problems:
            print("  -", problem)
        bad += bool(problems)
    sys.exit(1 if bad else 0)
