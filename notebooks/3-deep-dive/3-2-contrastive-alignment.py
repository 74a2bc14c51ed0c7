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
# # 3.2 Contrastive alignment, deeper
#
# Lesson 2.2 trained a tiny CLIP and read off its zero-shot accuracy. This lesson opens the
# training objective up and measures what it does and what it does not do. We look at the
# learned temperature (the *logit scale*) and what it does to the softmax and to the loss; at
# the batch as a supply of negatives; at the **modality gap**, the odd fact that image and text
# embeddings of a trained CLIP live in two separate regions of the shared space; at prompt
# templates for zero-shot classification; and finally at what alignment does *not* give you:
# a model can match "a red circle left of a blue square" to the right picture and still be
# unable to tell it from "a blue square left of a red circle". Every number is measured on
# models trained in this notebook.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pixels-to-tokens/pixels-to-tokens/blob/main/notebooks/3-deep-dive/3-2-contrastive-alignment.ipynb)
#
# **What you will build**
# - the symmetric contrastive loss with a logit scale, and the floor the scale puts under it;
# - a tiny CLIP on synthetic shapes, trained with 1, 15 and 127 negatives per example;
# - a modality-gap report (centroid distance, linear separability, cosines) at the learned
#   temperature and with the logit scale fixed at 100;
# - zero-shot classifiers from single prompt templates and from a template ensemble;
# - three encoder pairs tested on captions whose objects or relation are swapped, and a
#   hard-negative (NegCLIP-style) loss.
#
# **Time to run:** about one to two minutes on a laptop CPU, most of it training eight tiny
# models (see the benchmark table in the book; the last cell prints this run's time).

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
import math
import textwrap
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

SEED = 0
torch.manual_seed(SEED)
rng = np.random.default_rng(SEED)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
WALL0, CPU0 = time.perf_counter(), time.process_time()  # the last cell reports the run time
print(f"torch {torch.__version__}, running on {device}, {torch.get_num_threads()} CPU threads")

# %% [markdown]
# ## 1. The loss, with its temperature
#
# CLIP ([Radford et al., 2021](https://arxiv.org/abs/2103.00020)) encodes a batch of *N*
# images and their *N* captions, L2-normalises both, and forms the *N* × *N* matrix of cosine
# similarities. Each row is a classification problem: which of the *N* captions belongs to
# this image? Each column asks the same about images. The loss is the average of the two
# cross-entropies. Before the softmax, every cosine is multiplied by a **[logit scale](../../book/glossary.md#logit-scale-temperature)** *s*
# (the inverse of a temperature τ = 1/*s*). CLIP learns *s* as a parameter, starting at
# 1/0.07 ≈ 14.3 and clipping it at 100.
#
# Our version also takes an optional `group`: splitting the batch into groups of `group`
# examples and contrasting only inside each group gives every example `group − 1`
# negatives while the data and the number of steps stay the same. We use it in section 3.

# %% tags=["export"]
import torch
import torch.nn.functional as F


