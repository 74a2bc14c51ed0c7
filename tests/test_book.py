"""The book builds with warnings as errors, and its lesson pages carry what readers need.

The build executes every notebook (cached in _build/.jupyter_cache), so this module is slow;
with `pytest -n 2 --dist loadscope` it runs on one worker while nbval runs on the other.
"""
import html
import pathlib
import re
import subprocess
import sys

import nbformat
import pytest
import yaml

import structure

ROOT = pathlib.Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
BIN = pathlib.Path(sys.executable).parent


@pytest.fixture(scope="module")
def build():
    """Run `jupyter-book build . -W -n --keep-going` once for this module."""
    result = subprocess.run([str(BIN / "jupyter-book"), "build", ".", "-W", "-n", "--keep-going"],
                            cwd=ROOT, capture_output=True, text=True, timeout=3600)
    return result


def lesson_pages():
    return [e for e in structure.toc_entries(ROOT) if e.endswith(".ipynb")]


@pytest.mark.slow
def test_book_builds_without_warnings(build):
    warnings = [line for line in (build.stdout + build.stderr).splitlines()
                if "WARNING" in line or "ERROR" in line]
    assert build.returncode == 0, "\n".join(warnings[-30:]) or build.stdout[-3000:]
    assert (HTML / "index.html").exists()


@pytest.mark.slow
@pytest.mark.parametrize("entry", lesson_pages())
def test_lesson_page(build, entry):
    page = HTML / pathlib.Path(entry).with_suffix(".html")
    assert page.exists(), f"{page} was not built"
    text = page.read_text()
    # a Colab launch link to this very notebook
    want = structure.colab_url(ROOT, ROOT / entry)
    assert want in html.unescape(text), f"no Colab launch link to {want}"
    # figures were rendered from executed cells
    assert len(re.findall(r'<img[^>]+src="[^"]*_images/', text)) >= 1, "no executed figure"
    # no cell raised
    assert "Traceback (most recent call last)" not in text
    assert 'class="output traceback' not in text


def site_base() -> str:
    return yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["baseurl"].rstrip("/") + "/"


MD_LINK = re.compile(r"\]\((https?://[^)\s]+)\)")


def site_links(entry):
    """Every link of a notebook's markdown cells that points into the published site."""
    nb = nbformat.read(ROOT / entry, as_version=4)
    return sorted({url for c in nb.cells if c.cell_type == "markdown"
                   for url in MD_LINK.findall(c.source) if url.startswith(site_base())})


def unresolved(url: str) -> str | None:
    """Why ``url`` (on the published site) does not resolve in the built site, or None."""
    path, _, anchor = url[len(site_base()):].partition("#")
    page = HTML / (path or "index.html")
    if not page.is_file():
        return f"{url}: no page {page.relative_to(HTML)} in the built site"
    if anchor and not re.search(rf'\bid="{re.escape(anchor)}"', page.read_text()):
        return f"{url}: page has no anchor #{anchor}"
    return None


@pytest.mark.slow
@pytest.mark.parametrize("entry", lesson_pages())
def test_links_resolve_to_built_pages_and_anchors(build, entry):
    assert [why for url in site_links(entry) if (why := unresolved(url))] == []


@pytest.mark.slow
def test_link_check_fails_on_a_missing_anchor_and_a_missing_page(build):
    assert unresolved(site_base() + "book/glossary.html#no-such-term")
    assert unresolved(site_base() + "book/no-such-page.html")
    assert unresolved(site_base() + "book/glossary.html") is None


# empty, a bare path or file name (no spaces, a slash or an image suffix); "left/right" in a sentence is fine
BAD_ALT = re.compile(r"^\s*$|^\S*[\\/]\S*$|\.(png|jpe?g|svg|gif)\s*$", re.I)


