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
# # 3.5 Capstone: a tiny VLM
#
# Every lesson so far took one part of a vision-language model apart. Here we put all of them
# together and train a complete one, small enough to learn in about a minute on a laptop CPU:
# a Vision Transformer turns a picture into patch features, a two-layer MLP projects them into
# the language model's width, and a decoder-only transformer reads those image tokens followed
# by a question and answers it with one word. We train it in two stages, as LLaVA is trained
# ([Liu et al., 2023](https://arxiv.org/abs/2304.08485)): first we align the vision side by
# having the model describe scenes, then we teach it to answer questions. Finally we measure
# it honestly: per question type, against a baseline that never looks at the image, and with
# the cost of its image tokens timed.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pixels-to-tokens/pixels-to-tokens/blob/main/notebooks/3-deep-dive/3-5-capstone-tiny-vlm.ipynb)
#
# **What you will build**
# - a generator of scenes (2–4 coloured shapes) with four kinds of questions and one-word answers;
# - a tiny VLM: ViT encoder → MLP projector → causal language model over a word vocabulary;
# - stage 1 (alignment: describe the scene) and stage 2 (visual question answering), each with
#   a progress bar and a loss curve;
# - greedy decoding, accuracy per question type against a question-only ("blind") baseline;
# - a measurement of what more image tokens cost per training step;
# - a gallery of test scenes, and the model's mistakes explained.
#
# **Time to run:** one to two minutes of training on one laptop CPU core, under 200 s in all
# (see the benchmark table in the book); much less on a GPU.

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
import copy
import math
import time
from collections import Counter

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

SEED = 0
torch.manual_seed(SEED)
rng = np.random.default_rng(SEED)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
# Our matrices are tiny (width 64): a second CPU thread barely speeds them up, and when the cores
# are shared (other notebooks, a test runner) extra threads make every step many times slower.
torch.set_num_threads(1)
print(f"torch {torch.__version__}, running on {device}, {torch.get_num_threads()} CPU thread")

# %% [markdown]
# ## The plan
#
# A LLaVA-style VLM has three parts ([Liu et al., 2023](https://arxiv.org/abs/2304.08485);
# [Liu et al., 2023b](https://arxiv.org/abs/2310.03744)):
#
# 1. a **vision encoder** (a ViT) that turns the image into one feature vector per patch;
# 2. a **[projector](../../book/glossary.md#projector)** (in LLaVA-1.5 a two-layer MLP with a GELU) that maps each patch feature
#    to the language model's width, so it can sit in the sequence like a word embedding;
# 3. a **decoder-only language model** that reads the sequence *image tokens, then question* and
#    predicts the answer one token at a time, each position seeing only what came before it.
#
# LLaVA starts from a pretrained CLIP encoder and a pretrained language model. In stage 1 it
# freezes both and trains only the projector on image–caption pairs, so that image features
# land where the language model can read them; in stage 2 it keeps the encoder frozen and
# trains the projector and the language model on instructions and answers. We have no
# pretrained parts — everything starts from random weights — so our stage 1 has to teach the
# encoder to see *and* the language model to read; stage 2 then freezes the encoder, exactly as
# LLaVA does.
#
# The prototypes of this course showed why two stages matter at this scale too: a model
# trained on questions from the start learns to answer from the question alone and ignores the
# image. We will measure that "question-only" level as our baseline.

# %% [markdown]
# ## A small world of shapes
#
# Each scene is a 48 × 48 image divided into a 3 × 3 grid of 16-pixel cells. Two to four objects
# sit in distinct cells; each has one of five colours and one of four shapes, a random size
# (10–12 px), a jitter of up to 2 px inside its cell, a slightly randomised colour, and pixel
# noise on top. Objects never straddle cell borders: we will cut the image into 16-pixel
# patches, so each patch holds at most one object (prototypes here learned far more slowly when
# shapes were cut in half by patch borders).
#
# The cell below defines the words of this world and draws each shape as an anti-aliased mask
# (drawn at 4× resolution and averaged down, for clean edges).

# %% tags=["export"]
import numpy as np

COLOURS = {"red": (0.90, 0.15, 0.15), "green": (0.15, 0.75, 0.20), "blue": (0.20, 0.35, 0.95),
           "yellow": (0.95, 0.85, 0.10), "purple": (0.65, 0.25, 0.85)}
SHAPES = ["circle", "square", "triangle", "cross"]
PLURALS = {"circle": "circles", "square": "squares", "triangle": "triangles", "cross": "crosses"}
POSITIONS = ["top-left", "top", "top-right", "left", "centre", "right",
             "bottom-left", "bottom", "bottom-right"]  # cell k of the 3 x 3 grid, row-major
NUMBERS = ["zero", "one", "two", "three", "four"]
GRID, CELL = 3, 16
IMAGE_SIZE = GRID * CELL  # 48 px
BACKGROUND = (0.12, 0.12, 0.12)
SIZES = (10, 11, 12)


def shape_mask(shape, size, supersample=4):
    """Anti-aliased mask of one shape.

    In:  ``shape`` one of SHAPES; ``size`` the side in pixels (a positive int).
    Out: a float32 array (size, size) with values in [0, 1] (the fraction of each pixel covered).
    """
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; expected one of {SHAPES}")
    if not isinstance(size, int) or size <= 0:
        raise ValueError(f"size must be a positive int, got {size!r}")
    n = size * supersample
    y, x = (np.mgrid[0:n, 0:n] + 0.5) / n * 2 - 1  # pixel centres in [-1, 1]
    if shape == "circle":
        inside = x**2 + y**2 <= 1.0
    elif shape == "square":
        inside = (np.abs(x) <= 0.82) & (np.abs(y) <= 0.82)
    elif shape == "triangle":
        inside = (y >= -0.9) & (y <= 0.9) & (np.abs(x) <= (y + 0.9) / 1.8)
    else:  # cross
        inside = (np.abs(x) <= 0.3) | (np.abs(y) <= 0.3)
    return inside.reshape(size, supersample, size, supersample).mean(axis=(1, 3)).astype(np.float32)


MASKS = {(s, z): shape_mask(s, z) for s in SHAPES for z in SIZES}

# %%
fig, axes = plt.subplots(1, 4, figsize=(7, 2))
for ax, s in zip(axes, SHAPES):
    ax.imshow(MASKS[(s, 12)], cmap="gray", vmin=0, vmax=1)
    ax.set_title(s)
    ax.set_xlabel("x (px)")
axes[0].set_ylabel("y (px)")
fig.suptitle("The four shapes, 12 px masks (white = covered)")
plt.tight_layout()
plt.show()
assert all(m.shape == (12, 12) and 0 <= m.min() and m.max() <= 1 for (s, z), m in MASKS.items() if z == 12)

# %% [markdown]
# A scene is a list of objects `(colour, shape, cell)` sorted by cell, and `render_scene` paints
# it. Keeping the scene as symbols beside its picture is what lets us generate questions with
# exact answers.

# %% tags=["export"]
def sample_scene(rng, n_objects=None):
    """Draw a random scene.

    In:  ``rng`` a numpy Generator; ``n_objects`` 2, 3 or 4 (random if None).
    Out: a list of (colour, shape, cell) tuples, one per object, sorted by cell (0..8, row-major).
    """
    if n_objects is None:
        n_objects = int(rng.integers(2, 5))
    if n_objects not in (2, 3, 4):
        raise ValueError(f"a scene holds 2, 3 or 4 objects, got {n_objects!r}")
    cells = sorted(int(c) for c in rng.choice(GRID * GRID, size=n_objects, replace=False))
    return [(str(rng.choice(list(COLOURS))), str(rng.choice(SHAPES)), c) for c in cells]


