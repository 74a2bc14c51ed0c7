"""Structural checks of the course, as plain functions that return a list of problems.

Each ``check_*`` takes the repository root and returns human-readable problems (an empty list
means all is well). ``tests/test_structure.py`` runs them on the real tree, and also on
deliberately broken copies, to prove each check can fail.
"""
from __future__ import annotations

import json
import pathlib
import re

import jupytext
import nbformat
import yaml


def notebooks(root: pathlib.Path) -> list[pathlib.Path]:
    """Every lesson notebook under notebooks/, sorted, checkpoints excluded."""
    return sorted(p for p in (root / "notebooks").glob("**/*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts)


def toc_entries(root: pathlib.Path) -> list[str]:
    """Every ``file:`` entry of ``_toc.yml`` (and its root), as written there."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    found = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc.get("parts", []))
    walk(toc.get("chapters", []))
    return found


def _resolve(root: pathlib.Path, entry: str) -> pathlib.Path | None:
    """The file a toc entry points to (entries may omit the suffix), or None."""
    path = root / entry
    if path.suffix in {".ipynb", ".md"} and path.exists():
        return path
    for suffix in (".md", ".ipynb"):
        if path.with_suffix(suffix).exists() and path.suffix == "":
            return path.with_suffix(suffix)
    return None


def check_toc(root: pathlib.Path) -> list[str]:
    """Every notebook is listed in the toc as an .ipynb, and every toc entry exists."""
    problems = []
    entries = toc_entries(root)
    for entry in entries:
        if _resolve(root, entry) is None:
            problems.append(f"_toc.yml lists {entry!r}, which does not exist")
    listed = {(root / e).resolve() for e in entries}
    for nb in notebooks(root):
        if nb.resolve() not in listed:
            problems.append(f"{nb.relative_to(root)} is not listed in _toc.yml (as an .ipynb)")
    return problems


# cell metadata both files of a pair must hold: the folds, nbgrader's and the figures' alt text
PAIRED_METADATA = ("jupyter", "cellView", "nbgrader", "mystnb")


def check_pairs(root: pathlib.Path) -> list[str]:
    """Every .ipynb has a py:percent twin with identical cell types, sources and tags."""
    problems = []
    for nb_path in notebooks(root):
        rel = nb_path.relative_to(root)
        py_path = nb_path.with_suffix(".py")
        if not py_path.exists():
            problems.append(f"{rel} has no py:percent pair {py_path.name}")
            continue
        head = py_path.read_text().split("\n# %%", 1)[0]
        if re.search(r"^#\s+jupytext_version:", head, re.M):
            problems.append(f"{py_path.relative_to(root)}: header still holds jupytext_version")
        a = jupytext.read(nb_path)
        b = jupytext.read(py_path, fmt="py:percent")
        if len(a.cells) != len(b.cells):
            problems.append(f"{rel}: {len(a.cells)} cells, but its .py pair has {len(b.cells)}")
            continue
        for i, (ca, cb) in enumerate(zip(a.cells, b.cells)):
            if ca.cell_type != cb.cell_type:
                problems.append(f"{rel} cell {i}: {ca.cell_type} in .ipynb, {cb.cell_type} in .py")
            elif ca.source.strip() != cb.source.strip():
                problems.append(f"{rel} cell {i}: source differs between .ipynb and .py "
                                f"(run `make sync`)")
            elif ca.metadata.get("tags", []) != cb.metadata.get("tags", []):
                problems.append(f"{rel} cell {i}: tags differ between .ipynb and .py")
            elif any(ca.metadata.get(k) != cb.metadata.get(k) for k in PAIRED_METADATA):
                problems.append(f"{rel} cell {i}: fold, nbgrader or figure metadata differ "
                                "between .ipynb and .py (run `make sync`)")
    return problems


def check_no_outputs(root: pathlib.Path) -> list[str]:
    """No code cell of any notebook stores outputs or an execution count."""
    problems = []
    for nb_path in notebooks(root):
        cells = json.loads(nb_path.read_text())["cells"]
        for i, cell in enumerate(cells):
            if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count")):
                problems.append(f"{nb_path.relative_to(root)} cell {i} stores outputs or an "
                                "execution count (run `make strip`)")
    return problems


def colab_url(root: pathlib.Path, nb_path: pathlib.Path) -> str:
    """The Colab URL of a notebook: the repository URL of _config.yml plus the path of its
    student copy (``student/`` + the notebook's path), so Colab opens the exercises as stubs."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    repo = config["repository"]["url"].rstrip("/")
    branch = config["repository"].get("branch", "main")
    slug = repo.split("github.com/", 1)[1]
    return (f"https://colab.research.google.com/github/{slug}/blob/{branch}/"
            f"student/{nb_path.relative_to(root).as_posix()}")


def check_headers(root: pathlib.Path) -> list[str]:
    """Each notebook opens with a title, a one-paragraph goal and its own Colab badge."""
    problems = []
    for nb_path in notebooks(root):
        rel = nb_path.relative_to(root)
        nb = nbformat.read(nb_path, as_version=4)
        if not nb.cells or nb.cells[0].cell_type != "markdown":
            problems.append(f"{rel}: the first cell is not markdown")
            continue
        text = nb.cells[0].source
        blocks = [b.strip() for b in text.split("\n\n") if b.strip()]
        if not re.match(r"^# (\d\.\d+|Reference:) \S", blocks[0] if blocks else ""):
            problems.append(f"{rel}: first cell does not start with a title '# n.m Title'")
        goal = blocks[1] if len(blocks) > 1 else ""
        if len(goal) < 150 or goal.startswith(("#", "[", "!", "-", "*")):
            problems.append(f"{rel}: no one-paragraph goal after the title")
        badges = re.findall(r"\(https://colab\.research\.google\.com/github/[^)\s]+\)", text)
        want = colab_url(root, nb_path)
        if f"({want})" not in badges:
            problems.append(f"{rel}: no Open-in-Colab badge linking to {want}")
    return problems
