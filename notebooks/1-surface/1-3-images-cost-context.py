# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -lines_to_next_cell
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1.3 Images cost context
#
# Lesson 1.1 showed that an image becomes a run of tokens in the language model's sequence.
# This lesson puts a price on that run. You will compute what one image costs on four real
# models, see how quickly a request with many images, or a long conversation that re-sends
# them, fills a context window, and find out what you lose when you shrink an image to save
# tokens: small text is the first thing to go. By the end you can budget an image workload in
# tokens and in money, and argue for a resolution instead of guessing one.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pixels-to-tokens/pixels-to-tokens/blob/main/notebooks/1-surface/1-3-images-cost-context.ipynb)
#
# **What you will build**
# - four short pricing functions (LLaVA-1.5, GPT-4o, Claude, Gemini 2.x) and a table of what a
#   phone photo, a screenshot and an A4 scan cost on each;
# - a token budget of requests with 1, 10 and 50 images against 8k to 200k context windows;
# - the cost of re-sending images on every turn of a conversation;
# - a real scanned page and a rendered A4 page shrunk to 224, 448 and 896 px, with the height
#   of their letters measured in pixels;
# - a price calculator that turns a daily workload into tokens and money.
#
# **Time to run:** a few seconds on a laptop CPU (see the benchmark table in the book).

# %% [markdown]
# ## Set-up
#
# On Google Colab the next cell installs the one package Colab lacks (`jupyterquiz`, for the
# quiz at the end). Everywhere else it does nothing.

# %%
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "jupyterquiz"], check=True)

# %% [markdown]
# This lesson trains nothing and needs no PyTorch: it is arithmetic, pictures and a little image
# processing. We still seed NumPy's generator, so anything random would repeat exactly.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image
from skimage import data

SEED = 0
rng = np.random.default_rng(SEED)
print("numpy", np.__version__)

# %% [markdown]
# ## What one image costs
#
# Every hosted model bills an image as **input tokens**, and each vendor publishes a rule for
# how many. The rules differ because the models differ: some resize every image to one fixed
# size, some cut it into tiles, some count pixels.
#
# * **LLaVA-1.5** (an open model) resizes every image to 336 × 336 and cuts it into 14-pixel
#   patches: always (336 / 14)² = 576 tokens, whatever you send
#   ([Liu et al., 2023](https://arxiv.org/abs/2310.03744)).
# * **GPT-4o** ([OpenAI, "Images and vision"](https://platform.openai.com/docs/guides/images-vision)):
#   `detail="low"` costs a flat 85 tokens. `detail="high"` first fits the image inside
#   2048 × 2048 (keeping its shape), then shrinks it so the shorter side is at most 768 px,
#   and bills 85 tokens plus 170 for every 512 × 512 tile needed to cover it. Two readings are
#   ours: the 768 step only ever shrinks (small images are not enlarged), and sizes are rounded
#   down to whole pixels (the page does not say).
# * **Claude** ([Anthropic, "Vision"](https://docs.anthropic.com/en/docs/build-with-claude/vision)):
#   about width × height / 750 tokens, after shrinking any image whose long edge exceeds
#   1568 px or that would cost more than about 1,600 tokens. Anthropic calls this an
#   **approximation**, and newer versions of the page describe a 28-pixel patch rule instead;
#   we use the documented approximation.
# * **Gemini 2.x** ([Google, "Understand and count tokens"](https://ai.google.dev/gemini-api/docs/tokens)):
#   258 tokens if both sides are at most 384 px; larger images are "cropped and scaled as
#   needed" into 768 × 768 tiles of 258 tokens each. Google does not publish the crop-and-scale
#   step, so 258 · ⌈W/768⌉ · ⌈H/768⌉ is our reading of the text, not an exact rule.
#
# The functions are short; their code is folded on the site (you will write one of them
# yourself in the exercise). Each checks its input first.

# %% tags=["export", "hide-input"]
import math

import numpy as np


def validate_size(width, height):
    """Check an image size. In: ``width``, ``height`` in pixels. Out: nothing; raises
    ``TypeError`` for a non-integer and ``ValueError`` for a size that is not positive."""
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be a whole number of pixels (int), got {value!r}")
        if value <= 0:
            raise ValueError(f"{name} must be a positive number of pixels, got {value}")