def render_scene(scene, rng, jitter=2):
    """Paint a scene.

    In:  ``scene`` a list of (colour, shape, cell); ``rng`` a numpy Generator (size, jitter,
         colour and pixel noise); ``jitter`` the largest shift in pixels inside a cell.
    Out: a float32 array (48, 48, 3) with values in [0, 1].
    """
    img = np.empty((IMAGE_SIZE, IMAGE_SIZE, 3), np.float32)
    img[:] = BACKGROUND
    for colour, shape, cell in scene:
        if colour not in COLOURS or shape not in SHAPES or not 0 <= cell < GRID * GRID:
            raise ValueError(f"bad object {(colour, shape, cell)!r}")
        size = int(rng.choice(SIZES))
        row, col = divmod(cell, GRID)
        dy, dx = rng.integers(-jitter, jitter + 1, size=2)
        offset = (CELL - size) // 2
        y0 = int(np.clip(row * CELL + offset + dy, row * CELL, row * CELL + CELL - size))
        x0 = int(np.clip(col * CELL + offset + dx, col * CELL, col * CELL + CELL - size))
        rgb = np.clip(np.array(COLOURS[colour]) + rng.normal(0, 0.05, 3), 0, 1).astype(np.float32)
        m = MASKS[(shape, size)][..., None]  # (size, size, 1)
        patch = img[y0:y0 + size, x0:x0 + size]
        img[y0:y0 + size, x0:x0 + size] = patch * (1 - m) + rgb * m
    img += rng.normal(0, 0.02, size=img.shape).astype(np.float32)
    return np.clip(img, 0, 1)


# %%
demo_scenes = [sample_scene(rng) for _ in range(6)]
demo_images = [render_scene(s, rng) for s in demo_scenes]
fig, axes = plt.subplots(1, 6, figsize=(13, 2.6))
for ax, s, im in zip(axes, demo_scenes, demo_images):
    ax.imshow(im, extent=(0, IMAGE_SIZE, IMAGE_SIZE, 0))
    for k in (CELL, 2 * CELL):
        ax.axhline(k, color="white", lw=0.4, alpha=0.5)
        ax.axvline(k, color="white", lw=0.4, alpha=0.5)
    ax.set_title("\n".join(f"{c} {sh} @{POSITIONS[k]}" for c, sh, k in s), fontsize=7)
    ax.set_xlabel("x (px)")
axes[0].set_ylabel("y (px)")
fig.suptitle("Random scenes with their symbolic description (faint lines: the 16-px patch grid)")
plt.tight_layout()
plt.show()
assert demo_images[0].shape == (48, 48, 3)

# %% [markdown]
# ## Questions with exact answers
#
# Four question types, each answered with one word:
#
# | type | example | answers |
# |---|---|---|
# | colour | *what colour is the circle ?* | 5 colours |
# | shape | *what shape is the red object ?* | 4 shapes |
# | count | *how many circles are there ?* | zero … four |
# | position | *where is the red circle ?* | 9 grid positions |
#
# A question must have exactly one right answer, so `ask` only names an object that is unique
# in its scene (the only circle, the only red object, the only red circle) and returns `None`
# when the scene has no such object; counting works in every scene, zero included.

# %% tags=["export"]
QUESTION_TYPES = ["colour", "shape", "count", "position"]


def ask(scene, qtype, rng):
    """Make one question about a scene.

    In:  ``scene`` a list of (colour, shape, cell); ``qtype`` one of QUESTION_TYPES;
         ``rng`` a numpy Generator (which object or shape is asked about).
    Out: (question words, answer word), or None if the scene cannot support this type
         (no object unique enough to be named).
    """
    if qtype not in QUESTION_TYPES:
        raise ValueError(f"unknown question type {qtype!r}; expected one of {QUESTION_TYPES}")
    colours = [c for c, _, _ in scene]
    shapes = [s for _, s, _ in scene]
    pairs = [(c, s) for c, s, _ in scene]
    if qtype == "count":
        shape = SHAPES[int(rng.integers(len(SHAPES)))]
        return ["how", "many", PLURALS[shape], "are", "there", "?"], NUMBERS[shapes.count(shape)]
    unique = {"colour": [o for o in scene if shapes.count(o[1]) == 1],
              "shape": [o for o in scene if colours.count(o[0]) == 1],
              "position": [o for o in scene if pairs.count((o[0], o[1])) == 1]}[qtype]
    if not unique:
        return None
    colour, shape, cell = unique[int(rng.integers(len(unique)))]
    if qtype == "colour":
        return ["what", "colour", "is", "the", shape, "?"], colour
    if qtype == "shape":
        return ["what", "shape", "is", "the", colour, "object", "?"], shape
    return ["where", "is", "the", colour, shape, "?"], POSITIONS[cell]


def describe(scene):
    """The scene description used in stage 1: '<colour> <shape> <position>' per object, in cell order."""
    words = []
    for colour, shape, cell in scene:
        words += [colour, shape, POSITIONS[cell]]
    return words


# %%
for qtype in QUESTION_TYPES:
    q = ask(demo_scenes[0], qtype, rng)
    print(f"{qtype:9s}", " ".join(q[0]) if q else "(not possible in this scene)", "->", q[1] if q else "")
print("description:", " ".join(describe(demo_scenes[0])))
assert ask([("red", "circle", 0), ("red", "circle", 4)], "colour", rng) is None  # two circles: ambiguous
assert ask([("red", "circle", 0), ("blue", "circle", 4)], "position", rng)[1] in ("top-left", "centre")

# %% [markdown]
# ## A word vocabulary
#
# Our language model works on whole words, not subword pieces: a few dozen words describe this
# whole world (the cell below prints them), plus a few special tokens. `<pad>` fills short sequences, `<eos>` ends an answer, `describe :`
# is the stage-1 prompt, and `nothing` is the word for an empty cell (used in stage 1).

# %% tags=["export"]
SPECIALS = ["<pad>", "<eos>", "describe", ":", "nothing"]
WORDS = sorted({"what", "colour", "is", "the", "shape", "object", "?", "how", "many", "are",
                "there", "where"} | set(PLURALS.values()) | set(SHAPES) | set(COLOURS)
               | set(POSITIONS) | set(NUMBERS))
VOCAB = SPECIALS + WORDS
STOI = {w: i for i, w in enumerate(VOCAB)}
PAD, EOS = STOI["<pad>"], STOI["<eos>"]


def encode(words):
    """Words -> list of token ids. Raises ValueError naming any word outside VOCAB."""
    if isinstance(words, str):
        raise TypeError("encode takes a list of words, not a string; use text.split()")
    unknown = [w for w in words if w not in STOI]
    if unknown:
        raise ValueError(f"words not in the vocabulary: {unknown}")
    return [STOI[w] for w in words]


def decode(ids):
    """Token ids -> list of words."""
    return [VOCAB[int(i)] for i in ids]


# %%
print(len(VOCAB), "tokens:", " ".join(VOCAB))
ids = encode("where is the red circle ?".split())
print(ids, "->", decode(ids))
assert decode(encode(["how", "many", "crosses", "are", "there", "?"])) == ["how", "many", "crosses", "are", "there", "?"]
try:
    encode(["what", "colour", "is", "the", "hexagon", "?"])
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# ## Training and test data
#
# We draw 4,000 training scenes and, with a different seed, a held-out test set of 2,000 *new*
# scenes with one question each, 500 per type. Because sizes, jitter, colours and noise are
# random, no test image equals a training image; the cell also reports how many test scenes
# have a symbolic layout (the same objects in the same cells) that occurs among the training
# scenes, so we can check the model does not merely remember layouts.

# %%
N_TRAIN, N_TEST_PER_TYPE = 4000, 500
t0 = time.time()
train_scenes = [sample_scene(rng) for _ in range(N_TRAIN)]
train_images = np.stack([render_scene(s, rng) for s in train_scenes])  # (N, 48, 48, 3)

