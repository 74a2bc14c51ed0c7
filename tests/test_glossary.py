"""The glossary defines what the lessons use, and the lessons link it where a term first appears."""
import pathlib
import re

import nbformat
import pytest

import glossary
import structure

ROOT = pathlib.Path(__file__).resolve().parent.parent
LESSONS = [e for e in structure.toc_entries(ROOT) if e.endswith(".ipynb")]
GLOSSARY = (ROOT / "book" / "glossary.md").read_text()


def slug(heading):
    """MyST's heading anchor: lower case, punctuation dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_term_has_a_glossary_entry():
    anchors = {slug(h) for h in re.findall(r"^## (.+)$", GLOSSARY, re.M)}
    assert set(glossary.TERMS.values()) - anchors == set()


def test_glossary_and_misconceptions_pages_are_in_the_toc():
    entries = structure.toc_entries(ROOT)
    assert "book/glossary" in entries or "book/glossary.md" in entries
    assert "book/misconceptions" in entries or "book/misconceptions.md" in entries


@pytest.mark.parametrize("entry", LESSONS)
def test_lesson_links_the_glossary_terms_it_uses(entry):
    nb = nbformat.read(ROOT / entry, as_version=4)
    text = "\n".join(c.source for c in nb.cells[1:] if c.cell_type == "markdown")
    assert glossary.unlinked_terms(text, glossary.GLOSSARY_URL) == []


def test_the_check_catches_an_unlinked_term():
    assert glossary.unlinked_terms("The projector maps features.", "g.md") == ["projector"]
    assert glossary.unlinked_terms("The [projector](g.md#projector) maps.", "g.md") == []
    assert glossary.unlinked_terms("`projector` in code only", "g.md") == []
