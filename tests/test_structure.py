"""Structure of the course: toc, pairs, clean notebooks, first cells.

Each check runs on the real tree (must pass) and on a deliberately broken copy (must fail), so
none of them can pass vacuously.
"""
import json
import pathlib
import shutil
import subprocess
import sys

import nbformat
import pytest

import structure

ROOT = pathlib.Path(__file__).resolve().parent.parent
LESSON = "notebooks/1-surface/1-1-images-become-tokens"


def test_there_are_notebooks():
    assert len(structure.notebooks(ROOT)) >= 1


def test_toc_and_notebooks_agree():
    assert structure.check_toc(ROOT) == []


def test_pairs_are_in_sync():
    assert structure.check_pairs(ROOT) == []


def test_no_stored_outputs():
    assert structure.check_no_outputs(ROOT) == []


def test_first_cells_have_title_goal_and_colab_badge():
    assert structure.check_headers(ROOT) == []


# --- the same checks on broken copies -----------------------------------------------------

@pytest.fixture
def copy(tmp_path):
    """A throw-away copy of the parts of the repository the checks read."""
    for name in ("_toc.yml", "_config.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    shutil.copytree(ROOT / "book", tmp_path / "book")
    assert structure.check_toc(tmp_path) == []
    return tmp_path


def test_a_notebook_missing_from_the_toc_is_found(copy):
    toc = copy / "_toc.yml"
    toc.write_text(toc.read_text().replace(f"- file: {LESSON}.ipynb", "- file: book/references"))
    assert any("not listed in _toc.yml" in p for p in structure.check_toc(copy))


def test_a_toc_entry_without_a_file_is_found(copy):
    toc = copy / "_toc.yml"
    toc.write_text(toc.read_text().replace(f"{LESSON}.ipynb", f"{LESSON}-gone.ipynb"))
    assert any("does not exist" in p for p in structure.check_toc(copy))


def test_a_drifted_pair_is_found(copy):
    py = copy / f"{LESSON}.py"
    py.write_text(py.read_text().replace("SEED = 0", "SEED = 1"))
    assert any("source differs" in p for p in structure.check_pairs(copy))


def test_a_missing_pair_is_found(copy):
    (copy / f"{LESSON}.py").unlink()
    assert any("no py:percent pair" in p for p in structure.check_pairs(copy))


def test_a_stored_output_is_found(copy):
    path = copy / f"{LESSON}.ipynb"
    nb = json.loads(path.read_text())
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["hi\n"]}]
    code["execution_count"] = 1
    path.write_text(json.dumps(nb))
    assert any("stores outputs" in p for p in structure.check_no_outputs(copy))


def test_a_wrong_colab_badge_is_found(copy):
    path = copy / f"{LESSON}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source = nb.cells[0].source.replace("/student/notebooks/1-surface/",
                                                    "/student/notebooks/2-guided/")
    nbformat.write(nb, path)
    assert any("Colab badge" in p for p in structure.check_headers(copy))


def test_a_missing_goal_is_found(copy):
    path = copy / f"{LESSON}.ipynb"
    nb = nbformat.read(path, as_version=4)
    title, _, rest = nb.cells[0].source.partition("\n\n")
    nb.cells[0].source = title + "\n\n" + rest.split("\n\n", 1)[1]
    nbformat.write(nb, path)
    assert any("goal" in p for p in structure.check_headers(copy))


@pytest.mark.slow
def test_nbval_fails_on_a_raising_cell(tmp_path):
    """The nbval run of `make test` really fails when a notebook cell raises."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("x = 1"),
                nbformat.v4.new_code_cell("raise RuntimeError('deliberately broken')")]
    (tmp_path / "none.ini").write_text("[pytest]\n")
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
         "-c", str(tmp_path / "none.ini"), "--rootdir", str(tmp_path), str(path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode != 0, result.stdout
    assert "deliberately broken" in result.stdout
