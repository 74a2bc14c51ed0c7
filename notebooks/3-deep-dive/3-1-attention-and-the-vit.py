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
# # 3.1 Attention and the ViT
#
# Lesson 2.1 cut an image into patch tokens and fed them to PyTorch's ready-made transformer
# as a black box. This lesson opens the box. You write attention from its definition and
# check it against PyTorch's own two implementations, wrap it into the pre-norm block that
# every Vision Transformer stacks, add the patch embedding, the `[CLS]` token and the position
# table, and count where the 86 million parameters of ViT-B/16 live. Lesson 3.2 then runs
# this model: what it costs per token, what it learns, and what happens at a new resolution.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pixels-to-tokens/pixels-to-tokens/blob/main/student/notebooks/3-deep-dive/3-1-attention-and-the-vit.ipynb)
#
# **What you will build**
# - scaled dot-product attention, step by step, equal to `F.scaled_dot_product_attention`;
# - multi-head self-attention and the pre-norm block, equal to `nn.MultiheadAttention`;
# - a complete ViT classifier, with a shape check after every module;
# - a parameter count by part, for a tiny ViT and for the real ViT-B/16.
#
# **Prerequisites:** [lesson 2.1](https://pixels-to-tokens.github.io/pixels-to-tokens/notebooks/2-guided/2-1-patch-embedding.html)
# (patches, `[CLS]`, positions); PyTorch tensors and `nn.Module`; matrix products.
# **Time to study:** about 25 minutes. **Time to run:** about 5 s on a laptop CPU.

# %% cellView="form" jupyter={"source_hidden": true} tags=["hide-input"]
#@title Colab only: install the quiz package (does nothing elsewhere)
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "jupyterquiz"], check=True)

# %%
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

SEED = 0
torch.manual_seed(SEED)
rng = np.random.default_rng(SEED)
torch.set_num_threads(1)  # one thread: as fast on a busy laptop as on a quiet one, same results
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(f"torch {torch.__version__}, running on {device}")

# %% [markdown]
# ## 1. Attention, step by step
#
# A transformer layer sees its input as *N* token vectors, the rows of a matrix *X*.
# **Self-attention** lets every token gather information from every other token:
#
# 1. three learned linear maps turn each token into a **query** *q*, a **key** *k* and a
#    **value** *v*;
# 2. the **score** of query *i* for key *j* is the dot product *q*<sub>i</sub> · *k*<sub>j</sub>,
#    divided by √*d*<sub>k</sub>, where *d*<sub>k</sub> is the length of a key;
# 3. a [softmax](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#softmax)
#    over *j* turns each row of scores into **weights**: positive numbers that sum to 1;
# 4. the output for token *i* is the weighted sum of the value rows.
#
# In one line, Attention(*Q*, *K*, *V*) = softmax(*QK*<sup>⊤</sup> / √*d*<sub>k</sub>) *V*
# ([Vaswani et al., 2017](https://arxiv.org/abs/1706.03762)). Here are the steps on random
# queries, keys and values, with the shape after each, checked against PyTorch's fused kernel.

# %%
q = torch.randn(2, 5, 8)   # (batch, Nq queries, dk)
k = torch.randn(2, 7, 8)   # (batch, Nk keys, dk)
v = torch.randn(2, 7, 3)   # (batch, Nk values, dv)

scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (2, 5, 7): one score per query and key
weights = scores.softmax(dim=-1)                            # (2, 5, 7): each row sums to 1
out = weights @ v                                           # (2, 5, 3): weighted sums of values

error = (out - F.scaled_dot_product_attention(q, k, v)).abs().max().item()
print("out", tuple(out.shape), f"max difference from F.scaled_dot_product_attention: {error:.1e}")
assert out.shape == (2, 5, 3) and torch.allclose(weights.sum(-1), torch.ones(2, 5))
assert error < 1e-5

# %% [markdown]
# **Why divide by √*d*<sub>k</sub>?** If the entries of *q* and *k* have mean 0 and variance 1,
# their dot product is a sum of *d*<sub>k</sub> such products and has variance *d*<sub>k</sub>.
# Wide heads would give large scores, and the softmax of large scores is nearly one-hot: one
# key takes all the weight. Measured on random vectors, the largest weight per row:

# %%
for d_k in (4, 64, 1024):
    raw = torch.randn(256, d_k) @ torch.randn(64, d_k).T       # (256 queries, 64 keys)
    top_raw = raw.softmax(-1).max(-1).values.mean().item()
    top_scaled = (raw / math.sqrt(d_k)).softmax(-1).max(-1).values.mean().item()
    print(f"d_k = {d_k:>4}: mean top weight {top_raw:.2f} unscaled, {top_scaled:.2f} scaled")
    assert top_scaled < 0.3  # scaled, the attention stays soft at every width

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form" mystnb={"image": {"alt": "Two heat maps of attention weights, eight queries (rows) by sixty-four keys (columns), for random vectors with d_k = 64: unscaled, almost every row puts nearly all its weight on one key (one bright cell per row); scaled by the square root of d_k, the weight is spread over many keys. Colour scale viridis, 0 to 1."}}
#@title Figure: the weights of eight queries, unscaled and scaled (drawing code)
import matplotlib.pyplot as plt

torch.manual_seed(SEED)
raw64 = torch.randn(8, 64) @ torch.randn(64, 64).T            # (8 queries, 64 keys), d_k = 64
fig, axes = plt.subplots(1, 2, figsize=(10, 2.8), sharey=True)
for ax, (name, w) in zip(axes, [("unscaled", raw64.softmax(-1)), ("scaled by 1/√64", (raw64 / 8).softmax(-1))]):
    im = ax.imshow(w.numpy(), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set(title=f"attention weights, {name}", xlabel="key index", ylabel="query index")
fig.colorbar(im, ax=axes, label="weight (each row sums to 1)")
plt.show()
assert (raw64.softmax(-1).max(-1).values > 0.5).sum() >= 5  # the prose: most unscaled rows, one key

# %% [markdown]
# The unscaled column climbs towards 1 as *d*<sub>k</sub> grows; the scaled one stays put. The
# figure shows it for *d*<sub>k</sub> = 64: unscaled, most rows are one bright cell.
#
# **Masks.** Sometimes a query must not see some keys: a language model must not look at
# future words, and some vision models let a patch attend only to its neighbours. A boolean
# mask of shape (*N*<sub>q</sub>, *N*<sub>k</sub>), `True` where looking is allowed, sets the
# other scores to −∞ before the softmax, so their weights become exactly 0. PyTorch's kernel
# takes the same kind of mask (`attn_mask`, `True` = take part).

# %%
allowed = torch.rand(5, 7) > 0.5
allowed[:, 0] = True                                          # every query may see at least one key
masked = scores.masked_fill(~allowed, float("-inf")).softmax(dim=-1)   # (2, 5, 7)
error = (masked @ v - F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)).abs().max().item()
print(f"weights on masked keys: {masked[:, ~allowed].abs().max().item()}, difference from PyTorch: {error:.1e}")
assert masked[:, ~allowed].abs().max() == 0 and error < 1e-5

# %% [markdown]
# ## 2. Heads and the pre-norm block
#
# One attention can compute only one weighting per token. **Multi-head** attention splits the
# width *D* into *h* heads of *D*/*h* numbers; each head has its own queries, keys and values,
# so its own pattern, and one more linear map *W*<sub>O</sub> mixes the heads' outputs. One
# `nn.Linear(D, 3D)` computes the queries, keys and values of all heads at once; a reshape
# separates them.
#
# A ViT encoder is a stack of identical **blocks**. Each has two sub-layers: attention, which
# mixes tokens, and a two-layer MLP (width *D* → 4*D* → *D* with a GELU), which transforms each
# token on its own. Each sub-layer is wrapped as *x* ← *x* + sublayer(LayerNorm(*x*))
# ([Dosovitskiy et al., 2020](https://arxiv.org/abs/2010.11929), eqs. 2–3). The LayerNorm
# sits *before* the sub-layer (**pre-norm**), so the sum *x* + ... (the **residual stream**)
# runs untouched from the first block to the last, which lets deep stacks train without a
# careful warm-up ([Xiong et al., 2020](https://arxiv.org/abs/2002.04745)).
#
# The cell below is the whole of it: the attention of section 1 as a function, the heads,
# the block. Later lessons (3.2 and the capstone, 3.7) reuse it unchanged.

# %% tags=["export"]
import math

import torch
from torch import nn


