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
# # 3.5 Tiling and token budgets
#
# A vision encoder takes a fixed-size square, yet people send phone photos, panoramas and scanned
# pages. Each model family has its own rule for turning that picture into encoder inputs, and the
# rule decides how many tokens the image costs. This lesson builds the four rules you will meet
# most, fixed resize, AnyRes, dynamic tiling and native resolution, draws the grids they cut over
# the same three pictures, sets them beside the hosted APIs' billing rules, and then asks what
# those tokens cost a real language model in compute and memory, not only in context.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pixels-to-tokens/pixels-to-tokens/blob/main/student/notebooks/3-deep-dive/3-5-tiling-and-token-budgets.ipynb)
#
# **What you will build**
# - the token rules of LLaVA-1.5, LLaVA-NeXT (with unpadding and newline tokens), InternVL (with a
#   thumbnail) and Qwen2-VL (with a 2 × 2 merge), and GPT-4o's billing rule, each drawn over a
#   portrait, a panorama and an A4 page;
# - prefill FLOPs, KV-cache memory and an estimated prefill time for an image, from lesson 3.2's
#   FLOP count and the released configurations of two 7B language models;
# - a rule the lesson describes but does not code (Pixtral), a prediction of which model an
#   image makes most expensive in memory, and the ten-photo experiment at another setting.
#
# **Prerequisites:** [lesson 1.3](https://pixels-to-tokens.github.io/pixels-to-tokens/notebooks/1-surface/1-3-images-cost-context.html) (images cost context) and
# [lesson 3.2](https://pixels-to-tokens.github.io/pixels-to-tokens/notebooks/3-deep-dive/3-2-a-vit-at-work.html) (the FLOP count of a block); Python.
# **Time to study:** about 30 minutes. **Time to run:** about 10 s on a laptop CPU.

# %%
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "jupyterquiz"], check=True)

# %%
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib import patches
from matplotlib.collections import LineCollection
from PIL import Image
from skimage import data

SEED = 0
torch.manual_seed(SEED)
rng = np.random.default_rng(SEED)  # every count here is exact arithmetic; nothing is random
torch.set_num_threads(1)  # one thread: as fast on a busy laptop as on a quiet one, same results
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
T_START, CPU_START = time.perf_counter(), time.process_time()

# %% [markdown]
# ## What a token count counts
#
# An image reaches a language model as a run of positions in its input sequence. Most of them are
# **placeholders**: positions whose embedding is replaced by an image feature (LLaVA's `<image>`,
# Qwen's `<|image_pad|>`). Some families add ordinary **separator tokens** around or between them
# (InternVL's `<img>` … `</img>`), or the chat template wraps each image in a pair of markers.
# Published numbers often disagree only because they count different parts; below, an image's
# tokens are all of them, which is what it occupies in the
# [context window](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#context-window).
# The [reference notebook](https://pixels-to-tokens.github.io/pixels-to-tokens/notebooks/reference/image-token-rules.html)
# keeps every family's rule, checked against the models' own code in huggingface `transformers`
# ([Wolf et al., 2020](https://github.com/huggingface/transformers)); this lesson rebuilds four.
#
# Each rule is drawn over the same three pictures: a portrait at a phone camera's 3024 × 4032
# (12 MP), a 6000 px wide panorama, and an A4 page scanned at 150 dpi (1240 × 1754). Counts depend
# only on the size; small previews of scikit-image photos and rendered text give the grids
# something to cover.

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title The three pictures (small previews; the counts use the full sizes) and the drawing helper
def portrait_preview():
    """The astronaut photo cropped to 3:4 (shown for a 3024 x 4032 portrait)."""
    return Image.fromarray(data.astronaut()[:, 64:448]).resize((300, 400))


def panorama_preview():
    """Four scikit-image photos side by side (shown for a 6000 px wide panorama)."""
    parts = [data.coffee(), data.chelsea(), data.rocket(), data.astronaut()]
    strip = [Image.fromarray(p).resize((round(p.shape[1] * 100 / p.shape[0]), 100)) for p in parts]
    canvas = Image.new("RGB", (sum(s.width for s in strip), 100))
    x = 0
    for s in strip:
        canvas.paste(s, (x, 0))
        x += s.width
    return canvas


def page_preview():
    """An A4 page of small text (shown for a 1240 x 1754 scan at 150 dpi)."""
    fig = plt.figure(figsize=(2.1, 2.97), dpi=100)
    fig.text(0.1, 0.92, "Quarterly report", fontsize=7, weight="bold")
    words = "tokens tiles pixels resize grid budget context image model patch merge".split()
    text_rng = np.random.default_rng(1)
    for i in range(40):
        fig.text(0.1, 0.86 - i * 0.02, " ".join(text_rng.choice(words, 8)), fontsize=3)
    fig.canvas.draw()
    page = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy())
    plt.close(fig)
    return page


panorama = panorama_preview()
PICTURES = {"portrait": (3024, 4032, portrait_preview()),
            "panorama": (6000, round(6000 * panorama.height / panorama.width), panorama),
            "A4 page": (1240, 1754, page_preview())}


def draw_grid(ax, name, region, tiles, cells, title):
    """Draw tiles (thick, vermillion) and token cells (thin, white) over a picture, in its full-size
    pixels; ``region`` (x0, y0, x1, y1) may reach past the picture: that part is padding (hatched)."""
    W, H, preview = PICTURES[name]
    x0, y0, x1, y1 = region
    ax.imshow(preview, extent=(0, W, H, 0), zorder=1)
    ax.add_patch(patches.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, hatch="//", lw=0,
                                   edgecolor="0.6", zorder=0))

    def lines(nx, ny, step=1):
        xs = [x0 + (x1 - x0) * i / nx for i in range(0, nx + 1, step)]
        ys = [y0 + (y1 - y0) * j / ny for j in range(0, ny + 1, step)]
        return [[(x, y0), (x, y1)] for x in xs] + [[(x0, y), (x1, y)] for y in ys]

    if cells:
        nx, ny = tiles[0] * cells[0], tiles[1] * cells[1]
        ax.add_collection(LineCollection(lines(nx, ny, max(1, max(nx, ny) // 120)), colors="white",
                                         linewidths=0.3, alpha=0.7, zorder=2))
    ax.add_collection(LineCollection(lines(*tiles), colors="#D55E00", linewidths=2, zorder=3))
    pad = 0.03 * max(W, H)
    ax.set_xlim(min(0, x0) - pad, max(W, x1) + pad)
    ax.set_ylim(max(H, y1) + pad, min(0, y0) - pad)
    ax.set_title(title, fontsize=8)
    ax.set_xlabel("x (px)", fontsize=7)
    ax.set_ylabel("y (px)", fontsize=7)
    ax.tick_params(labelsize=6)


def three_panels(suptitle, panel):
    """One figure, one panel per picture; ``panel(ax, name, W, H)`` draws each."""
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.2), gridspec_kw={"width_ratios": [1, 2.2, 1]})
    for ax, (name, (W, H, _)) in zip(axes, PICTURES.items()):
        panel(ax, name, W, H)
    fig.suptitle(suptitle)
    fig.tight_layout()
    plt.show()

