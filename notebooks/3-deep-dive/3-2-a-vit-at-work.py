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
# # 3.2 A ViT at work
#
# Lesson 3.1 built a Vision Transformer and checked every part. This lesson runs it. First
# the price of a token: a formula for the arithmetic of one block, then a measurement that
# tests it, in time and in memory. Then a tiny ViT learns what and where a shape is, on three
# seeds, and we look at where its `[CLS]` token attends. Last, the question every
# vision-language model meets: a model built for one resolution gets an image of another.
# What has to change, what works, and what fails, measured side by side.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pixels-to-tokens/pixels-to-tokens/blob/main/student/notebooks/3-deep-dive/3-2-a-vit-at-work.ipynb)
#
# **What you will build**
# - the FLOP count of a transformer block, checked by PyTorch's own counter;
# - a sweep of time and memory against the number of tokens, with the course's timer;
# - a tiny ViT trained on synthetic shapes on three seeds, and its `[CLS]` attention;
# - `interpolate_positions`, which resizes a position table to a new grid, and a measurement
#   of what happens without it, side by side.
#
# **Prerequisites:** [lesson 3.1](https://pixels-to-tokens.github.io/pixels-to-tokens/notebooks/3-deep-dive/3-1-attention-and-the-vit.html)
# (attention, the block, the ViT); a training loop in PyTorch.
# **Time to study:** about 30 minutes. **Time to run:** about 40 s on a laptop CPU.

# %% cellView="form" jupyter={"source_hidden": true} tags=["hide-input"]
#@title Colab only: install the quiz package (does nothing elsewhere)
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
from tqdm.auto import tqdm

SEED = 0
torch.manual_seed(SEED)
rng = np.random.default_rng(SEED)
torch.set_num_threads(1)  # one thread: as fast on a busy laptop as on a quiet one, same results
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
WALL0, CPU0 = time.perf_counter(), time.process_time()  # the last cell prints this run's time
print(f"torch {torch.__version__}, running on {device}")

# %% cellView="form" jupyter={"source_hidden": true} tags=["export", "hide-input"]
#@title From lesson 3.1, unchanged: attention, heads and the pre-norm block
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

# %% cellView="form" jupyter={"source_hidden": true} tags=["export", "hide-input"]
#@title From lesson 3.1, unchanged: the ViT
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
# ## 1. What a token costs: the formula
#
# Count the arithmetic of one block on *N* tokens of width *D*. A product of an (*a* × *b*)
# and a (*b* × *c*) matrix takes *abc* multiply–adds, 2*abc* **FLOPs** (floating-point
# operations):
#
# | part | FLOPs | grows with |
# |---|---|---|
# | query, key, value and output projections | 4 × 2*ND*² | *N* |
# | MLP, two layers of width *D* ↔ *rD* | 2 × 2*ND*(*rD*) | *N* |
# | scores *QK*<sup>⊤</sup> and the weighted sum of *V*, all heads | 2 × 2*N*²*D* | *N*² |
#
# With ViT's *r* = 4 that is 24*ND*² + 4*N*²*D*. The first term grows like the token count,
# the second like its square, and the second is larger once 4*N*²*D* > 24*ND*², that is
# beyond ***N* = 6*D*** tokens. LayerNorm, softmax and GELU add a few operations per number
# and are left out.

# %% tags=["export"]
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
# PyTorch can count the FLOPs of the matrix products it actually runs
# (`torch.utils.flop_counter.FlopCounterMode`). On lesson 3.1's block the count and the
# formula must agree exactly. Then the crossover *N* = 6*D* for three widths: this lesson's
# tiny ViT, ViT-B, and a 4,096-wide language model (Vicuna-7B, the language model of
# LLaVA-1.5; [Liu et al., 2023](https://arxiv.org/abs/2310.03744)).

# %%
from torch.utils.flop_counter import FlopCounterMode

for n in (17, 197, 1024):
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        Block(64, heads=4, mlp_ratio=4)(torch.randn(1, n, 64))
    print(f"N = {n:>4}: PyTorch counted {counter.get_total_flops():>12,} FLOPs, formula {block_flops(n, 64):>12,}")
    assert counter.get_total_flops() == block_flops(n, 64)
for width in (64, 768, 4096):
    n = 6 * width
    attention_share = 4 * n * n * width / block_flops(n, width)
    print(f"D = {width:>4}: attention's products equal the rest at N = 6D = {n:,} tokens (share {attention_share:.0%})")

# %% [markdown]
# ### Exercise 3.3: predict the attention share of a real encoder
#
# **Kind:** predict-then-run
#
# LLaVA-1.5's vision encoder, CLIP ViT-L/14 at 336 px, has width *D* = 1,024 and MLP ratio 4,
# and sees 24 × 24 patches plus `[CLS]`: *N* = 577 tokens. **Before running anything**,
# predict what percentage of one block's FLOPs the attention products (the *N*<sup>2</sup>
# term) take, and return it as a percentage (e.g. 42.0 for 42 %). Then run the check and the
# cell after it.
#
# <details><summary>Hint</summary>
#
# Compare *N* with 6*D* first. Then the share is 4*N*<sup>2</sup>*D* divided by the whole
# 24*ND*<sup>2</sup> + 4*N*<sup>2</sup>*D*; one *N* and one *D* cancel.
#
# </details>