def contrastive_loss(image_emb, text_emb, logit_scale, group=None):
    """Symmetric InfoNCE loss of CLIP.

    In:  ``image_emb`` and ``text_emb`` (N, D) tensors, row i of each a matching pair,
         already L2-normalised; ``logit_scale`` a positive float or 0-d tensor (1/temperature);
         ``group`` None (every other example in the batch is a negative) or an int k that
         divides N (contrast only inside consecutive groups of k, i.e. k - 1 negatives each).
    Out: a 0-d tensor, the mean of the image->text and text->image cross-entropies.
    """
    if not (torch.is_tensor(image_emb) and torch.is_tensor(text_emb)):
        raise TypeError("image_emb and text_emb must be torch tensors")
    if image_emb.dim() != 2 or image_emb.shape != text_emb.shape:
        raise ValueError(f"expected two (N, D) tensors of the same shape, got "
                         f"{tuple(image_emb.shape)} and {tuple(text_emb.shape)}")
    scale_value = float(torch.as_tensor(logit_scale).detach())
    if scale_value <= 0:
        raise ValueError(f"logit_scale must be positive, got {scale_value}")
    n, d = image_emb.shape
    k = n if group is None else group
    if not isinstance(k, int) or k < 2 or n % k:
        raise ValueError(f"group must be an int >= 2 that divides the batch size {n}, got {group!r}")
    img = image_emb.reshape(n // k, k, d)  # (G, k, D)
    txt = text_emb.reshape(n // k, k, d)  # (G, k, D)
    logits = logit_scale * img @ txt.transpose(1, 2)  # (G, k, k): row = image, column = text
    target = torch.arange(k, device=image_emb.device).repeat(n // k)  # (G*k,)
    loss_i2t = F.cross_entropy(logits.reshape(-1, k), target)
    loss_t2i = F.cross_entropy(logits.transpose(1, 2).reshape(-1, k), target)
    return (loss_i2t + loss_t2i) / 2


# %% [markdown]
# Two sanity checks. With random embeddings and *s* near 0 every caption is equally likely,
# so the loss is the chance level log *N*. Grouping into pairs makes the chance level log 2.

# %%
emb_a = F.normalize(torch.randn(128, 32), dim=-1)
emb_b = F.normalize(torch.randn(128, 32), dim=-1)
print(f"N = 128, s = 1e-6:  loss {contrastive_loss(emb_a, emb_b, 1e-6):.4f}   log 128 = {math.log(128):.4f}")
print(f"groups of 2, s=1e-6: loss {contrastive_loss(emb_a, emb_b, 1e-6, group=2):.4f}   log 2 = {math.log(2):.4f}")
assert abs(contrastive_loss(emb_a, emb_b, 1e-6).item() - math.log(128)) < 1e-4
assert abs(contrastive_loss(emb_a, emb_b, 1e-6, group=2).item() - math.log(2)) < 1e-4
try:
    contrastive_loss(emb_a, emb_b[:100], 14.3)
except ValueError as err:
    print("bad input caught:", err)

# %% [markdown]
# ### What the scale does to one row
#
# Take one image and 128 captions. Real CLIP cosines are small and bunched together (CLIPScore
# multiplies them by 2.5 just to spread them out, [Hessel et al., 2021](https://arxiv.org/abs/2104.08718)).
# Below, the right caption has cosine 0.32 and the 127 wrong ones lie between 0.10 and 0.28. The
# ranking is already right; the scale decides how *confident* the softmax is about it.

# %%
row = torch.cat([torch.tensor([0.32]), 0.10 + 0.18 * torch.rand(127)])  # index 0 is the match
scales = [1.0, 1 / 0.07, 100.0]
fig, axes = plt.subplots(1, 3, figsize=(12, 3), sharey=True)  # log scale: small shares stay visible
for ax, s in zip(axes, scales):
    p = torch.softmax(s * row, dim=0)
    order = torch.argsort(row, descending=True)
    ax.bar(range(128), p[order].numpy(), color=["tab:red"] + ["tab:gray"] * 127, width=1.0)
    ax.set_title(f"logit scale s = {s:.1f}: p(match) = {p[0]:.3f}")
    ax.set_xlabel("caption, sorted by cosine")
    ax.set_yscale("log")
    ax.set_ylim(1e-6, 1.5)
axes[0].set_ylabel("softmax probability (log scale)")
plt.tight_layout()
plt.show()
for s in scales:
    p = torch.softmax(s * row, dim=0)
    print(f"s = {s:6.1f}: p(match) = {p[0]:.3f}, loss for this row = {-torch.log(p[0]):.3f}")
p_match = {s: torch.softmax(s * row, dim=0)[0].item() for s in scales}
assert p_match[1.0] < 0.05 and p_match[1 / 0.07] < 0.5 < p_match[100.0]  # the claims below

# %% [markdown]
# At *s* = 1 the softmax is almost uniform: the loss stays near log 128 even though the match
# has the highest cosine. At CLIP's starting value most of the mass is still on the wrong
# captions. At 100 the match takes a clear share. A small scale therefore means a high
# **loss floor**. Even perfect embeddings cannot push the loss down if the logits cannot grow:
# the best *N* unit vectors can do is spread out evenly (a regular simplex, every cosine
# between different vectors equal to −1/(*N*−1)), and the loss at that optimum depends only on
# *s* and *N*.

# %%
def simplex_loss_floor(n, s):
    """Loss of n perfectly separated pairs (regular simplex, image = text) at logit scale s."""
    cos_other = -1.0 / (n - 1)
    return math.log(1 + (n - 1) * math.exp(-s * (1 - cos_other)))


# check the formula against the loss of an actual simplex in n - 1 + 1 dimensions
n_check = 8
simplex = F.normalize(torch.eye(n_check) - 1.0 / n_check, dim=-1)  # (8, 8), centred one-hot rows
assert abs(contrastive_loss(simplex, simplex, 5.0).item() - simplex_loss_floor(n_check, 5.0)) < 1e-5
s_grid = np.logspace(0, 2, 50)
floors = [simplex_loss_floor(128, s) for s in s_grid]
plt.figure(figsize=(5, 3))
plt.semilogx(s_grid, floors)
plt.axvline(1 / 0.07, color="gray", ls=":", label="CLIP's initial scale 14.3")
plt.axhline(math.log(128), color="gray", ls="--", label="chance, log 128")
plt.xlabel("logit scale s (1/temperature)")
plt.ylabel("lowest possible loss (nats)")
plt.title("The loss floor of a batch of 128")
plt.legend()
plt.show()
for s in scales:
    print(f"s = {s:6.1f}: floor = {simplex_loss_floor(128, s):.3g} nats")

# %% [markdown]
# This is why the scale has to be learned and allowed to grow: with *s* fixed near 1 the
# gradient keeps pushing embeddings apart long after the ranking is perfect.
#
# The scale also decides **which negatives teach**. The gradient of the row's loss with
# respect to a negative's logit is that negative's softmax probability, so the weights of the
# negatives are their share of the softmax. Their *effective number*, 1/Σ*q*ᵢ² with *q* the
# negatives' renormalised probabilities, is 127 when all count equally and 1 when one hard
# negative takes all the gradient.

# %%
def effective_negatives(row_cos, s):
    """1 / sum(q^2) of the softmax weights q of the negatives (entries 1: of row_cos)."""
    q = torch.softmax(s * row_cos[1:], dim=0)
    return (1.0 / (q**2).sum()).item()


eff = [effective_negatives(row, s) for s in s_grid]
plt.figure(figsize=(5, 3))
plt.semilogx(s_grid, eff)
plt.xlabel("logit scale s")
plt.ylabel("effective number of negatives")
plt.title("Larger scale: fewer, harder negatives carry the gradient")
plt.show()
for s in scales:
    print(f"s = {s:6.1f}: effective negatives = {effective_negatives(row, s):.1f} of 127")
assert effective_negatives(row, 1.0) > effective_negatives(row, 100.0)

# %% [markdown]
# ## 2. A tiny CLIP to measure
#
# We need a model whose every number we can compute in seconds. The data are synthetic:
# one coloured shape (4 colours × 4 shapes, small or large, anywhere) on a grey, noisy
# 32 × 32 background. Shapes are drawn from signed distance functions, with one pixel of
# anti-aliasing, so thousands of images take a second and need no image library.

# %% tags=["export"]
import math

import torch

COLOURS = {"red": (0.90, 0.15, 0.15), "green": (0.15, 0.75, 0.20),
           "blue": (0.20, 0.35, 0.95), "yellow": (0.95, 0.85, 0.15)}
SHAPES = ["circle", "square", "triangle", "cross"]


def shape_distance(shape, dx, dy, r):
    """Signed distance (pixels, negative inside) of the point (dx, dy) from a shape of size r
    centred at 0. ``shape`` is an index into SHAPES; ``dx``, ``dy``, ``r`` broadcast."""
    ax, ay = dx.abs(), dy.abs()
    if shape == 0:  # circle of radius r
        return torch.sqrt(dx**2 + dy**2) - r
    if shape == 1:  # axis-aligned square
        return torch.maximum(ax, ay) - 0.85 * r
    if shape == 2:  # upward triangle: the largest of three half-plane distances
        return torch.maximum(torch.maximum(dy, 0.866 * dx - 0.5 * dy), -0.866 * dx - 0.5 * dy) - 0.65 * r
    if shape == 3:  # plus-shaped cross: union of two bars
        return torch.minimum(torch.maximum(ax - r, ay - 0.38 * r), torch.maximum(ax - 0.38 * r, ay - r))
    raise ValueError(f"shape must be an index into SHAPES (0..{len(SHAPES) - 1}), got {shape!r}")


def render_shapes(images, colour, shape, cx, cy, r, generator):
    """Paint one shape into each image of a batch (returns a new tensor).

    In:  ``images`` (B, 3, H, W) floats in [0, 1]; ``colour``, ``shape`` (B,) int tensors
         (indices into COLOURS and SHAPES); ``cx``, ``cy``, ``r`` (B,) float tensors, centre
         and size in pixels; ``generator`` a torch.Generator for the colour jitter.
    Out: (B, 3, H, W) images with the shapes painted, anti-aliased over one pixel.
    """
    if images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"images must have shape (B, 3, H, W), got {tuple(images.shape)}")
    b, _, h, w = images.shape
    ys = torch.arange(h).float().view(1, h, 1) + 0.5
    xs = torch.arange(w).float().view(1, 1, w) + 0.5
    dx, dy, rr = xs - cx.view(b, 1, 1), ys - cy.view(b, 1, 1), r.view(b, 1, 1)  # (B, H, W)
    dist = torch.empty(b, h, w)
    for k in range(len(SHAPES)):
        m = shape == k
        if m.any():
            dist[m] = shape_distance(k, dx[m], dy[m], rr[m])
    palette = torch.tensor(list(COLOURS.values()))
    rgb = (palette[colour] + 0.05 * torch.randn(b, 3, generator=generator)).view(b, 3, 1, 1)
    cover = (0.5 - dist).clamp(0, 1).unsqueeze(1)  # (B, 1, H, W): fraction of pixel inside
    return images * (1 - cover) + rgb * cover


def grey_backgrounds(b, h, w, generator):
    """(b, 3, h, w) grey backgrounds: a random level in [0.15, 0.45] plus pixel noise."""
    level = 0.15 + 0.3 * torch.rand(b, 1, 1, 1, generator=generator)
    return level.expand(b, 3, h, w) + 0.03 * torch.randn(b, 3, h, w, generator=generator)


def to_uint8(images):
    """Float images in [0, 1] -> uint8 (4x less memory; models divide by 255 again)."""
    return (images.clamp(0, 1) * 255).round().to(torch.uint8)


# %% [markdown]
# Captions come from five templates, some of which mention the size. The templates matter in
# section 5, where we classify with prompts.

# %% tags=["export"]
import torch

SIZES = ["small", "large"]
TRAIN_TEMPLATES = ["a {c} {s}", "a {z} {c} {s}", "a picture of a {c} {s}",
                   "a {c} {s} on a grey background", "there is a {z} {c} {s} here"]


def make_single_shapes(n, seed):
    """n images with one shape each, and their labels.

    Out: dict with ``images`` (n, 3, 32, 32) uint8, ``colour``, ``shape``, ``size`` (n,) ints
         (size 0 = small, 1 = large) and ``label`` = colour * len(SHAPES) + shape.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    g = torch.Generator().manual_seed(seed)
    colour = torch.randint(0, len(COLOURS), (n,), generator=g)
    shape = torch.randint(0, len(SHAPES), (n,), generator=g)
    size = torch.randint(0, 2, (n,), generator=g)
    r = torch.where(size == 1, 9.0, 6.0) + torch.rand(n, generator=g)
    cx = 16 + (torch.rand(n, generator=g) - 0.5) * 2 * (15 - r)
    cy = 16 + (torch.rand(n, generator=g) - 0.5) * 2 * (15 - r)
    images = render_shapes(grey_backgrounds(n, 32, 32, g), colour, shape, cx, cy, r, g)
    return {"images": to_uint8(images), "colour": colour, "shape": shape, "size": size,
            "label": colour * len(SHAPES) + shape}


def single_captions(data, seed):
    """One caption per image, each from a randomly chosen TRAIN_TEMPLATE."""
    g = torch.Generator().manual_seed(seed)
    pick = torch.randint(0, len(TRAIN_TEMPLATES), (len(data["label"]),), generator=g).tolist()
    names = list(COLOURS)
    return [TRAIN_TEMPLATES[t].format(c=names[c], s=SHAPES[s], z=SIZES[z])
            for t, c, s, z in zip(pick, data["colour"].tolist(), data["shape"].tolist(),
                                  data["size"].tolist())]


# %%
t0 = time.process_time()
train1 = make_single_shapes(12000, seed=1)
test1 = make_single_shapes(2000, seed=2)
train1_caps = single_captions(train1, seed=3)
test1_caps = single_captions(test1, seed=4)
print(f"made {len(train1_caps) + len(test1_caps)} images in {time.process_time() - t0:.1f} s CPU")
print("images:", tuple(train1["images"].shape), train1["images"].dtype)  # (12000, 3, 32, 32) uint8
assert train1["images"].shape == (12000, 3, 32, 32) and test1["label"].max() < 16

fig, axes = plt.subplots(2, 8, figsize=(12, 3.4))
for i, ax in enumerate(axes.flat):
    ax.imshow(train1["images"][i].permute(1, 2, 0).numpy())
    ax.set_title(textwrap.fill(train1_caps[i], 18), fontsize=7)
    ax.axis("off")
fig.suptitle("Training images (32 × 32 px) and their captions")
plt.tight_layout()
plt.show()

# %% [markdown]
# The tokenizer is a word list. Every word the notebook uses is in it; any other word becomes
# `<unk>` (we will feed it one on purpose). Index 0 is padding.

# %% tags=["export"]
import torch

VOCAB = (["<pad>", "<unk>"]
         + sorted({w for t in TRAIN_TEMPLATES for w in t.split() if "{" not in w} | {"left", "right"})
         + list(COLOURS) + SHAPES + SIZES)
WORD_ID = {w: i for i, w in enumerate(VOCAB)}
MAX_WORDS = 8


def tokenize(captions):
    """List of captions -> (len(captions), MAX_WORDS) long tensor of word ids, 0-padded."""
    if isinstance(captions, str) or not all(isinstance(c, str) for c in captions):
        raise TypeError("captions must be a list of strings")
    ids = torch.zeros(len(captions), MAX_WORDS, dtype=torch.long)
    for i, caption in enumerate(captions):
        words = caption.split()
        if not 1 <= len(words) <= MAX_WORDS:
            raise ValueError(f"caption {caption!r} has {len(words)} words; 1 to {MAX_WORDS} allowed")
        ids[i, : len(words)] = torch.tensor([WORD_ID.get(w, 1) for w in words])
    return ids


# %%
print(len(VOCAB), "words;", "'a small red circle' ->", tokenize(["a small red circle"])[0].tolist())
assert tokenize(["a photo of a red circle"])[0, 1].item() == WORD_ID["<unk>"]

# %% [markdown]
# ### The encoders
#
# The image encoder is a three-layer CNN (each layer halves the resolution) followed by a
# **pooling** step and a linear map to the 32-dimensional shared space. The pooling choice
# decides what survives: `"global"` averages over all positions (as most CNNs do), `"halves"`
# averages the left and the right half separately and keeps both, so left and right stay apart.
#
# The order-aware text encoder is a one-block transformer with learned [position embeddings](../../book/glossary.md#position-embedding),
# mean-pooled over the words. Its word and position embeddings start at the same scale
# (std 0.1): with much smaller position embeddings it behaves almost like a bag of words at
# the start of training. The bag-of-words encoder, which we meet in section 6, sees only
# how often each word occurs.

# %% tags=["export"]
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class ImageEncoder(nn.Module):
    """CNN: (B, 3, H, W) uint8 or float images -> (B, dim) embeddings (not normalised).

    ``pool="global"`` averages the final feature map over all positions;
    ``pool="halves"`` averages its left and right halves separately and concatenates them.
    """

    def __init__(self, dim=32, pool="global", widths=(16, 32, 64)):
        super().__init__()
        if pool not in ("global", "halves"):
            raise ValueError(f"pool must be 'global' or 'halves', got {pool!r}")
        c1, c2, c3 = widths
        self.pool = pool
        self.features = nn.Sequential(
            nn.Conv2d(3, c1, 5, stride=2, padding=2), nn.ReLU(),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(c2, c3, 3, stride=2, padding=1), nn.ReLU())
        self.head = nn.Linear(c3 if pool == "global" else 2 * c3, dim)

    def forward(self, images):
        x = images.float() / 255 if images.dtype == torch.uint8 else images
        f = self.features((x - 0.4) / 0.25)  # (B, C, H/8, W/8)
        if self.pool == "global":
            z = f.mean(dim=(2, 3))  # (B, C)
        else:
            half = f.shape[-1] // 2
            z = torch.cat([f[..., :half].mean(dim=(2, 3)), f[..., half:].mean(dim=(2, 3))], dim=1)  # (B, 2C)
        return self.head(z)


class TextTransformer(nn.Module):
    """Order-aware text encoder: (B, L) word ids (0 = pad) -> (B, dim) embeddings."""

    def __init__(self, vocab_size, dim=32, width=64, heads=4, max_len=8, init_std=0.1):
        super().__init__()
        self.words = nn.Embedding(vocab_size, width, padding_idx=0)
        nn.init.normal_(self.words.weight, std=init_std)
        self.positions = nn.Parameter(torch.randn(max_len, width) * init_std)
        self.block = nn.TransformerEncoderLayer(width, heads, 2 * width, dropout=0.0,
                                                batch_first=True, norm_first=True)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, dim)

    def forward(self, tokens):
        pad = tokens == 0  # (B, L)
        h = self.words(tokens) + self.positions[: tokens.shape[1]]  # (B, L, width)
        h = self.norm(self.block(h, src_key_padding_mask=pad))
        keep = (~pad).unsqueeze(-1).float()  # (B, L, 1)
        return self.head((h * keep).sum(1) / keep.sum(1))


class BagOfWords(nn.Module):
    """Bag-of-words text encoder: word counts -> mean word vector -> linear map.

    It computes exact integer word counts first, so a caption and any reordering of its
    words give bit-for-bit the same embedding.
    """

    def __init__(self, vocab_size, dim=32, width=64):
        super().__init__()
        self.vocab_size = vocab_size
        self.words = nn.Parameter(torch.randn(vocab_size, width) * 0.1)
        self.head = nn.Linear(width, dim)

    def forward(self, tokens):
        counts = F.one_hot(tokens, self.vocab_size).sum(dim=1).float()  # (B, V), exact integers
        counts[:, 0] = 0  # padding does not count
        return self.head(counts @ self.words / counts.sum(dim=1, keepdim=True))


class TinyCLIP(nn.Module):
    """Two encoders and a logit scale, learned (CLIP's init 1/0.07, clamp 100) or fixed."""

    def __init__(self, image_encoder, text_encoder, logit_scale=1 / 0.07, learn_scale=True):
        super().__init__()
        self.image_encoder, self.text_encoder = image_encoder, text_encoder
        log_s = torch.tensor(math.log(logit_scale))
        if learn_scale:
            self.log_scale = nn.Parameter(log_s)
        else:
            self.register_buffer("log_scale", log_s)

    def logit_scale(self):
        return self.log_scale.exp().clamp(max=100.0)

    def encode_image(self, images):
        return F.normalize(self.image_encoder(images), dim=-1)

    def encode_text(self, tokens):
        return F.normalize(self.text_encoder(tokens), dim=-1)


# %%
probe = TinyCLIP(ImageEncoder(), TextTransformer(len(VOCAB)))
img_out = probe.encode_image(train1["images"][:4])
txt_out = probe.encode_text(tokenize(train1_caps[:4]))
print("image", tuple(img_out.shape), "text", tuple(txt_out.shape))  # (4, 32) each
assert img_out.shape == txt_out.shape == (4, 32)
assert torch.allclose(img_out.norm(dim=-1), torch.ones(4), atol=1e-5)
for name, part in [("image encoder", probe.image_encoder), ("text encoder", probe.text_encoder)]:
    print(f"{name}: {sum(p.numel() for p in part.parameters()):,} parameters")

# %% [markdown]
# ### The training loop
#
# One loop serves every model in this lesson: sample a batch, encode, compute the loss, step.
# With `negatives` it also encodes a hard-negative caption for every image and uses the
# hard-negative loss of section 6. Images stay in `uint8` on the CPU and move to the device
# batch by batch; on a CPU the channels-last memory layout makes the convolutions faster.

# %% tags=["export"]
import time

import torch
from tqdm.auto import tqdm


def hard_negative_loss(image_emb, text_emb, negative_emb, logit_scale):
    """Contrastive loss with extra negative captions (the NegCLIP idea).

    In:  ``image_emb``, ``text_emb`` (N, D) matching rows; ``negative_emb`` (M, D) extra
         captions that match no image; all L2-normalised; ``logit_scale`` positive.
    Out: 0-d tensor. Image -> text: each image picks its caption among all N + M captions.
         Text -> image: each true caption picks its image among the N images (a negative
         caption has no image to pick, so it only appears as an extra column).
    """
    if image_emb.shape != text_emb.shape or negative_emb.dim() != 2 or negative_emb.shape[1] != text_emb.shape[1]:
        raise ValueError(f"expected (N, D), (N, D), (M, D); got {tuple(image_emb.shape)}, "
                         f"{tuple(text_emb.shape)}, {tuple(negative_emb.shape)}")
    n = image_emb.shape[0]
    logits = logit_scale * image_emb @ torch.cat([text_emb, negative_emb]).T  # (N, N + M)
    target = torch.arange(n, device=image_emb.device)
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits[:, :n].T, target)) / 2


def train_clip(model, images, tokens, steps=300, batch_size=128, lr=4e-3, group=None,
               negatives=None, seed=0, desc="training"):
    """Train a TinyCLIP in place with AdamW and a one-cycle learning-rate schedule.

    In:  ``images`` (N, 3, H, W) uint8 on the CPU; ``tokens`` (N, L) word ids, row i the
         caption of image i; ``group`` passed to contrastive_loss; ``negatives`` None or a
         list of (N, L) token tensors, hard-negative captions of each image (then the loss
         is hard_negative_loss and ``group`` must be None).
    Out: dict with per-step ``loss`` and ``scale`` lists, and ``cpu_s`` / ``wall_s`` seconds.
    """
    if len(images) != len(tokens):
        raise ValueError(f"{len(images)} images but {len(tokens)} captions")
    if negatives is not None and group is not None:
        raise ValueError("use either group or negatives, not both")
    device = next(model.parameters()).device
    channels_last = device.type == "cpu"
    if channels_last:
        model.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps, pct_start=0.1)
    gen = torch.Generator().manual_seed(seed)
    history = {"loss": [], "scale": []}
    wall0, cpu0 = time.perf_counter(), time.process_time()
    model.train()
    for _ in tqdm(range(steps), desc=desc, leave=False):
        idx = torch.randint(0, len(images), (batch_size,), generator=gen)
        x = images[idx].to(device)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        img = model.encode_image(x)
        txt = model.encode_text(tokens[idx].to(device))
        if negatives is None:
            loss = contrastive_loss(img, txt, model.logit_scale(), group=group)
        else:
            neg = model.encode_text(torch.cat([t[idx] for t in negatives]).to(device))
            loss = hard_negative_loss(img, txt, neg, model.logit_scale())
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        history["loss"].append(loss.item())
        history["scale"].append(model.logit_scale().item())
    model.eval()
    history["wall_s"], history["cpu_s"] = time.perf_counter() - wall0, time.process_time() - cpu0
    return history


