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
# # 2.4 The token estimator in code
#
# Before you send a thousand images a day to a vision-language model, you want to know what
# they cost in tokens. This lesson starts from a token estimator that looks reasonable, runs
# without error and is wrong: the one in the article this course grew from. You will rebuild
# its logic, expose it with a property test (a test of a rule that must hold for every input),
# find the bug, fix it, and then reproduce the published counts of LLaVA-1.5 and GPT-4o.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pixels-to-tokens/pixels-to-tokens/blob/main/student/notebooks/2-guided/2-4-token-estimator.ipynb)
#
# **What you will build**
# - the article's estimator, re-implemented, and a property test that catches it;
# - the fixed estimator: a grid of tiles per axis, a fixed cost per tile, a thumbnail, a cap;
# - LLaVA-1.5's 576 tokens and GPT-4o's 85 / 765 / 1,105, computed and asserted.
#
# **Prerequisites:** lesson 1.1 (patches) and lesson 1.3 (images cost context); Python.
# **Time to study:** about 25 minutes. **Time to run:** under 10 s on a laptop CPU.

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Colab only: install the quiz package (does nothing elsewhere)
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "jupyterquiz"], check=True)

# %%
import math
import random
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from PIL import Image
from skimage import data as skdata

SEED = 0
torch.manual_seed(SEED)
rng = np.random.default_rng(SEED)
random.seed(SEED)
torch.set_num_threads(1)  # one thread: as fast on a busy laptop as on a quiet one, same results
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")  # unused: sizes only
T_START = time.perf_counter()

# %% [markdown]
# ## 1. What the article's code says
#
# The article claims that a tiling estimator can take the image's size, work out how many
# tiles it needs, split the image into that many pieces and count patches in each piece; it
# then reports that a 2048 × 2048 scan in high resolution costs *fewer* tokens than a
# 1024 × 768 photo in low resolution, without remarking on it. The course lists this claim
# among the [common misconceptions](https://pixels-to-tokens.github.io/pixels-to-tokens/book/misconceptions.html#adding-tiles-adds-detail-so-a-tiling-estimator-can-divide-the-image-by-the-tile-count).
#
# Its code, in words:
#
# - A small record holds the width, the height, a tile count and a patch size of 14 pixels.
#   Its "tokens per tile" divides the width **and** the height by the tile count, then counts
#   the whole 14-pixel patches in that piece ([patches](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#patch)
#   as in [Dosovitskiy et al., 2020](https://arxiv.org/abs/2010.11929)). The total is tokens
#   per tile times the tile count.
# - In high resolution, the tile count is the number of whole 336-pixel squares that fit
#   across, times those that fit down (336 px is the input of the CLIP ViT-L/14-336 encoder
#   behind LLaVA-1.5, [Liu et al., 2023](https://arxiv.org/abs/2310.03744)), at least 1. A
#   comment above it says that many models use grids of up to 5 × 5 or **6 × 6** tiles, yet
#   the cap the code sets is **35** tiles: one short of 6 × 6 = 36, and a number no square grid
#   has.
# - In low resolution, it pretends the image was shrunk to 448 × 448 and uses one tile.
#
# Here is that logic, re-implemented with the same arithmetic in one function (the comment
# about 6 × 6 grids is kept beside the cap, so you can see the mismatch).

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Input checks for sizes (machinery: run it; no need to read it)
import numbers