# %% cellView="form" jupyter={"source_hidden": true} tags=["export", "hide-input"]
#@title Self-check for Exercise 3.3 (run it; no need to read it)
import numbers


def check_attention_share(fn, quiet=False):
    """``fn()`` -> predicted percentage of a ViT-L/14-336 block's FLOPs in the attention products."""
    say = (lambda *a: None) if quiet else print
    try:
        got = fn()
    except NotImplementedError:
        say("○ Not attempted yet: replace `raise NotImplementedError()` with `return <percentage>`.")
        return None
    except Exception as err:  # noqa: BLE001 - any learner error becomes feedback
        say(f"✘ Your function raised {type(err).__name__}: {err}. Return one number (a percentage).")
        return False
    if isinstance(got, bool) or not isinstance(got, numbers.Real):
        say(f"✘ Return a percentage such as 42.0, not {got!r} ({type(got).__name__}).")
        return False
    truth = 8.58  # 4·577 / (24·1024 + 4·577), as a percentage (the next cell computes it)
    if abs(got - truth) <= 2:
        say(f"✔ About {truth} %: N = 577 is far below 6D = 6,144, so even this large encoder spends "
            "over 90 % of its block FLOPs in the linear layers.")
        return True
    if 0 < got < 0.3:
        hint = "that looks like a fraction; return a percentage (multiply by 100)"
    elif 40 <= got <= 60:
        hint = "50 % is the share at N = 6D; here N = 577 is far below 6D = 6,144"
    elif abs(got - 22.0) <= 2:
        hint = "the MLP is missing: the linear part is 8ND² (projections) + 16ND² (MLP) = 24ND²"
    elif abs(got - 4.0) <= 1:
        hint = "336 px in 14-px patches is a 24 x 24 grid: 576 patches + [CLS] = 577 tokens"
    else:
        hint = "the share is 4N²D / (24ND² + 4N²D) = 4N / (24D + 4N), with N = 577 and D = 1,024"
    say(f"✘ {got} % is more than 2 points away: {hint}.")
    return False


# %% cellView="form" jupyter={"source_hidden": true} nbgrader={"grade": false, "grade_id": "ex3-2-1-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
#@title Your answer to Exercise 3.3
def predicted_attention_percent():
    """Your prediction: the percentage of a ViT-L/14-336 block's FLOPs in the N² attention products."""
    ### BEGIN SOLUTION
    return 100 * 4 * 577 / (24 * 1024 + 4 * 577)
    ### END SOLUTION


# %% cellView="form" jupyter={"source_hidden": true} nbgrader={"grade": true, "grade_id": "ex3-2-1-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["hide-input"]
#@title Check your answer to Exercise 3.3
check_attention_share(predicted_attention_percent);
### BEGIN HIDDEN TESTS
assert check_attention_share(predicted_attention_percent, quiet=True) is True
### END HIDDEN TESTS

# %%
n, width = 577, 1024
attention_percent = 100 * 4 * n * n * width / block_flops(n, width)
print(f"ViT-L/14 at 336 px: {block_flops(n, width) / 1e9:.1f} GFLOPs per block, "
      f"{attention_percent:.2f} % of them in the attention products")
assert abs(attention_percent - 8.58) < 0.01   # the value the check uses

# %% [markdown]
# An image of 224 px in 16-px patches is 196 tokens; for ViT-B (*D* = 768) that is far below
# 6*D*, so its cost is mostly the linear layers and grows about like the token count. Only
# images of thousands of tokens, or a narrow model, reach the quadratic regime.
#
# ## 2. What a token costs: measured
#
# A formula is an argument; a measurement tests it. We time one block of width 64 (4 heads,
# *r* = 4, so 6*D* = 384) from 64 to 2,048 tokens with the course's timer: a few untimed
# warm-up calls, then the median of several timed ones, so that one disturbed run does not
# decide the result. (The timer's cell is folded; it is the same in every lesson that times
# something.)

# %% cellView="form" jupyter={"source_hidden": true} tags=["export", "hide-input"]
#@title The course's timer: median wall time after warm-up (run it; no need to read it)
import statistics
import time

import torch


def time_it(fn, *args, warmup=2, repeats=7):
    """Median wall time of ``fn(*args)`` in seconds, after ``warmup`` untimed calls."""
    def run():
        fn(*args)
        if torch.cuda.is_available():
            torch.cuda.synchronize()
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# %% [markdown]
# The growth **exponent** between two sizes *N*<sub>1</sub> < *N*<sub>2</sub> is
# log(*t*<sub>2</sub>/*t*<sub>1</sub>) / log(*N*<sub>2</sub>/*N*<sub>1</sub>): 1 for a cost
# proportional to *N*, 2 for one proportional to *N*². The cell fits it by least squares on
# log–log axes, for the measured time and for the formula's FLOPs, over the sizes beyond
# 6*D*, and writes the comparison from the numbers it got.

