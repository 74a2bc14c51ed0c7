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
# In [lesson 1.1](https://pixels-to-tokens.github.io/pixels-to-tokens/notebooks/1-surface/1-1-images-become-tokens.html)
# you saw that an image becomes a run of tokens in the language model's sequence. This lesson
# puts a price on that run. You will compute what one image costs on real models, step by step
# so you can see *why* a photo can cost less than a screenshot, see how quickly many images or a
# long conversation fill a context window, and find out what you lose when you shrink an image
# to save tokens: small text goes first. By the end you can budget an image workload and argue
# for a resolution instead of guessing one.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pixels-to-tokens/pixels-to-tokens/blob/main/student/notebooks/1-surface/1-3-images-cost-context.ipynb)
#
# **What you will build**
# - the token rules of LLaVA-1.5, GPT-4o and Claude (two rules), each dated and named per model;
# - a cost table that shows each resize and tile count beside the number;
# - a budget of requests with many images against context windows, and of a conversation;
# - a page shrunk to 224, 448 and 896 px, with its letters measured in pixels.
#
# **Prerequisites:** [lesson 1.1](https://pixels-to-tokens.github.io/pixels-to-tokens/notebooks/1-surface/1-1-images-become-tokens.html) (patches and tokens); Python.
# **Time to study:** about 25 minutes. **Time to run:** about 10 s on a laptop CPU.

# %% [markdown]
# On Google Colab the next cell installs the one package Colab lacks (`jupyterquiz`, for the
# quiz at the end). Everywhere else it does nothing.

# %%
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "jupyterquiz"], check=True)

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import string

SEED = 0
torch.manual_seed(SEED)
rng = np.random.default_rng(SEED)
torch.set_num_threads(1)  # one thread: as fast on a busy laptop as on a quiet one, same results
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")  # unused: this lesson is arithmetic
OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]
print("numpy", np.__version__)

# %% [markdown]
# ## What one image costs: the rules, dated
#
# Hosted models bill an image as **input tokens**: as of the vendors' pages in November 2026,
# OpenAI, Anthropic and Google all do, each with its own published rule (it was not always so:
# Vertex AI once priced Gemini 1.x per image). Rules change, so each one below says which page
# and which models it comes from.
#
# * **LLaVA-1.5** (an open model; its released code pads each image to a square, then resizes it
#   to 336 × 336, while the transformers processor resizes the short side to 336 and crops the
#   centre) cuts it into 14-pixel patches: always (336 / 14)² = **576** tokens
#   ([Liu et al., 2023](https://arxiv.org/abs/2310.03744)).
# * **GPT-4o, GPT-4.1 and GPT-4.5** (as of OpenAI's ["Images and vision"](https://platform.openai.com/docs/guides/images-vision)
#   page, November 2026): `detail="low"` costs 85 tokens. `detail="high"` first fits the image
#   inside 2048 × 2048, then shrinks it so the shorter side is at most 768 px, and bills
#   **85 + 170 per 512 × 512 tile** needed to cover it (a partly covered tile counts whole).
#   Two readings are ours: the 768 step only shrinks, and sizes are floored to whole pixels.
# * **Claude, current rule** (as of Anthropic's ["Vision"](https://docs.anthropic.com/en/docs/build-with-claude/vision)
#   page, November 2026): the image is read in 28 × 28-pixel patches and costs
#   **⌈w/28⌉ · ⌈h/28⌉** tokens; a larger image is first shrunk (aspect kept) to fit the model's
#   native limit. The limits per model, as third-party summaries of Anthropic's table give them
#   (we could not read the table verbatim): 1,568 px on the long side and 1,568 tokens for models
#   before Claude Opus 4.7, 2,576 px and 4,784 tokens for Opus 4.7 and later. How the shrink
#   rounds is our reading.
# * **Claude, older rule** (the same page in its Claude 3 and 4 versions): about **w · h / 750**
#   tokens, after shrinking any image whose long side exceeds 1,568 px or that would cost more
#   than about 1,600 tokens.
# * **Gemini**: Google's ["Understand and count tokens"](https://ai.google.dev/gemini-api/docs/tokens)
#   page (November 2026) says Gemini 2.x bills 258 tokens for an image with both sides ≤ 384 px
#   and otherwise crops and scales it "as needed" into 768 × 768 tiles of 258 tokens each, but
#   not how; 258 · ⌈W/768⌉ · ⌈H/768⌉ is **only a reading**, and public reports disagree with it.
#   Gemini 3 instead takes a `media_resolution` setting (low, medium, high, ultra high) that caps
#   the tokens per image ([Google, "Media resolution"](https://ai.google.dev/gemini-api/docs/media-resolution)).
#   We show the reading in the table, labelled, and never assert on it.
#
# The code is short; the validation of sizes is folded.

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title validate_size: input checks for the token rules (machinery)
import numpy as np


def validate_size(width, height):
    """Raise TypeError for a non-integer size and ValueError for a size that is not positive."""
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be a whole number of pixels (int), got {value!r}")
        if value <= 0:
            raise ValueError(f"{name} must be a positive number of pixels, got {value}")