def attention(q, k, v, mask=None):
    """softmax(q kᵀ / √dk) v. q (..., Nq, dk), k (..., Nk, dk), v (..., Nk, dv);
    mask: bool (Nq, Nk), True where a query may look at a key. -> out (..., Nq, dv), weights."""
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q {tuple(q.shape)} and k {tuple(k.shape)} must end in the same head size dk")
    if mask is not None and tuple(mask.shape[-2:]) != (q.shape[-2], k.shape[-2]):
        raise ValueError(f"mask {tuple(mask.shape)} must end in (Nq, Nk) = ({q.shape[-2]}, {k.shape[-2]})")
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])   # (..., Nq, Nk)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))       # masked keys get weight 0
    weights = scores.softmax(dim=-1)                            # (..., Nq, Nk), rows sum to 1
    return weights @ v, weights                                 # (..., Nq, dv)


class MultiHeadSelfAttention(nn.Module):
    """h heads of width D/h in parallel, then W_O. (B, N, D) -> (B, N, D); keeps the last
    weights (B, h, N, N) in ``self.weights``."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)   # W_Q, W_K, W_V of all heads, stacked
        self.proj = nn.Linear(dim, dim)      # W_O: mixes the heads

    def forward(self, x, mask=None):
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads)   # (B, N, 3, h, D/h)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)                               # each (B, h, N, D/h)
        out, self.weights = attention(q, k, v, mask)                       # (B, h, N, D/h)
        return self.proj(out.transpose(1, 2).reshape(b, n, d))            # heads side by side, mixed


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(LN(x)), then x + MLP(LN(x)). (B, N, D) -> (B, N, D)."""

    def __init__(self, dim, heads, mlp_ratio=4):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = MultiHeadSelfAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_ratio * dim), nn.GELU(), nn.Linear(mlp_ratio * dim, dim))

    def forward(self, x, mask=None):
        x = x + self.attn(self.norm1(x), mask)   # tokens exchange information
        return x + self.mlp(self.norm2(x))       # each token is transformed on its own


# %% [markdown]
# ### Checked against PyTorch
#
# Two independent references. `F.scaled_dot_product_attention` gets our module's own queries,
# keys and values. `nn.MultiheadAttention` is a separate implementation into which we load our
# weights: its `in_proj_weight` stacks *W*<sub>Q</sub>, *W*<sub>K</sub>, *W*<sub>V</sub> in the
# order of our `qkv` layer, and its `out_proj` is our `proj`. We compare outputs and the
# attention weights of every head.

# %%
torch.manual_seed(SEED)
mhsa = MultiHeadSelfAttention(dim=64, heads=4).to(device).eval()
x = torch.randn(2, 50, 64, device=device)                       # (B, N, D)
reference = nn.MultiheadAttention(64, num_heads=4, batch_first=True).to(device).eval()
with torch.no_grad():
    reference.in_proj_weight.copy_(mhsa.qkv.weight)
    reference.in_proj_bias.copy_(mhsa.qkv.bias)
    reference.out_proj.load_state_dict(mhsa.proj.state_dict())
    ours = mhsa(x)                                               # (2, 50, 64)
    theirs, their_weights = reference(x, x, x, average_attn_weights=False)
    q_, k_, v_ = mhsa.qkv(x).reshape(2, 50, 3, 4, 16).permute(2, 0, 3, 1, 4)
    fused = mhsa.proj(F.scaled_dot_product_attention(q_, k_, v_).transpose(1, 2).reshape(2, 50, 64))
errors = {"output vs nn.MultiheadAttention": (ours - theirs).abs().max().item(),
          "weights vs nn.MultiheadAttention": (mhsa.weights - their_weights).abs().max().item(),
          "output vs F.scaled_dot_product_attention": (ours - fused).abs().max().item()}
for name, err in errors.items():
    print(f"max difference, {name:<42}: {err:.1e}")
assert mhsa.weights.shape == their_weights.shape == (2, 4, 50, 50)
assert max(errors.values()) < 1e-5

# %% [markdown]
# Differences at the level of float32 rounding: our attention *is* PyTorch's. Three checks of
# the block: it keeps the shape; with its two output layers zeroed it passes its input through
# unchanged (the residual wiring); and shuffling the tokens shuffles its outputs the same way
# (**permutation equivariance**: nothing in a block knows where a token sits).