# %%
torch.manual_seed(SEED)
WIDTH = 64
block = Block(WIDTH, heads=4, mlp_ratio=4).to(device).eval()
TOKENS = [64, 128, 256, 512, 1024, 2048]
seconds = []
for n in TOKENS:
    x = torch.randn(1, n, WIDTH, device=device)            # (1, N, D)
    with torch.no_grad():
        seconds.append(time_it(block, x))
flops = [block_flops(n, WIDTH) for n in TOKENS]
for n, s, f in zip(TOKENS, seconds, flops):
    print(f"N = {n:>5}: {1e3 * s:8.2f} ms  {f / 1e9:6.3f} GFLOP  {f / s / 1e9:6.2f} GFLOP/s")

big = [i for i, n in enumerate(TOKENS) if n > 6 * WIDTH]     # sizes beyond N = 6D
log_n = np.log([TOKENS[i] for i in big])
time_exponent = np.polyfit(log_n, np.log([seconds[i] for i in big]), 1)[0]
flop_exponent = np.polyfit(log_n, np.log([flops[i] for i in big]), 1)[0]
growth = seconds[-1] / seconds[TOKENS.index(256)]
print(f"\nBeyond N = 6D = {6 * WIDTH}, the formula's FLOPs grow like N^{flop_exponent:.2f} "
      f"and the measured time like N^{time_exponent:.2f}: the time grew "
      + ("faster than" if time_exponent > flop_exponent + 0.15 else
         "slower than" if time_exponent < flop_exponent - 0.15 else "about as fast as")
      + " the arithmetic.")
print(f"From 256 to 2,048 tokens (8x), the time grew {growth:.0f}x; the FLOPs "
      f"{flops[-1] / flops[TOKENS.index(256)]:.0f}x.")
if device.type == "cpu":   # on a GPU, fixed kernel-launch costs dominate sizes this small
    assert growth > 8     # robust on a CPU: beyond 6D the cost grows faster than the token count

# %% cellView="form" jupyter={"source_hidden": true} mystnb={"image": {"alt": "Log-log chart against the number of tokens: the measured time of one block and the formula's FLOPs, each relative to its value at 64 tokens, with straight reference lines for growth proportional to N and to N squared; both curves bend from the N line towards the N squared line."}} tags=["hide-input"]
#@title Figure: time and FLOPs against tokens (run it; no need to read it)
tokens = np.array(TOKENS, dtype=float)
fig, ax = plt.subplots(figsize=(6.5, 4.2))
ax.plot(tokens, np.array(seconds) / seconds[0], "o-", color="#0072B2", label="measured time of one block")
ax.plot(tokens, np.array(flops) / flops[0], "s--", color="#E69F00", label="FLOPs, formula")
ax.plot(tokens, tokens / tokens[0], ":", color="#000000", label="∝ N (reference)")
ax.plot(tokens, (tokens / tokens[0]) ** 2, "-.", color="#999999", label="∝ N² (reference)")
ax.axvline(6 * WIDTH, color="#CC79A7", lw=1)
ax.text(6 * WIDTH * 1.05, 1.5, "N = 6D", color="#CC79A7")
ax.set(xscale="log", yscale="log", xlabel="tokens N", ylabel="relative to N = 64 (times)",
       title=f"One block of width {WIDTH}: cost against tokens")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Read the two printed sentences above: they are this run's numbers. The formula predicts an
# exponent that rises from about 1 towards 2 as attention takes over. A measured exponent can
# differ from the FLOPs' in either direction, because a FLOP is not a fixed amount of time
# (the GFLOP/s column shows the speed at each size). On a CPU the linear layers are large
# matrix products that run near the processor's best speed, while explicit attention writes
# and reads the *N* × *N* score matrix several times, and once that matrix no longer fits in
# the processor's cache each of its numbers costs more: time grows faster than the FLOPs. On
# a GPU, fixed costs per kernel launch dominate small sizes: time grows slower. What holds on
# a CPU, and is asserted there: past 6*D* the time grows faster than the token count.
#
# ### Memory
#
# Time is one cost; memory is the other. Our `attention` keeps the score matrix and the
# weights, *h* × *N*² numbers each. PyTorch's fused kernel `F.scaled_dot_product_attention`
# computes the same function in tiles, never holding the whole matrix
# ([Dao et al., 2022](https://arxiv.org/abs/2205.14135) describe the idea for GPUs). We
# measure the peak memory of the tensors one attention call creates with a small meter (a
# folded cell: it watches every tensor PyTorch creates and frees, and keeps the largest total).

# %% cellView="form" jupyter={"source_hidden": true} tags=["export", "hide-input"]
#@title A meter for the peak memory of tensors (run it; no need to read it)
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


