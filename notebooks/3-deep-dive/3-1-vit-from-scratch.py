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
# # 3.1 ViT from scratch
#
# Lesson 2.1 cut an image into patch tokens and passed them through PyTorch's ready-made
# transformer encoder, used as a black box. This lesson opens the box and rebuilds it from
# nothing but matrix products: multi-head self-attention written from its definition and
# proven equal to PyTorch's own kernels, pre-norm transformer blocks, a strided-convolution
# patch embedding, a `[CLS]` token and a learned grid of position embeddings, assembled into a
# complete Vision Transformer whose parameters we count part by part. Then we ask the two
# questions that decide what an image costs a vision-language model: how compute and memory
# grow as an image becomes more tokens, and what a model trained at one resolution needs to
# run at another. Along the way we train a tiny ViT on synthetic shapes in seconds and look
# at where its `[CLS]` token attends.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pixels-to-tokens/pixels-to-tokens/blob/main/notebooks/3-deep-dive/3-1-vit-from-scratch.ipynb)
#
# **What you will build**
# - scaled dot-product attention and multi-head self-attention from first principles, checked
#   against `F.scaled_dot_product_attention` and `nn.MultiheadAttention`;
# - a pre-norm transformer block and a full ViT, with a shape check after every module and a
#   parameter count per part (including the real ViT-B/16);
# - a measurement of forward time, peak memory and FLOPs of one encoder block from 49 to 4,096
#   tokens, with a fitted quadratic;
# - a tiny ViT trained on synthetic shapes, and its `[CLS]` attention maps;
# - position-embedding interpolation: a model run at 1.5× the resolution it was built for.
#
# **Time to run:** under a minute on a laptop CPU, half of it the training run (see the
# benchmark table in the book; the last cell prints this run's time).

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
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

SEED = 0
torch.manual_seed(SEED)
rng = np.random.default_rng(SEED)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
# One CPU thread: our models are small enough that more threads barely help, and on a busy
# machine threads that wait for each other can make small operations many times slower.
# It also keeps the timings of section 4 about arithmetic rather than about parallelism.
CPU_THREADS_AVAILABLE = torch.get_num_threads()
torch.set_num_threads(1)
WALL0, CPU0 = time.perf_counter(), time.process_time()  # the last cell reports the run time
print(f"torch {torch.__version__}, running on {device}, "
      f"{torch.get_num_threads()} CPU thread (of {CPU_THREADS_AVAILABLE} available)")

# %% [markdown]
# ## 1. Attention from first principles
#
# A transformer layer sees its input as *N* token vectors, the rows of a matrix
# *X* ∈ ℝ<sup>*N*×*D*</sup>. **Self-attention** lets every token gather information from every
# other token, in four steps:
#
# 1. three learned linear maps turn each token into a **query** *q*, a **key** *k* and a
#    **value** *v*: *Q* = *XW*<sub>Q</sub>, *K* = *XW*<sub>K</sub>, *V* = *XW*<sub>V</sub>;
# 2. the **score** of token *i* for token *j* is the dot product *q*<sub>i</sub> · *k*<sub>j</sub>,
#    divided by √*d*<sub>k</sub> (the length of a key);
# 3. a **softmax** over *j* turns row *i* of the scores into weights that are positive and sum
#    to 1;
# 4. the output for token *i* is the **weighted sum** of the value rows.
#
# In one line: Attention(*Q*, *K*, *V*) = softmax(*QK*<sup>⊤</sup> / √*d*<sub>k</sub>) *V*
# ([Vaswani et al., 2017](https://arxiv.org/abs/1706.03762)). Here it is, with nothing hidden.
# The function works for any leading batch dimensions, which we will use for heads.

# %% tags=["export"]
import math

import torch


def attention(q, k, v):
    """Scaled dot-product attention, written out step by step.

    In:  ``q`` of shape (..., Nq, dk), ``k`` of shape (..., Nk, dk), ``v`` of shape (..., Nk, dv);
         the leading dimensions (batch, heads, ...) must match.
    Out: ``(out, weights)``: ``out`` of shape (..., Nq, dv), and the attention ``weights`` of
         shape (..., Nq, Nk), each row a probability distribution over the Nk keys.
    Raises TypeError for non-tensors and ValueError for shapes that do not fit together.
    """
    if not all(torch.is_tensor(t) for t in (q, k, v)):
        raise TypeError("q, k and v must be torch tensors")
    if q.dim() < 2 or k.dim() != q.dim() or v.dim() != q.dim():
        raise ValueError(f"q, k, v must have the same rank >= 2, got shapes "
                         f"{tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"queries and keys must have the same length dk, got {q.shape[-1]} and {k.shape[-1]}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"every key needs a value: {k.shape[-2]} keys but {v.shape[-2]} values")
    if q.shape[:-2] != k.shape[:-2] or k.shape[:-2] != v.shape[:-2]:
        raise ValueError(f"leading (batch, head) dimensions differ: {tuple(q.shape[:-2])}, "
                         f"{tuple(k.shape[:-2])}, {tuple(v.shape[:-2])}")
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., Nq, Nk)
    weights = scores.softmax(dim=-1)                            # (..., Nq, Nk), rows sum to 1
    out = weights @ v                                           # (..., Nq, dv)
    return out, weights


# %%
q = torch.randn(2, 5, 8)   # (batch, Nq, dk)
k = torch.randn(2, 7, 8)   # (batch, Nk, dk)
v = torch.randn(2, 7, 3)   # (batch, Nk, dv)
out, weights = attention(q, k, v)
print("out:", tuple(out.shape), " weights:", tuple(weights.shape))
assert out.shape == (2, 5, 3) and weights.shape == (2, 5, 7)
assert torch.allclose(weights.sum(-1), torch.ones(2, 5)) and (weights >= 0).all()
try:
    attention(q, k, torch.randn(2, 6, 3))
except ValueError as err:
    print("bad input is refused:", err)

# %% [markdown]
# **Why divide by √*d*<sub>k</sub>?** If the entries of *q* and *k* are independent with mean 0
# and variance 1, their dot product is a sum of *d*<sub>k</sub> such products and has variance
# *d*<sub>k</sub>. Wide heads would then produce large scores, and the softmax of large scores
# is nearly one-hot: one key takes all the weight and the gradients of the others vanish.
# Dividing by √*d*<sub>k</sub> brings the spread back to 1 whatever the width. Measured on
# random vectors:

# %%
print(f"{'d_k':>5} | {'std of q·k':>10} | {'std scaled':>10} | {'mean top weight, raw':>20} | {'scaled':>6}")
for d_k in (4, 16, 64, 256):
    q_r, k_r = torch.randn(512, d_k), torch.randn(64, d_k)
    raw = q_r @ k_r.T                      # (512 queries, 64 keys)
    scaled = raw / math.sqrt(d_k)
    top_raw = raw.softmax(-1).max(-1).values.mean().item()
    top_scaled = scaled.softmax(-1).max(-1).values.mean().item()
    print(f"{d_k:>5} | {raw.std().item():>10.2f} | {scaled.std().item():>10.2f} | {top_raw:>20.2f} | {top_scaled:>6.2f}")
    assert abs(scaled.std().item() - 1) < 0.1  # the scaling keeps the spread near 1 at every width

# %% [markdown]
# Without the scaling, the largest weight of a row creeps towards 1 as heads get wider (the
# softmax saturates); with it, the attention stays equally soft at every width.
#
# ### Many heads
#
# A single attention of width *D* can only compute one weighting per token. **Multi-head**
# attention splits the width into *h* heads of *d*<sub>h</sub> = *D*/*h* numbers each; every head
# has its own queries, keys and values and so its own attention pattern, and the head outputs
# are concatenated and mixed by one more linear map *W*<sub>O</sub>. In code, one `nn.Linear` of
# width *D* → 3*D* computes the queries, keys and values of all heads at once, and a reshape
# separates them. Here are the steps on a toy input, with the shape after each:

# %%
B, N, D, H = 2, 5, 12, 3                       # batch, tokens, width, heads
x = torch.randn(B, N, D)
qkv_proj, out_proj = nn.Linear(D, 3 * D), nn.Linear(D, D)
with torch.no_grad():
    qkv = qkv_proj(x)                               # (B, N, 3D)
    qkv = qkv.reshape(B, N, 3, H, D // H)           # (B, N, 3, h, dh)
    q, k, v = qkv.permute(2, 0, 3, 1, 4)            # each (B, h, N, dh)
    heads, w = attention(q, k, v)                   # (B, h, N, dh), weights (B, h, N, N)
    merged = heads.transpose(1, 2).reshape(B, N, D)  # (B, N, h*dh) = (B, N, D)
    y = out_proj(merged)                            # (B, N, D)
for name, t in [("qkv", qkv), ("q", q), ("scores/weights", w), ("heads", heads), ("merged", merged), ("output", y)]:
    print(f"{name:>15}: {tuple(t.shape)}")
assert q.shape == (B, H, N, D // H) and w.shape == (B, H, N, N) and y.shape == x.shape

# %% [markdown]
# The same steps, as a module. The `fused` switch replaces our three lines of attention by
# PyTorch's fused kernel `F.scaled_dot_product_attention`, which computes the same function
# without ever storing the *N* × *N* weights (section 4 measures what that saves).

# %% tags=["export"]
import torch
import torch.nn.functional as F
from torch import nn


class MultiHeadSelfAttention(nn.Module):
    """Multi-head self-attention: one qkv projection, h parallel attentions, a merge.

    In:  ``dim`` the token width D and ``heads`` the number of heads h (h must divide D);
         ``fused`` True to compute attention with ``F.scaled_dot_product_attention``.
    forward(x, return_attention=False): ``x`` of shape (B, N, D) -> (B, N, D); with
    ``return_attention=True`` also the weights (B, h, N, N) (always computed explicitly).
    """

    def __init__(self, dim, heads, fused=False):
        super().__init__()
        if dim % heads:
            raise ValueError(f"the width {dim} must be divisible by the number of heads {heads}")
        self.dim, self.heads, self.fused = dim, heads, fused
        self.qkv = nn.Linear(dim, 3 * dim)   # queries, keys, values of all heads
        self.proj = nn.Linear(dim, dim)      # W_O, mixes the concatenated heads

    def forward(self, x, return_attention=False):
        if x.dim() != 3 or x.shape[-1] != self.dim:
            raise ValueError(f"expected tokens of shape (B, N, {self.dim}), got {tuple(x.shape)}")
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads)  # (B, N, 3, h, dh)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)                              # each (B, h, N, dh)
        if self.fused and not return_attention:
            out, weights = F.scaled_dot_product_attention(q, k, v), None  # (B, h, N, dh)
        else:
            out, weights = attention(q, k, v)                             # (B, h, N, dh), (B, h, N, N)
        out = self.proj(out.transpose(1, 2).reshape(b, n, d))            # (B, N, D)
        return (out, weights) if return_attention else out


# %% [markdown]
# ### Checked against PyTorch
#
# Two independent references. `F.scaled_dot_product_attention` gets our module's own queries,
# keys and values; `nn.MultiheadAttention` is a whole separate implementation, into which we
# load our weights: its `in_proj_weight` stacks the query, key and value matrices in the same
# order as our `qkv` layer, and its `out_proj` is our `proj`. We compare outputs and per-head
# attention weights in float32.

# %%
torch.manual_seed(SEED)
mhsa = MultiHeadSelfAttention(dim=64, heads=4).to(device).eval()
x = torch.randn(2, 50, 64, device=device)

reference = nn.MultiheadAttention(embed_dim=64, num_heads=4, batch_first=True).to(device).eval()
with torch.no_grad():
    reference.in_proj_weight.copy_(mhsa.qkv.weight)  # (3D, D): rows of W_Q, then W_K, then W_V
    reference.in_proj_bias.copy_(mhsa.qkv.bias)
    reference.out_proj.weight.copy_(mhsa.proj.weight)
    reference.out_proj.bias.copy_(mhsa.proj.bias)

    ours, our_weights = mhsa(x, return_attention=True)       # (2, 50, 64), (2, 4, 50, 50)
    mhsa.fused = True
    ours_fused = mhsa(x)                                     # same module, PyTorch's kernel
    mhsa.fused = False
    theirs, their_weights = reference(x, x, x, need_weights=True, average_attn_weights=False)

errors = {
    "output vs F.scaled_dot_product_attention": (ours - ours_fused).abs().max().item(),
    "output vs nn.MultiheadAttention": (ours - theirs).abs().max().item(),
    "weights vs nn.MultiheadAttention": (our_weights - their_weights).abs().max().item(),
}
for name, err in errors.items():
    print(f"max abs error, {name:<42}: {err:.2e}")
assert ours.shape == theirs.shape == (2, 50, 64) and our_weights.shape == their_weights.shape == (2, 4, 50, 50)
assert max(errors.values()) < 1e-5

# %% [markdown]
# The errors printed above are zero or at the level of float32 rounding (the same sums
# added in a different order), far below the 10<sup>−5</sup> we assert. Our attention *is*
# PyTorch's.

# %% [markdown]
# ## 2. The pre-norm transformer block
#
# A ViT encoder is a stack of identical blocks. Each block has two sub-layers, attention
# (which mixes tokens) and a two-layer MLP (which transforms each token on its own), and each
# sub-layer is wrapped as *x* ← *x* + sublayer(LayerNorm(*x*)) ([Dosovitskiy et al., 2020](https://arxiv.org/abs/2010.11929),
# eqs. 2–3). The LayerNorm sits *before* the sub-layer ("pre-norm"), unlike the original
# Transformer, which normalised after adding the residual. With pre-norm the residual stream
# runs untouched from the first block to the last, which makes deep stacks train stably
# without a careful learning-rate warm-up ([Xiong et al., 2020](https://arxiv.org/abs/2002.04745)).
# ViT's MLP widens each token to 4*D* with a GELU in between.

# %% tags=["export"]
import torch
from torch import nn


class MLP(nn.Module):
    """Token-wise feed-forward network: Linear(D, rD) -> GELU -> Linear(rD, D).

    In: ``dim`` D and ``mlp_ratio`` r. forward: (B, N, D) -> (B, N, D).
    """

    def __init__(self, dim, mlp_ratio=4):
        super().__init__()
        self.fc1 = nn.Linear(dim, int(mlp_ratio * dim))
        self.act = nn.GELU()
        self.fc2 = nn.Linear(int(mlp_ratio * dim), dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(LN(x)), then x + mlp(LN(x)).

    In: ``dim``, ``heads``, ``mlp_ratio``, ``fused`` (passed to MultiHeadSelfAttention).
    forward(x, return_attention=False): (B, N, D) -> (B, N, D), plus the block's attention
    weights (B, h, N, N) when ``return_attention`` is True.
    """

    def __init__(self, dim, heads, mlp_ratio=4, fused=False):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = MultiHeadSelfAttention(dim, heads, fused=fused)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = MLP(dim, mlp_ratio)

    def forward(self, x, return_attention=False):
        if return_attention:
            mixed, weights = self.attn(self.norm1(x), return_attention=True)
        else:
            mixed, weights = self.attn(self.norm1(x)), None
        x = x + mixed                       # (B, N, D): tokens exchange information
        x = x + self.mlp(self.norm2(x))     # (B, N, D): each token transformed on its own
        return (x, weights) if return_attention else x


# %% [markdown]
# Two checks. A block never changes the shape of its input. And the residual wiring is
# right if a block whose two output layers are zeroed passes its input through unchanged.

# %%
block = Block(dim=64, heads=4).to(device).eval()
x = torch.randn(2, 50, 64, device=device)
with torch.no_grad():
    y = block(x)
print("block:", tuple(x.shape), "->", tuple(y.shape))
assert y.shape == x.shape

silent = Block(dim=64, heads=4).to(device).eval()
with torch.no_grad():
    for layer in (silent.attn.proj, silent.mlp.fc2):
        layer.weight.zero_()
        layer.bias.zero_()
    assert torch.equal(silent(x), x)
print("a block with zeroed output layers is the identity: residual path checked")

# %% [markdown]
# A third property matters for what comes next. Attention treats its input as a **set**:
# shuffle the tokens and the block's outputs come out shuffled the same way, with identical
# values ("permutation equivariance"). Nothing in the block knows where a token sits.

# %%
perm = torch.randperm(50, device=device)
with torch.no_grad():
    shuffled_then_block = block(x[:, perm])
    block_then_shuffled = block(x)[:, perm]
print("max difference, block(shuffled) vs shuffled(block):",
      f"{(shuffled_then_block - block_then_shuffled).abs().max().item():.1e}")
assert torch.allclose(shuffled_then_block, block_then_shuffled, atol=1e-5)

# %% [markdown]
# So an image's patches, fed to a block as they are, form a bag: the model could not tell a
# face from its scrambled patches. [Position embeddings](../../book/glossary.md#position-embedding) fix this, next.

# %% [markdown]
# ## 3. From pixels to tokens, and the whole ViT
#
# **[Patch embedding](../../book/glossary.md#patch-embedding).** A convolution with kernel size *P* and stride *P* visits each *P* × *P*
# patch once and applies the same linear map to it: it *is* "cut into patches, flatten, apply
# a linear layer" (lesson 2.1 proved it three ways; we re-check it below with `unfold`).
#
# **`[CLS]` token.** A learned vector prepended to the patch tokens. It has no pixels of its
# own; through attention it collects a summary of the image, and the classifier reads its
# final state.
#
# **Position embeddings.** A learned vector added to each token, one per grid cell and one for
# `[CLS]`. ViT stores them as one flat table of *N* + 1 vectors and reports that 2-D-aware
# variants did no better ([Dosovitskiy et al., 2020](https://arxiv.org/abs/2010.11929),
# appendix D.4). We keep exactly the same numbers but store the patch part as a grid of
# shape (1, *D*, rows, cols): a *D*-channel image with one pixel per patch. That makes the
# 2-D structure explicit, and in section 6 changing the resolution will be a plain image
# resize.

# %% tags=["export"]
import torch
from torch import nn


class PatchEmbed(nn.Module):
    """Cut images into P x P patches and map each to a D-vector, with one strided Conv2d.

    In:  ``patch`` P, ``in_chans`` C, ``dim`` D.
    forward: images (B, C, H, W), H and W multiples of P -> tokens (B, (H/P)*(W/P), D), in
    row-major patch order.
    """

    def __init__(self, patch, in_chans, dim):
        super().__init__()
        self.patch, self.in_chans = patch, in_chans
        self.proj = nn.Conv2d(in_chans, dim, kernel_size=patch, stride=patch)

    def forward(self, images):
        if not torch.is_tensor(images) or images.dim() != 4:
            shape = tuple(images.shape) if hasattr(images, "shape") else type(images).__name__
            raise ValueError(f"expected a batch of images of shape (B, C, H, W), got {shape}")
        _, c, h, w = images.shape
        if c != self.in_chans:
            raise ValueError(f"expected {self.in_chans} channels, got {c}")
        if h % self.patch or w % self.patch:
            raise ValueError(f"a {h}x{w} image cannot be cut into {self.patch}-px patches; "
                             f"resize it to a multiple of {self.patch}")
        return self.proj(images).flatten(2).transpose(1, 2)  # (B, D, H/P, W/P) -> (B, N, D)


# %%
embed = PatchEmbed(patch=4, in_chans=3, dim=64).to(device)
images = torch.randn(2, 3, 32, 32, device=device)
with torch.no_grad():
    tokens = embed(images)                                        # (2, 64, 64)
    patches = F.unfold(images, kernel_size=4, stride=4)           # (B, C*P*P, N)
    by_hand = patches.transpose(1, 2) @ embed.proj.weight.reshape(64, -1).T + embed.proj.bias  # (B, N, D)
print("images", tuple(images.shape), "-> tokens", tuple(tokens.shape))
assert tokens.shape == (2, (32 // 4) ** 2, 64)
assert torch.allclose(tokens, by_hand, atol=1e-5)
print(f"strided conv == unfold + matmul, max difference {(tokens - by_hand).abs().max().item():.1e}")

# %% [markdown]
# The interpolation of a position grid deserves its own small function, because section 6 and
# the second exercise revolve around it. It resizes the grid with `F.interpolate` exactly as
# an image would be resized (bicubic, `align_corners=False`, the choice of Hugging Face
# `transformers`' ViT, [`ViTEmbeddings.interpolate_pos_encoding`](https://github.com/huggingface/transformers/blob/main/src/transformers/models/vit/modeling_vit.py)).

# %% tags=["export"]
import torch
import torch.nn.functional as F


def resize_pos_grid(grid, size, mode="bicubic"):
    """Resize a grid of position embeddings like an image.

    In:  ``grid`` of shape (1, D, rows, cols); ``size`` the new (rows, cols);
         ``mode`` an ``F.interpolate`` mode ("bicubic", "bilinear", "nearest").
    Out: a tensor of shape (1, D, new_rows, new_cols). Same size in, same grid out.
    """
    if not torch.is_tensor(grid) or grid.dim() != 4 or grid.shape[0] != 1:
        raise ValueError(f"expected a position grid of shape (1, D, rows, cols), got "
                         f"{tuple(grid.shape) if torch.is_tensor(grid) else type(grid).__name__}")
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f"size must be (rows, cols) with positive entries, got {size!r}")
    if tuple(size) == tuple(grid.shape[-2:]):
        return grid
    kwargs = {} if mode == "nearest" else {"align_corners": False}
    return F.interpolate(grid, size=tuple(size), mode=mode, **kwargs)


# %% [markdown]
# Now the whole model. `forward` follows the ViT recipe: patch tokens, prepend `[CLS]`, add
# positions, *L* blocks, a final LayerNorm, and a linear classifier on the `[CLS]` token. It
# refuses images whose grid does not match the position grid unless asked to interpolate
# (`interpolate_pos_encoding=True`, the name `transformers` uses), and it accepts a
# replacement table of position embeddings, which section 6 uses to compare alternatives.

# %% tags=["export"]
import torch
from torch import nn


class ViT(nn.Module):
    """A Vision Transformer classifier, built from the modules above.

    In:  ``img_size`` S (square images it is built for), ``patch`` P, ``in_chans`` C, ``dim`` D,
         ``depth`` L blocks, ``heads`` h, ``mlp_ratio`` r, ``num_classes`` K, ``fused``.
    forward(images, interpolate_pos_encoding=False, pos_embed=None, return_attention=False):
    images (B, C, H, W) -> logits (B, K); with ``return_attention`` also a list of L attention
    tensors (B, h, 1+N, 1+N). ``pos_embed`` (1, 1+N, D) replaces the learned positions.
    """

    def __init__(self, img_size=32, patch=4, in_chans=3, dim=64, depth=2, heads=4,
                 mlp_ratio=4, num_classes=8, fused=False):
        super().__init__()
        if img_size % patch:
            raise ValueError(f"img_size {img_size} is not a multiple of the patch size {patch}")
        self.grid = (img_size // patch, img_size // patch)
        self.patch_embed = PatchEmbed(patch, in_chans, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_cls = nn.Parameter(torch.zeros(1, 1, dim))           # position of [CLS]
        self.pos_grid = nn.Parameter(torch.zeros(1, dim, *self.grid))  # (1, D, rows, cols)
        self.blocks = nn.ModuleList([Block(dim, heads, mlp_ratio, fused) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)
        for p in (self.cls_token, self.pos_cls, self.pos_grid):
            nn.init.trunc_normal_(p, std=0.02)

    def position_embeddings(self, grid, interpolate=False):
        """The (1, 1+rows*cols, D) table for a patch grid (rows, cols); resized if allowed."""
        grid = tuple(grid)
        if grid != self.grid and not interpolate:
            raise ValueError(
                f"this model was built for a {self.grid[0]}x{self.grid[1]} patch grid "
                f"({self.grid[0] * self.patch_embed.patch} px) but the image gives {grid[0]}x{grid[1]}; "
                "pass interpolate_pos_encoding=True to resize the position grid")
        table = resize_pos_grid(self.pos_grid, grid)           # (1, D, rows, cols)
        table = table.flatten(2).transpose(1, 2)               # (1, rows*cols, D), row-major
        return torch.cat([self.pos_cls, table], dim=1)         # (1, 1+rows*cols, D)

    def embed(self, images, interpolate_pos_encoding=False, pos_embed=None):
        """Images (B, C, H, W) -> input tokens (B, 1+N, D): patches, [CLS], positions."""
        patches = self.patch_embed(images)                                     # (B, N, D)
        grid = (images.shape[-2] // self.patch_embed.patch, images.shape[-1] // self.patch_embed.patch)
        tokens = torch.cat([self.cls_token.expand(len(patches), -1, -1), patches], dim=1)  # (B, 1+N, D)
        if pos_embed is None:
            pos_embed = self.position_embeddings(grid, interpolate_pos_encoding)
        elif tuple(pos_embed.shape) != (1, tokens.shape[1], tokens.shape[2]):
            raise ValueError(f"pos_embed must have shape (1, {tokens.shape[1]}, {tokens.shape[2]}), "
                             f"got {tuple(pos_embed.shape)}")
        return tokens + pos_embed                                              # (B, 1+N, D)

    def forward(self, images, interpolate_pos_encoding=False, pos_embed=None, return_attention=False):
        x = self.embed(images, interpolate_pos_encoding, pos_embed)  # (B, 1+N, D)
        maps = []
        for block in self.blocks:
            if return_attention:
                x, weights = block(x, return_attention=True)         # weights (B, h, 1+N, 1+N)
                maps.append(weights)
            else:
                x = block(x)                                         # (B, 1+N, D)
        logits = self.head(self.norm(x[:, 0]))                       # (B, K) from [CLS]
        return (logits, maps) if return_attention else logits


# %% [markdown]
# A walk through one forward pass of a small ViT for 32 × 32 images with 4-pixel patches (the
# model we train in section 5), checking the shape after each module:

# %%
torch.manual_seed(SEED)
vit = ViT(img_size=32, patch=4, dim=64, depth=2, heads=4, mlp_ratio=2, num_classes=8).to(device).eval()
images = torch.randn(3, 3, 32, 32, device=device)
with torch.no_grad():
    steps = [("images", images)]
    t = vit.patch_embed(images);                                   steps.append(("patch embedding", t))
    t = torch.cat([vit.cls_token.expand(3, -1, -1), t], dim=1);    steps.append(("+ [CLS] token", t))
    t = t + vit.position_embeddings(vit.grid);                     steps.append(("+ positions", t))
    for i, blk in enumerate(vit.blocks):
        t = blk(t);                                                steps.append((f"block {i + 1}", t))
    t = vit.norm(t[:, 0]);                                         steps.append(("[CLS] after LayerNorm", t))
    t = vit.head(t);                                               steps.append(("classifier head", t))
for name, value in steps:
    print(f"{name:>24}: {tuple(value.shape)}")
expected = [(3, 3, 32, 32), (3, 64, 64), (3, 65, 64), (3, 65, 64), (3, 65, 64), (3, 65, 64), (3, 64), (3, 8)]
assert [tuple(v.shape) for _, v in steps] == expected
with torch.no_grad():
    assert torch.allclose(vit(images), t, atol=1e-6)   # forward() does exactly these steps

# %% [markdown]
# ### Where the parameters are
#
# `count_parameters` groups a ViT's parameters by part. We run it on our tiny model and on the
# real **ViT-B/16** configuration (width 768, 12 blocks, 12 heads, MLP ratio 4, 224-px
# images, 1,000 classes; [Dosovitskiy et al., 2020](https://arxiv.org/abs/2010.11929),
# table 1), built on PyTorch's `meta` device so that no memory is allocated for its weights.

# %% tags=["export"]
def count_parameters(model):
    """Parameters of a ViT, grouped by part.

    In:  a ``ViT``. Out: a dict part name -> number of parameters (ints), in model order,
         plus "total".
    """
    parts = {
        "patch embedding": model.patch_embed,
        "[CLS] token": [model.cls_token],
        "position embeddings": [model.pos_cls, model.pos_grid],
        "blocks: attention": [p for b in model.blocks for p in b.attn.parameters()],
        "blocks: MLP": [p for b in model.blocks for p in b.mlp.parameters()],
        "blocks: LayerNorms": [p for b in model.blocks for n in (b.norm1, b.norm2) for p in n.parameters()],
        "final LayerNorm": model.norm,
        "classifier head": model.head,
    }
    counts = {}
    for name, part in parts.items():
        params = part.parameters() if hasattr(part, "parameters") else part
        counts[name] = sum(p.numel() for p in params)
    counts["total"] = sum(p.numel() for p in model.parameters())
    if sum(v for k, v in counts.items() if k != "total") != counts["total"]:
        raise RuntimeError("the parts do not add up to the model's parameters")
    return counts


# %%
with torch.device("meta"):
    vit_b16 = ViT(img_size=224, patch=16, dim=768, depth=12, heads=12, mlp_ratio=4, num_classes=1000)
tiny_counts, base_counts = count_parameters(vit), count_parameters(vit_b16)
print(f"{'part':<22} | {'tiny ViT':>9} | {'share':>6} | {'ViT-B/16':>11} | {'share':>6}")
for name in tiny_counts:
    print(f"{name:<22} | {tiny_counts[name]:>9,} | {tiny_counts[name] / tiny_counts['total']:>6.1%} | "
          f"{base_counts[name]:>11,} | {base_counts[name] / base_counts['total']:>6.1%}")
assert 86e6 <= base_counts["total"] < 87e6  # ViT-Base: 86M parameters (Dosovitskiy et al., table 1)
assert base_counts["position embeddings"] == (1 + (224 // 16) ** 2) * 768

# %% [markdown]
# Our ViT-B/16 has the paper's 86 million parameters (the assert checks it), and the table
# shows where they live: almost all in the blocks, and there twice as many in the MLPs as in
# attention (per block, 2·*r*·*D*² = 8*D*² MLP weights against 4*D*² for *W*<sub>Q</sub>,
# *W*<sub>K</sub>, *W*<sub>V</sub> and *W*<sub>O</sub>).
# The position embeddings are a small table, but they are the **only** part whose size
# depends on the resolution the model was built for. Everything else works on any number of
# tokens. Remember this for section 6.

# %% [markdown]
# ## 4. What tokens cost: compute and memory against sequence length
#
# ### The FLOP formula
#
# Count the multiply–adds of one block on *N* tokens of width *D* with MLP ratio *r* (one
# multiply–add = 2 FLOPs; a product of an (*a* × *b*) and a (*b* × *c*) matrix costs 2*abc*):
#
# | part | FLOPs | grows with |
# |---|---|---|
# | query, key, value projections | 2 · *N* · *D* · 3*D* | *N* |
# | output projection *W*<sub>O</sub> | 2 · *N* · *D* · *D* | *N* |
# | MLP (two layers) | 2 · 2 · *N* · *D* · *rD* | *N* |
# | scores *QK*<sup>⊤</sup>, all heads | 2 · *N* · *N* · *D* | *N*² |
# | weighted sum of values, all heads | 2 · *N* · *N* · *D* | *N*² |
#
# In total (8 + 4*r*) · *N* · *D*² + 4 · *N*² · *D*, that is 24 *ND*² + 4 *N*²*D* for ViT's
# *r* = 4. The linear part dominates for short sequences; the attention part wins once
# 4*N*²*D* > 24*ND*², i.e. beyond **N = 6D** tokens, and then a doubling of the image side
# (4× the tokens) costs up to 16× the compute. LayerNorm, softmax and GELU add a few
# operations per number and are left out, as is customary.

# %% tags=["export"]
def block_flops(n_tokens, dim, mlp_ratio=4):
    """Forward FLOPs of one transformer block (matrix products only, 2 FLOPs per multiply-add).

    In:  ``n_tokens`` N, ``dim`` D, ``mlp_ratio`` r (positive numbers).
    Out: a dict with "linear" = (8 + 4r)·N·D², "attention" = 4·N²·D and "total", as ints.
    """
    for name, value in (("n_tokens", n_tokens), ("dim", dim), ("mlp_ratio", mlp_ratio)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"{name} must be a positive number, got {value!r}")
    linear = round((8 + 4 * mlp_ratio) * n_tokens * dim * dim)
    attn = 4 * n_tokens * n_tokens * dim
    return {"linear": linear, "attention": attn, "total": linear + attn}


# %% [markdown]
# PyTorch can count the FLOPs of the matrix products it actually runs
# (`torch.utils.flop_counter.FlopCounterMode`). On our explicit block, its count and the
# formula must agree exactly:

# %%
from torch.utils.flop_counter import FlopCounterMode

COST_DIM, COST_HEADS = 192, 3  # the width and heads of ViT-Tiny, used again in the sweep below
cost_block = Block(COST_DIM, COST_HEADS, mlp_ratio=4).eval()
for n in (49, 196, 577):
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        cost_block(torch.randn(1, n, COST_DIM))
    formula = block_flops(n, COST_DIM)["total"]
    print(f"N = {n:>4}: counted {counter.get_total_flops():>13,} FLOPs, formula {formula:>13,}")
    assert counter.get_total_flops() == formula

# %% [markdown]
# ### Measuring memory honestly
#
# Time is easy to measure; peak memory during a forward pass is not, on a CPU. Python's
# `tracemalloc` sees only memory that Python's own allocator hands out, and PyTorch tensors
# live in C++ memory it never sees, so it would report almost nothing. The process's resident
# memory (RSS) does include tensors, but the C library keeps freed blocks for reuse, so RSS
# moves in steps that depend on the allocator's history more than on the model. On a GPU,
# PyTorch's caching allocator counts every byte, and `torch.cuda.max_memory_allocated` is the
# standard answer.
#
# On the CPU we count tensors ourselves. PyTorch lets a Python object intercept every tensor
# operation through `__torch_dispatch__` (a "dispatch mode"). Ours records the storage of every
# tensor an operation creates, forgets it as soon as Python frees it, and keeps the largest
# total seen: the **peak bytes of live tensors**, at the granularity of single operations.
# What it cannot see is scratch memory *inside* one fused kernel; for the kernels measured
# below that scratch space is small, and the GPU numbers (which do include it) agree in shape.

# %% tags=["export"]
import torch
from torch.multiprocessing.reductions import StorageWeakRef
from torch.utils._python_dispatch import TorchDispatchMode


class PeakTensorMemory(TorchDispatchMode):
    """Peak bytes held by tensors created inside a ``with PeakTensorMemory() as m:`` block.

    Every PyTorch operation in the block passes through ``__torch_dispatch__``; the storages
    of new outputs are counted until Python frees them. Tensors that existed before the block
    (inputs, weights) and views of them are not counted. Read ``m.peak_bytes`` afterwards.
    """

    def __init__(self):
        super().__init__()
        self.live = {}            # storage id -> (weak reference, bytes)
        self.external = set()     # storages that existed before the block
        self.current_bytes = 0
        self.peak_bytes = 0

    @staticmethod
    def _tensors(values):
        for value in values:
            if isinstance(value, (list, tuple)):
                yield from PeakTensorMemory._tensors(value)
            elif isinstance(value, torch.Tensor):
                yield value

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        for key in [key for key, (ref, _) in self.live.items() if ref.expired()]:
            self.current_bytes -= self.live.pop(key)[1]      # freed since the last operation
        for t in self._tensors(list(args) + list(kwargs.values())):
            key = StorageWeakRef(t.untyped_storage()).cdata
            if key not in self.live:
                self.external.add(key)
        out = func(*args, **kwargs)
        for t in self._tensors(out if isinstance(out, (list, tuple)) else [out]):
            storage = t.untyped_storage()
            ref = StorageWeakRef(storage)
            if ref.cdata not in self.live and ref.cdata not in self.external:
                self.live[ref.cdata] = (ref, storage.nbytes())
                self.current_bytes += storage.nbytes()
        self.peak_bytes = max(self.peak_bytes, self.current_bytes)
        return out


# %% [markdown]
# A test on known sizes before we trust it: two 4 MB tensors alive together, a third created
# after the first is freed, so the peak is 8 MB, not 12 MB.

# %%
with PeakTensorMemory() as meter:
    a = torch.ones(1024, 1024)       # 4 MiB of float32
    b = a * 2                        # 4 MiB more, both alive
    del a
    c = b + 1                        # 4 MiB, while a is already freed
    del b, c
print(f"peak {meter.peak_bytes / 2**20:.1f} MiB (expected 8.0)")
assert meter.peak_bytes == 2 * 1024 * 1024 * 4

# %% [markdown]
# ### The sweep
#
# One block the size of ViT-Tiny's (*D* = 192, 3 heads, the DeiT-Ti configuration of
# [Touvron et al., 2021](https://arxiv.org/abs/2012.12877)) runs on a batch of one image at growing
# resolutions with 16-pixel patches, from 112 px (49 tokens) to 1,024 px (4,096 tokens),
# once with our explicit attention and once with PyTorch's fused kernel. For each size we
# time the whole block and, separately, its two parts: the attention core alone (scores,
# softmax and weighted sum on queries, keys and values of the right shape) and the rest of
# the block with that core skipped (LayerNorms, projections, MLP), so that the attention's
# share of the time is measured rather than guessed. Every time is the best of several runs
# (the one least disturbed by anything else the machine is doing). We also record the peak
# memory of the tensors each forward pass creates, with the analytic size of one attention
# matrix, *h* · *N*² float32 numbers, beside it.

# %%
def time_call(fn, *args, min_repeats=2, min_total_s=0.1):
    """Best wall time (s) of ``fn(*args)`` without gradients.

    Runs at least ``min_repeats`` times and until ``min_total_s`` seconds have been spent
    (so fast calls get more tries); the minimum is the least disturbed measurement.
    """
    best, spent, runs = float("inf"), 0.0, 0
    cuda = any(torch.is_tensor(a) and a.is_cuda for a in args)
    with torch.no_grad():
        while runs < min_repeats or (spent < min_total_s and runs < 100):
            if cuda:
                torch.cuda.synchronize()
            start = time.perf_counter()
            fn(*args)
            if cuda:
                torch.cuda.synchronize()
            elapsed = time.perf_counter() - start
            best, spent, runs = min(best, elapsed), spent + elapsed, runs + 1
    return best


def peak_forward_bytes(module, x):
    """Peak bytes of tensors created by one forward pass: CUDA allocator, or our CPU meter."""
    with torch.no_grad():
        if x.is_cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            base = torch.cuda.memory_allocated()
            module(x)
            torch.cuda.synchronize()
            return torch.cuda.max_memory_allocated() - base
        with PeakTensorMemory() as meter:
            module(x)
        return meter.peak_bytes


torch.manual_seed(SEED)
blocks = {"explicit": Block(COST_DIM, COST_HEADS, mlp_ratio=4).to(device).eval(),
          "fused": Block(COST_DIM, COST_HEADS, mlp_ratio=4, fused=True).to(device).eval()}
blocks["fused"].load_state_dict(blocks["explicit"].state_dict())   # same weights, different kernel
attention_parts = {"explicit": lambda q, k, v: attention(q, k, v)[0],
                   "fused": F.scaled_dot_product_attention}


def block_without_attention_core(block, x):
    """The block's forward pass with the attention core skipped: the values stand in for its
    output (same shape), so LayerNorms, projections, residuals and MLP all run as usual."""
    b, n, d = x.shape
    qkv = block.attn.qkv(block.norm1(x)).reshape(b, n, 3, block.attn.heads, d // block.attn.heads)
    values = qkv[:, :, 2].transpose(1, 2)                                 # (B, h, N, dh)
    x = x + block.attn.proj(values.transpose(1, 2).reshape(b, n, d))      # (B, N, D)
    return x + block.mlp(block.norm2(x))


SIDES_PX = [112, 224, 384, 512, 768, 1024]
sweep = []
for side in SIDES_PX:
    n = (side // 16) ** 2
    x = torch.randn(1, n, COST_DIM, device=device)
    q, k, v = torch.randn(3, 1, COST_HEADS, n, COST_DIM // COST_HEADS, device=device)  # each (1, h, N, dh)
    row = {"px": side, "tokens": n}
    for variant in ("explicit", "fused"):
        row[f"ms block, {variant}"] = 1e3 * time_call(blocks[variant], x)
        row[f"ms attention, {variant}"] = 1e3 * time_call(attention_parts[variant], q, k, v)
        row[f"ms rest, {variant}"] = 1e3 * time_call(block_without_attention_core, blocks[variant], x)
        row[f"MB {variant}"] = peak_forward_bytes(blocks[variant], x) / 1e6
    row["MB one attn matrix"] = COST_HEADS * n * n * 4 / 1e6
    row["attention FLOP share"] = block_flops(n, COST_DIM)["attention"] / block_flops(n, COST_DIM)["total"]
    sweep.append(row)
    del x, q, k, v


def show(rows, keys):
    """Print the chosen columns of the sweep as a table."""
    print(" | ".join(f"{k:>20}" for k in keys))
    for r in rows:
        print(" | ".join(f"{r[k]:>20,}" if isinstance(r[k], int) else f"{r[k]:>20.3g}" for k in keys))


show(sweep, ["px", "tokens", "ms block, explicit", "ms attention, explicit", "ms rest, explicit"])
print()
show(sweep, ["px", "tokens", "ms block, fused", "ms attention, fused", "ms rest, fused"])
print()
show(sweep, ["tokens", "MB explicit", "MB fused", "MB one attn matrix"])

# %% [markdown]
# The explicit version's memory tracks the size of the attention matrix: our `attention`
# holds the scores and the softmax weights at the same moment, two such matrices, and the
# check below asserts exactly that. The fused kernel never materialises the matrix
# ([Dao et al., 2022](https://arxiv.org/abs/2205.14135) describe the idea for GPUs), so its
# memory grows only linearly with the tokens. As for time: four times the tokens should cost
# four times as much in the linear layers and sixteen times as much in attention. (On a GPU
# these sizes are small enough that fixed kernel-launch costs can hide part of that growth.)

# %%
tokens_arr = np.array([r["tokens"] for r in sweep], dtype=float)
big, mid = sweep[-1], sweep[3]    # 4,096 and 1,024 tokens
assert mid["tokens"] * 4 == big["tokens"]
assert big["MB explicit"] >= 2 * big["MB one attn matrix"]       # scores and weights alive together
assert big["MB explicit"] < 2 * big["MB one attn matrix"] + 50   # ... and little else
assert big["MB fused"] < 0.1 * big["MB explicit"]                 # the fused kernel stores no N x N matrix
print("4x the tokens (1,024 -> 4,096) multiplies")
for key in ("ms attention, explicit", "ms attention, fused", "ms block, explicit", "ms block, fused"):
    print(f"  {key[3:]:<20} time by {big[key] / mid[key]:5.1f}")
print(f"  {'block FLOPs':<20}      by {block_flops(4096, COST_DIM)['total'] / block_flops(1024, COST_DIM)['total']:5.1f}"
      f" (attention FLOPs by 16, linear FLOPs by 4)")
if device.type == "cpu":  # on a GPU, work this small is dominated by fixed kernel-launch costs
    assert big["ms attention, explicit"] / mid["ms attention, explicit"] > 8  # quadratic, not linear (x4)

# %% [markdown]
# ### A quadratic fit for the attention part
#
# The FLOP count of the attention part is exactly quadratic in *N*, so we fit its measured
# time with *t*(*N*) = *a* + *bN* + *cN*², and the rest of the block with a line *a* + *bN*. No coefficient
# may be negative (there is no negative cost), so we fit by least squares under that
# constraint. A second, fit-free view: between two sizes *N*<sub>1</sub> < *N*<sub>2</sub>, the
# **growth exponent** log(*t*<sub>2</sub>/*t*<sub>1</sub>) / log(*N*<sub>2</sub>/*N*<sub>1</sub>) is
# 1 for a cost proportional to *N* and 2 for a cost proportional to *N*².

# %%
def fit_polynomial(n, t, degree):
    """Least squares t ≈ sum_j c_j·n^j (j = 0..degree) with every c_j >= 0.

    In: token counts ``n``, times ``t`` (arrays) and the degree. Out: the coefficients
    (c_0, ..., c_degree). With so few unknowns we simply try every subset of terms and keep
    the best fit whose coefficients are all >= 0.
    """
    basis = np.stack([n**j for j in range(degree + 1)], axis=1)
    best, best_err = None, np.inf
    for mask in range(1, 2 ** (degree + 1)):
        cols = [j for j in range(degree + 1) if mask >> j & 1]
        coef, *_ = np.linalg.lstsq(basis[:, cols], t, rcond=None)
        if (coef >= 0).all():
            full = np.zeros(degree + 1)
            full[cols] = coef
            err = np.sum((basis @ full - t) ** 2)
            if err < best_err:
                best, best_err = full, err
    return best


fits, measured = {}, {}
for variant in ("explicit", "fused"):
    attn_ms = np.array([r[f"ms attention, {variant}"] for r in sweep])
    rest_ms = np.array([r[f"ms rest, {variant}"] for r in sweep])
    measured[variant] = (attn_ms, rest_ms)
    fits[variant] = {"attention": fit_polynomial(tokens_arr, attn_ms, 2), "rest": fit_polynomial(tokens_arr, rest_ms, 1)}
    a, b, c = fits[variant]["attention"]
    a2, b2 = fits[variant]["rest"]
    print(f"{variant:>8}: attention ≈ {a:.2f} + {b:.2e}·N + {c:.2e}·N² ms;  rest ≈ {a2:.2f} + {b2:.2e}·N ms")
assert fits["explicit"]["attention"][2] > 0  # the N² term is real

print(f"\n{'tokens':>13} | {'growth exponent of time':^45} | {'attention share':^34}")
print(f"{'':>13} | {'attn, explicit':>14} | {'attn, fused':>11} | {'rest, explicit':>14} | "
      f"{'of FLOPs':>8} | {'of time, expl.':>14} | {'fused':>6}")
for i, r in enumerate(sweep):
    if i == 0:
        exps = [""] * 3
    else:
        ratio = math.log(tokens_arr[i] / tokens_arr[i - 1])
        exps = [f"{math.log(max(v[i], 1e-6) / max(v[i - 1], 1e-6)) / ratio:.2f}"
                for v in (measured["explicit"][0], measured["fused"][0], measured["explicit"][1])]
    span = f"{int(tokens_arr[i - 1]):,}→{r['tokens']:,}" if i else f"{r['tokens']:,}"
    print(f"{span:>13} | {exps[0]:>14} | {exps[1]:>11} | {exps[2]:>14} | {r['attention FLOP share']:>8.0%} | "
          f"{r['ms attention, explicit'] / (r['ms attention, explicit'] + r['ms rest, explicit']):>14.0%} | "
          f"{r['ms attention, fused'] / (r['ms attention, fused'] + r['ms rest, fused']):>6.0%}")

# %%
fig, axes = plt.subplots(2, 2, figsize=(12, 9))
n_fine = np.linspace(0, tokens_arr[-1], 200)
for ax, variant in zip(axes[0], ("explicit", "fused")):
    a, b, c = fits[variant]["attention"]
    a2, b2 = fits[variant]["rest"]
    attn_ms, rest_ms = measured[variant]
    ax.plot(tokens_arr, [r[f"ms block, {variant}"] for r in sweep], "ko", label="whole block, measured")
    ax.plot(tokens_arr, attn_ms, "s", color="tab:red", label="attention part, measured")
    ax.plot(n_fine, a + b * n_fine + c * n_fine**2, "-", color="tab:red", alpha=0.7,
            label=f"attention, quadratic fit ({c:.1e}·N² + {b:.1e}·N + {a:.2f})")
    ax.plot(tokens_arr, rest_ms, "^", color="tab:blue", label="rest of the block, measured")
    ax.plot(n_fine, a2 + b2 * n_fine, "-", color="tab:blue", alpha=0.7, label=f"rest, linear fit ({b2:.1e}·N + {a2:.2f})")
    ax.set(xlabel="tokens N", ylabel="forward time (ms)",
           title=f"Time of one block (D = {COST_DIM}), {variant} attention, {device.type.upper()}")
    ax.legend(fontsize=7)

ax = axes[1, 0]
ax.plot(tokens_arr, [r["MB explicit"] for r in sweep], "o-", color="tab:red", label="explicit, measured")
ax.plot(tokens_arr, [r["MB fused"] for r in sweep], "o-", color="tab:blue", label="fused, measured")
n_log = np.geomspace(tokens_arr[0], tokens_arr[-1], 200)
ax.plot(n_log, 2 * COST_HEADS * n_log**2 * 4 / 1e6, "k:", label="2 attention matrices (analytic)")
ax.set(xscale="log", yscale="log", xlabel="tokens N", ylabel="peak memory of the forward pass (MB)",
       title="Peak tensor memory of one block (log–log)")
ax.legend(fontsize=7)

ax = axes[1, 1]
flops = [block_flops(int(n), COST_DIM) for n in n_log]
ax.plot(n_log, [f["linear"] / 1e9 for f in flops], color="tab:blue", label="linear layers: 24·N·D²")
ax.plot(n_log, [f["attention"] / 1e9 for f in flops], color="tab:red", label="attention: 4·N²·D")
ax.plot(n_log, [f["total"] / 1e9 for f in flops], "k", label="total")
ax.axvline(6 * COST_DIM, color="grey", ls="--", label=f"N = 6D = {6 * COST_DIM}")
ax.set(xscale="log", yscale="log", xlabel="tokens N", ylabel="GFLOPs per forward pass",
       title="FLOPs of one block (formula, log–log)")
ax.legend(fontsize=7)
fig.tight_layout()
plt.show()

# %% [markdown]
# Four views of one fact. On linear axes (top) the attention part bends upwards like its
# fitted parabola while the rest of the block grows along a straight line, and the two parts
# add up to the whole block, as the FLOP formula (bottom right) predicts. The growth
# exponents printed above say the same without any fit: near 2 for attention and near 1 for
# the rest once sizes are large enough for fixed overheads not to matter. (On a busy
# machine single timings scatter, and the exponents between neighbouring sizes scatter with
# them; the fit over all sizes is steadier.) By FLOPs, attention overtakes the linear layers
# at *N* = 6*D*; compare that with the measured time shares. The two need not agree,
# because a FLOP is not a fixed amount of time: the linear layers are large matrix products
# that run near the processor's peak speed, while attention is made of small per-head
# products, and the explicit softmax reads and writes the whole *N* × *N* matrix several
# times; once that matrix no longer fits in the processor's caches, each of its entries
# costs more, which can push an exponent above 2 over part of the range. Memory (bottom
# left) separates the two implementations completely: the explicit block follows the
# analytic line of two attention matrices, the fused one stays linear. Fused kernels remove
# the memory wall, not the compute: the arithmetic is the same, so their time still grows
# quadratically.
#
# For a vision-language model this means that an image's cost in the **encoder** grows with
# the square of its token count once tokens outnumber a few times the width, before a single
# token reaches the language model. A [connector](../../book/glossary.md#connector) that emits a fixed number of tokens (a
# [resampler](../../book/glossary.md#resampler)) caps the language model's share, not the encoder's.

# %% [markdown]
# ## 5. Training a tiny ViT on synthetic shapes
#
# ### The data
#
# Each image shows one shape (circle, square, triangle or cross) in a random bright colour on
# a random dark, noisy background, at a random size and position. The label says **what** and
# **where**: the shape, and whether it sits in the left or the right half. That gives 8
# classes, and a model can only get the "where" part right if it knows where its patches are,
# which is what makes the position experiment of section 6 meaningful.
#
# Scenes are drawn as numbers in image-relative units (centre, radius, colours), and rendered
# at any resolution with anti-aliased edges (each pixel is covered in proportion to its
# distance from the edge). So the **same** scenes can be rendered at 32 px for training and at
# 48 px for section 6.

# %% tags=["export"]
import numpy as np
import torch

SHAPES = ("circle", "square", "triangle", "cross")
SIDES = ("left", "right")
CLASSES = tuple(f"{shape}, {side}" for side in SIDES for shape in SHAPES)  # label = shape + 4 * side


def sample_scenes(n, seed):
    """Draw ``n`` random one-shape scenes; coordinates are fractions of the image side.

    Out: a dict of numpy arrays: "shape" (0-3), "side" (0 left, 1 right), "cx", "cy",
    "radius", "fg" and "bg" colours (n, 3), and one "noise_seed".
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    rng = np.random.default_rng(seed)
    side = rng.integers(0, 2, n)
    return {
        "shape": rng.integers(0, 4, n),
        "side": side,
        "cx": np.where(side == 1, rng.uniform(0.58, 0.75, n), rng.uniform(0.25, 0.42, n)),
        "cy": rng.uniform(0.3, 0.7, n),
        "radius": rng.uniform(0.16, 0.26, n),
        "fg": rng.uniform(0.5, 1.0, (n, 3)),
        "bg": rng.uniform(0.0, 0.25, (n, 3)),
        "noise_seed": int(rng.integers(0, 2**31)),
    }


def render_scenes(scenes, size, return_mask=False):
    """Render scenes from ``sample_scenes`` as ``size`` x ``size`` RGB images.

    Out: images (n, 3, size, size) float32 in [0, 1] and labels (n,) int64 (shape + 4 * side);
    with ``return_mask`` also each shape's pixel coverage (n, size, size) in [0, 1].
    """
    if not isinstance(size, int) or size < 8:
        raise ValueError(f"size must be an int >= 8, got {size!r}")
    g = ((np.arange(size) + 0.5) / size).astype(np.float32)       # pixel centres in [0, 1]
    u = g[None, None, :] - scenes["cx"][:, None, None].astype(np.float32)  # (n, 1, size)
    v = g[None, :, None] - scenes["cy"][:, None, None].astype(np.float32)  # (n, size, 1)
    u, v = np.broadcast_arrays(u, v)                               # (n, size, size)
    r = scenes["radius"].astype(np.float32)[:, None, None]
    inside = np.empty(u.shape, np.float32)  # signed distance to the edge, > 0 inside
    for k in range(4):
        i = scenes["shape"] == k
        uk, vk, rk = u[i], v[i], r[i]
        if SHAPES[k] == "circle":
            d = rk - np.sqrt(uk**2 + vk**2)
        elif SHAPES[k] == "square":
            d = 0.85 * rk - np.maximum(np.abs(uk), np.abs(vk))
        elif SHAPES[k] == "triangle":   # pointing up: three half-planes
            d = np.minimum.reduce([0.6 * rk - (uk * np.cos(a) + vk * np.sin(a))
                                   for a in (np.pi / 2, np.pi / 2 + 2 * np.pi / 3, np.pi / 2 + 4 * np.pi / 3)])
        else:                           # cross: union of two bars
            w = 0.35 * rk
            d = np.maximum(np.minimum(w - np.abs(uk), rk - np.abs(vk)),
                           np.minimum(w - np.abs(vk), rk - np.abs(uk)))
        inside[i] = d
    cover = np.clip(0.5 + inside * size, 0.0, 1.0)                 # anti-aliased coverage
    img = cover[:, None] * scenes["fg"][:, :, None, None] + (1 - cover[:, None]) * scenes["bg"][:, :, None, None]
    noise = np.random.default_rng(scenes["noise_seed"] + size).normal(0, 0.05, img.shape)
    images = torch.from_numpy(np.clip(img + noise, 0, 1).astype(np.float32))
    labels = torch.from_numpy((scenes["shape"] + 4 * scenes["side"]).astype(np.int64))
    return (images, labels, torch.from_numpy(cover)) if return_mask else (images, labels)


# %%
IMG, PATCH = 32, 4
t0 = time.perf_counter()
train_scenes, test_scenes = sample_scenes(8000, seed=1), sample_scenes(2000, seed=2)
x_train, y_train = render_scenes(train_scenes, IMG)
x_test, y_test, test_cover = render_scenes(test_scenes, IMG, return_mask=True)
print(f"rendered {len(x_train):,} training and {len(x_test):,} test images in {time.perf_counter() - t0:.1f} s:",
      tuple(x_train.shape))
assert x_train.shape == (8000, 3, IMG, IMG) and y_train.max() == 7
print("class counts (train):", np.bincount(y_train.numpy(), minlength=8).tolist())

fig, axes = plt.subplots(2, 8, figsize=(14, 4))
for i, ax in enumerate(axes.flat):
    ax.imshow(x_train[i].permute(1, 2, 0).numpy())
    ax.set_title(CLASSES[y_train[i]], fontsize=8)
    ax.axis("off")
fig.suptitle(f"Training images ({IMG} × {IMG} px, {PATCH}-px patches → {(IMG // PATCH) ** 2} tokens) and their labels")
plt.show()

# %% [markdown]
# ### The model and the training run
#
# The model is the ViT from section 3: width 64, 2 blocks of 4 heads, MLP ratio 2, 8 × 8 = 64
# patch tokens plus `[CLS]`. Inputs are standardised with the training set's per-channel mean
# and standard deviation. We train for a fixed number of steps with AdamW and PyTorch's
# one-cycle schedule (the learning rate warms up over the first 15 % of the steps, then
# decays along a cosine), seeded, so the run is the same every time on the same machine.

# %%
mean = x_train.mean(dim=(0, 2, 3), keepdim=True)
std = x_train.std(dim=(0, 2, 3), keepdim=True)
xs_train, xs_test = ((x_train - mean) / std).to(device), ((x_test - mean) / std).to(device)
ys_train, ys_test = y_train.to(device), y_test.to(device)

torch.manual_seed(SEED)
model = ViT(img_size=IMG, patch=PATCH, dim=64, depth=2, heads=4, mlp_ratio=2, num_classes=len(CLASSES)).to(device)
print(f"tiny ViT: {count_parameters(model)['total']:,} parameters")

STEPS, BATCH, LR = 400, 64, 3e-3
optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.05)
schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LR, total_steps=STEPS, pct_start=0.15)
batches = torch.Generator().manual_seed(SEED)
losses = []
wall0, cpu0 = time.perf_counter(), time.process_time()
model.train()
for step in tqdm(range(STEPS), desc="training"):
    idx = torch.randint(0, len(xs_train), (BATCH,), generator=batches).to(device)
    loss = F.cross_entropy(model(xs_train[idx]), ys_train[idx])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    schedule.step()
    losses.append(loss.item())