def llava15_tokens(width, height):
    """LLaVA-1.5: every image is resized to 336 x 336 and cut into 14-px patches -> 576 tokens."""
    validate_size(width, height)
    return (336 // 14) ** 2


def gpt4o_tokens(width, height, detail="high"):
    """GPT-4o image tokens. In: size in pixels, ``detail`` "low" or "high". Out: tokens (int).

    low: 85. high: fit into 2048 x 2048 (aspect kept), shrink so the short side is <= 768,
    floor to whole pixels, then 85 + 170 per 512-px tile (partial tiles count whole).
    """
    validate_size(width, height)
    if detail not in ("low", "high"):
        raise ValueError(f"detail must be 'low' or 'high', got {detail!r}")
    if detail == "low":
        return 85
    w, h = width, height
    if max(w, h) > 2048:                      # fit inside 2048 x 2048
        scale = 2048 / max(w, h)
        w, h = max(1, math.floor(w * scale)), max(1, math.floor(h * scale))
    if min(w, h) > 768:                       # shrink only: short side to 768
        scale = 768 / min(w, h)
        w, h = max(1, math.floor(w * scale)), max(1, math.floor(h * scale))
    tiles = math.ceil(w / 512) * math.ceil(h / 512)
    return 85 + 170 * tiles


def claude_tokens(width, height):
    """Claude, Anthropic's documented approximation: ceil(w * h / 750) after shrinking (aspect
    kept, floored) so that the long edge is <= 1568 px and the estimate is <= ~1,600 tokens."""
    validate_size(width, height)
    scale = min(1.0, 1568 / max(width, height), math.sqrt(1600 * 750 / (width * height)))
    w, h = width, height
    if scale < 1:
        w, h = max(1, math.floor(w * scale)), max(1, math.floor(h * scale))
    return math.ceil(w * h / 750)


def gemini2_tokens(width, height):
    """Gemini 2.x, our reading of Google's text: 258 if both sides <= 384 px, else 258 per
    768 x 768 tile, 258 * ceil(w / 768) * ceil(h / 768). The real crop/scale step is unpublished."""
    validate_size(width, height)
    if width <= 384 and height <= 384:
        return 258
    return 258 * math.ceil(width / 768) * math.ceil(height / 768)


MODELS = {
    "LLaVA-1.5": llava15_tokens,
    "GPT-4o (high)": gpt4o_tokens,
    "Claude (approx.)": claude_tokens,
    "Gemini 2.x": gemini2_tokens,
}


def image_tokens(model, width, height):
    """Tokens one ``width`` x ``height`` image costs on ``model`` (a key of ``MODELS``)."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {sorted(MODELS)}")
    return MODELS[model](width, height)


# %% [markdown]
# Before we use them, every worked example on the vendors' pages, recomputed. If a function
# disagreed with its own documentation, this cell would stop the notebook.

# %%
doc_examples = [
    ("GPT-4o high", gpt4o_tokens, (1024, 1024), 765),
    ("GPT-4o high", gpt4o_tokens, (2048, 4096), 1105),
    ("GPT-4o low", lambda w, h: gpt4o_tokens(w, h, detail="low"), (4096, 4096), 85),
    ("Claude", claude_tokens, (200, 200), 54),
    ("Claude", claude_tokens, (1000, 1000), 1334),
    ("Claude", claude_tokens, (1092, 1092), 1590),
    ("Gemini 2.x", gemini2_tokens, (384, 384), 258),
]
for name, fn, (w, h), documented in doc_examples:
    got = fn(w, h)
    print(f"{name:12s} {w:5d} x {h:<5d} -> {got:5,d} tokens (docs: {documented:,})")
    assert got == documented

# %% [markdown]
# And a bad input fails at once, saying what is wrong:

# %%
for bad_call in [lambda: gpt4o_tokens(1024, 0), lambda: gpt4o_tokens(1024.0, 768),
                 lambda: gpt4o_tokens(1024, 768, detail="auto"), lambda: image_tokens("GPT-5", 10, 10)]:
    try:
        bad_call()
    except (TypeError, ValueError) as err:
        print(f"{type(err).__name__}: {err}")

# %% [markdown]
# Now the sizes people actually send: a 12-megapixel phone photo, two screenshots and a
# page scanned at 300 dots per inch (A4 is 210 × 297 mm, so 300 dpi gives 2480 × 3508 px).
# The small 600 × 400 image is the kind people test with.

# %% tags=["export"]
SIZES = {  # name: (width, height) in pixels
    "phone photo": (4032, 3024),
    "screenshot FHD": (1920, 1080),
    "screenshot 2560": (2560, 1600),
    "A4 scan 300 dpi": (2480, 3508),
    "test image": (600, 400),
}

# %%
assert SIZES["A4 scan 300 dpi"] == (round(210 / 25.4 * 300), round(297 / 25.4 * 300))

print(f"{'image':17s} {'size':>11s} " + " ".join(f"{m:>16s}" for m in MODELS))
for label, (w, h) in SIZES.items():
    cells = " ".join(f"{image_tokens(m, w, h):>16,d}" for m in MODELS)
    print(f"{label:17s} {w:>5d}x{h:<5d} {cells}")

# %% [markdown]
# Read the table across a row, not just down a column. The same A4 scan costs several times more
# on one model than another, because each model decides differently how much of the image to
# keep: LLaVA-1.5 squeezes everything into 336 × 336 (cheap, and the text becomes unreadable, as
# we will see), GPT-4o caps the short side at 768, Claude caps the total, and Gemini's tiles
# follow the original size. A fixed price per image is the exception; for most models, **the
# bigger the image, the bigger the bill**, up to each model's cap. For the exact rules of many
# more models, with their own preprocessing code, see
# [lesson 3.3](../3-deep-dive/3-3-tiling-and-token-budgets.ipynb).

# %% [markdown]
# ## Many images in one request
#
# A [context window](../../book/glossary.md#context-window) holds everything a request contains: the instructions, the images and the
# room the answer needs. Below, a request carries 1, 10 or 50 A4 scans, plus an example
# 500-token text prompt and 1,000 tokens kept free for the answer (both assumptions, to make the
# bars concrete). The dashed lines are context windows of 8k (8,192), 32k (32,768), 128k
# (128,000) and 200k (200,000) tokens.

# %% tags=["export"]
def request_tokens(n_images, tokens_per_image, prompt_tokens=500, answer_tokens=1000):
    """Context a request occupies. In: image count, tokens per image, text prompt and answer
    budget (non-negative ints). Out: dict with 'images', 'prompt', 'answer' and 'total'."""
    for name, value in (("n_images", n_images), ("tokens_per_image", tokens_per_image),
                        ("prompt_tokens", prompt_tokens), ("answer_tokens", answer_tokens)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {value!r}")
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
    images = n_images * tokens_per_image
    return {"images": images, "prompt": prompt_tokens, "answer": answer_tokens,
            "total": images + prompt_tokens + answer_tokens}


# %%
WINDOWS = {"8k": 8_192, "32k": 32_768, "128k": 128_000, "200k": 200_000}
a4 = SIZES["A4 scan 300 dpi"]
budget = {(n, m): request_tokens(n, image_tokens(m, *a4)) for n in (1, 10, 50) for m in MODELS}
for n in (1, 10, 50):
    fits = {m: [k for k, v in WINDOWS.items() if budget[n, m]["total"] <= v] for m in MODELS}
    print(f"{n:2d} A4 scans: " + "; ".join(
        f"{m} {budget[n, m]['total']:,} (fits: {', '.join(fits[m]) or 'none'})" for m in MODELS))
assert budget[1, "LLaVA-1.5"]["total"] == 576 + 500 + 1000
# the claims of the text below
assert budget[10, "LLaVA-1.5"]["total"] <= WINDOWS["8k"]
assert all(budget[10, m]["total"] > WINDOWS["8k"] for m in MODELS if m != "LLaVA-1.5")
assert budget[50, "Gemini 2.x"]["total"] > WINDOWS["200k"]

# %% tags=["hide-input"]
fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
names = list(MODELS)
for ax, n in zip(axes, (1, 10, 50)):
    x = np.arange(len(names))
    bottom = np.zeros(len(names))
    for part, colour in (("prompt", "tab:blue"), ("images", "tab:orange"), ("answer", "tab:green")):
        values = np.array([budget[n, m][part] for m in names])
        ax.bar(x, values, bottom=bottom, color=colour, label={"prompt": "text prompt", "images": "image tokens", "answer": "answer budget"}[part])
        bottom += values
    top = bottom.max()
    # show every window up to the first one that holds the tallest bar
    shown = [v for v in WINDOWS.values() if v < top] + [min([v for v in WINDOWS.values() if v >= top],
                                                            default=top)]
    for label, v in WINDOWS.items():
        if v in shown:
            ax.axhline(v, ls="--", color="black", lw=0.9)
            ax.text(len(names) - 0.45, v, f" {label}", va="center", fontsize=8)
    ax.set_ylim(0, max(shown) * 1.1)
    ax.set_xticks(x, [m.replace(" (", "\n(") for m in names], fontsize=8)
    ax.set_title(f"{n} A4 scan{'s' if n > 1 else ''} per request")
    ax.set_ylabel("tokens in the context window")
axes[0].legend(loc="upper left", fontsize=8)
fig.suptitle("One request: prompt + images + room for the answer, against context windows")
fig.tight_layout()
plt.show()

# %% [markdown]
# One scan fits anywhere. Ten already overflow an 8k window on every model but LLaVA-1.5, and
# fifty leave only the largest windows in play, or none. Note that each panel has its own scale:
# the dashed lines show each window up to the first that holds every bar.
#
# ## Conversations re-send their images
#
# Chat APIs are stateless: every new turn sends the whole conversation again, images included,
# and you pay for those input tokens again. Providers offer prompt caching that discounts a
# repeated prefix ([OpenAI, "Prompt caching"](https://platform.openai.com/docs/guides/prompt-caching);
# [Anthropic, "Prompt caching"](https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching)),
# but the tokens still occupy the window. Take a 20-turn chat about an A4 scan on GPT-4o
# high detail, where each turn adds an example 400 tokens of text (question plus the previous
# answer). Three habits:
#
# 1. attach the scan once, keep it in the history;
# 2. attach a new scan every turn, keep them all;
# 3. attach the scan once, then drop it from the history after the first answer.

# %% tags=["export"]
def conversation_requests(image_tokens_per_turn, text_tokens_per_turn=400, keep_images=True):
    """Input tokens of each request of a chat that re-sends its history.

    In:  ``image_tokens_per_turn`` a sequence of non-negative ints (tokens of the images attached
         at turn 1, 2, ...); ``text_tokens_per_turn`` tokens of text each turn adds;
         ``keep_images`` whether earlier images stay in the history.
    Out: an int array, one entry per turn: the input tokens of that turn's request.
    """
    images = np.asarray(image_tokens_per_turn)
    if images.ndim != 1 or images.size == 0 or not np.issubdtype(images.dtype, np.integer):
        raise TypeError("image_tokens_per_turn must be a non-empty sequence of ints")
    if (images < 0).any() or isinstance(text_tokens_per_turn, bool) or \
            not isinstance(text_tokens_per_turn, (int, np.integer)) or text_tokens_per_turn < 0:
        raise ValueError("token counts must be non-negative ints")
    turns = np.arange(1, images.size + 1)
    text = turns * text_tokens_per_turn                    # history text grows every turn
    image_part = np.cumsum(images) if keep_images else images
    return (text + image_part).astype(np.int64)


# %%
turns = 20
scan = gpt4o_tokens(*a4)
habits = {
    "scan once, kept in history": conversation_requests([scan] + [0] * (turns - 1)),
    "new scan every turn, all kept": conversation_requests([scan] * turns),
    "scan once, dropped after turn 1": conversation_requests([scan] + [0] * (turns - 1), keep_images=False),
}
for name, per_request in habits.items():
    print(f"{name:32s} last request {per_request[-1]:7,d} tokens, "
          f"billed over {turns} turns {per_request.sum():9,d} tokens")
assert habits["scan once, kept in history"][0] == scan + 400

# %% tags=["hide-input"]
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
t = np.arange(1, turns + 1)
for name, per_request in habits.items():
    ax1.plot(t, per_request, marker=".", label=name)
    ax2.plot(t, np.cumsum(per_request), marker=".", label=name)
ax1.axhline(WINDOWS["8k"], ls="--", color="black", lw=0.9)
ax1.text(1, WINDOWS["8k"], "8k window", va="bottom", fontsize=8)
ax1.set_title("Size of each request")
ax1.set_ylabel("input tokens in the request")
ax2.set_title("Input tokens billed so far")
ax2.set_ylabel("cumulative input tokens")
for ax in (ax1, ax2):
    ax.set_xlabel("turn of the conversation")
    ax.grid(alpha=0.3)
ax2.legend(fontsize=8)
ax1.set_xticks(range(0, turns + 1, 5))
ax2.set_xticks(range(0, turns + 1, 5))
fig.suptitle(f"A 20-turn chat about A4 scans on GPT-4o high detail ({scan:,} tokens per scan)")
fig.tight_layout()
plt.show()

# %% [markdown]
# A scan kept in the history is billed once per turn, so its share of the bill grows linearly
# with the number of turns, and the total of a chat that keeps adding images grows with the
# square of its length. Dropping images you no longer need (or describing them once in text) is
# the cheapest fix.
#
# ## What shrinking does to text
#
# The cheap way to save tokens is to send a smaller image. That is fine for a photo of a dog and
# fatal for a page of text: letters have to stay large enough, in pixels, to be told apart. The
# useful measure is the **x-height**, the height of a lowercase "x" (the body of most letters).
#
# We use two pages. `skimage.data.page()` is a real scanned page of text, small and unevenly
# lit. The second is an A4 page of 10-point text that we render here at 300 dpi, with the
# DejaVu Sans font that ships with matplotlib.

# %% tags=["export"]
import textwrap

import numpy as np


def render_text(text_lines, width_px, height_px, point_size=10, dpi=300, margin_px=300):
    """Render lines of text in DejaVu Sans on a white canvas, as print would at ``dpi``.

    In:  a list of strings; canvas size in pixels; font size in points (1 pt = 1/72 inch).
    Out: a (height_px, width_px) uint8 grey image, 255 = white paper.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if point_size <= 0 or dpi <= 0:
        raise ValueError(f"point_size and dpi must be positive, got {point_size} and {dpi}")
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    line_px = 1.25 * point_size / 72 * dpi              # line spacing of 1.25 em
    for i, line in enumerate(text_lines):
        y = margin_px + (i + 1) * line_px
        fig.text(margin_px / width_px, 1 - y / height_px, line, fontsize=point_size,
                 family="DejaVu Sans", va="baseline")
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., 0].copy()  # (H, W) uint8