# %%
for n in (256, 1024, 2048):
    q, k, v = torch.randn(3, 1, 4, n, WIDTH // 4, device=device)      # each (1, h, N, D/h)
    peaks = {}
    for name, fn in (("explicit", lambda: attention(q, k, v)), ("fused", lambda: F.scaled_dot_product_attention(q, k, v))):
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
            base = torch.cuda.memory_allocated()
            out = fn()
            peaks[name] = torch.cuda.max_memory_allocated() - base
        else:
            with PeakTensorMemory() as meter:
                out = fn()
            peaks[name] = meter.peak_bytes
        del out
    matrix = 4 * n * n * 4                                          # h x N x N float32 numbers, in bytes
    print(f"N = {n:>5}: explicit {peaks['explicit'] / 1e6:7.1f} MB, fused {peaks['fused'] / 1e6:5.2f} MB, "
          f"one attention matrix {matrix / 1e6:6.1f} MB")
assert peaks["explicit"] >= 2 * matrix            # scores and weights alive together: quadratic in N
assert peaks["fused"] < 0.1 * peaks["explicit"]   # the fused kernel holds no N x N matrix

# %% [markdown]
# The explicit version holds two attention matrices at once, so its memory grows like *N*²;
# the fused kernel's grows like *N*. Fused kernels remove the memory wall, not the
# arithmetic: the FLOPs are the same. For a vision-language model, an image's cost in the
# **vision encoder** is set by its token count before a single token reaches the language
# model; a [connector](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#connector)
# that emits fewer tokens caps the language model's share, not the encoder's.

# %% [markdown]
# ## 3. A tiny ViT learns what and where
#
# Each image shows one shape (circle, square, triangle or cross) in a bright colour on a
# dark, noisy background, at a random size and position. The label says **what** and
# **where**: the shape, and whether it sits in the left or the right half, 8 classes in all.
# The model can get "where" right only if it knows where its patches are, which is what
# section 5 needs. Scenes are drawn as numbers (centre, radius, colours) and rendered at any
# resolution, so the **same** scenes can be drawn at 32 px for training and larger later.
# (The generator is folded.)

# %% cellView="form" jupyter={"source_hidden": true} tags=["export", "hide-input"]
#@title Synthetic scenes: one shape, left or right, rendered at any size (run it; no need to read it)
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
    fg, bg = (scenes[k].astype(np.float32)[:, :, None, None] for k in ("fg", "bg"))   # float32: half the memory
    img = cover[:, None] * fg + (1 - cover[:, None]) * bg
    img += 0.05 * np.random.default_rng(scenes["noise_seed"] + size).standard_normal(img.shape, dtype=np.float32)
    images = torch.from_numpy(np.clip(img, 0, 1, out=img))
    labels = torch.from_numpy((scenes["shape"] + 4 * scenes["side"]).astype(np.int64))
    return (images, labels, torch.from_numpy(cover)) if return_mask else (images, labels)


# %%
train_scenes, test_scenes = sample_scenes(4000, seed=1), sample_scenes(1000, seed=2)
x_train, y_train = render_scenes(train_scenes, 32)
x_test, y_test, test_cover = render_scenes(test_scenes, 32, return_mask=True)
mean, std = x_train.mean(dim=(0, 2, 3), keepdim=True), x_train.std(dim=(0, 2, 3), keepdim=True)
x_train, y_train = ((x_train - mean) / std).to(device), y_train.to(device)   # standardised per channel
x_test_std, y_test = ((x_test - mean) / std).to(device), y_test.to(device)
print("train", tuple(x_train.shape), "test", tuple(x_test.shape), "classes:", CLASSES)
assert x_train.shape == (4000, 3, 32, 32) and int(y_train.max()) == 7

# %% cellView="form" jupyter={"source_hidden": true} mystnb={"image": {"alt": "Eight small synthetic images, each one coloured shape (circle, square, triangle or cross) on a dark noisy background in the left or right half, titled with its class; colour is part of the data, not a code."}} tags=["hide-input"]
#@title Figure: eight training scenes and their labels (run it; no need to read it)
fig, axes = plt.subplots(1, 8, figsize=(14, 2.3))
for i, ax in enumerate(axes):
    ax.imshow(x_test[i].permute(1, 2, 0).numpy())
    ax.set_title(CLASSES[int(y_test[i])], fontsize=8)
    ax.axis("off")
fig.suptitle("Test scenes at 32 × 32 px (8-px patches: a 4 × 4 grid) and their labels")
plt.show()

# %% [markdown]
# The model is lesson 3.1's ViT: 32-px images in 8-px patches (a 4 × 4 grid, 16 tokens plus
# `[CLS]`), width 64, 2 blocks of 4 heads. One **training step** shows it 64 images, measures
# the [cross-entropy](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#cross-entropy)
# of its predictions, and moves every weight a little against the gradient (AdamW). The
# step size warms up, then decays (PyTorch's one-cycle schedule). One run is 300 steps; we
# train three, on seeds 0, 1 and 2, because a single run could be lucky.

# %%
def train_tiny_vit(seed, steps=300, batch=64, lr=3e-3):
    """Train lesson 3.1's ViT on the 32-px scenes; returns the model (in eval mode) and its losses."""
    torch.manual_seed(seed)
    model = ViT(img_size=32, patch=8, dim=64, depth=2, heads=4, mlp_ratio=2, num_classes=8).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps, pct_start=0.15)
    batches = torch.Generator().manual_seed(seed)
    losses = []
    for _ in tqdm(range(steps), desc=f"seed {seed}", leave=False):
        idx = torch.randint(0, len(x_train), (batch,), generator=batches).to(device)
        loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
    return model.eval(), losses


