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
# vision-language model has to turn a photo into such a sequence too. This lesson follows
# one real photo through the first step every ViT-style model takes: cut the image into a
# grid of small square **patches**, flatten each patch into a list of numbers, and map each
# list to a vector of the model's width. By the end you can predict how many tokens any
# image becomes, and you will see why resolution is the knob that sets the price.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pixels-to-tokens/pixels-to-tokens/blob/main/notebooks/1-surface/1-1-images-become-tokens.ipynb)
#
# **What you will build**
# - a `patchify` function that cuts an image into patches by reshaping, and its exact inverse;
# - the patch grid drawn over a real photo, and a strip of its first patches;
# - the step from a 588-number patch to one vector of width *D*;
# - one sequence in which image tokens sit beside text tokens;
# - a slider that shows how resolution and patch size set the token count.
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

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from PIL import Image
from skimage import data

SEED = 0
torch.manual_seed(SEED)
rng = np.random.default_rng(SEED)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(f"torch {torch.__version__}, running on {device}")

# %% [markdown]
# ## A photo is a grid of numbers
#
# We use the astronaut portrait that ships with scikit-image (a public-domain NASA photo of
# Eileen Collins), so nothing is downloaded. It arrives as an array of shape
# (height, width, channels): one number from 0 to 255 per pixel and colour channel.

# %%
photo = data.astronaut()  # (H, W, 3), uint8
print("shape:", photo.shape, "dtype:", photo.dtype)
print("numbers in the photo:", photo.size)
assert photo.shape == (512, 512, 3)

# %% [markdown]
# PyTorch models expect **channels first**, `(C, H, W)`, with values scaled to floats. We
# convert once and keep a helper that also resizes, because a ViT-style encoder usually first
# resizes its input to the resolution it was trained at (lesson 3.3 meets models that don't).

# %% tags=["export"]
import numpy as np
import torch
from PIL import Image


def to_tensor(image, size=None):
    """Turn an RGB image into a float tensor of shape (3, H, W) with values in [0, 1].

    In:  ``image`` a PIL image or an (H, W, 3) uint8 array; ``size`` an optional
         (width, height) to resize to first (bicubic, as most vision encoders do).
    Out: a ``torch.float32`` tensor of shape (3, H, W).
    """
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    if not isinstance(image, Image.Image):
        raise TypeError(f"expected a PIL image or a numpy array, got {type(image).__name__}")
    image = image.convert("RGB")
    if size is not None:
        image = image.resize(size, Image.BICUBIC)
    array = np.asarray(image, dtype=np.float32) / 255.0  # (H, W, 3)
    return torch.from_numpy(array).permute(2, 0, 1).contiguous()  # (3, H, W)


# %%
x512 = to_tensor(photo)
x336 = to_tensor(photo, size=(336, 336))
print("512 px:", tuple(x512.shape), " 336 px:", tuple(x336.shape))
assert x512.shape == (3, 512, 512) and x336.shape == (3, 336, 336)
assert 0.0 <= x336.min() and x336.max() <= 1.0

# %% [markdown]
# ## Cutting the image into patches
#
# A [Vision Transformer](../../book/glossary.md#vision-transformer-vit) ([Dosovitskiy et al., 2020](https://arxiv.org/abs/2010.11929)) splits
# the image into non-overlapping squares of *P* × *P* pixels. With an image of *H* × *W*
# pixels that makes a grid of (*H*/*P*) rows and (*W*/*P*) columns, so
# **(*H*/*P*) · (*W*/*P*) patches**. No convolution or loop is needed: it is a reshape.
#
# Read the shape comments line by line. We split each spatial axis into
# (number of patches, pixels inside a patch), move the two "which patch" axes to the
# front, and flatten everything that belongs to one patch into one row.

