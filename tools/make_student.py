"""Write student versions of every notebook in the toc (`make student`).

    python tests/make_student.py [--out _build/student]

For each notebook listed in `_toc.yml` this writes a copy under ``--out`` (same folder layout)
in which

* code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is replaced by a stub,
  ``# YOUR CODE HERE`` / ``raise NotImplementedError()``, at the marker's indentation (the same
  stub nbgrader writes);
* code between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` is removed;
* outputs and execution counts are empty, and solution cells are no longer hidden on render;

and then packs all copies into one zip, ``<out>/pixels-to-tokens-student.zip``.
"""
from __future__ import annotations

import argparse
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
MD_SOLUTION = re.compile(r"=== BEGIN MARK SCHEME ===.*?=== END MARK SCHEME ===", re.S)
STUB = "{indent}# YOUR CODE HERE\n{indent}raise NotImplementedError(){end}"


def strip_source(source: str) -> str:
    """Replace solution regions by the stub and drop hidden tests from one cell's source."""
    if source.count("### BEGIN SOLUTION") != source.count("### END SOLUTION"):
        raise ValueError("unbalanced ### BEGIN/END SOLUTION markers in:\n" + source[:300])
    if source.count("### BEGIN HIDDEN TESTS") != source.count("### END HIDDEN TESTS"):
        raise ValueError("unbalanced ### BEGIN/END HIDDEN TESTS markers in:\n" + source[:300])
    source = SOLUTION.sub(lambda m: STUB.format(indent=m.group(1), end=m.group(2)), source)
    source = HIDDEN.sub("", source)
    return source.rstrip("\n")


def student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A student copy of one notebook (the input is not modified)."""
    nb = nbformat.from_dict(nb)  # deep copy
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = strip_source(cell.source)
            cell.outputs = []
            cell.execution_count = None
            if cell.metadata.get("nbgrader", {}).get("solution"):
                tags = [t for t in cell.metadata.get("tags", []) if t != "hide-input"]
                cell.metadata["tags"] = tags
        elif cell.cell_type == "markdown":
            cell.source = MD_SOLUTION.sub("YOUR ANSWER HERE", cell.source)
    return nb


def main() -> int:
    import structure

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "_build" / "student"))
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    entries = [e for e in structure.toc_entries(ROOT) if e.endswith(".ipynb")]
    written = []
    for entry in entries:
        nb = nbformat.read(ROOT / entry, as_version=4)
        target = out / entry
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(student_notebook(nb), target)
        written.append(target)
    archive = out / "pixels-to-tokens-student.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in written:
            zf.write(path, path.relative_to(out).as_posix())
        zf.write(ROOT / "requirements.txt", "requirements.txt")
    print(f"wrote {len(written)} student notebooks under {out} and {archive}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
