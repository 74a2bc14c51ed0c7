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
# # Reference: image-token rules of every family
#
# This notebook is the course's reference for one question: how many tokens does *this* image
# occupy in *that* model? It holds the full calculator, `image_tokens(model, width, height,
# **options)` and `image_token_details(...)`, for sixteen model ids: the open families' rules are
# rebuilt from their preprocessing code and checked by the course's tests against huggingface
# `transformers` on thousands of sizes; the three hosted APIs follow their vendors' published
# billing formulas, dated, with the parts that are our reading marked as such. Lesson 3.5 teaches
# four of these rules step by step; this page keeps all of them, their layouts, and an upload box.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pixels-to-tokens/pixels-to-tokens/blob/main/student/notebooks/reference/image-token-rules.ipynb)
#
# **What is here**
# - the calculator's frame, then one rule per family: LLaVA-1.5, LLaVA-NeXT, InternVL, Qwen2-VL
#   and Qwen2.5-VL, Idefics3, SmolVLM, PaliGemma (224 / 448 / 896), Gemma 3, Pixtral-12B,
#   Llama 3.2 Vision, and the OpenAI, Anthropic and Google billing formulas;
# - each family's tile grid over a portrait, a panorama and an A4 page; a table of every family at
#   common sizes; token heat-maps over (width, height); the source article's estimator beside
#   exact counts;
# - an upload box that counts your own image in every family (EXIF rotation, CMYK, transparency,
#   decompression bombs and non-images handled).
#
# **Prerequisites:** [lesson 3.5](https://pixels-to-tokens.github.io/pixels-to-tokens/notebooks/3-deep-dive/3-5-tiling-and-token-budgets.html) (the four strategies); Python.
# **Time to study:** about 30 minutes. **Time to run:** about 15 s on a laptop CPU.

# %%
import io
import math
import time

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import colors, patches
from matplotlib.collections import LineCollection
from PIL import Image
from skimage import data

SEED = 0
rng = np.random.default_rng(SEED)  # exact arithmetic: no torch, no randomness in any count
T_START, CPU_START = time.perf_counter(), time.process_time()

# %% [markdown]
# ## What "an image's tokens" means
#
# An image reaches a language model as a run of positions in its input sequence. Three kinds of
# position belong to the image, and published numbers often disagree only because they count
# different kinds:
#
# | kind | what it is | example |
# |---|---|---|
# | **placeholders** | positions that receive image features | LLaVA's `<image>`, Qwen's `<\|image_pad\|>` |
# | **separators / specials** | ordinary vocabulary tokens the *processor* inserts around or between them | InternVL's `<img>`…`</img>`, Pixtral's `[IMG_BREAK]` |
# | **template tokens** | tokens the *chat template* wraps around each image | Qwen's `<\|vision_start\|>`…`<\|vision_end\|>` |
#
# Our calculator reports all three and counts their sum: that is what the image occupies in the
# [context window](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#context-window).
# For the open models the count is exact: it follows their preprocessing code, with the released
# checkpoints' `preprocessor_config.json` values as defaults, read in huggingface `transformers`
# ([Wolf et al., 2020](https://github.com/huggingface/transformers)) 5.24. For the API models it is
# what the vendor **bills** by its published formula, as of the vendor's page in November 2026;
# their internals are not published, Anthropic calls its own formula approximate, and Google's
# crop step is not published, so those counts are only as exact as the documents.
#
# The next cell is the calculator's frame: input checks, a registry that each model family joins
# as we build it, and the two public functions. It is tagged `export`, like every cell that
# defines a rule: those cells are plain Python (only `math`), run on their own, and are what the
# tests compare with the models' own code.

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title The calculator's frame: input checks, the registry, image_tokens() and image_token_details()
import math
import numbers

MAX_SIDE = 100_000  # larger sides are rejected as absurd (no camera or scanner makes them)

_MODELS = {}  # model id -> {"fn": family function, "defaults": {...}, "checks": {...}, "summary": str}


def _positive_int(name, value):
    """Validate an integer option >= 1 and return it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"option {name!r} must be an integer, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"option {name!r} must be >= 1, got {value}")
    return int(value)


def _flag(name, value):
    """Validate a boolean option and return it."""
    if not isinstance(value, bool):
        raise TypeError(f"option {name!r} must be True or False, got {value!r}")
    return value


def _choice(*allowed):
    """Return a validator that accepts one of ``allowed`` strings."""
    def check(name, value):
        if value not in allowed:
            raise ValueError(f"option {name!r} must be one of {list(allowed)}, got {value!r}")
        return value
    return check


def register_model(model_id, fn, summary, **defaults_and_checks):
    """Register a model family: ``fn(width, height, **options) -> details dict``.

    ``defaults_and_checks`` maps each option name to ``(default, validator)``.
    """
    _MODELS[model_id] = {
        "fn": fn,
        "summary": summary,
        "defaults": {k: v[0] for k, v in defaults_and_checks.items()},
        "checks": {k: v[1] for k, v in defaults_and_checks.items()},
    }


def known_models():
    """The registered model ids, in registration order."""
    return list(_MODELS)


def validate_size(width, height):
    """Validate an image size in pixels; raise TypeError/ValueError with a clear message."""
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be a whole number of pixels (int), got {type(value).__name__} {value!r}")
        if value < 1:
            raise ValueError(f"{name} must be at least 1 pixel, got {value}")
        if value > MAX_SIDE:
            raise ValueError(f"{name} = {value} px is over the {MAX_SIDE:,} px limit per side; is it a real image?")
    return int(width), int(height)


def image_token_details(model, width, height, **options):
    """How a model turns a ``width`` x ``height`` image into tokens.

    In: a model id (see ``known_models()``), the image size in pixels, and options that
    override the released checkpoint's defaults (``max_pixels=...``, ``max_tiles=...``).
    Out: a dict with ``total`` (tokens the image occupies in the model's input), ``placeholders``
    (positions that receive image features), ``special`` (separator / special tokens),
    ``template`` (tokens the chat template adds), ``resized`` (w, h), ``layout`` (the tile grid
    drawn over the original image) and family-specific entries.
    """
    if not isinstance(model, str) or model not in _MODELS:
        raise ValueError(f"unknown model {model!r}; known models: {', '.join(known_models())}")
    width, height = validate_size(width, height)
    spec = _MODELS[model]
    unknown = sorted(set(options) - set(spec["defaults"]))
    if unknown:
        allowed = ", ".join(spec["defaults"]) or "none"
        raise TypeError(f"unknown option(s) {unknown} for model {model!r}; allowed: {allowed}")
    opts = dict(spec["defaults"])
    for name, value in options.items():
        opts[name] = spec["checks"][name](name, value)
    details = spec["fn"](width, height, **opts)
    details.setdefault("template", 0)
    assert details["total"] == details["placeholders"] + details["special"] + details["template"]
    return {"model": model, "width": width, "height": height, "options": opts, **details}


def image_tokens(model, width, height, **options):
    """Tokens that one ``width`` x ``height`` image occupies in ``model``'s input (an int).

    Open models: placeholders plus the separator/special tokens the processor and chat template
    put around the image. APIs: billed input tokens by the vendor's documented formula.
    """
    return image_token_details(model, width, height, **options)["total"]


def _layout(region, tiles, cells, global_view=False):
    """Tile grid in original-image coordinates: region (x0, y0, x1, y1) cut into tiles (cols, rows),
    each tile into cells (cols, rows) of one token (or None), plus whether a global view is added."""
    return {"region": tuple(float(v) for v in region), "tiles": tiles, "cells": cells, "global_view": global_view}

# %% [markdown]
# ### Three pictures
#
# Each strategy is drawn over the same three images: a **portrait** photo at a phone camera's
# 3024 × 4032 (12 MP), a wide **panorama** and an **A4 page** scanned at 150 dpi. They are built
# from pictures that ship with scikit-image and text rendered by matplotlib, then resized to those
# sizes, so nothing is downloaded. Token counts depend only on the size; the pixels are there so
# that the grids have something to cover.

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Build the three pictures (scikit-image photos and rendered text; nothing downloaded)
def make_portrait():
    """A 3024 x 4032 portrait: the astronaut photo, cropped to 3:4 and enlarged."""
    crop = data.astronaut()[:, 64:448]                       # (512, 384, 3): 3:4
    return Image.fromarray(crop).resize((3024, 4032), Image.BICUBIC)


def make_panorama():
    """A 6000 px wide strip: four scikit-image photos side by side, enlarged."""
    parts = [data.coffee(), data.chelsea(), data.rocket(), data.astronaut()]
    strip = [Image.fromarray(p).resize((round(p.shape[1] * 400 / p.shape[0]), 400)) for p in parts]
    canvas = Image.new("RGB", (sum(s.width for s in strip), 400))
    x = 0
    for s in strip:
        canvas.paste(s, (x, 0))
        x += s.width
    return canvas.resize((6000, round(6000 * 400 / canvas.width)), Image.BICUBIC)


def make_a4_page(dpi=150):
    """An A4 page (210 x 297 mm) rendered at ``dpi``: a title and paragraphs of small text."""
    fig = plt.figure(figsize=(210 / 25.4, 297 / 25.4), dpi=dpi)
    fig.text(0.1, 0.93, "Quarterly report", fontsize=22, weight="bold")
    words = ("tokens tiles pixels resize grid budget context image model patch merge").split()
    text_rng = np.random.default_rng(1)
    for i in range(52):
        line = " ".join(text_rng.choice(words, 11))
        fig.text(0.1, 0.88 - i * 0.015, line, fontsize=9)
    fig.canvas.draw()
    page = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy())
    plt.close(fig)
    size = (round(210 / 25.4 * dpi), round(297 / 25.4 * dpi))   # 1240 x 1754 at 150 dpi
    return page if page.size == size else page.resize(size, Image.BICUBIC)


pictures = {"portrait": make_portrait(), "panorama": make_panorama(), "A4 page": make_a4_page()}
previews = {}
for name, img in pictures.items():
    previews[name] = img.copy()
    previews[name].thumbnail((800, 800))                     # small copy for drawing only
    print(f"{name:9s} {img.width} x {img.height} px")
assert pictures["portrait"].size == (3024, 4032) and pictures["A4 page"].size == (1240, 1754)

# %% [markdown]
# A helper draws a family's layout over a picture: thick lines for tiles (crops the vision
# encoder sees separately), thin lines for the token cells inside each tile, and hatching for
# padding, the part of a tile that lies outside the picture. Coordinates are the original
# image's pixels, so every family can be drawn over the same photo.

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title draw_layout() and draw_family(): draw a family's tiles and token cells over the pictures
def draw_layout(ax, preview, det, title=None, max_lines=160):
    """Draw ``det["layout"]`` (from image_token_details) over ``preview``, in original pixels."""
    W, H = det["width"], det["height"]
    lay = det["layout"]
    x0, y0, x1, y1 = lay["region"]
    cols, rows = lay["tiles"]
    ax.imshow(preview, extent=(0, W, H, 0), zorder=1)
    ax.add_patch(patches.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, hatch="//", lw=0,
                                   edgecolor="0.6", zorder=0))
    def grid_lines(nx, ny, step_x=1, step_y=1):
        """Segments of an nx x ny grid over the region (every step-th line)."""
        xs = [x0 + (x1 - x0) * i / nx for i in range(0, nx + 1, step_x)]
        ys = [y0 + (y1 - y0) * j / ny for j in range(0, ny + 1, step_y)]
        return [[(x, y0), (x, y1)] for x in xs] + [[(x0, y), (x1, y)] for y in ys]

    if lay["cells"]:
        nx, ny = cols * lay["cells"][0], rows * lay["cells"][1]
        thin = grid_lines(nx, ny, max(1, nx // max_lines), max(1, ny // max_lines))
        ax.add_collection(LineCollection(thin, colors="white", linewidths=0.3, alpha=0.7))
    ax.add_collection(LineCollection(grid_lines(cols, rows), colors="#D55E00", linewidths=2, linestyles="solid"))
    pad = 0.03 * max(W, H)
    ax.set_xlim(min(0, x0) - pad, max(W, x1) + pad)
    ax.set_ylim(max(H, y1) + pad, min(0, y0) - pad)
    extra = " + global view" if lay["global_view"] else ""
    ax.set_title(title or f"{det['model']}: {det['total']:,} tokens{extra}", fontsize=9)
    ax.set_xlabel("x (px)", fontsize=7)
    ax.set_ylabel("y (px)", fontsize=7)
    ax.tick_params(labelsize=6)


def draw_family(model, **options):
    """One row of three panels: ``model``'s layout over the portrait, the panorama and the page."""
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.2), gridspec_kw={"width_ratios": [1, 2.2, 1]})
    for ax, (name, img) in zip(axes, pictures.items()):
        det = image_token_details(model, img.width, img.height, **options)
        extra = " + global view" if det["layout"]["global_view"] else ""
        draw_layout(ax, previews[name], det, f"{name} {img.width}×{img.height}: {det['total']:,} tokens{extra}")
    fig.suptitle(f"{model}: {det['strategy']}")
    fig.tight_layout()
    plt.show()