# %% tags=["export"]
def patchify(image, patch):
    """Cut a channels-first image into non-overlapping square patches.

    In:  ``image`` a tensor of shape (C, H, W); ``patch`` the side P of a patch in pixels,
         a positive int that divides both H and W.
    Out: a tensor of shape (N, P*P*C) with N = (H/P)*(W/P), patches in row-major order
         (left to right, then top to bottom); each row holds one patch's pixels as
         (row, column, channel).
    Raises ``ValueError`` if the image is not 3-D or a side is not divisible by ``patch``.
    """
    if not isinstance(patch, int) or isinstance(patch, bool) or patch <= 0:
        raise ValueError(f"patch must be a positive integer, got {patch!r}")
    if not torch.is_tensor(image) or image.dim() != 3:
        shape = tuple(image.shape) if hasattr(image, "shape") else type(image).__name__
        raise ValueError(
            f"expected a channels-first image tensor of shape (C, H, W), got {shape}; "
            "for a batch, patchify each image, and convert (H, W, C) arrays with to_tensor()"
        )
    c, h, w = image.shape
    if h % patch or w % patch:
        raise ValueError(
            f"image of {h}x{w} px cannot be cut into {patch}-px patches: "
            f"{h} % {patch} = {h % patch}, {w} % {patch} = {w % patch}; resize it to a multiple "
            f"of {patch} first (e.g. {h // patch * patch}x{w // patch * patch})"
        )
    rows, cols = h // patch, w // patch
    x = image.reshape(c, rows, patch, cols, patch)  # (C, rows, P, cols, P)
    x = x.permute(1, 3, 2, 4, 0)                    # (rows, cols, P, P, C)
    return x.reshape(rows * cols, patch * patch * c)  # (N, P*P*C)


def unpatchify(patches, patch, height, width):
    """Put patches made by ``patchify`` back into an image: the exact inverse.

    In:  ``patches`` of shape (N, P*P*C); ``patch`` = P; the image ``height`` and ``width``.
    Out: the image tensor of shape (C, height, width).
    """
    rows, cols = height // patch, width // patch
    if patches.dim() != 2 or patches.shape[0] != rows * cols or patches.shape[1] % (patch * patch):
        raise ValueError(
            f"patches of shape {tuple(patches.shape)} do not fit a {height}x{width} image "
            f"with {patch}-px patches (expected ({rows * cols}, {patch}*{patch}*C))"
        )
    c = patches.shape[1] // (patch * patch)
    x = patches.reshape(rows, cols, patch, patch, c)  # (rows, cols, P, P, C)
    x = x.permute(4, 0, 2, 1, 3)                      # (C, rows, P, cols, P)
    return x.reshape(c, height, width)                # (C, H, W)


