"""The book builds with warnings as errors, and its lesson pages carry what readers need.

The build executes every notebook (cached in _build/.jupyter_cache), so this module is slow;
with `pytest -n 2 --dist loadscope` it runs on one worker while nbval runs on the other.
"""
import html
import pathlib
import re
import subprocess
import sys

import pytest

import structure

ROOT = pathlib.Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
BIN = pathlib.Path(sys.executable).parent


@pytest.fixture(scope="module")
def build():
    """Run `jupyter-book build . -W -n --keep-going` once for this module."""
    result = subprocess.run([str(BIN / "jupyter-book"), "build", ".", "-W", "-n", "--keep-going"],
                            cwd=ROOT, capture_output=True, text=True, timeout=1800)
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
    if re.search(r'questions\w+=\[\{', (HTML / rel).read_text()):
        feedback = site.answer_quizzes(page)
        assert feedback and all(feedback), f"a quiz question gave no feedback: {feedback}"
    page.close()