model.eval()
train_wall, train_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
print(f"{STEPS} steps of {BATCH} images in {train_wall:.1f} s wall, {train_cpu:.1f} s CPU on {device} "
      "(the lesson's budget for this run: 30 s on a laptop CPU)")

# %%
plt.figure(figsize=(6, 3.5))
plt.plot(losses, alpha=0.4, label="per step")
plt.plot(np.convolve(losses, np.ones(20) / 20, mode="valid"), label="20-step mean")
plt.axhline(math.log(len(CLASSES)), color="grey", ls="--", label="chance: log 8")
plt.xlabel("training step")
plt.ylabel("cross-entropy loss (nats)")
plt.title("Tiny ViT training loss")
plt.legend()
plt.show()

# %% [markdown]
# ### Accuracy on held-out scenes
#
# The bar for this lesson: **at least 90 %** of the 2,000 test scenes classified correctly
# (chance is 12.5 %). We also split the errors into "what" (shape) and "where" (side).

# %%
def evaluate(model, images, labels, **kwargs):
    """Accuracy overall, on the shape ("what") and on the side ("where"), in batches."""
    with torch.no_grad():
        pred = torch.cat([model(images[i:i + 250], **kwargs).argmax(-1) for i in range(0, len(images), 250)])
    return {"overall": (pred == labels).float().mean().item(),
            "shape": (pred % 4 == labels % 4).float().mean().item(),
            "side": (pred // 4 == labels // 4).float().mean().item()}


acc_32 = evaluate(model, xs_test, ys_test)
print("test accuracy: " + ", ".join(f"{k} {v:.1%}" for k, v in acc_32.items()))
assert acc_32["overall"] >= 0.90

# %% [markdown]
# ### Where does the `[CLS]` token look?
#
# The classifier reads only the `[CLS]` token, and `[CLS]` learns about the image only through
# attention. Its row of the attention matrix, restricted to the 64 patch tokens and reshaped to
# the 8 × 8 grid, shows which patches it gathers information from. We average the heads of the
# last block and draw the map over the test images.

# %%
with torch.no_grad():
    logits, maps = model(xs_test[:500], return_attention=True)
cls_to_patches = maps[-1][:, :, 0, 1:].mean(dim=1)                 # (B, 64): last block, mean of heads
cls_map = cls_to_patches.reshape(-1, *model.grid).cpu()             # (B, 8, 8)
pred = logits.argmax(-1).cpu()

fig, axes = plt.subplots(2, 8, figsize=(15, 4.4))
for j in range(8):
    img = x_test[j].permute(1, 2, 0).numpy()
    axes[0, j].imshow(img)
    axes[0, j].set_title(f"true: {CLASSES[y_test[j]]}", fontsize=7)
    axes[1, j].imshow(img)
    axes[1, j].imshow(cls_map[j].numpy(), cmap="inferno", alpha=0.6, extent=(-0.5, IMG - 0.5, IMG - 0.5, -0.5),
                      interpolation="nearest")
    axes[1, j].set_title(f"predicted: {CLASSES[pred[j]]}", fontsize=7)
for ax in axes.flat:
    ax.axis("off")
fig.suptitle("Test images (top) and the attention of [CLS] to each patch in the last block (bottom)")
plt.show()

# %% [markdown]
# In most of these images the map lights up on the shape itself; in some, `[CLS]` looks at
# the background around the shape instead, which also tells it where the outline is. One
# picture can mislead, so we measure over 500 test images: the share of `[CLS]`'s attention
# that lands on patches the shape covers (at least a quarter of the patch's pixels),
# compared with the share of patches that are covered. If attention ignored the content,
# the two would be equal.

# %%
patch_cover = F.avg_pool2d(test_cover[:500, None], PATCH).flatten(1)  # (B, 64): covered fraction of each patch
on_object = patch_cover >= 0.25
attn_on_object = (cls_to_patches.cpu() * on_object).sum(1)             # (B,) attention mass on the shape
area_share = on_object.float().mean(1)                                  # (B,) share of patches on the shape
print(f"[CLS] attention on the shape's patches: {attn_on_object.mean():.1%} of its patch attention, "
      f"while those patches are {area_share.mean():.1%} of the image")
assert attn_on_object.mean() > 1.5 * area_share.mean()

# %% [markdown]
# ## 6. A new resolution: interpolating the position grid
#
# A ViT's weights do not care how many tokens there are, with one exception found in
# section 3: the position table has one row per patch of the resolution the model was built
# for. A ViT-B/16 built for 224 px has a 14 × 14 grid (196 + 1 rows); an image of 336 px makes
# a 21 × 21 grid (441 patches), and there are no rows for 245 of them. The ViT authors' answer
# is to treat the table as the 2-D grid it is and **interpolate** it to the new grid size,
# "according to their location in the original image"
# ([Dosovitskiy et al., 2020](https://arxiv.org/abs/2010.11929), section 3.2). This is how
# models are fine-tuned at higher resolution after pre-training, and how encoders such as
# those in Hugging Face `transformers` accept other image sizes.
#
# First the mechanics, on a freshly built model for 224-px images:

# %%
torch.manual_seed(SEED)
vit224 = ViT(img_size=224, patch=16, dim=64, depth=2, heads=4, num_classes=8).to(device).eval()
image336 = torch.rand(1, 3, 336, 336, device=device)
try:
    vit224(image336)
except ValueError as err:
    print("without interpolation:", err)
with torch.no_grad():
    tokens336 = vit224.embed(image336, interpolate_pos_encoding=True)       # (1, 1 + 21*21, 64)
    logits336 = vit224(image336, interpolate_pos_encoding=True)
print("built for:", vit224.grid, "grid,", 1 + vit224.grid[0] * vit224.grid[1], "tokens;",
      "at 336 px:", tuple(tokens336.shape), "tokens, logits", tuple(logits336.shape))
assert tokens336.shape == (1, 1 + 21 * 21, 64) and logits336.shape == (1, 8)
same = resize_pos_grid(vit224.pos_grid, vit224.grid)
assert torch.equal(same, vit224.pos_grid)   # resizing to the same grid changes nothing

# %% [markdown]
# Now the question that matters: **does it work?** The trained tiny ViT was built for 32 px
# (an 8 × 8 grid). We render the first 1,000 test scenes again at 48 px, the same 1.5× step
# as 224 → 336, which gives a 12 × 12 grid, and classify them with four choices of position
# embeddings:
#
# - **bicubic**: the learned 8 × 8 grid interpolated to 12 × 12 (the ViT recipe);
# - **none**: no position embeddings at all for the patches (what a model without them sees);
# - **zero-padded**: the learned 8 × 8 grid in the top-left corner, zeros elsewhere (extending
#   the table without interpolating);
# - **downscaled image**: not a position method but the usual alternative: shrink the 48-px
#   image back to 32 px and use the model as built.
#
# First a look at what interpolation does to the learned grid. Each panel shows how similar
# (cosine) every position's embedding is to that of one chosen patch (marked +). Nearby
# patches have learned similar embeddings, and in this task, where only left or right
# matters, the columns carry most of the structure. Interpolation keeps the map and only
# makes it finer.

# %%
grid8 = model.pos_grid.detach()                                     # (1, D, 8, 8)
grid12 = resize_pos_grid(grid8, (12, 12))                           # (1, D, 12, 12)
assert grid12.shape == (1, 64, 12, 12)
fig, axes = plt.subplots(2, 4, figsize=(11, 5.6))
for col, (r, c) in enumerate([(1, 1), (1, 6), (4, 3), (6, 6)]):
    for row, g in enumerate((grid8, grid12)):
        n = g.shape[-1]
        rr, cc = round(r * (n - 1) / 7), round(c * (n - 1) / 7)
        flat = F.normalize(g[0].flatten(1), dim=0)                  # (D, n*n), unit columns
        sim = (flat[:, rr * n + cc] @ flat).reshape(n, n).cpu()     # cosine with the chosen patch
        ax = axes[row, col]
        im = ax.imshow(sim, cmap="RdBu_r", vmin=-1, vmax=1)
        ax.plot(cc, rr, "k+", ms=10)
        ax.set_title(f"{n}×{n} grid, patch ({rr}, {cc})", fontsize=9)
        ax.set_xticks(range(0, n, 2 if n <= 8 else 3))
        ax.set_yticks(range(0, n, 2 if n <= 8 else 3))
        ax.set_xlabel("patch column")
        if col == 0:
            ax.set_ylabel("patch row")
fig.colorbar(im, ax=axes, shrink=0.8, label="cosine similarity")
fig.suptitle("Learned position embeddings of the tiny ViT: 8×8 as trained (top), bicubic to 12×12 (bottom)")
plt.show()

# %%
N48 = 1000
first_scenes = {k: (v[:N48] if isinstance(v, np.ndarray) else v) for k, v in test_scenes.items()}
x48, y48 = render_scenes(first_scenes, 48)
xs48, ys48 = ((x48 - mean) / std).to(device), y48.to(device)
assert torch.equal(y48, y_test[:N48])   # the same scenes, the same labels
with torch.no_grad():
    pos_none = torch.cat([model.pos_cls, torch.zeros(1, 144, 64, device=device)], dim=1)           # (1, 145, 64)
    padded = F.pad(model.pos_grid, (0, 4, 0, 4)).flatten(2).transpose(1, 2)                        # (1, 144, 64)
    pos_padded = torch.cat([model.pos_cls, padded], dim=1)                                          # (1, 145, 64)
    x48_down = F.interpolate(x48, size=(32, 32), mode="bilinear", antialias=True, align_corners=False)
results = {
    "32 px, as built": evaluate(model, xs_test[:N48], ys_test[:N48]),
    "48 px, bicubic positions": evaluate(model, xs48, ys48, interpolate_pos_encoding=True),
    "48 px, no positions": evaluate(model, xs48, ys48, pos_embed=pos_none),
    "48 px, zero-padded positions": evaluate(model, xs48, ys48, pos_embed=pos_padded),
    "48 px image downscaled to 32": evaluate(model, ((x48_down - mean) / std).to(device), ys48),
}
print(f"{'':<30} | {'overall':>7} | {'shape (what)':>12} | {'side (where)':>12}")
for name, acc in results.items():
    print(f"{name:<30} | {acc['overall']:>7.1%} | {acc['shape']:>12.1%} | {acc['side']:>12.1%}")
assert results["48 px, bicubic positions"]["side"] >= 0.95     # interpolated positions still say where
assert results["48 px, no positions"]["side"] <= 0.70          # without them "where" is a coin toss
assert results["48 px, zero-padded positions"]["side"] < results["48 px, bicubic positions"]["side"] - 0.2

# %% [markdown]
# Read the **side** column first. With interpolated positions the model still knows where
# things are at a resolution it never saw; without position embeddings it guesses the side
# at chance, and padding the table with zeros leaves the patches of the new right-hand
# columns without a position, so it fails on many right-hand shapes. Interpolation works.
#
# Now the **shape** column. At 48 px every shape covers 1.5× more patches in each direction
# than in training; the patch embedding and the attention have never seen shapes that large,
# and shape accuracy drops whatever we do with the positions (compare with the downscaled
# image, which restores the training scale). Interpolation makes a model *run* at a new
# resolution and keeps its sense of place; it does not teach it the new scale of things.
# That is why models are fine-tuned briefly after their position grid is interpolated
# ([Dosovitskiy et al., 2020](https://arxiv.org/abs/2010.11929), section 3.2; on the
# train–test resolution discrepancy, [Touvron et al., 2019](https://arxiv.org/abs/1906.06423)).

# %% [markdown]
# ## 7. Check your understanding
#
# Click an answer to get feedback. (The quiz works without a running kernel.)

# %%
from jupyterquiz import display_quiz

quiz = [
    {
        "question": "A ViT with 16-px patches goes from 512 × 512 to 1,024 × 1,024 images. By how much do the FLOPs of its attention scores (QKᵀ) grow?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "16×", "correct": True,
             "feedback": "Right: the side doubles, so the tokens grow 4× (1,024 → 4,096), and QKᵀ costs 2·N²·D: 4² = 16×."},
            {"answer": "4×", "correct": False,
             "feedback": "4× is the growth of the token count, and of the linear layers; the scores compare every token with every token."},
            {"answer": "2×", "correct": False,
             "feedback": "That is the growth of the image side. Count tokens first: (H/P)·(W/P)."},
        ],
    },
    {
        "question": "Why are attention scores divided by √d_k before the softmax?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "Dot products of random d_k-vectors have variance d_k; without the division wide heads give huge scores and a saturated, near one-hot softmax",
             "correct": True,
             "feedback": "Yes. Section 1 measured it: the division keeps the spread of the scores near 1 at every width."},
            {"answer": "To make each row of weights sum to 1", "correct": False,
             "feedback": "The softmax already does that, whatever the scale of the scores."},
            {"answer": "To save memory", "correct": False,
             "feedback": "Dividing by a constant changes no shape and saves nothing; it changes how peaked the softmax is."},
        ],
    },
    {
        "question": "A CLIP-style encoder trained at 224 px (14-px patches) is run on 336-px images. What has to change?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "Only the position embeddings: the 16 × 16 grid is interpolated to 24 × 24; all other weights work on any number of tokens",
             "correct": True,
             "feedback": "Right. The patch embedding, blocks and head are shared by all tokens; only the position table has one row per patch. Models are then usually fine-tuned briefly at the new size."},
            {"answer": "The patch size must grow to 21 px so that the token count stays 256", "correct": False,
             "feedback": "The patch embedding's weights are fixed at 14 × 14 × 3 inputs; changing P would need new weights. The token count grows instead (576)."},
            {"answer": "Nothing: transformers accept any sequence length", "correct": False,
             "feedback": "The blocks do, but the learned position table has 257 rows and the image now has 577 tokens; without interpolation the shapes do not match."},
        ],
    },
    {
        "question": "A VLM's resampler hands the language model 64 tokens per image at any resolution. What happens to the vision encoder's compute when the image goes from 336 to 672 px?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "It still grows: 4× the patch tokens, so at least 4× the linear work and up to 16× the attention work",
             "correct": True,
             "feedback": "Yes. The resampler caps what the language model sees, not what the encoder computes."},
            {"answer": "It stays the same, because the output is 64 tokens", "correct": False,
             "feedback": "The encoder runs on all patch tokens before the resampler reduces them."},
            {"answer": "It halves, because the resampler compresses more", "correct": False,
             "feedback": "Compression happens after the encoder; the encoder sees 4× as many patches."},
        ],
    },
]
display_quiz(quiz)