# %% [markdown]
# ## Fixed resize: LLaVA-1.5
#
# LLaVA-1.5 ([Liu et al., 2023](https://arxiv.org/abs/2310.03744)) feeds one 336 × 336 view to
# CLIP ViT-L/14: 336 / 14 = 24 patches per side, 576 image features, whatever was uploaded. How the
# picture becomes a square depends on the code you run, and it is worth saying once:
#
# * the **released LLaVA-1.5 code** (setting `image_aspect_ratio: pad`,
#   [LLaVA repository](https://github.com/haotian-liu/LLaVA/blob/main/scripts/v1_5/finetune.sh)) **pads** the picture to a
#   square with the mean colour, then resizes it to 336: nothing is cut off, a panorama becomes a
#   thin strip in a grey square;
# * the **`transformers` processor** (the `llava-hf` checkpoints) resizes the short side to 336
#   and **centre-crops**: the panorama loses most of its width.
#
# The count is 576 either way; the figure shows the `transformers` crop.

# %% tags=["export"]
def llava15_tokens(width, height):
    """LLaVA-1.5: any picture -> one 336 x 336 view -> (336 / 14)^2 <image> tokens."""
    return (336 // 14) ** 2


assert llava15_tokens(6000, 1000) == llava15_tokens(3024, 4032) == 576

# %% mystnb={"image": {"alt": "A portrait, a wide panorama and an A4 page, each with LLaVA-1.5's single crop box drawn in vermillion and its 24 by 24 token cells in white; the box covers only the centre square of each picture."}} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Figure: LLaVA-1.5's crop box over the three pictures
def llava15_panel(ax, name, W, H):
    s = min(W, H)
    x0, y0 = (W - s) / 2, (H - s) / 2
    draw_grid(ax, name, (x0, y0, x0 + s, y0 + s), (1, 1), (24, 24), f"{name} {W}×{H}: {llava15_tokens(W, H)} tokens")


three_panels("LLaVA-1.5 (transformers processor): shortest side to 336 px, centre crop", llava15_panel)

# %% [markdown]
# ## AnyRes: LLaVA-NeXT
#
# LLaVA-NeXT ([Liu et al., 2024](https://llava-vl.github.io/blog/2024-01-30-llava-next/)) keeps more
# pixels. It picks one **canvas** from five (336 × 672, 672 × 336, 672 × 672, 1008 × 336 and
# 336 × 1008, written height × width), resizes the picture to fit inside it with its aspect ratio
# kept, pads the rest, and encodes each 336 px tile, plus a 336 px **base image** of the whole
# picture (576 features). The canvas is the one that keeps the most of the picture's pixels
# (enlarging earns nothing), and among equals the one that wastes the least area.

# %% tags=["export"]
LLAVA_NEXT_CANVASES = ((336, 672), (672, 336), (672, 672), (1008, 336), (336, 1008))  # (h, w)


def select_best_resolution(width, height, canvases=LLAVA_NEXT_CANVASES):
    """LLaVA-NeXT's canvas (h, w): most picture pixels kept after a fit-inside resize, then least waste."""
    best, best_kept, best_waste = None, 0, float("inf")
    for ch, cw in canvases:
        scale = min(cw / width, ch / height)                         # fit inside, aspect kept
        kept = min(int(width * scale) * int(height * scale), width * height)
        waste = cw * ch - kept
        if kept > best_kept or (kept == best_kept and waste < best_waste):
            best, best_kept, best_waste = (ch, cw), kept, waste
    return best


print("panorama:", select_best_resolution(6000, 1000), "| portrait:", select_best_resolution(3024, 4032))
assert select_best_resolution(6000, 1000) == (336, 1008)

# %% [markdown]
# Then two details that a per-tile count misses. **Unpadding**: the features that only saw padding
# are dropped, so a wide picture on a square canvas loses rows of features above and below it.
# **Newlines**: one learned newline feature is appended after each remaining row, so the language
# model knows where a row ends. Base image, unpadded tiles and newlines are all `<image>`
# placeholders.

# %% tags=["export"]
def llava_next_tokens(width, height):
    """LLaVA-NeXT: 576 (base image) + unpadded tile features + one newline per feature row."""
    ch, cw = select_best_resolution(width, height)
    rows, cols = 24 * ch // 336, 24 * cw // 336                      # feature grid of the canvas
    if width / height > cols / rows:                                 # wider: padding above and below
        real_rows = int(round(height * (cols / width), 7))
        rows -= 2 * ((rows - real_rows) // 2)
    else:                                                            # taller: padding left and right
        real_cols = int(round(width * (rows / height), 7))
        cols -= 2 * ((cols - real_cols) // 2)
    return {"base": 576, "unpadded": rows * cols, "newlines": rows, "total": 576 + rows * cols + rows}


for size in [(1024, 768), (2048, 2048), (3024, 4032)]:
    print(size, llava_next_tokens(*size))
assert llava_next_tokens(2048, 2048)["total"] == 576 + 48 * 48 + 48

# %% [markdown]
# The printout is the arithmetic: a 1024 × 768 photo lands on the 672 × 672 canvas, a 48 × 48
# feature grid; its 4 : 3 shape fills only 36 of the 48 rows, so 576 + 36 × 48 + 36 newlines =
# 2,340 tokens. A square picture keeps the whole grid, 576 + 48 × 48 + 48 = 2,928, the most a
# LLaVA-NeXT image can cost. Tiles do not each cost 576.

# %% mystnb={"image": {"alt": "The three pictures with LLaVA-NeXT's chosen canvas of 336 px tiles in vermillion, token cells in white and hatched padding; the panorama gets the widest canvas and much of its canvas is padding."}} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Figure: LLaVA-NeXT's canvas over the three pictures
def llava_next_panel(ax, name, W, H):
    ch, cw = select_best_resolution(W, H)
    s = min(cw / W, ch / H)                                  # canvas drawn in the picture's pixels
    x0, y0 = (W - cw / s) / 2, (H - ch / s) / 2
    draw_grid(ax, name, (x0, y0, x0 + cw / s, y0 + ch / s), (cw // 336, ch // 336), (24, 24),
              f"{name}: {llava_next_tokens(W, H)['total']:,} tokens (base image included)")


three_panels("LLaVA-NeXT: the best of five canvases of 336 px tiles (hatched: padding)", llava_next_panel)

# %% [markdown]
# ## Dynamic tiling: InternVL
#
# InternVL ([Chen et al., 2024](https://arxiv.org/abs/2404.16821)) allows any grid of 448 px
# tiles with 1 to 12 tiles and picks the one whose shape (columns / rows) is **closest** to the
# picture's. When two grids are equally close (1 × 1 and 2 × 2 for a square), it takes the larger
# one while the picture has more than half the pixels of those tiles. The picture is **stretched**
# onto the grid (no padding), and a 448 px
# [thumbnail](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#thumbnail-global-image)
# of the whole picture joins when there are two or more tiles. Each tile is 32 × 32 patches,
# folded by [pixel shuffle](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#pixel-shuffle)
# into 16 × 16 = 256 tokens; `<img>` and `</img>` wrap the lot.

# %% tags=["export"]
def internvl_grid(width, height, max_tiles=12):
    """InternVL's grid (cols, rows): shape closest to the picture's; ties go to the larger grid
    while the picture has more than half the pixels of its tiles."""
    grids = sorted(((c, r) for c in range(1, max_tiles + 1) for r in range(1, max_tiles + 1)
                    if c * r <= max_tiles), key=lambda g: g[0] * g[1])
    best, best_diff = (1, 1), float("inf")
    for c, r in grids:
        diff = abs(width / height - c / r)
        if diff < best_diff:
            best, best_diff = (c, r), diff
        elif diff == best_diff and width * height > 0.5 * 448 * 448 * c * r:
            best = (c, r)
    return best


def internvl_tokens(width, height, max_tiles=12):
    """InternVL 2 / 2.5 / 3: 256 tokens per tile, a thumbnail when there are 2+ tiles, <img> </img>."""
    cols, rows = internvl_grid(width, height, max_tiles)
    views = cols * rows + (1 if cols * rows > 1 else 0)
    return 2 + 256 * views


for size in [(448, 1792), (1792, 448), (400, 300)]:
    print(size, "grid", internvl_grid(*size), "->", internvl_tokens(*size), "tokens")
assert internvl_tokens(448, 1792) == internvl_tokens(1792, 448)

# %% [markdown]
# A tall strip and a wide strip cost the same, 4 tiles + thumbnail = 1,282 tokens: the rule sees
# only the shape, never the content. A small 400 × 300 photo gets the full 4 × 3 grid and costs
# 3,330 tokens, because its 4 : 3 shape matches that grid exactly: InternVL happily enlarges small
# pictures. The `max_tiles` setting caps it.

# %% mystnb={"image": {"alt": "The three pictures with InternVL's grid of 448 px tiles in vermillion and 16 by 16 token cells per tile; the grid follows each picture's shape, with more tiles along the long side."}} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Figure: InternVL's grid over the three pictures
def internvl_panel(ax, name, W, H):
    cols, rows = internvl_grid(W, H)
    draw_grid(ax, name, (0, 0, W, H), (cols, rows), (16, 16),
              f"{name}: {cols}×{rows} tiles, {internvl_tokens(W, H):,} tokens")


three_panels("InternVL: the closest-shaped grid of up to 12 tiles of 448 px (+ thumbnail)", internvl_panel)

# %% [markdown]
# ## Native resolution: Qwen2-VL
#
# Qwen2-VL ([Wang et al., 2024](https://arxiv.org/abs/2409.12191)) does not tile. Its
# `smart_resize` rounds each side to a multiple of 28 px (a 14 px patch times a 2 × 2 merge) and
# rescales only when the area leaves [`min_pixels`, `max_pixels`]; every 2 × 2 group of patches
# becomes one `<|image_pad|>` token, and the chat template adds `<|vision_start|>` and
# `<|vision_end|>`. Python's `round` sends halves to the even neighbour (1.5 and 2.5 both round to
# 2); the model's code does too, so we keep it. The released configuration allows up to
# 12,845,056 pixels (16,384 tokens); the `transformers` class default is 1,003,520 (1,280 tokens).

# %% tags=["export"]
import math


def smart_resize(width, height, factor=28, min_pixels=3136, max_pixels=12845056):
    """Qwen2-VL's resize: (w, h), both multiples of ``factor``, area within [min_pixels, max_pixels]."""
    if max(width, height) / min(width, height) > 200:
        raise ValueError("Qwen2-VL refuses pictures more than 200 times longer than wide")
    w, h = round(width / factor) * factor, round(height / factor) * factor
    if w * h > max_pixels:                                       # too big: shrink, round down
        beta = math.sqrt(width * height / max_pixels)
        w = max(factor, math.floor(width / beta / factor) * factor)
        h = max(factor, math.floor(height / beta / factor) * factor)
    elif w * h < min_pixels:                                     # too small: enlarge, round up
        beta = math.sqrt(min_pixels / (width * height))
        w = math.ceil(width * beta / factor) * factor
        h = math.ceil(height * beta / factor) * factor
    return w, h


def qwen2_vl_tokens(width, height, max_pixels=12845056):
    """Qwen2-VL: one <|image_pad|> per 28 x 28 pixels after smart_resize, + 2 template markers."""
    w, h = smart_resize(width, height, max_pixels=max_pixels)
    return (w // 28) * (h // 28) + 2


for cap in (12845056, 1003520):
    print(f"max_pixels={cap:>10,}: 2048 x 2048 -> {qwen2_vl_tokens(2048, 2048, cap):,} tokens, "
          f"3024 x 4032 -> {qwen2_vl_tokens(3024, 4032, cap):,}")
assert qwen2_vl_tokens(2048, 2048) == 73 * 73 + 2

# %% [markdown]
# With the released settings a 2048 × 2048 photo is 73 × 73 + 2 = 5,331 tokens and the phone
# portrait 15,554; with the class default both fall to about 1,230. Which one your server uses is
# a setting, so count with the one it runs.
#
# **Pixtral**, a sibling you will code in Exercise 3.9, also keeps native resolution with different
# rules: a picture whose longer side exceeds 1024 px is shrunk by `ratio = max(width, height) / 1024`,
# each side **floored** (`int(width / ratio)`, as `transformers` does); smaller pictures are never
# enlarged. Then one `[IMG]` token per 16 × 16 patch, partial patches rounding **up**, and one
# more token closing each row (`[IMG_BREAK]`, the last one `[IMG_END]`).

# %% mystnb={"image": {"alt": "The three pictures covered by Qwen2-VL's token cells, one per 28 by 28 pixels after its resize, with no tiles; the number of cells grows with each picture's area."}} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Figure: Qwen2-VL's token cells over the three pictures (max_pixels=1003520 so that cells stay visible)
def qwen_panel(ax, name, W, H):
    w, h = smart_resize(W, H, max_pixels=1003520)
    draw_grid(ax, name, (0, 0, W, H), (1, 1), (w // 28, h // 28),
              f"{name}: {w // 28}×{h // 28} cells, {qwen2_vl_tokens(W, H, 1003520):,} tokens")


three_panels("Qwen2-VL: whole picture at (nearly) its own resolution, one token per 28 px cell", qwen_panel)

# %% [markdown]
# ## The hosted APIs, dated
#
# Hosted models publish billing rules, not code. Each rule here is **as of the vendor's page,
# read in November 2026**, named per model; vendors change them (Anthropic's did).
#
# * **OpenAI** tile models (GPT-4o, GPT-4.1; [OpenAI, "Images and vision"](https://platform.openai.com/docs/guides/images-vision)):
#   `detail="low"` is 85 tokens. `detail="high"` fits the picture into 2048 × 2048, shrinks it so the
#   short side is 768 px, and bills 85 + 170 per 512 px tile. Reading the 768 step as "shrink
#   only" and flooring sizes to whole pixels are our readings (the page says neither).
# * **Anthropic Claude** ([Anthropic, "Vision"](https://docs.anthropic.com/en/docs/build-with-claude/vision)):
#   the current page counts ⌈width / 28⌉ × ⌈height / 28⌉ visual tokens after a resize to the
#   model's native resolution, which differs per model (1,568 tokens for earlier models; more for
#   the newest). The older page, for the Claude 3 and 4 era, gave width × height / 750 with a
#   cap near 1,600 tokens; articles that quote it describe those models.
# * **Google Gemini 2.x** ([Google, "Understand and count tokens"](https://ai.google.dev/gemini-api/docs/tokens)):
#   258 tokens when both sides are at most 384 px; larger pictures are "cropped and scaled as
#   needed into tiles of 768 × 768", 258 each. The crop step is not published, so a count such as
#   258 × ⌈W / 768⌉ × ⌈H / 768⌉ is a reading, not a rule, and public reports disagree. Gemini 3
#   sets per-image budgets with `media_resolution` instead.
#
# Only OpenAI's rule is complete enough to code:

# %% tags=["export"]
def gpt4o_tokens(width, height, detail="high"):
    """OpenAI tile models: 85 (low); high: fit into 2048 px, short side to 768, 85 + 170 per 512 px tile."""
    if detail == "low":
        return 85
    w, h = width, height
    if max(w, h) > 2048:
        w, h = w * 2048 // max(width, height), h * 2048 // max(width, height)
    if min(w, h) > 768:
        w, h = w * 768 // min(w, h), h * 768 // min(w, h)
    return 85 + 170 * math.ceil(w / 512) * math.ceil(h / 512)


assert gpt4o_tokens(1024, 1024) == 765 and gpt4o_tokens(2048, 4096) == 1105  # the page's examples

# %% mystnb={"image": {"alt": "The three pictures with GPT-4o's 512 px billing tiles in vermillion after its two resizes; the panorama and the page get more tiles than the portrait."}} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Figure: GPT-4o's billing tiles over the three pictures
def gpt4o_panel(ax, name, W, H):
    w, h = W, H
    if max(w, h) > 2048:
        w, h = w * 2048 // max(W, H), h * 2048 // max(W, H)
    if min(w, h) > 768:
        w, h = w * 768 // min(w, h), h * 768 // min(w, h)
    cols, rows = math.ceil(w / 512), math.ceil(h / 512)
    draw_grid(ax, name, (0, 0, cols * 512 * W / w, rows * 512 * H / h), (cols, rows), None,
              f"{name}: {cols}×{rows} tiles, {gpt4o_tokens(W, H):,} tokens")


three_panels("GPT-4o, detail='high' (as of November 2026): 512 px tiles after two resizes", gpt4o_panel)

# %% [markdown]
# ## What image tokens cost in compute
#
# Context is one cost. The language model also has to read every image token before it writes
# anything: that first forward pass over the whole prompt is the **prefill**. And while it
# writes, it keeps each layer's keys and values for every earlier position, the **KV cache**, so
# that a new token attends to them without recomputing them. Both grow with the image's tokens.
#
# Lesson 3.2 counted the FLOPs (floating-point operations; a multiply-add is 2) of one
# transformer block. It comes over unchanged:

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title From lesson 3.2, unchanged: the FLOP count of one block
def block_flops(tokens, width, mlp_ratio=4):
    """Forward FLOPs of one transformer block on ``tokens`` tokens of width ``width``.

    Counts only the matrix products, a multiply-add as 2 FLOPs: the Q, K, V and output
    projections 4 x 2ND^2, the attention scores and weighted sum 2 x 2N^2D, and the two
    MLP layers 2 x 2ND(rD) with hidden width rD.
    """
    n, d = tokens, width
    projections = 8 * n * d * d
    attention = 4 * n * n * d
    mlp = 4 * n * d * mlp_ratio * d
    return projections + attention + mlp

# %% [markdown]
# Real language models differ from that block in two ways that matter here. Their MLP is
# **SwiGLU**: three matrices (a gate, an up and a down projection) of width `mlp` instead of two.
# And many use **grouped-query attention** (GQA): all query heads, but only a few key/value
# heads shared between groups of them, so the K and V projections are narrower, and so is the
# KV cache. With as many key/value heads as query heads it is ordinary multi-head attention.
#
# Two configurations, each value from the checkpoint's released `config.json`: Vicuna-7B v1.5,
# the language model of LLaVA-1.5-7B and of LLaVA-NeXT's Vicuna-7B version, a Llama-2 design
# ([Touvron et al., 2023](https://arxiv.org/abs/2307.09288)) with 32 layers, width 4,096, 32 heads,
# all of them key/value heads, and MLP width 11,008
# ([config](https://huggingface.co/lmsys/vicuna-7b-v1.5/blob/main/config.json)); and Qwen2-7B
# inside Qwen2-VL-7B ([Yang et al., 2024](https://arxiv.org/abs/2407.10671)), with 28 layers,
# width 3,584, 28 query heads and 4 key/value heads, and MLP width 18,944
# ([config](https://huggingface.co/Qwen/Qwen2-VL-7B-Instruct/blob/main/config.json)).

# %% tags=["export"]
LANGUAGE_MODELS = {   # from each released config.json (head width = width / heads = 128 in both)
    "vicuna-7b": {"layers": 32, "width": 4096, "heads": 32, "kv_heads": 32, "mlp": 11008},
    "qwen2-7b": {"layers": 28, "width": 3584, "heads": 28, "kv_heads": 4, "mlp": 18944},
}


def lm_block_flops(tokens, width, heads, kv_heads, mlp):
    """One decoder block of a real LM: grouped-query attention and a SwiGLU MLP (matrix products only)."""
    n, d = tokens, width
    kv_width = kv_heads * (d // heads)                   # K and V are kv_heads heads wide, not d
    projections = 2 * n * d * (2 * d + 2 * kv_width)     # Q and output: d x d; K and V: d x kv_width
    attention = 4 * n * n * d                            # scores and weighted sum, every query head
    swiglu = 3 * 2 * n * d * mlp                         # gate, up and down: three d x mlp matrices
    return projections + attention + swiglu


# with all heads as K/V heads and three matrices of width 2d, it is lesson 3.2's block with r = 3
assert lm_block_flops(100, 64, 4, 4, 128) == block_flops(100, 64, mlp_ratio=3)

# %% [markdown]
# Prefill runs every layer once over the prompt. The KV cache holds, per token, a key and a value
# vector for each layer and each key/value head: 2 × layers × kv_heads × head width numbers, at 2
# bytes each in 16-bit precision. A time estimate divides FLOPs by an accelerator's peak: NVIDIA's
# A100 is rated 312 TFLOP/s (10¹² FLOP per second) for dense BF16 matrix products
# ([NVIDIA, 2020](https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf)).
# Real runs reach a fraction of peak, so that time is a lower bound, an order of magnitude only.
# (These counts leave out the vision encoder's own FLOPs, which come on top, and a causal kernel
# skips about half of the N² attention term, so the attention part is an upper bound.)

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Input checks of the cost functions: a token count (int >= 0) and a known language model
import numbers


def _token_count(tokens):
    if isinstance(tokens, bool) or not isinstance(tokens, numbers.Integral):
        raise TypeError(f"tokens must be a whole number (int), got {type(tokens).__name__} {tokens!r}")
    if tokens < 0:
        raise ValueError(f"tokens must be >= 0, got {tokens}: a token count cannot be negative")
    return int(tokens)


def _language_model(name):
    if name not in LANGUAGE_MODELS:
        raise ValueError(f"unknown language model {name!r}; known: {', '.join(LANGUAGE_MODELS)}")
    return LANGUAGE_MODELS[name]

# %% tags=["export"]
A100_BF16_PEAK = 312e12   # FLOP/s, dense BF16 (NVIDIA's A100 datasheet)


def prefill_flops(tokens, lm):
    """FLOPs of the language model's prefill over ``tokens`` positions (every layer once)."""
    n, c = _token_count(tokens), _language_model(lm)
    return c["layers"] * lm_block_flops(n, c["width"], c["heads"], c["kv_heads"], c["mlp"])


def kv_cache_mb(tokens, lm, bytes_per_value=2):
    """KV-cache memory in MB (10^6 bytes): a key and a value per layer, K/V head and token."""
    n, c = _token_count(tokens), _language_model(lm)
    head_width = c["width"] // c["heads"]
    return 2 * c["layers"] * c["kv_heads"] * head_width * bytes_per_value * n / 1e6


def prefill_seconds_at_peak(tokens, lm, peak=A100_BF16_PEAK):
    """An ESTIMATE: prefill FLOPs / the accelerator's peak (a lower bound on the real time)."""
    return prefill_flops(tokens, lm) / peak


print(f"KV cache per token: vicuna-7b {kv_cache_mb(1, 'vicuna-7b'):.3f} MB, qwen2-7b {kv_cache_mb(1, 'qwen2-7b'):.3f} MB")

# %% [markdown]
# Now one 2048 × 2048 photo on three models, each with its own language model:

# %%
photo = (2048, 2048)
families = {"LLaVA-1.5": (llava15_tokens(*photo), "vicuna-7b"),
            "LLaVA-NeXT": (llava_next_tokens(*photo)["total"], "vicuna-7b"),
            "Qwen2-VL": (qwen2_vl_tokens(*photo), "qwen2-7b")}
print(f"{'model':11s}{'LM':>10s}{'tokens':>8s}{'prefill TFLOP':>15s}{'KV cache MB':>13s}{'ms at A100 peak':>17s}")
for family, (n, lm) in families.items():
    print(f"{family:11s}{lm:>10s}{n:8,d}{prefill_flops(n, lm) / 1e12:15.1f}{kv_cache_mb(n, lm):13.0f}"
          f"{1e3 * prefill_seconds_at_peak(n, lm):17.0f}")
assert prefill_flops(5331, "qwen2-7b") > prefill_flops(2928, "vicuna-7b") > prefill_flops(576, "vicuna-7b")
assert kv_cache_mb(5331, "qwen2-7b") < kv_cache_mb(2928, "vicuna-7b")

# %% [markdown]
# Read the table from its printed numbers. Qwen2-VL's 5,331 tokens are the most prefill work,
# about twice LLaVA-NeXT's and about ten times LLaVA-1.5's, and at the A100's peak their
# prefill takes roughly a quarter of a second before the first word, more in practice. Yet their KV
# cache is about a fifth of LLaVA-NeXT's and about the same as LLaVA-1.5's 576 tokens: Qwen2-7B
# keeps 4 key/value heads where Vicuna keeps 32.
# Give Qwen2-7B full multi-head attention and the same image would hold seven times the memory:

# %%
mha = dict(LANGUAGE_MODELS["qwen2-7b"], kv_heads=28)
LANGUAGE_MODELS["qwen2-7b (if MHA)"] = mha
print(f"5,331 tokens: GQA {kv_cache_mb(5331, 'qwen2-7b'):.0f} MB, MHA {kv_cache_mb(5331, 'qwen2-7b (if MHA)'):.0f} MB")
assert math.isclose(kv_cache_mb(5331, "qwen2-7b (if MHA)") / kv_cache_mb(5331, "qwen2-7b"), 7)
del LANGUAGE_MODELS["qwen2-7b (if MHA)"]

# %% [markdown]
# Images also pile up. A chat re-sends every earlier image with each turn, and the attention term
# grows with the square of the prompt length while the others grow linearly. The figure splits
# Qwen2-7B's prefill FLOPs over 1 to 10 such photos; the cell under it prints where attention
# overtakes the rest.

# %% mystnb={"image": {"alt": "Log-log line chart: Qwen2-7B prefill FLOPs against the number of 2048 by 2048 photos in the prompt, split into projections, attention and SwiGLU MLP, each with its own marker and line style; the attention line is steeper and crosses the MLP line at several photos."}} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Figure: Qwen2-7B's prefill FLOPs by term over 1 to 10 photos
c = LANGUAGE_MODELS["qwen2-7b"]
images = np.arange(1, 11)
n = images * qwen2_vl_tokens(2048, 2048)
kv_width = c["kv_heads"] * c["width"] // c["heads"]
terms = {"Q, K, V, output projections": 2 * n * c["width"] * (2 * c["width"] + 2 * kv_width) * c["layers"],
         "attention (N² term)": 4.0 * n * n * c["width"] * c["layers"],
         "SwiGLU MLP": 6 * n * c["width"] * c["mlp"] * c["layers"]}
fig, ax = plt.subplots(figsize=(6.5, 4))
for (label, flops), color, marker, style in zip(terms.items(), ["#0072B2", "#D55E00", "#009E73"], "os^", ["-", "--", ":"]):
    ax.plot(images, flops, color=color, marker=marker, linestyle=style, label=label)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xticks(images, [str(i) for i in images])
ax.set_xlabel("2048 × 2048 photos in the prompt (5,331 tokens each)")
ax.set_ylabel("prefill FLOPs (Qwen2-7B, all layers)")
ax.set_title("Where Qwen2-VL-7B's prefill work goes as photos pile up")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %%
c = LANGUAGE_MODELS["qwen2-7b"]
kv_width = c["kv_heads"] * c["width"] // c["heads"]
crossover = (6 * c["mlp"] + 2 * (2 * c["width"] + 2 * kv_width)) / 4   # 4 N^2 d = linear terms
print(f"attention outweighs projections + MLP beyond {crossover:,.0f} tokens "
      f"= {crossover / qwen2_vl_tokens(2048, 2048):.1f} such photos")
print(f"ten photos: {10 * qwen2_vl_tokens(2048, 2048):,} tokens, {prefill_flops(10 * 5331, 'qwen2-7b') / 1e15:.1f} PFLOP, "
      f"{kv_cache_mb(10 * 5331, 'qwen2-7b'):,.0f} MB of KV cache, {prefill_seconds_at_peak(10 * 5331, 'qwen2-7b'):.1f} s at A100 peak")

# %% [markdown]
# So 5,331 tokens matter beyond the context window: past about six such photos, attention is most
# of the prefill work, ten of them take seconds of an A100 at its peak before the answer starts,
# and the KV cache they hold is memory the server cannot give to other users. Downscaling,
# cropping or a lower `max_pixels` cut all three costs at once.
#
# ## Check yourself

# %% tags=["remove-input"] jupyter={"source_hidden": true} cellView="form"
#@title Quiz (run it to check your understanding)
from jupyterquiz import display_quiz

display_quiz([
    {"question": "A model card says 'supports images up to 2048 px'. What does a 2048 × 2048 photo cost "
                 "Qwen2-VL with its released settings, per the lesson's count?",
     "type": "multiple_choice",
     "answers": [
         {"answer": f"{qwen2_vl_tokens(2048, 2048):,} tokens", "correct": True,
          "feedback": "Right: 73 × 73 tokens after rounding each side to a multiple of 28, plus 2 markers. "
                      "'Supported' is an input limit, not a budget."},
         {"answer": "576 tokens", "correct": False,
          "feedback": "That is LLaVA-1.5's fixed count. Qwen2-VL keeps native resolution."},
         {"answer": "1,280 tokens", "correct": False,
          "feedback": "That is the transformers class default cap; the released config allows 16,384."}]},
    {"question": "Why does Qwen2-VL's 2048 × 2048 photo hold less KV cache than LLaVA-NeXT's, with more tokens?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "Qwen2-7B keeps 4 key/value heads (grouped-query attention); Vicuna-7B keeps 32", "correct": True,
          "feedback": "Yes: the cache stores keys and values per K/V head, so GQA shrinks it per token."},
         {"answer": "Qwen2-VL merges 2 × 2 patches", "correct": False,
          "feedback": "The merge sets the token count (already counted); the cache per token is the language model's."},
         {"answer": "Qwen2-7B has fewer parameters in its MLP", "correct": False,
          "feedback": "Its MLP is wider (18,944), and the MLP stores nothing in the KV cache."}]},
])

# %% [markdown]
# ### Exercise 3.9: Pixtral's rule
#
# **Kind:** transfer
#
# Write `pixtral_tokens(width, height)` for Pixtral-12B as described in the Qwen2-VL section: shrink
# only when the longer side exceeds 1024 px, by `ratio = max(width, height) / 1024`, flooring each
# side; then one `[IMG]` per 16 × 16 patch (partial patches round up) and one closing token per row.
# Return an `int`.
#
# <details><summary>Hint</summary>
#
# After the shrink, `cols = math.ceil(w / 16)` and `rows = math.ceil(h / 16)`; each row holds `cols`
# image tokens and one break (or end) token.
#
# </details>

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Self-check for Exercise 3.9 (run it; no need to read it)
def check_pixtral_tokens(fn, quiet=False):
    """True if ``fn(width, height)`` gives Pixtral-12B's token count on every case, else False;
    None when not attempted."""
    say = (lambda *a: None) if quiet else print
    cases = [((1024, 768), 3120, "a photo exactly at the limit"), ((4000, 3000), 3120, "a large photo, shrunk"),
             ((17, 17), 6, "a tiny picture: partial patches count"), ((100, 50), 32, "a small picture, never enlarged"),
             ((600, 2000), 1344, "a tall page"), ((2066, 34), 65, "a thin strip above the limit")]
    for (w, h), want, what in cases:
        try:
            got = fn(w, h)
        except NotImplementedError:
            say("○ Not attempted yet: replace `raise NotImplementedError()` with your code.")
            return None
        except Exception as err:  # noqa: BLE001 - learner errors are feedback
            say(f"✘ pixtral_tokens({w}, {h}) ({what}) raised {type(err).__name__}: {err}")
            return False
        if isinstance(got, bool) or not isinstance(got, int):
            say(f"✘ pixtral_tokens({w}, {h}) returned {type(got).__name__} {got!r}; return an int "
                "(use // or math.ceil, which give ints, rather than /).")
            return False
        if got != want:
            rows, cols = math.ceil(h / 16), math.ceil(w / 16)
            if (w, h) == (1024, 768) and got == rows * cols:
                hint = "You count the [IMG] tokens only: each row also ends with [IMG_BREAK] (the last with [IMG_END])."
            elif (w, h) == (1024, 768) and got == cols * (rows + 1):
                hint = "The closing token belongs to each ROW: rows x (cols + 1), with cols along the width."
            elif max(w, h) < 1024 and got > want:
                hint = "Pixtral never enlarges: only shrink when the longer side exceeds 1024 px."
            elif max(w, h) < 1024 and got < want:
                hint = "A partial patch still costs a token: round the patch count up (math.ceil), not down."
            elif (w, h) == (2066, 34):
                hint = "Floor each side after dividing by the ratio (int(34 / ratio) = 16 px), as transformers does."
            else:
                hint = "Shrink by ratio = max(width, height) / 1024 when it exceeds 1, floor both sides, then count."
            say(f"✘ pixtral_tokens({w}, {h}) ({what}) returned {got}, expected {want}. {hint}")
            return False
    say("✔ Correct: your rule matches Pixtral-12B's count (as in transformers) on every case.")
    return True

# %% nbgrader={"grade": false, "grade_id": "ex3-5-1-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Your answer to Exercise 3.9
def pixtral_tokens(width, height):
    """Pixtral-12B's tokens for a width x height picture (an int)."""
    ### BEGIN SOLUTION
    shrink = max(width, height) / 1024
    if shrink > 1:
        width, height = int(width / shrink), int(height / shrink)
    cols, rows = math.ceil(width / 16), math.ceil(height / 16)
    return rows * (cols + 1)
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex3-5-1-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Check your answer to Exercise 3.9
check_pixtral_tokens(pixtral_tokens);
### BEGIN HIDDEN TESTS
assert check_pixtral_tokens(pixtral_tokens, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3.10: Which model holds the most memory?
#
# **Kind:** predict-then-run
#
# The phone portrait, 3024 × 4032, goes to LLaVA-1.5 and LLaVA-NeXT (both on Vicuna-7B) and to
# Qwen2-VL-7B with its released settings. **Before running anything**, predict which of the three
# holds the most KV-cache memory for it (`"llava-1.5"`, `"llava-next"` or `"qwen2-vl"`) and about
# how many MB (within ±25 %). Return both from `my_prediction()`, then run the cell after the
# check to see the numbers.
#
# <details><summary>Hint</summary>
#
# Count each model's tokens for 3024 × 4032 in your head from the rules above (LLaVA-NeXT: which
# canvas, how many rows survive unpadding?), then multiply by the printed KV cache per token.
#
# </details>

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Self-check for Exercise 3.10 (run it; no need to read it)
def check_kv_prediction(fn, quiet=False):
    """True if ``fn()`` returns {"largest": the right model, "mb": within 25 % of its KV cache}."""
    say = (lambda *a: None) if quiet else print
    truth = {"llava-1.5": (576, 302), "llava-next": (2352, 1233), "qwen2-vl": (15554, 892)}  # tokens, MB
    try:
        guess = fn()
    except NotImplementedError:
        say("○ Not attempted yet: replace `raise NotImplementedError()` with your prediction.")
        return None
    except Exception as err:  # noqa: BLE001
        say(f"✘ my_prediction() raised {type(err).__name__}: {err}")
        return False
    if not isinstance(guess, dict) or set(guess) != {"largest", "mb"}:
        say(f"✘ Return a dict with exactly the keys 'largest' and 'mb', got {guess!r}.")
        return False
    if guess["largest"] not in truth:
        say(f"✘ 'largest' must be one of {sorted(truth)}, got {guess['largest']!r}.")
        return False
    if isinstance(guess["mb"], bool) or not isinstance(guess["mb"], (int, float)):
        say(f"✘ 'mb' must be a number of megabytes, got {type(guess['mb']).__name__} {guess['mb']!r}.")
        return False
    facts = "; ".join(f"{k}: {n:,} tokens, {mb:,} MB" for k, (n, mb) in truth.items())
    if guess["largest"] == "qwen2-vl":
        say(f"✘ Qwen2-VL has by far the most tokens, but Qwen2-7B keeps 4 K/V heads, about 0.057 MB per "
            f"token against Vicuna's 0.524 MB. ({facts})")
        return False
    if guess["largest"] == "llava-1.5":
        say(f"✘ LLaVA-1.5's 576 tokens are the fewest, and it shares Vicuna-7B with LLaVA-NeXT. ({facts})")
        return False
    if not 0.75 * 1233 <= guess["mb"] <= 1.25 * 1233:
        say(f"✘ Right model, but {guess['mb']:,} MB is not within 25 % of its KV cache: the portrait lands on the "
            f"672 x 672 canvas and unpadding keeps 48 rows of 36 features. ({facts})")
        return False
    say(f"✔ Right: LLaVA-NeXT, about 1,233 MB. More tokens do not mean more memory across language models. ({facts})")
    return True

# %% nbgrader={"grade": false, "grade_id": "ex3-5-2-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Your prediction for Exercise 3.10
def my_prediction():
    """Your prediction: {"largest": model id, "mb": KV-cache megabytes of that model}."""
    ### BEGIN SOLUTION
    return {"largest": "llava-next", "mb": 1200}
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex3-5-2-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Check your prediction for Exercise 3.10
check_kv_prediction(my_prediction);
### BEGIN HIDDEN TESTS
assert check_kv_prediction(my_prediction, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# Now run it: the numbers behind the check, from the lesson's functions.

# %%
portrait = (3024, 4032)
for family, (n, lm) in {"llava-1.5": (llava15_tokens(*portrait), "vicuna-7b"),
                        "llava-next": (llava_next_tokens(*portrait)["total"], "vicuna-7b"),
                        "qwen2-vl": (qwen2_vl_tokens(*portrait), "qwen2-7b")}.items():
    print(f"{family:11s} {n:7,d} tokens  {kv_cache_mb(n, lm):7,.0f} MB of KV cache  "
          f"{prefill_flops(n, lm) / 1e12:6.0f} TFLOP of prefill")

# %% [markdown]
# ### Exercise 3.11: The ten photos at the class default
#
# **Kind:** experiment
#
# The lesson priced ten 2048 × 2048 photos on Qwen2-VL-7B with the released `max_pixels`
# (12,845,056) and found attention to be most of the prefill work. Change that one setting to the
# `transformers` class default, `max_pixels=1003520`, and rerun the computation with the lesson's
# functions. Return from `my_experiment()` a dict with the prompt's total `"tokens"` (an int) and
# `"attention_share"`, the fraction (between 0 and 1) of the prefill FLOPs that the attention term
# takes. Does attention still dominate?
#
# <details><summary>Hint</summary>
#
# `qwen2_vl_tokens` takes `max_pixels`. The attention term of one layer is 4 × N² × width; the
# whole prefill is `prefill_flops(N, "qwen2-7b")`, which sums every layer.
#
# </details>

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Self-check for Exercise 3.11 (run it; no need to read it)
def check_ten_photo_experiment(fn, quiet=False):
    """True if ``fn()`` reports the ten-photo prompt at max_pixels=1003520: 12,270 tokens and an
    attention share between 0.25 and 0.30 (the released setting gives 53,310 tokens and about 0.62)."""
    say = (lambda *a: None) if quiet else print
    try:
        got = fn()
    except NotImplementedError:
        say("○ Not attempted yet: replace `raise NotImplementedError()` with your code.")
        return None
    except Exception as err:  # noqa: BLE001
        say(f"✘ my_experiment() raised {type(err).__name__}: {err}")
        return False
    if not isinstance(got, dict) or set(got) != {"tokens", "attention_share"}:
        say(f"✘ Return a dict with exactly the keys 'tokens' and 'attention_share', got {got!r}.")
        return False
    tokens, share = got["tokens"], got["attention_share"]
    if isinstance(tokens, bool) or not isinstance(tokens, int):
        say(f"✘ 'tokens' must be an int, got {type(tokens).__name__} {tokens!r}.")
        return False
    if isinstance(share, bool) or not isinstance(share, (int, float)):
        say(f"✘ 'attention_share' must be a number, got {type(share).__name__} {share!r}.")
        return False
    if tokens == 53310:
        say("✘ 53,310 tokens is the released setting: pass max_pixels=1003520 to qwen2_vl_tokens.")
        return False
    if tokens == 1227:
        say("✘ 1,227 tokens is one photo; the prompt holds ten.")
        return False
    if tokens == 12250:
        say("✘ 12,250 leaves out the two template markers each image gets: use qwen2_vl_tokens, which counts them.")
        return False
    if tokens != 12270:
        say(f"✘ {tokens:,} tokens: expected ten photos of qwen2_vl_tokens(2048, 2048, max_pixels=1003520) each.")
        return False
    if share > 1:
        say(f"✘ attention_share {share} is over 1: give a fraction (0.27, not 27 %).")
        return False
    if 0.40 <= share <= 0.46:
        say("✘ That share divides attention by the MLP term only: divide by the whole prefill (all three terms).")
        return False
    if not 0.25 <= share <= 0.30:
        say(f"✘ attention_share {share:.3f} is off: attention = layers x 4 x N^2 x width, "
            "divided by prefill_flops(N, 'qwen2-7b').")
        return False
    say(f"✔ Right: {tokens:,} tokens, attention {share:.0%} of the prefill (about 62 % at the released "
        "setting). Lowering max_pixels shrinks the quadratic term fastest: the MLP is the largest cost again.")
    return True

# %% nbgrader={"grade": false, "grade_id": "ex3-5-3-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Your experiment for Exercise 3.11
def my_experiment():
    """{"tokens": ten photos at max_pixels=1003520, "attention_share": attention / whole prefill}."""
    ### BEGIN SOLUTION
    n = 10 * qwen2_vl_tokens(2048, 2048, max_pixels=1003520)
    lm = LANGUAGE_MODELS["qwen2-7b"]
    attention = lm["layers"] * 4 * n * n * lm["width"]
    return {"tokens": n, "attention_share": attention / prefill_flops(n, "qwen2-7b")}
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex3-5-3-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Check your experiment for Exercise 3.11
check_ten_photo_experiment(my_experiment);
### BEGIN HIDDEN TESTS
assert check_ten_photo_experiment(my_experiment, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# ### Summary
#
# * Four rules turn a picture into encoder inputs: one fixed view (LLaVA-1.5: 576 tokens, padded
#   to a square in the released code, centre-cropped by `transformers`); the best of five canvases
#   with unpadding and a newline per row (LLaVA-NeXT); the closest-shaped grid of up to 12 tiles
#   plus a thumbnail (InternVL); native resolution in 28 px cells (Qwen2-VL).
# * The count depends on the size and the settings, never on the content. API rules are the
#   vendors' (dated here, November 2026), and some are readings.
# * Tokens cost more than context: prefill FLOPs grow with them (the attention part with their
#   square), and KV-cache memory grows with tokens × layers × key/value heads, which is why
#   grouped-query attention lets Qwen2-VL carry many more tokens per megabyte.

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Run time of this notebook
print(f"notebook body ran in {time.perf_counter() - T_START:.1f} s wall, {time.process_time() - CPU_START:.1f} s CPU")