test_rng = np.random.default_rng(SEED + 1000)
test_set = []  # (scene, image, question words, answer, qtype)
for i in range(N_TEST_PER_TYPE * len(QUESTION_TYPES)):
    qtype = QUESTION_TYPES[i % len(QUESTION_TYPES)]
    while True:
        scene = sample_scene(test_rng)
        qa = ask(scene, qtype, test_rng)
        if qa is not None:
            break
    test_set.append((scene, render_scene(scene, test_rng), qa[0], qa[1], qtype))
print(f"generated {N_TRAIN} training scenes and {len(test_set)} test questions in {time.time() - t0:.1f} s")

train_layouts = {tuple(s) for s in train_scenes}
seen_layout = np.array([tuple(t[0]) in train_layouts for t in test_set])
print(f"test scenes whose exact layout also occurs in training: {seen_layout.mean():.1%}")
print("test questions per type:", Counter(t[4] for t in test_set))


# %% [markdown]
# Images become tensors of shape (N, 3, 48, 48) on the device, scaled to [-1, 1].

# %%
def to_batch(images):
    """(N, 48, 48, 3) float array in [0, 1] -> (N, 3, 48, 48) tensor in [-1, 1] on the device."""
    return (torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2) * 2 - 1).to(device)


X_train = to_batch(train_images)  # (4000, 3, 48, 48)
X_test = to_batch(np.stack([t[1] for t in test_set]))  # (2000, 3, 48, 48)
print(tuple(X_train.shape), tuple(X_test.shape))
assert X_train.shape == (N_TRAIN, 3, 48, 48) and X_test.min() >= -1 and X_test.max() <= 1

# %% [markdown]
# ## The model, part by part
#
# ### The causal mask
#
# In a decoder-only language model, position *i* may attend to positions 0 … *i* and never to
# later ones: that is what lets it be trained on every position at once and then generate one
# token at a time. The mask is a lower-triangular boolean matrix (`True` = may attend). The
# image tokens come first, so every text token sees the whole image, and the image tokens never
# see the question. (PaliGemma, by contrast, lets the image and the question attend to each
# other in both directions ([Beyer et al., 2024](https://arxiv.org/abs/2407.07726)); we keep the
# plain causal form.) Exercise 3.11 asks you to write this mask yourself.

# %% tags=["export"]
import torch


def causal_mask(length, device=None):
    """Boolean (length, length) mask: entry [i, j] is True where query i may attend to key j (j <= i)."""
    if not isinstance(length, int) or isinstance(length, bool) or length <= 0:
        raise ValueError(f"length must be a positive int, got {length!r}")
    return torch.ones(length, length, dtype=torch.bool, device=device).tril()


# %%
print(causal_mask(5).int())
assert torch.equal(causal_mask(4), torch.tensor([[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]], dtype=torch.bool))

# %% [markdown]
# ### One transformer block
#
# Both the encoder and the language model are stacks of the same pre-norm block: multi-head
# self-attention, then a two-layer MLP, each added back to the residual stream
# ([Vaswani et al., 2017](https://arxiv.org/abs/1706.03762); lesson 3.1 builds attention from
# first principles). The encoder's blocks let every patch see every other patch; the language
# model's blocks receive the causal mask.

# %% tags=["export"]
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    """Pre-norm transformer block. In/out: (B, T, width); ``mask`` (T, T) bool or None (full attention)."""

    def __init__(self, width, heads):
        super().__init__()
        if width % heads:
            raise ValueError(f"width {width} is not divisible by heads {heads}")
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x, mask=None):
        B, T, D = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(B, T, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)
        # q, k, v: (B, heads, T, D/heads)
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # (B, heads, T, D/heads)
        x = x + self.out(a.transpose(1, 2).reshape(B, T, D))  # (B, T, D)
        return x + self.mlp(self.norm2(x))


# %%
blk = Block(64, 4)
h = torch.randn(2, 7, 64)
print("block:", tuple(blk(h).shape), "| with the causal mask:", tuple(blk(h, causal_mask(7)).shape))
assert blk(h).shape == (2, 7, 64)
# causality: changing the last token must not change the outputs at earlier positions
h2 = h.clone()
h2[:, -1] += 1.0
assert torch.allclose(blk(h, causal_mask(7))[:, :-1], blk(h2, causal_mask(7))[:, :-1], atol=1e-6)

# %% [markdown]
# ### The vision encoder
#
# A ViT ([Dosovitskiy et al., 2020](https://arxiv.org/abs/2010.11929)): a strided convolution
# cuts the image into *P* × *P* patches and maps each to the encoder's width (exactly the linear
# [patch embedding](../../book/glossary.md#patch-embedding) of lesson 2.1), learned [position embeddings](../../book/glossary.md#position-embedding) are added, and two blocks mix the
# patches. With 48-px images and 16-px patches that is (48/16)² = 9 image tokens.
#
# One addition: before patching we append a fourth, colour-free input channel, the **ink** —
# each pixel's distance from the background colour, which we estimate from the image's border.
# A red circle and a blue circle look completely different in the RGB channels but identical
# in the ink channel, so one set of weights can learn "circle" for every colour. (The CLIP
# prototypes of this course found the same channel fixed shape errors on low-contrast colours.)