@torch.no_grad()
def embed(model, images=None, tokens=None, batch_size=1000):
    """Normalised embeddings of ``images`` (uint8) or ``tokens``, computed in batches."""
    if (images is None) == (tokens is None):
        raise ValueError("pass exactly one of images or tokens")
    device = next(model.parameters()).device
    data, fn = (images, model.encode_image) if images is not None else (tokens, model.encode_text)
    return torch.cat([fn(data[i:i + batch_size].to(device)).cpu() for i in range(0, len(data), batch_size)])


# %% [markdown]
# [Zero-shot](../../book/glossary.md#zero-shot-classification) classification turns the 16 class names into prompts, embeds them, and gives
# each image the class whose prompt is closest. A *template* decides how a class name becomes
# a prompt.

# %% tags=["export"]
import torch


def class_prompts(template, size=None):
    """The 16 prompts of one template, in label order (colour-major). ``size`` fills {z}."""
    return [template.format(c=c, s=s, z=size) for c in COLOURS for s in SHAPES]


def zero_shot_accuracy(image_emb, labels, class_emb):
    """Fraction of images whose nearest class embedding (by cosine) is their label."""
    return ((image_emb @ class_emb.T).argmax(dim=1) == labels).float().mean().item()


# %% [markdown]
# Now the first model: batch 128 (127 negatives per example), learned logit scale. It is
# shared by the next three sections.