# %% [markdown]
# ## 8. Exercises
#
# ### Exercise 3.1: attention by hand
#
# Write `my_attention(q, k, v)` that returns softmax(*QK*<sup>⊤</sup> / √*d*<sub>k</sub>) *V* for
# inputs of shape (..., *N*<sub>q</sub>, *d*<sub>k</sub>), (..., *N*<sub>k</sub>, *d*<sub>k</sub>) and
# (..., *N*<sub>k</sub>, *d*<sub>v</sub>), with any leading batch dimensions. Return only the output,
# of shape (..., *N*<sub>q</sub>, *d*<sub>v</sub>). Do not call `F.scaled_dot_product_attention`:
# the check compares your function with it.
#
# <details><summary>Hint</summary>
#
# `k.transpose(-2, -1)` swaps the last two axes whatever comes before them, and `@` batches
# over the leading ones. The softmax runs over the keys, i.e. the last axis of the scores.
#
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex3-1-1-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
def my_attention(q, k, v):
    """Scaled dot-product attention: (..., Nq, dk), (..., Nk, dk), (..., Nk, dv) -> (..., Nq, dv)."""
    ### BEGIN SOLUTION
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])   # (..., Nq, Nk)
    return scores.softmax(dim=-1) @ v                           # (..., Nq, dv)
    ### END SOLUTION


