"""Read the exercises of a notebook: solution cells, graded check cells, and check functions.

Conventions (CONTRIBUTING.md, "Exercises"): a solution cell has nbgrader metadata with
``solution: true`` and ``### BEGIN/END SOLUTION`` markers; the graded cell after it has
``grade: true``, ``locked: true`` and ``points``, calls a ``check_...()`` defined in an ``export``
cell, and holds an ``assert`` between ``### BEGIN/END HIDDEN TESTS``.
"""
from __future__ import annotations

import dataclasses
import pathlib
import re

import nbformat

PART_MINIMUM = {"1-surface": 2, "2-guided": 2, "3-deep-dive": 2, "reference": 0}
HEADING = re.compile(r"^###\s+Exercise\s+(\d+)\.(\d+)\b", re.M)
CALL = re.compile(r"\b(check_\w+)\s*\(")
DEF = re.compile(r"^def\s+(check_\w+)\s*\(", re.M)


@dataclasses.dataclass
class Notebook:
    path: pathlib.Path
    headings: list[tuple[int, int]]   # (chapter, k) of every "### Exercise c.k" heading
    solution_cells: list[nbformat.NotebookNode]
    grade_cells: list[nbformat.NotebookNode]
    exported_checks: set[str]


def read(path: pathlib.Path) -> Notebook:
    nb = nbformat.read(path, as_version=4)
    headings, solutions, grades, checks = [], [], [], set()
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown":
            headings += [(int(c), int(k)) for c, k in HEADING.findall(cell.source)]
        elif meta.get("solution"):
            solutions.append(cell)
        elif meta.get("grade"):
            grades.append(cell)
        if cell.cell_type == "code" and "export" in cell.metadata.get("tags", []):
            checks |= set(DEF.findall(cell.source))
    return Notebook(path, headings, solutions, grades, checks)


def problems(root: pathlib.Path, entries: list[str]) -> list[str]:
    """Everything in the toc's notebooks that breaks the exercise conventions."""
    found = []
    ids: dict[str, str] = {}
    per_chapter: dict[int, list[int]] = {}
    for entry in entries:
        nb = read(root / entry)
        rel = entry
        part = pathlib.Path(entry).parent.name
        need = PART_MINIMUM.get(part, 1)
        if len(nb.solution_cells) < need:
            found.append(f"{rel}: {len(nb.solution_cells)} exercise(s); {part} needs at least {need}")
        if len(nb.headings) != len(nb.solution_cells):
            found.append(f"{rel}: {len(nb.headings)} '### Exercise c.k' headings for "
                         f"{len(nb.solution_cells)} solution cells")
        for chapter, k in nb.headings:
            per_chapter.setdefault(chapter, []).append(k)
        for cell in nb.solution_cells + nb.grade_cells:
            meta = cell.metadata["nbgrader"]
            gid = meta.get("grade_id")
            if not gid:
                found.append(f"{rel}: an nbgrader cell has no grade_id")
            elif gid in ids:
                found.append(f"{rel}: grade_id {gid!r} is also used in {ids[gid]}")
            else:
                ids[gid] = rel
            if meta.get("schema_version") != 3:
                found.append(f"{rel}: {gid}: nbgrader schema_version is not 3")
        for cell in nb.solution_cells:
            gid = cell.metadata["nbgrader"].get("grade_id")
            if cell.cell_type == "code" and "### BEGIN SOLUTION" not in cell.source:
                found.append(f"{rel}: {gid}: solution cell has no ### BEGIN SOLUTION marker")
            if cell.cell_type == "code" and "hide-input" not in cell.metadata.get("tags", []):
                found.append(f"{rel}: {gid}: solution cell is not tagged hide-input (site toggle)")
        if len(nb.grade_cells) < len(nb.solution_cells):
            found.append(f"{rel}: {len(nb.solution_cells)} solution cells but only "
                         f"{len(nb.grade_cells)} graded check cells")
        for cell in nb.grade_cells:
            meta = cell.metadata["nbgrader"]
            gid = meta.get("grade_id")
            if not meta.get("locked"):
                found.append(f"{rel}: {gid}: graded cell is not locked")
            if not meta.get("points"):
                found.append(f"{rel}: {gid}: graded cell has no points")
            called = set(CALL.findall(cell.source))
            if not called:
                found.append(f"{rel}: {gid}: graded cell calls no check_...() function")
            for name in called - nb.exported_checks:
                found.append(f"{rel}: {gid}: {name} is not defined in an export cell")
            hidden = re.search(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", cell.source, re.S)
            if not hidden or "assert" not in hidden.group(1):
                found.append(f"{rel}: {gid}: no assert between ### BEGIN/END HIDDEN TESTS")
    for chapter, ks in per_chapter.items():
        if ks != list(range(1, len(ks) + 1)):
            found.append(f"chapter {chapter}: exercises are numbered {ks}, not 1..{len(ks)} in toc order")
    return found


def all_checks(root: pathlib.Path, entries: list[str]) -> dict[str, str]:
    """Map every check_ function defined in an export cell to its notebook."""
    return {name: entry for entry in entries for name in read(root / entry).exported_checks}