# %% tags=["export"]
import math


def llava15_tokens(width, height):
    """LLaVA-1.5: every image becomes 336 x 336, cut into 14-px patches."""
    validate_size(width, height)
    return (336 // 14) ** 2


def gpt4o_steps(width, height):
    """GPT-4o detail="high" (OpenAI, November 2026), step by step: a dict of the sizes, tiles and tokens."""
    validate_size(width, height)
    w, h = width, height
    if max(w, h) > 2048:                                       # 1. fit inside 2048 x 2048 (floored)
        w, h = w * 2048 // max(width, height), h * 2048 // max(width, height)
    fit = (w, h)
    if min(w, h) > 768:                                        # 2. shorter side at most 768 (floored)
        w, h = fit[0] * 768 // min(fit), fit[1] * 768 // min(fit)
    grid = (math.ceil(w / 512), math.ceil(h / 512))            # 3. 512-px tiles, partial ones whole
    return {"fit_2048": fit, "short_768": (w, h), "tiles": grid, "tokens": 85 + 170 * grid[0] * grid[1]}


def gpt4o_tokens(width, height, detail="high"):
    """GPT-4o image tokens at detail "low" (85) or "high"."""
    if detail not in ("low", "high"):
        raise ValueError(f"detail must be 'low' or 'high', got {detail!r}")
    return gpt4o_steps(width, height)["tokens"] if detail == "high" else 85


def claude_legacy_tokens(width, height):
    """Claude, older rule: ceil(w * h / 750) after shrinking to a 1568-px long side and ~1,600 tokens."""
    validate_size(width, height)
    scale = min(1.0, 1568 / max(width, height), math.sqrt(1600 * 750 / (width * height)))
    w, h = (math.floor(width * scale), math.floor(height * scale)) if scale < 1 else (width, height)
    return math.ceil(w * h / 750)


# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title claude_steps: the current 28-px rule with a per-model limit (the shrink search is machinery)
import math

CLAUDE_LIMITS = {"Claude before Opus 4.7": (1568, 1568), "Claude Opus 4.7+": (2576, 4784)}  # (long side px, tokens)


def claude_steps(width, height, model="Claude before Opus 4.7"):
    """Claude's current rule: shrink (aspect kept, floored; our reading) to the model's limits, then
    ceil(w/28) * ceil(h/28). Returns a dict with the size used, the patch grid and the tokens."""
    validate_size(width, height)
    if model not in CLAUDE_LIMITS:
        raise ValueError(f"unknown Claude model {model!r}; choose one of {list(CLAUDE_LIMITS)}")
    max_side, max_tokens = CLAUDE_LIMITS[model]

    def grid(w, h):
        return math.ceil(w / 28), math.ceil(h / 28)

    long_side = min(max(width, height), max_side)
    while True:                                   # the largest long side that meets both limits
        s = long_side / max(width, height)
        w, h = max(1, math.floor(width * s)), max(1, math.floor(height * s))
        cols, rows = grid(w, h)
        if cols * rows <= max_tokens:
            return {"size": (w, h), "patches": (cols, rows), "tokens": cols * rows}
        long_side -= 1


def claude_tokens(width, height, model="Claude before Opus 4.7"):
    """Claude's current rule: tokens of one image on ``model`` (a key of CLAUDE_LIMITS)."""
    return claude_steps(width, height, model)["tokens"]


def gemini2_reading(width, height):
    """A READING of Google's text for Gemini 2.x, not a published rule: 258 per 768-px tile."""
    validate_size(width, height)
    if width <= 384 and height <= 384:
        return 258
    return 258 * math.ceil(width / 768) * math.ceil(height / 768)


# %% [markdown]
# Before we use them, every worked example on the vendors' pages, recomputed (OpenAI's page gives
# 1024 × 1024 → 765 and 2048 × 4096 → 1,105; Anthropic's older page gives 200 × 200 → about 54,
# 1000 × 1000 → about 1,334 and 1092 × 1092 → about 1,590). If a function disagreed with its own
# documentation, this cell would stop the notebook.

# %%
doc_examples = [("GPT-4o high", gpt4o_tokens, (1024, 1024), 765), ("GPT-4o high", gpt4o_tokens, (2048, 4096), 1105),
                ("Claude older", claude_legacy_tokens, (200, 200), 54),
                ("Claude older", claude_legacy_tokens, (1000, 1000), 1334),
                ("Claude older", claude_legacy_tokens, (1092, 1092), 1590)]
for name, fn, (w, h), documented in doc_examples:
    print(f"{name:12s} {w:5d} x {h:<5d} -> {fn(w, h):5,d} tokens (docs: {documented:,})")
    assert fn(w, h) == documented, f"{name} {w}x{h}: computed {fn(w, h)}, the page says {documented}"
assert claude_tokens(1092, 1092) == 39 * 39  # the current rule, within the limits: no shrink

# %% [markdown]
# ## The cost table, step by step
#
# The sizes people actually send: a 12-megapixel phone photo, two screenshots, a page scanned at
# 300 dots per inch (A4 is 210 × 297 mm, so 2480 × 3508 px), and the small 600 × 400 image people
# test with. For GPT-4o and the current Claude rule the table shows each step, so you can see where
# the number comes from.

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
print(f"{'image':16s} {'size':>10s} | GPT-4o high: fit 2048 -> short side 768 -> tiles = tokens")
for name, (w, h) in SIZES.items():
    g = gpt4o_steps(w, h)
    print(f"{name:16s} {w:>4d}x{h:<5d} | {g['fit_2048'][0]:>4d}x{g['fit_2048'][1]:<4d} -> "
          f"{g['short_768'][0]:>4d}x{g['short_768'][1]:<4d} -> {g['tiles'][0]}x{g['tiles'][1]} tiles = "
          f"85 + 170·{g['tiles'][0] * g['tiles'][1]} = {g['tokens']:,}")
assert gpt4o_tokens(4032, 3024) == 765 and gpt4o_tokens(1920, 1080) == 1105
assert 4032 * 3024 > 5 * 1920 * 1080  # the photo has more than five times the pixels

# %% [markdown]
# That answers a puzzle learners meet: the phone photo is more than five times the pixels of the
# full-HD screenshot, yet it costs fewer tokens. The photo's aspect ratio is 4 : 3, so with the short
# side at 768 the long side is 1024: exactly 2 × 2 tiles. The screenshot is 16 : 9, so its long side
# becomes 1365, just over 1024, and needs a third column of tiles: 3 × 2 = 6. **The price follows
# the shape after the resize, not the pixels you send.**
#
# The current Claude rule, for both model groups, beside the older rule, LLaVA-1.5 and the Gemini
# reading:

# %%
print(f"{'image':16s} | {'Claude < Opus 4.7':>28s} | {'Claude Opus 4.7+':>28s} | older | LLaVA | Gemini 2.x (reading)")
for name, (w, h) in SIZES.items():
    cells = []
    for model in CLAUDE_LIMITS:
        c = claude_steps(w, h, model)
        cells.append(f"{c['size'][0]:>4d}x{c['size'][1]:<4d} {c['patches'][0]:>2d}x{c['patches'][1]:<2d} = {c['tokens']:>5,d}")
    print(f"{name:16s} | {cells[0]:>28s} | {cells[1]:>28s} | {claude_legacy_tokens(w, h):>5,d} | "
          f"{llava15_tokens(w, h):>5d} | {gemini2_reading(w, h):>6,d}")
a4 = SIZES["A4 scan 300 dpi"]
assert 2.5 < claude_tokens(*a4, model="Claude Opus 4.7+") / claude_legacy_tokens(*a4) < 3.5  # about three times

# %% [markdown]
# Read across a row. The same A4 scan costs 576 tokens on LLaVA-1.5 (which squeezes everything into
# 336 × 336, and the text with it), 1,105 on GPT-4o, and about three times the older Claude figure
# on the Claude models with the larger native limit, which keep far more of the page. A fixed price
# per image is the exception; for most models **the bigger the image, the bigger the bill**, up to
# each model's limit. The exact rules of many more models, from their own preprocessing code, are in
# [lesson 3.5](https://pixels-to-tokens.github.io/pixels-to-tokens/notebooks/3-deep-dive/3-5-tiling-and-token-budgets.html).
#
# ## Many images, and conversations
#
# A [context window](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#context-window)
# is the number of tokens a model reads at once: the instructions, the images and the room the
# answer needs. A request with 1, 10 or 50 A4 scans, an example 500-token prompt and 1,000 tokens
# kept for the answer, against windows of 8k (8,192), 32k (32,768) and 128k (128,000) tokens:

# %% tags=["export"]
def request_tokens(n_images, tokens_per_image, prompt_tokens=500, answer_tokens=1000):
    """Tokens one request occupies: n_images * tokens_per_image + prompt + room for the answer."""
    for name, value in (("n_images", n_images), ("tokens_per_image", tokens_per_image),
                        ("prompt_tokens", prompt_tokens), ("answer_tokens", answer_tokens)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative int, got {value!r}")
    return n_images * tokens_per_image + prompt_tokens + answer_tokens


# %%
WINDOWS = {"8k": 8_192, "32k": 32_768, "128k": 128_000}
RULES = {"LLaVA-1.5": llava15_tokens, "GPT-4o high": gpt4o_tokens,
         "Claude < Opus 4.7": claude_tokens,
         "Claude Opus 4.7+": lambda w, h: claude_tokens(w, h, "Claude Opus 4.7+")}
budget = {(n, m): request_tokens(n, rule(*a4)) for n in (1, 10, 50) for m, rule in RULES.items()}
for n in (1, 10, 50):
    print(f"{n:2d} A4 scans: " + "; ".join(
        f"{m} {budget[n, m]:,} (fits {', '.join(k for k, v in WINDOWS.items() if budget[n, m] <= v) or 'none'})"
        for m in RULES))
assert budget[10, "LLaVA-1.5"] <= WINDOWS["8k"] < budget[10, "GPT-4o high"]
assert budget[50, "Claude Opus 4.7+"] > WINDOWS["128k"]

# %% [markdown]
# Ten scans overflow an 8k window on every model but LLaVA-1.5, and fifty leave only the largest
# windows in play, or none. That ten scans *fit* LLaVA-1.5's arithmetic does not mean the model
# can use them: LLaVA-1.5 was fine-tuned on one image per conversation with sequences of at most
# 2,048 tokens ([Liu et al., 2023](https://arxiv.org/abs/2310.03744)). Budget for what a model
# was trained to read, not only for what fits.
#
# Conversations add a second multiplier. An API reads the whole conversation on every turn: with
# the usual stateless calls you send the history again, and with stateful APIs that keep it for
# you (OpenAI's ["Conversation state"](https://platform.openai.com/docs/guides/conversation-state))
# the earlier turns are still read and billed as input. Prompt caching
# ([OpenAI](https://platform.openai.com/docs/guides/prompt-caching),
# [Anthropic](https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching)) discounts a
# repeated prefix, but the tokens still fill the window. A 20-turn chat about A4 scans on GPT-4o,
# each turn adding an example 400 tokens of text:

# %%
scan, text, turns = gpt4o_tokens(*a4), 400, np.arange(1, 21)
habits = {
    "scan once, kept in history": text * turns + scan,
    "new scan every turn, all kept": text * turns + scan * turns,
    "scan once, dropped after turn 1": text * turns + scan * (turns == 1),
}
for name, per_turn in habits.items():
    print(f"{name:32s} last request {per_turn[-1]:6,d} tokens; billed over 20 turns {per_turn.sum():8,d}")
assert habits["new scan every turn, all kept"].sum() > 2 * habits["scan once, kept in history"].sum()

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form" mystnb={"image": {"alt": "Line chart of the input tokens of each request against the turn of a 20-turn conversation, three habits with different line styles and markers: a scan kept once grows slowly, a new scan every turn grows steeply, and a scan dropped after turn one stays lowest; the 8k window is a dashed line."}}
#@title Plot the three habits (drawing code)
fig, ax = plt.subplots(figsize=(6.5, 3.6))
for (name, per_turn), colour, style, marker in zip(habits.items(), OKABE_ITO[4:7], ["-", "--", ":"], "os^"):
    ax.plot(turns, per_turn, color=colour, ls=style, marker=marker, ms=4, label=name)
ax.axhline(WINDOWS["8k"], color="black", ls="--", lw=0.8)
ax.text(1, WINDOWS["8k"] * 1.03, "8k window", fontsize=8)
ax.set(xlabel="turn of the conversation", ylabel="input tokens in the request",
       title=f"A 20-turn chat about A4 scans on GPT-4o high ({scan:,} tokens per scan)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# A scan kept in the history is billed once per turn; a chat that adds an image every turn grows
# its bill with the square of its length. Dropping images you no longer need (or describing them
# once in text) is the cheapest fix.

# %% [markdown]
# ## What shrinking does to text
#
# The cheap way to save tokens is to send a smaller image. That is fine for a photo of a dog and
# fatal for a page of text: letters must stay large enough, in pixels, to be told apart. The
# measure is the **x-height**, the height of a lowercase "x" (the body of most letters).
#
# We render an A4 page of 10-point text at 300 dpi with the DejaVu Sans font that ships with
# matplotlib (the rendering and measuring helpers are folded), and measure the x-height of its
# letters: the rows of ink of a single rendered "x".

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Text rendering, resizing and letter comparison helpers (machinery)
import string

import numpy as np


def render_text(text_lines, width_px, height_px, point_size=10, dpi=300, margin_px=300):
    """Lines of text in DejaVu Sans on white, as print at ``dpi``: a (height_px, width_px) uint8 grey image."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    line_px = 1.25 * point_size / 72 * dpi              # line spacing of 1.25 em
    for i, line in enumerate(text_lines):
        y = margin_px + (i + 1) * line_px
        fig.text(margin_px / width_px, 1 - y / height_px, line, fontsize=point_size,
                 family="DejaVu Sans", va="baseline")
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., 0].copy()


def glyph_x_height_px(point_size=10, dpi=300):
    """Rows of ink of a lowercase 'x' in DejaVu Sans at ``point_size`` and ``dpi``."""
    canvas = render_text(["x"], 200, 200, point_size=point_size, dpi=dpi, margin_px=20)
    rows = np.flatnonzero((canvas < 128).any(axis=1))
    return int(rows.max() - rows.min() + 1)


def resize_by(gray, factor):
    """Resize a grey image by ``factor`` (bicubic, antialiased), at least 1 x 1."""
    from PIL import Image

    h, w = gray.shape
    return np.asarray(Image.fromarray(gray).resize((max(1, round(w * factor)), max(1, round(h * factor))),
                                                   Image.BICUBIC))


def resize_long_side(gray, long_side):
    """Resize a 2-D grey image (aspect kept) so that its long side is ``long_side`` pixels."""
    if isinstance(long_side, bool) or not isinstance(long_side, (int, np.integer)) or long_side <= 0:
        raise ValueError(f"long_side must be a positive whole number of pixels, got {long_side!r}")
    gray = np.asarray(gray)
    if gray.ndim != 2:
        raise ValueError(f"expected a 2-D grey image (height, width), got shape {gray.shape}")
    return resize_by(gray, long_side / max(gray.shape))


def letter_similarity(x_height_px, point_size=10, dpi=300):
    """Correlation (26, 26) of the 26 lowercase letters after shrinking them to ``x_height_px``."""
    from PIL import Image

    if x_height_px <= 0:
        raise ValueError(f"x_height_px must be positive, got {x_height_px}")
    em = point_size / 72 * dpi
    strip = render_text([" ".join(string.ascii_lowercase)], int(36 * em), int(2 * em), point_size, dpi, margin_px=0)
    ink_cols = np.flatnonzero((strip < 128).any(axis=0))
    runs = np.split(ink_cols, np.flatnonzero(np.diff(ink_cols) > 1) + 1)  # one run of columns per letter
    if len(runs) != 26:
        raise RuntimeError(f"expected 26 separate letters in the rendered strip, found {len(runs)}")
    scale = x_height_px / glyph_x_height_px(point_size, dpi)
    glyphs = []
    for run in runs:
        crop = 255 - strip[:, run[0]: run[0] + int(em)]  # (2 em, 1 em), ink bright, left-aligned
        size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
        glyphs.append(np.asarray(Image.fromarray(crop).resize(size, Image.BICUBIC), float).ravel())
    v = np.stack(glyphs)
    v -= v.mean(axis=1, keepdims=True)
    v /= np.linalg.norm(v, axis=1, keepdims=True) + 1e-9
    return v @ v.T


# %%
PARAGRAPH = ("A vision-language model reads an image as a run of tokens. The run is longer when the "
             "image is larger, so every pixel you send has a price, and every pixel you remove may hold "
             "the detail the question was about: a digit in an invoice, a unit in a table, a footnote. ")
lines = [(PARAGRAPH * 20)[i * 84:(i + 1) * 84] for i in range(54)]
a4_page = render_text(lines, 2480, 3508, point_size=10, dpi=300)  # (3508, 2480) grey
x_native = glyph_x_height_px(10, 300)
print(f"A4 page {a4_page.shape[1]} x {a4_page.shape[0]} px; x-height of 10-pt text at 300 dpi: {x_native} px")
assert a4_page.shape == (3508, 2480) and 0.45 < x_native / (10 / 72 * 300) < 0.6  # about half an em

# %% [markdown]
# Shrinking by a factor shrinks the letters by the same factor. Letters are told apart by a few
# strokes and the gaps between them (an "e" has a bar that a "c" lacks), so below an x-height of
# roughly 3 to 4 px they should start to merge. We test that instead of trusting it: shrink the 26
# lowercase letters to a given x-height and count the pairs (of 325) whose shrunken images are
# nearly the same (correlation above 0.9).

# %%
heights = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 12]
alike = {h: int((letter_similarity(h)[np.triu_indices(26, k=1)] > 0.9).sum()) for h in heights}
print("letter pairs that look alike, by x-height in px:", alike)
assert alike[2] > 3 * alike[4] and alike[1] > alike[2]  # letters merge as they shrink, steeply below 3-4 px

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form" mystnb={"image": {"alt": "Line chart with circle markers: the number of lowercase letter pairs that look alike against the x-height in pixels on a log scale; the count is small above about 4 px and climbs steeply below 3 px. A shaded band marks 3 to 4 px and dotted vertical lines mark where the A4 page lands at 224, 448 and 896 px."}}
#@title Plot look-alike letter pairs against x-height (drawing code)
fig, ax = plt.subplots(figsize=(6.5, 3.6))
ax.plot(heights, list(alike.values()), marker="o", color=OKABE_ITO[4])
ax.axvspan(3, 4, color=OKABE_ITO[5], alpha=0.15, label="3-4 px")
for L, style in zip((224, 448, 896), [":", "--", "-."]):
    ax.axvline(x_native * L / 3508, color="grey", ls=style, lw=1)
    ax.text(x_native * L / 3508, max(alike.values()) * 0.95, f" A4 at {L} px", rotation=90, va="top", fontsize=8)
ax.set_xscale("log")
ax.set_xticks(heights, [str(h) for h in heights])
ax.set(xlabel="x-height after shrinking (px, log scale)", ylabel="letter pairs alike (of 325)",
       title="Small letters merge: DejaVu Sans lowercase, correlation > 0.9")
ax.legend()
plt.show()

# %% [markdown]
# Now the page at the long sides a model might resize it to. A page of real words is easy to
# "read" even when blurred, because you know the words and guess the rest; a model reading an
# invoice number cannot guess. So beside a crop of the page we shrink a line of **random letters**
# by the same factor: try to read it in the figure, then compare with the truth printed by the
# cell below it. The crops are enlarged without smoothing: you see the pixels the model gets.

# %%
random_line = "".join(rng.choice(list(string.ascii_lowercase), size=24))
letters = render_text([" ".join(random_line)], 1400, 110, point_size=10, dpi=300, margin_px=10)
ink_rows, ink_cols = np.flatnonzero((letters < 128).any(1)), np.flatnonzero((letters < 128).any(0))
letters = letters[ink_rows[0] - 8: ink_rows[-1] + 8, : ink_cols[-1] + 8]  # crop to the letters
THRESHOLD_PX = 3.5
verdict, n_alike = {}, {}
for L in (224, 448, 896):
    xh = x_native * L / 3508
    pairs = letter_similarity(xh)
    alike_now = [f"{string.ascii_lowercase[i]}-{string.ascii_lowercase[j]}"
                 for i, j in zip(*np.triu_indices(26, k=1)) if pairs[i, j] > 0.9]
    verdict[L], n_alike[L] = xh >= THRESHOLD_PX, len(alike_now)
    print(f"long side {L}: x-height {xh:.1f} px -> {'readable' if verdict[L] else 'below 3.5 px'}; "
          f"{len(alike_now)} pairs alike, e.g. {', '.join(alike_now[:8])}")
need = math.ceil(THRESHOLD_PX * 3508 / x_native)
print(f"long side needed for an x-height of {THRESHOLD_PX} px: {need} px")
assert not verdict[224] and not verdict[448] and verdict[896] and 8 <= n_alike[448] <= 16  # "a dozen" below
assert gpt4o_steps(*SIZES["A4 scan 300 dpi"])["short_768"] == (768, 1086) and 1086 >= need > 336

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form" mystnb={"image": {"alt": "Two rows of three grey panels at long sides 224, 448 and 896 px, each enlarged without smoothing: the top row a crop of the rendered A4 page, the bottom row a line of random letters shrunk by the same factor. At 224 px both are grey blocks, at 448 px words are guessable but random letters blur into each other, at 896 px the letters are readable."}}
#@title Show the page and the random letters at each size (drawing code)
fig, axes = plt.subplots(2, 3, figsize=(13, 4.4), gridspec_kw={"height_ratios": [2, 1]})
for col, L in enumerate((224, 448, 896)):
    small = resize_long_side(a4_page, L)
    hh, ww = small.shape
    axes[0, col].imshow(small[int(0.08 * hh): int(0.17 * hh), int(0.11 * ww): int(0.42 * ww)], cmap="gray",
                        vmin=0, vmax=255, interpolation="nearest")
    axes[0, col].set_title(f"page at long side {L} px: x-height {x_native * L / 3508:.1f} px", fontsize=9)
    axes[1, col].imshow(resize_by(letters, L / 3508), cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    axes[1, col].set_title("random letters, same scale", fontsize=9)
    for row in (0, 1):
        axes[row, col].set_xlabel("x (px)", fontsize=8)
        axes[row, col].set_ylabel("y (px)", fontsize=8)
fig.suptitle("What the model gets: a crop of the A4 page and a line of random letters, shrunk alike")
fig.tight_layout()
plt.show()

# %%
print("the random letters were:", random_line)

# %% [markdown]
# At 448 px the page crop may look almost readable: you recognise words you have just read above.
# The random letters, shrunk by the same factor, show what is really left: an x-height under 3 px,
# where the measurement finds a dozen pairs of letters that look alike (the count and the pairs
# are printed above). The verdict follows the measurement, not the impression. A 224-px [thumbnail](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#thumbnail-global-image)
# of a page is a grey texture, and a page of 10-point text needs the long side printed above
# (smaller print needs more). GPT-4o's 768-px short side keeps an A4 page at 768 × 1086, above
# that line; LLaVA-1.5's 336 px does not. Crop the region that matters rather than shrinking the
# whole page.

# %% [markdown]
# ## Exercises
#
# ### Exercise 1.6: how many screenshots fit?
#
# **Kind:** predict-then-run
#
# A support tool sends full-HD screenshots (1920 × 1080) to GPT-4o at `detail="high"`, with a
# 500-token prompt and 1,000 tokens kept for the answer, in a 32k window (32,768 tokens). Predict,
# **without running code**, how many screenshots fit in one request, and return your whole number
# from `predict_screenshots()`. Then run the cell after the check: it computes the answer on
# every model of this lesson.
#
# <details><summary>Hint</summary>
#
# Follow the three steps of the cost table by hand: does 1920 × 1080 need the 2048 fit? What is
# the long side once the short side is 768? How many 512-px tiles cover that? Then divide the room
# left in the window by the tokens per screenshot and round **down**: a screenshot fits whole or
# not at all.
#
# </details>

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Self-check for Exercise 1.6 (run it; no need to read it)
def check_screenshot_prediction(fn, quiet=False):
    """Judge a predicted number of 1920x1080 screenshots in a 32k request on GPT-4o high. True / False / None."""
    say = (lambda *a: None) if quiet else print
    try:
        value = fn()
    except NotImplementedError:
        say("○ Not attempted yet: replace `raise NotImplementedError()` with `return <your number>`.")
        return None
    except Exception as err:  # noqa: BLE001 - report any learner error as feedback
        say(f"✘ predict_screenshots() raised {type(err).__name__}: {err}. Hint: return a whole number, e.g. `return 10`.")
        return False
    if isinstance(value, bool) or not isinstance(value, int) and not (hasattr(value, "is_integer") and value.is_integer()):
        say(f"✘ expected a whole number of screenshots, got {value!r}. Hint: a screenshot fits whole or not "
            "at all: round down (floor), e.g. `math.floor(...)` or `//`.")
        return False
    value = int(value)
    if value == 28:
        say("✔ Right: 1920 × 1080 skips the 2048 fit, shrinks to 1365 × 768, needs 3 × 2 = 6 tiles: "
            "85 + 6 · 170 = 1,105 tokens; (32,768 − 1,500) // 1,105 = 28.")
        return True
    hints = {
        29: ("29 screenshots need 32,045 image tokens, more than the 31,268 left once the 500-token prompt and the "
             "1,000-token answer are counted: either you rounded 28.3 up or you left those out (32,768 // 1,105 = 29)."),
        40: "765 tokens is the cost of a 4 : 3 image (2 × 2 tiles). At 16 : 9 the long side becomes 1365 after "
            "the 768 step: 3 tiles across, 6 in all.",
        41: "765 tokens is the cost of a 4 : 3 image (2 × 2 tiles), and the prompt and answer take room too.",
        14: "you skipped the shrink: a short side of 1080 is over 768, so the image becomes 1365 × 768 first.",
        15: "you skipped the shrink: a short side of 1080 is over 768, so the image becomes 1365 × 768 first.",
        367: "85 tokens is detail=\"low\"; this tool uses high detail.",
        385: "85 tokens is detail=\"low\"; this tool uses high detail.",
    }
    if value in hints:
        hint = hints[value]
    else:
        hint = "count the tokens of one screenshot with the three steps (fit 2048, short side 768, 512-px tiles)."
    say(f"✘ {value} screenshots is not right. Hint: {hint}")
    return False


# %% nbgrader={"grade": false, "grade_id": "ex1-3-1-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Your answer to Exercise 1.6
def predict_screenshots():
    """How many 1920 x 1080 screenshots fit one 32k request on GPT-4o high (prompt 500, answer 1,000)?"""
    ### BEGIN SOLUTION
    return 28
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex1-3-1-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Check your answer to Exercise 1.6
check_screenshot_prediction(predict_screenshots);
### BEGIN HIDDEN TESTS
assert check_screenshot_prediction(predict_screenshots, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# The computed answer, on every model of the lesson:

# %%
room = 32_768 - 500 - 1000
fhd = SIZES["screenshot FHD"]
fit = {m: room // rule(*fhd) for m, rule in RULES.items()}
print({m: f"{rule(*fhd):,} tokens each -> {fit[m]} screenshots" for m, rule in RULES.items()})
assert fit["GPT-4o high"] == 28 and request_tokens(28, gpt4o_tokens(*fhd)) <= 32_768 < request_tokens(29, gpt4o_tokens(*fhd))

# %% [markdown]
# ### Exercise 1.7: a model that does not tile
#
# **Kind:** transfer
#
# Qwen2-VL ([Wang et al., 2024](https://arxiv.org/abs/2409.12191)) reads an image at (nearly) its
# own size. Its released preprocessing (`smart_resize`, as of November 2026) rounds each side to
# the **nearest** multiple of 28 px (14-px patches, then each 2 × 2 block of patches merged into one
# token), and the image costs one token per 28 × 28 block. Ignoring its pixel limits (the sizes
# here stay between 56 px and 3,000 px, inside them), write `qwen2vl_tokens(width, height)`.
#
# <details><summary>Hint</summary>
#
# Count the 28-px blocks along each side separately, rounding each side to the *nearest* whole
# number of blocks: not up (that would be Claude's ⌈w/28⌉) and not down. Then multiply.
#
# </details>

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Self-check for Exercise 1.7 (run it; no need to read it)
def check_qwen2vl_tokens(fn, quiet=False):
    """Check qwen2vl_tokens(width, height) on sizes worked out by hand. True / False / None."""
    say = (lambda *a: None) if quiet else print
    cases = {  # (width, height): (round, ceil, floor) token counts, worked out by hand
        (600, 400): (294, 330, 294), (1920, 1080): (2691, 2691, 2584), (224, 224): (64, 64, 64),
        (1000, 1000): (1296, 1296, 1225), (100, 60): (8, 12, 6), (3000, 2000): (7597, 7668, 7597),
    }
    for (w, h), (want, up, down) in cases.items():
        try:
            got = fn(w, h)
        except NotImplementedError:
            say("○ Not attempted yet: replace `raise NotImplementedError()` with your code.")
            return None
        except Exception as err:  # noqa: BLE001 - report any learner error as feedback
            say(f"✘ qwen2vl_tokens({w}, {h}) raised {type(err).__name__}: {err}")
            return False
        if isinstance(got, bool) or not isinstance(got, int) and not (hasattr(got, "is_integer") and got.is_integer()):
            say(f"✘ qwen2vl_tokens({w}, {h}) returned {got!r}; expected a whole number of tokens (an int). "
                "Hint: round each side to a whole number of 28-px blocks before multiplying.")
            return False
        if int(got) != want:
            if int(got) == up:
                hint = "you rounded up (ceil, Claude's rule); Qwen2-VL rounds to the nearest multiple of 28."
            elif int(got) == down:
                hint = "you rounded down (floor); Qwen2-VL rounds to the nearest multiple of 28."
            elif 3.2 * want <= int(got) <= 4.8 * want:
                hint = "one token covers 28 × 28 px (2 × 2 patches of 14 px merged), not 14 × 14."
            else:
                hint = "tokens = round(width / 28) * round(height / 28)."
            say(f"✘ qwen2vl_tokens({w}, {h}) returned {got}, expected {want}. Hint: {hint}")
            return False
    say("✔ Correct: nearest multiple of 28 on each side, one token per 28 × 28 block (1920 × 1080 → 2,691).")
    return True


# %% nbgrader={"grade": false, "grade_id": "ex1-3-2-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Your answer to Exercise 1.7
def qwen2vl_tokens(width, height):
    """Qwen2-VL image tokens, ignoring its pixel limits: one per 28 x 28 block after rounding each side."""
    ### BEGIN SOLUTION
    return round(width / 28) * round(height / 28)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex1-3-2-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Check your answer to Exercise 1.7
check_qwen2vl_tokens(qwen2vl_tokens);
### BEGIN HIDDEN TESTS
assert check_qwen2vl_tokens(qwen2vl_tokens, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# ## Quiz and what to remember
#
# Click an answer for feedback. The numbers in the questions are computed by this lesson's
# functions when the cell runs (the quiz works without a running kernel too).

# %% tags=["remove-input"] jupyter={"source_hidden": true} cellView="form"
#@title Quiz (answers folded away)
from jupyterquiz import display_quiz

test_img = SIZES["test image"]
q1_ratio = gpt4o_tokens(*a4) / gpt4o_tokens(*test_img)
per_2048 = gpt4o_tokens(2048, 2048)
q2_total = request_tokens(3 * 60, per_2048)
display_quiz([
    {
        "question": (f"A pipeline sends 10 A4 scans (300 dpi) per request to GPT-4o at high detail. Tested with one "
                     f"600×400 image the cost looked fine; in production each image costs about {q1_ratio:.1f}× the "
                     "test image, times ten images. What is the cause?"),
        "type": "multiple_choice",
        "answers": [
            {"answer": "Each scan needs more 512-px tiles than the small test image, and there are ten per request",
             "correct": True,
             "feedback": (f"Right. 600×400 is 2 tiles, {gpt4o_tokens(*test_img)} tokens; an A4 scan becomes "
                          f"768×1086, 6 tiles, {gpt4o_tokens(*a4):,} tokens. Estimate with real sizes.")},
            {"answer": "Providers add a surcharge for every request with more than one image", "correct": False,
             "feedback": "No: OpenAI's published rule bills each image as input tokens; there is no per-request surcharge in it."},
            {"answer": "Larger files take more bytes, and bytes are billed", "correct": False,
             "feedback": "The bill counts tokens from the image's size in pixels, not bytes: a JPEG and a PNG of the same size cost the same."},
        ],
    },
    {
        "question": (f"A team chats with GPT-4o (a 128,000-token window) at high detail, adding three 2048×2048 "
                     f"screenshots every turn and keeping them all. After 60 turns the request no longer fits. Why?"),
        "type": "multiple_choice",
        "answers": [
            {"answer": "Every screenshot in the history is read again each turn: 180 images add up", "correct": True,
             "feedback": (f"Right. Each 2048×2048 image is {per_2048} tokens after the resize; 180 of them plus a 500-token "
                          f"prompt and 1,000 for the answer is {q2_total:,} tokens. Drop old images from the history.")},
            {"answer": "The model enlarges 2048-px images before tiling them", "correct": False,
             "feedback": "No: the rule shrinks large images (to a 768-px short side), never enlarges them."},
            {"answer": "Images are sent as base64 text, and every character is a token", "correct": False,
             "feedback": "Base64 is only transport; the image is billed by its size in pixels through the vendor's rule."},
        ],
    },
])

# %% [markdown]
# - An image costs input tokens by a rule that depends on the model, and rules change: read the
#   page's date. LLaVA-1.5 is a constant 576; GPT-4o counts 512-px tiles after two resizes; Claude's
#   current rule counts 28-px patches up to a per-model limit; Gemini's tiling is not published.
# - The price follows the image's shape after the resize: a 16 : 9 screenshot can cost more than a
#   4 : 3 photo with five times the pixels.
# - A request pays for every image it holds, and a conversation pays again for every image in its
#   history, every turn.
# - Shrinking saves tokens until the x-height nears 3 to 4 px; below that letters merge. Crop what
#   matters instead.
#
# **Next:** the Guided part builds these pieces in code;
# [lesson 2.4](https://pixels-to-tokens.github.io/pixels-to-tokens/notebooks/2-guided/2-4-token-estimator.html)
# writes and debugs a token estimator.
