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
# # 3.4 Connectors
#
# A vision encoder hands over a grid of patch vectors; a language model wants a sequence of
# vectors of *its own* width. The small module in between, the **connector** (also called
# projector or adapter), decides two things at once: how wide each image token is, and how
# many image tokens the language model has to read. This lesson writes the five connectors
# that matter in today's open models from scratch, counts what each costs at real model sizes,
# and then trains each one on a task that needs fine detail, to measure what squeezing an image
# into fewer tokens throws away. It ends with the two well-known designs that have no
# connector of this kind at all: Flamingo and Fuyu.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pixels-to-tokens/pixels-to-tokens/blob/main/notebooks/3-deep-dive/3-4-connectors.ipynb)
#
# **What you will build**
# - five connectors, each with a shape check: a linear projection, LLaVA-1.5's two-layer GELU
#   MLP, InternVL's pixel shuffle, a 2×2 average merge, and a learned-query cross-attention
#   resampler (the idea behind the Perceiver Resampler and the Q-Former);
# - a table and a plot of their parameters and output tokens from 224 to 896 pixels at the
#   widths of a real model (a ViT-L/14 encoder feeding a 4,096-wide language model);
# - a fine-detail probe (count hollow rings among filled blocks of equal ink) on which every
#   connector is trained for the same number of steps: accuracy against tokens passed on;
# - the resolution trade-off on the same probe: pixels → tokens → accuracy and cost.
#
# **Time to run:** under 90 seconds on two CPU cores (the last cell prints the measured time;
# the book's benchmark table has the figure from a quiet machine). A GPU is used when present.

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
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

NOTEBOOK_START, NOTEBOOK_CPU_START = time.perf_counter(), time.process_time()
SEED = 0
torch.manual_seed(SEED)
rng = np.random.default_rng(SEED)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(f"torch {torch.__version__}, running on {device}, {torch.get_num_threads()} CPU threads")

# %% [markdown]
# ## 1. What a connector receives and what it must hand on
#
# The vision encoder (a ViT, lesson 3.1) turns an image of *H* × *W* pixels with patches of
# side *P* into a grid of (*H*/*P*) × (*W*/*P*) vectors of the encoder's width *D*ᵥ. In a
# LLaVA-style model these vectors are written into the language model's input sequence in
# place of an `<image>` placeholder, so they must have the language model's width *D*ₗₘ, and
# every one of them costs a position in the [context window](../../book/glossary.md#context-window). A [connector](../../book/glossary.md#connector) is therefore a map
#
# $$\text{(B, N, } D_v) \;\longrightarrow\; \text{(B, M, } D_{lm}),$$
#
# and the number it controls, besides the width, is **M**, the tokens it passes on. Four of
# our five connectors treat the *N* input tokens as the square grid they came from, so we
# start with two small helpers: one that checks the input and finds the grid side, and one
# that turns the token list back into a grid.

# %% tags=["export"]
import math

import torch


