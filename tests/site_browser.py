"""Drive the built site in headless Chromium (Debian's `chromium`, through Playwright).

Used by tests/test_book.py after the build. Nothing here downloads a browser: Playwright is
pointed at /usr/bin/chromium. The machines that build the course are offline, while readers
are online, so requests to public CDNs fail here; those failures are allowed below, each kind
with the reason, and nothing else is.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import pathlib
import re
import shutil
import socketserver
import threading

import os

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# Console messages that are known and harmless. Each entry: (regex on the message text,
# regex on the message's source URL, why it is harmless).
ALLOWED_CONSOLE = [
    (r"^Failed to load resource: net::ERR_", r"^https?://(?!127\.0\.0\.1)",
     "a public CDN (MathJax, require.js, the widget manager, the Colab badge image) is "
     "unreachable on the offline test machine; readers are online"),
    (r"^Identifier 'THEBE_JS_URL' has already been declared", r".*",
     "sphinx-book-theme includes sphinx-thebe's loader twice; launching Thebe still works"),
    (r"^Got invalid theme mode: \. Resetting to auto\.", r"pydata-sphinx-theme",
     "pydata-sphinx-theme's first-visit message: no light/dark choice stored yet"),
    (r"status of 404", r"/favicon\.ico$",
     "the browser asks the test server for /favicon.ico; the site sets no favicon"),
]


# MathJax is loaded from a CDN that the offline test machine cannot reach. Quiz scripts read
# `MathJax.version` once MathJax's configuration object exists, and fail when the library itself
# never arrived. So the test answers the MathJax request with a stand-in that provides only what
# those scripts read, and the page behaves as it does for an online reader.
MATHJAX_URL = re.compile(r"^https://[^/]+/.*mathjax.*\.js", re.I)
MATHJAX_STANDIN = ("window.MathJax = Object.assign(window.MathJax || {}, {version: '3.2.2', "
                   "typeset: function () {}, typesetPromise: function () { return Promise.resolve(); }});")


def allowed(text: str, url: str) -> bool:
    return any(re.search(t, text) and re.search(u, url or "") for t, u, _ in ALLOWED_CONSOLE)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@contextlib.contextmanager
def serve(directory: pathlib.Path):
    """Serve ``directory`` on 127.0.0.1 at a free port; yield the base URL."""
    handler = functools.partial(_Quiet, directory=str(directory))
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()


def visit(page, url: str, screenshot: pathlib.Path) -> dict:
    """Open ``url`` in ``page``; return what a reader would run into.

    Out: a dict with ``status`` (HTTP), ``console`` (disallowed console errors and page
    errors), ``broken_images`` (figures that did not load), ``colab`` (launch-link targets),
    ``tracebacks`` (cell outputs showing one), ``widgets`` and ``widget_without_figure``.
    """
    problems: list[str] = []

    def on_console(msg):
        if msg.type == "error" and not allowed(msg.text, msg.location.get("url", "")):
            problems.append(f"console: {msg.text} ({msg.location.get('url', '')})")

    page.route(MATHJAX_URL, lambda route: route.fulfill(
        status=200, content_type="application/javascript", body=MATHJAX_STANDIN))
    page.on("console", on_console)
    page.on("pageerror", lambda err: None if allowed(str(err), "") else problems.append(f"page error: {err}"))
    response = page.goto(url, wait_until="load")
    page.wait_for_timeout(500)
    result = page.evaluate("""() => {
      const imgs = [...document.querySelectorAll('img')]
        .filter(i => i.src.startsWith(location.origin));
      const broken = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src);
      const colab = [...document.querySelectorAll('a[href*="colab.research.google.com/github/"]')]
        .map(a => a.href);
      const outputs = [...document.querySelectorAll('.cell_output, .output')];
      const tracebacks = outputs.filter(o => o.classList.contains('traceback')
        || /Traceback \\(most recent call last\\)/.test(o.innerText)).length;
      // interactive widgets (sliders, inputs, uploads) need a static figure beside them;
      // progress bars (tqdm: progress + HTML models) are widgets too, but not interactive
      const stateTag = document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]');
      const state = stateTag ? (JSON.parse(stateTag.textContent).state || {}) : {};
      const names = (id, seen = new Set()) => {
        if (seen.has(id) || !state[id]) return [];
        seen.add(id);
        const st = state[id].state || {};
        const kids = [].concat(st.children || []).map(c => String(c).replace('IPY_MODEL_', ''));
        return [state[id].model_name || st._model_name || ''].concat(...kids.map(k => names(k, seen)));
      };
      const interactive = /Slider|Dropdown|TextModel|Upload|ToggleButton|Checkbox|RadioButton|ButtonModel|Select/;
      const cells = [...document.querySelectorAll('div.cell')];
      let widgets = 0, lonely = 0;
      cells.forEach((cell, i) => {
        const views = [...cell.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')];
        const live = views.some(v => {
          try { return names(JSON.parse(v.textContent).model_id).some(n => interactive.test(n)); }
          catch (e) { return true; }
        });
        if (live) {
          widgets += 1;
          const near = cells.slice(Math.max(0, i - 2), i + 1)
            .some(c => c.querySelector('.cell_output img'));
          if (!near) lonely += 1;
        }
      });
      return {broken, colab, tracebacks, widgets, lonely};
    }""")
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=False)
    return {"status": response.status if response else None, "console": problems,
            "broken_images": result["broken"], "colab": result["colab"],
            "tracebacks": result["tracebacks"], "widgets": result["widgets"],
            "widget_without_figure": result["lonely"]}


def answer_quizzes(page) -> list[str]:
    """Answer every quiz question on the page once, as a reader would.

    Multiple-choice questions get a click on their first answer; numeric and text questions
    get "1" typed and Enter. Out: the feedback text shown for each question (empty if none).
    """
    feedback = []
    quizzes = page.locator(".Quiz")
    for q in range(quizzes.count()):
        quiz = quizzes.nth(q)
        quiz.scroll_into_view_if_needed()
        if quiz.locator(".MCButton").count():
            quiz.locator(".MCButton").first.click()
        elif quiz.locator(".Input-text").count():
            quiz.locator(".Input-text").first.fill("1")
            quiz.locator(".Input-text").first.press("Enter")
        else:
            feedback.append("")
            continue
        page.wait_for_timeout(150)
        feedback.append(quiz.locator(".Feedback").first.inner_text().strip())
    return feedback


AXE = pathlib.Path(__file__).resolve().parent.parent / "tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page, impacts=("critical", "serious")) -> list[dict]:
    """Run axe-core (WCAG 2.0/2.1 A and AA rules) on the open page.

    Out: one dict per violation of the given impacts: rule id, impact, help text and the
    first few offending elements' selectors. axe-core comes from tools/axe (npm), not a CDN.
    """
    if not AXE.exists():
        raise FileNotFoundError(f"{AXE} is missing: `make test` installs it (npm, tools/axe)")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async (tags) => {
      const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
      return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.length, targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""", WCAG_TAGS)
    return [v for v in found if v["impact"] in impacts]