def glyph_x_height_px(point_size=10, dpi=300):
    """Height in pixels of the ink of a lowercase 'x' in DejaVu Sans at ``point_size`` and ``dpi``."""
    canvas = render_text(["x"], 200, 200, point_size=point_size, dpi=dpi, margin_px=20)
    rows = np.flatnonzero((canvas < 128).any(axis=1))
    return int(rows.max() - rows.min() + 1)


def profile_x_height_px(gray, strips=8, block=25):
    """Estimate the x-height of the text in a grey page image from its row profile.

    The image is binarised with a local (Sauvola) threshold and cut into ``strips`` vertical
    strips, so a slightly tilted line stays level inside a strip. In each strip, the rows whose
    ink count is at least 30 % of the strip's busiest row form bands: the x-height band of a
    line, where every letter has ink (ascenders and descenders, a few thin strokes, stay below
    30 %). Bands of a single row are noise and dropped. Out: the median band height in pixels.
    """
    from skimage.filters import threshold_sauvola

    gray = np.asarray(gray)
    if gray.ndim != 2:
        raise ValueError(f"expected a 2-D grey image, got shape {gray.shape}")
    ink = gray < threshold_sauvola(gray, window_size=block)
    heights = []
    for cols in np.array_split(np.arange(gray.shape[1]), strips):
        profile = ink[:, cols].sum(axis=1)
        if profile.max() == 0:
            continue
        busy = np.concatenate([[0], (profile >= 0.3 * profile.max()).astype(np.int8), [0]])
        edges = np.flatnonzero(np.diff(busy))          # starts and ends of busy bands
        heights += [int(h) for h in edges[1::2] - edges[::2] if h >= 2]
    if not heights:
        raise ValueError("no text found in the image")
    return float(np.median(heights))


