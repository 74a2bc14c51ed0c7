"""Write the student copies of every notebook in the toc (`make student`).

    python tools/make_student.py [--out student] [--zip _build/pixels-to-tokens-student.zip]

The copies live in the repository under ``student/`` (same paths as the notebooks) and are
committed: every lesson's "Open in Colab" badge opens its student copy, so a learner who clicks
it meets each exercise as a stub. ``tests/test_format.py`` checks the committed copies are what
this script writes. In each copy

* code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is replaced by a stub,
  ``# YOUR CODE HERE`` / ``raise NotImplementedError()``, at the marker's indentation (the same
  stub nbgrader writes), and the solution cell is unfolded (the learner writes there);
* code between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` is removed;
* after each exercise's graded check cell comes a markdown cell with the solution inside a
  closed ``<details>`` block: the one deliberate step to the answer, in Jupyter and in Colab;
* outputs and execution counts are empty.

It also packs all copies and ``requirements.txt`` into one zip for instructors.
"""
from __future__ import annotations

import argparse
import hashlib
import pathlib
import re
import sys
import zipfile

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tools")]

SOLUTION = re.compile(r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*(\n|$)",
                      re.M | re.S)
HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS[^\n]*\n.*?^[ \t]*### END HIDDEN TESTS[^\n]*(\n|$)",
                    re.M | re.S)
MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[^\n]*\n?", re.M)
MD_SOLUTION = re.compile(r"=== BEGIN MARK SCHEME ===.*?=== END MARK SCHEME ===", re.S)
STUB = "{indent}# YOUR CODE HERE\n{indent}raise NotImplementedError(){end}"
FOLD_TAGS = {"hide-input", "remove-input", "hide-cell", "remove-cell"}
SOLUTION_CELL_TAG = "student-solution"


def strip_source(source: str) -> str:
    """Replace solution regions by the stub and drop hidden tests from one cell's source."""
    if source.count("### BEGIN SOLUTION") != source.count("### END SOLUTION"):
        raise ValueError("unbalanced ### BEGIN/END SOLUTION markers in:\n" + source[:300])
    if source.count("### BEGIN HIDDEN TESTS") != source.count("### END HIDDEN TESTS"):
        raise ValueError("unbalanced ### BEGIN/END HIDDEN TESTS markers in:\n" + source[:300])
    source = SOLUTION.sub(lambda m: STUB.format(indent=m.group(1), end=m.group(2)), source)
    source = HIDDEN.sub("", source)
    return source.rstrip("\n")


def solution_text(source: str) -> str:
    """The solution cell as the instructor wrote it, without the markers and the #@title line."""
    lines = MARKERS.sub("", source).strip("\n").split("\n")
    if lines and lines[0].lstrip().startswith("#@title"):
        lines = lines[1:]
    return "\n".join(lines).strip("\n")


def exercise_name(source: str) -> str:
    """'Exercise 1.2' from a '#@title ... Exercise 1.2' line, else 'this exercise'."""
    m = re.search(r"Exercise\s+(\d+\.\d+)", source.split("\n", 1)[0])
    return f"Exercise {m.group(1)}" if m else "this exercise"


def solution_cell(source: str) -> nbformat.NotebookNode:
    body = solution_text(source)
    name = exercise_name(source)
    text = (f"<details><summary>Solution to {name} (open it only after you have tried)</summary>\n\n"
            f"```python\n{body}\n```\n\n</details>")
    cell = nbformat.v4.new_markdown_cell(text, metadata={"tags": [SOLUTION_CELL_TAG]})
    cell.id = "solution-" + hashlib.sha1(text.encode()).hexdigest()[:12]  # stable across runs
    return cell


def unfold(cell) -> None:
    cell.metadata["tags"] = [t for t in cell.metadata.get("tags", []) if t not in FOLD_TAGS]
    if not cell.metadata["tags"]:
        del cell.metadata["tags"]
    cell.metadata.pop("cellView", None)
    jupyter = cell.metadata.get("jupyter", {})
    jupyter.pop("source_hidden", None)
    if not jupyter:
        cell.metadata.pop("jupyter", None)


def student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A student copy of one notebook (the input is not modified)."""
    nb = nbformat.from_dict(nb)  # deep copy
    cells, pending = [], []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code":
            original = cell.source
            cell.source = strip_source(cell.source)
            cell.outputs = []
            cell.execution_count = None
            if meta.get("solution"):
                unfold(cell)
                pending.append(original)
        elif cell.cell_type == "markdown":
            cell.source = MD_SOLUTION.sub("YOUR ANSWER HERE", cell.source)
        cells.append(cell)
        if meta.get("grade") and pending:
            cells += [solution_cell(src) for src in pending]
            pending = []
    cells += [solution_cell(src) for src in pending]
    nb.cells = cells
    return nb


def write_all(out: pathlib.Path, entries: list[str]) -> list[pathlib.Path]:
    written = []
    for entry in entries:
        nb = nbformat.read(ROOT / entry, as_version=4)
        target = out / entry
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(student_notebook(nb), target)
        written.append(target)
    return written


def toc_notebooks() -> list[str]:
    import structure
    return [e for e in structure.toc_entries(ROOT) if e.endswith(".ipynb")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "student"))
    parser.add_argument("--zip", default=str(ROOT / "_build" / "pixels-to-tokens-student.zip"))
    args = parser.parse_args(argv)
    out = pathlib.Path(args.out)
    if not out.is_absolute():
        out = ROOT / out
    entries = toc_notebooks()
    written = write_all(out, entries)
    keep = {p.resolve() for p in written}
    for stale in out.glob("notebooks/**/*.ipynb"):
        if stale.resolve() not in keep:
            stale.unlink()
    archive = pathlib.Path(args.zip)
    if not archive.is_absolute():
        archive = ROOT / archive
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in written:
            zf.write(path, path.relative_to(out).as_posix())
        zf.write(ROOT / "requirements.txt", "requirements.txt")
    print(f"wrote {len(written)} student notebooks under {out} and {archive}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