def images_without_description(page_html: str) -> list[str]:
    """Computed figures (``_images/``) whose alt text is missing, empty, a file name or a path."""
    bad = []
    for tag in re.findall(r"<img\b[^>]*>", page_html):
        src = re.search(r'src="([^"]*)"', tag)
        if not src or "_images/" not in src.group(1):
            continue
        alt = re.search(r'alt="([^"]*)"', tag)
        text = html.unescape(alt.group(1)) if alt else ""
        if BAD_ALT.search(text) or len(text.split()) < 4:
            bad.append(f"{src.group(1).rsplit('/', 1)[-1]}: alt={text!r}")
    return bad


@pytest.mark.slow
@pytest.mark.parametrize("entry", lesson_pages())
def test_every_figure_has_a_description(build, entry):
    page = HTML / pathlib.Path(entry).with_suffix(".html")
    assert images_without_description(page.read_text()) == [], (
        "give each figure cell alt text: mystnb={\"image\": {\"alt\": \"...\"}}")


def test_alt_text_check_fails_on_a_path_and_passes_a_description():
    assert images_without_description('<img alt="../../_images/1a3a.png" src="../../_images/1a3a.png">')
    assert images_without_description('<img src="../../_images/1a3a.png">')
    assert not images_without_description(
        '<img alt="Line chart of tokens against image side" src="../../_images/1a3a.png">')


@pytest.mark.slow
def test_lesson_1_1_shows_patch_figure_slider_figure_and_quiz(build):
    text = (HTML / "notebooks/1-surface/1-1-images-become-tokens.html").read_text()
    images = re.findall(r'<img[^>]+src="[^"]*_images/', text)
    assert len(images) >= 4, "expected the grid, the patch strip, the sequence and the static slider figures"
    # the quiz's questions are embedded in the page, so it works without a kernel
    assert re.search(r'questions\w+=\[\{"question"', text), "quiz not embedded"
    # the slider is a widget; its static companion figure is one of the images above
    assert "widget-view" in text, "the resolution slider widget is missing"


# --- the built site in a real browser -------------------------------------------------------

def all_pages():
    return structure.toc_entries(ROOT)


@pytest.fixture(scope="module")
def browser(build):
    """A headless Chromium page on the built site (Debian's chromium, driven by Playwright)."""
    import os
    import shutil

    import site_browser as site

    if not os.path.exists(site.CHROMIUM):
        message = ("Debian's chromium is not installed: `apt-get install chromium` to run the "
                   "browser tests (.ci/run installs it)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with site.serve(HTML) as base, sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=site.CHROMIUM, args=site.LAUNCH_ARGS)
        yield chromium, base, site
        chromium.close()


@pytest.mark.slow
@pytest.mark.parametrize("entry", all_pages())
def test_page_in_a_browser(browser, entry):
    chromium, base, site = browser
    rel = pathlib.Path(entry).with_suffix(".html")
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    shot = ROOT / "_build" / "screenshots" / (rel.as_posix().replace("/", "__") + ".png")
    seen = site.visit(page, f"{base}/{rel.as_posix()}", shot)
    assert seen["status"] == 200
    assert seen["console"] == [], "console errors outside the allow-list"
    assert seen["broken_images"] == [], "figures that did not load"
    assert seen["tracebacks"] == 0, "a cell output shows a traceback"
    assert seen["widget_without_figure"] == 0, "a widget without a static figure beside it"
    if entry.endswith(".ipynb"):
        assert seen["colab"], "no Colab launch link"
        for href in seen["colab"]:
            path = href.split("/blob/main/", 1)[1]
            assert path.endswith(".ipynb") and (ROOT / path).exists(), f"Colab link to missing {path}"
    violations = site.axe_violations(page)
    keyboard = site.keyboard_problems(page)
    if re.search(r'questions\w+=\[\{', (HTML / rel).read_text()):
        feedback = site.answer_quizzes(page)
        assert feedback and all(feedback), f"a quiz question gave no feedback: {feedback}"
    page.close()
    assert violations == [], "critical or serious WCAG findings (axe-core)"
    assert keyboard == [], "something a keyboard-only reader cannot do"