# %% [markdown]
# ## The four strategies of lesson 3.5
#
# ### Fixed resize: LLaVA-1.5
#
# LLaVA-1.5 feeds CLIP ViT-L/14 at 336 px ([Liu et al., 2023](https://arxiv.org/abs/2310.03744)),
# 14-px patches: 24 × 24 = 576 patch features (the encoder's `[CLS]` feature is dropped by the
# "default" feature strategy). Two preprocessings exist, with the same count:
#
# * the **released LLaVA-1.5 code** (`image_aspect_ratio: pad`,
#   [LLaVA repository](https://github.com/haotian-liu/LLaVA/blob/main/scripts/v1_5/finetune.sh)) **pads** the image to a square
#   with the mean colour, then resizes it to 336 × 336: nothing is cut off;
# * the **`transformers` processor** (the `llava-hf` checkpoints) resizes the shortest edge to 336
#   and **centre-crops** 336 × 336: the panorama loses most of its width.
#
# The layout drawn below is the `transformers` one (the crop box); the count is 576 either way.

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title The rule: llava15_tokens() (open the code to read it)
def llava15_tokens(width, height, image_size=336, patch=14):
    """LLaVA-1.5: shortest edge -> 336, centre crop 336x336, ViT-L/14 -> 24x24 = 576 tokens."""
    side = image_size // patch                       # 24 patches per side
    placeholders = side * side                       # + 1 CLS - 1 ("default" strategy drops CLS) = 576
    s = min(width, height)                           # the centre square that survives the crop
    x0, y0 = (width - s) / 2, (height - s) / 2
    return {"strategy": "fixed resize + centre crop", "resized": (image_size, image_size),
            "placeholders": placeholders, "special": 0, "total": placeholders,
            "layout": _layout((x0, y0, x0 + s, y0 + s), (1, 1), (side, side))}


register_model("llava-1.5", llava15_tokens, "LLaVA-1.5 (CLIP ViT-L/14 at 336 px)")

# %%
for name, img in pictures.items():
    det = image_token_details("llava-1.5", img.width, img.height)
    print(f"{name:9s} -> {det['total']} tokens, crop box {tuple(round(v) for v in det['layout']['region'])}")
assert {image_tokens("llava-1.5", *img.size) for img in pictures.values()} == {576}

# %% mystnb={"image": {"alt": "Three photos (a portrait, a wide panorama, an A4 page) with LLaVA-1.5's single 336 px crop box drawn in orange and its 24 by 24 token cells in white; the box covers only the centre square of each picture, the same token count for all three."}}
draw_family("llava-1.5")

# %% [markdown]
# ### AnyRes, unpadding and newlines: LLaVA-NeXT
#
# LLaVA-NeXT (v1.6) keeps more pixels ([Liu et al., 2024](https://llava-vl.github.io/blog/2024-01-30-llava-next/)).
# It picks one canvas from five candidates (336 × 672, 672 × 336, 672 × 672, 1008 × 336,
# 336 × 1008, written height × width), resizes the image to fit inside it with the aspect ratio
# kept, pads the rest, and encodes each 336 px tile plus a 336 px **base image** of the whole
# picture. Then the model removes the feature rows (or columns) that only saw padding
# ("unpadding") and appends one learned **newline** feature per row so the language model knows
# where rows end. All three parts are `<image>` placeholders.
#
# Step 1 is the choice of canvas: the one that keeps the most image pixels after the
# fit-inside resize (capped at the original pixel count, so enlarging earns nothing), and among
# equals the one that wastes the least area.

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title The rule: select_best_resolution() and llava_next_tokens() (open the code to read it)
LLAVA_NEXT_PINPOINTS = ((336, 672), (672, 336), (672, 672), (1008, 336), (336, 1008))  # (h, w)


def select_best_resolution(width, height, pinpoints):
    """LLaVA-NeXT's choice of canvas (h, w): most effective pixels, then least waste."""
    best, best_eff, best_waste = None, 0, float("inf")
    for ph, pw in pinpoints:
        scale = min(pw / width, ph / height)
        dw, dh = int(width * scale), int(height * scale)
        effective = min(dw * dh, width * height)
        waste = pw * ph - effective
        if effective > best_eff or (effective == best_eff and waste < best_waste):
            best, best_eff, best_waste = (ph, pw), effective, waste
    return best