# %%
block = Block(dim=64, heads=4).to(device).eval()
perm = torch.randperm(50, device=device)
with torch.no_grad():
    y = block(x)                                                   # (2, 50, 64)
    shuffled_error = (block(x[:, perm]) - y[:, perm]).abs().max().item()
    silent = Block(dim=64, heads=4).to(device).eval()
    for layer in (silent.attn.proj, silent.mlp[2]):
        layer.weight.zero_()
        layer.bias.zero_()
print(f"block {tuple(x.shape)} -> {tuple(y.shape)}; block(shuffled) vs shuffled(block): {shuffled_error:.1e}")
assert y.shape == x.shape and shuffled_error < 1e-5
assert torch.equal(silent(x), x)

# %% [markdown]
# The guard of `attention` is there for the two mistakes people make when they write heads by
# hand: queries and keys of different head sizes, and a mask for the wrong number of tokens.

# %%
try:
    attention(torch.randn(1, 4, 5, 16), torch.randn(1, 4, 5, 16), torch.randn(1, 4, 5, 16),
              mask=torch.ones(6, 6, dtype=torch.bool))
except ValueError as err:
    print("refused:", err)

# %% [markdown]
# ## 3. Patches, `[CLS]` and positions: the whole ViT
#
# Because a block cannot tell where a token sits, a ViT adds that information before the
# first block. Three pieces turn an image into the block's input:
#
# - **Patch embedding.** A convolution with kernel size and stride *P* visits each *P* × *P*
#   patch once and applies the same linear map to it: it *is* "cut into patches, flatten,
#   multiply by a matrix" ([patch embedding](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#patch-embedding)).
# - **`[CLS]` token.** A learned vector put in front of the patch tokens. It has no pixels;
#   through attention it collects a summary of the image, and the classifier reads its final
#   state ([CLS token](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#cls-token)).
# - **Position table.** One learned vector per token, added to it: row 0 for `[CLS]`, then
#   one row per patch in row-major order, shape (1, 1 + *N*, *D*) here
#   ([position embedding](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#position-embedding)).
#
# Then come *L* blocks, a final LayerNorm and a linear classifier on the `[CLS]` token.

# %% tags=["export"]
import torch
from torch import nn


