"""Load the cells of a notebook tagged ``export`` into a fresh module.

Lessons keep their reusable definitions (functions a later cell or a test needs, and the
``check_...()`` self-checks of the exercises) in code cells tagged ``export``. Those cells are
plain Python and must run on their own, in notebook order, with no other cell run first.
This helper is how the test suite reaches them:

    >>> from nbexport import load_exports
    >>> m = load_exports("notebooks/1-surface/1-1-images-become-tokens.ipynb")
    >>> m.count_patches(512, 512, 16)
    1024

In: a path to an ``.ipynb`` (relative paths are taken from the repository root).
Out: a ``types.ModuleType`` whose namespace holds everything the export cells define.
"""
from __future__ import annotations

import functools
import pathlib
import sys
import types

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent


def export_sources(path: str | pathlib.Path) -> list[str]:
    """Return the sources of the code cells tagged ``export``, in notebook order."""
    path = ROOT / path
    nb = nbformat.read(path, as_version=4)
    return [
        cell.source
        for cell in nb.cells
        if cell.cell_type == "code" and "export" in cell.get("metadata", {}).get("tags", [])
    ]


@functools.lru_cache(maxsize=None)
def load_exports(path: str) -> types.ModuleType:
    """Execute the export cells of the notebook at ``path`` and return them as a module.

    Raises ``ValueError`` if the notebook has no export cell, and re-raises any error of
    a cell with the cell's index and notebook path in the message.
    """
    sources = export_sources(path)
    if not sources:
        raise ValueError(f"{path} has no code cell tagged 'export'")
    name = "nbexport_" + pathlib.Path(path).stem.replace("-", "_")
    module = types.ModuleType(name)
    module.__file__ = str(ROOT / path)
    sys.modules[name] = module  # dataclasses and pickling look classes' modules up here
    for i, src in enumerate(sources):
        if src.lstrip().startswith(("%", "!")) or "\n%" in src or "\n!" in src:
            raise ValueError(f"{path}: export cell {i} uses an IPython magic or shell escape")
        # dont_inherit: this file's `from __future__ import annotations` must not leak into
        # the cells (it would turn their annotations into strings)
        code = compile(src, f"{path}::export[{i}]", "exec", dont_inherit=True)
        exec(code, module.__dict__)  # noqa: S102 - the notebooks are our own source
    return module