def resize_long_side(gray, long_side):
    """Resize a grey image (aspect kept, bicubic with antialiasing) so its long side is ``long_side``."""
    from PIL import Image

    h, w = gray.shape
    scale = long_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(gray).resize(size, Image.BICUBIC))


# %% [markdown]
# First the rendered page. The x-height is measured, not looked up: we render a single "x" at
# 10 pt and 300 dpi and count the rows its ink covers. For comparison, the definition of the
# point gives the font size in pixels (10/72 inch at 300 dpi).

# %%
PARAGRAPH = ("A vision-language model reads an image as a run of tokens. The run is longer when "
             "the image is larger, so every pixel you send has a price, and every pixel you "
             "remove may hold the detail the question was about: a digit in an invoice, a "
             "unit in a table, a footnote. ")
lines = textwrap.wrap(PARAGRAPH * 20, width=84)[:54]
a4_page = render_text(lines, 2480, 3508, point_size=10, dpi=300)  # (3508, 2480)
x_native = glyph_x_height_px(10, 300)
em_px = 10 / 72 * 300
print(f"A4 canvas {a4_page.shape[1]} x {a4_page.shape[0]} px, {len(lines)} lines of 10-pt text")
print(f"10 pt at 300 dpi = {em_px:.1f} px per em; measured x-height of 'x' = {x_native} px "
      f"({x_native / em_px:.2f} em)")
assert a4_page.shape == (3508, 2480) and (a4_page < 128).mean() > 0.01
assert 0.45 < x_native / em_px < 0.6  # a sans-serif x-height is about half the em

# %% [markdown]
# The real scan has no font size to start from, so we measure its x-height from the image
# itself, with the row-profile method described in `profile_x_height_px`. To trust that method
# we first run it on our rendered page, where the answer is known.