class ViT(nn.Module):
    """A Vision Transformer classifier for ``img_size``-px square images.
    forward(images (B, C, H, W), pos_embed=None) -> logits (B, num_classes); ``pos_embed``
    (1, 1+N, D) replaces the learned position table (lesson 3.2 uses it at new resolutions)."""

    def __init__(self, img_size=32, patch=8, dim=64, depth=2, heads=4, mlp_ratio=2, num_classes=8, in_chans=3):
        super().__init__()
        n_patches = (img_size // patch) ** 2
        self.patch_embed = nn.Conv2d(in_chans, dim, kernel_size=patch, stride=patch)  # one linear map per patch
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(0.02 * torch.randn(1, 1 + n_patches, dim))    # [CLS] row, then patches
        self.blocks = nn.ModuleList([Block(dim, heads, mlp_ratio) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, images, pos_embed=None):
        x = self.patch_embed(images).flatten(2).transpose(1, 2)              # (B, N, D), row-major
        x = torch.cat([self.cls_token.expand(len(x), -1, -1), x], dim=1)     # (B, 1+N, D)
        pos = self.pos_embed if pos_embed is None else pos_embed
        if pos.shape[-2] != x.shape[1]:
            raise ValueError(f"the image gives {x.shape[1]} tokens but the position table has "
                             f"{pos.shape[-2]} rows; at a new resolution pass a resized pos_embed")
        x = x + pos                                                          # (B, 1+N, D)
        for block in self.blocks:
            x = block(x)                                                     # (B, 1+N, D)
        return self.head(self.norm(x[:, 0]))                                 # (B, classes), from [CLS]


# %% [markdown]
# One forward pass of a small ViT for 32 × 32 images with 8-pixel patches (the model lesson
# 3.2 trains), step by step, with the shape after each module; `forward` must do the same.

# %%
torch.manual_seed(SEED)
vit = ViT(img_size=32, patch=8, dim=64, depth=2, heads=4, mlp_ratio=2, num_classes=8).to(device).eval()
images = torch.rand(3, 3, 32, 32, device=device)                   # (B, C, H, W)
with torch.no_grad():
    t = vit.patch_embed(images);                                   print("patch embedding ", tuple(t.shape))
    t = t.flatten(2).transpose(1, 2);                              print("patches as rows ", tuple(t.shape))
    t = torch.cat([vit.cls_token.expand(3, -1, -1), t], dim=1);    print("+ [CLS] token   ", tuple(t.shape))
    t = t + vit.pos_embed;                                         print("+ positions     ", tuple(t.shape))
    for blk in vit.blocks:
        t = blk(t);                                                print("block           ", tuple(t.shape))
    t = vit.head(vit.norm(t[:, 0]));                               print("head on [CLS]   ", tuple(t.shape))
    assert t.shape == (3, 8) and torch.allclose(vit(images), t, atol=1e-6)

# %% [markdown]
# The patch embedding really is "flatten each patch, multiply by a matrix": `F.unfold` cuts
# the patches out as columns, and one matrix product with the convolution's weights gives the
# same tokens.

# %%
with torch.no_grad():
    patches = F.unfold(images, kernel_size=8, stride=8).transpose(1, 2)              # (3, 16, 3*8*8)
    by_hand = patches @ vit.patch_embed.weight.reshape(64, -1).T + vit.patch_embed.bias  # (3, 16, 64)
    conv = vit.patch_embed(images).flatten(2).transpose(1, 2)                          # (3, 16, 64)
print(f"conv vs unfold + matmul: max difference {(conv - by_hand).abs().max().item():.1e}")
assert torch.allclose(conv, by_hand, atol=1e-5)

# %% [markdown]
# ## 4. Where the parameters are
#
# We count the parameters of each part, for the tiny ViT and for the real **ViT-B/16** (width
# 768, 12 blocks of 12 heads, MLP ratio 4, 224-px images, 1,000 classes;
# [Dosovitskiy et al., 2020](https://arxiv.org/abs/2010.11929), table 1). ViT-B/16 is built
# on PyTorch's `meta` device, which records shapes but allocates no memory for weights.

# %% tags=["export"]
def parameters_by_part(vit):
    """Parameter counts (ints) of a ``ViT``'s parts, and their "total"."""
    def count(*modules):
        return sum(p.numel() for m in modules for p in m.parameters())

    parts = {"patch embedding": count(vit.patch_embed),
             "[CLS] + position table": vit.cls_token.numel() + vit.pos_embed.numel(),
             "blocks: attention": count(*[b.attn for b in vit.blocks]),
             "blocks: MLP": count(*[b.mlp for b in vit.blocks]),
             "blocks: LayerNorms": count(*[n for b in vit.blocks for n in (b.norm1, b.norm2)]),
             "final LayerNorm + head": count(vit.norm, vit.head)}
    parts["total"] = count(vit)
    return parts


# %%
with torch.device("meta"):
    vit_b16 = ViT(img_size=224, patch=16, dim=768, depth=12, heads=12, mlp_ratio=4, num_classes=1000)
tiny, base = parameters_by_part(vit), parameters_by_part(vit_b16)
print(f"{'part':<24} {'tiny ViT':>9} {'share':>6} {'ViT-B/16':>12} {'share':>6}")
for name in tiny:
    print(f"{name:<24} {tiny[name]:>9,} {tiny[name] / tiny['total']:>6.1%} {base[name]:>12,} {base[name] / base['total']:>6.1%}")
assert sum(base.values()) == 2 * base["total"]               # the parts add up to the whole
assert 86e6 <= base["total"] < 87e6                          # ViT-Base: 86M (Dosovitskiy et al., table 1)
per_block = (base["blocks: attention"] + base["blocks: MLP"]) / 12
print(f"ViT-B/16, attention + MLP per block: {per_block:,.0f} = {per_block / 768**2:.2f} D²")
assert abs(per_block / 768**2 - 12) < 0.02                   # 4D² (W_Q, W_K, W_V, W_O) + 8D² (MLP), plus biases

# %% [markdown]
# ViT-B/16 has the paper's 86 million parameters. Almost all sit in the blocks, each holding
# about 12*D*² weights: 4*D*² in attention (*W*<sub>Q</sub>, *W*<sub>K</sub>, *W*<sub>V</sub>,
# *W*<sub>O</sub>) and 8*D*² in the MLP (two *D* × 4*D* matrices). So the count grows with the
# depth and the **square** of the width. The position table is small, but it is the only part
# whose size depends on the resolution the model was built for: every other weight works on
# any number of tokens. Lesson 3.2 uses this to run a model at a resolution it never saw.

# %% [markdown]
# ## 5. Exercises
#
# ### Exercise 3.1: attention that looks only at neighbours
#
# **Kind:** transfer
#
# Global attention lets every patch look at every other patch. Some [vision transformers](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#vision-transformer-vit)
# restrict each patch to a window around it (Swin, [Liu et al., 2021](https://arxiv.org/abs/2103.14030),
# uses non-overlapping windows; here each patch gets its own). Write
# `neighbour_mask(rows, cols, radius)` that returns a **boolean** tensor of shape
# (rows · cols, rows · cols) for the patch tokens of a rows × cols grid in row-major order:
# entry (*i*, *j*) is `True` when patch *j* lies at most `radius` grid steps from patch *i*
# both vertically and horizontally (a (2 · radius + 1)-wide square around it). Such a mask
# goes straight into `attention(q, k, v, mask)`.
#
# <details><summary>Hint</summary>
#
# Token *i* sits at row `i // cols` and column `i % cols`. Build those two index vectors with
# `torch.arange`, then compare every pair at once by broadcasting a column against a row
# (`a[:, None] - a[None, :]`).
#
# </details>

# %% cellView="form" jupyter={"source_hidden": true} tags=["export", "hide-input"]
#@title Self-check for Exercise 3.1 (run it; no need to read it)
import torch


def check_neighbour_mask(fn, quiet=False):
    """``fn(rows, cols, radius)`` -> bool (rows*cols, rows*cols) mask of grid neighbours."""
    say = (lambda *a: None) if quiet else print
    # hard-coded cases: (rows, cols, radius) -> row 0, row 5 (for 3 x 4), number of True entries
    row0_3x4 = [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0]
    row5_3x4 = [1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0]
    totals = {(3, 4, 1): 70, (4, 6, 2): 336, (2, 5, 0): 10, (5, 2, 1): 52}
    try:
        got = {case: fn(*case) for case in totals}
    except NotImplementedError:
        say("○ Not attempted yet: replace `raise NotImplementedError()` with your code.")
        return None
    except Exception as err:  # noqa: BLE001 - any learner error becomes feedback
        say(f"✘ Your function raised {type(err).__name__}: {err}")
        return False
    for (r, c, rad), mask in got.items():
        if not torch.is_tensor(mask):
            say(f"✘ Return a torch tensor, not {type(mask).__name__}.")
            return False
        if mask.shape != (r * c, r * c):
            say(f"✘ For a {r} x {c} grid the mask has one row and one column per patch: shape "
                f"({r * c}, {r * c}), not {tuple(mask.shape)}.")
            return False
        if mask.dtype != torch.bool:
            say(f"✘ The mask has dtype {mask.dtype}; attention needs True/False (torch.bool). "
                "A comparison such as `x <= radius` gives bool directly; drop `.float()`/`.int()`.")
            return False
    m = got[(3, 4, 1)]
    if not m.diagonal().all():
        say("✘ A patch must be allowed to look at itself (the diagonal is False). If every "
            "entry is inverted, remember: True means 'may attend'.")
        return False
    row5 = m[5].int().tolist()
    if m[0].int().tolist() != row0_3x4 or row5 != row5_3x4:
        known = {  # row 5 of the 3 x 4, radius-1 mask for three common mistakes
            (0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0): "patch 5 (row 1, column 1) should see its 8 neighbours, "
            "diagonals included: compare rows and columns separately (both within radius), not their sum.",
            (0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0): "you compared flat token indices; the patch one row down "
            "is `cols` indices away. Use row = i // cols and column = i % cols.",
            (0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 0, 0): "for a non-square grid, row = i // cols and column = i % cols "
            "(not // rows).",
        }
        hint = known.get(tuple(row5), "token i sits at row i // cols, column i % cols; j is allowed when "
                         "both distances are <= radius.")
        say(f"✘ For a 3 x 4 grid with radius 1, row 0 should be {row0_3x4} and row 5 "
            f"{row5_3x4}; yours: {m[0].int().tolist()} and {row5}: {hint}")
        return False
    for case, total in totals.items():
        if int(got[case].sum()) != total:
            say(f"✘ rows, cols, radius = {case}: {int(got[case].sum())} allowed pairs, expected {total}. "
                "Hint: row = i // cols and column = i % cols, both distances <= radius.")
            return False
    say("✔ Right: each patch sees a (2·radius + 1)-wide square of neighbours, clipped at the borders.")
    return True


# %% cellView="form" jupyter={"source_hidden": true} nbgrader={"grade": false, "grade_id": "ex3-1-1-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
#@title Your answer to Exercise 3.1
def neighbour_mask(rows, cols, radius):
    """Bool (rows*cols, rows*cols): True where two patches are within ``radius`` steps in both directions."""
    ### BEGIN SOLUTION
    index = torch.arange(rows * cols)
    r, c = index // cols, index % cols
    near_r = (r[:, None] - r[None, :]).abs() <= radius
    near_c = (c[:, None] - c[None, :]).abs() <= radius
    return near_r & near_c
    ### END SOLUTION


# %% cellView="form" jupyter={"source_hidden": true} nbgrader={"grade": true, "grade_id": "ex3-1-1-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["hide-input"]
#@title Check your answer to Exercise 3.1
check_neighbour_mask(neighbour_mask);
### BEGIN HIDDEN TESTS
assert check_neighbour_mask(neighbour_mask, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3.2: predict, then count ViT-L/14 at 336 px
#
# **Kind:** predict-then-run
#
# LLaVA-1.5's vision encoder is CLIP's ViT-L/14 at 336 px: width 1,024, 24 blocks of 16
# heads, MLP ratio 4, 14-px patches ([Radford et al., 2021](https://arxiv.org/abs/2103.00020);
# [Liu et al., 2023](https://arxiv.org/abs/2310.03744)). Give it this lesson's 1,000-class head.
# **Before running anything**, predict its parameter count in millions from what section 4
# showed about ViT-B/16, and return it. Then run the check and the cell after it.
#
# (Real checkpoints store the position table in different layouts: OpenAI's CLIP keeps it as
# a (*N* + 1, width) matrix, here (577, 1,024), with no leading 1; this lesson's ViT, like
# the original ViT code, keeps (1, *N* + 1, width). The numbers are the same.)
#
# <details><summary>Hint</summary>
#
# Per block about 12*D*² weights, and *L* blocks. What does a larger image change, apart from
# the position table?
#
# </details>

# %% cellView="form" jupyter={"source_hidden": true} tags=["export", "hide-input"]
#@title Self-check for Exercise 3.2 (run it; no need to read it)
import numbers


def check_vit_l14_prediction(fn, quiet=False):
    """``fn()`` returns a predicted parameter count of ViT-L/14 at 336 px, in millions."""
    say = (lambda *a: None) if quiet else print
    try:
        got = fn()
    except NotImplementedError:
        say("○ Not attempted yet: replace `raise NotImplementedError()` with `return <millions>`.")
        return None
    except Exception as err:  # noqa: BLE001 - any learner error becomes feedback
        say(f"✘ Your function raised {type(err).__name__}: {err}. Return one number (millions).")
        return False
    if isinstance(got, bool) or not isinstance(got, numbers.Real):
        say(f"✘ Return a number of millions such as 123.4, not {got!r} ({type(got).__name__}).")
        return False
    truth = 304.5  # 24 blocks x 12.6M + patch, positions, norms and head (computed in the next cell)
    if got > 1e5:
        say(f"✘ {got:,} looks like a raw count; give millions (e.g. 86.6 for ViT-B/16).")
        return False
    if abs(got - truth) <= 0.1 * truth:
        say(f"✔ Within 10 % of the count the next cell computes (about {truth}M): "
            "24 blocks x 12 x 1024² ≈ 302M, and the rest is small.")
        return True
    hints = [(86.6 * 1024 / 768, "the width grows 768 -> 1,024, but weight matrices are D x D: "
              "parameters grow with the square of the width"),
             (86.6 * 2, "doubling the depth doubles the blocks, but the width changed too (D² per matrix)"),
             (86.6 * (336 / 224) ** 2, "resolution changes only the position table; the blocks work on any number of tokens"),
             (86.6 * (1024 / 768) ** 2, "you scaled by the width squared; ViT-L also has twice the blocks")]
    hint = next((h for value, h in hints if abs(got - value) <= 0.1 * value),
                "estimate 12·D² per block times L blocks; the embeddings and head add a few million")
    say(f"✘ {got}M is more than 10 % away from the count: {hint}.")
    return False


# %% cellView="form" jupyter={"source_hidden": true} nbgrader={"grade": false, "grade_id": "ex3-1-2-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
#@title Your answer to Exercise 3.2
def predicted_vit_l14_millions():
    """Your prediction: parameters of ViT-L/14 at 336 px with a 1,000-class head, in millions."""
    ### BEGIN SOLUTION
    return 24 * 12 * 1024**2 / 1e6 + 2
    ### END SOLUTION


# %% cellView="form" jupyter={"source_hidden": true} nbgrader={"grade": true, "grade_id": "ex3-1-2-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["hide-input"]
#@title Check your answer to Exercise 3.2
check_vit_l14_prediction(predicted_vit_l14_millions);
### BEGIN HIDDEN TESTS
assert check_vit_l14_prediction(predicted_vit_l14_millions, quiet=True) is True
### END HIDDEN TESTS

# %%
with torch.device("meta"):
    vit_l14 = ViT(img_size=336, patch=14, dim=1024, depth=24, heads=16, mlp_ratio=4, num_classes=1000)
large = parameters_by_part(vit_l14)
for name, count in large.items():
    print(f"{name:<24} {count:>13,}")
assert large["[CLS] + position table"] == (1 + 577) * 1024      # 24 x 24 patches + [CLS], plus the [CLS] token
assert abs(large["total"] / 1e6 - 304.5) < 0.1                  # the value the check above uses

# %% [markdown]
# ## 6. Check your understanding
#
# Click an answer to get feedback (the quiz works without a running kernel).

# %% cellView="form" jupyter={"source_hidden": true} tags=["remove-input"]
#@title Quiz (run it to show the questions)
from jupyterquiz import display_quiz

display_quiz([
    {"question": "Why are attention scores divided by √d_k before the softmax?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "Dot products of random d_k-vectors have variance d_k; unscaled, wide heads give a near one-hot softmax",
          "correct": True,
          "feedback": "Yes. Section 1 measured it: scaled, the largest weight stays small at every width."},
         {"answer": "To make each row of weights sum to 1", "correct": False,
          "feedback": "The softmax does that whatever the scale of the scores."},
         {"answer": "To save memory", "correct": False,
          "feedback": "Dividing by a constant changes no shape; it changes how peaked the softmax is."}]},
    {"question": "You shuffle the patch tokens of an image before a transformer block that has no position embeddings. What comes out?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "The same output vectors, shuffled the same way", "correct": True,
          "feedback": "Right: attention and the MLP treat tokens as a set (permutation equivariance), which is why a ViT adds positions."},
         {"answer": "Different vectors: attention notices the new order", "correct": False,
          "feedback": "Nothing in the block depends on a token's index; section 2 measured the difference at float rounding."},
         {"answer": "An error: the block needs tokens in row-major order", "correct": False,
          "feedback": "The block accepts any order; it just cannot tell the orders apart."}]},
    {"question": "ViT-B/16 at 224 px is run on 448-px images (with its position table resized). Which parameter count changes?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "Only the position table's: 197 rows become 785", "correct": True,
          "feedback": "Yes. The patch embedding, blocks and head are shared by all tokens, whatever their number."},
         {"answer": "All of them grow about 4×, like the token count", "correct": False,
          "feedback": "Weights are shared across tokens: 4× the tokens means 4× the work, not 4× the weights."},
         {"answer": "None: the position table has no parameters", "correct": False,
          "feedback": "In ViT the position table is learned: (1 + N) × D numbers."}]},
])

# %% [markdown]
# ## 7. What to remember
#
# - Attention is softmax(*QK*<sup>⊤</sup>/√*d*<sub>k</sub>)*V*: scaled scores, a softmax over
#   keys, a weighted sum of values; a mask sets forbidden scores to −∞. Ours equals PyTorch's
#   to float32 rounding.
# - Heads run attention in parallel on slices of the width; a pre-norm block adds attention
#   and an MLP to the residual stream. A block is blind to token order.
# - A ViT is a strided-convolution patch embedding, a `[CLS]` token, a position table, *L*
#   blocks and a head on `[CLS]`. Its parameters grow with depth × width²; only the position
#   table depends on the resolution.
#
# **Next:** [lesson 3.2](https://pixels-to-tokens.github.io/pixels-to-tokens/notebooks/3-deep-dive/3-2-a-vit-at-work.html)
# runs this ViT: what each token costs, what a tiny one learns, and what happens to its
# positions at a new resolution.