# %%
train1_tokens, test1_tokens = tokenize(train1_caps), tokenize(test1_caps)
torch.manual_seed(SEED)
clip_learned = TinyCLIP(ImageEncoder(), TextTransformer(len(VOCAB))).to(device)
hist_learned = train_clip(clip_learned, train1["images"], train1_tokens, group=128, desc="s learned, 127 negatives")
print(f"trained 300 steps in {hist_learned['wall_s']:.1f} s wall, {hist_learned['cpu_s']:.1f} s CPU")


def accuracy_with(model, template="a {c} {s}", size=None):
    """Zero-shot accuracy of ``model`` on the single-shape test set with one template."""
    return zero_shot_accuracy(embed(model, images=test1["images"]), test1["label"],
                              embed(model, tokens=tokenize(class_prompts(template, size))))


acc_learned = accuracy_with(clip_learned)
print(f"zero-shot accuracy on {len(test1_caps)} test images, prompt 'a {{c}} {{s}}': {acc_learned:.3f}")
assert acc_learned > 0.6  # 16 classes: chance is 1/16

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3))
axes[0].plot(hist_learned["loss"])
axes[0].axhline(math.log(128), color="gray", ls="--", label="chance, log 128")
axes[0].set(xlabel="step", ylabel="loss (nats)", title="Training loss")
axes[0].legend()
axes[1].plot(hist_learned["scale"])
axes[1].set(xlabel="step", ylabel="logit scale s", title="The learned logit scale")
plt.tight_layout()
plt.show()
print(f"logit scale: {hist_learned['scale'][0]:.2f} at the start, {hist_learned['scale'][-1]:.2f} at the end")

# %% [markdown]
# The loss falls well below chance but stays far above zero. Part of that is the data: a batch
# of 128 holds about eight images of each of the 16 classes, and their captions often say the
# same thing, so the loss asks the model to tell apart pairs that are indistinguishable. These
# *false negatives* are a real problem for CLIP-style training on repetitive data. The scale
# moved only modestly from its starting value in 300 steps (printed above): the learned
# temperature is a slow parameter, and CLIP trained for 32 epochs over 400 million pairs.
#
# ## 3. The batch is the supply of negatives
#
# With *N* candidates the chance-level loss is log *N*, and
# [van den Oord et al. (2018)](https://arxiv.org/abs/1807.03748) showed that log *N* − loss is a
# lower bound on the mutual information between the two views: more negatives, a tighter
# bound and a harder task. That is one reason CLIP used batches of 32,768
# ([Radford et al., 2021](https://arxiv.org/abs/2103.00020)), and why SigLIP's per-pair sigmoid
# loss, which needs no softmax over the batch, was designed to decouple the loss from the batch
# size ([Zhai et al., 2023](https://arxiv.org/abs/2303.15343)).
#
# The experiment: two more models, trained on the **same batches** for the **same number of
# steps**, but contrasting inside groups of 2 and 16 instead of the whole 128 (the `group`
# argument). Only the number of negatives differs.

# %%
clips_by_group = {128: (clip_learned, hist_learned)}
for k in (2, 16):
    torch.manual_seed(SEED)
    m = TinyCLIP(ImageEncoder(), TextTransformer(len(VOCAB))).to(device)
    clips_by_group[k] = (m, train_clip(m, train1["images"], train1_tokens, group=k, desc=f"{k - 1} negatives"))

# %%
print("negatives | chance log k | final loss | log k - loss | zero-shot acc | train CPU s")
group_acc = {}
for k in (2, 16, 128):
    m, h = clips_by_group[k]
    final = float(np.mean(h["loss"][-20:]))
    group_acc[k] = accuracy_with(m)
    print(f"{k - 1:9d} | {math.log(k):12.3f} | {final:10.3f} | {math.log(k) - final:12.3f} | "
          f"{group_acc[k]:13.3f} | {h['cpu_s']:.1f}")
assert group_acc[2] < group_acc[128]  # fewer negatives, less learned (the claim below)

plt.figure(figsize=(5, 3))
for k in (2, 16, 128):
    plt.plot(np.convolve(clips_by_group[k][1]["loss"], np.ones(10) / 10, "valid") / math.log(k),
             label=f"{k - 1} negatives")
plt.xlabel("step")
plt.ylabel("loss / log k (1 = chance)")
plt.title("Training loss relative to chance")
plt.legend()
plt.show()

# %% [markdown]
# Read the table above from top to bottom. With a single negative the task is easy (the other
# image is often a different colour altogether), so the loss falls quickly relative to its
# chance level, yet the model learns less: the zero-shot accuracy over all 16 classes is the
# number to compare. The "log k − loss" column is the information bound of van den Oord et al.;
# with one negative it can never exceed log 2 ≈ 0.69 nats, however good the model.
#
# ## 4. The modality gap
#
# [Liang et al. (2022)](https://arxiv.org/abs/2203.02053) found that in CLIP and other
# contrastive models the image embeddings and the text embeddings occupy two separate narrow
# cones: a matched pair is closer than an unmatched one, yet every image is closer to every
# other image than to any caption. They trace it to two causes: randomly initialised networks
# already map all inputs into a narrow cone (a different one per encoder), and the contrastive
# loss at a low temperature keeps the cones apart. We measure the gap four ways:
#
# - **centroid distance**: ‖mean image embedding − mean text embedding‖ (0 = no gap; at most 2);
# - **linear separability**: test accuracy of a logistic-regression probe that guesses the
#   modality of an embedding (0.5 = cannot tell them apart);
# - mean cosine **within** each modality, between **matched** pairs and between pairs of
#   **different classes**.
#
# For the comparison we train one more model whose logit scale is **fixed at 100**, CLIP's clamp.

# %%
torch.manual_seed(SEED)
clip_fixed = TinyCLIP(ImageEncoder(), TextTransformer(len(VOCAB)), logit_scale=100.0, learn_scale=False).to(device)
hist_fixed = train_clip(clip_fixed, train1["images"], train1_tokens, desc="s fixed at 100")
acc_fixed = accuracy_with(clip_fixed)
print(f"s = 100 fixed: zero-shot accuracy {acc_fixed:.3f} (learned s: {acc_learned:.3f}); "
      f"trained in {hist_fixed['cpu_s']:.1f} s CPU")

# %% [markdown]
# The measure, as reusable functions. The probe is trained on half of the embeddings and
# tested on the other half, so a memorising probe cannot score well.

# %% tags=["export"]
import torch
import torch.nn.functional as F