def _pixels(name, value):
    """`value` as an int if it is a positive whole number of pixels; else TypeError/ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number of pixels (an int), got {value!r} of type "
                        f"{type(value).__name__}; round it first, e.g. int(round(x))")
    if value <= 0:
        raise ValueError(f"{name} must be a positive number of pixels, got {value}")
    return int(value)


def _high_res(value):
    """`value` if it is a bool; else TypeError (a string 'high' is a common slip)."""
    if not isinstance(value, bool):
        raise TypeError(f"high_res must be True or False, got {value!r}")
    return value


# %% tags=["export"]
def flawed_estimate(width, height, high_res=True):
    """The article's estimator, same arithmetic: tokens (int). Wrong on purpose; do not use it."""
    width, height, high_res = _pixels("width", width), _pixels("height", height), _high_res(high_res)
    if high_res:
        # the article's comment above this line speaks of grids up to 5 x 5 or 6 x 6 tiles,
        n = max(1, min(35, (width // 336) * (height // 336)))  # ...but the cap is 35, not 36
    else:
        n, width, height = 1, 448, 448  # low resolution: one view of 448 x 448
    piece_w, piece_h = width // n, height // n  # both sides divided by the TOTAL tile count
    return n * (piece_w // 14) * (piece_h // 14)


# %% [markdown]
# The article's three examples: a 1024 × 768 photo in low and high resolution, and a
# 2048 × 2048 scan in high resolution.

# %%
article_examples = [(1024, 768, False), (1024, 768, True), (2048, 2048, True)]
flawed_counts = [flawed_estimate(w, h, hi) for w, h, hi in article_examples]
for (w, h, hi), n in zip(article_examples, flawed_counts):
    print(f"{w:>5} x {h:<5} {'high' if hi else 'low':4} -> {n:>5,} tokens")
assert flawed_counts == [1024, 648, 560]

# %% [markdown]
# Each number looks plausible alone. Side by side they cannot all be right: high resolution
# *lowers* the photo's cost, and the scan, with more than five times the photo's pixels, costs
# less than the photo in low resolution. Reading numbers one at a time did not catch this; a
# test that compares them will.
#
# ## 2. A property test
#
# We do not know the right count for every size yet, but two rules must hold for any sensible
# estimator:
#
# 1. **More pixels never cost fewer tokens.** Scale an image up by a whole factor, keeping its
#    aspect ratio, and the count must not drop.
# 2. **High detail is never cheaper than low detail** for the same image.
#
# A property test checks such rules on many inputs instead of a few chosen ones. Here it is a
# plain loop over seeded random sizes that keeps, for each broken rule, the counterexample with
# the fewest pixels: small ones are the easiest to reason about.

# %% tags=["export"]
import random

RULE_PIXELS = "more pixels (same aspect) must never cost fewer tokens"
RULE_DETAIL = "high detail must never be cheaper than low detail"


def find_violations(estimate, n_trials=300, seed=0, max_side=2500):
    """{rule: (cheaper, dearer)} smallest counterexamples; each side is (w, h, high_res, tokens)."""
    rng = random.Random(seed)
    found = {}
    for _ in range(n_trials):
        w, h, k = rng.randint(1, max_side), rng.randint(1, max_side), rng.randint(2, 4)
        cost = {hi: estimate(w, h, hi) for hi in (False, True)}
        pairs = [(RULE_DETAIL, (w, h, True, cost[True]), (w, h, False, cost[False]))]
        pairs += [(RULE_PIXELS, (k * w, k * h, hi, estimate(k * w, k * h, hi)), (w, h, hi, cost[hi]))
                  for hi in (False, True)]
        for rule, should_cost_more, should_cost_less in pairs:
            smaller = rule not in found or w * h < found[rule][1][0] * found[rule][1][1]
            if should_cost_more[3] < should_cost_less[3] and smaller:
                found[rule] = (should_cost_more, should_cost_less)
    return found


def assert_properties(estimate, **search):
    """Raise AssertionError naming each broken rule and its smallest counterexample."""
    found = find_violations(estimate, **search)
    lines = [f"{rule}: {a[0]}x{a[1]} ({'high' if a[2] else 'low'}) costs {a[3]:,} tokens, "
             f"{b[0]}x{b[1]} ({'high' if b[2] else 'low'}) costs {b[3]:,}"
             for rule, (a, b) in found.items()]
    assert not lines, "\n".join(lines)


# %% [markdown]
# Run it on the article's estimator. It raises `AssertionError`; we catch it and print what it
# found, so the notebook goes on.

# %%
try:
    assert_properties(flawed_estimate)
    caught = False
except AssertionError as err:
    caught = True
    print("Property test FAILED. Smallest counterexamples:\n" + str(err))
assert caught
found = find_violations(flawed_estimate)
assert set(found) == {RULE_PIXELS, RULE_DETAIL}
(w0, h0, _, zero), _ = found[RULE_DETAIL]
assert zero == 0 and min(w0, h0) < 14  # a side under one patch: 0 tokens in high mode
broken = {seed: len(find_violations(flawed_estimate, seed=seed)) for seed in range(1, 6)}
print("rules broken with seeds 1-5:", broken)
assert all(n == 2 for n in broken.values())

# %% [markdown]
# Both rules break. The detail rule breaks on an image that costs *nothing* in high resolution:
# one side is shorter than a 14-pixel patch, and floor division rounds its patches to zero. The
# pixel rule breaks where scaling an image up lowers its count. With five other seeds the
# sizes change, but both rules break every time (the last line printed).
#
# ## 3. Diagnosis
#
# Follow the arithmetic for the 1024 × 768 photo in high resolution.

# %%
W, H = 1024, 768
n = max(1, min(35, (W // 336) * (H // 336)))
piece_w, piece_h = W // n, H // n
print(f"whole 336-px squares: {W // 336} across x {H // 336} down -> n = {n}")
print(f"one piece: {W} // {n} x {H} // {n} = {piece_w} x {piece_h} px, "
      f"{(piece_w // 14) * (piece_h // 14)} patches")
covered = n * piece_w * piece_h / (W * H)
print(f"the {n} pieces cover {covered:.1%} of the image")
assert n * (piece_w // 14) * (piece_h // 14) == flawed_estimate(W, H, True)

# %% [markdown]
# There is the bug. The count `n` comes from a grid (3 across × 2 down), but each piece divides
# **both** sides by the **total** `n`, so it is 1/n² of the image and the n pieces cover only
# 1/n of it (the share printed above). Ignoring the floors,
#
# $$\text{tokens} \approx n\cdot\frac{W/n}{14}\cdot\frac{H/n}{14} = \frac{W\,H}{196\,n}.$$
#
# The more tiles, the fewer tokens. The figure forces `n` from 1 to 36 for the 2048 × 2048
# scan and compares the estimator's arithmetic with this formula.

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form" mystnb={"image": {"alt": "Line chart, log scale: estimated tokens of a 2048 by 2048 image against the tile count n from 1 to 36. The estimator's arithmetic (circles) follows the dashed curve W times H over 196 n: tokens fall as tiles are added; a grey line marks the article's cap of 35."}}
#@title Figure: the flawed arithmetic against the tile count (plotting code)
ns = np.arange(1, 37)
forced = np.array([k * ((2048 // k) // 14) ** 2 for k in ns])  # the estimator with n forced
fig, ax = plt.subplots(figsize=(7, 3.6))
ax.plot(ns, forced, "o-", ms=3, color="#0072B2", label="estimator's arithmetic (with floors)")
ax.plot(ns, 2048 * 2048 / (196 * ns), "--", color="#D55E00", label=r"$WH/(196\,n)$")
ax.axvline(35, color="grey", lw=0.8, ls=":")
ax.annotate("the article's cap of 35", (35, forced[34]), (16, 8000),
            arrowprops=dict(arrowstyle="->", color="grey"))
ax.set(title="The flawed estimator: more tiles, fewer tokens (2048 × 2048 image)",
       xlabel="number of tiles n", ylabel="estimated tokens (log scale)", yscale="log")
ax.legend()
plt.tight_layout()
plt.show()
print(f"1 tile: {forced[0]:,} tokens; 35 tiles: {forced[34]:,} tokens")
assert forced[34] < forced[0] / 20 and forced[34] == flawed_estimate(2048, 2048, True)

# %% [markdown]
# The same reading explains the rest:
#
# - **Floor division drops pixels.** `width // 336` ignores the strip past the last whole
#   square, and `piece_w // 14` the strip past the last whole patch: a side under 14 px gives
#   zero patches, hence the 0-token counterexample.
# - **Tokens per tile should not depend on the image.** Real tiling models resize every tile to
#   the encoder's input, so each tile costs a fixed number of tokens: (336 / 14)² = 576 for a
#   CLIP ViT-L/14-336 tile, 170 for a GPT-4o tile, 256 for an InternVL tile
#   ([Chen et al., 2024](https://arxiv.org/abs/2404.16821)).
# - **The low mode matches no model.** (448 / 14)² = 1,024 is neither GPT-4o's low detail (a
#   flat 85) nor LLaVA-1.5's single view (576).
# - **The cap contradicts its comment**: 35 tiles under a comment about 6 × 6 grids, and
#   nothing says what happens to the pixels past the cap.
#
# ## 4. The fix
#
# Four repairs to the article's own idea:
#
# 1. **Count tiles per axis, rounding up**: ⌈W / 336⌉ across × ⌈H / 336⌉ down, so no pixel is
#    dropped (the last column and row are partial tiles, padded).
# 2. **A fixed number of tokens per tile** (576), because each tile is resized to the encoder.
# 3. **A [thumbnail](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#thumbnail-global-image)**
#    (the whole image shrunk to one tile, so the model also sees the layout) when there is more
#    than one tile.
# 4. **A cap that shrinks instead of cropping**: at most 6 × 6 = 36 tiles, the grid the
#    comment promised; an image that needs more is scaled down, aspect kept, until it fits.
#
# A warning before the code: rounding each axis up is a fix of *this* estimator, not a
# description of every tiling model. Among real systems only OpenAI's billing rule (section 5)
# counts ⌈W / t⌉ × ⌈H / t⌉ tiles. LLaVA-NeXT and InternVL instead pick one grid from a fixed
# set of candidates by the image's aspect ratio and resize the image to fill it: LLaVA-NeXT
# chooses among five grids of 336-px tiles (1 × 2, 2 × 1, 2 × 2, 1 × 3, 3 × 1) and InternVL
# among every grid of at most 12 tiles of 448 px
# ([Liu et al., 2024](https://llava-vl.github.io/blog/2024-01-30-llava-next/);
# [Chen et al., 2024](https://arxiv.org/abs/2404.16821)). Exercise 2.10 builds LLaVA-NeXT's
# choice, and [lesson 3.5](https://pixels-to-tokens.github.io/pixels-to-tokens/notebooks/3-deep-dive/3-5-tiling-and-token-budgets.html)
# counts every family.
#
# The fix takes plain arguments: tile side, tokens per tile, the thumbnail's tokens and the cap.

# %% tags=["export"]
import math


def shrink_to_fit(width, height, tile, max_tiles):
    """Largest downscale (aspect kept, whole pixels) whose per-axis grid has <= max_tiles tiles."""
    scale = max(min(cols * tile / width, (max_tiles // cols) * tile / height)
                for cols in range(1, max_tiles + 1))  # the best grid shape for this aspect
    scale = min(scale, 1.0)  # never enlarge
    return max(1, math.floor(width * scale)), max(1, math.floor(height * scale))


def grid_tokens(width, height, tile=336, per_tile=576, thumbnail=576, max_tiles=36):
    """Tokens of a width x height image: ceil(W/tile) x ceil(H/tile) tiles, + thumbnail if tiled."""
    width, height = _pixels("width", width), _pixels("height", height)
    cols, rows = math.ceil(width / tile), math.ceil(height / tile)  # round up: no pixel dropped
    if max_tiles is not None and cols * rows > max_tiles:
        width, height = shrink_to_fit(width, height, tile, max_tiles)
        cols, rows = math.ceil(width / tile), math.ceil(height / tile)
    return cols * rows * per_tile + (thumbnail if cols * rows > 1 else 0)


def fixed_estimate(width, height, high_res=True):
    """The article's estimator, repaired (same signature): 576 in low mode, grid_tokens in high."""
    _pixels("width", width), _pixels("height", height)
    return grid_tokens(width, height) if _high_res(high_res) else (336 // 14) ** 2


# %%
for w, h, hi in article_examples:
    print(f"{w:>5} x {h:<5} {'high' if hi else 'low':4} -> fixed {fixed_estimate(w, h, hi):>6,} "
          f"tokens   (flawed said {flawed_estimate(w, h, hi):,})")
assert fixed_estimate(1024, 768, False) == 576
assert fixed_estimate(1024, 768, True) == 4 * 3 * 576 + 576  # ceil(1024/336) x ceil(768/336) + thumbnail
assert fixed_estimate(2048, 2048, True) == 36 * 576 + 576  # a 7 x 7 grid is shrunk to 6 x 6
assert_properties(fixed_estimate)  # raises if either rule breaks
print("Property test passed: no counterexample in 300 random sizes and their scaled copies.")

# %% [markdown]
# The fixed counts grow with the image and with the detail level, and the property test is
# silent. Notice what the fix costs: 12 tiles for the 1024 × 768 photo, because a 1024-px side
# needs four 336-px tiles, the last one mostly padding. Real systems avoid such slivers by
# resizing *before* tiling, as the next section shows. The figure draws both ways of cutting
# the photo.

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form" mystnb={"image": {"alt": "Two panels showing the same 1024 by 768 photo of an astronaut. Left: the flawed estimator's six pieces, drawn side by side as dashed orange rectangles, cover only a strip along the top. Right: the fixed grid of 336-pixel tiles, drawn as solid blue squares, covers the whole photo, with partial tiles on the right and bottom edges."}}
#@title Figure: the flawed pieces and the fixed grid on one photo (plotting code)
photo = Image.fromarray(skdata.astronaut()[64:448]).resize((1024, 768))  # a 4:3 crop, enlarged
fig, axes = plt.subplots(1, 2, figsize=(10, 3.9))
for ax in axes:
    ax.imshow(photo, extent=(0, 1024, 768, 0))
    ax.set(xlim=(-10, 1354), ylim=(1018, -10), xlabel="x (px)", ylabel="y (px)")
for i in range(n):  # the flawed estimator's n pieces of piece_w x piece_h, side by side
    axes[0].add_patch(plt.Rectangle((i * piece_w, 0), piece_w, piece_h, fill=False,
                                    ec="#E69F00", lw=2, ls="--"))
axes[0].set_title(f"flawed: {n} pieces of {piece_w} x {piece_h} px cover {covered:.0%}")
cols, rows = math.ceil(1024 / 336), math.ceil(768 / 336)
for r in range(rows):
    for c in range(cols):
        axes[1].add_patch(plt.Rectangle((c * 336, r * 336), 336, 336, fill=False, ec="#56B4E9", lw=2))
axes[1].set_title(f"fixed: a {cols} x {rows} grid of 336-px tiles covers 100%")
fig.suptitle("The same 1024 × 768 photo, cut two ways")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 5. Real models: LLaVA-1.5 and GPT-4o
#
# **LLaVA-1.5** always sends one 336 × 336 view to CLIP ViT-L/14-336 and keeps all
# 24 × 24 = 576 patch features, so every image costs 576 tokens
# ([Liu et al., 2023](https://arxiv.org/abs/2310.03744)). *How* it gets to 336 × 336 depends on
# the code you run, and the two differ in what the model sees, not in the count:
#
# - the **released LLaVA-1.5 code** is trained and run with `image_aspect_ratio: pad`: it pads
#   the image to a square with the encoder's mean colour, then resizes it to 336 × 336, so
#   nothing is cut off ([haotian-liu/LLaVA, `scripts/v1_5/finetune.sh`](https://github.com/haotian-liu/LLaVA/blob/main/scripts/v1_5/finetune.sh));
# - the **transformers `LlavaProcessor`** (the `llava-hf` checkpoints) resizes the shortest
#   side to 336 and centre-crops 336 × 336, so the edges of a wide or tall image are cut off
#   ([`processing_llava.py`](https://github.com/huggingface/transformers/blob/main/src/transformers/models/llava/processing_llava.py)).
#
# **GPT-4o**, as of OpenAI's "Images and vision" page, November 2026
# ([OpenAI, Images and vision](https://platform.openai.com/docs/guides/images-vision)):
# `detail: "low"` costs a flat 85 tokens. `detail: "high"` fits the image inside
# 2048 × 2048, shrinks it so the short side is at most 768 px, counts 512-px tiles per axis
# rounding up, and charges 85 + 170 per tile. The same page gives other models other numbers
# (gpt-4o-mini 2,833 + 5,667 per tile, gpt-5 70 + 140), and prices per token differ by model.
#
# The page leaves two details open. It does not say how the rescaled sizes are rounded (we
# round down to whole pixels with integer arithmetic). And it says the image is scaled "such
# that the shortest side is 768px", which read literally would *enlarge* a 512 × 512 image to
# 768 × 768 (4 tiles); we read it as shrink-only (1 tile), the reading under which small images
# are cheap. That is an assumption: the `usage` field of a real response says what was billed.

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Input checks for model and detail (machinery: run it; no need to read it)
OPENAI_TILE_MODELS = {"gpt-4o": (85, 170), "gpt-4o-mini": (2833, 5667), "gpt-5": (70, 140)}


def _openai_args(model, detail):
    """(base, per_tile) of `model`, after checking `model` and `detail` with clear messages."""
    if not isinstance(model, str) or model not in OPENAI_TILE_MODELS:
        raise ValueError(f"unknown model {model!r}; known: {', '.join(OPENAI_TILE_MODELS)}")
    if detail == "auto":
        raise ValueError("detail='auto' lets the service choose, so it cannot be estimated; pass "
                         "'low' or 'high' (the most an image can cost is its 'high' count)")
    if detail not in ("low", "high"):
        raise ValueError(f"unknown detail {detail!r}; expected 'low' or 'high'")
    return OPENAI_TILE_MODELS[model]


# %% tags=["export"]
import math


def openai_resize(width, height):
    """OpenAI's high-detail resize: fit in 2048 x 2048, then short side <= 768 (never enlarge)."""
    if max(width, height) > 2048:
        longest = max(width, height)
        width, height = max(1, width * 2048 // longest), max(1, height * 2048 // longest)
    if min(width, height) > 768:
        shortest = min(width, height)
        width, height = max(1, width * 768 // shortest), max(1, height * 768 // shortest)
    return width, height


def openai_tokens(width, height, detail="high", model="gpt-4o"):
    """Billed tokens of one image on OpenAI's 512-px tile models (as of November 2026)."""
    width, height = _pixels("width", width), _pixels("height", height)
    base, per_tile = _openai_args(model, detail)
    if detail == "low":
        return base
    w, h = openai_resize(width, height)
    return base + per_tile * math.ceil(w / 512) * math.ceil(h / 512)


def llava15_tokens(width, height):
    """LLaVA-1.5: one 336 x 336 view (padded or cropped to a square), 24 x 24 = 576 tokens."""
    _pixels("width", width), _pixels("height", height)
    return (336 // 14) ** 2


# %% [markdown]
# The published numbers, reproduced and asserted:

# %%
for w, h, detail in [(4096, 4096, "low"), (1024, 1024, "high"), (2048, 4096, "high"),
                     (1024, 768, "high"), (512, 512, "high")]:
    sent = "%4d x %-4d" % openai_resize(w, h) if detail == "high" else "(no tiles)"
    print(f"gpt-4o {detail:4} {w:>4} x {h:<4} -> {sent} -> {openai_tokens(w, h, detail):>5,} tokens")
print("llava-1.5, any size:", llava15_tokens(1024, 768), llava15_tokens(37, 4000))
assert openai_tokens(4096, 4096, "low") == 85
assert openai_tokens(1024, 1024) == 765 and openai_tokens(2048, 4096) == 1105
assert openai_tokens(1024, 768) == 765  # short side already 768: a 2 x 2 grid, like 1024 x 1024
assert llava15_tokens(1024, 768) == llava15_tokens(37, 4000) == 576
for model in ("gpt-4o", "gpt-4o-mini", "gpt-5"):
    assert_properties(lambda w, h, hi: openai_tokens(w, h, "high" if hi else "low", model))
assert_properties(lambda w, h, hi: llava15_tokens(w, h))
print("Property test passed for gpt-4o, gpt-4o-mini, gpt-5 and llava-1.5.")

# %% [markdown]
# A 1024 × 768 photo costs GPT-4o the same 765 tokens as a 1024 × 1024 image: its short side is
# already 768, so it keeps its size, and both land on a 2 × 2 grid of 512-px tiles.
#
# Why did the property test insist on the *same aspect ratio*? Because real rules are not
# monotone in each side alone: make an image wider and the short-side rule may shrink it more,
# so it needs fewer tiles.

# %%
print("1500 x 2100:", openai_tokens(1500, 2100), "| 2048 x 2100:", openai_tokens(2048, 2100))
assert openai_tokens(2048, 2100) < openai_tokens(1500, 2100)

# %% [markdown]
# One view of the whole story: tokens against image size at a fixed 4:3 aspect ratio.

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form" mystnb={"image": {"alt": "Step chart, log scale: image tokens against the long side of a 4:3 image from 40 to 4096 pixels for five estimators, each with its own colour and line style. The flawed estimator rises, then falls each time a tile is added; the fixed estimator and GPT-4o high detail are rising staircases that level off; LLaVA-1.5 and GPT-4o low detail are flat."}}
#@title Figure: tokens against image size, five estimators (plotting code)
longs = np.arange(40, 4097, 8)
sizes = [(int(L), max(1, int(L) * 3 // 4)) for L in longs]
curves = {
    "flawed (article), high": ([flawed_estimate(w, h, True) for w, h in sizes], "#D55E00", "-"),
    "fixed (article's settings), high": ([fixed_estimate(w, h, True) for w, h in sizes], "#0072B2", "--"),
    "GPT-4o high": ([openai_tokens(w, h, "high") for w, h in sizes], "#009E73", "-."),
    "LLaVA-1.5": ([llava15_tokens(w, h) for w, h in sizes], "#CC79A7", ":"),
    "GPT-4o low": ([openai_tokens(w, h, "low") for w, h in sizes], "#000000", (0, (5, 1))),
}
fig, ax = plt.subplots(figsize=(8, 4.2))
for label, (ys, colour, style) in curves.items():
    ax.step(longs, np.maximum(ys, 0.5), where="post", color=colour, ls=style, lw=1.8, label=label)
ax.set(title="Image tokens against size (4:3 images)", xlabel="long side of the image (px)",
       ylabel="tokens (log scale)", yscale="log")
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()
assert all(np.diff(curves["GPT-4o high"][0]) >= 0) and all(np.diff(curves["fixed (article's settings), high"][0]) >= 0)

# %% [markdown]
# The flawed curve rises while the image fits in one tile, then falls each time a tile is
# added. The fixed curves are staircases: flat while an image fits the same grid, a step up
# when it needs another row or column, flat again once the resize rule or the cap takes over.
#
# ## 6. Exercises

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Self-checks for Exercises 2.8-2.10 (run it; no need to read it)
import math
import numbers


def _attempt(fn, *args):
    """('stub', None) for NotImplementedError, ('error', exc) for another error, ('ok', value)."""
    try:
        return "ok", fn(*args)
    except NotImplementedError:
        return "stub", None
    except Exception as err:  # noqa: BLE001 - the check explains it
        return "error", err


def check_phone_prediction(predict, quiet=False):
    """Exercise 2.8: a prediction of the flawed estimator's count for 4032 x 3024, high mode."""
    say = (lambda *a: None) if quiet else print
    status, got = _attempt(predict)
    if status == "stub":
        say("○ Not attempted yet: replace `raise NotImplementedError()` with your prediction.")
        return None
    if status == "error":
        say(f"✘ your function raised {type(got).__name__}: {got}")
        return False
    if isinstance(got, bool) or not isinstance(got, numbers.Real):
        say(f"✘ return a number of tokens, got {got!r} ({type(got).__name__}).")
        return False
    actual = 1680  # what the estimator gives (the cell after the check prints it)
    if 0.8 * actual <= got <= 1.2 * actual:
        say(f"✔ {got:,.0f} is within 20% of the estimator's {actual:,}: W·H/(196·n) with n capped "
            "at 35 gives about 1,777; the floors take the rest.")
        return True
    if got >= 20_000:
        hint = ("you let tokens grow with the tiles (like a real model): the flawed estimator does "
                "the opposite, about W·H/(196·n).")
    elif 500 <= got <= 650:
        hint = ("that is W·H/(196·108): 12 x 9 = 108 squares fit, but the estimator caps n at 35 "
                "before dividing.")
    elif got == 1024:
        hint = "that is the low-mode count; the question is about high resolution."
    else:
        hint = "use W·H/(196·n), with n = min(35, (W // 336) * (H // 336))."
    say(f"✘ {got:,} is not within 20% of what the estimator gives. Hint: {hint}")
    return False


EX_CASES = [(1024, 768, False), (1024, 768, True), (2048, 2048, True), (336, 336, True),
            (337, 336, True), (100, 5000, True), (13, 13, True), (4032, 3024, True)]
EX_EXPECTED = [576, 7488, 28800, 576, 1728, 9216, 576, 62784]  # no cap: 4032 x 3024 -> 12 x 9 tiles


def check_uncapped_estimator(estimate, quiet=False):
    """Exercise 2.9: the fixed estimator without a cap, estimate(width, height, high_res) -> int."""
    say = (lambda *a: None) if quiet else print
    status, got = _attempt(estimate, 1024, 768, True)
    if status == "stub":
        say("○ Not attempted yet: replace `raise NotImplementedError()` with your estimator.")
        return None
    for (w, h, hi), want in zip(EX_CASES, EX_EXPECTED):
        status, got = _attempt(estimate, w, h, hi)
        if status != "ok":
            say(f"✘ estimate({w}, {h}, {hi}) raised {type(got).__name__}: {got}")
            return False
        if isinstance(got, bool) or not isinstance(got, numbers.Integral):
            say(f"✘ estimate({w}, {h}, {hi}) returned {got!r} ({type(got).__name__}); a token count "
                "is a whole number: use math.ceil or -(-a // b), not a / b, and return an int.")
            return False
        if got == want:
            continue
        cols, rows = math.ceil(w / 336), math.ceil(h / 336)
        if got == flawed_estimate(w, h, hi):
            hint = ("that is still the article's arithmetic: low mode is one 576-token view; high "
                    "mode counts tiles per axis, 576 tokens each.")
        elif not hi:
            hint = "low mode is one 336-px view of the whole image: 576 tokens, whatever the size."
        elif cols * rows > 36 and got <= 37 * 576:
            hint = (f"you capped the grid (the lesson's fix allows 36 tiles); this exercise has no cap, "
                    f"so {w} x {h} keeps its {cols} x {rows} = {cols * rows} tiles.")
        elif got == want - 576:
            hint = "you left out the thumbnail (576 tokens when there is more than one tile)."
        elif got == want + 576:
            hint = "the thumbnail is added only when there is more than one tile."
        elif got == max(1, (w // 336) * (h // 336)) * 576 + (576 if (w // 336) * (h // 336) > 1 else 0):
            hint = "floor division drops the partial tiles at the edges: round each axis up."
        else:
            hint = f"expected a {cols} x {rows} grid of 576-token tiles, plus a thumbnail if tiled."
        say(f"✘ {w} x {h} {'high' if hi else 'low'}: expected {want:,} tokens, got {got:,}. Hint: {hint}")
        return False
    try:
        found = find_violations(estimate, n_trials=150, seed=1)
    except Exception as err:  # noqa: BLE001
        say(f"✘ the property test crashed your function: {type(err).__name__}: {err}")
        return False
    if found:
        (a, b), = list(found.values())[:1]
        say(f"✘ the worked examples pass, but the property test found {a[0]}x{a[1]} costing "
            f"{a[3]:,} tokens and {b[0]}x{b[1]} costing {b[3]:,}.")
        return False
    say("✔ The worked examples match and the property test finds no counterexample.")
    return True


NEXT_CASES = {(1024, 768): (2, 2), (300, 200): (2, 1), (1500, 400): (3, 1), (400, 1500): (1, 3),
              (1000, 600): (2, 2), (2000, 900): (3, 1), (500, 1400): (1, 3), (4032, 3024): (2, 2),
              (700, 350): (2, 1), (640, 480): (2, 2)}


def check_llava_next_grid(choose, quiet=False):
    """Exercise 2.10: LLaVA-NeXT's grid, choose(width, height) -> (cols, rows) of 336-px tiles."""
    say = (lambda *a: None) if quiet else print
    status, got = _attempt(choose, 1024, 768)
    if status == "stub":
        say("○ Not attempted yet: replace `raise NotImplementedError()` with your function.")
        return None
    for (w, h), want in NEXT_CASES.items():
        status, got = _attempt(choose, w, h)
        if status != "ok":
            say(f"✘ choose({w}, {h}) raised {type(got).__name__}: {got}")
            return False
        if not isinstance(got, tuple) or len(got) != 2 or not all(
                isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in got):
            say(f"✘ choose({w}, {h}) returned {got!r}; return a tuple (cols, rows) of two ints, "
                "tiles across and down (a canvas of 672 x 336 px is (2, 1)).")
            return False
        if tuple(got) == want:
            continue
        got = tuple(got)
        if got == want[::-1]:
            hint = "you returned (rows, cols): give tiles across first, then down."
        elif got not in {(2, 1), (1, 2), (2, 2), (3, 1), (1, 3)}:
            hint = ("that grid is not one of LLaVA-NeXT's five: it does not round each axis up, it "
                    "picks one canvas from the list.")
        elif w * h < 336 * 672 and got == (2, 2):
            hint = ("upscaling adds no information: cap the effective area at the image's own "
                    "pixels, then break ties by the least wasted canvas area.")
        else:
            hint = ("pick the canvas that keeps the most of the image's pixels after fitting it "
                    "(aspect kept, capped at the original), not the closest aspect ratio.")
        say(f"✘ {w} x {h}: expected {want}, got {got}. Hint: {hint}")
        return False
    say("✔ Your choice matches LLaVA-NeXT's on all ten sizes.")
    return True


# %% [markdown]
# ### Exercise 2.8: Predict the flawed count for a phone photo
#
# **Kind:** predict-then-run
#
# A phone photo is 4032 × 3024 px. *Before running anything*, predict what
# `flawed_estimate(4032, 3024, True)` returns, using the diagnosis of section 3 (how many whole
# 336-px squares fit, what the cap does, and the formula W·H / (196 n)). Write your number as
# the return value of `predicted_phone_tokens()` and run the check (it accepts predictions
# within 20 % of the real value); the cell after the check computes that value.
#
# <details><summary>Hint</summary>
#
# 4032 // 336 = 12 and 3024 // 336 = 9, so 108 squares fit; the cap then sets n. Plug n into
# W·H / (196 n): the floors only take a little off.
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex2-4-1-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Your answer to Exercise 2.8
def predicted_phone_tokens():
    """Your prediction of flawed_estimate(4032, 3024, True), a number of tokens."""
    ### BEGIN SOLUTION
    return 4032 * 3024 / (196 * 35)  # n = min(35, 12 x 9)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex2-4-1-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Check your answer to Exercise 2.8
check_phone_prediction(predicted_phone_tokens);
### BEGIN HIDDEN TESTS
assert check_phone_prediction(predicted_phone_tokens, quiet=True) is True
### END HIDDEN TESTS

# %%
print("the flawed estimator says:", flawed_estimate(4032, 3024, True), "tokens")

# %% [markdown]
# ### Exercise 2.9: The fix without a cap
#
# **Kind:** shown
#
# Write `uncapped_estimate(width, height, high_res)`: the fix of section 4 **without a tile
# cap**. Low resolution (`high_res=False`) is one 336-px view, 576 tokens. High resolution is
# ⌈width / 336⌉ × ⌈height / 336⌉ tiles of 576 tokens each, plus one 576-token thumbnail when
# there is more than one tile. The check runs the worked examples, including a phone photo
# whose 108 tiles the lesson's capped fix would shrink, and the property test.
#
# <details><summary>Hint</summary>
#
# ⌈a / b⌉ is `math.ceil(a / b)` or, in integers, `-(-a // b)`. Tokens per tile never depend on
# the image; only the number of tiles does.
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex2-4-2-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Your answer to Exercise 2.9
def uncapped_estimate(width, height, high_res=True):
    """Tokens of a width x height image: 336-px tiles per axis, 576 each, thumbnail if tiled."""
    ### BEGIN SOLUTION
    view = 576
    if not high_res:
        return view
    n_tiles = -(-width // 336) * -(-height // 336)
    return n_tiles * view + (view if n_tiles > 1 else 0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex2-4-2-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Check your answer to Exercise 2.9
check_uncapped_estimator(uncapped_estimate);
### BEGIN HIDDEN TESTS
assert check_uncapped_estimator(uncapped_estimate, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2.10: LLaVA-NeXT picks a grid from a list
#
# **Kind:** transfer
#
# LLaVA-NeXT does not round each axis up. Its processor holds five canvases, in this order
# (width × height in px): 672 × 336, 336 × 672, 672 × 672, 336 × 1008, 1008 × 336. For an image
# of W × H it tries each canvas: the scale that fits the image inside it, aspect kept, is
# `s = min(cw / W, ch / H)`; the image then keeps `int(W * s) * int(H * s)` pixels, but never
# more than its own `W * H` (enlarging adds no detail). It picks the canvas that keeps the most
# pixels; on a tie, the one that wastes the least canvas area (`cw * ch` minus the pixels
# kept); on a full tie, the first in the list. (This is `select_best_resolution` in
# transformers, [Wolf et al., 2020](https://github.com/huggingface/transformers), with
# LLaVA-NeXT's settings.)
#
# Write `llava_next_grid(width, height)` returning `(cols, rows)`: the chosen canvas in 336-px
# tiles, e.g. `(2, 1)` for 672 × 336.
#
# <details><summary>Hint</summary>
#
# Loop over the canvases, compute (pixels kept, wasted area) for each, and keep the best with
# a strict comparison so the first wins full ties. Divide the winner's sides by 336.
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex2-4-3-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Your answer to Exercise 2.10
def llava_next_grid(width, height):
    """LLaVA-NeXT's canvas for a width x height image, as (cols, rows) of 336-px tiles."""
    ### BEGIN SOLUTION
    best, best_key = None, None
    for cw, ch in [(672, 336), (336, 672), (672, 672), (336, 1008), (1008, 336)]:
        s = min(cw / width, ch / height)
        kept = min(int(width * s) * int(height * s), width * height)
        key = (kept, -(cw * ch - kept))
        if best_key is None or key > best_key:
            best, best_key = (cw // 336, ch // 336), key
    return best
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex2-4-3-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Check your answer to Exercise 2.10
check_llava_next_grid(llava_next_grid);
### BEGIN HIDDEN TESTS
assert check_llava_next_grid(llava_next_grid, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Check your understanding
#
# Click an answer to get feedback.

# %% tags=["remove-input"] jupyter={"source_hidden": true} cellView="form"
#@title Quiz (run it to show the questions)
from jupyterquiz import display_quiz

display_quiz([
    {
        "question": "Why does the article's estimator give a 2048 × 2048 scan fewer tokens than a 1024 × 768 photo?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "It divides both sides by the total tile count, so tokens fall as 1/n.", "correct": True,
             "feedback": "Right: each piece is 1/n² of the image and n pieces cover 1/n of it."},
            {"answer": "Its cap of 35 tiles crops the scan.", "correct": False,
             "feedback": "The cap limits n, but even uncapped, more tiles would mean fewer tokens."},
            {"answer": "Floor division drops the scan's edges.", "correct": False,
             "feedback": "Floors drop a few pixels; the big effect is the division by n on both sides."},
        ],
    },
    {
        "question": "On GPT-4o at high detail (OpenAI's page, November 2026), how do a 1024 × 768 and a 1024 × 1024 image compare?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "They cost the same.", "correct": True,
             "feedback": "Both end on a 2 × 2 grid of 512-px tiles: 1024 × 768 keeps its size, 1024 × 1024 is shrunk to 768 × 768."},
            {"answer": "The 1024 × 1024 image costs a third more.", "correct": False,
             "feedback": "Tokens follow the tile grid after the resize, not the raw pixel count."},
            {"answer": "The 1024 × 768 image costs more (it needs a partial tile).", "correct": False,
             "feedback": "768 / 512 rounds up to 2 rows, the same as for 768 × 768."},
        ],
    },
    {
        "question": "Which of these rules counts ⌈W / t⌉ × ⌈H / t⌉ tiles after a resize?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "OpenAI's billing rule for GPT-4o at high detail.", "correct": True,
             "feedback": "Yes: 512-px tiles per axis, rounding up, after the 2048 / 768 resize."},
            {"answer": "LLaVA-NeXT's tiling.", "correct": False,
             "feedback": "LLaVA-NeXT picks one of five canvases by the pixels it keeps (Exercise 2.10)."},
            {"answer": "InternVL's dynamic tiling.", "correct": False,
             "feedback": "InternVL picks the grid of at most 12 tiles whose aspect ratio is closest to the image's."},
        ],
    },
])

# %% [markdown]
# ## Summary
#
# - Plausible numbers are not evidence. The article's estimator divides both sides by the total
#   tile count, so adding tiles *lowers* its count; two rules checked on random sizes exposed it.
# - The fix counts tiles per axis rounding up, charges a fixed cost per tile, adds a thumbnail
#   and shrinks the image to respect a cap. That per-axis grid is OpenAI's billing rule;
#   LLaVA-NeXT and InternVL choose a grid from a fixed list by aspect ratio.
# - LLaVA-1.5 costs 576 tokens per image (the released code pads to a square, the transformers
#   processor crops one); GPT-4o costs 85 at low detail and 85 + 170 per 512-px tile at high
#   detail, as of OpenAI's page in November 2026.
#
# Next, the optional [lesson 2.5](https://pixels-to-tokens.github.io/pixels-to-tokens/notebooks/2-guided/2-5-images-in-an-api-request.html)
# puts an image into an API request and plans a workload's cost.

# %%
print(f"Lesson ran in {time.perf_counter() - T_START:.1f} s (after the imports).")