# %%
page = data.page()  # (191, 384) uint8, a real scan
x_page_native = profile_x_height_px(page)
x_a4_profile = profile_x_height_px(a4_page, block=51)
print(f"rendered A4 page: row profile says {x_a4_profile:.0f} px, the glyph says {x_native} px")
print(f"skimage page ({page.shape[1]} x {page.shape[0]} px): row profile says {x_page_native:.0f} px")
assert abs(x_a4_profile - x_native) <= 0.15 * x_native

# %% [markdown]
# Shrinking an image by a factor *s* shrinks its letters by the same *s*, so the x-height at
# each size is the native x-height times (new long side / native long side). Computed for both
# pages:

# %%
TARGETS = [224, 448, 896]
pages = {"A4 page, 10 pt, 300 dpi": (a4_page, x_native),
         "skimage page (real scan)": (page, x_page_native)}
x_heights = {}
for name, (img, xh) in pages.items():
    native = max(img.shape)
    x_heights[name] = {L: xh * L / native for L in TARGETS + [native]}
    row = ", ".join(f"{L} px: {v:.1f}" + (" (enlarged)" if L > native else "")
                    for L, v in x_heights[name].items())
    print(f"{name:26s} x-height in px at long side {row}")

# %% [markdown]
# Here are the pages at each size. For the A4 page we show the same small region (the top-left
# corner, a few lines) cut from each version and enlarged without smoothing, so you see the
# actual pixels the model would get. The scan is only 384 px wide to begin with, so its 448 and
# 896 versions are enlargements: they add pixels but no detail.

# %% tags=["hide-input"]
fig, axes = plt.subplots(2, 4, figsize=(14, 6.2))
for row, (name, (img, xh)) in enumerate(pages.items()):
    native = max(img.shape)
    for col, L in enumerate(TARGETS + [native]):
        small = img if L == native else resize_long_side(img, L)
        if row == 0:  # the same physical region of the A4 page: 1/4 of the width, 1/11 of the height
            hh, ww = small.shape
            small = small[int(0.075 * hh): int(0.165 * hh), int(0.11 * ww): int(0.36 * ww)]
        ax = axes[row, col]
        ax.imshow(small, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        label = "native" if L == native else f"long side {L} px" + (" (enlarged)" if L > native else "")
        ax.set_title(f"{label}\nx-height {x_heights[name][L]:.1f} px", fontsize=9)
        ax.set_xlabel("x (pixels)")
        ax.set_ylabel("y (pixels)")
    axes[row, 0].annotate(name, (-0.35, 0.5), xycoords="axes fraction", rotation=90,
                          va="center", ha="center", fontsize=10)
fig.suptitle("The same text at 224, 448, 896 px (long side) and native: x-height of the letters in pixels")
fig.tight_layout()
plt.show()

# %% [markdown]
# How small is too small? A letter is told apart from its neighbours by a few strokes and the
# gaps between them: an "e" has a bar that a "c" lacks, an "o" a closed counter. A stroke, a gap
# and a stroke need about three pixels, so below an x-height of roughly **3 to 4 px** letters
# should start to merge. We can test that claim instead of trusting it: render each of the 26
# lowercase letters at the page's size, shrink them all to a given x-height, and count the pairs
# of letters whose shrunken images are nearly the same (correlation above 0.9 once each is
# centred and scaled to unit length).

# %% tags=["export"]
def confusable_pairs(x_height_px, point_size=10, dpi=300, threshold=0.9):
    """How many of the 325 pairs of lowercase letters look alike at a given x-height.

    In: the target x-height in pixels; the rendering size; a correlation threshold.
    Out: the number of letter pairs whose downscaled glyph images correlate above ``threshold``.
    """
    import string

    from PIL import Image

    if x_height_px <= 0:
        raise ValueError(f"x_height_px must be positive, got {x_height_px}")
    em = point_size / 72 * dpi                          # font size in pixels
    letters = string.ascii_lowercase
    strip = render_text([" ".join(letters)], int(36 * em), int(2 * em), point_size, dpi, margin_px=0)
    ink_cols = np.flatnonzero((strip < 128).any(axis=0))
    runs = np.split(ink_cols, np.flatnonzero(np.diff(ink_cols) > 1) + 1)  # one run per letter
    if len(runs) != 26:
        raise RuntimeError(f"expected 26 separate letters in the rendered strip, found {len(runs)}")
    scale = x_height_px / glyph_x_height_px(point_size, dpi)
    glyphs = []
    for run in runs:
        crop = 255 - strip[:, run[0]: run[0] + int(em)]  # (2 em, 1 em), ink bright, left-aligned
        n_w, n_h = max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale))
        glyphs.append(np.asarray(Image.fromarray(crop).resize((n_w, n_h), Image.BICUBIC), float).ravel())
    v = np.stack(glyphs)
    v -= v.mean(axis=1, keepdims=True)
    v /= np.linalg.norm(v, axis=1, keepdims=True) + 1e-9
    similarity = v @ v.T
    return int((similarity[np.triu_indices(26, k=1)] > threshold).sum())


# %%
heights = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 12]
confused = [confusable_pairs(h) for h in heights]
for h, c in zip(heights, confused):
    print(f"x-height {h:>4} px: {c:3d} of 325 letter pairs look alike")
assert confused[0] > 3 * confused[heights.index(4)]  # letters merge as they shrink
assert confused[heights.index(2)] > 3 * confused[heights.index(4)]  # and the climb starts below 3-4 px