def accuracy(model, images, labels, pos_embed=None):
    """Fractions right: overall, the shape ("what"), and the side ("where") of left and of right scenes."""
    with torch.no_grad():
        pred = model(images, pos_embed=pos_embed).argmax(-1)
    side_right, left = pred // 4 == labels // 4, labels // 4 == 0
    return {"overall": (pred == labels).float().mean().item(),
            "shape": (pred % 4 == labels % 4).float().mean().item(),
            "side, left scenes": side_right[left].float().mean().item(),
            "side, right scenes": side_right[~left].float().mean().item()}


# %%
SEEDS = (0, 1, 2)
runs = {}
for seed in SEEDS:
    start = time.perf_counter()
    model, losses = train_tiny_vit(seed)
    runs[seed] = {"model": model, "losses": losses, "seconds": time.perf_counter() - start,
                  "test": accuracy(model, x_test_std, y_test)}
    print(f"seed {seed}: {runs[seed]['seconds']:.1f} s, test accuracy {runs[seed]['test']['overall']:.1%}")
overall = np.array([runs[s]["test"]["overall"] for s in SEEDS])
print(f"test accuracy over {len(SEEDS)} seeds: {overall.mean():.1%} ± {overall.std():.1%} "
      f"(min {overall.min():.1%}, max {overall.max():.1%}); chance is 12.5 %")
assert overall.min() >= 0.90   # the lesson's bar, on every seed

# %% cellView="form" jupyter={"source_hidden": true} mystnb={"image": {"alt": "Training loss against step for three seeds, one line style each, all falling from the chance level of log 8 to near zero within a few hundred steps."}} tags=["hide-input"]
#@title Figure: training loss of the three seeds (run it; no need to read it)
fig, ax = plt.subplots(figsize=(6.5, 3.6))
for seed, color, style in zip(SEEDS, ("#0072B2", "#E69F00", "#009E73"), ("-", "--", ":")):
    smooth = np.convolve(runs[seed]["losses"], np.ones(10) / 10, mode="valid")
    ax.plot(smooth, style, color=color, label=f"seed {seed} (10-step mean)")
ax.axhline(math.log(8), color="#999999", ls="-.", label="chance: log 8")
ax.set(xlabel="training step", ylabel="cross-entropy loss (nats)", title="Tiny ViT: training loss, three seeds")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 4. Where does `[CLS]` look?
#
# The classifier reads only the `[CLS]` token, and `[CLS]` learns about the image only
# through attention. Its row of the last block's attention weights (averaged over the heads),
# restricted to the 16 patches, says which patches it gathers from. One picture can mislead,
# so we measure over the 1,000 test scenes: the share of `[CLS]`'s attention that lands on
# patches the shape covers (at least a quarter of their pixels), against the share of
# patches that are covered. If attention ignored the content, the two would be equal.

# %%
patch_cover = F.avg_pool2d(test_cover[:, None], 8).flatten(1).to(device)   # (1000, 16): covered fraction
on_shape = patch_cover >= 0.25                                            # (1000, 16)
area = on_shape.float().mean().item()
on_shape_share = []
for seed in SEEDS:
    with torch.no_grad():
        runs[seed]["model"](x_test_std)
    cls_row = runs[seed]["model"].blocks[-1].attn.weights[:, :, 0, 1:].mean(1)   # (1000, 16): heads averaged
    on_shape_share.append((cls_row * on_shape).sum(1).mean().item())
share = np.array(on_shape_share)
print(f"[CLS] attention on the shape's patches: {share.mean():.1%} ± {share.std():.1%} over seeds "
      f"(min {share.min():.1%}); those patches are {area:.1%} of the image")
assert share.min() > 1.5 * area

# %% cellView="form" jupyter={"source_hidden": true} mystnb={"image": {"alt": "Eight test scenes, each shown with the attention of the CLS token to its 16 patches drawn over it as a viridis heat map (seed 0, last block); colour in the scenes is data, the heat map's brightness is the attention weight."}} tags=["hide-input"]
#@title Figure: [CLS] attention over eight test scenes, seed 0 (run it; no need to read it)
with torch.no_grad():
    runs[0]["model"](x_test_std[:8])
cls_map = runs[0]["model"].blocks[-1].attn.weights[:, :, 0, 1:].mean(1).reshape(8, 4, 4).cpu()
fig, axes = plt.subplots(1, 8, figsize=(14, 2.4))
for j, ax in enumerate(axes):
    ax.imshow(x_test[j].permute(1, 2, 0).numpy())
    ax.imshow(cls_map[j].numpy(), cmap="viridis", alpha=0.55, extent=(-0.5, 31.5, 31.5, -0.5), interpolation="nearest")
    ax.set_title(CLASSES[int(y_test[j])], fontsize=8)
    ax.axis("off")
fig.suptitle("Attention of [CLS] to each 8-px patch in the last block (brighter = more), over the scene")
plt.show()

# %% [markdown]
# Averaged over 1,000 scenes, `[CLS]` puts far more of its attention on the shape than the
# shape's share of the image, on each of the three seeds (the printed line; the assert holds
# it above 1.5× the share on every seed). The maps above show single scenes: usually the
# brightest patches are on or next to the shape.