def llava_next_tokens(width, height, pinpoints=LLAVA_NEXT_PINPOINTS, image_size=336, patch=14):
    """LLaVA-NeXT: base image (576) + unpadded features of the best canvas + one newline per row."""
    side = image_size // patch                                  # 24
    ch, cw = select_best_resolution(width, height, pinpoints)
    rows, cols = ch // image_size, cw // image_size
    cur_h, cur_w = side * rows, side * cols                     # feature grid of the padded canvas
    if width / height > cur_w / cur_h:                          # wider than the canvas: padding on top/bottom
        new_h = int(round(height * (cur_w / width), 7))
        cur_h -= 2 * ((cur_h - new_h) // 2)
    else:                                                       # taller: padding left/right
        new_w = int(round(width * (cur_h / height), 7))
        cur_w -= 2 * ((cur_w - new_w) // 2)
    base, unpadded, newlines = side * side, cur_h * cur_w, cur_h
    s = min(cw / width, ch / height)                            # canvas in original-image coordinates
    x0, y0 = (width - cw / s) / 2, (height - ch / s) / 2
    total = base + unpadded + newlines                          # all three are <image> placeholders
    return {"strategy": "AnyRes + unpad + newline", "resized": (cw, ch), "canvas": (cw, ch),
            "unpadded_grid": (cur_w, cur_h),
            "breakdown": {"base image": base, "unpadded tiles": unpadded, "newline": newlines},
            "placeholders": total, "special": 0, "total": total,
            "layout": _layout((x0, y0, x0 + cw / s, y0 + ch / s), (cols, rows), (side, side), True)}


def _pinpoints(name, value):
    """Validate LLaVA-NeXT grid pinpoints: a non-empty list of (height, width) multiples of 336."""
    try:
        pts = tuple((int(h), int(w)) for h, w in value)
    except (TypeError, ValueError):
        raise TypeError(f"option {name!r} must be a list of (height, width) pairs, got {value!r}") from None
    if not pts or any(h < 336 or w < 336 or h % 336 or w % 336 for h, w in pts):
        raise ValueError(f"option {name!r} needs positive multiples of 336 px, got {value!r}")
    return pts


register_model("llava-next", llava_next_tokens, "LLaVA-NeXT / v1.6 (AnyRes)",
               pinpoints=(LLAVA_NEXT_PINPOINTS, _pinpoints))

# %%
w, h = pictures["panorama"].size
print(f"panorama {w} x {h}: candidate canvases (h, w) -> kept pixels, wasted pixels")
for ph, pw in LLAVA_NEXT_PINPOINTS:
    s = min(pw / w, ph / h)
    kept = min(int(w * s) * int(h * s), w * h)
    print(f"  {ph:4d} x {pw:4d}: kept {kept:7,d}  wasted {ph * pw - kept:7,d}")
det = image_token_details("llava-next", w, h)
print("chosen canvas (w, h):", det["canvas"], "| unpadded feature grid (w, h):", det["unpadded_grid"])
print("breakdown:", det["breakdown"], "-> total", det["total"])
assert det["total"] == sum(det["breakdown"].values())

# %% [markdown]
# The panorama lands on the widest canvas, and unpadding throws away the feature rows that
# only saw padding above and below it. The most a LLaVA-NeXT image can cost is the 2 × 2 canvas
# with nothing removed:

# %%
print("2048 x 2048 ->", image_tokens("llava-next", 2048, 2048), "tokens (576 + 48 x 48 + 48 newlines)")
assert image_tokens("llava-next", 2048, 2048) == 576 + 48 * 48 + 48

# %% mystnb={"image": {"alt": "The three pictures with LLaVA-NeXT's chosen canvas of 336 px tiles in orange, token cells in white and hatched padding; the panorama gets the widest canvas and most of its canvas is padding."}}
draw_family("llava-next")

# %% [markdown]
# ### Dynamic tiling with a thumbnail: InternVL
#
# InternVL ([Chen et al., 2024](https://arxiv.org/abs/2404.16821)) allows any grid of
# 448 px tiles with 1 to 12 tiles (1 × 1, 1 × 2, …, 3 × 4, …, 12 × 1). It picks the grid whose
# aspect ratio is **closest** to the image's. When two grids are equally close (1 × 1 and 2 × 2
# for a square), it takes the larger one as long as the image has more than half the pixels of
# those tiles. The image is then **stretched** to the grid (no padding), cut into tiles, and a
# 448 px **[thumbnail](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#thumbnail-global-image)** of the whole image joins whenever there are two or more tiles. Each tile
# becomes 32 × 32 patches, folded by [pixel shuffle](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#pixel-shuffle) into 16 × 16 = 256 tokens, wrapped in
# `<img>` … `</img>`.

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title The rule: internvl_grid() and internvl_tokens() (open the code to read it)
def internvl_grid(width, height, tile=448, min_tiles=1, max_tiles=12):
    """InternVL's grid (cols, rows): aspect ratio closest to the image's; ties go to the larger
    grid while the image has more than half the pixels of its tiles."""
    grids = sorted(((c, r) for c in range(1, max_tiles + 1) for r in range(1, max_tiles + 1)
                    if min_tiles <= c * r <= max_tiles), key=lambda g: g[0] * g[1])
    aspect, area = width / height, width * height
    best, best_diff = (1, 1), float("inf")
    for c, r in grids:
        diff = abs(aspect - c / r)
        if diff < best_diff:
            best, best_diff = (c, r), diff
        elif diff == best_diff and area > 0.5 * tile * tile * c * r:
            best = (c, r)
    return best


def internvl_tokens(width, height, max_tiles=12, min_tiles=1, tile=448, tokens_per_tile=256):
    """InternVL 2/2.5/3: grid of 448 px tiles (+ thumbnail if > 1 tile), 256 tokens each, in <img>...</img>."""
    if min_tiles > max_tiles:
        raise ValueError(f"min_tiles ({min_tiles}) must not exceed max_tiles ({max_tiles})")
    cols, rows = internvl_grid(width, height, tile, min_tiles, max_tiles) if max_tiles > 1 else (1, 1)
    tiles = cols * rows
    crops = tiles + 1 if tiles > 1 else 1                          # the thumbnail joins when there are 2+ tiles
    pads = tokens_per_tile * crops
    return {"strategy": "dynamic tiling + thumbnail", "resized": (cols * tile, rows * tile), "grid": (cols, rows),
            "crops": crops, "breakdown": {"<IMG_CONTEXT>": pads, "<img> + </img>": 2},
            "placeholders": pads, "special": 2, "total": pads + 2,
            "layout": _layout((0, 0, width, height), (cols, rows), (16, 16), tiles > 1)}


register_model("internvl", internvl_tokens, "InternVL 2 / 2.5 / 3 (448 px tiles)",
               max_tiles=(12, _positive_int), min_tiles=(1, _positive_int))

# %%
for w, h in [(448, 1792), (1792, 448), (400, 300), (2048, 2048)]:
    det = image_token_details("internvl", w, h)
    print(f"{w:4d} x {h:4d}: grid {det['grid']} (cols, rows), {det['crops']:2d} crops -> {det['total']:,} tokens")
assert image_tokens("internvl", 448, 1792) == image_tokens("internvl", 1792, 448)
assert image_token_details("internvl", 400, 300)["grid"] == (4, 3)

# %% [markdown]
# Two things in that printout surprise people. A tall strip and a wide strip cost the same: the
# rule sees only the aspect ratio, never the content. And a small 400 × 300 picture gets the full
# 4 × 3 grid (12 tiles + thumbnail), because its 4:3 shape matches that grid exactly: InternVL
# happily enlarges small images. `max_tiles=` caps the cost:

# %%
for cap in (12, 6, 1):
    print(f"max_tiles={cap:2d}: 400 x 300 -> {image_tokens('internvl', 400, 300, max_tiles=cap):,} tokens")

# %% mystnb={"image": {"alt": "The three pictures with InternVL's grid of 448 px tiles in orange; the grid follows each picture's aspect ratio, with more tiles along the long side."}}
draw_family("internvl")

# %% [markdown]
# ### Native resolution with a 2×2 merge: Qwen2-VL
#
# Qwen2-VL ([Wang et al., 2024](https://arxiv.org/abs/2409.12191)) does not tile. Its
# `smart_resize` rounds each side to a multiple of 28 px (a 14 px patch × a 2 × 2 merge) and
# rescales only when the area leaves [`min_pixels`, `max_pixels`]; the encoder then sees the
# whole picture at (nearly) its own resolution, and every 2 × 2 group of patches becomes one
# `<|image_pad|>` token. The chat template wraps the run in `<|vision_start|>` … `<|vision_end|>`.
# The code rejects images more than 200 times longer than wide; so does ours. Note that Python's
# `round` sends halves to the even neighbour (42 / 28 = 1.5 rounds to 2, 70 / 28 = 2.5 also to 2):
# we keep it, because the model's code does.

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title The rule: smart_resize() and qwen2_vl_tokens() (open the code to read it)
def smart_resize(width, height, factor=28, min_pixels=56 * 56, max_pixels=28 * 28 * 1280):
    """Qwen2-VL's resize: both sides multiples of ``factor``, area within [min_pixels, max_pixels].

    Returns (new_width, new_height). Raises ValueError for aspect ratios above 200, like the model.
    """
    if max(height, width) / min(height, width) > 200:
        raise ValueError(f"absolute aspect ratio must be at most 200 for Qwen2-VL, got {max(height, width) / min(height, width):.1f}")
    h_bar = round(height / factor) * factor        # Python round: ties to even, as in the model's code
    w_bar = round(width / factor) * factor
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return w_bar, h_bar


def qwen2_vl_tokens(width, height, min_pixels=3136, max_pixels=12845056, patch=14, merge=2):
    """Qwen2-VL: smart_resize to multiples of 28, one token per 2x2 group of 14 px patches."""
    if min_pixels > max_pixels:
        raise ValueError(f"min_pixels ({min_pixels}) must not exceed max_pixels ({max_pixels})")
    factor = patch * merge
    w, h = smart_resize(width, height, factor, min_pixels, max_pixels)
    cols, rows = w // factor, h // factor
    pads = cols * rows                                   # <|image_pad|> tokens
    return {"strategy": "native resolution + 2x2 merge", "resized": (w, h), "token_grid": (cols, rows),
            "breakdown": {"<|image_pad|>": pads, "<|vision_start|>/<|vision_end|> (chat template)": 2},
            "placeholders": pads, "special": 0, "template": 2, "total": pads + 2,
            "layout": _layout((0, 0, width, height), (1, 1), (cols, rows))}


for _qwen in ("qwen2-vl", "qwen2.5-vl"):
    # pixel bounds: the released preprocessor_config.json (4..16384 tokens), not the class default
    # (max 1280 tokens) nor the README's suggestion; pass max_pixels=... to change them
    register_model(_qwen, qwen2_vl_tokens, "Qwen2-VL / Qwen2.5-VL",
                   min_pixels=(3136, _positive_int), max_pixels=(12845056, _positive_int))

# %%
for name, img in pictures.items():
    det = image_token_details("qwen2-vl", img.width, img.height)
    print(f"{name:9s} {img.width} x {img.height} -> resized {det['resized']}, "
          f"token grid {det['token_grid']} -> {det['total']:,} tokens")

# %% [markdown]
# Those counts are large because the released configuration allows up to 12,845,056 pixels
# (16,384 tokens). The `transformers` class default, and the model card's advice, is far lower:
# 1,003,520 pixels (1,280 tokens). Which one your server uses is a setting, so the calculator
# takes it as an option:

# %%
for cap in (12845056, 1003520, 200704):
    print(f"max_pixels={cap:>10,d}: 1920 x 1080 -> {image_tokens('qwen2-vl', 1920, 1080, max_pixels=cap):,} tokens")
try:
    image_tokens("qwen2-vl", 8000, 30)
except ValueError as err:
    print("8000 x 30 rejected:", err)

# %% mystnb={"image": {"alt": "The three pictures covered by Qwen2-VL's token cells (one per 28 by 28 pixels after resizing) in white, with no tiles; the number of cells grows with each picture's area."}}
draw_family("qwen2-vl", max_pixels=1003520)

# %% [markdown]
# The figure uses `max_pixels=1003520` so that the token cells stay visible; with the released
# cap the portrait is cut into 108 × 144 cells.
#
# ## More open families
#
# ### Idefics3 and SmolVLM: fixed tiles after a resize
#
# Idefics3 ([Laurençon et al., 2024](https://arxiv.org/abs/2408.12637)) and SmolVLM
# ([Marafioti et al., 2025](https://arxiv.org/abs/2504.05299)) first resize the longest edge to a
# fixed length (1456 px for Idefics3-8B, 1536 px for SmolVLM; **small images are enlarged**),
# then round each side up to whole tiles (364 / 384 px) and cut. Each tile and a global image
# get a fixed number of tokens (169 / 81) wrapped in `<fake_token_around_image>` and a position
# tag such as `<row_2_col_3>`, with a newline after each row. Details matter at tile
# boundaries: the first resize truncates the short side with `int()` and then bumps an odd
# result to the next even number, so 1456 × 365 becomes 1456 × 366 and needs a second row of
# tiles for its last 2 pixels.

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title The rule: idefics3_resize() and idefics3_tokens() (open the code to read it)
def idefics3_resize(width, height, longest_edge, tile, max_size=4096):
    """Idefics3's two resizes: longest edge -> ``longest_edge`` (up or down; other side made even),
    then each side up to a multiple of ``tile``. Returns (w, h) of the image that is split."""
    aspect = width / height                                       # 1) rescale to the longest edge
    if width >= height:
        w, h = longest_edge, int(longest_edge / aspect)
        h += h % 2
    else:
        h, w = longest_edge, int(longest_edge * aspect)
        w += w % 2
    h, w = max(h, 1), max(w, 1)
    aspect = w / h                                                # 2) cap at 4096 px (a no-op below it)
    if w >= h and w > max_size:
        w, h = max_size, int(max_size / aspect)
    elif h > w and h > max_size:
        h, w = max_size, int(max_size * aspect)
    h, w = max(h, 1), max(w, 1)
    aspect = w / h                                                # 3) round up to whole tiles
    if w >= h:
        w = math.ceil(w / tile) * tile
        h = math.ceil(int(w / aspect) / tile) * tile
    else:
        h = math.ceil(h / tile) * tile
        w = math.ceil(int(h * aspect) / tile) * tile
    return w, h


def idefics3_tokens(width, height, longest_edge=1456, tile=364, image_seq_len=169, do_image_splitting=True):
    """Idefics3 / SmolVLM: rows x cols tiles + a global image, each ``image_seq_len`` <image> tokens
    wrapped in <fake_token_around_image><row_r_col_c>, a newline after each row."""
    w, h = idefics3_resize(width, height, longest_edge, tile) if do_image_splitting else (tile, tile)
    rows = cols = 0
    if do_image_splitting and (h > tile or w > tile):
        rows, cols = (h - tile) // tile + 1, (w - tile) // tile + 1
    seq = image_seq_len
    pads = (rows * cols + 1) * seq
    # the global image: <fake><global-img> seq <fake> = seq + 3; each tile: <fake><row_r_col_c> seq;
    # one "\n" per row; the "\n" before the global image merges with the last row's into one "\n\n"
    # token (Llama-3 and SmolLM2 BPE tokenizers both have it), so it adds nothing.
    total = (seq + 3) + rows * (cols * (seq + 2) + 1)
    n = max(1, round(math.sqrt(seq)))
    return {"strategy": "resize + split into tiles + global image", "resized": (w, h), "grid": (cols, rows),
            "breakdown": {"<image>": pads, "<fake_token_around_image>": 2 + rows * cols,
                          "<row_r_col_c> / <global-img>": rows * cols + 1, "newline": rows},
            "placeholders": pads, "special": total - pads, "total": total,
            "layout": _layout((0, 0, width, height), (max(cols, 1), max(rows, 1)), (n, n), rows > 0)}


register_model("idefics3", idefics3_tokens, "Idefics3-8B",
               longest_edge=(1456, _positive_int), tile=(364, _positive_int),
               image_seq_len=(169, _positive_int), do_image_splitting=(True, _flag))
register_model("smolvlm", idefics3_tokens, "SmolVLM-Instruct / SmolVLM2-2.2B",
               longest_edge=(1536, _positive_int), tile=(384, _positive_int),
               image_seq_len=(81, _positive_int), do_image_splitting=(True, _flag))

# %%
for model in ("idefics3", "smolvlm"):
    for w, h in [(1024, 768), (1456, 365), (300, 200)]:
        det = image_token_details(model, w, h)
        print(f"{model:8s} {w:4d} x {h:4d} -> resized {det['resized']}, grid {det['grid']} (cols, rows),"
              f" {det['total']:,} tokens")

# %%
assert image_token_details("idefics3", 1456, 364)["grid"] == (4, 1)
assert image_token_details("idefics3", 1456, 365)["grid"] == (4, 2)

# %% mystnb={"image": {"alt": "The three pictures with Idefics3's tiles of 364 px in orange after its resize; the grid keeps the aspect ratio and rounds each side up to whole tiles."}}
draw_family("idefics3")

# %% [markdown]
# ### PaliGemma and Gemma 3: squash to a square
#
# PaliGemma ([Beyer et al., 2024](https://arxiv.org/abs/2407.07726)) and Gemma 3
# ([Gemma Team, 2025](https://arxiv.org/abs/2503.19786)) resize every image to one square,
# ignoring its aspect ratio. PaliGemma comes in 224, 448 and 896 px versions (SigLIP/14: 256,
# 1,024 and 4,096 `<image>` tokens). Gemma 3 encodes 896 px and average-pools the 64 × 64
# patches to 16 × 16 = 256 [soft tokens](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#soft-token), written as
# `"\n\n<start_of_image>"` + 256 × `<image_soft_token>` + `"<end_of_image>\n\n"`
# (`"\n\n"` is one token in Gemma's vocabulary). Gemma 3 can add **pan & scan** crops for
# elongated images; that option also inserts an English sentence whose length depends on the
# tokenizer, which the count leaves out and the details say so.

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title The rules: paligemma_tokens(), gemma3_pan_and_scan_crops(), gemma3_tokens() (open the code to read them)
def paligemma_tokens(width, height, image_size=224, patch=14):
    """PaliGemma: resize (squash) to image_size^2, SigLIP/14 -> (image_size/14)^2 <image> tokens.
    BOS and the "\\n" after the prompt belong to the text, not the image (not counted)."""
    side = image_size // patch
    n = side * side
    return {"strategy": "fixed square resize", "resized": (image_size, image_size), "placeholders": n,
            "special": 0, "total": n, "layout": _layout((0, 0, width, height), (1, 1), (side, side))}


def gemma3_pan_and_scan_crops(width, height, min_crop=256, max_crops=4, min_ratio=1.2):
    """Gemma 3 pan & scan: (cols, rows) of extra crops for elongated images, or (0, 0) for none."""
    if width >= height:
        if width / height < min_ratio:
            return 0, 0
        n = min(int(math.floor(width / min_crop)), int(math.floor(width / height + 0.5)))
        cols, rows = min(max_crops, max(2, n)), 1
    else:
        if height / width < min_ratio:
            return 0, 0
        n = min(int(math.floor(height / min_crop)), int(math.floor(height / width + 0.5)))
        cols, rows = 1, min(max_crops, max(2, n))
    if min(int(math.ceil(width / cols)), int(math.ceil(height / rows))) < min_crop:
        return 0, 0
    return cols, rows


def gemma3_tokens(width, height, pan_and_scan=False):
    """Gemma 3: squash to 896x896 -> 4096 patches -> 4x4 pooling -> 256 soft tokens,
    expanded as "\\n\\n<start_of_image>" + 256 x <image_soft_token> + "<end_of_image>\\n\\n" (260 tokens)."""
    crops = gemma3_pan_and_scan_crops(width, height) if pan_and_scan else (0, 0)
    n_crops = crops[0] * crops[1]
    images = 1 + n_crops
    pads = 256 * images
    # "\n\n" is one token in Gemma's vocabulary; with pan & scan the processor also inserts an English
    # sentence ("Here is the original image ... crops to help you see better") that is NOT counted here.
    special = 4 * images
    return {"strategy": "fixed square resize (+ pan & scan crops)" if pan_and_scan else "fixed square resize",
            "resized": (896, 896), "crops": n_crops,
            "breakdown": {"<image_soft_token>": pads, "<start_of_image> + <end_of_image>": 2 * images,
                          "\\n\\n": 2 * images},
            "uncounted": "pan & scan wrapper sentence (tokenizer-dependent)" if n_crops else None,
            "placeholders": pads, "special": special, "total": pads + special,
            "layout": _layout((0, 0, width, height), (max(crops[0], 1), max(crops[1], 1)), (16, 16), n_crops > 0)}


for _side in (224, 448, 896):
    register_model(f"paligemma-{_side}", lambda w, h, _s=_side: paligemma_tokens(w, h, _s), f"PaliGemma {_side}")
# pan & scan is off in the released config; with it on, the wrapper sentence is not counted
register_model("gemma3", gemma3_tokens, "Gemma 3 (896 px SigLIP)", pan_and_scan=(False, _flag))

# %%
for model in ("paligemma-224", "paligemma-448", "paligemma-896", "gemma3"):
    print(f"{model:14s} any size -> {image_tokens(model, 1024, 768):,} tokens")
det = image_token_details("gemma3", *pictures["panorama"].size, pan_and_scan=True)
print(f"gemma3 + pan & scan, panorama: {det['crops']} crops -> {det['total']:,} tokens; not counted: {det['uncounted']}")

# %% [markdown]
# ### Pixtral: native resolution with row breaks
#
# Pixtral-12B ([Agrawal et al., 2024](https://arxiv.org/abs/2410.07073)) shrinks an image only if
# its longest side exceeds 1024 px, then gives one `[IMG]` token per 16 × 16 patch (partial
# patches round up). A `[IMG_BREAK]` closes each row and the last one becomes `[IMG_END]`, so the
# model can tell a 20 × 30 grid from a 30 × 20 one. `transformers` floors the shrunken size;
# Mistral's own `mistral_common` package rounds, which changes the count for a small share of
# large images (measured below): the option `rounding="round"` follows it.

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title The rule: pixtral_tokens() (open the code to read it)
def pixtral_tokens(width, height, longest_edge=1024, patch=16, rounding="floor"):
    """Pixtral-12B: fit within longest_edge (down only), one token per 16x16 patch,
    [IMG_BREAK] after each row, the last one replaced by [IMG_END]."""
    ratio = max(height / longest_edge, width / longest_edge)
    h, w = height, width
    if ratio > 1:
        # transformers floors here; mistral_common (and vLLM's "mistral" mode) round (ties to even)
        rnd = math.floor if rounding == "floor" else round
        h, w = int(rnd(height / ratio)), int(rnd(width / ratio))
    rows, cols = (h - 1) // patch + 1, (w - 1) // patch + 1
    if rows < 1 or cols < 1:
        raise ValueError(f"Pixtral cannot encode {width}x{height}: after fitting the longest edge into "
                         f"{longest_edge} px the short side becomes 0 px (the model's resize fails too)")
    pads = rows * cols
    return {"strategy": "native resolution + row breaks", "resized": (cols * patch, rows * patch),
            "token_grid": (cols, rows), "breakdown": {"[IMG]": pads, "[IMG_BREAK]": rows - 1, "[IMG_END]": 1},
            "placeholders": pads, "special": rows, "total": pads + rows,
            "layout": _layout((0, 0, width, height), (1, 1), (cols, rows))}


# rounding: "floor" follows transformers (the reference here); "round" follows mistral_common
register_model("pixtral-12b", pixtral_tokens, "Pixtral-12B",
               longest_edge=(1024, _positive_int), rounding=("floor", _choice("floor", "round")))

# %%
for w, h in [(1024, 768), (2066, 34), (4000, 3000)]:
    a, b = image_tokens("pixtral-12b", w, h), image_tokens("pixtral-12b", w, h, rounding="round")
    print(f"{w:4d} x {h:4d}: {a:,} tokens (transformers), {b:,} (mistral_common rounding)")


def pixtral_or_none(w, h, rounding):
    """Pixtral's count under ``rounding``, or None where that rounding leaves a 0 px side."""
    try:
        return image_tokens("pixtral-12b", w, h, rounding=rounding)
    except ValueError:
        return None


large = [(int(w), int(h)) for w, h in rng.integers(1, 8001, size=(20_000, 2)) if max(w, h) > 1024]
differ = sum(pixtral_or_none(w, h, "floor") != pixtral_or_none(w, h, "round") for w, h in large)
print(f"random sizes with a side over 1024 px: {differ} of {len(large):,} ({differ / len(large):.1%}) "
      "get a different count under the two roundings")
assert 0 < differ < len(large) / 10

# %% mystnb={"image": {"alt": "The three pictures covered by Pixtral's 16 px token cells after fitting the longest side into 1024 px; one row break per row of cells."}}
draw_family("pixtral-12b")

# %% [markdown]
# ### Llama 3.2 Vision: tiles that never enter the sequence
#
# Llama 3.2 Vision ([Grattafiori et al., 2024](https://arxiv.org/abs/2407.21783)) puts a single
# `<|image|>` token in the text. The picture is resized into a canvas of up to four 560 px
# tiles (the smallest enlargement if one fits, else the largest reduction), padded, and each tile
# becomes 40 × 40 patches + `[CLS]` = 1,601 vision positions that the language model reads
# through **cross-attention** layers. They cost compute and memory, but no context positions.
# `image_tokens` returns the text token; the details give the vision positions.

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title The rule: mllama_canvas() and mllama_tokens() (open the code to read it)
def mllama_canvas(width, height, tile=560, max_tiles=4):
    """Mllama's canvas (w, h): the smallest upscale if any canvas can hold the image enlarged,
    else the largest downscale; ties -> the smallest area."""
    canvases = [(a * tile, b * tile) for a in range(1, max_tiles + 1) for b in range(1, max_tiles + 1)
                if a * b <= max_tiles]                                  # (h, w) pairs
    scales = [ch / height if cw / width > ch / height else cw / width for ch, cw in canvases]
    up = [s for s in scales if s >= 1]
    chosen_scale = min(up) if up else max(s for s in scales if s < 1)
    chosen = [c for c, s in zip(canvases, scales) if s == chosen_scale]
    ch, cw = min(chosen, key=lambda c: c[0] * c[1])                     # first of the smallest area
    return cw, ch


def mllama_tokens(width, height, max_tiles=4, tile=560, patch=14):
    """Llama 3.2 Vision: one <|image|> text token; the tiles (each 40x40 patches + CLS = 1601
    positions) enter the language model through cross-attention, not the token sequence."""
    cw, ch = mllama_canvas(width, height, tile, max_tiles)
    tw, th = min(max(width, tile), cw), min(max(height, tile), ch)      # fit within [tile, canvas]
    sh, sw = th / height, tw / width
    if sw < sh:
        new_w, new_h = tw, min(math.floor(height * sw) or 1, th)
    else:
        new_h, new_w = th, min(math.floor(width * sh) or 1, tw)
    cols, rows = cw // tile, ch // tile
    per_tile = (tile // patch) ** 2 + 1
    s = new_w / width
    return {"strategy": "tiles for cross-attention", "resized": (new_w, new_h), "canvas": (cw, ch),
            "grid": (cols, rows), "tiles": cols * rows,
            "vision_positions": cols * rows * per_tile, "vision_positions_padded": max_tiles * per_tile,
            "breakdown": {"<|image|>": 1}, "placeholders": 1, "special": 0, "total": 1,
            "layout": _layout((0, 0, cw / s, ch / (new_h / height)), (cols, rows), (tile // patch, tile // patch))}


register_model("llama-3.2-vision", mllama_tokens, "Llama 3.2 Vision (text tokens)",
               max_tiles=(4, _positive_int))

# %%
for name, img in pictures.items():
    det = image_token_details("llama-3.2-vision", img.width, img.height)
    print(f"{name:9s}: {det['total']} text token; canvas {det['canvas']}, {det['tiles']} tiles -> "
          f"{det['vision_positions']:,} vision positions ({det['vision_positions_padded']:,} after padding to 4 tiles)")

# %% [markdown]
# ## The API formulas, dated
#
# The hosted models publish billing rules, not code. Each rule below is **as of the vendor's page,
# read in November 2026**, and named per model; vendors change these rules (Anthropic's changed).
#
# * **OpenAI**, tile models (GPT-4o, GPT-4.1, GPT-4.5, GPT-4-turbo; other tile models keep the
#   rule with other prices) ([OpenAI, "Images and vision"](https://platform.openai.com/docs/guides/images-vision)):
#   `detail="low"` costs 85 tokens. `detail="high"` fits the image into 2048 × 2048, shrinks it so
#   the short side is 768 px, and bills 85 + 170 per 512 px tile. Two readings are ours, the
#   same as in lesson 2.4: the 768 step only shrinks (read literally, it would enlarge a
#   512 × 512 image to 768 × 768 and bill 765 instead of 255), and sizes are floored to whole
#   pixels (the page does not say). OpenAI's patch models (GPT-4.1-mini and -nano, o4-mini) bill
#   32 px patches instead; they are not in the calculator.
# * **Anthropic Claude** ([Anthropic, "Vision"](https://docs.anthropic.com/en/docs/build-with-claude/vision)):
#   two rules. The **older** page (the Claude 3 and Claude 4 era) gave tokens ≈ width × height / 750
#   after shrinking images whose long edge exceeds 1568 px or that exceed about 1,600 tokens, and
#   called it an approximation: that is the calculator's default, `method="pixels/750"`. The
#   **current** page counts ⌈width / 28⌉ × ⌈height / 28⌉ visual tokens after a resize to the model's
#   native resolution: `method="patch28"` models the cap of 1,568 px and 1,568 tokens given for
#   earlier models (the resize rounding is our reading). The newest models (Opus 4.7 and later)
#   allow more, about 2,576 px and 4,784 tokens by third-party summaries we could not check
#   against the page; the calculator does not model them, and for large images (an A4 scan) they
#   count far more than either rule here.
# * **Google Gemini 2.x** ([Google, "Understand and count tokens"](https://ai.google.dev/gemini-api/docs/tokens)):
#   the page says 258 tokens if both sides are at most 384 px, and that larger images are
#   "cropped and scaled as needed into tiles of 768 × 768", 258 tokens each. The calculator's
#   258 × ⌈W / 768⌉ × ⌈H / 768⌉ is **our reading**, not a published rule: Google does not publish
#   the crop-and-scale step, and public reports disagree (a flat 258 per image on gemini-2.5-pro
#   at several sizes; Vertex's older text ties the tile size to the short side). Gemini 3 replaces
#   it with `media_resolution` budgets per image (low, medium, high, ultra-high). Only the
#   ≤ 384 px case is asserted below.

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title The rules: gpt4o_tokens(), claude_tokens(), gemini2_tokens() (open the code to read them)
def gpt4o_tokens(width, height, detail="high", base=85, per_tile=170):
    """OpenAI tile models (GPT-4o): low = 85; high = 85 + 170 per 512 px tile after fitting into
    2048x2048 and then shrinking the short side to 768."""
    if detail == "low":
        return {"strategy": "API: fixed low-detail price", "resized": (512, 512), "placeholders": base,
                "special": 0, "total": base, "layout": _layout((0, 0, width, height), (1, 1), None)}
    w, h = width, height
    if max(w, h) > 2048:                     # fit into 2048x2048; rounding unspecified -> floor
        w, h = max(1, w * 2048 // max(width, height)), max(1, h * 2048 // max(width, height))
    if min(w, h) > 768:                      # "shortest side 768" read as downscale only (as in lesson 2.4)
        short = min(w, h)
        w, h = max(1, w * 768 // short), max(1, h * 768 // short)
    cols, rows = math.ceil(w / 512), math.ceil(h / 512)
    total = base + per_tile * cols * rows
    return {"strategy": "API: 512 px tiles after resize", "resized": (w, h), "grid": (cols, rows),
            "breakdown": {"base": base, "tiles": per_tile * cols * rows},
            "placeholders": total, "special": 0, "total": total,
            "layout": _layout((0, 0, cols * 512 * width / w, rows * 512 * height / h), (cols, rows), None)}


def claude_tokens(width, height, method="pixels/750"):
    """Anthropic Claude: legacy doc formula tokens = ceil(w*h/750) after shrinking to a long edge
    <= 1568 px and <= ~1600 tokens; or the newer doc's 28 px patches (<= 1568 of them)."""
    w, h = width, height
    if method == "pixels/750":
        # "~1600 tokens" decided as w*h <= 1600*750; approximations by the vendor's own words
        scale = min(1.0, 1568 / max(w, h), math.sqrt(1600 * 750 / (w * h)))
        if scale < 1:
            w, h = max(1, math.floor(w * scale)), max(1, math.floor(h * scale))
        total = math.ceil(w * h / 750)
        return {"strategy": "API: pixels / 750", "resized": (w, h), "placeholders": total, "special": 0,
                "total": total, "layout": _layout((0, 0, width, height), (1, 1), None)}
    # patch28: shrink (aspect kept, floor) until long edge <= 1568 and ceil(w/28)*ceil(h/28) <= 1568
    long_side = min(max(w, h), 1568)
    while True:
        w2 = max(1, width * long_side // max(width, height))
        h2 = max(1, height * long_side // max(width, height))
        if math.ceil(w2 / 28) * math.ceil(h2 / 28) <= 1568:
            break
        long_side -= 1
    cols, rows = math.ceil(w2 / 28), math.ceil(h2 / 28)
    return {"strategy": "API: 28 px patches", "resized": (w2, h2), "token_grid": (cols, rows),
            "placeholders": cols * rows, "special": 0, "total": cols * rows,
            "layout": _layout((0, 0, cols * 28 * width / w2, rows * 28 * height / h2), (1, 1), (cols, rows))}


def gemini2_tokens(width, height):
    """Gemini 2.x: 258 tokens if both sides <= 384 px, else 258 per 768x768 tile (the doc's tiles;
    Google does not publish its crop/scale step, so this is a reading of the text)."""
    if width <= 384 and height <= 384:
        return {"strategy": "API: 258 per image or per 768 px tile", "resized": (width, height), "grid": (1, 1),
                "placeholders": 258, "special": 0, "total": 258,
                "layout": _layout((0, 0, width, height), (1, 1), None)}
    cols, rows = math.ceil(width / 768), math.ceil(height / 768)
    total = 258 * cols * rows
    return {"strategy": "API: 258 per image or per 768 px tile", "resized": (width, height), "grid": (cols, rows),
            "placeholders": total, "special": 0, "total": total,
            "layout": _layout((0, 0, cols * 768, rows * 768), (cols, rows), None)}


register_model("gpt-4o", gpt4o_tokens, "OpenAI GPT-4o (billed)", detail=("high", _choice("high", "low")))
register_model("claude", claude_tokens, "Anthropic Claude (billed, approximate)",
               method=("pixels/750", _choice("pixels/750", "patch28")))
register_model("gemini-2", gemini2_tokens, "Google Gemini 2.x (billed)")

# %% [markdown]
# Every worked example on those pages, recomputed (the Gemini example is the documented
# ≤ 384 px case; Claude's are the older page's approximate figures):

# %%
doc_examples = [("gpt-4o", 1024, 1024, {}, 765), ("gpt-4o", 2048, 4096, {}, 1105),
                ("gpt-4o", 1024, 1024, {"detail": "low"}, 85), ("gemini-2", 384, 384, {}, 258),
                ("claude", 200, 200, {}, 54), ("claude", 1000, 1000, {}, 1334), ("claude", 1092, 1092, {}, 1590)]
for model, w, h, opts, doc in doc_examples:
    got = image_tokens(model, w, h, **opts)
    print(f"{model:8s} {w:4d} x {h:4d} {opts or ''}: {got:5,d} (docs: {doc:,})")
    assert got == doc

# %% mystnb={"image": {"alt": "The three pictures with GPT-4o's 512 px billing tiles in orange after its two resizes; the panorama and the page get more tiles than the portrait."}}
draw_family("gpt-4o")

# %% [markdown]
# ## Bad input gets a clear error
#
# The calculator refuses what it cannot price instead of guessing: unknown models, sizes that are
# not whole positive pixel counts or are absurdly large, options a model does not have, and
# images the model's own code rejects.

# %%
bad_calls = [("gpt-5o", 100, 100, {}), ("gpt-4o", 0, 100, {}), ("gpt-4o", 640.5, 480, {}),
             ("gpt-4o", 200_000, 10, {}), ("gpt-4o", 640, 480, {"detial": "low"}),
             ("qwen2-vl", 640, 480, {"max_tiles": 4}), ("qwen2-vl", 10_000, 20, {}),
             ("internvl", 640, 480, {"max_tiles": 0})]
for model, w, h, opts in bad_calls:
    try:
        image_tokens(model, w, h, **opts)
        raise AssertionError("accepted bad input")
    except (TypeError, ValueError) as err:
        message = f"{type(err).__name__}: {err}"
        print(message if len(message) <= 160 else message[:157] + "...")

# %% [markdown]
# ## Every family at common sizes
#
# One table, all sixteen ids, a few sizes you meet every day (the last two are a 12 MP phone
# photo and our panorama). Llama 3.2 Vision's single text token hides its cross-attention cost,
# so its row shows the vision positions in brackets. The `gemini-2` row above 384 px is our
# reading of Google's page (see above), and the `claude` row is the older page's approximation.

# %%
common_sizes = [(512, 512), (1024, 768), (1920, 1080), (2048, 2048), (1240, 1754), (3024, 4032),
                pictures["panorama"].size]
header = "model".ljust(18) + "".join(f"{f'{w}x{h}':>11s}" for w, h in common_sizes)
print(header)
print("-" * len(header))
table = {}
for model in known_models():
    row = [image_token_details(model, w, h) for w, h in common_sizes]
    table[model] = [d["total"] for d in row]
    cells = [f"[{d['vision_positions']:,}]" if model == "llama-3.2-vision" else f"{d['total']:,}" for d in row]
    print(model.ljust(18) + "".join(f"{c:>11s}" for c in cells))
print("gpt-4o low".ljust(18) + "".join(f"{image_tokens('gpt-4o', w, h, detail='low'):>11,d}" for w, h in common_sizes))
assert len(table) == 16  # the "sixteen ids" of the introduction

# %% [markdown]
# The spread at one size is the lesson: the same 1920 × 1080 screenshot costs from 85 to
# several thousand tokens depending on the family and its settings (see the printed table).
#
# ### Tokens over (width, height)
#
# The heat-maps show each family's cost for every size from 64 to 4096 px in steps of 64, on a
# shared logarithmic colour scale. Fixed-resize models are flat; tiling models show steps where a
# grid changes; native-resolution models grow with area until their cap.

# %%
sides = np.arange(64, 4097, 64)
heat_models = ["llava-1.5", "llava-next", "internvl", "qwen2-vl", "idefics3", "smolvlm", "paligemma-448",
               "gemma3", "pixtral-12b", "llama-3.2-vision", "gpt-4o", "claude", "gemini-2"]
t0 = time.process_time()
grids = {}
for model in heat_models:
    key = "vision_positions" if model == "llama-3.2-vision" else "total"
    grids[model] = np.array([[image_token_details(model, int(w), int(h))[key] for w in sides] for h in sides])
print(f"{len(heat_models) * sides.size ** 2:,} sizes priced in {time.process_time() - t0:.1f} s CPU")
assert grids["llava-1.5"].min() == grids["llava-1.5"].max() == 576

# %% mystnb={"image": {"alt": "Thirteen heat-maps, one per family, of tokens per image over width and height from 64 to 4096 pixels on a shared logarithmic viridis scale; fixed-resize families are flat, tiling families step where the grid changes, native-resolution families grow with area up to their cap."}} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Draw the heat-maps
fig, axes = plt.subplots(4, 4, figsize=(12, 12), constrained_layout=True)
norm = colors.LogNorm(vmin=50, vmax=max(g.max() for g in grids.values()))
for ax, model in zip(axes.flat, heat_models):
    im = ax.imshow(grids[model], origin="lower", extent=(32, 4128, 32, 4128), norm=norm, cmap="viridis")
    label = {"llama-3.2-vision": "llama-3.2 (vision pos.)", "gemini-2": "gemini-2 (a reading)"}.get(model, model)
    ax.set_title(f"{label}: {grids[model].min():,}–{grids[model].max():,}", fontsize=8)
    ax.set_xlabel("width (px)", fontsize=8)
    ax.set_ylabel("height (px)", fontsize=8)
for ax in axes.flat[len(heat_models):]:
    ax.axis("off")
fig.colorbar(im, ax=axes, shrink=0.6, label="tokens (log scale)")
fig.suptitle("Tokens per image over (width, height), released defaults")
plt.show()

# %% [markdown]
# ## The source article's estimator, beside exact counts
#
# The article this course grew from offers an estimator: count 336 px squares in the image,
# cap at 35 "tiles", divide *both* sides by that count, and count 14 px patches (low detail:
# one 448 × 448 tile). Re-implemented in our own words:

# %%
def article_estimate(width, height, high_res=True, patch=14):
    """The source article's formula (re-implemented to study it; do not use it)."""
    if not high_res:
        return (448 // patch) ** 2
    tiles = max(1, min(35, (width // 336) * (height // 336)))
    return ((width // tiles) // patch) * ((height // tiles) // patch) * tiles


print(f"{'image':22s}{'article':>9s}{'GPT-4o':>9s}{'LLaVA-NeXT':>12s}{'InternVL':>10s}{'Qwen2-VL':>10s}")
for w, h, high in [(1024, 768, False), (1024, 768, True), (2048, 2048, True)]:
    detail = "high" if high else "low"
    llava = image_tokens("llava-next", w, h) if high else image_tokens("llava-1.5", w, h)
    print(f"{w} x {h} {detail:5s}{'':7s}{article_estimate(w, h, high):9,d}{image_tokens('gpt-4o', w, h, detail=detail):9,d}"
          f"{llava:12,d}{image_tokens('internvl', w, h):10,d}{image_tokens('qwen2-vl', w, h):10,d}")
assert article_estimate(1024, 768, False) > article_estimate(1024, 768, True) > article_estimate(2048, 2048)

# %% [markdown]
# (In the low-detail row, the LLaVA column is LLaVA-1.5, the closest "low resolution" model;
# InternVL and Qwen2-VL have no low-detail switch, so their low row repeats their only count.)
# The estimator's high-detail numbers *fall* as the image grows, because dividing both sides by
# the tile count makes each "tile" smaller as tiles are added. Real models do the opposite: a
# tile is resized to the encoder's input, so each costs a fixed amount (170 for GPT-4o, 256 for
# InternVL), grids come from fixed candidate sets, and base images, thumbnails and separators
# add to the bill.
#
# ## Try your own image
#
# Upload a photo, a scan or a screenshot and see what every family charges for it. Real files
# are messy, so the loader below is defensive: it refuses files that are not images or that
# would decompress to an absurd number of pixels (a "decompression bomb": a few kilobytes that
# claim to be a 60,000 × 60,000 picture), converts CMYK, palette, grayscale and transparent
# images to RGB (transparency over white), and applies the EXIF orientation tag, so a phone
# photo stored sideways is counted the way you see it.

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title load_image() and token_report(): a defensive loader for uploaded files
def load_image(data, max_pixels=50_000_000):
    """Decode uploaded image bytes into an upright RGB ``PIL.Image``.

    In: the file's bytes (``bytes``, ``bytearray`` or ``memoryview``); ``max_pixels`` caps the
    decoded size. Out: an RGB image in its displayed orientation (EXIF rotation applied).
    Raises TypeError for non-bytes, ValueError for empty, unreadable, truncated or oversized files.
    """
    import io
    import warnings

    from PIL import Image, ImageOps, UnidentifiedImageError

    if isinstance(data, memoryview):
        data = data.tobytes()
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"expected the file's bytes, got {type(data).__name__}")
    if not data:
        raise ValueError("the file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            width, height = img.size                      # read from the header, nothing decoded yet
            if width * height > max_pixels:
                raise ValueError(f"the image claims {width} x {height} = {width * height:,} pixels, over the "
                                 f"{max_pixels:,} limit (a decompression bomb or an enormous scan)")
            img = ImageOps.exif_transpose(img)            # decodes, then turns it upright
    except UnidentifiedImageError:
        raise ValueError("not an image file that Pillow can read (JPEG, PNG, GIF, WebP, TIFF, BMP, ...)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ValueError(f"refused a decompression bomb: {err}") from None
    except (OSError, SyntaxError) as err:
        raise ValueError(f"the image could not be decoded (truncated or corrupt?): {err}") from None
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    try:
        return img.convert("RGB")
    except (ValueError, OSError) as err:
        raise ValueError(f"cannot convert image mode {img.mode!r} to RGB: {err}") from None


def token_report(width, height):
    """Every registered model's tokens for a ``width`` x ``height`` image: {model: total}.
    Models whose own code rejects the size map to the error message instead."""
    report = {}
    for model in known_models():
        try:
            report[model] = image_tokens(model, width, height)
        except ValueError as err:
            report[model] = f"rejected: {err}"
    return report

# %% [markdown]
# A report function prints the table and draws four families' grids. We run it here on a sample
# file built in memory: the portrait saved as a JPEG stored **sideways** with an EXIF tag that
# says "rotate 90° to display". The stored size is landscape; the counts use the upright portrait.

# %% mystnb={"image": {"alt": "A phone portrait with four families' layouts drawn over it: LLaVA-NeXT's canvas of 336 px tiles, InternVL's 448 px tiles, Qwen2-VL's 28 px token cells and GPT-4o's 512 px billing tiles."}} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title report_text() and report_figure(), then the sample upload: a phone portrait stored sideways with an EXIF rotation tag
def report_text(image, title):
    """Every family's tokens for ``image`` as lines of text."""
    w, h = image.size
    lines = [f"{title}: {w} x {h} px (as displayed)"]
    for model, total in token_report(w, h).items():
        lines.append(f"  {model:18s} {total:,}" if isinstance(total, int) else f"  {model:18s} {total}")
    return "\n".join(lines)


def report_figure(image, title):
    """Four families' layouts drawn over ``image`` (a matplotlib figure)."""
    w, h = image.size
    preview = image.copy()
    preview.thumbnail((600, 600))
    fig, axes = plt.subplots(1, 4, figsize=(14, 4))
    for ax, model in zip(axes, ["llava-next", "internvl", "qwen2-vl", "gpt-4o"]):
        try:
            det = image_token_details(model, w, h, **({"max_pixels": 1003520} if model == "qwen2-vl" else {}))
            draw_layout(ax, preview, det)
        except ValueError as err:
            ax.set_title(f"{model}: rejected")
            ax.text(0.5, 0.5, str(err)[:60], ha="center", transform=ax.transAxes, fontsize=7)
    axes[2].set_title(axes[2].get_title() + " (max_pixels=1003520)", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def sideways_jpeg(image):
    """JPEG bytes of ``image`` stored rotated, with EXIF Orientation = 6 (display: rotate 90° clockwise)."""
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    image.rotate(90, expand=True).save(buf, "JPEG", exif=exif.tobytes(), quality=85)
    return buf.getvalue()


sample_bytes = sideways_jpeg(pictures["portrait"].resize((1512, 2016)))
stored = Image.open(io.BytesIO(sample_bytes)).size
upright = load_image(sample_bytes)
print(f"stored {stored[0]} x {stored[1]}, displayed {upright.width} x {upright.height}")
assert upright.size == (1512, 2016) and stored == (2016, 1512)
print(report_text(upright, "sample upload (EXIF-rotated phone portrait)"))
report_figure(upright, "sample upload (EXIF-rotated phone portrait)")
plt.show()

# %% [markdown]
# And the loader's answers to files that should not get through:

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Build the bad files: a bomb's header, a truncated JPEG, CMYK and others; run them through load_image()
def png_header_only(width, height):
    """A tiny PNG whose header claims ``width`` x ``height`` (a decompression bomb's calling card)."""
    import struct
    import zlib

    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def encoded(image, fmt, **kw):
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    return buf.getvalue()


small = previews["portrait"].resize((120, 160))
tests = {"a text file": b"hello, I am not a picture",
         "an empty file": b"",
         "a 60000 x 60000 PNG header": png_header_only(60000, 60000),
         "a truncated JPEG": encoded(small, "JPEG")[:400],
         "a CMYK JPEG": encoded(small.convert("CMYK"), "JPEG"),
         "an RGBA PNG": encoded(small.convert("RGBA"), "PNG"),
         "a grayscale PNG": encoded(small.convert("L"), "PNG")}
for label, blob in tests.items():
    try:
        img = load_image(blob)
        print(f"{label:28s} -> OK, {img.mode} {img.width} x {img.height}")
    except (TypeError, ValueError) as err:
        message = f"{label:28s} -> {type(err).__name__}: {err}"
        print(message if len(message) <= 150 else message[:147] + "...")

# %% [markdown]
# The upload box below runs the same code on your file: the table appears under the button and
# the four layouts as a picture. On the static website it shows only the controls; the report
# above is its output for the sample.

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title The upload box (run it; no need to read it)
import html

import ipywidgets as widgets
from IPython.display import display

upload = widgets.FileUpload(accept="image/*", multiple=False, description="Upload image")
report_box = widgets.HTML(value="<i>No file yet.</i>")
layout_box = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))


def uploaded_files(value):
    """(name, bytes) of each uploaded file; ipywidgets 8 gives a tuple of dicts, 7 a dict by name."""
    items = value.values() if isinstance(value, dict) else value
    for item in items:
        yield item.get("name") or item.get("metadata", {}).get("name", "upload"), item["content"]


def on_upload(change):
    """Load the uploaded file and show its token report and layouts, or say why it was refused."""
    for name, content in uploaded_files(change["new"]):
        try:
            image = load_image(content)
        except (TypeError, ValueError) as err:
            report_box.value = f"<pre>Could not use {html.escape(repr(name))}: {html.escape(str(err))}</pre>"
            layout_box.value = b""
            return
        report_box.value = f"<pre>{html.escape(report_text(image, name))}</pre>"
        fig = report_figure(image, name)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80)
        plt.close(fig)
        layout_box.value = buf.getvalue()


upload.observe(on_upload, names="value")
display(widgets.VBox([upload, report_box, layout_box]))

# %% [markdown]
# ### Summary
#
# * Five ways to feed a picture to a fixed-size encoder: squash or crop it to one square
#   (LLaVA-1.5, PaliGemma, Gemma 3); fit it into a canvas chosen from a short list and pad it
#   (LLaVA-NeXT, which then drops the padded features, and Llama 3.2 Vision); stretch it onto the
#   grid with the closest aspect ratio (InternVL); keep its aspect ratio and round each side up to
#   whole tiles (Idefics3, SmolVLM); or keep its own resolution (Qwen2-VL, Pixtral).
# * The token count is fixed by the size after those rules, plus separators: never by content.
# * Defaults are settings: Qwen's `max_pixels`, InternVL's `max_tiles`, GPT-4o's `detail` move the
#   cost by an order of magnitude. Count before you send.

# %%
elapsed = time.perf_counter() - T_START
print(f"notebook body ran in {elapsed:.1f} s wall, {time.process_time() - CPU_START:.1f} s CPU")