def linear_separability(image_emb, text_emb, steps=300, seed=0):
    """Held-out accuracy of a logistic-regression probe predicting image (0) vs text (1).

    In:  two (N, D) tensors. Out: a float in [0, 1]; 0.5 means the modalities overlap.
    """
    x = torch.cat([image_emb, text_emb]).float()  # (2N, D)
    y = torch.cat([torch.zeros(len(image_emb)), torch.ones(len(text_emb))])
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(x), generator=g)
    train, test = perm[: len(x) // 2], perm[len(x) // 2:]
    w = torch.zeros(x.shape[1], requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    opt = torch.optim.Adam([w, b], lr=0.05)
    for _ in range(steps):
        loss = F.binary_cross_entropy_with_logits(x[train] @ w + b, y[train])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return (((x[test] @ w + b) > 0).float() == y[test]).float().mean().item()


def modality_gap_report(image_emb, text_emb, labels):
    """Gap measures of matched, L2-normalised embeddings.

    In:  ``image_emb``, ``text_emb`` (N, D), row i of each a matched pair; ``labels`` (N,)
         class of each pair (pairs of different classes count as unmatched).
    Out: dict of floats: centroid distance, separability, and mean cosines image-image,
         text-text (off-diagonal), matched, unmatched (different classes).
    """
    if image_emb.shape != text_emb.shape or image_emb.dim() != 2:
        raise ValueError(f"expected two (N, D) tensors of the same shape, got "
                         f"{tuple(image_emb.shape)} and {tuple(text_emb.shape)}")
    n = len(image_emb)
    off = ~torch.eye(n, dtype=torch.bool)
    cross = image_emb @ text_emb.T  # (N, N)
    different = labels[:, None] != labels[None, :]
    return {
        "centroid distance": (image_emb.mean(0) - text_emb.mean(0)).norm().item(),
        "separability": linear_separability(image_emb, text_emb),
        "cos image-image": (image_emb @ image_emb.T)[off].mean().item(),
        "cos text-text": (text_emb @ text_emb.T)[off].mean().item(),
        "cos matched": cross.diag().mean().item(),
        "cos unmatched": cross[different].mean().item(),
    }


# %% [markdown]
# We measure three models on the 2,000 test images and their captions: an **untrained** one
# (same architecture, same seed), the one with the learned scale, and the one fixed at 100.

# %%
torch.manual_seed(SEED)
clip_untrained = TinyCLIP(ImageEncoder(), TextTransformer(len(VOCAB))).to(device).eval()
gap_models = {"untrained": clip_untrained, "learned s": clip_learned, "s fixed at 100": clip_fixed}
gap_emb, gap = {}, {}
for name, m in gap_models.items():
    gap_emb[name] = (embed(m, images=test1["images"]), embed(m, tokens=test1_tokens))
    gap[name] = modality_gap_report(*gap_emb[name], test1["label"])

measures = list(gap["untrained"])
print(f"{'measure':18s}" + "".join(f"{name:>16s}" for name in gap))
for key in measures:
    print(f"{key:18s}" + "".join(f"{gap[name][key]:16.3f}" for name in gap))

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 4))
for ax, (name, (ie, te)) in zip(axes, gap_emb.items()):
    both = torch.cat([ie[:300], te[:300]])
    centred = both - both.mean(0)
    _, _, v = torch.linalg.svd(centred, full_matrices=False)
    xy = centred @ v[:2].T  # (600, 2): first two principal components
    ax.scatter(*xy[:300].T, s=6, label="images", alpha=0.6)
    ax.scatter(*xy[300:].T, s=6, label="captions", alpha=0.6)
    for i in range(0, 300, 30):  # a few matched pairs
        ax.plot([xy[i, 0], xy[300 + i, 0]], [xy[i, 1], xy[300 + i, 1]], color="gray", lw=0.5)
    ax.set(title=f"{name}: gap {gap[name]['centroid distance']:.2f}", xlabel="PC 1", ylabel="PC 2")
    ax.legend(loc="best", fontsize=8)
fig.suptitle("Image and caption embeddings, first two principal components (grey: matched pairs)")
plt.tight_layout()
plt.show()

# %% [markdown]
# What the table shows, in order of the columns:
#
# - **Untrained**: the two encoders start in different places, each in its own cone (the
#   within-modality cosines are high), as Liang et al. describe for random networks.
# - **Learned scale**: training at a moderate scale pulls the cones together: the centroid
#   distance nearly vanishes and matched pairs become almost parallel. Look at the probe,
#   though: a linear direction still separates most images from most captions, so the gap
#   shrinks without disappearing entirely.
# - **Scale fixed at 100**: the low temperature leaves the modalities far apart and easy to
#   separate, and matched pairs reach only a modest cosine, which is what real CLIP
#   embeddings look like. Liang et al. report the same direction for temperature: the gap grows
#   as the temperature falls.
#
# The gap is not automatically a defect. Adding the same vector to every text embedding adds
# the same number to all of one image's scores, so the ranking of captions for that image,
# which is all zero-shot classification uses, does not change (as long as nothing is
# re-normalised afterwards; Liang et al. show that shifting *and* re-normalising does change
# accuracy). What the gap does break is any use of raw cosines across modalities as if they were
# comparable with cosines within one. The assertions below check the directions the
# explanation relies on, with margin.

# %%
assert gap["s fixed at 100"]["centroid distance"] > gap["learned s"]["centroid distance"]
assert gap["s fixed at 100"]["separability"] > 0.9
for name in ("learned s", "s fixed at 100"):
    assert gap[name]["cos matched"] > gap[name]["cos unmatched"]

# %% [markdown]
# ## 5. Prompt templates and ensembles
#
# A zero-shot classifier is only as good as the sentence that stands for each class. CLIP's
# authors found that a template such as "a photo of a {}." beats the bare class name, and
# that averaging the text embeddings of many templates (80 for ImageNet) improves accuracy
# further ([Radford et al., 2021](https://arxiv.org/abs/2103.00020), section 3.1.4). We
# measure the same idea on our learned-scale model: every training template (with each size
# word where the template has one), the bare class name, a template with a word the model has
# never seen, and the ensemble of all training templates and sizes.

# %% tags=["export"]
import torch
import torch.nn.functional as F


def ensemble_class_embeddings(per_template):
    """Average per-template class embeddings into one classifier.

    In:  ``per_template`` (T, C, D): for each of T templates, the normalised embeddings of
         the C class prompts. Out: (C, D), the mean over templates, re-normalised.
    """
    if per_template.dim() != 3:
        raise ValueError(f"expected (templates, classes, dim), got {tuple(per_template.shape)}")
    return F.normalize(per_template.mean(dim=0), dim=-1)


# %%
test1_img_emb = gap_emb["learned s"][0]
prompt_sets = [("{c} {s}  (bare class name)", "{c} {s}", None),
               ("a photo of a {c} {s}  (unknown word)", "a photo of a {c} {s}", None)]
for t in TRAIN_TEMPLATES:
    for z in (SIZES if "{z}" in t else [None]):
        prompt_sets.append((t.replace("{z}", z) if z else t, t, z))
template_acc, all_train_embs = {}, []
for label, t, z in prompt_sets:
    cls = embed(clip_learned, tokens=tokenize(class_prompts(t, z)))  # (16, 32)
    template_acc[label] = zero_shot_accuracy(test1_img_emb, test1["label"], cls)
    if t in TRAIN_TEMPLATES:
        all_train_embs.append(cls)
ensemble = ensemble_class_embeddings(torch.stack(all_train_embs))
template_acc[f"ensemble of the {len(all_train_embs)} training prompts"] = zero_shot_accuracy(
    test1_img_emb, test1["label"], ensemble)
for label, acc in template_acc.items():
    print(f"{acc:.3f}  {label}")
singles = [acc for label, acc in template_acc.items() if not label.startswith("ensemble")]
ens_acc = template_acc[f"ensemble of the {len(all_train_embs)} training prompts"]
print(f"single prompts: mean {np.mean(singles):.3f}, best {max(singles):.3f}, worst {min(singles):.3f}; "
      f"ensemble {ens_acc:.3f} ({100 * (ens_acc - np.mean(singles)):+.1f} points vs the mean single prompt, "
      f"{100 * (ens_acc - max(singles)):+.1f} vs the best)")

# %% [markdown]
# The printed table is the measurement; read it before the commentary. Prompts that differ
# from every training caption (the bare class name, the unknown word) are where a template can
# cost accuracy. A template that names a size is a bet on the size: "a small red circle"
# describes only half of the red circles. The ensemble averages such bets out, which is why
# CLIP's 80 ImageNet templates include both "a photo of the small {}." and "a photo of the
# large {}.". The last line above says where the ensemble lands: it protects you from a bad
# template you could not have known was bad, which is the realistic situation with no labelled
# data; it need not beat the best template, which you can only pick with labels.
#
# Per size, the size-word templates show the bet directly:

# %%
small = test1["size"] == 0
for z in SIZES:
    cls = embed(clip_learned, tokens=tokenize(class_prompts("a {z} {c} {s}", z)))
    pred_ok = (test1_img_emb @ cls.T).argmax(1) == test1["label"]
    print(f"prompt 'a {z} {{c}} {{s}}': accuracy on small shapes {pred_ok[small].float().mean():.3f}, "
          f"on large shapes {pred_ok[~small].float().mean():.3f}")

# %% [markdown]
# ## 6. What alignment does not guarantee
#
# A good zero-shot accuracy says the model links words to what they name. It does not say the
# model understands how the words are **put together**. On ARO, a benchmark built from such
# cases, [Yuksekgonul et al. (2022)](https://arxiv.org/abs/2210.01936) found that CLIP-style
# models often prefer a caption with swapped relations or shuffled word order about as often as
# the true one, behaving like bags of words; on Winoground, where two images and two captions
# use the same words in a different order, [Thrush et al. (2022)](https://arxiv.org/abs/2204.03162)
# found contrastive models well below human performance, many near or below chance.
#
# We build a miniature of that test. Each image holds two objects, one in each half of a
# 32 × 64 picture, and has one of two equivalent captions: "a red circle left of a blue
# square" or "a blue square right of a red circle". Each test caption gets two impostors:
#
# - the **object swap**: the two objects exchanged ("a blue square left of a red circle");
# - the **relation swap**: left and right exchanged ("a red circle right of a blue square").
#
# A model passes a test item when it scores the true caption above the impostor; a tie counts
# half. Chance is 50 %.

# %% tags=["export"]
import torch

OBJECTS = [f"{c} {s}" for c in COLOURS for s in SHAPES]  # 16 objects: "red circle", ...