# %% tags=["export"]
class TinyViT(nn.Module):
    """ViT encoder. In: images (B, 3, S, S) in [-1, 1]. Out: patch features (B, (S/P)^2, width)."""

    def __init__(self, image_size=48, patch=16, width=64, depth=2, heads=4):
        super().__init__()
        if image_size % patch:
            raise ValueError(f"patch {patch} does not divide image size {image_size}")
        self.image_size, self.patch = image_size, patch
        self.n_tokens = (image_size // patch) ** 2
        self.embed = nn.Conv2d(4, width, kernel_size=patch, stride=patch)  # RGB + ink -> width
        self.pos = nn.Parameter(torch.randn(1, self.n_tokens, width) * 0.02)
        self.blocks = nn.ModuleList([Block(width, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(width)

    @staticmethod
    def ink(images):
        """(B, 3, S, S) -> (B, 1, S, S): distance of each pixel from the median border colour."""
        border = torch.cat([images[:, :, 0], images[:, :, -1], images[:, :, :, 0], images[:, :, :, -1]], -1)
        background = border.median(dim=-1).values  # (B, 3)
        diff = images - background[:, :, None, None]  # (B, 3, S, S)
        return (diff * diff).sum(dim=1, keepdim=True).sqrt()  # (B, 1, S, S)

    def forward(self, images):
        if images.dim() != 4 or images.shape[1:] != (3, self.image_size, self.image_size):
            raise ValueError(f"expected images of shape (B, 3, {self.image_size}, {self.image_size}), "
                             f"got {tuple(images.shape)}")
        x = torch.cat([images, self.ink(images)], dim=1)  # (B, 4, S, S)
        x = self.embed(x).flatten(2).transpose(1, 2) + self.pos  # (B, N, width)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)


# %%
vit = TinyViT().to(device)
feats = vit(X_train[:8])
print("images", tuple(X_train[:8].shape), "-> patch features", tuple(feats.shape))
assert feats.shape == (8, 9, 64)

# %% [markdown]
# ### The projector and the language model
#
# The projector is LLaVA-1.5's [connector](../../book/glossary.md#connector): Linear → GELU → Linear, applied to each patch feature
# on its own, so 9 patch features become 9 image tokens of the language model's width (lesson
# 3.4 compares it with other connectors).
#
# The language model embeds words (a table of `len(VOCAB)` vectors), adds learned position
# embeddings to the whole sequence, runs causal blocks, and scores every vocabulary word at
# every position with the **same** embedding table (tied input and output embeddings,
# [Press & Wolf, 2017](https://arxiv.org/abs/1608.05859)). Two details matter at this scale:
# the word embeddings start small (std 0.02: with unit-variance embeddings a tied head starts
# with huge logits and a prototype's loss stayed stuck for 200 steps), and the image tokens
# come first in the sequence, the question after them.

# %% tags=["export"]
class TinyVLM(nn.Module):
    """ViT encoder -> MLP projector -> causal language model over a word vocabulary.

    forward(images, tokens) -> logits (B, N_img + T, vocab): position N_img + t - 1 predicts token t.
    In:  images (B, 3, 48, 48) in [-1, 1] (or ``feats`` (B, N_img, vision width) from a frozen
         encoder); tokens (B, T) int64 word ids.
    """

    def __init__(self, vocab_size, image_size=48, patch=16, vision_width=64, width=64,
                 vision_depth=2, depth=2, heads=4, max_text=24):
        super().__init__()
        self.encoder = TinyViT(image_size, patch, vision_width, vision_depth, heads)
        self.n_image = self.encoder.n_tokens
        self.projector = nn.Sequential(nn.Linear(vision_width, width), nn.GELU(), nn.Linear(width, width))
        self.embed = nn.Embedding(vocab_size, width)
        nn.init.normal_(self.embed.weight, std=0.02)
        self.pos = nn.Parameter(torch.randn(1, self.n_image + max_text, width) * 0.02)
        self.blocks = nn.ModuleList([Block(width, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(width)
        self.max_text = max_text

    def forward(self, images, tokens, feats=None):
        if not torch.is_tensor(tokens) or tokens.dtype != torch.long or tokens.dim() != 2:
            raise TypeError("tokens must be an int64 tensor of shape (B, T)")
        if tokens.shape[1] > self.max_text:
            raise ValueError(f"text of {tokens.shape[1]} tokens exceeds max_text={self.max_text}")
        if feats is None:
            feats = self.encoder(images)  # (B, N_img, vision width)
        if feats.shape[0] != tokens.shape[0]:
            raise ValueError(f"{feats.shape[0]} images but {tokens.shape[0]} token rows")
        x = torch.cat([self.projector(feats), self.embed(tokens)], dim=1)  # (B, N_img + T, width)
        x = x + self.pos[:, : x.shape[1]]
        mask = causal_mask(x.shape[1], device=x.device)
        for block in self.blocks:
            x = block(x, mask)
        return self.norm(x) @ self.embed.weight.T  # (B, N_img + T, vocab)


# %%
torch.manual_seed(SEED)
model = TinyVLM(len(VOCAB)).to(device)
tokens = torch.tensor([encode("where is the red circle ?".split())] * 8, device=device)  # (8, 6)
logits = model(X_train[:8], tokens)
print("tokens", tuple(tokens.shape), "-> logits", tuple(logits.shape), "= (batch, 9 image + 6 text, vocabulary)")
assert logits.shape == (8, 9 + 6, len(VOCAB))
n_params = {name: sum(p.numel() for p in part.parameters()) for name, part in
            [("encoder", model.encoder), ("projector", model.projector)]}
n_params["language model"] = sum(p.numel() for p in model.parameters()) - sum(n_params.values())
print("parameters:", {k: f"{v:,}" for k, v in n_params.items()}, f"total {sum(n_params.values()):,}")
try:
    model(X_train[:8, :, :32, :32], tokens)
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# Here is one training sequence as the language model sees it: nine image tokens ([soft tokens](../../book/glossary.md#soft-token):
# vectors with no word behind them), then the question, then the answer. The loss is computed
# only on the answer and the `<eos>` after it: the question is given, not predicted. The
# helper `make_batch` pads sequences to a common length and marks the positions that carry a
# loss.

# %% tags=["export"]
def make_batch(prompts, targets, device=None):
    """Pack word sequences into tensors.

    In:  ``prompts`` list of word lists (given, no loss); ``targets`` list of word lists (predicted).
    Out: tokens (B, T) int64 padded with <pad>; loss_mask (B, T) bool, True on target tokens.
    """
    if len(prompts) != len(targets):
        raise ValueError(f"{len(prompts)} prompts but {len(targets)} targets")
    rows = [(encode(p), encode(t)) for p, t in zip(prompts, targets)]
    length = max(len(p) + len(t) for p, t in rows)
    tokens = torch.full((len(rows), length), PAD, dtype=torch.long)
    loss_mask = torch.zeros(len(rows), length, dtype=torch.bool)
    for i, (p, t) in enumerate(rows):
        tokens[i, : len(p) + len(t)] = torch.tensor(p + t)
        loss_mask[i, len(p): len(p) + len(t)] = True
    return tokens.to(device), loss_mask.to(device)


def text_loss(model, images, tokens, loss_mask, feats=None):
    """Mean cross-entropy on the target tokens; position N_img + t - 1 predicts token t."""
    logits = model(images, tokens, feats)[:, model.n_image - 1: -1]  # (B, T, vocab)
    return F.cross_entropy(logits[loss_mask], tokens[loss_mask])


# %%
q, a = ask(train_scenes[0], "count", rng)
tok, lm = make_batch([q], [[a, "<eos>"]])
print(f"{'position':>8}  {'input':<10} loss?")
for i in range(model.n_image):
    print(f"{i:>8}  [image {i}]")
for j, (t, m) in enumerate(zip(decode(tok[0]), lm[0].tolist())):
    print(f"{model.n_image + j:>8}  {t:<10} {'yes' if m else ''}")
assert lm[0].sum() == 2

# %% [markdown]
# ## Stage 1: align the vision side by describing scenes
#
# The first stage gives the model a task it cannot fake from text: after the prompt
# `describe :`, write the scene's description, object by object in reading order,
# *colour shape position* each, then `<eos>`. No word of the description can be guessed
# without looking.
#
# We add a second, denser signal that goes through the language model too: at each **image
# token's own position**, the language model's output head must score the words of what that
# patch contains (half the probability on its colour, half on its shape) or `nothing` for an
# empty cell. Image tokens come first in the causal sequence, so these positions see only the
# image. This pulls every image token towards the word embeddings that describe it — alignment
# in its most literal form. Without it, prototypes of this lesson learned colours and positions
# but stayed at chance on shapes: the language model had no reason to look for shape features
# the encoder did not yet provide, and the encoder got no signal to provide them.
#
# All three parts are trained in stage 1 (LLaVA trains only the projector here, because its
# encoder and language model are already pretrained; ours are not).

# %% tags=["export"]
import math


def patch_word_targets(scenes, vocab_size, n_cells=9):
    """Soft targets (N, n_cells, vocab): 0.5 on colour + 0.5 on shape for an object's cell, 1 on 'nothing' if empty."""
    targets = torch.zeros(len(scenes), n_cells, vocab_size)
    targets[:, :, STOI["nothing"]] = 1.0
    for i, scene in enumerate(scenes):
        for colour, shape, cell in scene:
            targets[i, cell, STOI["nothing"]] = 0.0
            targets[i, cell, STOI[colour]] = 0.5
            targets[i, cell, STOI[shape]] = 0.5
    return targets


def lr_schedule(step, total, warmup):
    """Linear warm-up over ``warmup`` steps, then cosine decay to zero at ``total``."""
    return min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(step, total) / total))


# %%
PATCH_TARGETS = patch_word_targets(train_scenes, len(VOCAB)).to(device)  # (4000, 9, vocab)
assert PATCH_TARGETS.shape == (N_TRAIN, 9, len(VOCAB)) and torch.allclose(PATCH_TARGETS.sum(-1), torch.ones(N_TRAIN, 9, device=device))

STAGE1_STEPS, STAGE2_STEPS, BATCH, LR = 700, 2500, 64, 3e-3


def train(params, steps, loss_fn, desc, seed):
    """AdamW with warm-up + cosine decay and gradient clipping.

    ``loss_fn(batch_rng)`` returns a tuple of loss tensors (summed for the update).
    Returns (losses (steps, parts) array, wall seconds, CPU seconds).
    """
    opt = torch.optim.AdamW(params, lr=LR, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_schedule(s, steps, max(1, steps // 10)))
    batch_rng = np.random.default_rng(seed)
    losses = []
    wall, cpu = time.time(), time.process_time()
    for _ in tqdm(range(steps), desc=desc):
        loss_parts = loss_fn(batch_rng)
        loss = sum(loss_parts)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        losses.append([part.item() for part in loss_parts])
    return np.array(losses), time.time() - wall, time.process_time() - cpu


def stage1_loss(batch_rng):
    """Description loss + patch-word loss on a random batch of training scenes."""
    idx = batch_rng.integers(0, N_TRAIN, BATCH)
    tokens, mask = make_batch([["describe", ":"]] * BATCH,
                              [describe(train_scenes[i]) + ["<eos>"] for i in idx], device)
    logits = model(X_train[idx], tokens)  # (B, 9 + T, vocab)
    describe_loss = F.cross_entropy(logits[:, model.n_image - 1: -1][mask], tokens[mask])
    patch_logits = logits[:, : model.n_image].reshape(-1, len(VOCAB))  # (B*9, vocab)
    patch_loss = F.cross_entropy(patch_logits, PATCH_TARGETS[idx].reshape(-1, len(VOCAB)))
    return describe_loss, patch_loss


torch.manual_seed(SEED)
model = TinyVLM(len(VOCAB)).to(device)
losses1, wall1, cpu1 = train(list(model.parameters()), STAGE1_STEPS, stage1_loss, "stage 1: describe", seed=1)
print(f"stage 1: {STAGE1_STEPS} steps in {wall1:.1f} s wall, {cpu1:.1f} s CPU")

# %%
def smooth(y, k=25):
    """Moving average over k steps (for readable loss curves)."""
    return np.convolve(y, np.ones(k) / k, mode="valid")


fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(smooth(losses1[:, 0]), label="description (next-word) loss")
ax.plot(smooth(losses1[:, 1]), label="patch-word loss at image positions")
floor = float(-(PATCH_TARGETS * PATCH_TARGETS.clamp_min(1e-12).log()).sum(-1).mean())  # mean target entropy
ax.axhline(floor, color="C1", ls=":", label=f"lowest possible patch-word loss ({floor:.2f})")
ax.set_yscale("log")
ax.set_xlabel("training step")
ax.set_ylabel("cross-entropy (nats, log scale)")
ax.set_title("Stage 1: aligning the vision side (moving average of 25 steps)")
ax.legend()
plt.show()

# %% [markdown]
# The patch-word loss cannot reach zero: its targets put half the probability on the colour and
# half on the shape, so an object's cell costs at least ln 2 nats, and averaged over all nine
# cells (most of them empty) the loss can only fall to the dotted line. The description loss
# can reach zero.
#
# ### Greedy decoding
#
# To *use* the model we generate: feed the image and the prompt, take the highest-scoring next
# word (greedy decoding), append it, and repeat until `<eos>`. Exercise 3.12 asks you to write
# the loop yourself for any model given as a next-token function.

# %% tags=["export"]
@torch.no_grad()
def greedy_decode(model, images, prompts, max_new=14, feats=None):
    """Greedy generation for a batch.

    In:  ``images`` (B, 3, 48, 48) (or ``feats``); ``prompts`` list of B word lists.
    Out: list of B word lists, each generated word up to (not including) <eos>.
    """
    was_training = model.training
    model.eval()
    tokens, _ = make_batch(prompts, [[] for _ in prompts], device=next(model.parameters()).device)
    lengths = torch.tensor([len(p) for p in prompts], device=tokens.device)
    out = [[] for _ in prompts]
    done = [False] * len(prompts)
    rows = torch.arange(len(prompts), device=tokens.device)
    for _ in range(max_new):
        logits = model(images, tokens, feats)  # (B, N_img + T, vocab)
        nxt = logits[rows, model.n_image + lengths - 1].argmax(-1)  # (B,) next word after each prompt
        if tokens.shape[1] <= int(lengths.max()):
            tokens = torch.cat([tokens, torch.full_like(tokens[:, :1], PAD)], dim=1)
        tokens[rows, lengths] = nxt
        lengths = lengths + 1
        for i, t in enumerate(nxt.tolist()):
            if not done[i]:
                if t == EOS:
                    done[i] = True
                else:
                    out[i].append(VOCAB[t])
        if all(done):
            break
    model.train(was_training)
    return out


# %%
test_images = X_test[:500]
descriptions = greedy_decode(model, test_images, [["describe", ":"]] * 500)
exact = np.mean([d == describe(t[0]) for d, t in zip(descriptions, test_set[:500])])
for d, t in list(zip(descriptions, test_set))[:3]:
    print("model:", " ".join(d), "\ntrue: ", " ".join(describe(t[0])), "\n")
print(f"held-out scenes described exactly right (every word): {exact:.1%}")
assert exact > 0.6, "stage 1 did not align the vision side; check the training cell"

# %% [markdown]
# ## Stage 2: visual question answering
#
# Now the questions. Following LLaVA's second stage we **freeze the encoder** and train the
# projector and the language model. A frozen encoder has a useful side effect: its patch
# features never change, so we compute them once for all training images and never run the
# ViT again during stage 2.
#
# Each training sequence holds **one** question about one image. Packing all the questions
# about an image into one sequence would give more supervision per step, but the later
# questions could then read the earlier answers (a count answer gives away part of a colour
# answer), so training and testing would differ. The loss covers the answer word and `<eos>`.

# %%
model_after_stage1 = copy.deepcopy(model)  # kept to diagnose mistakes at the end
for p in model.encoder.parameters():
    p.requires_grad_(False)
with torch.no_grad():
    model.eval()
    train_feats = torch.cat([model.encoder(X_train[i:i + 500]) for i in range(0, N_TRAIN, 500)])  # (4000, 9, 64)
    test_feats = torch.cat([model.encoder(X_test[i:i + 500]) for i in range(0, len(X_test), 500)])
    model.train()
print("cached encoder features:", tuple(train_feats.shape), tuple(test_feats.shape))


def sample_question(scene, batch_rng):
    """A random question of a random type the scene supports -> (words, answer, type)."""
    while True:
        qtype = QUESTION_TYPES[int(batch_rng.integers(len(QUESTION_TYPES)))]
        qa = ask(scene, qtype, batch_rng)
        if qa is not None:
            return qa[0], qa[1], qtype


def stage2_loss(batch_rng):
    idx = batch_rng.integers(0, N_TRAIN, BATCH)
    qas = [sample_question(train_scenes[i], batch_rng) for i in idx]
    tokens, mask = make_batch([q for q, _, _ in qas], [[a, "<eos>"] for _, a, _ in qas], device)
    return (text_loss(model, None, tokens, mask, feats=train_feats[idx]),)


trainable = [p for p in model.parameters() if p.requires_grad]
print(f"trainable in stage 2: {sum(p.numel() for p in trainable):,} parameters (encoder frozen)")
losses2, wall2, cpu2 = train(trainable, STAGE2_STEPS, stage2_loss, "stage 2: questions", seed=2)
print(f"stage 2: {STAGE2_STEPS} steps in {wall2:.1f} s wall, {cpu2:.1f} s CPU")

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(smooth(losses2[:, 0]))
ax.set_yscale("log")
ax.set_xlabel("training step")
ax.set_ylabel("cross-entropy on answer + <eos> (nats, log scale)")
ax.set_title("Stage 2: question answering (moving average of 25 steps)")
plt.show()

# %%
train_wall, train_cpu = wall1 + wall2, cpu1 + cpu2
print(f"training, both stages: {train_wall:.1f} s wall clock, {train_cpu:.1f} s CPU time "
      f"(CPU threads: {torch.get_num_threads()}, device: {device})")

# %% [markdown]
# ## Evaluation: one question per sequence, greedy answers
#
# Every test question is its own sequence: nine image tokens, the question, and one greedily
# decoded word (we stop after the first word; the answer vocabulary is single words).

# %%
answers = []
for start in range(0, len(test_set), 500):
    chunk = test_set[start:start + 500]
    out = greedy_decode(model, None, [t[2] for t in chunk], max_new=1, feats=test_feats[start:start + 500])
    answers += [o[0] if o else "" for o in out]
correct = np.array([a == t[3] for a, t in zip(answers, test_set)])
qtypes = np.array([t[4] for t in test_set])
accuracy = {q: correct[qtypes == q].mean() for q in QUESTION_TYPES}
accuracy["overall"] = correct.mean()

# %% [markdown]
# ### The blind baseline
#
# How well can one answer *without looking*? The best any question-only model can do is to
# give, for each question, the answer most often right for that exact question in the training
# distribution (for *how many circles are there ?* that is the most common count). We estimate
# that lookup table from 50,000 questions on training scenes. Blind baselines like this one
# exposed how much early VQA models answered from language priors
# ([Agrawal et al., 2016](https://arxiv.org/abs/1606.07356);
# [Goyal et al., 2017](https://arxiv.org/abs/1612.00837)).

# %%
prior_rng = np.random.default_rng(SEED + 7)
by_question = {}
for _ in range(50_000):
    q, a, _ = sample_question(train_scenes[int(prior_rng.integers(N_TRAIN))], prior_rng)
    by_question.setdefault(" ".join(q), Counter())[a] += 1
blind = np.array([t[3] == by_question.get(" ".join(t[2]), Counter({"": 1})).most_common(1)[0][0] for t in test_set])
blind_accuracy = {q: blind[qtypes == q].mean() for q in QUESTION_TYPES}
blind_accuracy["overall"] = blind.mean()

print(f"{'question type':<14}{'tiny VLM':>10}{'blind':>10}")
for k in QUESTION_TYPES + ["overall"]:
    print(f"{k:<14}{accuracy[k]:>10.1%}{blind_accuracy[k]:>10.1%}")
print(f"\non test scenes whose layout never occurs in training: {correct[~seen_layout].mean():.1%} "
      f"({(~seen_layout).sum()} questions)")

# %% [markdown]
# The bar this lesson sets itself: at least 85 % overall and at least 70 % on every question
# type, well above the blind baseline, with both stages trained in under 180 s on two CPU
# cores. The assertion below checks the accuracies (the timing is measured above; a busy
# machine can be slower than the budget without the model being wrong).

# %%
assert accuracy["overall"] >= 0.85, f"overall accuracy {accuracy['overall']:.1%} is below the 85% bar"
for k in QUESTION_TYPES:
    assert accuracy[k] >= 0.70, f"{k} accuracy {accuracy[k]:.1%} is below the 70% bar"
    assert accuracy[k] > blind_accuracy[k] + 0.2, f"{k}: not clearly better than answering blind"
print(f"bar met: {accuracy['overall']:.1%} overall (blind: {blind_accuracy['overall']:.1%}), "
      f"lowest type {min(accuracy[k] for k in QUESTION_TYPES):.1%}; "
      f"training {train_wall:.0f} s wall / {train_cpu:.0f} s CPU")

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
xs = np.arange(len(QUESTION_TYPES) + 1)
keys = QUESTION_TYPES + ["overall"]
ax.bar(xs - 0.2, [100 * blind_accuracy[k] for k in keys], 0.4, label="blind (question only)", color="0.6")
ax.bar(xs + 0.2, [100 * accuracy[k] for k in keys], 0.4, label="tiny VLM", color="C0")
ax.axhline(85, color="C3", ls="--", lw=1, label="85 % bar (overall)")
ax.set_xticks(xs, keys)
ax.set_ylabel("test accuracy (%)")
ax.set_ylim(0, 105)
ax.set_title(f"Held-out test set, {len(test_set)} questions, one per sequence")
ax.legend(loc="lower right", fontsize=8)
plt.show()

# %% [markdown]
# ## What do image tokens cost?
#
# Lesson 3.3 counted the tokens real models spend on an image: with patch side *P*, an
# *H* × *W* image becomes (*H*/*P*) · (*W*/*P*) tokens (before any merging). Our model is tiny,
# but the arithmetic is the same. Below we rebuild it with 16-, 8- and 4-pixel patches — 9, 36
# and 144 image tokens for the same 48-px picture, as if the resolution were raised 1×, 2× and
# 4× at a fixed patch size — and time stage-1 training steps (forward and backward, batch 64).
# Only the image part of the sequence grows; the text part stays about 14 tokens.

# %%
def time_per_step(patch, steps=4):
    """Median seconds of one stage-1 training step of a fresh model with this patch size."""
    torch.manual_seed(SEED)
    m = TinyVLM(len(VOCAB), patch=patch).to(device)
    opt = torch.optim.AdamW(m.parameters(), lr=LR)
    tokens, mask = make_batch([["describe", ":"]] * BATCH, [describe(s) + ["<eos>"] for s in train_scenes[:BATCH]], device)
    times = []
    for i in range(steps + 1):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        loss = text_loss(m, X_train[:BATCH], tokens, mask)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if i:  # the first step warms up
            times.append(time.perf_counter() - t)
    return float(np.median(times)), m.n_image, m.n_image + tokens.shape[1]


cost = [(p, *time_per_step(p)) for p in (16, 8, 4)]
base = cost[0][1]
print(f"{'patch':>6}{'image tokens':>14}{'sequence':>10}{'ms / step':>11}{'× time':>8}")
for p, t, n, length in cost:
    print(f"{p:>6}{n:>14}{length:>10}{1000 * t:>11.1f}{t / base:>8.1f}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot([n for _, _, n, _ in cost], [1000 * t for _, t, _, _ in cost], "o-")
for p, t, n, _ in cost:
    ax.annotate(f"patch {p}", (n, 1000 * t), textcoords="offset points", xytext=(5, -12), fontsize=8)
ax.set_xlabel("image tokens per image")
ax.set_ylabel("time per training step (ms)")
ax.set_title(f"Cost of image tokens in the tiny VLM (batch {BATCH}, {device})")
plt.show()

# %% [markdown]
# More image tokens make every step slower (the table above gives the factors on your machine):
# every image token passes through every encoder block, and the language model's sequence is
# the image tokens plus about fifteen words, so both parts grow; attention also compares every
# pair of positions. Lesson 3.1 showed where that quadratic term takes over (around a thousand
# tokens). A real VLM pays this price per image on every request, which
# is why lesson 3.3's tiling rules and lesson 3.4's token-reducing connectors exist. Here 9
# tokens were enough because each object fills exactly one patch; finer detail would need
# more.

# %% [markdown]
# ## A gallery of test scenes
#
# Two test questions of each type, with the model's greedy answer (green: right, red: wrong).

# %%
gallery = [i for q in QUESTION_TYPES for i in np.flatnonzero(qtypes == q)[:2]]
fig, axes = plt.subplots(2, 4, figsize=(12, 7.4))
for ax, i in zip(axes.T.flat, gallery):
    scene, image, q, a, qt = test_set[i]
    ax.imshow(image)
    ax.set_title(f"{' '.join(q)}\nmodel: {answers[i]}   true: {a}", fontsize=8,
                 color="green" if correct[i] else "red")
    ax.axis("off")
fig.suptitle("Test scenes the model never saw: question, greedy answer, true answer")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## The mistakes, explained
#
# Which part of the model is to blame for a wrong answer? We kept a copy of the model as it was
# after stage 1. Its encoder is exactly the frozen encoder the final model uses, and it can
# still describe scenes. If that description of a failed scene is already wrong, the **vision**
# side missed something; if the description is right but the answer wrong, the fault lies in the
# **question answering** (the projector and language model trained in stage 2).

# %%
wrong = np.flatnonzero(~correct)
print(f"{len(wrong)} wrong answers out of {len(test_set)}; per type:",
      dict(Counter(qtypes[wrong].tolist())))
wrong_desc = greedy_decode(model_after_stage1, X_test[wrong], [["describe", ":"]] * len(wrong)) if len(wrong) else []
blame = Counter()
for i, d in zip(wrong, wrong_desc):
    blame["vision (description wrong)" if d != describe(test_set[i][0]) else "question answering (description right)"] += 1
print("where the fault lies:", dict(blame))
by_n = {n: (1 - correct[[len(t[0]) == n for t in test_set]]).mean() for n in (2, 3, 4)}
print("error rate by number of objects:", {n: f"{e:.1%}" for n, e in by_n.items()})

# %%
show = wrong[:6]
if len(show):
    fig, axes = plt.subplots(1, len(show), figsize=(2.6 * len(show), 3.8), squeeze=False)
    for ax, i, d in zip(axes[0], show, wrong_desc):
        scene, image, q, a, qt = test_set[i]
        ax.imshow(image)
        ok = d == describe(scene)
        ax.set_title(f"{' '.join(q)}\nmodel: {answers[i]}  true: {a}\nstage-1 description "
                     f"{'right' if ok else 'wrong'}", fontsize=7, color="red")
        ax.axis("off")
    fig.suptitle("Failures on the test set")
    plt.tight_layout()
    plt.show()
    for i, d in zip(show, wrong_desc):
        print(f"{' '.join(test_set[i][2]):<36} model {answers[i]:<12} true {test_set[i][3]:<12}")
        print(f"    true scene : {' '.join(describe(test_set[i][0]))}")
        print(f"    stage 1 saw: {' '.join(d)}")

# %% [markdown]
# Read the printout above as a detective would. When the stage-1 description misses or mislabels
# the object the question is about, the encoder's features never carried the answer and no
# amount of question training could recover it. When the description is right, the features did
# carry it and the language model failed to read it out — typically on counting, where the
# answer needs several image tokens combined rather than one token found and read.

# %% [markdown]
# ## What we did not manage: relations between two objects
#
# A natural next question type is a relation: *is the red circle left of the blue square ?*
# (yes or no). Answering it needs two objects found and their columns compared. While writing
# this lesson we trained this model with such questions mixed into stage 2, and they stayed at
# the level of a coin flip, while the four types above were learned; an earlier prototype
# failed the same way even when its language model was fed perfect symbolic image tokens. We
# leave the experiment out of this notebook to keep it fast. Relations are a known weak spot
# of vision-language models far larger than ours
# ([Yuksekgonul et al., 2022](https://arxiv.org/abs/2210.01936)). If you have CPU time to
# spare, add the type to `ask` and the vocabulary and see whether more steps or a deeper
# language model get it off the floor.

# %% [markdown]
# ## Exercises
#
# ### Exercise 3.11: the causal mask
#
# Write `causal_mask_exercise(length)` returning a `(length, length)` boolean tensor whose entry
# `[i, j]` is `True` exactly when position `i` may attend to position `j` in a decoder-only
# language model.
#
# <details><summary>Hint</summary>
#
# A position sees itself and everything before it. `torch.tril` keeps the lower triangle of a
# matrix, diagonal included.
#
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex3-5-1-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
def causal_mask_exercise(length):
    """Boolean (length, length) tensor, True where query i may attend to key j."""
    ### BEGIN SOLUTION
    return torch.ones(length, length, dtype=torch.bool).tril()
    ### END SOLUTION


# %% tags=["export"]
import torch


def _run_learner(fn, args, say):
    """Call a learner's function; return (ok, value). Prints 'not attempted' or the error."""
    try:
        return True, fn(*args)
    except NotImplementedError:
        say("○ Not attempted yet: replace `raise NotImplementedError()` with your code.")
        return None, None
    except Exception as err:  # noqa: BLE001 - any learner error becomes feedback
        say(f"✘ Your function raised {type(err).__name__}: {err}")
        return False, None


def check_causal_mask(fn, quiet=False):
    """Self-check for Exercise 3.11. In: ``fn(length) -> (length, length) bool tensor``.

    Out: True (correct), False (wrong; prints what and a hint) or None (not attempted).
    """
    say = (lambda *a: None) if quiet else print
    for n in (3, 6, 1):
        ok, got = _run_learner(fn, (n,), say)
        if ok is not True:
            return ok
        want = torch.ones(n, n, dtype=torch.bool).tril()
        if not torch.is_tensor(got) or got.shape != (n, n):
            say(f"✘ For length {n} expected a ({n}, {n}) tensor, got {getattr(got, 'shape', type(got).__name__)}.")
            return False
        if got.dtype != torch.bool:
            say(f"✘ Expected a boolean tensor (True = may attend), got dtype {got.dtype}.")
            return False
        if torch.equal(got, want):
            continue
        if torch.equal(got, want.T):
            say("✘ Your mask is transposed: row i is the query, so row 0 may see only column 0. "
                "Hint: keep the lower triangle.")
            return False
        if torch.equal(got, want & ~torch.eye(n, dtype=torch.bool)):
            say("✘ The diagonal is missing: a position may attend to itself (otherwise position 0 sees nothing).")
            return False
        say(f"✘ For length {n} the mask is wrong:\n{got.int()}\nHint: position i sees positions 0..i.")
        return False
    say("✔ Correct: each position attends to itself and to every earlier position.")
    return True


# %% nbgrader={"grade": true, "grade_id": "ex3-5-1-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_causal_mask(causal_mask_exercise)
### BEGIN HIDDEN TESTS
assert check_causal_mask(causal_mask_exercise, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3.12: greedy decoding
#
# Write `greedy_exercise(next_logits, prompt, eos, max_new)`. `next_logits(ids)` takes the list
# of token ids so far and returns a 1-D tensor of scores for the next token. Starting from the
# list `prompt`, repeatedly append the highest-scoring token; stop when that token is `eos`
# (do not include it) or after `max_new` new tokens. Return only the **new** tokens, as a list
# of ints.
#
# <details><summary>Hint</summary>
#
# A loop: `nxt = int(next_logits(ids).argmax())`; break if it is `eos`; otherwise append it to
# both the running sequence and the output. Call `next_logits` on the whole sequence so far,
# not on the prompt only.
#
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex3-5-2-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
def greedy_exercise(next_logits, prompt, eos, max_new):
    """Greedy decoding with a next-token scoring function; returns the new token ids (no eos)."""
    ### BEGIN SOLUTION
    ids, new = list(prompt), []
    for _ in range(max_new):
        nxt = int(next_logits(ids).argmax())
        if nxt == eos:
            break
        ids.append(nxt)
        new.append(nxt)
    return new
    ### END SOLUTION


# %% tags=["export"]
import torch


def _toy_next_logits(vocab=6):
    """A deterministic toy 'language model': the next token is (sum of ids so far * 7 + 3) % vocab."""
    def next_logits(ids):
        scores = torch.zeros(vocab)
        scores[(sum(ids) * 7 + 3) % vocab] = 1.0
        return scores
    return next_logits


def _toy_greedy(next_logits, prompt, eos, max_new):
    ids, new = list(prompt), []
    for _ in range(max_new):
        nxt = int(next_logits(ids).argmax())
        if nxt == eos:
            break
        ids.append(nxt)
        new.append(nxt)
    return new


def check_greedy(fn, quiet=False):
    """Self-check for Exercise 3.12. In: ``fn(next_logits, prompt, eos, max_new) -> list[int]``.

    Out: True (correct), False (wrong; prints what and a hint) or None (not attempted).
    """
    say = (lambda *a: None) if quiet else print
    cases = [([1, 2], 5, 10), ([0], 2, 10), ([4, 4, 1], 0, 3), ([3], 99, 6)]
    for prompt, eos, max_new in cases:
        want = _toy_greedy(_toy_next_logits(), prompt, eos, max_new)
        ok, got = _run_learner(fn, (_toy_next_logits(), list(prompt), eos, max_new), say)
        if ok is not True:
            return ok
        if not isinstance(got, list):
            say(f"✘ Return a list of ints, got {type(got).__name__}.")
            return False
        got = [int(g) for g in got]
        call = f"prompt={prompt}, eos={eos}, max_new={max_new}"
        if got == want:
            continue
        if got[: len(prompt)] == list(prompt) and got[len(prompt):] == want:
            say(f"✘ With {call} you returned the prompt too. Hint: return only the new tokens.")
        elif got == want + [eos]:
            say(f"✘ With {call} your output ends with the eos token. Hint: stop before appending it.")
        elif len(got) > len(want) and got[: len(want)] == want:
            say(f"✘ With {call} you kept going after eos (or past max_new): got {got}, expected {want}.")
        else:
            say(f"✘ With {call} got {got}, expected {want}. Hint: feed the whole sequence so far "
                "(prompt + new tokens) to next_logits at every step.")
        return False
    say("✔ Correct: greedy decoding appends the arg-max token until eos or max_new.")
    return True


# %% nbgrader={"grade": true, "grade_id": "ex3-5-2-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_greedy(greedy_exercise)
### BEGIN HIDDEN TESTS
assert check_greedy(greedy_exercise, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3.13: a new question type
#
# Add a fifth question type that asks about a place instead of an object:
# *what shape is the top-left object ?* Write `ask_shape_at(scene, cell)` returning
# `(question words, answer)` for grid cell `cell` (0–8, row-major as in `POSITIONS`): the
# question names the cell's position word, and the answer is the shape in that cell, or
# `nothing` if the cell is empty. Every word, question and answer, must be in `VOCAB`, so the
# model could be trained on it as it is.
#
# <details><summary>Hint</summary>
#
# The question can be `["what", "shape", "is", "the", POSITIONS[cell], "object", "?"]`
# (`encode` raises an error for any word outside the vocabulary, so try it). Objects in a scene
# are `(colour, shape, cell)` tuples; look for the one whose cell matches. Cells are numbered
# row by row: cell = 3 · row + column.
#
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex3-5-3-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
def ask_shape_at(scene, cell):
    """'what shape is the <position> object ?' -> (question words, shape word or 'nothing')."""
    ### BEGIN SOLUTION
    answer = next((shape for _, shape, c in scene if c == cell), "nothing")
    return ["what", "shape", "is", "the", POSITIONS[cell], "object", "?"], answer
    ### END SOLUTION


# %% tags=["export"]
import numpy as np


def check_shape_at(fn, quiet=False):
    """Self-check for Exercise 3.13. In: ``fn(scene, cell) -> (question words, answer word)``.

    Out: True (correct), False (wrong; prints what and a hint) or None (not attempted).
    """
    say = (lambda *a: None) if quiet else print
    rng = np.random.default_rng(123)
    for _ in range(60):
        scene = sample_scene(rng)
        cell = int(rng.integers(GRID * GRID))
        ok, got = _run_learner(fn, (scene, cell), say)
        if ok is not True:
            return ok
        if not (isinstance(got, tuple) and len(got) == 2 and isinstance(got[0], list)):
            say("✘ Return a tuple (question words as a list, answer word).")
            return False
        words, answer = got
        unknown = [w for w in list(words) + [answer] if w not in STOI]
        if unknown:
            say(f"✘ Words not in VOCAB: {unknown}. The model can only read and write vocabulary words.")
            return False
        if POSITIONS[cell] not in words:
            say(f"✘ The question for cell {cell} must name its position {POSITIONS[cell]!r}.")
            return False
        want = next((s for _, s, c in scene if c == cell), "nothing")
        if answer != want:
            transposed = next((s for _, s, c in scene if c == (cell % 3) * 3 + cell // 3), "nothing")
            hint = ("Hint: cells are row-major, cell = 3 * row + column." if answer == transposed else
                    "Hint: answer with the shape word of the object in that cell, or 'nothing'.")
            say(f"✘ Scene {scene}, cell {cell}: answered {answer!r}, expected {want!r}. {hint}")
            return False
    say("✔ Correct: a fifth question type, in the model's own vocabulary.")
    return True


# %% nbgrader={"grade": true, "grade_id": "ex3-5-3-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_shape_at(ask_shape_at)
### BEGIN HIDDEN TESTS
assert check_shape_at(ask_shape_at, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# To go further, add your question type to `sample_question`, rerun stage 2 (the encoder is
# frozen, so stage 1 need not be repeated) and measure its accuracy the same way.
#
# ## Quiz
#
# Click an answer to get feedback. (The quiz works without a running kernel; on the site its
# code is folded away so it does not give the answers away.)

# %% tags=["hide-input"]
from jupyterquiz import display_quiz

quiz = [
    {
        "question": "A VQA model scores 60 % overall. What must you know before calling that good?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "What a question-only (blind) model scores on the same test", "correct": True,
             "feedback": "Yes: if the blind baseline is also near 60 %, the model has learned nothing from the image."},
            {"answer": "The number of parameters of the language model", "correct": False,
             "feedback": "Size says nothing about whether the image is used; a blind baseline does."},
            {"answer": "The training loss at the last step", "correct": False,
             "feedback": "A low loss can come entirely from language priors; compare with a blind baseline."},
        ],
    },
    {
        "question": "Why could we compute the encoder's features once and reuse them throughout stage 2?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "The encoder is frozen in stage 2, so its output for an image never changes", "correct": True,
             "feedback": "Right: only the projector and language model learn; the encoder is a fixed function."},
            {"answer": "The projector is linear", "correct": False,
             "feedback": "The projector is an MLP and it is trained in stage 2; it runs on every step."},
            {"answer": "Questions do not depend on the image", "correct": False,
             "feedback": "They do; but the encoder's features do not depend on the question in this design."},
        ],
    },
    {
        "question": "You halve the patch size of a ViT at the same resolution. Roughly how many image tokens does the language model now read?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "Four times as many", "correct": True,
             "feedback": "Yes: (H/P)·(W/P) grows by 2 × 2. Each step costs more, as measured above."},
            {"answer": "Twice as many", "correct": False,
             "feedback": "The patch size shrinks along both axes, so the grid grows in both."},
            {"answer": "The same: the projector decides the token count", "correct": False,
             "feedback": "An MLP projector keeps one token per patch; only merging or resampling connectors change the count (lesson 3.4)."},
        ],
    },
    {
        "question": "CLIP-style alignment and the description stage both tie images to words. Which ability do they NOT guarantee?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "Relations between objects (what is left of what)", "correct": True,
             "feedback": "Right: models can know every object and still fail on relations (ARO, Winoground; our own prototype stayed at chance)."},
            {"answer": "Naming the colour of a single object", "correct": False,
             "feedback": "That is exactly what alignment teaches, and our model does it almost perfectly."},
            {"answer": "Producing image features the language model can read", "correct": False,
             "feedback": "That is the purpose of alignment (LLaVA's stage 1)."},
        ],
    },
]
display_quiz(quiz)

# %% [markdown]
# ## What to remember
#
# - A VLM is an encoder, a projector and a language model; image tokens go first in one causal
#   sequence, and the answer is generated greedily after the question.
# - Train the vision side to be *read* before asking questions (stage 1), then freeze it and
#   train question answering (stage 2). Without the first stage a small model answers from the
#   question alone.
# - Always report accuracy per question type beside a blind baseline, on held-out scenes, one
#   question per sequence.
# - Every image token costs compute on every step: the token count, (*H*/*P*) · (*W*/*P*), is
#   the knob that sets the price — in this tiny model just as in the real ones of lesson 3.3.