# %% [markdown]
# ## 5. A new resolution
#
# A ViT's weights do not care how many tokens there are, with one exception (lesson 3.1,
# section 4): the position table has one row per patch of the resolution the model was built
# for. Our model was built for 32 px, a 4 × 4 grid. At 48 px the grid is 6 × 6: 36 patches
# and only 16 rows. The ViT authors treat the table as the 2-D grid it is and
# **interpolate** it to the new size, "according to their location in the original image"
# ([Dosovitskiy et al., 2020](https://arxiv.org/abs/2010.11929), section 3.2), as one would
# resize an image with *D* channels. `interpolate_positions` does that with bicubic
# interpolation (`align_corners=False`, the choice of Hugging Face `transformers`' ViT);
# its one guard is for a table that is not one `[CLS]` row plus a square grid.

# %% tags=["export"]
import math

import torch
import torch.nn.functional as F


def interpolate_positions(table, side):
    """Position table (1, 1 + s*s, D) of an s x s patch grid -> (1, 1 + side*side, D), bicubic."""
    s = math.isqrt(max(table.shape[-2] - 1, 0))
    if table.dim() != 3 or s < 1 or s * s != table.shape[-2] - 1:
        raise ValueError(f"a table of shape {tuple(table.shape)} is not (1, 1 + s*s, D): one [CLS] row + a "
                         "square grid, e.g. (1, 17, 64); a (1 + s*s, D) table, as OpenAI's CLIP stores it, needs [None]")
    cls_row, grid = table[:, :1], table[:, 1:]                                  # (1, 1, D), (1, s*s, D)
    grid = grid.reshape(1, s, s, -1).permute(0, 3, 1, 2)                        # (1, D, s, s): an image
    grid = F.interpolate(grid, size=(side, side), mode="bicubic", align_corners=False)
    return torch.cat([cls_row, grid.permute(0, 2, 3, 1).reshape(1, side * side, -1)], dim=1)


# %% [markdown]
# Two alternatives to compare it with: **no positions** (the `[CLS]` row only, zeros for the
# patches), and **zero-padded** positions: the learned 4 × 4 grid kept where it was, in the
# top-left corner of the 6 × 6 grid, and zeros in the new rows and columns (extending the
# table without interpolating). As a control, the 48-px image **downscaled** back to 32 px
# and the model used as built. All on the same 1,000 test scenes, rendered at 48 px.

# %%
def zero_padded_positions(table, side):
    """The learned s x s grid in the top-left corner of a side x side grid, zeros elsewhere."""
    s = math.isqrt(table.shape[1] - 1)
    grid = table[:, 1:].reshape(1, s, s, -1).permute(0, 3, 1, 2)               # (1, D, s, s)
    grid = F.pad(grid, (0, side - s, 0, side - s))                              # (1, D, side, side)
    return torch.cat([table[:, :1], grid.permute(0, 2, 3, 1).reshape(1, side * side, -1)], dim=1)


x48, y48 = render_scenes(test_scenes, 48)                                       # the same scenes, 1.5x larger
x48_std, y48 = ((x48 - mean) / std).to(device), y48.to(device)
x48_down = F.interpolate(x48, size=(32, 32), mode="bilinear", antialias=True, align_corners=False)
x48_down_std = ((x48_down - mean) / std).to(device)
assert torch.equal(y48, y_test)
results = {}
for seed in SEEDS:
    model = runs[seed]["model"]
    table = model.pos_embed.detach()                                            # (1, 17, 64)
    results.setdefault("32 px, as built", []).append(accuracy(model, x_test_std, y_test))
    results.setdefault("48 px, interpolated", []).append(accuracy(model, x48_std, y48, interpolate_positions(table, 6)))
    results.setdefault("48 px, zero-padded", []).append(accuracy(model, x48_std, y48, zero_padded_positions(table, 6)))
    no_positions = torch.cat([table[:, :1], torch.zeros(1, 36, 64, device=device)], dim=1)
    results.setdefault("48 px, no positions", []).append(accuracy(model, x48_std, y48, no_positions))
    results.setdefault("48 px, downscaled to 32", []).append(accuracy(model, x48_down_std, y48))
summary = {name: {key: (np.mean([r[key] for r in rs]), np.std([r[key] for r in rs])) for key in rs[0]}
           for name, rs in results.items()}
print(f"mean ± std over seeds {SEEDS}")
print(f"{'':<26}" + "".join(f"{key:>20}" for key in summary["32 px, as built"]))
for name, accs in summary.items():
    print(f"{name:<26}" + "".join(f"{f'{m:.1%} ± {s:.1%}':>20}" for m, s in accs.values()))

# %% [markdown]
# Read the two **side** columns first, left scenes and right scenes separately.

# %%
interp, padded, nopos = summary["48 px, interpolated"], summary["48 px, zero-padded"], summary["48 px, no positions"]
for name, accs in (("interpolated", interp), ("zero-padded", padded), ("no positions", nopos)):
    print(f"{name:>13}: side right on {accs['side, left scenes'][0]:.0%} of left scenes, "
          f"{accs['side, right scenes'][0]:.0%} of right scenes")
assert min(interp["side, left scenes"][0], interp["side, right scenes"][0]) >= 0.85   # interpolation keeps "where"
for side in ("side, left scenes", "side, right scenes"):
    assert padded[side][0] < interp[side][0] - 0.2    # zero-padding loses it, on both sides
    assert nopos[side][0] < interp[side][0] - 0.2