# %% tags=["export"]
import math

import torch
import torch.nn.functional as F


def check_attention(fn, quiet=False):
    """Self-check for Exercise 3.1 (lesson 3.1).

    In:  ``fn(q, k, v) -> tensor``. Out: True (correct), False (wrong; prints what and a
    hint) or None (not attempted).
    """
    say = (lambda *a: None) if quiet else print
    g = torch.Generator().manual_seed(0)
    cases = [((2, 5, 8), (2, 5, 8), (2, 5, 8)),              # batch, tokens, width
             ((2, 3, 7, 16), (2, 3, 9, 16), (2, 3, 9, 12))]   # batch, heads; Nq != Nk, dk != dv
    real_sdpa = F.scaled_dot_product_attention

    def refuse(*args, **kwargs):
        raise RuntimeError("F.scaled_dot_product_attention is what we compare against; write the steps yourself")

    for qs, ks, vs in cases:
        q, k, v = (2 * torch.randn(s, generator=g) for s in (qs, ks, vs))
        want = real_sdpa(q, k, v)
        F.scaled_dot_product_attention = refuse
        try:
            got = fn(q.clone(), k.clone(), v.clone())
        except NotImplementedError:
            say("○ Not attempted yet: replace `raise NotImplementedError()` with your code.")
            return None
        except Exception as err:  # noqa: BLE001 - report any learner error as feedback
            say(f"✘ with q {qs}, k {ks}, v {vs} your function raised {type(err).__name__}: {err}")
            return False
        finally:
            F.scaled_dot_product_attention = real_sdpa
        if isinstance(got, (tuple, list)):
            say("✘ return only the output tensor, not a tuple (the weights are not needed here).")
            return False
        if not torch.is_tensor(got) or got.shape != want.shape:
            shape = tuple(got.shape) if torch.is_tensor(got) else type(got).__name__
            say(f"✘ with q {qs}, k {ks}, v {vs} the output should have shape {tuple(want.shape)}, got {shape}. "
                "Hint: (Nq, Nk) weights times (Nk, dv) values.")
            return False
        if not torch.allclose(got, want, atol=1e-5):
            d = qs[-1]
            raw = q @ k.transpose(-2, -1)
            variants = {
                "you did not divide the scores by √d_k": raw.softmax(-1) @ v,
                "you divided by d_k; divide by its square root": (raw / d).softmax(-1) @ v,
                "the softmax must run over the keys (the last axis of the scores)": (raw / math.sqrt(d)).softmax(-2) @ v,
                "the softmax is missing: weights must be positive and sum to 1": (raw / math.sqrt(d)) @ v,
            }
            hint = next((h for h, ref in variants.items() if ref.shape == got.shape and torch.allclose(got, ref, atol=1e-5)),
                        "compare your steps with softmax(q @ kᵀ / √d_k) @ v")
            err = (got - want).abs().max().item()
            say(f"✘ with q {qs}, k {ks}, v {vs} the output differs from the reference by up to {err:.3g}: {hint}.")
            return False
    say("✔ Correct: your attention matches F.scaled_dot_product_attention.")
    return True