# %% tags=["hide-input"]
fig, ax = plt.subplots(figsize=(7, 3.8))
ax.plot(heights, confused, marker="o")
ax.axvspan(3, 4, color="tab:red", alpha=0.15, label="stated threshold, 3-4 px")
for L in TARGETS:  # where the A4 page lands at each size
    xh = x_heights["A4 page, 10 pt, 300 dpi"][L]
    ax.axvline(xh, color="gray", lw=0.8, ls=":")
    ax.text(xh, max(confused) * 0.95, f" A4 @ {L} px", rotation=90, va="top", fontsize=8)
ax.set_xscale("log")
ax.set_xticks(heights, [str(h) for h in heights])
ax.set_xlabel("x-height after shrinking (pixels, log scale)")
ax.set_ylabel("letter pairs that look alike (of 325)")
ax.set_title("Small letters merge: DejaVu Sans lowercase, correlation > 0.9")
ax.legend()
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# The dotted lines mark where the A4 page lands at 224, 448 and 896 px. The count of
# look-alike pairs climbs steeply below about 3 px (a handful of pairs such as "i" and "l"
# look alike at any size). Now the verdict for our pages:

# %%
THRESHOLD_PX = 3.5
for name, (img, xh) in pages.items():
    native = max(img.shape)
    ok = [L for L in TARGETS if x_heights[name][L] >= THRESHOLD_PX]
    need = math.ceil(THRESHOLD_PX * native / xh)  # long side at which the x-height is THRESHOLD_PX
    print(f"{name}: x-height >= {THRESHOLD_PX} px at long side {ok or 'none'} of {TARGETS}; "
          f"needs a long side of at least {need} px")

# %% [markdown]
# So a 224-px [thumbnail](../../book/glossary.md#thumbnail-global-image) of an A4 page is a grey texture, not text, whatever the model. An A4
# page of 10-point text needs at least the long side printed above before its letters keep the
# pixels they need (smaller print needs more). That is why the pricing rules matter for
# documents: LLaVA-1.5 brings the page down to 336 px, below that line however it fits the page
# in, while GPT-4o's 768-px short side keeps the page well above it, as the next cell computes.

# %%
gpt_long = math.floor(768 * 3508 / 2480)
print(f"GPT-4o high detail keeps an A4 scan at about 768 x {gpt_long} px: "
      f"x-height ≈ {x_native * gpt_long / 3508:.1f} px")
whole_page = x_native * 336 / 3508   # the whole page fitted into 336 px
short_side = x_native * 336 / 2480   # short side to 336 px, then the centre 336 x 336 cropped
print(f"LLaVA-1.5 at 336 px: x-height ≈ {whole_page:.1f} px if the whole page is fitted in, "
      f"≈ {short_side:.1f} px if the short side goes to 336 and the middle is cropped "
      f"(then {1 - 336 / (3508 * 336 / 2480):.0%} of the page's height is cut away)")
assert x_native * gpt_long / 3508 > THRESHOLD_PX > max(whole_page, short_side)

# %% [markdown]
# ## From tokens to money
#
# Providers quote a price per million input tokens, and prices change often, so the price here
# is **your input**: read it off your provider's pricing page (for an open model such as
# LLaVA-1.5 that you host yourself, use your own serving cost per token). The calculator turns a daily
# workload (how many images, and what mix of sizes) into tokens and money.

# %% tags=["export"]
def workload_cost(images_per_day, mix, model, price_per_million):
    """Daily tokens and cost of an image workload.

    In:  ``images_per_day`` a non-negative int; ``mix`` a dict {size name in SIZES: fraction},
         fractions >= 0 summing to 1; ``model`` a key of MODELS; ``price_per_million`` the price
         of one million input tokens (a non-negative number, in your currency).
    Out: dict with 'tokens_per_image' (mix average), 'tokens_per_day', 'cost_per_day',
         'cost_per_30_days'.
    """
    if isinstance(images_per_day, bool) or not isinstance(images_per_day, (int, np.integer)):
        raise TypeError(f"images_per_day must be an int, got {images_per_day!r}")
    if images_per_day < 0:
        raise ValueError(f"images_per_day must be >= 0, got {images_per_day}")
    if isinstance(price_per_million, bool) or not isinstance(price_per_million, (int, float, np.number)):
        raise TypeError(f"price_per_million must be a number, got {price_per_million!r}")
    if price_per_million < 0:
        raise ValueError(f"price_per_million must be >= 0, got {price_per_million}")
    unknown = set(mix) - set(SIZES)
    if unknown:
        raise ValueError(f"unknown sizes {sorted(unknown)}; choose from {sorted(SIZES)}")
    if any(f < 0 for f in mix.values()) or not math.isclose(sum(mix.values()), 1.0, abs_tol=1e-9):
        raise ValueError(f"mix fractions must be >= 0 and sum to 1, got {dict(mix)}")
    per_image = sum(f * image_tokens(model, *SIZES[s]) for s, f in mix.items())
    tokens = images_per_day * per_image
    cost = tokens / 1e6 * price_per_million
    return {"tokens_per_image": per_image, "tokens_per_day": tokens,
            "cost_per_day": cost, "cost_per_30_days": 30 * cost}


# %% [markdown]
# The static figure is computed at an **example** price of 1.00 per million input tokens (a round
# number to make the arithmetic easy to follow, not a quote from any provider), for 1,000 images
# a day of which half are phone photos, 30 % full-HD screenshots and 20 % A4 scans. Because cost
# is linear in the price, multiply by your own price to rescale.

# %%
EXAMPLE_PRICE = 1.00
example_mix = {"phone photo": 0.5, "screenshot FHD": 0.3, "A4 scan 300 dpi": 0.2}
example = {m: workload_cost(1000, example_mix, m, EXAMPLE_PRICE) for m in MODELS}
for m, r in example.items():
    print(f"{m:17s} {r['tokens_per_image']:7,.0f} tokens/image  {r['tokens_per_day']:12,.0f} tokens/day  "
          f"{r['cost_per_30_days']:8,.2f} per 30 days at the example price")