def grid_side(tokens, width=None, name="tokens"):
    """Check a batch of patch tokens and return the side of their square grid.

    In:  ``tokens`` of shape (B, N, D) with N a perfect square (the patch grid, row by row);
         ``width``, if given, the D the caller expects.
    Out: the grid side s = sqrt(N) as an int.
    Raises TypeError for a non-tensor, ValueError for a wrong rank, width or a non-square N.
    """
    if not isinstance(tokens, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (B, N, D), got {type(tokens).__name__}")
    if tokens.dim() != 3:
        raise ValueError(f"{name} must have shape (B, N, D) (batch, tokens, width), got {tuple(tokens.shape)}")
    n, d = tokens.shape[1], tokens.shape[2]
    if width is not None and d != width:
        raise ValueError(f"{name} have width {d}, but this connector was built for width {width}")
    side = math.isqrt(n)
    if side * side != n or n == 0:
        raise ValueError(f"{name}: N = {n} tokens do not form a square grid (N must be s × s)")
    return side


def positive_int(value, name):
    """Return ``value`` if it is a positive int (not a bool); raise ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


# %%
x = torch.randn(2, 576, 1024)  # (B, N, D): LLaVA-1.5's 24 × 24 grid of ViT-L/14 features
print("grid side:", grid_side(x))
assert grid_side(x) == 24
for bad in (torch.randn(576, 1024), torch.randn(2, 575, 1024)):
    try:
        grid_side(bad)
    except ValueError as err:
        print("ValueError:", err)

# %% [markdown]
# ## 2. Five connectors from scratch
#
# ### 2.1 Linear projection
#
# The simplest connector is one matrix (plus a bias) applied to every patch vector on its own:
# one token in, one token out. PaliGemma feeds its SigLIP features to the Gemma decoder through
# exactly such a linear layer ([Beyer et al., 2024](https://arxiv.org/abs/2407.07726)), and the
# first LLaVA did too ([Liu et al., 2023a](https://arxiv.org/abs/2304.08485)).

# %% tags=["export"]
import torch.nn as nn


class LinearProjector(nn.Module):
    """One linear map per patch token: (B, N, d_vision) -> (B, N, d_lm)."""

    def __init__(self, d_vision, d_lm):
        super().__init__()
        self.d_vision = positive_int(d_vision, "d_vision")
        self.proj = nn.Linear(d_vision, positive_int(d_lm, "d_lm"))

    def output_tokens(self, n_tokens):
        """Tokens passed on for ``n_tokens`` patch tokens in: all of them."""
        return n_tokens

    def forward(self, tokens):
        grid_side(tokens, self.d_vision)
        return self.proj(tokens)  # (B, N, d_lm)


# %% [markdown]
# Every connector gets the same check: a batch of 144 tokens (a 12 × 12 grid) of width 16 in,
# the expected number of tokens of width 64 out. The widths are small on purpose; these are
# the sizes we train with below.

# %%
D_VISION, D_LM = 16, 64
feats = torch.randn(2, 144, D_VISION)  # (B, N, D_v)
out = LinearProjector(D_VISION, D_LM)(feats)
print(tuple(feats.shape), "->", tuple(out.shape))
assert out.shape == (2, 144, D_LM)

# %% [markdown]
# ### 2.2 LLaVA-1.5's two-layer MLP
#
# LLaVA-1.5 replaced the single matrix by a two-layer MLP with a GELU between the layers,
# still one token per patch: 576 image tokens for a 336-pixel image
# ([Liu et al., 2023b](https://arxiv.org/abs/2310.03744)). The first layer goes from the
# encoder's width to the language model's, the second stays there (this is also how
# `LlavaMultiModalProjector` in Hugging Face `transformers` is built).

# %% tags=["export"]
class MLPProjector(nn.Module):
    """LLaVA-1.5's connector: Linear(d_vision, d_lm) -> GELU -> Linear(d_lm, d_lm), per token."""

    def __init__(self, d_vision, d_lm):
        super().__init__()
        self.d_vision = positive_int(d_vision, "d_vision")
        positive_int(d_lm, "d_lm")
        self.mlp = nn.Sequential(nn.Linear(d_vision, d_lm), nn.GELU(), nn.Linear(d_lm, d_lm))

    def output_tokens(self, n_tokens):
        """Tokens passed on for ``n_tokens`` patch tokens in: all of them."""
        return n_tokens

    def forward(self, tokens):
        grid_side(tokens, self.d_vision)
        return self.mlp(tokens)  # (B, N, d_lm)


# %%
out = MLPProjector(D_VISION, D_LM)(feats)
print(tuple(feats.shape), "->", tuple(out.shape))
assert out.shape == (2, 144, D_LM)

# %% [markdown]
# ### 2.3 InternVL's pixel shuffle: space-to-depth, then an MLP
#
# InternVL 1.5 cuts the token count by four before the MLP: it takes each 2 × 2 block of
# neighbouring patch vectors and **concatenates** them into one vector four times as wide, so a
# 448-pixel tile (a 32 × 32 grid) becomes 16 × 16 = 256 tokens
# ([Chen et al., 2024](https://arxiv.org/abs/2404.16821)). The operation is called [pixel shuffle](../../book/glossary.md#pixel-shuffle)
# after the layer that does the reverse, depth-to-space, for super-resolution
# ([Shi et al., 2016](https://arxiv.org/abs/1609.05158)). Nothing is averaged away: every number
# the encoder produced is still there, only regrouped into fewer, wider tokens. The MLP after it
# is LayerNorm → Linear → GELU → Linear, as in InternVL's `mlp1`. Qwen2-VL's 2 × 2 "patch
# merger" is the same idea: concatenate four neighbours, then an MLP
# ([Wang et al., 2024](https://arxiv.org/abs/2409.12191)).
#
# We write space-to-depth with one `reshape` and one `permute`. The order inside the wide
# vector is (row offset, column offset, channel), the same order InternVL's code reaches with
# its two view-and-permute steps (this lesson's tests check that). Any fixed order would do,
# because the linear layer after it can learn any permutation of its inputs.

# %% tags=["export"]
def space_to_depth(tokens, r):
    """Concatenate each r × r block of neighbouring tokens into one token.

    In:  ``tokens`` (B, N, D) from an s × s grid (row by row), s divisible by ``r``.
    Out: (B, N / r², r²·D); output token (i, j) is the concatenation, for a, b in 0..r-1
         (a slower), of the input tokens at grid position (r·i + a, r·j + b).
    """
    s = grid_side(tokens)
    r = positive_int(r, "r")
    if s % r:
        raise ValueError(f"grid side {s} is not divisible by the merge factor r = {r}")
    b, _, d = tokens.shape
    x = tokens.reshape(b, s // r, r, s // r, r, d)  # (B, i, a, j, b, D)
    x = x.permute(0, 1, 3, 2, 4, 5)                 # (B, i, j, a, b, D)
    return x.reshape(b, (s // r) ** 2, r * r * d)   # (B, N/r², r²·D)


class PixelShuffleProjector(nn.Module):
    """InternVL's connector: space_to_depth(r) -> LayerNorm -> Linear -> GELU -> Linear."""

    def __init__(self, d_vision, d_lm, r=2):
        super().__init__()
        self.d_vision = positive_int(d_vision, "d_vision")
        self.r = positive_int(r, "r")
        wide = d_vision * r * r
        self.mlp = nn.Sequential(nn.LayerNorm(wide), nn.Linear(wide, positive_int(d_lm, "d_lm")),
                                 nn.GELU(), nn.Linear(d_lm, d_lm))

    def output_tokens(self, n_tokens):
        """Tokens passed on for ``n_tokens`` patch tokens in: one per r × r block."""
        return n_tokens // (self.r * self.r)

    def forward(self, tokens):
        grid_side(tokens, self.d_vision)
        return self.mlp(space_to_depth(tokens, self.r))  # (B, N/r², d_lm)


# %% [markdown]
# First a check we can read by eye: a 4 × 4 grid whose tokens hold their own index. After
# space-to-depth with r = 2 the first output token must hold tokens 0, 1, 4 and 5 (the top-left
# 2 × 2 block), the second 2, 3, 6 and 7.

# %%
idx = torch.arange(16.0).reshape(1, 16, 1)  # (B=1, N=16, D=1): token k holds the number k
blocks = space_to_depth(idx, 2)              # (1, 4, 4)
print(blocks[0].long())
assert blocks[0, 0].tolist() == [0, 1, 4, 5] and blocks[0, 1].tolist() == [2, 3, 6, 7]
out = PixelShuffleProjector(D_VISION, D_LM, r=2)(feats)
print(tuple(feats.shape), "->", tuple(out.shape))
assert out.shape == (2, 36, D_LM)

# %% [markdown]
# ### 2.4 Average merge
#
# The cheapest way to have fewer tokens is to **average** each r × r block of patch vectors and
# then project. Gemma 3 does this with a 4 × 4 average pool, so its 64 × 64 grid at 896 pixels
# becomes 256 tokens ([Gemma Team, 2025](https://arxiv.org/abs/2503.19786)); a 2 × 2 average
# is the same operation with a smaller window. Unlike pixel shuffle, averaging keeps the width
# and discards information: four different blocks of vectors can have the same mean.

# %% tags=["export"]
def average_merge(tokens, r):
    """Average each r × r block of neighbouring tokens.

    In:  ``tokens`` (B, N, D) from an s × s grid, s divisible by ``r``.
    Out: (B, N / r², D), the mean of each block, blocks in reading order.
    """
    s = grid_side(tokens)
    r = positive_int(r, "r")
    if s % r:
        raise ValueError(f"grid side {s} is not divisible by the merge factor r = {r}")
    b, _, d = tokens.shape
    x = tokens.reshape(b, s // r, r, s // r, r, d)    # (B, i, a, j, b, D)
    return x.mean(dim=(2, 4)).reshape(b, -1, d)       # (B, N/r², D)


class AverageMergeProjector(nn.Module):
    """Average each r × r block of patch tokens, then one linear map to d_lm."""

    def __init__(self, d_vision, d_lm, r=2):
        super().__init__()
        self.d_vision = positive_int(d_vision, "d_vision")
        self.r = positive_int(r, "r")
        self.proj = nn.Linear(d_vision, positive_int(d_lm, "d_lm"))

    def output_tokens(self, n_tokens):
        """Tokens passed on for ``n_tokens`` patch tokens in: one per r × r block."""
        return n_tokens // (self.r * self.r)

    def forward(self, tokens):
        grid_side(tokens, self.d_vision)
        return self.proj(average_merge(tokens, self.r))  # (B, N/r², d_lm)


# %%
means = average_merge(idx, 2)  # (1, 4, 1)
print(means[0, :, 0])
assert means[0, :, 0].tolist() == [2.5, 4.5, 10.5, 12.5]  # mean of 0, 1, 4, 5 is 2.5, ...
out = AverageMergeProjector(D_VISION, D_LM, r=2)(feats)
print(tuple(feats.shape), "->", tuple(out.shape))
assert out.shape == (2, 36, D_LM)

# %% [markdown]
# ### 2.5 Learned-query cross-attention resampler
#
# The fifth connector does not look at the grid at all. It owns a small set of **learned query
# vectors**; in each layer every query attends to all patch tokens (cross-attention) and then
# goes through a feed-forward layer. Whatever the number of patches, the output is one token per
# query. This is a small transformer, not an MLP, and it is the idea behind two well-known
# modules:
#
# - Flamingo's **Perceiver [Resampler](../../book/glossary.md#resampler)** turns the features of an image (or video) into 64 visual
#   tokens; its latent queries attend to the patch features concatenated with the latents
#   themselves ([Alayrac et al., 2022](https://arxiv.org/abs/2204.14198)), following the
#   Perceiver ([Jaegle et al., 2021](https://arxiv.org/abs/2103.03206)).
# - BLIP-2's **Q-Former** runs 32 learned queries through a BERT-sized transformer (188M
#   parameters): in every layer the queries attend to each other (self-attention), and in every
#   other layer also to the frozen image encoder's features (cross-attention); a linear layer
#   then maps its 32 outputs into the language model
#   ([Li et al., 2023](https://arxiv.org/abs/2301.12597)).
#
# We write the attention out by hand (softmax of scaled dot products, several heads), with keys
# and values taken from the patch tokens *and* the queries, as the Perceiver Resampler does, and
# check it against PyTorch's fused `scaled_dot_product_attention`.

# %% tags=["export"]
import torch.nn.functional as F


class CrossAttentionBlock(nn.Module):
    """One resampler layer: queries attend to [patch tokens; queries], then a feed-forward MLP.

    In:  ``queries`` (B, M, width) and ``tokens`` (B, N, d_vision).
    Out: updated queries (B, M, width) (pre-norm, residual connections).
    """

    def __init__(self, d_vision, width, heads, ff_mult=2):
        super().__init__()
        if positive_int(width, "width") % positive_int(heads, "heads"):
            raise ValueError(f"width {width} must be divisible by heads {heads}")
        self.heads = heads
        self.norm_q = nn.LayerNorm(width)
        self.norm_x = nn.LayerNorm(d_vision)
        self.to_q = nn.Linear(width, width)
        self.kv_from_tokens = nn.Linear(d_vision, 2 * width)
        self.kv_from_queries = nn.Linear(width, 2 * width)
        self.out = nn.Linear(width, width)
        self.norm_ff = nn.LayerNorm(width)
        self.ff = nn.Sequential(nn.Linear(width, ff_mult * width), nn.GELU(),
                                nn.Linear(ff_mult * width, width))

    def attention(self, queries, tokens):
        """Multi-head attention of the queries over [tokens; queries]: (B, M, width)."""
        b, m, w = queries.shape
        h, hd = self.heads, w // self.heads
        q_in = self.norm_q(queries)
        kv = torch.cat([self.kv_from_tokens(self.norm_x(tokens)), self.kv_from_queries(q_in)], dim=1)
        q = self.to_q(q_in).reshape(b, m, h, hd).transpose(1, 2)           # (B, h, M, hd)
        k, v = kv.reshape(b, -1, 2, h, hd).permute(2, 0, 3, 1, 4)          # 2 × (B, h, N+M, hd)
        weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd), dim=-1)  # (B, h, M, N+M)
        return (weights @ v).transpose(1, 2).reshape(b, m, w)             # (B, M, width)

    def forward(self, queries, tokens):
        queries = queries + self.out(self.attention(queries, tokens))
        return queries + self.ff(self.norm_ff(queries))


class LearnedQueryResampler(nn.Module):
    """``num_queries`` learned queries cross-attend to the patch tokens: (B, N, d_v) -> (B, M, d_lm).

    ``width`` is the resampler's own width (default d_lm), ``depth`` its number of layers; a final
    LayerNorm and Linear map the queries to the language model's width, as BLIP-2 does.
    """

    def __init__(self, d_vision, d_lm, num_queries, width=None, depth=1, heads=4, ff_mult=2):
        super().__init__()
        self.d_vision = positive_int(d_vision, "d_vision")
        width = positive_int(d_lm, "d_lm") if width is None else width
        self.queries = nn.Parameter(torch.randn(positive_int(num_queries, "num_queries"), width) * 0.02)
        self.layers = nn.ModuleList([CrossAttentionBlock(d_vision, width, heads, ff_mult)
                                     for _ in range(positive_int(depth, "depth"))])
        self.norm = nn.LayerNorm(width)
        self.proj = nn.Linear(width, d_lm)

    def output_tokens(self, n_tokens):
        """Tokens passed on for ``n_tokens`` patch tokens in: one per query, whatever N is."""
        return self.queries.shape[0]

    def forward(self, tokens):
        grid_side(tokens, self.d_vision)
        q = self.queries.expand(tokens.shape[0], -1, -1)  # (B, M, width)
        for layer in self.layers:
            q = layer(q, tokens)
        return self.proj(self.norm(q))                    # (B, M, d_lm)


# %% [markdown]
# Two checks. The hand-written attention must agree with PyTorch's fused kernel given the same
# projections, and the output must have one token per query whatever the number of patches.

# %%
block = CrossAttentionBlock(D_VISION, D_LM, heads=4)
q0 = torch.randn(2, 9, D_LM)
with torch.no_grad():
    mine = block.attention(q0, feats)
    q_in = block.norm_q(q0)
    kv = torch.cat([block.kv_from_tokens(block.norm_x(feats)), block.kv_from_queries(q_in)], dim=1)
    q = block.to_q(q_in).reshape(2, 9, 4, 16).transpose(1, 2)
    k, v = kv.reshape(2, -1, 2, 4, 16).permute(2, 0, 3, 1, 4)
    ref = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(2, 9, D_LM)
err = (mine - ref).abs().max().item()
print(f"max |hand-written - fused| = {err:.2e}")
assert err < 1e-5

resampler = LearnedQueryResampler(D_VISION, D_LM, num_queries=9)
for n in (16, 144, 576):
    out = resampler(torch.randn(2, n, D_VISION))
    print(f"{n:4d} patch tokens -> {tuple(out.shape)}")
    assert out.shape == (2, 9, D_LM)

# %% [markdown]
# Bad input gets a clear message, not a traceback from inside a matrix multiply:

# %%
for call in (lambda: MLPProjector(D_VISION, D_LM)(torch.randn(2, 144, 32)),
             lambda: PixelShuffleProjector(D_VISION, D_LM, r=5)(feats),
             lambda: AverageMergeProjector(D_VISION, D_LM, r=0),
             lambda: LinearProjector(D_VISION, D_LM)(np.zeros((2, 144, 16)))):
    try:
        call()
    except (ValueError, TypeError) as err:
        print(f"{type(err).__name__}: {err}")

# %% [markdown]
# ## 3. What each connector costs at real sizes
#
# Now the widths of a real model: a CLIP ViT-L/14 encoder (width 1,024, patch 14, as in
# LLaVA-1.5) feeding a language model of width 4,096 (a 7B Llama-class model). We build each
# connector on PyTorch's `meta` device, which creates the parameter shapes without allocating
# memory, count the parameters, and ask each connector how many tokens it passes on at
# resolutions from 224 to 896 pixels. The resampler's configuration (64 queries as in Flamingo,
# two layers of width 1,024) is illustrative, not any one model's.

# %% tags=["export"]
def count_params(module):
    """Number of trainable parameters of an ``nn.Module`` (works on the meta device too)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def patch_tokens(image_side, patch):
    """Patch tokens of a square ``image_side``-px image with ``patch``-px patches: (side/P)²."""
    image_side, patch = positive_int(image_side, "image_side"), positive_int(patch, "patch")
    if image_side % patch:
        raise ValueError(f"image side {image_side} is not a multiple of the patch size {patch}")
    return (image_side // patch) ** 2


def real_size_connectors(d_vision=1024, d_lm=4096):
    """The five connectors at a real model's widths, built on the meta device (no memory)."""
    with torch.device("meta"):
        return {
            "linear": LinearProjector(d_vision, d_lm),
            "MLP (LLaVA-1.5)": MLPProjector(d_vision, d_lm),
            "pixel shuffle 2×2 (InternVL)": PixelShuffleProjector(d_vision, d_lm, r=2),
            "average merge 2×2": AverageMergeProjector(d_vision, d_lm, r=2),
            "resampler, 64 queries": LearnedQueryResampler(d_vision, d_lm, num_queries=64, width=1024,
                                                           depth=2, heads=16, ff_mult=4),
        }


# %%
RESOLUTIONS = [224, 336, 448, 672, 896]
real = real_size_connectors()
cost = {name: (count_params(m), [m.output_tokens(patch_tokens(r, 14)) for r in RESOLUTIONS])
        for name, m in real.items()}
print(f"{'connector':30s} {'params':>12s} " + " ".join(f"{r:>6d}px" for r in RESOLUTIONS))
print(f"{'(patch tokens from ViT-L/14)':30s} {'':>12s} "
      + " ".join(f"{patch_tokens(r, 14):8d}" for r in RESOLUTIONS))
for name, (params, toks) in cost.items():
    print(f"{name:30s} {params:12,d} " + " ".join(f"{t:8d}" for t in toks))

# %% [markdown]
# Three rows of this table are numbers that real models print. LLaVA-1.5's MLP at 336 pixels
# passes on 576 tokens; InternVL's pixel shuffle turns a 448-pixel tile into 256; and Gemma 3's
# 4 × 4 average at 896 pixels also lands on 256. We check all three with the same code:

# %%
assert cost["MLP (LLaVA-1.5)"][1][RESOLUTIONS.index(336)] == 576
assert cost["pixel shuffle 2×2 (InternVL)"][1][RESOLUTIONS.index(448)] == 256
with torch.device("meta"):
    gemma_like = AverageMergeProjector(1152, 2560, r=4)  # SigLIP width 1152 -> 4 × 4 average
print("Gemma 3-style 4×4 average at 896 px:", gemma_like.output_tokens(patch_tokens(896, 14)), "tokens")
assert gemma_like.output_tokens(patch_tokens(896, 14)) == 256

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
for (name, (params, toks)), ls in zip(cost.items(), ["-", "--", "-", "--", "-"]):
    ax1.plot(RESOLUTIONS, toks, marker="o", ls=ls, label=name)  # dashed lines lie on solid ones
ax1.set_yscale("log")
ax1.set_xticks(RESOLUTIONS)
ax1.minorticks_off()
ax1.set_xlabel("input resolution (px, square image)")
ax1.set_ylabel("image tokens passed to the LM (log scale)")
ax1.set_title("Tokens per image: ViT-L/14 → LM of width 4,096")
ax1.legend(fontsize=8)
names = list(cost)
ax2.barh(names, [cost[n][0] / 1e6 for n in names], color="tab:gray")
ax2.invert_yaxis()
ax2.set_xlabel("parameters (millions)")
ax2.set_title("Connector parameters (the same at every resolution)")
plt.tight_layout()
plt.show()

# %% [markdown]
# Read the two panels together:
#
# - **Tokens come from the grid and the merge, not from the [projector](../../book/glossary.md#projector)'s depth.** The linear
#   layer and the MLP pass on the same number of tokens; only the merge (pixel shuffle or
#   average, ÷ r²) or the resampler (a fixed count) changes it. In a formula:
#   tokens = (*H*/*P*) · (*W*/*P*) / *r*², or the number of queries for a resampler.
# - **Parameters do not depend on resolution.** None of these connectors has a weight per
#   position, so the same weights serve 224 and 896 pixels. Pixel shuffle has more parameters
#   than the MLP because its first layer reads vectors four times as wide (4,096 numbers
#   instead of 1,024); the average merge has as few as the linear layer.
# - **A resampler's token count is flat, its price is elsewhere:** the encoder still runs on
#   every patch (a ViT-L/14 at 896 pixels processes thousands of tokens), and everything the
#   language model may need must fit through a few dozen vectors.

# %% [markdown]
# ## 4. A probe where compression matters
#
# Counting tokens is arithmetic; what a connector *loses* has to be measured. We need a task
# where the answer lives in fine detail. Plain object counting is a bad probe: a blurry view
# still shows where the blobs are. So every image here holds eight objects with exactly the same
# amount of ink: **hollow 4 × 4 rings** (12 lit pixels) and **filled 3 × 4 blocks** (also 12
# lit pixels). The question is "how many rings?" (0 to 5). Brightness, object count and total ink
# are identical across images; only the tiny holes tell a ring from a block.

# %% tags=["export"]
import numpy as np


def make_ring_scenes(n, size=48, n_objects=8, max_rings=5, seed=0):
    """Images of ``n_objects`` objects with equal ink: hollow 4×4 rings and filled 3×4 blocks.

    In:  ``n`` images of ``size`` × ``size`` pixels; each has a number of rings drawn uniformly
         from 0..``max_rings`` (the label), the rest are blocks (3×4 or 4×3), placed at random
         pixel positions without touching (one pixel of space around each).
    Out: (images float32 (n, size, size) with values 0 or 1, labels int64 (n,)).
    """
    for value, name in ((n, "n"), (size, "size"), (n_objects, "n_objects")):
        positive_int(value, name)
    if isinstance(max_rings, bool) or not isinstance(max_rings, int) or not 0 <= max_rings <= n_objects:
        raise ValueError(f"max_rings must be an integer from 0 to n_objects = {n_objects}, got {max_rings!r}")
    if size < 8 or n_objects * 25 > size * size // 2:
        raise ValueError(f"{n_objects} objects do not fit comfortably in a {size}×{size} image")
    ring = np.ones((4, 4), np.float32)
    ring[1:3, 1:3] = 0.0
    gen = np.random.default_rng(seed)
    images = np.zeros((n, size, size), np.float32)
    labels = gen.integers(0, max_rings + 1, size=n)
    for i in range(n):
        taken = np.zeros((size + 2, size + 2), bool)  # padded occupancy, keeps a 1-px gap
        for k in range(n_objects):
            shape = ring if k < labels[i] else np.ones((3, 4) if gen.random() < 0.5 else (4, 3), np.float32)
            h, w = shape.shape
            for _ in range(10_000):
                y, x = gen.integers(0, size - h + 1), gen.integers(0, size - w + 1)
                if not taken[y:y + h + 2, x:x + w + 2].any():
                    break
            else:
                raise RuntimeError("could not place every object; use fewer objects or a larger image")
            taken[y:y + h + 2, x:x + w + 2] = True
            images[i, y:y + h, x:x + w] = shape
    return images, labels.astype(np.int64)


# %%
SIZE, N_TRAIN, N_TEST = 48, 4000, 1000
t = time.perf_counter()
train_images, train_labels = make_ring_scenes(N_TRAIN, SIZE, seed=1)
test_images, test_labels = make_ring_scenes(N_TEST, SIZE, seed=2)
print(f"{N_TRAIN + N_TEST} scenes in {time.perf_counter() - t:.1f} s; images {train_images.shape}")
ink = np.concatenate([train_images, test_images]).sum(axis=(1, 2))
print("ink per image: min", ink.min(), "max", ink.max())
assert ink.min() == ink.max() == 8 * 12  # every image has exactly the same ink
majority = np.bincount(test_labels).max() / len(test_labels)
print(f"majority-class accuracy on the test set: {majority:.1%}")

# %%
fig, axes = plt.subplots(1, 6, figsize=(13, 2.6))
for ax, i in zip(axes, [int(np.flatnonzero(train_labels == k)[0]) for k in range(6)]):
    ax.imshow(train_images[i], cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(f"{train_labels[i]} rings")
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("Ring-counting probe: 48 × 48 px, eight objects of 12 lit pixels each")
plt.tight_layout()
plt.show()

# %% [markdown]
# ### The frozen encoder
#
# The connectors need patch features from a vision encoder. We cannot download a trained one,
# and training one on this task would let the *encoder* solve it, which is not what we want to
# measure. So we use a small ViT with **random, frozen weights**: patches of 4 × 4 pixels (a
# 12 × 12 grid, 144 tokens at 48 pixels), width 16, two transformer blocks. The width is the
# number of pixel values in a patch (4 · 4 · 1 = 16), roughly the proportion of a real ViT-B/16
# (768 values → width 768). Random features are a weak stand-in for a trained encoder, but what
# matters here holds: the connector can only pass on, and mix, what the encoder gives it. A
# grid of another size gets its [position embeddings](../../book/glossary.md#position-embedding) by bilinear interpolation, as in lesson 3.1.

# %% tags=["export"]
class FrozenViTEncoder(nn.Module):
    """A small ViT (patch embedding, positions, pre-norm blocks) used with random frozen weights.

    In:  images (B, H, W) with one channel, H = W a multiple of ``patch``.
    Out: patch tokens (B, (H/patch)², width).
    """

    def __init__(self, width=16, patch=4, grid=12, depth=2, heads=1):
        super().__init__()
        self.patch = positive_int(patch, "patch")
        self.embed = nn.Conv2d(1, positive_int(width, "width"), patch, stride=patch)
        self.pos = nn.Parameter(torch.randn(1, width, grid, grid) * 0.02)
        layer = lambda: nn.TransformerEncoderLayer(width, heads, 4 * width, dropout=0.0,  # noqa: E731
                                                   activation="gelu", batch_first=True, norm_first=True)
        self.blocks = nn.ModuleList([layer() for _ in range(positive_int(depth, "depth"))])
        self.norm = nn.LayerNorm(width)
        self.requires_grad_(False)
        self.eval()

    def forward(self, images):
        if not isinstance(images, torch.Tensor) or images.dim() != 3 or images.shape[1] != images.shape[2]:
            raise ValueError("images must be a tensor of shape (B, H, W) with H = W")
        if images.shape[-1] % self.patch:
            raise ValueError(f"image side {images.shape[-1]} is not a multiple of the patch size {self.patch}")
        x = self.embed(images[:, None])                          # (B, width, s, s)
        pos = self.pos
        if pos.shape[-1] != x.shape[-1]:
            pos = F.interpolate(pos, size=x.shape[-2:], mode="bilinear", align_corners=False)
        x = (x + pos).flatten(2).transpose(1, 2)                 # (B, s·s, width)
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)


@torch.no_grad()
def encode(encoder, images, batch=500, device="cpu"):
    """Run ``encoder`` over a numpy or torch stack of images in batches: (n, N, width) on ``device``."""
    images = torch.as_tensor(images, dtype=torch.float32)
    return torch.cat([encoder(images[i:i + batch].to(device)) for i in range(0, len(images), batch)])


# %%
torch.manual_seed(SEED)
encoder = FrozenViTEncoder(width=D_VISION, patch=4, grid=SIZE // 4).to(device)
t = time.perf_counter()
train_feats = {SIZE: encode(encoder, train_images, device=device)}
test_feats = {SIZE: encode(encoder, test_images, device=device)}
print(f"encoded in {time.perf_counter() - t:.1f} s: train {tuple(train_feats[SIZE].shape)}, "
      f"test {tuple(test_feats[SIZE].shape)}; trainable encoder parameters: {count_params(encoder)}")
assert train_feats[SIZE].shape == (N_TRAIN, 144, D_VISION) and count_params(encoder) == 0

# %% [markdown]
# ### The reader: a stand-in for the language model
#
# After the connector, something has to read the image tokens and answer. In a VLM that is the
# language model; here it is a small **reader** that is the same for every connector: a
# per-token MLP, an average over the tokens, then a classifier over the six answers. (A batch
# norm after the average makes small differences between images visible to the classifier; the
# average alone varies very little from image to image.) The reader is deliberately weak: it
# cannot look back at the patches, so it only knows what the connector handed on. Connector and
# reader are trained together while the encoder stays frozen (LLaVA-1.5 also keeps its vision
# encoder frozen).

# %% tags=["export"]
class CountingReader(nn.Module):
    """Reads image tokens and answers: per-token MLP -> mean over tokens -> BatchNorm -> MLP.

    In:  tokens (B, M, d_lm). Out: logits (B, classes).
    """

    def __init__(self, d_lm, hidden=64, classes=6):
        super().__init__()
        self.per_token = nn.Sequential(nn.Linear(positive_int(d_lm, "d_lm"), hidden), nn.GELU())
        self.classify = nn.Sequential(nn.BatchNorm1d(hidden), nn.Linear(hidden, hidden), nn.GELU(),
                                      nn.Linear(hidden, positive_int(classes, "classes")))

    def forward(self, tokens):
        return self.classify(self.per_token(tokens).mean(dim=1))


def train_probe(connector, feats, labels, steps=300, batch=64, lr=3e-3, seed=0, desc="training"):
    """Train ``connector`` + a fresh ``CountingReader`` for a fixed number of steps.

    In:  ``feats`` (n, N, d_vision) frozen encoder features and ``labels`` (n,) on one device.
    Out: dict with the trained ``reader``, the per-step ``losses`` (list of float) and
         ``ms_per_step`` (wall time of one training step, in milliseconds).
    """
    import time

    from tqdm.auto import tqdm

    positive_int(steps, "steps")
    positive_int(batch, "batch")
    dev = feats.device
    torch.manual_seed(seed)
    connector = connector.to(dev)
    with torch.no_grad():
        _, n_out, d_out = connector(feats[:2]).shape  # (2, M, d_lm)
    reader = CountingReader(d_out).to(dev)
    params = list(connector.parameters()) + list(reader.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    connector.train()
    reader.train()
    losses = []
    if dev.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in tqdm(range(steps), desc=f"{desc} ({n_out} tokens)", leave=False):
        idx = torch.randint(0, len(feats), (batch,), generator=gen).to(dev)
        loss = F.cross_entropy(reader(connector(feats[idx])), labels[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    if dev.type == "cuda":
        torch.cuda.synchronize()
    ms = (time.perf_counter() - start) / steps * 1000
    connector.eval()
    reader.eval()
    return {"reader": reader, "losses": losses, "ms_per_step": ms}


@torch.no_grad()
def accuracy(connector, reader, feats, labels):
    """Fraction of images whose predicted class equals the label."""
    return (reader(connector(feats)).argmax(dim=1) == labels).float().mean().item()


# %% [markdown]
# ### Training every connector for the same number of steps
#
# Eight runs: the five connectors, plus the three compressing ones at a second setting, so that
# the token budgets line up: 144 tokens (linear, MLP), 36 tokens (pixel shuffle 2 × 2, average
# merge 2 × 2, resampler with 36 queries) and 9 tokens (the 4 × 4 versions and 9 queries).
# Every run gets 300 steps of 64 images, the same learning-rate schedule and the same seed. One
# seed only: differences of a few points between runs are within noise.

# %%
STEPS, BATCH, LR = 300, 64, 3e-3
ytr = torch.as_tensor(train_labels, device=device)
yte = torch.as_tensor(test_labels, device=device)
CONNECTORS = {
    "linear": lambda: LinearProjector(D_VISION, D_LM),
    "MLP (LLaVA-1.5)": lambda: MLPProjector(D_VISION, D_LM),
    "pixel shuffle 2×2": lambda: PixelShuffleProjector(D_VISION, D_LM, r=2),
    "pixel shuffle 4×4": lambda: PixelShuffleProjector(D_VISION, D_LM, r=4),
    "average merge 2×2": lambda: AverageMergeProjector(D_VISION, D_LM, r=2),
    "average merge 4×4": lambda: AverageMergeProjector(D_VISION, D_LM, r=4),
    "resampler, 36 queries": lambda: LearnedQueryResampler(D_VISION, D_LM, num_queries=36),
    "resampler, 9 queries": lambda: LearnedQueryResampler(D_VISION, D_LM, num_queries=9),
}
results = {}
for name, make in CONNECTORS.items():
    torch.manual_seed(SEED)
    conn = make()
    run = train_probe(conn, train_feats[SIZE], ytr, STEPS, BATCH, LR, seed=SEED, desc=name)
    results[name] = {"tokens": conn.output_tokens(144), "params": count_params(conn),
                     "acc": accuracy(conn, run["reader"], test_feats[SIZE], yte), **run}
    print(f"{name:22s} {results[name]['tokens']:4d} tokens  test accuracy {results[name]['acc']:.1%}")

# %%
fig, ax = plt.subplots(figsize=(8, 4))
for name, r in results.items():
    ax.plot(np.convolve(r["losses"], np.ones(10) / 10, mode="valid"), label=name)
ax.axhline(math.log(6), color="gray", ls=":", label="chance (ln 6)")
ax.set_xlabel("training step")
ax.set_ylabel("cross-entropy (moving average of 10 steps)")
ax.set_title("Training loss of connector + reader on the ring-counting probe")
ax.legend(fontsize=7, ncol=2)
plt.tight_layout()
plt.show()

# %%
print(f"{'connector':22s} {'tokens':>6s} {'params':>8s} {'accuracy':>9s} {'ms/step':>8s}")
for name, r in results.items():
    print(f"{name:22s} {r['tokens']:6d} {r['params']:8,d} {r['acc']:9.1%} {r['ms_per_step']:8.1f}")
print(f"{'majority class':22s} {'':6s} {'':8s} {majority:9.1%}")

# %% [markdown]
# The assertions below are sanity floors with a wide margin, not the measured values: the
# uncompressed connectors must clearly beat guessing the most common answer. The measured
# numbers are the ones printed above.

# %%
for name in ("linear", "MLP (LLaVA-1.5)"):
    assert results[name]["acc"] > majority + 0.25, f"{name} barely beats the majority class"
assert max(r["acc"] for r in results.values()) > majority + 0.4

# %%
fig, ax = plt.subplots(figsize=(8, 4.5))
styles = {"linear": "o", "MLP": "o", "pixel": "s", "average": "v", "resampler": "D"}
colors = {"linear": "tab:blue", "MLP": "tab:cyan", "pixel": "tab:green", "average": "tab:red",
          "resampler": "tab:purple"}
for name, r in results.items():
    key = name.split()[0].rstrip(",")
    ax.scatter(r["tokens"], r["acc"], marker=styles[key], color=colors[key], s=60)
    ax.annotate(name, (r["tokens"], r["acc"]), textcoords="offset points", xytext=(6, 3), fontsize=8)
ax.axhline(majority, color="gray", ls=":", label="majority class")
ax.set_xscale("log")
ax.minorticks_off()
ax.set_xticks([9, 36, 144])
ax.set_xticklabels(["9", "36", "144"])
ax.set_xlim(6, 400)
ax.set_ylim(0, 1.05)
ax.set_xlabel("image tokens passed to the reader (log scale)")
ax.set_ylabel("test accuracy (6 classes)")
ax.set_title(f"Counting rings: accuracy vs tokens, {STEPS} training steps each")
ax.legend(loc="lower right")
plt.tight_layout()
plt.show()

# %% [markdown]
# The comparison that isolates *how* a connector compresses is at equal token counts. The next
# cell prints it from the results, so the sentences match whatever your run measured.

# %%
for budget, group in ((36, ["pixel shuffle 2×2", "average merge 2×2", "resampler, 36 queries"]),
                      (9, ["pixel shuffle 4×4", "average merge 4×4", "resampler, 9 queries"])):
    ranked = sorted(group, key=lambda n: -results[n]["acc"])
    print(f"At {budget} tokens: " + " > ".join(f"{n} ({results[n]['acc']:.0%})" for n in ranked))
best_full = max(results["linear"]["acc"], results["MLP (LLaVA-1.5)"]["acc"])
print(f"With all 144 tokens, the better per-patch connector reaches {best_full:.0%}.")

# %% [markdown]
# What to look for in the table and the plot:
#
# - **Averaging destroys detail.** A hole is a difference between neighbouring pixels; once four
#   patch vectors are replaced by their mean, three quarters of the numbers are gone, and
#   different blocks of patches can end up with the same mean. Compare the average merge with
#   pixel shuffle at 36 tokens in the lines printed above: same token count, same training, a
#   different way of compressing.
# - **Pixel shuffle compresses without discarding.** It keeps every number the encoder produced
#   and lets its MLP combine four neighbours; InternVL and Qwen2-VL merge this way. At 4 × 4 the
#   first layer has to summarise sixteen patches (256 numbers) into one vector of width 64, which
#   is much harder to learn in a short budget: look at how far each 9-token connector got.
# - **Learned queries choose what to keep.** The resampler's attention can pick out the tokens
#   that matter for the question it is trained on, so a handful of queries can do well here. That
#   is the promise of the Q-Former and its catch: queries trained for one question keep what that
#   question needs, while a general assistant cannot know in advance which detail a user will ask
#   about. Many recent open models (LLaVA-1.5, InternVL, Qwen2-VL) pass on per-patch or merged
#   tokens instead of a small set of learned queries.
# - **Our reader is weak on purpose.** A real language model attends across all image tokens and
#   could recover more from 144 per-patch tokens than our per-token reader does; a resampler adds
#   trainable attention layers the reader lacks. Treat the ranking as a property of this setup,
#   measured with one seed, not a law.

# %% [markdown]
# ## 5. The central trade-off: resolution → tokens → accuracy
#
# The token count of a per-patch connector is set by the resolution. We now render the same
# scenes at lower resolution (area-averaging 48 → 32, 24 and 16 pixels, which blurs the 2-pixel
# holes), encode them with the same frozen encoder (patch 4: 64, 36 and 16 tokens), and train the
# LLaVA-1.5-style MLP connector with the same budget of steps. Besides accuracy we record the
# wall time of one training step: the price of the extra tokens.

# %% tags=["export"]
def downsample(images, side):
    """Area-average a stack of square images (n, S, S) to (n, side, side), float32 tensor."""
    images = torch.as_tensor(images, dtype=torch.float32)
    if images.dim() != 3:
        raise ValueError(f"images must have shape (n, S, S), got {tuple(images.shape)}")
    positive_int(side, "side")
    return F.interpolate(images[:, None], size=(side, side), mode="area")[:, 0]


# %%
SIDES = [16, 24, 32]
fig, axes = plt.subplots(1, 4, figsize=(11, 3))
example = int(np.flatnonzero(test_labels == 3)[0])
for ax, side in zip(axes, SIDES + [SIZE]):
    img = downsample(test_images[example:example + 1], side)[0] if side != SIZE else test_images[example]
    ax.imshow(img, cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(f"{side} px → {patch_tokens(side, 4)} tokens")
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle(f"One test scene ({test_labels[example]} rings) at four resolutions, patch 4")
plt.tight_layout()
plt.show()

# %%
for side in SIDES:
    train_feats[side] = encode(encoder, downsample(train_images, side), device=device)
    test_feats[side] = encode(encoder, downsample(test_images, side), device=device)
sweep = {SIZE: results["MLP (LLaVA-1.5)"]}  # 48 px: the MLP run above, same settings
for side in SIDES:
    torch.manual_seed(SEED)
    conn = MLPProjector(D_VISION, D_LM)
    run = train_probe(conn, train_feats[side], ytr, STEPS, BATCH, LR, seed=SEED, desc=f"MLP at {side} px")
    sweep[side] = {"tokens": patch_tokens(side, 4), "acc": accuracy(conn, run["reader"], test_feats[side], yte),
                   **run}
sweep = dict(sorted(sweep.items()))
print(f"{'resolution':>10s} {'tokens':>6s} {'accuracy':>9s} {'ms/step':>8s}")
for side, r in sweep.items():
    print(f"{side:>8d}px {r['tokens']:6d} {r['acc']:9.1%} {r['ms_per_step']:8.1f}")

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
toks = [r["tokens"] for r in sweep.values()]
ax1.plot(toks, [r["acc"] for r in sweep.values()], marker="o")
for side, r in sweep.items():
    ax1.annotate(f"{side} px", (r["tokens"], r["acc"]), textcoords="offset points", xytext=(5, -12))
ax1.axhline(majority, color="gray", ls=":", label="majority class")
ax1.set_xscale("log")
ax1.minorticks_off()
ax1.set_xticks(toks)
ax1.set_xticklabels([str(t) for t in toks])
ax1.set_ylim(0, 1.05)
ax1.set_xlabel("image tokens (log scale)")
ax1.set_ylabel("test accuracy")
ax1.set_title(f"Accuracy at a fixed budget of {STEPS} steps")
ax1.legend(loc="lower right")
ax2.plot(toks, [r["ms_per_step"] for r in sweep.values()], marker="o", color="tab:orange")
ax2.set_xscale("log")
ax2.minorticks_off()
ax2.set_xticks(toks)
ax2.set_xticklabels([str(t) for t in toks])
ax2.set_xlabel("image tokens (log scale)")
ax2.set_ylabel("wall time per training step (ms)")
ax2.set_title(f"Cost per step on {device.type.upper()}")
plt.tight_layout()
plt.show()

# %%
assert sweep[SIZE]["acc"] > sweep[16]["acc"] + 0.15, "more resolution should help a fine-detail task"
print(f"16 px → 48 px: tokens ×{sweep[SIZE]['tokens'] // sweep[16]['tokens']}, accuracy "
      f"{sweep[16]['acc']:.0%} → {sweep[SIZE]['acc']:.0%}, time per step "
      f"×{sweep[SIZE]['ms_per_step'] / sweep[16]['ms_per_step']:.1f}")

# %% [markdown]
# This is the trade-off every tiling and resolution rule of lesson 3.3 is negotiating. Below
# some resolution the holes are gone from the pixels themselves, and no connector can bring them
# back; above it, each doubling of the side costs four times the tokens, and the language
# model's time per step grows with them (here the reader is tiny, so fixed overheads hide part
# of the growth; in a real model attention over thousands of tokens does not). Merging (pixel
# shuffle) or resampling lets a model take the high resolution *and* pay for fewer tokens,
# which is exactly what InternVL's 448-pixel tiles with 256 tokens each do.

# %% [markdown]
# ## 6. Designs that break the three-part picture
#
# Everything so far assumed the common recipe: encoder → connector → image tokens in the
# language model's context. Two influential models do something else.
#
# **Flamingo: zero image tokens in the context.** Flamingo resamples each image to 64 tokens
# with its Perceiver Resampler, but does not put them into the sequence. Instead it inserts new
# **gated cross-attention** layers between the frozen layers of the language model: text
# positions attend to the visual tokens, and the result is multiplied by tanh(α) with α
# initialised to 0, so at the start of training the language model behaves exactly as before
# ([Alayrac et al., 2022](https://arxiv.org/abs/2204.14198)). An image then costs compute in
# those layers but no image tokens in the context; only a short `<image>` tag in the text marks
# where it was. (Llama 3.2 Vision also reads its image features through cross-attention layers.)
# The zero-gate property is easy to check:

# %%
class GatedCrossAttention(nn.Module):
    """Flamingo-style: text states attend to visual tokens; the update is scaled by tanh(alpha)."""

    def __init__(self, width, heads=4):
        super().__init__()
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.alpha = nn.Parameter(torch.zeros(1))  # tanh(0) = 0: the gate starts closed

    def forward(self, text_states, visual_tokens):
        update, _ = self.attn(text_states, visual_tokens, visual_tokens)
        return text_states + torch.tanh(self.alpha) * update


text_states = torch.randn(2, 10, D_LM)     # (B, text tokens, width): 10 positions in the context
visual = torch.randn(2, 64, D_LM)          # 64 resampled visual tokens, outside the context
gated = GatedCrossAttention(D_LM)
print("context length with the image:", gated(text_states, visual).shape[1], "(text only)")
assert torch.equal(gated(text_states, visual), text_states)  # closed gate: LM unchanged

# %% [markdown]
# **Fuyu: no separate image encoder.** Adept's Fuyu-8B has no ViT at all: the image is cut into
# 30 × 30-pixel patches, each patch's raw pixels go through one linear layer straight into the
# decoder's first layer, with a newline token at the end of each row of patches, and the
# decoder-only transformer does the rest
# ([Bavishi et al., 2023](https://www.adept.ai/blog/fuyu-8b); [model card](https://huggingface.co/adept/fuyu-8b)).
# Image tokens are in the context, as in LLaVA, but the "connector" *is* the whole vision
# encoder. At Fuyu-8B's width (4,096) that linear layer is small:

# %%
with torch.device("meta"):
    fuyu_patch_embed = nn.Linear(30 * 30 * 3, 4096)
print(f"Fuyu-style patch projection: {count_params(fuyu_patch_embed):,} parameters; "
      f"a 300 × 300 image → {patch_tokens(300, 30)} patch tokens + {300 // 30} newline tokens")

# %% [markdown]
# ## Exercises
#
# ### Exercise 3.8: pixel shuffle by hand
#
# Write `pixel_shuffle_exercise(tokens, r)` that turns patch tokens of shape (B, N, D) from an
# s × s grid into (B, N / r², r² · D) tokens, where output token (i, j) (in reading order) is the
# concatenation of the input tokens at grid positions (r·i + a, r·j + b) for a = 0..r-1 and
# b = 0..r-1, *a* changing slower. This is the order of `space_to_depth` above; do not call it.
#
# <details><summary>Hint</summary>
#
# Reshape (B, N, D) to (B, s/r, r, s/r, r, D), so that the axes are (block row, row offset,
# block column, column offset, channel); move the two offsets next to each other with
# `permute(0, 1, 3, 2, 4, 5)`; then reshape to (B, (s/r)², r·r·D). Use `reshape`, not `view`,
# after a permute.
#
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex3-4-1-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
def pixel_shuffle_exercise(tokens, r):
    """(B, N, D) tokens of an s × s grid -> (B, N/r², r²·D), each r × r block concatenated."""
    ### BEGIN SOLUTION
    b, n, d = tokens.shape
    s = math.isqrt(n)
    x = tokens.reshape(b, s // r, r, s // r, r, d)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(b, (s // r) ** 2, r * r * d)
    ### END SOLUTION


# %% tags=["export"]
def _feedback(quiet):
    return (lambda *a: None) if quiet else print


def check_pixel_shuffle(fn, quiet=False):
    """Self-check for the pixel-shuffle exercise.

    In:  ``fn(tokens, r)``. Out: True (correct), False (wrong; prints what and a hint) or None
    (not attempted).
    """
    say = _feedback(quiet)
    gen = torch.Generator().manual_seed(0)
    cases = [(torch.arange(16.0).reshape(1, 16, 1), 2), (torch.randn(2, 36, 3, generator=gen), 2),
             (torch.randn(1, 144, 4, generator=gen), 3), (torch.randn(2, 64, 2, generator=gen), 4)]
    for tokens, r in cases:
        want = space_to_depth(tokens, r)
        try:
            got = fn(tokens.clone(), r)
        except NotImplementedError:
            say("○ Not attempted yet: replace `raise NotImplementedError()` with your code.")
            return None
        except Exception as err:  # noqa: BLE001 - report any learner error as feedback
            say(f"✘ pixel_shuffle_exercise(tokens of shape {tuple(tokens.shape)}, r={r}) raised "
                f"{type(err).__name__}: {err}")
            return False
        if not isinstance(got, torch.Tensor) or got.shape != want.shape:
            shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
            say(f"✘ for tokens of shape {tuple(tokens.shape)} and r={r} you returned {shape}, expected "
                f"{tuple(want.shape)}. Hint: r × r tokens become one token r² times as wide.")
            return False
        if not torch.equal(got, want):
            same_sets = torch.equal(got.sort(dim=-1).values, want.sort(dim=-1).values)
            hint = ("each token holds the right numbers in the wrong order: a (row offset) must change "
                    "slower than b (column offset), and the channel fastest" if same_sets else
                    "your tokens mix numbers from the wrong grid positions: after the reshape to "
                    "(B, s/r, r, s/r, r, D), bring the two offsets together with permute(0, 1, 3, 2, 4, 5)")
            say(f"✘ wrong values for tokens of shape {tuple(tokens.shape)}, r={r}: {hint}.")
            return False
    say("✔ Correct: each r × r block of patch vectors is concatenated into one token, nothing lost.")
    return True


# %% nbgrader={"grade": true, "grade_id": "ex3-4-1-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_pixel_shuffle(pixel_shuffle_exercise)
### BEGIN HIDDEN TESTS
assert check_pixel_shuffle(pixel_shuffle_exercise, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3.9: how many tokens reach the language model?
#
# Write `connector_tokens(height, width, patch, merge=1, queries=None)` returning the number of
# image tokens a connector passes on for an image of `height` × `width` pixels (both multiples of
# `patch`), when it merges `merge` × `merge` blocks of patch tokens (pixel shuffle or average,
# `merge=1` for a linear or MLP projector), or, if `queries` is given, for a resampler with that
# many learned queries. Assume the patch grid's sides are divisible by `merge`.
#
# <details><summary>Hint</summary>
#
# A resampler's output does not depend on the image at all. Otherwise count patches per axis,
# multiply, and divide by the number of patches in one merged block, which is merge × merge.
# LLaVA-1.5 at 336 × 336 with patch 14 gives 576; InternVL's 448 tile with a 2 × 2 merge gives 256.
#
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex3-4-2-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
def connector_tokens(height, width, patch, merge=1, queries=None):
    """Image tokens passed to the language model by a connector."""
    ### BEGIN SOLUTION
    if queries is not None:
        return queries
    return (height // patch) * (width // patch) // (merge * merge)
    ### END SOLUTION


# %% tags=["export"]
def check_connector_tokens(fn, quiet=False):
    """Self-check for the token-count exercise.

    In:  ``fn(height, width, patch, merge=1, queries=None) -> int``. Out: True / False / None.
    Expected values come from the connectors of this lesson (their ``output_tokens``).
    """
    say = _feedback(quiet)
    cases = [  # (args, kwargs, connector that passes the tokens on, description)
        ((336, 336, 14), {}, MLPProjector(4, 4), "LLaVA-1.5's MLP at 336 × 336"),
        ((448, 448, 14), {"merge": 2}, PixelShuffleProjector(4, 4, r=2), "InternVL's 448 tile, pixel shuffle 2×2"),
        ((896, 896, 14), {"merge": 4}, AverageMergeProjector(4, 4, r=4), "a 4×4 average merge at 896 × 896"),
        ((448, 672, 14), {"merge": 2}, AverageMergeProjector(4, 4, r=2), "a 448 × 672 image, 2×2 merge"),
        ((896, 896, 14), {"queries": 64}, LearnedQueryResampler(4, 4, num_queries=64), "a resampler, 64 queries"),
        ((224, 224, 14), {"queries": 32}, LearnedQueryResampler(4, 4, num_queries=32), "a Q-Former-sized 32 queries"),
    ]
    for args, kwargs, conn, what in cases:
        h, w, p = args
        want = conn.output_tokens((h // p) * (w // p))
        try:
            got = fn(*args, **kwargs)
        except NotImplementedError:
            say("○ Not attempted yet: replace `raise NotImplementedError()` with your code.")
            return None
        except Exception as err:  # noqa: BLE001 - report any learner error as feedback
            say(f"✘ connector_tokens{args} with {kwargs or 'defaults'} raised {type(err).__name__}: {err}")
            return False
        if got != want:
            if "queries" in kwargs:
                hint = "a resampler passes on one token per query, whatever the image size."
            elif kwargs.get("merge", 1) > 1:
                hint = "a merge of m × m tokens divides the count by m², not by m."
            else:
                hint = "patches per row times patches per column."
            say(f"✘ {what}: connector_tokens{args}, {kwargs or 'defaults'} returned {got!r}, "
                f"expected {want}. Hint: {hint}")
            return False
    say("✔ Correct: tokens = (H/P)·(W/P)/m², or the number of queries for a resampler.")
    return True


# %% nbgrader={"grade": true, "grade_id": "ex3-4-2-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_connector_tokens(connector_tokens)
### BEGIN HIDDEN TESTS
assert check_connector_tokens(connector_tokens, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3.10: what does pixel shuffle cost in weights?
#
# Write `pixel_shuffle_params(d_vision, d_lm, r)`: the number of parameters of
# `PixelShuffleProjector(d_vision, d_lm, r)` (LayerNorm with weight and bias, then
# Linear → GELU → Linear, both with biases), as a formula, without building the module.
#
# <details><summary>Hint</summary>
#
# The MLP reads vectors of width r² · d_vision. A LayerNorm of width w has 2w parameters, a
# Linear from a to b has a · b + b, GELU has none.
#
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex3-4-3-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
def pixel_shuffle_params(d_vision, d_lm, r):
    """Parameters of LayerNorm(r²·d_v) -> Linear(r²·d_v, d_lm) -> GELU -> Linear(d_lm, d_lm)."""
    ### BEGIN SOLUTION
    wide = r * r * d_vision
    return 2 * wide + (wide * d_lm + d_lm) + (d_lm * d_lm + d_lm)
    ### END SOLUTION


# %% tags=["export"]
def check_pixel_shuffle_params(fn, quiet=False):
    """Self-check for the parameter-count exercise.

    In:  ``fn(d_vision, d_lm, r) -> int``. Out: True / False / None. The expected value is
    counted from the module itself, built on the meta device.
    """
    say = _feedback(quiet)
    for d_v, d_lm, r in [(1024, 4096, 2), (16, 64, 2), (1152, 2048, 4), (8, 8, 1)]:
        with torch.device("meta"):
            want = count_params(PixelShuffleProjector(d_v, d_lm, r))
        try:
            got = fn(d_v, d_lm, r)
        except NotImplementedError:
            say("○ Not attempted yet: replace `raise NotImplementedError()` with your code.")
            return None
        except Exception as err:  # noqa: BLE001 - report any learner error as feedback
            say(f"✘ pixel_shuffle_params({d_v}, {d_lm}, {r}) raised {type(err).__name__}: {err}")
            return False
        if got != want:
            wide = r * r * d_v
            if got == want - 2 * wide:
                hint = "you left out the LayerNorm's weight and bias (2 numbers per input channel)."
            elif got == want - 2 * d_lm:
                hint = "each Linear layer also has a bias vector of its output width."
            else:
                hint = "the first Linear reads r² · d_vision numbers per token, not d_vision."
            say(f"✘ pixel_shuffle_params({d_v}, {d_lm}, {r}) returned {got!r}, expected {want:,}. Hint: {hint}")
            return False
    say("✔ Correct: 2·r²·d_v + (r²·d_v·d_lm + d_lm) + (d_lm² + d_lm).")
    return True


# %% nbgrader={"grade": true, "grade_id": "ex3-4-3-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_pixel_shuffle_params(pixel_shuffle_params)
### BEGIN HIDDEN TESTS
assert check_pixel_shuffle_params(pixel_shuffle_params, quiet=True) is True
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
        "question": ("A VLM uses a Perceiver-style resampler instead of a linear projection. "
                     "What changes in production cost and capability?"),
        "type": "multiple_choice",
        "answers": [
            {"answer": ("The language model sees a fixed, small number of image tokens per image, "
                        "but fine detail may be lost and the encoder's cost still grows with resolution"),
             "correct": True,
             "feedback": ("Right. Learned queries compress any number of patches into a fixed count "
                          "(64 in Flamingo), so the LM-side cost per image is constant; the price is a "
                          "bottleneck that can drop details such as small text or counts, extra trained "
                          "attention layers, and a vision encoder that still processes every patch.")},
            {"answer": "Nothing changes: both connectors are MLPs of similar size", "correct": False,
             "feedback": ("A resampler is a small transformer with learned queries and cross-attention, "
                          "not an MLP, and it changes the number of tokens.")},
            {"answer": "The resampler keeps one token per patch but makes each token narrower", "correct": False,
             "feedback": "It passes on one token per learned query, whatever the number of patches."},
            {"answer": "The whole model becomes cheaper at any resolution, at no loss", "correct": False,
             "feedback": ("The encoder still runs on all patches, and compressing to a few tokens can lose "
                          "exactly the detail a question needs (see the ring-counting probe).")},
        ],
    },
    {
        "question": ("InternVL's pixel shuffle and a 2 × 2 average merge both turn 1,024 patch tokens "
                     "into 256. What is the difference?"),
        "type": "multiple_choice",
        "answers": [
            {"answer": "Pixel shuffle concatenates the four vectors (nothing lost); averaging keeps only their mean",
             "correct": True,
             "feedback": ("Yes: pixel shuffle makes tokens four times as wide and lets the MLP combine "
                          "them; the average throws three quarters of the numbers away.")},
            {"answer": "Pixel shuffle passes on more tokens", "correct": False,
             "feedback": "Both pass on N / 4 tokens; they differ in what each token holds."},
            {"answer": "Averaging has more parameters", "correct": False,
             "feedback": ("The opposite: averaging has none, and the MLP after pixel shuffle reads "
                          "inputs four times as wide.")},
        ],
    },
    {
        "question": "How many positions in the language model's context does one image take in Flamingo?",
        "type": "numeric",
        "answers": [
            {"type": "value", "value": 0, "correct": True,
             "feedback": ("Right: the 64 resampled visual tokens are read through gated cross-attention "
                          "layers, not placed in the text sequence (only an <image> marker is).")},
            {"type": "value", "value": 64, "correct": False,
             "feedback": ("64 is the resampler's output, but Flamingo feeds it to cross-attention layers, "
                          "not into the context.")},
            {"type": "default", "feedback": "Think about where Flamingo's visual tokens go."},
        ],
    },
]
display_quiz(quiz)

# %% [markdown]
# ## What to remember
#
# - A connector maps patch features (B, N, *D*ᵥ) to image tokens (B, M, *D*ₗₘ). M, the tokens
#   the language model pays for, is set by the resolution, the patch size and the merge:
#   (*H*/*P*) · (*W*/*P*) / *r*², or the number of queries of a resampler. The projector's depth
#   (linear or MLP) does not change it.
# - Pixel shuffle compresses by concatenating neighbours (nothing lost, wider tokens); averaging
#   compresses by discarding; a learned-query resampler (Perceiver Resampler, Q-Former) is a small
#   cross-attention transformer that keeps what its training taught it to keep.
# - On a fine-detail probe, how a connector compresses mattered as much as how much; and lower
#   resolution removes detail before any connector sees it. Measure on your own task.
# - Flamingo puts zero image tokens in the context (gated cross-attention); Fuyu has no separate
#   encoder (raw patches, one linear layer, straight into the decoder).
#
# **Next:** lesson 3.5 puts an encoder, an MLP projector and a small language model together and
# trains a complete tiny VLM.

# %%
total = time.perf_counter() - NOTEBOOK_START
cpu = time.process_time() - NOTEBOOK_CPU_START
print(f"This notebook ran in {total:.0f} s of wall-clock time ({cpu:.0f} s of CPU time) on {device.type.upper()}.")