def keyboard_problems(page) -> list[str]:
    """What a keyboard-only reader cannot do on the open page.

    Every "Show code" / solution toggle (``<summary>``) must take focus; every quiz question
    must be answerable with the keyboard alone (focus its first answer and press Space, or type
    in its number box and press Enter) and then show its feedback.
    """
    problems = page.evaluate("""() => [...document.querySelectorAll('summary')]
        .filter(s => s.offsetParent !== null && s.tabIndex < 0)
        .map(s => 'toggle not focusable: ' + s.innerText.trim().slice(0, 40))""")
    quizzes = page.locator(".Quiz")
    for q in range(quizzes.count()):
        quiz = quizzes.nth(q)
        quiz.scroll_into_view_if_needed()
        radio, box = quiz.locator(".MCButton input"), quiz.locator(".Input-text")
        target = radio.first if radio.count() else box.first if box.count() else None
        if target is None:
            continue
        target.focus()
        focused = page.evaluate("() => document.activeElement && document.activeElement.tagName")
        if radio.count():
            page.keyboard.press("Space")
        else:
            page.keyboard.type("1")
            page.keyboard.press("Enter")
        page.wait_for_timeout(150)
        text = quiz.locator(".Feedback").first.inner_text().strip()
        if focused != "INPUT" or not text:
            problems.append(f"quiz {q + 1}: no feedback after answering with the keyboard")
    return problems