assert math.isclose(example["LLaVA-1.5"]["tokens_per_day"], 576_000)

# %% tags=["hide-input"]
fig, ax = plt.subplots(figsize=(7, 3.8))
bars = ax.bar(list(example), [r["cost_per_30_days"] for r in example.values()], color="tab:purple")
ax.bar_label(bars, fmt="%.2f", fontsize=8)
ax.set_ylabel("cost per 30 days (currency units)")
ax.set_xlabel("model")
ax.set_title(f"1,000 images/day, mixed sizes, at an EXAMPLE price of {EXAMPLE_PRICE:.2f} per M tokens")
ax.tick_params(axis="x", labelsize=8)
plt.show()

# %% [markdown]
# With a running kernel, set your own price and workload here:

# %% tags=["hide-input"]
import ipywidgets as widgets


def calculator(price_per_million=EXAMPLE_PRICE, images_per_day=1000, photos=0.5, screenshots=0.3,
               scans=0.2, model="GPT-4o (high)"):
    """Print the tokens and cost of a workload; the three shares are normalised to sum to 1."""
    total = photos + screenshots + scans
    if total == 0:
        print("Set at least one share above zero.")
        return
    mix = {"phone photo": photos / total, "screenshot FHD": screenshots / total,
           "A4 scan 300 dpi": scans / total}
    r = workload_cost(int(images_per_day), mix, model, float(price_per_million))
    print(f"{model}: {r['tokens_per_image']:,.0f} tokens per image on average")
    print(f"{r['tokens_per_day']:,.0f} input tokens per day -> {r['cost_per_day']:,.2f} per day, "
          f"{r['cost_per_30_days']:,.2f} per 30 days at {price_per_million:.2f} per million tokens")


widgets.interact(
    calculator,
    price_per_million=widgets.BoundedFloatText(EXAMPLE_PRICE, min=0, max=1000, step=0.05,
                                               description="price / M"),
    images_per_day=widgets.IntSlider(1000, 0, 100_000, 100, description="images/day"),
    photos=widgets.FloatSlider(0.5, min=0, max=1, step=0.05, description="photos"),
    screenshots=widgets.FloatSlider(0.3, min=0, max=1, step=0.05, description="screenshots"),
    scans=widgets.FloatSlider(0.2, min=0, max=1, step=0.05, description="A4 scans"),
    model=widgets.Dropdown(options=list(MODELS), value="GPT-4o (high)", description="model"),
);

# %% [markdown]
# ## Exercise
#
# ### Exercise 1.3: the GPT-4o high-detail price
#
# Write `gpt4o_high_exercise(width, height)` returning the tokens GPT-4o bills for one image at
# `detail="high"`, following the rule described at the top of this lesson: fit the image inside
# 2048 × 2048 keeping its shape; then, if the shorter side is longer than 768 px, shrink it
# (again keeping the shape) so the shorter side is 768; round sizes down to whole pixels; count
# 512 × 512 tiles, a partly covered tile counting as a whole one; the price is 85 plus 170 per
# tile.
#
# <details><summary>Hint</summary>
#
# Work on a copy `w, h` of the size and apply the two shrinking steps in order, each with one
# scale factor for both sides (`math.floor(w * scale)`). Never enlarge: a 512 × 512 image stays
# 512 × 512 and costs one tile. Tiles along a side: `math.ceil(w / 512)`. Check yourself against
# the docs: 1024 × 1024 → 765, 2048 × 4096 → 1,105.
#
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex1-3-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
def gpt4o_high_exercise(width, height):
    """Tokens GPT-4o bills for a ``width`` x ``height`` image at detail="high"."""
    ### BEGIN SOLUTION
    w, h = width, height
    if max(w, h) > 2048:
        scale = 2048 / max(w, h)
        w, h = math.floor(w * scale), math.floor(h * scale)
    if min(w, h) > 768:
        scale = 768 / min(w, h)
        w, h = math.floor(w * scale), math.floor(h * scale)
    return 85 + 170 * math.ceil(w / 512) * math.ceil(h / 512)
    ### END SOLUTION


