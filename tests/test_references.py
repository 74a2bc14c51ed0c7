"""Every paper and vendor document a page links to is in references.bib (and so on the
references page), and citations in notebooks are plain links that read well in Colab too."""
import pathlib
import re

import nbformat
import pytest

import structure

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIB = (ROOT / "references.bib").read_text()
# documentation hosts of the vendors and projects whose rules the course computes
DOC_HOSTS = ("platform.openai.com", "docs.anthropic.com", "docs.claude.com", "ai.google.dev",
             "cloud.google.com", "www.adept.ai", "llava-vl.github.io")
LINK = re.compile(r"\]\((https?://[^)\s]+)\)")


def page_texts():
    for entry in structure.toc_entries(ROOT):
        path = ROOT / entry
        if path.suffix == ".ipynb":
            nb = nbformat.read(path, as_version=4)
            yield entry, "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        else:
            yield entry, path.with_suffix(".md").read_text() if not path.suffix else path.read_text()


def missing_from_bib(text):
    missing = []
    for url in LINK.findall(text):
        arxiv = re.search(r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})", url)
        if arxiv and arxiv.group(1) not in BIB:
            missing.append(url)
        elif not arxiv and url.split("/")[2] in DOC_HOSTS:
            path = url.split("#")[0].rstrip("/")
            if path not in BIB:
                missing.append(url)
    return missing


@pytest.mark.parametrize("entry,text", list(page_texts()), ids=lambda v: v if isinstance(v, str) and "/" in v else "")
def test_every_cited_source_is_in_the_bibliography(entry, text):
    assert missing_from_bib(text) == []


@pytest.mark.parametrize("entry", [e for e in structure.toc_entries(ROOT) if e.endswith(".ipynb")])
def test_notebooks_use_no_myst_roles_that_colab_shows_raw(entry):
    nb = nbformat.read(ROOT / entry, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert not re.search(r"\{(cite|cite:p|cite:t|term|ref|doc|numref)\}`", text)


def test_the_check_itself_catches_a_missing_source():
    assert missing_from_bib("see [X](https://arxiv.org/abs/9999.99999)") != []
    assert missing_from_bib("see [ViT](https://arxiv.org/abs/2010.11929)") == []