def count_patches(height, width, patch):
    """Number of patch tokens of an image: (height / patch) * (width / patch)."""
    if height % patch or width % patch:
        raise ValueError(f"{height}x{width} is not divisible into {patch}-px patches")
    return (height // patch) * (width // patch)


# %% [markdown]
# Two checks before we trust it: the count matches the formula, and putting the patches back
# gives the original image **exactly**, pixel for pixel. A reshape moves numbers around; it
# never changes one.

# %%
patches336 = patchify(x336, 14)  # (576, 588)
print("336 px, 14-px patches ->", tuple(patches336.shape))
assert patches336.shape == (count_patches(336, 336, 14), 14 * 14 * 3)
assert torch.equal(unpatchify(patches336, 14, 336, 336), x336)

patches512 = patchify(x512, 16)  # (1024, 768)
print("512 px, 16-px patches ->", tuple(patches512.shape))
assert torch.equal(unpatchify(patches512, 16, 512, 512), x512)

# %% [markdown]
# The two counts every VLM explainer quotes, computed rather than typed:

# %%
for size, p in [(512, 16), (336, 14), (224, 14), (224, 16)]:
    print(f"{size}x{size} image, {p}-px patches: {size // p} x {size // p} grid = "
          f"{count_patches(size, size, p):,} patches")

# %% [markdown]
# 336 px with 14-px patches is the input of CLIP ViT-L/14-336, the vision tower of LLaVA-1.5
# ([Liu et al., 2023](https://arxiv.org/abs/2310.03744)), which is why that model spends the
# count above on every image. A ViT also prepends one extra learned `[CLS]` token; LLaVA drops
# it and passes only the patch tokens on.
#
# And what does a bad input do? It fails early, with a message that says what to fix:

# %%
for bad in [x512[0], x336[:, :, :330]]:
    try:
        patchify(bad, 14)
    except ValueError as err:
        print("ValueError:", err)

# %% [markdown]
# ## Seeing the grid
#
# Here is the photo at 336 px with the 14-px grid on top. Each square becomes one token.

# %%
def draw_grid(ax, image_hw3, patch, title):
    """Show an (H, W, 3) image on ``ax`` with a patch grid of side ``patch`` pixels on top."""
    h, w = image_hw3.shape[:2]
    ax.imshow(image_hw3)
    for y in range(0, h + 1, patch):
        ax.axhline(y - 0.5, color="white", lw=0.6)
    for x in range(0, w + 1, patch):
        ax.axvline(x - 0.5, color="white", lw=0.6)
    ax.set_title(title)
    ax.set_xlabel("x (pixels)")
    ax.set_ylabel("y (pixels)")


img336 = x336.permute(1, 2, 0).numpy()  # (336, 336, 3) for plotting
fig, ax = plt.subplots(figsize=(5.5, 5.5))
draw_grid(ax, img336, 14, f"336 px photo, 14-px patches: {count_patches(336, 336, 14)} tokens")
plt.show()

# %% [markdown]
# The patches come out in reading order: the first row of the grid, left to right, then the
# next. Here are the first twelve, each a 14 × 14 pixel square, enlarged:

# %%
first = patches336[:12].reshape(12, 14, 14, 3)  # (12, P, P, C) back to little images
fig, axes = plt.subplots(1, 12, figsize=(12, 1.6))
for i, ax in enumerate(axes):
    ax.imshow(first[i].numpy(), interpolation="nearest")
    ax.set_title(f"#{i}", fontsize=8)
    ax.axis("off")
fig.suptitle("The first 12 patches (top row of the grid, left to right)")
plt.show()

# %% [markdown]
# ## From a patch to a vector of width *D*
#
# Each patch is now one row of numbers. How many?

# %%
numbers_per_patch = 14 * 14 * 3
print(f"one 14x14 RGB patch holds {numbers_per_patch} numbers")
assert patches336.shape[1] == numbers_per_patch

# %% [markdown]
# The model's **width** *D* is a design choice of the transformer: every token, text or image,
# is a vector of *D* numbers. A single linear layer maps each patch's numbers to *D*. The
# published widths are 768 for ViT-B and 1,024 for ViT-L
# ([Dosovitskiy et al., 2020](https://arxiv.org/abs/2010.11929)), whatever the patch size:
# change *P* and only the layer's input size changes.

# %%
for p, width in [(14, 1024), (16, 1024), (16, 768), (32, 768)]:
    embed = torch.nn.Linear(p * p * 3, width)
    tokens = embed(patchify(to_tensor(photo, size=(224, 224)), p))  # (N, D)
    print(f"patch {p:>2}: {p * p * 3:>4} numbers per patch -> Linear -> "
          f"{tuple(tokens.shape)} = (tokens, D)")
    assert tokens.shape == (count_patches(224, 224, p), width)

# %% [markdown]
# Patch size changes two things, the numbers per patch and the number of tokens; the width *D*
# stays whatever the model was built with. (In real ViTs this linear layer is usually written as
# a convolution with kernel and stride *P*: the same arithmetic, as lesson 2.1 proves.)
#
# ## Image tokens beside text tokens
#
# Text goes through a tokenizer and an embedding table; image patches go through the vision
# encoder and a [projector](../../book/glossary.md#projector). Both end as width-*D* vectors, and the language model simply reads
# them in one sequence. Below, a toy word-level tokenizer stands in for a real one, and a single
# linear layer stands in for the vision encoder and its projector.

# %%
D = 64  # a small width for the demo
prompt = "USER: <image> what is the person holding ?"
words = prompt.split()
vocab = {w: i for i, w in enumerate(sorted(set(words)))}
text_embed = torch.nn.Embedding(len(vocab), D)
patch_embed = torch.nn.Linear(14 * 14 * 3, D)

image_tokens = patch_embed(patches336)  # (576, D)
before, after = words[: words.index("<image>")], words[words.index("<image>") + 1:]
to_ids = lambda ws: torch.tensor([vocab[w] for w in ws])  # noqa: E731
sequence = torch.cat([text_embed(to_ids(before)), image_tokens, text_embed(to_ids(after))])

n_text = len(before) + len(after)
print(f"text tokens: {n_text}, image tokens: {image_tokens.shape[0]}, "
      f"sequence: {tuple(sequence.shape)}")
assert sequence.shape == (n_text + 576, D)

# %% [markdown]
# The `<image>` placeholder was replaced by 576 vectors. From the language model's side they are
# just positions in the [context window](../../book/glossary.md#context-window), which is why an image "costs" tokens. They differ from
# text tokens in one way that matters: they are continuous vectors with no entry in the
# vocabulary, so the model can read them but never generate them (they are sometimes called
# **[soft tokens](../../book/glossary.md#soft-token)**).

# %%
fig, ax = plt.subplots(figsize=(10, 1.4))
segments = [("text", len(before), "tab:blue"), ("image", image_tokens.shape[0], "tab:orange"),
            ("text", len(after), "tab:blue")]
start = 0
for label, length, colour in segments:
    ax.barh(0, length, left=start, color=colour, edgecolor="black")
    if length > 40:  # wide enough: label inside the bar
        ax.text(start + length / 2, 0, f"{label}\n{length}", ha="center", va="center", fontsize=8)
    else:  # a thin sliver: label above it
        side = "left" if start == 0 else "right"  # keep the label inside the frame
        ax.text(start + length / 2, 0.45, f"{label}: {length}", ha=side, va="bottom", fontsize=8)
    start += length
ax.set_xlim(0, start)
ax.set_ylim(-0.5, 0.9)
ax.set_yticks([])
ax.set_xlabel("position in the sequence (tokens)")
ax.set_title("One prompt with one 336-px image: what the language model reads")
plt.show()

# %% [markdown]
# ## Resolution sets the count
#
# With square images of side *R*, the count is (*R*/*P*)²: double the side and the tokens
# quadruple. The static figure below is computed from `count_patches`; the slider after it lets
# you explore the same relation on the photo when a kernel is running.

# %%
sides = np.arange(112, 1025, 16)
fig, ax = plt.subplots(figsize=(7, 4))
for p in (14, 16, 32):
    ok = sides[sides % p == 0]
    ax.plot(ok, [count_patches(int(s), int(s), p) for s in ok], marker=".", label=f"patch {p} px")
for s, p in [(224, 14), (336, 14), (512, 16)]:
    n = count_patches(s, s, p)
    ax.annotate(f"{s}px/{p}: {n:,}", (s, n), textcoords="offset points", xytext=(5, 8), fontsize=8)
ax.set_xlabel("image side R (pixels)")
ax.set_ylabel("patch tokens per image")
ax.set_title("Tokens per square image = (R / P)²")
ax.legend()
ax.grid(alpha=0.3)
plt.show()

# %% tags=["hide-input"]
import ipywidgets as widgets


def explore(side=336, patch=14):
    """Redraw the photo at ``side`` px with its ``patch``-px grid and token count."""
    side = side // patch * patch  # round down to a multiple of the patch size
    img = to_tensor(photo, size=(side, side)).permute(1, 2, 0).numpy()
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    draw_grid(ax, img, patch, f"{side}px, patch {patch}: {count_patches(side, side, patch):,} tokens")
    plt.show()


widgets.interact(explore, side=widgets.IntSlider(336, 112, 672, 56, description="side (px)"),
                 patch=widgets.Dropdown(options=[8, 14, 16, 32], value=14, description="patch (px)"));

# %% [markdown]
# ## Exercise
#
# ### Exercise 1.1: how many tokens?
#
# Write `tokens_for_image(height, width, patch, cls_token=False)` returning the number of tokens
# a ViT makes from an image of `height` × `width` pixels with square patches of side `patch`
# (both sides divisible by `patch`), plus one when `cls_token` is true.
#
# <details><summary>Hint</summary>
#
# Count the patches along each axis separately, then multiply: a 448 × 224 image with 14-px
# patches is a 32 × 16 grid. The `[CLS]` token is one extra token, not one per row.
#
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex1-1-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
def tokens_for_image(height, width, patch, cls_token=False):
    """Tokens a ViT makes from a ``height`` x ``width`` image with ``patch``-px patches."""
    ### BEGIN SOLUTION
    return (height // patch) * (width // patch) + (1 if cls_token else 0)
    ### END SOLUTION


# %% tags=["export"]
def check_tokens_for_image(fn, quiet=False):
    """Self-check for Exercise 1.1.

    In:  ``fn(height, width, patch, cls_token=False) -> int``.
    Out: True (correct), False (wrong; prints what and a hint) or None (not attempted).
    """
    say = (lambda *a: None) if quiet else print
    cases = [((336, 336, 14), {}, 576), ((512, 512, 16), {}, 1024), ((448, 224, 14), {}, 512),
             ((224, 224, 16), {"cls_token": True}, 197), ((224, 448, 32), {"cls_token": False}, 98)]
    for args, kwargs, want in cases:
        call = f"tokens_for_image{args[:3]}" + (f" with cls_token={kwargs['cls_token']}" if kwargs else "")
        try:
            got = fn(*args, **kwargs)
        except NotImplementedError:
            say("○ Not attempted yet: replace `raise NotImplementedError()` with your code.")
            return None
        except Exception as err:  # noqa: BLE001 - report any learner error as feedback
            say(f"✘ {call} raised {type(err).__name__}: {err}")
            return False
        if got != want:
            hint = ("Hint: patches per row times patches per column, not pixels divided once."
                    if not kwargs.get("cls_token") else
                    "Hint: the [CLS] token adds exactly one token to the patch count.")
            say(f"✘ {call} returned {got!r}, expected {want}. {hint}")
            return False
    say("✔ Correct: tokens = (H / P) · (W / P), plus one for [CLS].")
    return True


# %% nbgrader={"grade": true, "grade_id": "ex1-1-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_tokens_for_image(tokens_for_image)
### BEGIN HIDDEN TESTS
assert check_tokens_for_image(tokens_for_image, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# ## Quiz
#
# Click an answer to get feedback. (The quiz works without a running kernel; on the site its
# code is folded away so it does not give the answers away.)

# %% tags=["hide-input"]
from jupyterquiz import display_quiz

quiz = [
    {
        "question": "A 448 × 448 image is cut into 14-pixel patches. How many patch tokens?",
        "type": "numeric",
        "answers": [
            {"type": "value", "value": 1024, "correct": True,
             "feedback": "Right: 448 / 14 = 32 per side, 32 × 32 = 1,024."},
            {"type": "value", "value": 32, "correct": False,
             "feedback": "That is one side of the grid; the grid has rows × columns patches."},
            {"type": "default", "feedback": "Work it out per axis: 448 / 14 patches in each direction."},
        ],
    },
    {
        "question": "You switch a ViT from 16-px to 14-px patches at the same resolution. What changes?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "More tokens, and fewer numbers per patch; the width D stays the same",
             "correct": True,
             "feedback": "Yes. D is fixed by the transformer; only the patch embedding's input size changes."},
            {"answer": "The width D shrinks from 768 to 588", "correct": False,
             "feedback": "588 is the number of raw values in a 14×14 RGB patch; the linear layer maps it to D."},
            {"answer": "Nothing: the token count depends only on the image size", "correct": False,
             "feedback": "The count is (H/P)·(W/P): a smaller P means more patches."},
        ],
    },
    {
        "question": "Why does an image take up room in a language model's context window?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "Each image token is one position in the sequence the model reads", "correct": True,
             "feedback": "Right: the patch vectors replace the <image> placeholder, one position each."},
            {"answer": "The image is converted into words first", "correct": False,
             "feedback": "No words are involved: image tokens are continuous vectors (soft tokens)."},
            {"answer": "Only the file size in bytes counts", "correct": False,
             "feedback": "Bytes matter for upload, but the model pays per token position."},
        ],
    },
]
display_quiz(quiz)

# %% [markdown]
# ## What to remember
#
# - A ViT turns an *H* × *W* image into (*H*/*P*) · (*W*/*P*) patch tokens by a reshape; the
#   reshape is exactly reversible.
# - Each patch's *P*·*P*·3 numbers are mapped by one linear layer to the model width *D*, which
#   does not depend on *P*.
# - Image tokens take positions in the same sequence as text tokens: resolution is a price.
#
# **Next:** lesson 1.2 shows how the vectors of images and of captions come to live in one
# shared space.