def make_pair_scenes(n, seed, swap=False):
    """n 32 x 64 images with two different objects, one in each half, and their captions.

    Out: dict with ``images`` (n, 3, 32, 64) uint8, ``left`` and ``right`` (n,) object ids
    and ``captions`` (one of the two phrasings per image). ``swap=True`` draws the same
    scenes (same positions, sizes, background) with the two objects exchanged.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    g = torch.Generator().manual_seed(seed)
    left = torch.randint(0, len(OBJECTS), (n,), generator=g)
    right = (left + torch.randint(1, len(OBJECTS), (n,), generator=g)) % len(OBJECTS)  # != left
    r = 6 + 2 * torch.rand(2, n, generator=g)
    cx = torch.stack([16 + (torch.rand(n, generator=g) - 0.5) * 2 * (15 - r[0]),
                      48 + (torch.rand(n, generator=g) - 0.5) * 2 * (15 - r[1])])
    cy = 16 + (torch.rand(2, n, generator=g) - 0.5) * 2 * (15 - r)
    phrasing = torch.randint(0, 2, (n,), generator=g)
    images = grey_backgrounds(n, 32, 64, g)
    a, b = (right, left) if swap else (left, right)
    ns = len(SHAPES)
    images = render_shapes(images, a // ns, a % ns, cx[0], cy[0], r[0], g)
    images = render_shapes(images, b // ns, b % ns, cx[1], cy[1], r[1], g)
    captions = [f"a {OBJECTS[x]} left of a {OBJECTS[y]}" if p == 0 else f"a {OBJECTS[y]} right of a {OBJECTS[x]}"
                for x, y, p in zip(a.tolist(), b.tolist(), phrasing.tolist())]
    return {"images": to_uint8(images), "left": a, "right": b, "captions": captions}


def _relation_words(caption):
    """Split 'a <colour> <shape> left|right of a <colour> <shape>' into its 8 words."""
    w = caption.split() if isinstance(caption, str) else None
    if w is None or len(w) != 8 or w[0] != "a" or w[3] not in ("left", "right") or w[4:6] != ["of", "a"]:
        raise ValueError(f"expected 'a <colour> <shape> left|right of a <colour> <shape>', got {caption!r}")
    return w


def object_swap(caption):
    """'a X1 X2 left of a Y1 Y2' -> 'a Y1 Y2 left of a X1 X2' (same words, new order)."""
    w = _relation_words(caption)
    return " ".join(["a", w[6], w[7], w[3], "of", "a", w[1], w[2]])


def relation_swap(caption):
    """Exchange 'left' and 'right' in a two-object caption."""
    w = _relation_words(caption)
    w[3] = "right" if w[3] == "left" else "left"
    return " ".join(w)


def swap_accuracy(true_scores, swap_scores):
    """Fraction of items where the true caption scores higher; a tie counts one half."""
    if true_scores.shape != swap_scores.shape:
        raise ValueError("true_scores and swap_scores must have the same shape")
    return ((true_scores > swap_scores).float() + 0.5 * (true_scores == swap_scores).float()).mean().item()


# %%
t0 = time.process_time()
train2 = make_pair_scenes(12000, seed=5)
test2 = make_pair_scenes(2000, seed=6)
test2_swapped = make_pair_scenes(2000, seed=6, swap=True)  # same scenes, objects exchanged
print(f"made 16000 two-object images in {time.process_time() - t0:.1f} s CPU;", tuple(train2["images"].shape))
c = test2["captions"][0]
print("caption:       ", c, "\nobject swap:   ", object_swap(c), "\nrelation swap: ", relation_swap(c))
assert sorted(object_swap(c).split()) == sorted(c.split())  # the object swap is a permutation
assert test2_swapped["captions"][0] != c

fig, axes = plt.subplots(2, 4, figsize=(12, 2.8))
for i, ax in enumerate(axes[0]):
    ax.imshow(test2["images"][i].permute(1, 2, 0).numpy())
    ax.set_title(test2["captions"][i], fontsize=7)
    ax.axis("off")
for i, ax in enumerate(axes[1]):
    ax.imshow(test2_swapped["images"][i].permute(1, 2, 0).numpy())
    ax.set_title("swapped: " + test2_swapped["captions"][i], fontsize=7)
    ax.axis("off")
plt.tight_layout()
plt.show()

# %%
train2_tokens = tokenize(train2["captions"])
train2_negatives = [tokenize([object_swap(c) for c in train2["captions"]]),
                    tokenize([relation_swap(c) for c in train2["captions"]])]
test2_true = tokenize(test2["captions"])
test2_obj = tokenize([object_swap(c) for c in test2["captions"]])
test2_rel = tokenize([relation_swap(c) for c in test2["captions"]])


def swap_tests(model):
    """(object-swap accuracy, relation-swap accuracy) of ``model`` on the 2,000 test scenes."""
    img = embed(model, images=test2["images"])
    score = lambda tokens: (img * embed(model, tokens=tokens)).sum(dim=1)  # noqa: E731
    true = score(test2_true)
    return swap_accuracy(true, score(test2_obj)), swap_accuracy(true, score(test2_rel))


# %% [markdown]
# ### (1) A bag of words ties a caption with its object swap, whatever its weights
#
# A bag-of-words encoder sees the multiset of words and nothing else. The object swap uses
# exactly the same words, so its embedding is the same vector, its score is the same number,
# and every test item is a tie: exactly 50 %. This needs no training, because it holds for
# *every* setting of the weights; below we check it for five random initialisations and an
# untrained image encoder. (Adding position embeddings before mean pooling does not rescue it:
# the mean of word + position vectors is the mean of the words plus a constant.)

# %%
for seed in range(5):
    torch.manual_seed(seed)
    bow = TinyCLIP(ImageEncoder(pool="halves"), BagOfWords(len(VOCAB))).to(device).eval()
    same = torch.equal(embed(bow, tokens=test2_true), embed(bow, tokens=test2_obj))
    acc_obj, acc_rel = swap_tests(bow)
    print(f"random weights, seed {seed}: caption and object swap embed identically: {same}; "
          f"object swap {acc_obj:.3f}, relation swap {acc_rel:.3f}")
    assert same and acc_obj == 0.5

# %% [markdown]
# The relation swap changes a word (left ↔ right), so a bag of words gives it a different
# score and the result is not an exact tie. It still cannot pass: "a red circle **left** of a
# blue square" and "a blue square **right** of a red circle" describe the same picture, so which
# of "left" or "right" is correct depends on the word order it cannot see. Training does not
# change this, and neither do [hard negatives](../../book/glossary.md#hard-negative): the object-swapped negative has the very same
# embedding as the positive, so the loss cannot push them apart. We train one bag-of-words
# model *with* hard negatives to see it.

# %%
torch.manual_seed(SEED)
clip_bow = TinyCLIP(ImageEncoder(pool="halves"), BagOfWords(len(VOCAB))).to(device)
hist_bow = train_clip(clip_bow, train2["images"], train2_tokens, negatives=train2_negatives, desc="bag of words + hard negatives")
bow_obj, bow_rel = swap_tests(clip_bow)
print(f"trained bag of words + hard negatives: object swap {bow_obj:.3f}, relation swap {bow_rel:.3f} "
      f"({hist_bow['cpu_s']:.1f} s CPU)")
assert bow_obj == 0.5 and abs(bow_rel - 0.5) < 0.1

# %% [markdown]
# ### (2) Global pooling loses left and right, whatever the text side
#
# Now give the text side everything: an order-aware transformer, trained with hard
# negatives. But let the image encoder average its feature map over all positions. A
# convolution responds to a red circle the same way wherever it is; averaging then sums those
# responses without recording where they were. The picture with the two objects exchanged
# gives almost the same sum, so whatever the model says about one picture it says about its
# mirror-image scene, and over the test set it must be wrong half the time.

# %%
torch.manual_seed(SEED)
clip_global = TinyCLIP(ImageEncoder(pool="global"), TextTransformer(len(VOCAB))).to(device)
hist_global = train_clip(clip_global, train2["images"], train2_tokens, negatives=train2_negatives,
                         desc="global pooling + hard negatives")
glob_obj, glob_rel = swap_tests(clip_global)
img_cos_global = (embed(clip_global, images=test2["images"]) * embed(clip_global, images=test2_swapped["images"])).sum(1)
print(f"global pooling + order-aware text + hard negatives: object swap {glob_obj:.3f}, "
      f"relation swap {glob_rel:.3f} ({hist_global['cpu_s']:.1f} s CPU)")
print(f"cosine between a scene and the same scene with objects exchanged: mean {img_cos_global.mean():.4f}, "
      f"min {img_cos_global.min():.4f}")
assert abs(glob_obj - 0.5) < 0.1 and abs(glob_rel - 0.5) < 0.1

# %% [markdown]
# ### (3) Order-aware text, position-preserving image features, and hard negatives
#
# The fix needs both sides. The image encoder keeps the left and right halves apart
# (`pool="halves"`, a coarse stand-in for a ViT's patch tokens, which keep their positions),
# and the text encoder reads word order. NegCLIP, the fine-tuning recipe proposed with ARO,
# adds to each batch captions with swapped words as **hard negatives**
# ([Yuksekgonul et al., 2022](https://arxiv.org/abs/2210.01936)). Our `hard_negative_loss`
# does the same: each image must pick its caption among the true captions **and** the
# object-swapped and relation-swapped ones. We train the same pair with and without them.

# %%
relation_models = {}
for use_negatives in (False, True):
    torch.manual_seed(SEED)
    m = TinyCLIP(ImageEncoder(pool="halves"), TextTransformer(len(VOCAB))).to(device)
    h = train_clip(m, train2["images"], train2_tokens, negatives=train2_negatives if use_negatives else None,
                   desc="halves + order-aware" + (" + hard negatives" if use_negatives else ""))
    relation_models[use_negatives] = (m, h, *swap_tests(m))
for use_negatives, (m, h, acc_obj, acc_rel) in relation_models.items():
    print(f"halves + order-aware text, hard negatives {'yes' if use_negatives else 'no '}: "
          f"object swap {acc_obj:.3f}, relation swap {acc_rel:.3f} ({h['cpu_s']:.1f} s CPU)")
diff = [100 * (relation_models[True][i] - relation_models[False][i]) for i in (2, 3)]
print(f"hard negatives minus none: {diff[0]:+.1f} points (object swap), {diff[1]:+.1f} points (relation swap), "
      "one training run each")

# %%
clip_relational, hist_relational, rel_obj, rel_rel = relation_models[True]
assert rel_obj >= 0.8 and rel_rel >= 0.8, "the order-aware model with hard negatives must pass both swap tests"
print(f"bar met: object swap {rel_obj:.3f} >= 0.8 and relation swap {rel_rel:.3f} >= 0.8")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3))
for label, h in [("bag of words + HN", hist_bow), ("global pool + HN", hist_global),
                 ("halves, no HN", relation_models[False][1]), ("halves + HN", hist_relational)]:
    axes[0].plot(np.convolve(h["loss"], np.ones(10) / 10, "valid"), label=label)
axes[0].set(xlabel="step", ylabel="loss (nats, 10-step mean)",
            title="Training losses (HN = hard negatives; HN losses have more candidates)")
axes[0].legend(fontsize=8)
names = ["bag of words\n+ HN", "global pool\n+ HN", "halves\nno HN", "halves\n+ HN"]
results = [(bow_obj, bow_rel), (glob_obj, glob_rel), relation_models[False][2:], (rel_obj, rel_rel)]
xs = np.arange(len(names))
axes[1].bar(xs - 0.2, [r[0] for r in results], 0.4, label="object swap")
axes[1].bar(xs + 0.2, [r[1] for r in results], 0.4, label="relation swap")
axes[1].axhline(0.5, color="gray", ls="--", label="chance")
axes[1].set(xticks=xs, xticklabels=names, ylabel="accuracy (true caption preferred)",
            title="Swap tests on 2,000 test scenes", ylim=(0, 1.05))
axes[1].legend(fontsize=8, loc="lower right")
plt.tight_layout()
plt.show()

# %% [markdown]
# Compare the two "halves" rows printed above before drawing a conclusion about hard
# negatives. The model without them already passes both tests here, and the difference the hard
# negatives make comes from one run of each, so it is no evidence of a reliable gain. The reason
# the plain model does so well is the batch. With only 16 objects, a random batch of 128 often contains the very scene with the
# objects exchanged, and that in-batch example is a hard negative for free. The next cell
# counts how often. Web-scale caption data almost never puts an image and its
# word-swapped twin in one batch, which is the situation ARO's authors addressed by adding
# them on purpose.

# %%
gen = torch.Generator().manual_seed(1)
fractions = []
for _ in range(50):
    idx = torch.randint(0, len(train2_tokens), (128,), generator=gen)
    pairs = set(zip(train2["left"][idx].tolist(), train2["right"][idx].tolist()))
    fractions.append(np.mean([(r, l) in pairs for l, r in zip(train2["left"][idx].tolist(), train2["right"][idx].tolist())]))
print(f"share of training examples whose object-swapped scene is in the same batch of 128: {np.mean(fractions):.3f}")

# %% [markdown]
# ## Exercises
#
# ### Exercise 3.4: measure the modality gap
#
# Write `gap_distance(image_emb, text_emb)` returning the **centroid distance** of section 4:
# the Euclidean norm of (mean image embedding − mean text embedding), as a Python float. Both
# inputs are (N, D) tensors of L2-normalised embeddings.
#
# <details><summary>Hint</summary>
#
# Average over the rows first (`.mean(dim=0)` gives one D-vector per modality), then take
# the norm of the difference. Do not normalise the means, and do not average the distances
# of matched pairs instead: that measures how far pairs are, not how far the two clouds are.
#
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex3-2-1-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
def gap_distance(image_emb, text_emb):
    """Distance between the centroids of image and text embeddings, as a float."""
    ### BEGIN SOLUTION
    return (image_emb.mean(dim=0) - text_emb.mean(dim=0)).norm().item()
    ### END SOLUTION


# %% tags=["export"]
import torch
import torch.nn.functional as F


def check_gap_distance(fn, quiet=False):
    """Self-check for Exercise 3.4.

    In:  ``fn(image_emb, text_emb) -> float``. Out: True (correct), False (wrong; prints
    what and a hint) or None (not attempted).
    """
    say = (lambda *a: None) if quiet else print
    g = torch.Generator().manual_seed(0)
    cases = []
    for shift in (1.5, 0.0):
        img = F.normalize(torch.randn(50, 8, generator=g) + shift, dim=-1)
        txt = F.normalize(torch.randn(50, 8, generator=g) - shift, dim=-1)
        cases.append((img, txt))
    cases.append((torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[-1.0, 0.0], [0.0, -1.0]])))
    for img, txt in cases:
        want = (img.mean(dim=0) - txt.mean(dim=0)).norm().item()
        try:
            got = fn(img.clone(), txt.clone())
        except NotImplementedError:
            say("○ Not attempted yet: replace `raise NotImplementedError()` with your code.")
            return None
        except Exception as err:  # noqa: BLE001 - report any learner error as feedback
            say(f"✘ gap_distance raised {type(err).__name__}: {err}")
            return False
        try:
            got = float(got)
        except (TypeError, ValueError):
            say(f"✘ gap_distance returned {type(got).__name__}; return one number (use .item()).")
            return False
        if abs(got - want) > 1e-4:
            pairwise = (img - txt).norm(dim=1).mean().item()
            if abs(got - pairwise) < 1e-4:
                hint = "That is the mean distance of matched pairs; average each modality first, then subtract."
            elif abs(got - want**2) < 1e-4:
                hint = "That is the squared distance; take the norm, not its square."
            else:
                hint = "Hint: norm(mean of image rows - mean of text rows), without re-normalising the means."
            say(f"✘ gap_distance returned {got:.4f} on {tuple(img.shape)} embeddings, expected {want:.4f}. {hint}")
            return False
    say("✔ Correct: the gap is the distance between the two centroids.")
    return True


# %% nbgrader={"grade": true, "grade_id": "ex3-2-1-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_gap_distance(gap_distance)
### BEGIN HIDDEN TESTS
assert check_gap_distance(gap_distance, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3.5: the hard-negative loss
#
# Write `my_hard_negative_loss(image_emb, text_emb, negative_emb, logit_scale)`: the loss of
# section 6(3). `image_emb` and `text_emb` are (N, D) matching rows, `negative_emb` is (M, D)
# extra captions that match no image; all are normalised.
#
# - image → text: logits `logit_scale · image_emb @ [text_emb; negative_emb]ᵀ`, shape
#   (N, N + M); the target of row i is column i;
# - text → image: logits over the N images only (a negative caption has no image);
# - return the mean of the two cross-entropies (a 0-d tensor, so it can be back-propagated).
#
# <details><summary>Hint</summary>
#
# `torch.cat([text_emb, negative_emb])` stacks the candidates. `F.cross_entropy(logits, target)`
# with `target = torch.arange(N)` does one direction; for the other, transpose the first N
# columns of the logits.
#
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex3-2-2-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
def my_hard_negative_loss(image_emb, text_emb, negative_emb, logit_scale):
    """Contrastive loss with M extra negative captions (NegCLIP idea)."""
    ### BEGIN SOLUTION
    n = image_emb.shape[0]
    logits = logit_scale * image_emb @ torch.cat([text_emb, negative_emb]).T  # (N, N + M)
    target = torch.arange(n)
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits[:, :n].T, target)) / 2
    ### END SOLUTION


# %% tags=["export"]
import torch
import torch.nn.functional as F


def check_hard_negative_loss(fn, quiet=False):
    """Self-check for Exercise 3.5.

    In:  ``fn(image_emb, text_emb, negative_emb, logit_scale) -> 0-d tensor``.
    Out: True (correct), False (wrong; prints what and a hint) or None (not attempted).
    """
    say = (lambda *a: None) if quiet else print
    g = torch.Generator().manual_seed(0)
    for n, m, scale in [(4, 4, 10.0), (6, 12, 14.3), (5, 0, 3.0)]:
        img = F.normalize(torch.randn(n, 16, generator=g), dim=-1)
        txt = F.normalize(img + 0.5 * torch.randn(n, 16, generator=g), dim=-1)
        neg = F.normalize(torch.randn(m, 16, generator=g), dim=-1)
        logits = scale * img @ torch.cat([txt, neg]).T
        target = torch.arange(n)
        want = ((F.cross_entropy(logits, target) + F.cross_entropy(logits[:, :n].T, target)) / 2).item()
        try:
            got = fn(img.clone(), txt.clone(), neg.clone(), scale)
        except NotImplementedError:
            say("○ Not attempted yet: replace `raise NotImplementedError()` with your code.")
            return None
        except Exception as err:  # noqa: BLE001 - report any learner error as feedback
            say(f"✘ with N={n}, M={m} your loss raised {type(err).__name__}: {err}")
            return False
        if not torch.is_tensor(got) or got.dim() != 0:
            say("✘ return a 0-d tensor (a scalar loss that can be back-propagated), not "
                f"{type(got).__name__} {tuple(got.shape) if torch.is_tensor(got) else ''}")
            return False
        if abs(got.item() - want) > 1e-4:
            plain = ((F.cross_entropy(scale * img @ txt.T, target)
                      + F.cross_entropy(scale * txt @ img.T, target)) / 2).item()
            if abs(got.item() - plain) < 1e-4:
                hint = "That is the plain CLIP loss: the negatives must be extra columns of the image->text logits."
            elif abs(got.item() - F.cross_entropy(logits, target).item()) < 1e-4:
                hint = "You returned only the image->text term; average it with the text->image term."
            else:
                hint = "Hint: text->image uses only the first N columns, transposed; check the logit scale."
            say(f"✘ with N={n}, M={m}, scale {scale}: got {got.item():.4f}, expected {want:.4f}. {hint}")
            return False
    say("✔ Correct: each image now also has to beat its hard-negative captions.")
    return True


# %% nbgrader={"grade": true, "grade_id": "ex3-2-2-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_hard_negative_loss(my_hard_negative_loss)
### BEGIN HIDDEN TESTS
assert check_hard_negative_loss(my_hard_negative_loss, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# ## Quiz
#
# Click an answer to get feedback. (The quiz works without a running kernel.)

# %%
from jupyterquiz import display_quiz

quiz = [
    {
        "question": "CLIP aligns image and text embeddings. What does this alignment give a vision-language model, and what does it not guarantee?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "It gives zero-shot classification, retrieval and image features that a projector can map into an LLM; it does not guarantee that word order and relations are understood",
             "correct": True,
             "feedback": "Right. Section 6 shows a well-aligned encoder pair that still cannot tell 'A left of B' from 'B left of A' (ARO, Winoground). OCR, calibrated scores and freedom from hallucination are not guaranteed either."},
            {"answer": "It guarantees that the model understands any sentence about the image, including spatial relations",
             "correct": False,
             "feedback": "No: a bag-of-words text encoder can be perfectly aligned on object names and still score a caption and its swap identically."},
            {"answer": "It is what lets the LLM reason, because the LLM reads CLIP's text embeddings",
             "correct": False,
             "feedback": "The LLM never sees CLIP's text tower; in LLaVA-style models it receives the vision tower's patch features through a projector trained with next-token loss."},
        ],
    },
    {
        "question": "Real CLIP cosines between an image and its caption are often around 0.3. Why does the loss still work?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "The logit scale (up to 100) stretches small cosine differences into large logit differences, and only the ranking matters",
             "correct": True,
             "feedback": "Yes: at s = 100 a cosine gap of 0.05 is a logit gap of 5, enough for a confident softmax (section 1)."},
            {"answer": "Cosines of 0.3 mean the model is only 30 % sure", "correct": False,
             "feedback": "A cosine is not a probability; the softmax over scaled cosines is."},
            {"answer": "It does not: such a model is badly trained", "correct": False,
             "feedback": "The modality gap keeps matched cosines modest in well-trained models; the ranking is what is used."},
        ],
    },
    {
        "question": "You fix the logit scale at 1 instead of learning it. What happens?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "Even perfect embeddings leave a high loss, so training keeps pushing embeddings apart long after the ranking is right",
             "correct": True,
             "feedback": "Right: the floor plot of section 1 shows the lowest possible loss at s = 1 is several nats for a batch of 128."},
            {"answer": "Training becomes faster because the softmax is smoother", "correct": False,
             "feedback": "A smooth softmax spreads the gradient over all negatives, but the loss floor stays high."},
            {"answer": "Nothing changes, since only the ranking matters", "correct": False,
             "feedback": "The ranking matters at test time; during training the scale sets how much the loss can drop."},
        ],
    },
    {
        "question": "The modality gap: which statement matches what Liang et al. (2022) and section 4 report?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "Image and text embeddings sit in separate regions; a low temperature (large logit scale) keeps them apart",
             "correct": True,
             "feedback": "Yes. Random initialisation already puts each encoder's outputs in its own cone, and contrastive training at low temperature preserves the gap."},
            {"answer": "A gap means matched pairs are not closer than unmatched ones", "correct": False,
             "feedback": "Matched pairs are still closer than unmatched ones; the whole text cloud is simply offset from the image cloud."},
            {"answer": "The gap disappears with enough training", "correct": False,
             "feedback": "Not at CLIP's temperature: the gap persists in fully trained CLIP models."},
        ],
    },
    {
        "question": "Why can hard-negative captions not fix a bag-of-words text encoder on the object-swap test?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "The swapped caption has the same words, so it has exactly the same embedding as the true caption",
             "correct": True,
             "feedback": "Right: the loss sees two identical logits and no weight change can separate them."},
            {"answer": "Because it needs more training steps", "correct": False,
             "feedback": "No amount of training helps: the tie holds for every value of the weights."},
            {"answer": "Because hard negatives only work for images", "correct": False,
             "feedback": "Hard-negative captions work for order-aware text encoders; a bag of words cannot see the difference."},
        ],
    },
]
display_quiz(quiz)

# %% [markdown]
# ## What to remember
#
# - The logit scale turns cosines into confident softmaxes; it sets a floor under the loss
#   and decides how many negatives carry the gradient.
# - The number of negatives is the batch size minus one; chance loss is log *N*, and with
#   fewer negatives the task gets easier and the model learns less.
# - Contrastive models keep images and texts in separate regions (the [modality gap](../../book/glossary.md#modality-gap)); a large
#   logit scale keeps them apart, and only rankings, not raw cosines, carry meaning.
# - Prompt templates change zero-shot accuracy; averaging templates marginalises details
#   (such as size) that a single prompt would bet on.
# - Alignment does not imply composition: a bag of words ties any caption with its
#   reordering, global pooling forgets where things are, and only an order-aware text encoder
#   together with position-preserving image features can pass the swap tests.
#
# **Next:** lesson 3.3 turns from what an image embedding means to what an image costs.

# %%
wall, cpu = time.perf_counter() - WALL0, time.process_time() - CPU0
print(f"this notebook ran in {wall:.0f} s wall, {cpu:.0f} s CPU on {device}")