# %% [markdown]
# With interpolated positions the model still tells left from right at a resolution it never
# saw, on both sides. Zero-padded positions fail on **both** sides (asserted: at least 20
# points below interpolation on each), and the printed numbers sit close to those with no
# positions at all, around a coin toss: padding is not "the old positions plus a few missing
# ones". The reason is that a learned position means a place in
# the image, not a patch index. Column 2 of the 4-column grid meant "just right of the
# centre"; after padding, column 2 of the 6-column grid sits left of the centre but still
# carries that vector, so the kept rows now name wrong places, and the new rows and columns
# name none. Interpolation instead gives every new patch the position of the place it
# covers.
#
# Now the **shape** column: at 48 px shape accuracy drops whatever the positions, and the
# downscaled control brings it back. Each shape now spans 1.5× more patches in each
# direction, sizes the [patch embedding](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#patch-embedding) and attention never saw. Interpolation makes a model
# *run* at a new resolution and keeps its sense of place; it does not teach it the new scale
# of things. That is why models are fine-tuned briefly after their position grid is
# interpolated ([Dosovitskiy et al., 2020](https://arxiv.org/abs/2010.11929), section 3.2;
# [Touvron et al., 2019](https://arxiv.org/abs/1906.06423) on the train–test resolution
# discrepancy).

# %% [markdown]
# ## 6. Twice the resolution
#
# ### Exercise 3.4: twice the resolution
#
# **Kind:** experiment
#
# Rerun section 5's measurement at **64 px** (an 8 × 8 grid, twice the side the models were
# built for), for the three trained models, with interpolated and with zero-padded
# positions. **Before you run it**, write down your prediction: will interpolation still
# keep "where" at twice the side? Will shape accuracy recover, stay, or drop further?
#
# Return a dict with three numbers, each the mean over the three seeds, as fractions
# (0 to 1): `"side interpolated"` and `"side zero-padded"` (the side accuracy over all 1,000
# scenes, left and right together) and `"shape interpolated"`.
#
# <details><summary>Hint</summary>
#
# `render_scenes(test_scenes, 64)` draws the same scenes at 64 px; standardise them with
# `mean` and `std` as above. `accuracy(...)` returns the side accuracy per side; the scenes
# are about half left, half right, so the side accuracy over all scenes is their average
# (or compute it from the predictions yourself). Use `float(...)` for plain numbers.
#
# </details>

# %% cellView="form" jupyter={"source_hidden": true} tags=["export", "hide-input"]
#@title Self-check for Exercise 3.4 (run it; no need to read it)
import numbers


def check_twice_the_resolution(fn, quiet=False):
    """``fn()`` -> {"side interpolated", "side zero-padded", "shape interpolated"}: means over seeds at 64 px."""
    say = (lambda *a: None) if quiet else print
    keys = ("side interpolated", "side zero-padded", "shape interpolated")
    try:
        got = fn()
    except NotImplementedError:
        say("○ Not attempted yet: replace `raise NotImplementedError()` with your code.")
        return None
    except Exception as err:  # noqa: BLE001 - any learner error becomes feedback
        say(f"✘ Your function raised {type(err).__name__}: {err}")
        return False
    if not isinstance(got, dict) or set(got) != set(keys):
        say(f"✘ Return a dict with exactly the keys {list(keys)}; got "
            f"{sorted(got) if isinstance(got, dict) else type(got).__name__}.")
        return False
    for key in keys:
        value = got[key]
        if hasattr(value, "item") and not isinstance(value, numbers.Real):
            say(f"✘ {key!r} is a {type(value).__name__}; return a plain number with float(...) or .item().")
            return False
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            say(f"✘ {key!r} should be a number between 0 and 1, not {value!r}.")
            return False
        if not 0 <= value <= 1:
            say(f"✘ {key!r} = {value}: give fractions between 0 and 1, not percentages.")
            return False
    side_i, side_z, shape_i = (got[k] for k in keys)
    if side_z > side_i:
        say("✘ Zero-padded positions came out better than interpolated ones: are the two keys swapped?")
        return False
    if shape_i >= 0.93:
        say(f"✘ Shape accuracy {shape_i:.1%} is what the models reach at the 32 px they were built for. "
            "Render the scenes at 64 px (and do not downscale them).")
        return False
    if side_i < 0.85:
        say(f"✘ Side accuracy with interpolated positions is only {side_i:.1%}: pass "
            "interpolate_positions(model.pos_embed.detach(), 8) as pos_embed, for a 64-px image's 8 x 8 grid.")
        return False
    if side_z > 0.75:
        say(f"✘ Side accuracy with zero-padded positions is {side_z:.1%}, close to the interpolated one: "
            "pad the learned 4 x 4 grid to 8 x 8 (zero_padded_positions(table, 8)).")
        return False
    say(f"✔ At twice the side, interpolated positions still give the side ({side_i:.1%}); zero-padded "
        f"ones do not ({side_z:.1%}); and shape accuracy ({shape_i:.1%}) is far below the 32-px level: "
        "the shapes are twice as many patches wide as anything seen in training.")
    return True


