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
# # 1.1 Images become tokens
#
# A language model reads a sequence of vectors, one per token. To let it "see", a
# vision-language model has to turn a photo into such a sequence too. This lesson follows one
# real photo through the first step every ViT-style model takes: cut the image into a grid of
# small square patches, flatten each patch into a list of numbers, and map each list to one
# vector. By the end you can predict how many tokens any image becomes, and why resolution
# sets the price.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pixels-to-tokens/pixels-to-tokens/blob/main/student/notebooks/1-surface/1-1-images-become-tokens.ipynb)
#
# **What you will build**
# - `patchify`, which cuts an image into patches with one reshape and one permute, first on a
#   4 × 4 toy whose numbers you can follow, then on a photo;
# - the step from a 588-number patch to one vector, and the sequence in which image tokens
#   sit beside text tokens;
# - a slider that shows how resolution and patch size set the token count.
#
# **Prerequisites:** Python and a little numpy (arrays, shapes). No machine learning needed.
# **Time to study:** about 15 minutes. **Time to run:** under 10 s on a laptop CPU.

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Colab only: install the quiz package (does nothing elsewhere)
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "jupyterquiz"], check=True)

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from PIL import Image
from skimage import data

START = time.perf_counter()
SEED = 0
torch.manual_seed(SEED)
rng = np.random.default_rng(SEED)
torch.set_num_threads(1)  # one thread: as fast on a busy laptop as on a quiet one, same results
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(f"torch {torch.__version__}, running on {device}")

# %% [markdown]
# ## 1. A photo is a grid of numbers
#
# We use the astronaut portrait that ships with scikit-image (a public-domain NASA photo of
# Eileen Collins). It arrives as an array of shape
# (height, width, channels): one number from 0 to 255 per pixel and colour channel (red,
# green, blue). This layout, channels last, is how image files and numpy store pictures.

# %%
photo = data.astronaut()  # (H, W, 3), uint8
print("shape:", photo.shape, "dtype:", photo.dtype, "numbers:", photo.size)
assert photo.shape == (512, 512, 3)

# %% [markdown]
# PyTorch models expect **channels first**, `(C, H, W)`, with floats from 0 to 1. `to_tensor`
# converts once, and can resize first, because a vision encoder is trained at one resolution
# and its input is resized to it. `size` is a pair, **(width, height)**, as in Pillow.

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Input checks for `to_tensor`, `patchify` and `count_patches` (run it; no need to read it)
import numpy as np
import torch