# %% nbgrader={"grade": true, "grade_id": "ex3-1-1-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_attention(my_attention)
### BEGIN HIDDEN TESTS
assert check_attention(my_attention, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3.2: interpolate a flat position table
#
# Real checkpoints (the original ViT, CLIP, Hugging Face `transformers`) store position
# embeddings as one flat table of shape (1, 1 + rows · cols, *D*): the `[CLS]` row first, then
# the patch rows in row-major order. Write `my_resize_pos_embed(pos_embed, old_grid, new_grid)`
# that returns the table for a new grid, shape (1, 1 + new_rows · new_cols, *D*): keep the
# `[CLS]` row unchanged, and resize the patch rows as a 2-D grid with bicubic interpolation
# (`align_corners=False`). Grids are `(rows, cols)` and need not be square.
#
# <details><summary>Hint</summary>
#
# Split off row 0. Reshape the rest to (1, rows, cols, *D*), then `permute` to
# (1, *D*, rows, cols) for `F.interpolate`; a direct reshape to (1, *D*, rows, cols) would
# scramble the numbers. Undo the permute afterwards and concatenate `[CLS]` back in front.
#
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex3-1-2-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
def my_resize_pos_embed(pos_embed, old_grid, new_grid):
    """(1, 1 + r*c, D) position table for grid (r, c) -> (1, 1 + r2*c2, D) for grid (r2, c2)."""
    ### BEGIN SOLUTION
    cls_row, patch_rows = pos_embed[:, :1], pos_embed[:, 1:]                 # (1, 1, D), (1, r*c, D)
    d = pos_embed.shape[-1]
    grid = patch_rows.reshape(1, *old_grid, d).permute(0, 3, 1, 2)          # (1, D, r, c)
    grid = F.interpolate(grid, size=tuple(new_grid), mode="bicubic", align_corners=False)  # (1, D, r2, c2)
    patch_rows = grid.permute(0, 2, 3, 1).reshape(1, -1, d)                 # (1, r2*c2, D)
    return torch.cat([cls_row, patch_rows], dim=1)
    ### END SOLUTION


# %% tags=["export"]
import torch
import torch.nn.functional as F


def check_resize_pos_embed(fn, quiet=False):
    """Self-check for Exercise 3.2 (lesson 3.1).

    In:  ``fn(pos_embed, old_grid, new_grid) -> tensor``. Out: True, False (with a hint) or
    None (not attempted).
    """
    say = (lambda *a: None) if quiet else print

    def reference(pos, old, new, mode="bicubic"):
        d = pos.shape[-1]
        grid = pos[:, 1:].reshape(1, *old, d).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=new, mode=mode, align_corners=False)
        return torch.cat([pos[:, :1], grid.permute(0, 2, 3, 1).reshape(1, -1, d)], dim=1)

    g = torch.Generator().manual_seed(0)
    for old, new, d in [((4, 6), (6, 9), 8), ((3, 3), (5, 5), 4), ((8, 8), (12, 12), 16)]:
        pos = torch.randn(1, 1 + old[0] * old[1], d, generator=g)
        want = reference(pos, old, new)
        try:
            got = fn(pos.clone(), old, new)
        except NotImplementedError:
            say("○ Not attempted yet: replace `raise NotImplementedError()` with your code.")
            return None
        except Exception as err:  # noqa: BLE001 - report any learner error as feedback
            say(f"✘ from grid {old} to {new} your function raised {type(err).__name__}: {err}")
            return False
        if not torch.is_tensor(got) or got.shape != want.shape:
            shape = tuple(got.shape) if torch.is_tensor(got) else type(got).__name__
            say(f"✘ from grid {old} to {new} with D = {d} the table should have shape {tuple(want.shape)}, "
                f"got {shape}. Hint: 1 [CLS] row + rows × cols patch rows.")
            return False
        if not torch.equal(got[:, 0], pos[:, 0]):
            say("✘ the [CLS] row (row 0) must stay exactly as it was: it belongs to no grid cell, "
                "so split it off before interpolating.")
            return False
        if not torch.allclose(got, want, atol=1e-5):
            if torch.allclose(got, reference(pos, old, new, mode="bilinear"), atol=1e-5):
                hint = "that is bilinear interpolation; use mode='bicubic'"
            elif old[0] != old[1]:
                hint = ("rows and columns look mixed up: reshape to (1, rows, cols, D) and permute to "
                        "(1, D, rows, cols) instead of reshaping straight to (1, D, rows, cols)")
            else:
                hint = "reshape to (1, rows, cols, D), permute to (1, D, rows, cols), interpolate, then undo both"
            say(f"✘ from grid {old} to {new} the patch rows differ from the reference: {hint}.")
            return False
    say("✔ Correct: this is the interpolation real ViT checkpoints use to change resolution.")
    return True