# %% tags=["export"]
def check_gpt4o_high(fn, quiet=False):
    """Self-check for Exercise 1.3.

    In:  ``fn(width, height) -> int``, the GPT-4o high-detail token count.
    Out: True (correct), False (wrong; prints what and a hint) or None (not attempted).
    """
    import math

    say = (lambda *a: None) if quiet else print

    def variant(width, height, fit=True, shrink=True, enlarge=False, ceil_tiles=True, base=85):
        w, h = width, height
        if fit and max(w, h) > 2048:
            s = 2048 / max(w, h)
            w, h = math.floor(w * s), math.floor(h * s)
        if shrink and (min(w, h) > 768 or enlarge):
            s = 768 / min(w, h)
            w, h = math.floor(w * s), math.floor(h * s)
        tiles = (math.ceil(w / 512) * math.ceil(h / 512)) if ceil_tiles else max(1, (w // 512) * (h // 512))
        return base + 170 * tiles

    hints = [
        ({"enlarge": True}, "small images are not enlarged: only shrink when the short side exceeds 768."),
        ({"shrink": False}, "after fitting into 2048 x 2048, shrink so the short side is at most 768."),
        ({"fit": False}, "first fit the image inside 2048 x 2048, then apply the 768 rule."),
        ({"ceil_tiles": False}, "a partly covered tile still counts: use math.ceil(side / 512)."),
        ({"base": 0}, "add the fixed 85 tokens to the 170 per tile."),
    ]
    cases = [(1024, 1024), (2048, 4096), (512, 512), (600, 400), (4032, 3024), (2480, 3508),
             (1920, 1080), (8000, 300), (300, 8000), (1, 1)]
    for w, h in cases:
        want = variant(w, h)
        try:
            got = fn(w, h)
        except NotImplementedError:
            say("○ Not attempted yet: replace `raise NotImplementedError()` with your code.")
            return None
        except Exception as err:  # noqa: BLE001 - report any learner error as feedback
            say(f"✘ gpt4o_high_exercise({w}, {h}) raised {type(err).__name__}: {err}")
            return False
        if got != want:
            hint = next((f"Hint: {text}" for kw, text in hints if variant(w, h, **kw) == got),
                        "Hint: follow the steps in order: fit 2048 box, shrink short side to 768, "
                        "floor, ceil tiles, 85 + 170 per tile.")
            say(f"✘ gpt4o_high_exercise({w}, {h}) returned {got!r}, expected {want}. {hint}")
            return False
    say("✔ Correct: fit into 2048², shrink the short side to 768, 85 + 170 per 512-px tile.")
    return True


# %% nbgrader={"grade": true, "grade_id": "ex1-3-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_gpt4o_high(gpt4o_high_exercise)
### BEGIN HIDDEN TESTS
assert check_gpt4o_high(gpt4o_high_exercise, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# ## Quiz
#
# Click an answer to get feedback. The numbers in the feedback are computed by this lesson's
# functions when the cell runs. (The quiz works without a running kernel; on the site its code is
# folded away so it does not give the answers away.)

# %% tags=["hide-input"]
from jupyterquiz import display_quiz

test_img, scan_img, big = SIZES["test image"], SIZES["A4 scan 300 dpi"], (2048, 2048)
ratio = {m: image_tokens(m, *scan_img) / image_tokens(m, *test_img) for m in MODELS}
q1_numbers = "; ".join(f"{m}: {image_tokens(m, *test_img):,} → {image_tokens(m, *scan_img):,} "
                       f"({ratio[m]:.1f}×)" for m in MODELS if m != "LLaVA-1.5")
big_tokens = {m: image_tokens(m, *big) for m in MODELS}
q5_numbers = ", ".join(f"{m} {t:,}" for m, t in big_tokens.items())
five_turns = {m: request_tokens(3 * 5, t)["total"] for m, t in big_tokens.items()}

quiz = [
    {
        "question": ("A pipeline sends 10 high-resolution A4 scans per request. Tested with one small "
                     "image, the cost looked fine; in production it is about 8× higher than estimated. "
                     "What is the most likely cause?"),
        "type": "multiple_choice",
        "answers": [
            {"answer": "Each scan costs far more tokens than the small test image, and there are ten per request",
             "correct": True,
             "feedback": ("Right. Image tokens follow resolution (after each provider's resize), times the "
                          "number of images. From a 600×400 test image to an A4 scan at 300 dpi, per image: "
                          f"{q1_numbers}. Estimate with the real sizes and count before you send.")},
            {"answer": "Providers add a fixed surcharge for every request with more than one image",
             "correct": False,
             "feedback": ("No: OpenAI, Anthropic and Google bill images as input tokens by a published "
                          "formula; there is no per-request surcharge in those rules.")},
            {"answer": "Larger files take more bytes to upload, and bytes are billed",
             "correct": False,
             "feedback": ("The bill counts tokens, not bytes: a JPEG and a PNG of the same size in pixels "
                          "cost the same.")},
            {"answer": "The model writes longer answers about bigger images",
             "correct": False,
             "feedback": ("It might, a little, but answers are short compared with ten multi-tile images of "
                          "input; the input side is what grew by several times.")},
        ],
    },
    {
        "question": ("A model card says the model supports images up to 2048 px. A team sends 2048×2048 "
                     "images at high resolution and keeps exceeding the context window. What is happening?"),
        "type": "multiple_choice",
        "answers": [
            {"answer": "2048 px is the largest input accepted, not a token budget; each image still costs many tokens",
             "correct": True,
             "feedback": (f"Right. After each model's resize one 2048×2048 image costs: {q5_numbers} tokens. "
                          "A few images re-sent with every turn add up: three per turn kept for five turns "
                          f"is already {five_turns['Gemini 2.x']:,} tokens on Gemini 2.x (with a 500-token "
                          "prompt and 1,000 for the answer). Count first, then downscale or crop, cap the "
                          "tiles, and trim old images from the history.")},
            {"answer": "The model enlarges 2048-px images to 4096 px before tiling",
             "correct": False,
             "feedback": "No: the documented rules shrink large images (GPT-4o to a 768-px short side), never enlarge them."},
            {"answer": "Images are sent as base64 text, and every character of it is a token",
             "correct": False,
             "feedback": ("The encoding is only transport; the vendor bills the image by its pixel size through "
                          "the vendor's formula, not by the length of the base64 string.")},
        ],
    },
]
display_quiz(quiz)

# %% [markdown]
# ## What to remember
#
# - An image costs input tokens by a published rule: a constant (LLaVA-1.5), tiles after a
#   resize (GPT-4o, Gemini 2.x) or pixels over a cap (Claude). Compute it; don't guess.
# - A request pays for every image it holds, and a conversation pays again for every image in
#   its history on every turn.
# - Shrinking saves tokens until the text's x-height nears 3 to 4 px; below that, letters merge.
#   Crop the region that matters rather than shrinking the whole page.
# - Prices change: keep the price an input and the token count a computation.
#
# **Next:** the guided lessons build these pieces in code; lesson 2.3 writes and debugs a token
# estimator, and [lesson 3.3](../3-deep-dive/3-3-tiling-and-token-budgets.ipynb) has the exact
# rules of many more models.