def _require_pixels(name, value):
    """Raise ValueError unless ``value`` is a positive whole number of pixels."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be a whole number of pixels, got {value!r} "
                         f"({type(value).__name__})")
    if value <= 0:
        raise ValueError(f"{name} must be at least 1 pixel, got {value}")


def _require_size(size):
    """``size`` must be a (width, height) pair of positive ints."""
    if not isinstance(size, (tuple, list)) or len(size) != 2:
        side = size if isinstance(size, int) else 336
        raise ValueError(f"size is (width, height), e.g. size=({side}, {side}); got {size!r}")
    _require_pixels("width", size[0])
    _require_pixels("height", size[1])


def _require_channels_first(image, patch):
    """A (C, H, W) tensor with sides divisible by ``patch``; names channels-last input."""
    _require_pixels("patch", patch)
    if not torch.is_tensor(image) or image.dim() != 3:
        shape = tuple(image.shape) if hasattr(image, "shape") else type(image).__name__
        raise ValueError(f"expected one image tensor of shape (C, H, W), got {shape}; "
                         "convert an (H, W, 3) array with to_tensor(...)")
    if image.shape[-1] in (1, 3, 4) and image.shape[0] not in (1, 3, 4):
        raise ValueError(f"image of shape {tuple(image.shape)} looks channels-last (H, W, C); "
                         "use to_tensor(...) or image.permute(2, 0, 1)")
    c, h, w = image.shape
    if h % patch or w % patch:
        raise ValueError(f"a {h} x {w} image cannot be cut into {patch}-px patches "
                         f"({h} % {patch} = {h % patch}, {w} % {patch} = {w % patch}); "
                         f"resize it first, e.g. to {h // patch * patch} x {w // patch * patch}")


# %% tags=["export"]
import numpy as np
import torch
from PIL import Image


def to_tensor(image, size=None):
    """A PIL image or (H, W, 3) uint8 array -> float tensor (3, H, W) in [0, 1].

    ``size``: optional (width, height) to resize to first (bicubic, as most encoders do).
    """
    if not isinstance(image, Image.Image):
        image = Image.fromarray(np.asarray(image))
    if size is not None:
        _require_size(size)
        image = image.convert("RGB").resize(tuple(size), Image.BICUBIC)
    array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0  # (H, W, 3)
    return torch.from_numpy(array).permute(2, 0, 1).contiguous()         # (3, H, W)


# %%
x512 = to_tensor(photo)                    # (3, 512, 512)
x336 = to_tensor(photo, size=(336, 336))   # (3, 336, 336)
print("512 px:", tuple(x512.shape), " 336 px:", tuple(x336.shape))
assert x336.shape == (3, 336, 336) and 0.0 <= x336.min() and x336.max() <= 1.0

# %% [markdown]
# ## 2. Cutting a 4 × 4 toy into patches
#
# A [Vision Transformer](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#vision-transformer-vit)
# (ViT, [Dosovitskiy et al., 2020](https://arxiv.org/abs/2010.11929)) splits an *H* × *W*
# image into non-overlapping squares of *P* × *P* pixels, a
# [patch](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#patch) each:
# a grid of *H*/*P* rows and *W*/*P* columns, so **(*H*/*P*) · (*W*/*P*) patches**. No loop is
# needed, only a reshape and a permute. Watch them on a one-channel 4 × 4 image whose pixels
# are numbered 0 to 15, cut into 2 × 2 patches. The first patch should hold 0, 1, 4, 5.

# %%
toy = torch.arange(16).reshape(1, 4, 4)  # (C=1, H=4, W=4)
print(toy[0])

# %% [markdown]
# A plain reshape to 4 rows of 4 numbers keeps the reading order of the pixels, so each row is
# a **row of pixels**, not a patch:

# %%
print(toy.reshape(4, 4))  # row 0 is 0, 1, 2, 3: the top row of pixels, not a patch

# %% [markdown]
# Instead, split each side in two: height 4 → (2 patch rows, 2 pixels inside a patch), width
# the same. A reshape only relabels the numbers, it never moves one, so `x[0, r, i, c, j]` is
# pixel (row 2*r + i, column 2*c + j). The first patch is every number with `r = 0, c = 0`:

# %%
x = toy.reshape(1, 2, 2, 2, 2)  # (C, patch row r, row i in patch, patch col c, col j in patch)
print(x[0, 0, :, 0, :])          # r = 0, c = 0: the top-left patch
assert x[0, 0, :, 0, :].flatten().tolist() == [0, 1, 4, 5]

# %% [markdown]
# The numbers of one patch are there, but scattered: `r` and `c` are axes 1 and 3. `permute`
# reorders the axes so that "which patch" (`r`, `c`) comes first and "where inside it"
# (`i`, `j`, channel) last. In that axis order each patch's four numbers come one after the
# other, so one last reshape (which copies them into that order) makes one row per patch:

# %%
x = x.permute(1, 3, 2, 4, 0)  # (r, c, i, j, C)
patches_toy = x.reshape(4, 4)  # (N = 2*2 patches, P*P*C = 4 numbers)
print(patches_toy)
assert patches_toy.tolist() == [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]]

# %% [markdown]
# Row 0 is the top-left square, row 1 the top-right one, then the bottom row: reading order.
# That is all of `patchify`; the function below does the same for *C* channels and any *P*.

# %% tags=["export"]
def patchify(image, patch):
    """Cut a (C, H, W) image into non-overlapping P x P patches -> (N, P*P*C), reading order."""
    _require_channels_first(image, patch)
    c, h, w = image.shape
    rows, cols = h // patch, w // patch
    x = image.reshape(c, rows, patch, cols, patch)    # (C, rows, P, cols, P)
    x = x.permute(1, 3, 2, 4, 0)                      # (rows, cols, P, P, C)
    return x.reshape(rows * cols, patch * patch * c)  # (N, P*P*C)


def count_patches(height, width, patch):
    """Patch tokens of a height x width image: (height / patch) * (width / patch)."""
    for name, value in [("height", height), ("width", width), ("patch", patch)]:
        _require_pixels(name, value)
    if height % patch or width % patch:
        raise ValueError(f"{height} x {width} is not divisible into {patch}-px patches")
    return (height // patch) * (width // patch)


# %% [markdown]
# ## 3. Patchify the photo
#
# At 336 px with 14-px patches, the input of CLIP ViT-L/14-336, the vision encoder of LLaVA-1.5
# ([Liu et al., 2023](https://arxiv.org/abs/2310.03744)):

# %%
patches336 = patchify(x336, 14)  # (576, 588)
print("336 px, 14-px patches ->", tuple(patches336.shape), "= (patches, numbers per patch)")
assert patches336.shape == (count_patches(336, 336, 14), 14 * 14 * 3)
assert torch.equal(patches336[1], x336[:, 0:14, 14:28].permute(1, 2, 0).flatten())

# %% [markdown]
# The second check says patch 1 holds exactly the pixels of the square at rows 0–13, columns
# 14–27. And the most common mistake, the photo straight from numpy (channels last), is named:

# %%
try:
    patchify(torch.from_numpy(photo), 16)  # (512, 512, 3): channels last
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# Each square below becomes one token; the strip after it shows the first twelve
# patches, reshaped back into 14 × 14 pictures.

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form" mystnb={"image": {"alt": "The astronaut photo at 336 by 336 pixels with a white grid of 14-pixel squares drawn over it."}}
#@title Figure: the photo with its patch grid
def draw_grid(ax, image_hw3, patch, title):
    """Show an (H, W, 3) image on ``ax`` with a grid of ``patch``-px squares on top."""
    h, w = image_hw3.shape[:2]
    ax.imshow(image_hw3)
    for y in range(0, h + 1, patch):
        ax.axhline(y - 0.5, color="white", lw=0.6)
    for x_ in range(0, w + 1, patch):
        ax.axvline(x_ - 0.5, color="white", lw=0.6)
    ax.set_title(title)
    ax.set_xlabel("x (pixels)")
    ax.set_ylabel("y (pixels)")


fig, ax = plt.subplots(figsize=(5, 5))
draw_grid(ax, x336.permute(1, 2, 0).numpy(), 14,
          f"336 px photo, 14-px patches: {count_patches(336, 336, 14)} patches")
plt.show()

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form" mystnb={"image": {"alt": "A strip of twelve enlarged 14 by 14 pixel squares, the first twelve patches from the top row of the photo, left to right."}}
#@title Figure: the first twelve patches
first = patches336[:12].reshape(12, 14, 14, 3)  # (12, P, P, C): back to little pictures
fig, axes = plt.subplots(1, 12, figsize=(12, 1.7))
for i, ax in enumerate(axes):
    ax.imshow(first[i].numpy(), interpolation="nearest")
    ax.set_title(f"#{i}", fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
axes[0].set_xlabel("14 px")
axes[0].set_ylabel("14 px")
fig.suptitle("The first 12 patches (top row of the grid, left to right)")
plt.show()

# %% [markdown]
# ## 4. From a patch to a vector
#
# Each patch is one row of 14 · 14 · 3 = 588 numbers. A ViT maps every row to a vector of its
# **width** *d*, the number of values it keeps per token, with one **linear layer**: *d*
# weighted sums of the 588 numbers, plus a bias. The weights are a 588 × *d* table. Here they
# are **random** (PyTorch's default start), because we only care about shapes; in a trained
# model they are learned from data, and each output picks up a pattern such as an edge or a
# colour. The width is the designer's choice and does not depend on *P*: ViT-B uses 768 and
# ViT-L 1,024 ([Dosovitskiy et al., 2020](https://arxiv.org/abs/2010.11929)).

# %%
for p, width in [(14, 1024), (16, 1024), (16, 768), (32, 768)]:
    embed = torch.nn.Linear(p * p * 3, width)  # random weights: (width, P*P*3)
    tokens = embed(patchify(to_tensor(photo, size=(224, 224)), p))  # (N, width)
    print(f"patch {p:>2}: {p * p * 3:>4} numbers per patch -> {tuple(tokens.shape)} = (tokens, width)")
    assert tokens.shape == (count_patches(224, 224, p), width)

# %% [markdown]
# A ViT also puts one extra learned vector in front of the patches,
# the **`[CLS]` token** ("classification"): attention lets it gather from every patch, and its
# final state serves as a summary of the whole image. So a ViT's output has *N* + 1 tokens.
# LLaVA-1.5 drops `[CLS]` and passes only the *N* patch tokens on
# ([Liu et al., 2023](https://arxiv.org/abs/2310.03744)).
#
# This width belongs to the **vision encoder**. The language model has its own width, usually
# larger: LLaVA-1.5-7B's language model, Vicuna-7B v1.5, is a fine-tuned Llama 2 7B, which
# keeps the architecture of LLaMA-7B: 4,096 numbers per token
# ([Touvron et al., 2023a](https://arxiv.org/abs/2302.13971), Table 2;
# [Touvron et al., 2023b](https://arxiv.org/abs/2307.09288)). A small
# network, the [projector](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#projector),
# maps each 1,024-wide vision token to 4,096 numbers. It changes the width, not the count.

# %% [markdown]
# ## 5. Image tokens beside text tokens
#
# Text goes through a tokenizer and an embedding table (one learned vector per word piece);
# image patches go through the vision encoder and the projector. Both end as vectors of the
# language model's width, and it reads them in one sequence. Below, a toy word-level tokenizer
# stands in for a real one, and one random linear layer for the encoder and projector; the
# language-model width is 64 to keep it small.

# %%
LM_WIDTH = 64
prompt = "USER: <image> what is the person holding ?"
words = prompt.split()
vocab = {w: i for i, w in enumerate(sorted(set(words)))}
text_embed = torch.nn.Embedding(len(vocab), LM_WIDTH)  # one random row per word
patch_to_lm = torch.nn.Linear(14 * 14 * 3, LM_WIDTH)   # stands in for encoder + projector

image_tokens = patch_to_lm(patches336)                  # (576, LM_WIDTH)
at = words.index("<image>")
ids_before = torch.tensor([vocab[w] for w in words[:at]])
ids_after = torch.tensor([vocab[w] for w in words[at + 1:]])
sequence = torch.cat([text_embed(ids_before), image_tokens, text_embed(ids_after)])
n_text = len(words) - 1
print(f"text tokens: {n_text}, image tokens: {len(image_tokens)}, sequence: {tuple(sequence.shape)}")
assert sequence.shape == (n_text + 576, LM_WIDTH)

# %% [markdown]
# The `<image>` placeholder was replaced by 576 vectors. To the language model they are just
# positions in its [context window](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#context-window),
# the fixed number of tokens it can read at once; that is why an image "costs" tokens. In
# models built like LLaVA, image tokens are continuous vectors with no entry in the
# vocabulary, called [soft tokens](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#soft-token):
# the model reads them but cannot write them. That is a choice, not a law: early-fusion models
# such as Chameleon turn an image into discrete codes from a learned codebook, put them in
# the vocabulary, and generate images token by token
# ([Chameleon Team, 2024](https://arxiv.org/abs/2405.09818)).

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form" mystnb={"image": {"alt": "A horizontal bar of token positions: a thin text segment, a long hatched image segment, then a thin text segment; the image takes almost the whole sequence."}}
#@title Figure: what the language model reads
fig, ax = plt.subplots(figsize=(10, 1.6))
segments = [("text", at, "#0072B2", ""), ("image", len(image_tokens), "#E69F00", "//"),
            ("text", n_text - at, "#0072B2", "")]
start = 0
for label, length, colour, hatch in segments:
    ax.barh(0, length, left=start, color=colour, hatch=hatch, edgecolor="black")
    if length > 40:
        ax.text(start + length / 2, 0, f"{label}: {length}", ha="center", va="center",
                fontsize=9, backgroundcolor="white")
    else:
        ax.text(start + length / 2, 0.45, f"{label}: {length}", va="bottom", fontsize=8,
                ha="left" if start == 0 else "right")
    start += length
ax.set_xlim(0, start)
ax.set_ylim(-0.5, 0.9)
ax.set_yticks([])
ax.set_xlabel("position in the sequence (tokens)")
ax.set_title("One prompt with one 336-px image: what the language model reads")
plt.show()

# %% [markdown]
# ## 6. Resolution sets the count
#
# For a square image of side *R* the count is (*R*/*P*)²: double the side and the tokens
# quadruple. The figure is computed with `count_patches`; with a running kernel, the slider
# below it redraws the photo with its grid.

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form" mystnb={"image": {"alt": "Line chart: patch tokens per square image against its side in pixels, one line per patch size (14, 16 and 32 pixels) with distinct markers and line styles; tokens grow with the square of the side, fastest for the smallest patch."}}
#@title Figure: tokens per image against its side
sides = np.arange(112, 1025, 16)
fig, ax = plt.subplots(figsize=(7, 4))
for p, colour, marker, style in [(14, "#0072B2", "o", "-"), (16, "#E69F00", "s", "--"),
                                 (32, "#009E73", "^", ":")]:
    ok = sides[sides % p == 0]
    ax.plot(ok, [count_patches(int(s), int(s), p) for s in ok], color=colour, marker=marker,
            ms=3, ls=style, label=f"patch {p} px")
ax.set_xlabel("image side R (pixels)")
ax.set_ylabel("patch tokens per image")
ax.set_title("Tokens per square image = (R / P)²")
ax.legend()
ax.grid(alpha=0.3)
plt.show()

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Slider: the photo at another side and patch size (needs a running kernel)
import io

import ipywidgets as widgets


def grid_png(side, patch):
    """PNG bytes of the photo at ``side`` px (rounded down to a multiple of ``patch``) with its grid."""
    side = side // patch * patch
    img = to_tensor(photo, size=(side, side)).permute(1, 2, 0).numpy()
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    draw_grid(ax, img, patch, f"{side} px, patch {patch}: {count_patches(side, side, patch):,} tokens")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


side_slider = widgets.IntSlider(value=336, min=112, max=672, step=56, description="side (px)")
patch_menu = widgets.Dropdown(options=[8, 14, 16, 32], value=14, description="patch (px)")
picture = widgets.Image(value=grid_png(336, 14), format="png")


def redraw(change):
    picture.value = grid_png(side_slider.value, patch_menu.value)


side_slider.observe(redraw, names="value")
patch_menu.observe(redraw, names="value")
display(widgets.VBox([widgets.HBox([side_slider, patch_menu]), picture]))

# %% [markdown]
# ## 7. Exercises
#
# Each exercise has a check that answers at once; the lesson never uses your answers.

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Self-check for Exercise 1.1 (run it; no need to read it)
import numpy as np


def check_predicted_tokens(fn, quiet=False):
    """``fn()`` returns the predicted token count of a 448-px image with 8-px patches."""
    say = (lambda *a: None) if quiet else print
    try:
        got = fn()
    except NotImplementedError:
        say("○ Not attempted yet: replace `raise NotImplementedError()` with `return <number>`.")
        return None
    except Exception as err:  # noqa: BLE001 - any learner error becomes feedback
        say(f"✘ Your function raised {type(err).__name__}: {err}. Return one whole number.")
        return False
    if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
        say(f"✘ Return a whole number such as 123 (an int), not {got!r} ({type(got).__name__}).")
        return False
    hints = {
        784: "that is 196 x 2 x 2, as if each change doubled the count. Each change doubles the "
             "patches along BOTH sides, so each multiplies the count by 4 (or you made one change only).",
        392: "you doubled twice along one axis; each change doubles the patches per side, and "
             "the grid has two sides.",
        1568: "each change doubles the patches along both sides; the count is the square.",
    }
    if got != 3136:
        say(f"✘ {got} is not it: " + hints.get(int(got), "Work per side: how many 8-px patches "
            "fit along 448 px? The count is that number squared."))
        return False
    say("✔ Right: 448 / 8 = 56 patches per side, 56² = 3,136, 16 times the 196 you started from.")
    return True


# %% [markdown]
# ### Exercise 1.1: predict, then run
#
# **Kind:** predict-then-run
#
# The photo at 224 px cut into 16-px patches gives 196 tokens. Now double the side to 448 px
# **and** halve the patch to 8 px. Without running anything, how many tokens? Write your
# prediction as the return value, run the check, then run the cell after it.
#
# <details><summary>Hint</summary>
#
# Each change alone doubles the number of patches along each side. The grid has two sides.
#
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex1-1-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Your answer to Exercise 1.1
def predicted_tokens():
    """Your prediction: tokens of a 448 x 448 image with 8-px patches (a whole number)."""
    ### BEGIN SOLUTION
    return 56 * 56
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex1-1-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Check your answer to Exercise 1.1
check_predicted_tokens(predicted_tokens);
### BEGIN HIDDEN TESTS
assert check_predicted_tokens(predicted_tokens, quiet=True) is True
### END HIDDEN TESTS

# %%
measured = patchify(to_tensor(photo, size=(448, 448)), 8).shape[0]
print(f"224 px, 16-px patches: {count_patches(224, 224, 16)} tokens; "
      f"448 px, 8-px patches: {measured} tokens ({measured // count_patches(224, 224, 16)}x)")

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Self-check for Exercise 1.2 (run it; no need to read it)
import numpy as np
import torch


def _band_image(width, height, horizontal):
    """Red | green | blue thirds (left to right, or top to bottom when ``horizontal``)."""
    from PIL import Image
    array = np.zeros((height, width, 3), dtype=np.uint8)
    for k in range(3):
        if horizontal:
            array[k * height // 3:(k + 1) * height // 3, :, k] = 255
        else:
            array[:, k * width // 3:(k + 1) * width // 3, k] = 255
    return Image.fromarray(array)


def _white_top_image():
    """450 x 300 (width x height), green, with the top 60 rows white."""
    from PIL import Image
    array = np.zeros((300, 450, 3), dtype=np.uint8)
    array[:, :, 1] = 255
    array[:60] = 255
    return Image.fromarray(array)


def check_resize_and_center_crop(fn, quiet=False):
    """``fn(image, side)`` -> (3, side, side) tensor: short side resized to ``side``, centre crop."""
    say = (lambda *a: None) if quiet else print
    cases = [("a 900 x 300 picture (red | green | blue, left to right)", _band_image(900, 300, False)),
             ("a 300 x 900 picture (red / green / blue, top to bottom)", _band_image(300, 900, True)),
             ("a 450 x 300 green picture with a white top fifth", _white_top_image())]
    for label, image in cases:
        try:
            got = fn(image.copy(), 150)
        except NotImplementedError:
            say("○ Not attempted yet: replace `raise NotImplementedError()` with your code.")
            return None
        except Exception as err:  # noqa: BLE001
            say(f"✘ On {label} with side=150 your function raised {type(err).__name__}: {err}")
            return False
        if not torch.is_tensor(got):
            say(f"✘ Return a torch tensor (3, side, side), not {type(got).__name__}: "
                "to_tensor gives you one.")
            return False
        shape = tuple(got.shape)
        if shape == (150, 150, 3):
            say("✘ Your result is channels-last (150, 150, 3); return (3, 150, 150).")
            return False
        if shape != (3, 150, 150):
            say(f"✘ On {label} with side=150 the shape is {shape}, expected (3, 150, 150). "
                "Hint: scale so the SHORT side becomes `side` (the long side ends up longer), "
                "then cut a side x side square.")
            return False
        red, green, blue = (float(got[k].mean()) for k in range(3))
        if "white" not in label:
            if green < 0.9:
                where = "the first third" if red > 0.5 else "the last third" if blue > 0.5 else \
                    "more than the middle third"
                hint = ("you cut from the start of the long side; cut the centre: offset "
                        "(long - side) // 2" if max(red, blue) > 0.5 else
                        "you squashed the whole picture into the square; keep the aspect ratio "
                        "(scale both sides by side / short side), then crop the middle")
                say(f"✘ On {label} your crop shows {where} (mean red {red:.2f}, green "
                    f"{green:.2f}, blue {blue:.2f}); the middle third is green. Hint: {hint}.")
                return False
        else:
            top = float(got[:, :20].min())
            if top < 0.8:
                say(f"✘ On {label} the top rows of your crop are not white (min {top:.2f}): the "
                    "crop misses the top of the picture. Hint: resize first so the short side "
                    "(here the height) becomes `side`, then crop along the long side only.")
                return False
    say("✔ Right: short side scaled to `side`, aspect kept, the middle square cut out.")
    return True


# %% [markdown]
# ### Exercise 1.2: a wide photo into a square encoder
#
# **Kind:** transfer
#
# The encoder above wants a square, but most photos are not. CLIP's own preprocessing, which
# many VLMs reuse, scales the image so its **short** side equals the encoder's side (keeping
# the aspect ratio) and then cuts the **centre** square
# ([`_transform` in openai/CLIP](https://github.com/openai/CLIP/blob/main/clip/clip.py)). Write
# `resize_and_center_crop(image, side)`: a PIL image in, a `(3, side, side)` tensor out.
#
# <details><summary>Hint</summary>
#
# `image.size` is (width, height). Multiply both by `side / min(width, height)` and round;
# `to_tensor(image, size=(new_width, new_height))` resizes; then slice `[:, top:top + side,
# left:left + side]` with `top = (new_height - side) // 2` and the same for `left`.
#
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex1-2-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Your answer to Exercise 1.2
def resize_and_center_crop(image, side):
    """PIL image -> (3, side, side): short side scaled to ``side``, then the centre square."""
    ### BEGIN SOLUTION
    w, h = image.size
    scale = side / min(w, h)
    new_w, new_h = max(side, round(w * scale)), max(side, round(h * scale))
    resized = to_tensor(image, size=(new_w, new_h))  # (3, new_h, new_w)
    top, left = (new_h - side) // 2, (new_w - side) // 2
    return resized[:, top:top + side, left:left + side]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex1-2-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Check your answer to Exercise 1.2
check_resize_and_center_crop(resize_and_center_crop);
### BEGIN HIDDEN TESTS
assert check_resize_and_center_crop(resize_and_center_crop, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# Whatever the shape of the photo, the encoder now gets 336 × 336 px and makes the same 576
# tokens. The price is what the crop throws away: for a 16:9 photo, the share of it that never
# reaches the model is

# %%
print(f"16:9 photo, centre square kept: {1 - 9 / 16:.0%} of the picture is cut off")

# %% [markdown]
# which is why later lessons meet models that pad to a square, or cut the photo into tiles.
#
# ## 8. Quiz and what to remember

# %% tags=["remove-input"] jupyter={"source_hidden": true} cellView="form"
#@title Quiz (run it to show the questions)
from jupyterquiz import display_quiz

display_quiz([
    {
        "question": "A 448 × 448 image is cut into 14-pixel patches and the ViT adds [CLS]. "
                    "How many tokens leave the encoder?",
        "type": "numeric",
        "answers": [
            {"type": "value", "value": 1025, "correct": True,
             "feedback": "Right: 448 / 14 = 32 per side, 32 × 32 = 1,024 patches, plus one [CLS]."},
            {"type": "value", "value": 1024, "correct": False,
             "feedback": "That is the patches alone; [CLS] adds one token in front."},
            {"type": "value", "value": 32, "correct": False,
             "feedback": "That is one side of the grid; the grid has rows × columns patches."},
            {"type": "default", "feedback": "Per side: 448 / 14 patches. Square it, add [CLS]."},
        ],
    },
    {
        "question": "LLaVA-1.5-7B: the vision encoder's tokens are 1,024 wide and the language "
                    "model's are 4,096. Which part makes them match?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "The projector, a small network applied to each image token",
             "correct": True,
             "feedback": "Yes: it maps every 1,024-wide vector to 4,096 numbers, one token in, "
                         "one token out."},
            {"answer": "The patch size: 14-px patches give 4,096 numbers", "correct": False,
             "feedback": "A 14 × 14 RGB patch holds 588 numbers; widths do not come from P."},
            {"answer": "Nothing: every token of every model has the same width", "correct": False,
             "feedback": "Each network has its own width; that is why a projector exists."},
        ],
    },
    {
        "question": "Can a language model ever output image tokens?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "Not in soft-token models like LLaVA; early-fusion models like Chameleon "
                       "put discrete image codes in the vocabulary and generate them",
             "correct": True,
             "feedback": "Right: whether image tokens can be written depends on the design."},
            {"answer": "Never: image tokens can only be read", "correct": False,
             "feedback": "True of soft tokens (no vocabulary id), not of every VLM."},
            {"answer": "Always: image tokens are words", "correct": False,
             "feedback": "In LLaVA-style models they are continuous vectors with no word id."},
        ],
    },
])

# %% [markdown]
# - A ViT turns an *H* × *W* image into (*H*/*P*) · (*W*/*P*) patch tokens with one reshape,
#   one permute that brings "which patch" to the front, and one more reshape; `[CLS]` adds one.
# - A linear layer (random here, learned in a real model) maps each patch's *P*·*P*·3 numbers
#   to the encoder's width; a projector maps that to the language model's width (4,096 for a
#   7B LLaMA-family model). Neither changes the count.
# - Image tokens take positions in the same sequence as text: resolution is a price.
#
# **Next:** [lesson 1.2](https://pixels-to-tokens.github.io/pixels-to-tokens/notebooks/1-surface/1-2-a-shared-space.html)
# shows how the vectors of images and of captions come to live in one shared space.

# %%
print(f"This notebook ran in {time.perf_counter() - START:.1f} s on {device}.")