# %% nbgrader={"grade": true, "grade_id": "ex3-1-2-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_resize_pos_embed(my_resize_pos_embed)
### BEGIN HIDDEN TESTS
assert check_resize_pos_embed(my_resize_pos_embed, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 3.3: the FLOPs of a block
#
# Write `my_block_flops(n_tokens, dim, mlp_ratio)` that returns the forward FLOPs of one
# transformer block's matrix products, as an int: the queries, keys and values, the output
# projection, the two MLP layers (hidden width `mlp_ratio · dim`), and the two attention
# products (scores and weighted sum). Count 2 FLOPs per multiply–add.
#
# <details><summary>Hint</summary>
#
# An (*a* × *b*) by (*b* × *c*) product is *abc* multiply–adds. The projections are
# (*N* × *D*) by (*D* × 3*D*) and (*D* × *D*); the MLP is (*D* × *rD*) then (*rD* × *D*); the
# scores of all heads together are *N* × *N* × *D* multiply–adds, and so is the weighted sum.
# Section 4's table has the answer if you are stuck.
#
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex3-1-3-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
def my_block_flops(n_tokens, dim, mlp_ratio):
    """Forward FLOPs of the matrix products of one transformer block."""
    ### BEGIN SOLUTION
    n, d = n_tokens, dim
    projections = 2 * n * d * 3 * d + 2 * n * d * d
    mlp = 2 * 2 * n * d * int(mlp_ratio * d)
    attn = 2 * n * n * d + 2 * n * n * d
    return projections + mlp + attn
    ### END SOLUTION


# %% tags=["export"]
def check_block_flops(fn, quiet=False):
    """Self-check for Exercise 3.3 of lesson 3.1 (compares with the exact count of the block's products).

    In:  ``fn(n_tokens, dim, mlp_ratio) -> int``. Out: True, False (with a hint) or None.
    """
    say = (lambda *a: None) if quiet else print
    for n, d, r in [(197, 768, 4), (65, 64, 2), (4096, 192, 4)]:
        hidden = int(r * d)
        want = 2 * n * d * 3 * d + 2 * n * d * d + 4 * n * d * hidden + 4 * n * n * d
        try:
            got = fn(n, d, r)
        except NotImplementedError:
            say("○ Not attempted yet: replace `raise NotImplementedError()` with your code.")
            return None
        except Exception as err:  # noqa: BLE001 - report any learner error as feedback
            say(f"✘ for N={n}, D={d}, r={r} your function raised {type(err).__name__}: {err}")
            return False
        if isinstance(got, bool) or not isinstance(got, (int, float)) or got != want:
            if got == want // 2:
                hint = "that counts multiply-adds; a multiply-add is 2 FLOPs"
            elif got == want - 2 * n * n * d:
                hint = "one of the two N×N products is missing (scores QKᵀ and the weighted sum of V)"
            elif got == 8 * n * d * d + 16 * n * d * d + 4 * n * n * d:
                hint = "the MLP's hidden width is mlp_ratio · dim; do not assume a ratio of 4"
            elif got == want - 4 * n * d * hidden:
                hint = "the two MLP layers are missing"
            else:
                hint = "list the five matrix products and add 2·a·b·c for each"
            say(f"✘ for N={n}, D={d}, mlp_ratio={r}: got {got!r}, expected {want:,}: {hint}.")
            return False
    say("✔ Correct: (8 + 4r)·N·D² + 4·N²·D, the formula of section 4.")
    return True


# %% nbgrader={"grade": true, "grade_id": "ex3-1-3-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_block_flops(my_block_flops)
### BEGIN HIDDEN TESTS
assert check_block_flops(my_block_flops, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# ## What to remember
#
# - Attention is softmax(*QK*<sup>⊤</sup>/√*d*<sub>k</sub>)*V*: three projections, scaled
#   scores, a softmax over keys, a weighted sum; heads run it in parallel on slices of the
#   width and a last linear map merges them. Ours matches PyTorch's to float32 rounding.
# - A ViT is a strided-convolution patch embedding, a `[CLS]` token, position embeddings and a
#   stack of pre-norm blocks. Nearly all parameters sit in the blocks; only the position
#   table depends on the resolution.
# - Attention on its own is blind to order. Position embeddings give each patch its place,
#   and interpolating their grid lets a model run at a new resolution and keep its sense of
#   place, though not its sense of scale (hence fine-tuning).
# - One block costs (8 + 4*r*)·*N*·*D*² + 4·*N*²·*D* FLOPs: linear in tokens until about
#   *N* = 6*D*, quadratic beyond. Explicit attention also needs memory quadratic in *N*;
#   fused kernels need only linear memory but do the same arithmetic.
#
# **Next:** lesson 3.2 goes deeper into contrastive alignment, the objective that makes a ViT's
# features line up with text.

# %%
wall, cpu = time.perf_counter() - WALL0, time.process_time() - CPU0
print(f"this notebook ran in {wall:.0f} s wall, {cpu:.0f} s CPU on {device}")
torch.set_num_threads(CPU_THREADS_AVAILABLE)  # give the kernel its threads back