# %% cellView="form" jupyter={"source_hidden": true} nbgrader={"grade": false, "grade_id": "ex3-2-2-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
#@title Your answer to Exercise 3.4
def twice_the_resolution():
    """Means over the three seeds at 64 px: side accuracy (interpolated, zero-padded), shape accuracy (interpolated)."""
    ### BEGIN SOLUTION
    x64, y64 = render_scenes(test_scenes, 64)
    x64, y64 = ((x64 - mean) / std).to(device), y64.to(device)
    found = {"side interpolated": [], "side zero-padded": [], "shape interpolated": []}
    for s in SEEDS:
        net = runs[s]["model"]
        grid8 = net.pos_embed.detach()
        with torch.inference_mode():
            pred_i = net(x64, pos_embed=interpolate_positions(grid8, 8)).argmax(-1)
            pred_z = net(x64, pos_embed=zero_padded_positions(grid8, 8)).argmax(-1)
        found["side interpolated"].append((pred_i // 4 == y64 // 4).float().mean().item())
        found["side zero-padded"].append((pred_z // 4 == y64 // 4).float().mean().item())
        found["shape interpolated"].append((pred_i % 4 == y64 % 4).float().mean().item())
    return {key: float(np.mean(values)) for key, values in found.items()}
    ### END SOLUTION


# %% cellView="form" jupyter={"source_hidden": true} nbgrader={"grade": true, "grade_id": "ex3-2-2-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["hide-input"]
#@title Check your answer to Exercise 3.4
check_twice_the_resolution(twice_the_resolution);
### BEGIN HIDDEN TESTS
assert check_twice_the_resolution(twice_the_resolution, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Check your understanding
#
# Click an answer to get feedback (the quiz works without a running kernel).

# %% cellView="form" jupyter={"source_hidden": true} tags=["remove-input"]
#@title Quiz (run it to show the questions)
from jupyterquiz import display_quiz

display_quiz([
    {"question": "A ViT with 16-px patches goes from 512 × 512 to 1,024 × 1,024 images. By how much do the FLOPs of its attention products (QKᵀ and the weighted sum) grow?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "16×", "correct": True,
          "feedback": "Right: the side doubles, so the tokens grow 4× (1,024 → 4,096), and the term 4·N²·D grows 4² = 16×."},
         {"answer": "4×", "correct": False,
          "feedback": "4× is the growth of the token count, and of the linear layers; the attention products compare every token with every token."},
         {"answer": "2×", "correct": False,
          "feedback": "That is the growth of the image side. Count tokens first: (H/P)·(W/P)."}]},
    {"question": "A VLM's resampler hands the language model 64 tokens per image at any resolution. What happens to the vision encoder's compute when the image goes from 336 to 672 px?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "It still grows: 4× the patch tokens, so at least 4× the linear work and up to 16× the attention work",
          "correct": True,
          "feedback": "Yes. The resampler caps what the language model sees, not what the encoder computes."},
         {"answer": "It stays the same, because the output is 64 tokens", "correct": False,
          "feedback": "The encoder runs on all patch tokens before the resampler reduces them."},
         {"answer": "It halves, because the resampler compresses more", "correct": False,
          "feedback": "Compression happens after the encoder; the encoder sees 4× as many patches."}]},
    {"question": "Why do zero-padded position tables fail at a new resolution, on both sides of the image?",
     "type": "multiple_choice",
     "answers": [
         {"answer": "A learned position names a place in the image; after padding, the kept rows sit at other places and the new ones name none",
          "correct": True,
          "feedback": "Right. Interpolation instead gives each new patch the position of the place it covers."},
         {"answer": "Only the new right-hand columns lack positions, so only right-hand shapes fail", "correct": False,
          "feedback": "Section 5 measured both sides separately: both fail, not only the right."},
         {"answer": "Zeros make the attention weights negative", "correct": False,
          "feedback": "The softmax makes every weight positive whatever the inputs."}]},
])

# %% [markdown]
# ## 8. What to remember
#
# - One block costs 24*ND*² + 4*N*²*D FLOPs (MLP ratio 4): linear in tokens below *N* = 6*D*,
#   quadratic beyond. Measure with warm-up and a median, and read the exponent you measured:
#   it can differ from the FLOPs' either way; on a CPU, time grows faster than the tokens past 6*D*.
# - Explicit attention needs memory quadratic in *N*; fused kernels need linear memory for the
#   same arithmetic.
# - A tiny ViT learns what and where in seconds, on every seed tried; its `[CLS]` token
#   attends to the shape far more than the shape's share of the image.
# - At a new resolution, interpolate the position grid: it keeps the sense of place on both
#   sides; zero-padding loses it. The sense of scale is not kept, hence fine-tuning.
#
# **Next:** [lesson 3.3](https://pixels-to-tokens.github.io/pixels-to-tokens/notebooks/3-deep-dive/3-3-contrastive-alignment-deeper.html)
# aligns image features with text, the objective that makes a ViT useful to a language model.

# %%
print(f"this notebook ran in {time.perf_counter() - WALL0:.0f} s wall, {time.process_time() - CPU0:.0f} s CPU, on {device}")
