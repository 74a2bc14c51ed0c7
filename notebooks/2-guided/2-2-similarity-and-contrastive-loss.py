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
# # 2.2 Similarity and the contrastive loss
#
# CLIP trains an image encoder and a text encoder together so that a picture and its caption
# land close to each other in a shared space and far from every other caption in the batch
# ([Radford et al., 2021](https://arxiv.org/abs/2103.00020)). This lesson writes the two
# pieces that make that happen, with no training yet: the similarity score (a Python loop, then
# many pairs at once, then a whole image × caption matrix from one matrix product) and the
# symmetric contrastive loss with its learned logit scale. Lesson 2.3 then trains a tiny CLIP
# with exactly these pieces.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pixels-to-tokens/pixels-to-tokens/blob/main/student/notebooks/2-guided/2-2-similarity-and-contrastive-loss.ipynb)
#
# **What you will build**
# - cosine similarity three ways (a loop, row by row on tensors, an image × caption matrix),
#   proven equal;
# - the symmetric InfoNCE loss, one line per step, checked against `F.cross_entropy`;
# - CLIP's learned logit scale, and a figure of what it does to the softmax.
#
# **Prerequisites:** [lesson 1.2](https://pixels-to-tokens.github.io/pixels-to-tokens/notebooks/1-surface/1-2-a-shared-space.html)
# (a shared space, softmax, cross-entropy); Python and PyTorch tensors.
# **Time to study:** about 20 minutes. **Time to run:** about 5 s on a laptop CPU.

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Colab only: install the quiz package (does nothing elsewhere)
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "jupyterquiz"], check=True)

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

SEED = 0
torch.manual_seed(SEED)
rng = np.random.default_rng(SEED)
torch.set_num_threads(1)  # one thread: as fast on a busy laptop as on a quiet one, same results
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(f"torch {torch.__version__}, running on {device}")

# %% [markdown]
# ## 1. Cosine similarity, the slow and obvious way
#
# The [cosine similarity](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#cosine-similarity)
# of two vectors is their dot product divided by the product of their lengths. It is the cosine
# of the angle between them: 1 when they point the same way, 0 when they are at right angles,
# −1 when they point opposite ways. Length does not count, so an embedding can be scaled without
# changing what it says.
#
# One case needs a decision: a vector of zeros has no direction, and the formula divides by
# zero. We return 0.0 there ("no evidence of similarity"), as PyTorch's `F.cosine_similarity`
# does. And one guard: Python happily turns the string `"123"` into the numbers 1, 2, 3, so
# without it `cosine_similarity_loop("123", "456")` would return 0.97 instead of an error.

# %% tags=["export"]
import math


def cosine_similarity_loop(u, v):
    """Cosine similarity of two equal-length sequences of numbers; 0.0 if either is all zeros."""
    if isinstance(u, (str, bytes)) or isinstance(v, (str, bytes)):
        raise TypeError("u and v must be sequences of numbers, not strings")
    u, v = [float(a) for a in u], [float(b) for b in v]
    if len(u) != len(v) or not u:
        raise ValueError(f"need two non-empty vectors of the same length, got {len(u)} and {len(v)}")
    dot = norm_u = norm_v = 0.0
    for a, b in zip(u, v):
        dot += a * b
        norm_u += a * a
        norm_v += b * b
    if norm_u == 0.0 or norm_v == 0.0:
        return 0.0
    return dot / (math.sqrt(norm_u) * math.sqrt(norm_v))


# %%
print("same direction ", cosine_similarity_loop([1, 2, 3], [2, 4, 6]))
print("right angle    ", cosine_similarity_loop([1, 0], [0, 5]))
print("opposite       ", cosine_similarity_loop([1, -1], [-3, 3]))
print("zero vector    ", cosine_similarity_loop([0, 0, 0], [1, 2, 3]))
assert math.isclose(cosine_similarity_loop([1, 2, 3], [2, 4, 6]), 1.0)
assert cosine_similarity_loop([1, 0], [0, 5]) == 0.0
assert math.isclose(cosine_similarity_loop([1, -1], [-3, 3]), -1.0)
try:
    cosine_similarity_loop("123", "456")
except TypeError as err:
    print("strings:       ", "TypeError:", err)

# %% [markdown]
# ## 2. Many pairs at once
#
# A Python loop touches one number at a time. The same formula on tensors handles a whole batch
# of pairs: multiply element-wise, sum over the last axis, divide by the product of the lengths.
# `clamp_min` keeps the denominator away from zero, which is the zero-vector rule in vector form.

# %% tags=["export"]
import torch


def cosine_similarity_rows(a, b, eps=1e-8):
    """Row-wise cosine of two tensors of the same shape (N, D) -> (N,); 0 for a zero row."""
    dot = (a * b).sum(dim=-1)                                   # (N,)
    norms = a.norm(dim=-1) * b.norm(dim=-1)                     # (N,)
    return dot / norms.clamp_min(eps)


# %%
gen = torch.Generator().manual_seed(SEED)
a = torch.randn(6, 8, generator=gen, dtype=torch.float64)
b = torch.randn(6, 8, generator=gen, dtype=torch.float64)
a[2] = 0.0                                                     # one zero vector on purpose
rows = cosine_similarity_rows(a, b)                            # (6,)
loop = torch.tensor([cosine_similarity_loop(a[i].tolist(), b[i].tolist()) for i in range(6)],
                    dtype=torch.float64)
torch.testing.assert_close(rows, loop)
torch.testing.assert_close(rows, F.cosine_similarity(a, b, dim=-1))
print("rows:", rows.numpy().round(3), "\nloop, tensors and F.cosine_similarity agree")

# %% [markdown]
# ## 3. The whole image × caption matrix in one product
#
# CLIP compares every image of a batch with every caption. Divide each embedding by its length
# first (**L2 normalisation**): then a dot product *is* a cosine, and the matrix product of
# `(N, D)` image embeddings with the transposed `(M, D)` caption embeddings gives all `N × M`
# cosines at once.

# %% tags=["export"]
import torch
import torch.nn.functional as F


def similarity_matrix(image_emb, text_emb):
    """(N, D) image and (M, D) text embeddings -> (N, M) cosines; 0 for a zero row."""
    img = F.normalize(image_emb, dim=-1)                        # (N, D), unit rows
    txt = F.normalize(text_emb, dim=-1)                         # (M, D), unit rows
    return img @ txt.T                                          # (N, M)


# %%
image_emb = torch.randn(4, 8, generator=gen, dtype=torch.float64)
text_emb = torch.randn(5, 8, generator=gen, dtype=torch.float64)
S = similarity_matrix(image_emb, text_emb)                      # (4, 5)
S_loop = torch.tensor([[cosine_similarity_loop(i.tolist(), t.tolist()) for t in text_emb]
                       for i in image_emb], dtype=torch.float64)
assert S.shape == (4, 5)
torch.testing.assert_close(S, S_loop)
print("similarity matrix (4 images × 5 captions):\n", S.numpy().round(2))
print("one matrix product == the loop over all 20 pairs")

# %% [markdown]
# ## 4. The symmetric contrastive loss (InfoNCE)
#
# Take a batch of `N` matching image–caption pairs and their `N × N` similarity matrix. The
# diagonal holds the true pairs. CLIP reads each **row** as an `N`-way classification ("which
# caption goes with this image?") and each **column** as another ("which image goes with this
# caption?"). Each is scored with a softmax and a cross-entropy (lesson 1.2): a
# [softmax](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#softmax)
# turns a row of scores, called **logits**, into probabilities, and the
# [cross-entropy](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#cross-entropy)
# is minus the log of the probability given to the right answer. The
# [contrastive loss](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#contrastive-loss-infonce)
# is the mean of the two directions
# ([Radford et al., 2021](https://arxiv.org/abs/2103.00020), Figure 3).
#
# Before the softmax the cosines are multiplied by a **logit scale** (section 5). Here it is a
# fixed 14.3; `logsumexp` along a row is the log of the softmax's denominator, so
# `logits − logsumexp` is a row of log-probabilities.

# %%
N, D = 5, 8
img = torch.randn(N, D, generator=gen)
txt = img + 0.8 * torch.randn(N, D, generator=gen)             # noisy "captions" of each image

scale = 1 / 0.07                                                # 14.29
logits = scale * similarity_matrix(img, txt)                    # (N, N): row i = image i
log_p_text_given_image = logits - logits.logsumexp(dim=1, keepdim=True)   # softmax over a row
log_p_image_given_text = logits - logits.logsumexp(dim=0, keepdim=True)   # over a column
loss_i2t = -log_p_text_given_image.diagonal().mean()
loss_t2i = -log_p_image_given_text.diagonal().mean()
loss_by_hand = (loss_i2t + loss_t2i) / 2
print(f"image→text {loss_i2t.item():.4f}, text→image {loss_t2i.item():.4f}, "
      f"symmetric {loss_by_hand.item():.4f}")

# %% [markdown]
# PyTorch's `F.cross_entropy` takes raw logits and the index of the right class: for rows the
# targets are `0, 1, …, N−1`; for columns, transpose the logits. Packaged as a function, with one
# guard for a scale that is not a number (a string would otherwise fail deep inside PyTorch):

# %% tags=["export"]
import torch
import torch.nn.functional as F


def clip_loss(image_emb, text_emb, logit_scale):
    """Symmetric InfoNCE of N matching pairs (N, D), (N, D), scaled by a positive number."""
    if not isinstance(logit_scale, (int, float, torch.Tensor)) or isinstance(logit_scale, bool):
        raise TypeError("logit_scale must be a number or a 0-d tensor, got "
                        f"{type(logit_scale).__name__} {logit_scale!r}")
    logits = logit_scale * F.normalize(image_emb, dim=-1) @ F.normalize(text_emb, dim=-1).T
    targets = torch.arange(len(logits), device=logits.device)  # the diagonal is right
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2


# %%
torch.testing.assert_close(clip_loss(img, txt, scale), loss_by_hand)
shuffled = clip_loss(img, txt[torch.randperm(N, generator=gen)], scale)
print(f"matched captions {loss_by_hand.item():.3f}, shuffled captions {shuffled.item():.3f}")
assert loss_by_hand < shuffled
try:
    clip_loss(img, txt, "14.3")
except TypeError as err:
    print("TypeError:", err)

# %% [markdown]
# ## 5. The learned logit scale
#
# Cosines live in [−1, 1]: too flat for a softmax to be confident. So they are multiplied by a
# **[logit scale](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#logit-scale-temperature)**,
# the inverse of a temperature. CLIP learns it: it stores its logarithm as a parameter, starts
# it at 1/0.07 ≈ 14.3 and never lets it exceed 100
# ([Radford et al., 2021](https://arxiv.org/abs/2103.00020), section 2.5). Storing the log keeps
# the scale positive whatever the optimiser does, and makes its steps multiplicative.

# %% tags=["export"]
import math

import torch
from torch import nn


class LogitScale(nn.Module):
    """CLIP's learned inverse temperature: exp(log_scale), starting at 1/0.07, capped at 100."""

    def __init__(self, init=1 / 0.07, max_scale=100.0):
        super().__init__()
        self.log_scale = nn.Parameter(torch.tensor(math.log(init)))
        self.max_log = math.log(max_scale)

    def forward(self):
        return self.log_scale.clamp(max=self.max_log).exp()


# %%
logit_scale = LogitScale()
loss = clip_loss(img, txt, logit_scale())
loss.backward()                                                 # the scale gets a gradient too
print(f"scale {logit_scale().item():.2f} (log {logit_scale.log_scale.item():.3f}), "
      f"d loss / d log-scale = {logit_scale.log_scale.grad.item():+.3f}")
assert logit_scale.log_scale.grad < 0
with torch.no_grad():
    logit_scale.log_scale.fill_(10.0)                           # e^10 ≈ 22,000: far too big
print(f"after setting the log-scale to 10: {logit_scale().item():.1f} (capped)")
assert math.isclose(logit_scale().item(), 100.0, rel_tol=1e-6)

# %% [markdown]
# The printed gradient is negative, so a gradient-descent step would *raise* the scale: with the right
# captions already on top, sharper is better. What the scale does: multiplying every cosine of a
# row by the same positive number never changes their order, so the ranking of the captions is
# fixed, and only how much probability goes to the top one changes. The figure shows one image
# whose own caption has the highest cosine; the cell counts how many of the batch's images have
# that.

# %%
sim = similarity_matrix(img, txt)                               # (N, N)
ranked_first = sim.argmax(dim=1) == torch.arange(N)            # (N,) own caption on top?
row = int(ranked_first.nonzero()[0])                            # the first image where it is
print(f"{int(ranked_first.sum())} of {N} images rank their own caption first; "
      f"the figure shows image {row}")
probs = {s: torch.softmax(s * sim[row], dim=0) for s in (1.0, 1 / 0.07, 100.0)}
orders = {s: p.argsort(descending=True).tolist() for s, p in probs.items()}
assert len({tuple(o) for o in orders.values()}) == 1            # same order at every scale
for s, p in probs.items():
    print(f"scale {s:6.1f}: probability of the true caption {p[row].item():.3f}")

# %% mystnb={"image": {"alt": "Grouped bar chart: for one image, the softmax probability of each of five captions at three logit scales (1, 14.3 and 100), bars hatched differently per scale; the true caption has the tallest bar at every scale, and the larger scales give it nearly all the probability."}}
fig, ax = plt.subplots(figsize=(7, 3.2))
for k, ((s, p), colour, hatch) in enumerate(zip(probs.items(), ["#56B4E9", "#E69F00", "#009E73"],
                                                ["", "//", ".."])):
    ax.bar(np.arange(N) + (k - 1) * 0.27, p.numpy(), 0.27, color=colour, hatch=hatch,
           edgecolor="black", label=f"scale {s:.1f}")
ax.set_xticks(range(N), [f"caption {j}" + ("\n(true)" if j == row else "") for j in range(N)])
ax.set_ylabel("softmax probability (0–1)")
ax.set_xlabel("caption of the batch")
ax.set_title(f"Image {row}: the same cosines at three logit scales")
ax.legend()
plt.show()

# %% [markdown]
# The converse matters as much: when an image's own caption does *not* have the highest cosine
# (a random toy batch like this one can do that), no scale fixes it; a larger scale only makes
# the wrong answer more confident, which is what a larger loss then punishes. The scale also
# explains why real CLIP models classify well although the cosine between an image and a good
# caption stays far below 1: only the gaps between cosines matter. CLIPScore, a caption metric
# built on CLIP, multiplies cosines by 2.5 just to spread them over a readable range
# ([Hessel et al., 2021](https://arxiv.org/abs/2104.08718)).

# %% [markdown]
# ## 6. Exercises
#
# Each exercise has a check that gives instant feedback; the lesson never depends on your
# answers.

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Self-check for Exercise 2.4 (run it; no need to read it)
import math


def check_untrained_loss(answer, quiet=False):
    """``answer(n_pairs)`` -> the symmetric InfoNCE loss when every cosine is the same."""
    say = (lambda *a: None) if quiet else print
    expected = {10: 2.302585, 128: 4.852030, 1000: 6.907755, 2: 0.693147}   # hard-coded values
    for n, want in expected.items():
        try:
            got = answer(n)
        except NotImplementedError:
            say("○ Not attempted yet: replace `raise NotImplementedError()` with your prediction.")
            return None
        except Exception as err:  # noqa: BLE001 - any learner error becomes feedback
            say(f"✘ For n_pairs={n} your function raised {type(err).__name__}: {err}")
            return False
        if hasattr(got, "item"):
            got = got.item()
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            say(f"✘ Return a number (a float), not {type(got).__name__}.")
            return False
        if abs(got - want) < 1e-3:
            continue
        if abs(got) < 1e-6:
            hint = "0 is the loss of a perfect model; an untrained one gives each caption the same probability"
        elif abs(got - n) < 1e-6 or abs(got - 1 / n) < 1e-6:
            hint = "the softmax gives each of the N candidates probability 1/N; the loss is minus its log"
        elif abs(got - math.log2(n)) < 1e-3:
            hint = "PyTorch's cross-entropy uses the natural log (nats), not log base 2"
        elif abs(got - 2 * want) < 1e-3:
            hint = "the two directions are averaged, not added"
        elif n > 2 and abs(got - math.log(n - 1)) < 1e-3:
            hint = "the right caption is one of the N candidates too: N-way, not (N-1)-way"
        elif abs(got - math.log(2 * n)) < 1e-3:
            hint = "each direction is an N-way choice; the two are averaged, not pooled"
        else:
            hint = "if every cosine is equal, so is every logit: what does the softmax give each caption?"
        say(f"✘ For {n} pairs you predict {got:.4f}; the loss is {want:.4f}. Hint: {hint}.")
        return False
    say("✔ Right: equal logits give every candidate 1/N, so each direction costs −log(1/N) = ln N.")
    return True


# %% [markdown]
# ### Exercise 2.4: the loss of a model that has learned nothing
#
# **Kind:** predict-then-run
#
# Before training, an encoder has not learned what goes with what. Take the extreme: every cosine
# in the `N × N` matrix is the same (for instance, every embedding points the same way). Predict
# the symmetric contrastive loss as a formula in `N`: write `untrained_loss(n_pairs)`, run the
# check, then run the cell after it, which measures the loss of such a batch and of a random one.
#
# <details><summary>Hint</summary>
#
# Equal logits make the softmax uniform. What probability does the right caption get, and what
# is the cross-entropy of that? Both directions are the same.
#
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex2-4-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Your answer to Exercise 2.4
def untrained_loss(n_pairs):
    """Your prediction: the symmetric InfoNCE loss of n_pairs pairs whose cosines are all equal."""
    ### BEGIN SOLUTION
    return math.log(n_pairs)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex2-4-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Check your answer to Exercise 2.4
check_untrained_loss(untrained_loss);
### BEGIN HIDDEN TESTS
assert check_untrained_loss(untrained_loss, quiet=True) is True
### END HIDDEN TESTS

# %%
same = torch.ones(128, 32)                                      # every embedding the same
random_img, random_txt = torch.randn(2, 128, 32, generator=gen)  # random, unrelated pairs
for name, (i, t) in {"all cosines equal": (same, same),
                     "random pairs": (random_img, random_txt)}.items():
    print(f"128 pairs, {name:<17}: loss {clip_loss(i, t, 1 / 0.07).item():.3f}")
print(f"ln 128 = {math.log(128):.3f}")

# %% [markdown]
# The random pairs cost more than ln N: at scale 14.3, random cosines of about ±0.2 become logits
# of about ±3, so the softmax is confident, and it is confidently wrong. Lesson 2.3 prints where
# a real untrained model starts, and compares it with ln N.

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Self-check for Exercise 2.5 (run it; no need to read it)
import torch


def check_siglip_loss(answer, quiet=False):
    """``answer(image_emb, text_emb, scale, bias)`` -> SigLIP's pairwise sigmoid loss."""
    say = (lambda *a: None) if quiet else print
    img = torch.tensor([[2.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, 1.2, 1.6]])
    txt = torch.tensor([[1.0, 0.2, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 3.0]])
    img2, txt2 = torch.tensor([[1.0, 1.0], [1.0, -1.0]]), torch.tensor([[0.5, 2.0], [3.0, -1.0]])
    # (inputs, right value, {wrong value: the mistake that gives it}), all hard-coded
    cases = [((img, txt, 10.0, -10.0), 1.262720,
              {0.420907: "you averaged over all N × N pairs; SigLIP sums them and divides by N",
               1.073603: "normalise both sets of embeddings to unit length first",
               15.106785: "only the diagonal pairs are positives (label +1); the others are -1",
               0.045147: "that is CLIP's softmax loss; SigLIP scores each pair on its own with a sigmoid",
               1.232975: "the off-diagonal pairs are missing: they are the negatives"}),
             ((img2, txt2, 1.0, 0.0), 1.053286, {0.526643: "divide the sum by N, not by N × N",
                                                 1.212691: "normalise the embeddings first"}),
             ((img, txt, 5.0, -2.0), 1.501683, {0.500561: "divide the sum by N, not by N × N",
                                                3.224919: "normalise the embeddings first",
                                                2.423714: "off-diagonal pairs need label -1"})]
    for (a, b, scale, bias), want, wrong in cases:
        try:
            got = answer(a.clone(), b.clone(), scale, bias)
        except NotImplementedError:
            say("○ Not attempted yet: replace `raise NotImplementedError()` with your code.")
            return None
        except Exception as err:  # noqa: BLE001 - any learner error becomes feedback
            say(f"✘ With scale={scale}, bias={bias} your function raised {type(err).__name__}: {err}")
            return False
        if not isinstance(got, torch.Tensor) or got.dim() != 0:
            say("✘ Return a scalar (0-d) tensor: sum the per-pair losses, divide by N.")
            return False
        if abs(got.item() - want) < 1e-4:
            continue
        hint = next((h for v, h in wrong.items() if abs(got.item() - v) < 1e-4),
                    "logits = scale × cosine + bias; label +1 on the diagonal, -1 elsewhere; "
                    "loss = -sum(log sigmoid(label × logit)) / N")
        say(f"✘ With scale={scale}, bias={bias} your loss is {got.item():.4f}, expected "
            f"{want:.4f}. Hint: {hint}.")
        return False
    say("✔ Right: every pair is its own yes/no question, no softmax over the batch.")
    return True


# %% [markdown]
# ### Exercise 2.5: SigLIP's sigmoid loss
#
# **Kind:** transfer
#
# SigLIP ([Zhai et al., 2023](https://arxiv.org/abs/2303.15343)) drops the softmax. Every pair
# `(i, j)` of the `N × N` matrix becomes its own yes/no question, "is this the right caption?",
# with label `z = +1` on the diagonal and `z = −1` elsewhere. With logits
# `scale · cos(image i, text j) + bias`, the loss is
# `−(1/N) · Σ_i Σ_j log σ(z_ij · logit_ij)`, where `σ` is the sigmoid `1 / (1 + e^(−x))`
# (both the scale and the bias are learned; SigLIP starts them at 10 and −10). Write
# `siglip_loss(image_emb, text_emb, scale, bias)` that returns this loss as a 0-d tensor.
#
# <details><summary>Hint</summary>
#
# Build the logits like CLIP's, add the bias; `2 * torch.eye(N) - 1` is the label matrix;
# `F.logsigmoid(x)` is a numerically safe `log σ(x)`. Sum everything, then divide by `N`.
#
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex2-5-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Your answer to Exercise 2.5
def siglip_loss(image_emb, text_emb, scale, bias):
    """SigLIP's pairwise sigmoid loss of (N, D), (N, D) matching pairs -> a 0-d tensor."""
    ### BEGIN SOLUTION
    pair_logits = scale * F.normalize(image_emb, dim=-1) @ F.normalize(text_emb, dim=-1).T + bias
    labels = 2 * torch.eye(len(pair_logits)) - 1               # +1 diagonal, -1 elsewhere
    return -F.logsigmoid(labels * pair_logits).sum() / len(pair_logits)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex2-5-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Check your answer to Exercise 2.5
check_siglip_loss(siglip_loss);
### BEGIN HIDDEN TESTS
assert check_siglip_loss(siglip_loss, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# Because each pair is scored on its own, SigLIP needs no softmax over the whole batch: the
# paper uses this to spread very large batches over many devices cheaply.
#
# ## 7. Check your understanding
#
# Click an answer to get feedback (the quiz works without a running kernel).

# %% tags=["remove-input"] jupyter={"source_hidden": true} cellView="form"
#@title Quiz (run it to show the questions)
from jupyterquiz import display_quiz

display_quiz([
    {
        "question": "A real CLIP model gives an image and its correct caption a cosine "
                    "similarity of 0.31. What can you conclude?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "Nothing on its own: compare it with the other captions' cosines",
             "correct": True,
             "feedback": "Yes. What matters is which caption ranks first; the logit scale turns "
                         "small gaps between cosines into a confident softmax."},
            {"answer": "The match is poor, since a good match is close to 1", "correct": False,
             "feedback": "Only if cosines used their whole range; trained models' do not, so "
                         "an absolute threshold near 1 misleads."},
            {"answer": "The image is 31 % likely to match", "correct": False,
             "feedback": "A cosine is the cosine of an angle, not a probability."},
        ],
    },
    {
        "question": "Why is CLIP's loss symmetric (image→text and text→image)?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "So each image picks out its caption among the batch's captions, and each "
                       "caption picks out its image among the batch's images", "correct": True,
             "feedback": "Right: the row softmax trains image→text retrieval, the column softmax "
                         "text→image; both uses need to work."},
            {"answer": "Because cross-entropy only works on square matrices", "correct": False,
             "feedback": "Cross-entropy works on any logits; the matrix is square because the "
                         "batch holds N pairs."},
            {"answer": "To double the learning rate", "correct": False,
             "feedback": "It is the mean of the two terms, not their sum."},
        ],
    },
    {
        "question": "The logit scale goes from 14.3 to 100. What happens to the ranking of the "
                    "captions for an image?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "Nothing: every cosine is multiplied by the same positive number",
             "correct": True,
             "feedback": "Right: the order is kept; the softmax just puts more probability on "
                         "the top caption, right or wrong."},
            {"answer": "The true caption moves to the top", "correct": False,
             "feedback": "A scale cannot reorder a row; if the true caption is not on top, it "
                         "stays below, only more confidently."},
            {"answer": "The ranking is reversed", "correct": False,
             "feedback": "Only a negative scale would do that; the scale is stored as a log, so "
                         "it is always positive."},
        ],
    },
])

# %% [markdown]
# ## 8. Summary
#
# - Cosine similarity is the dot product of unit vectors: normalise once, and one matrix product
#   compares every image with every caption.
# - CLIP's loss is two cross-entropies over that matrix, one along the rows and one along the
#   columns, with the true pairs on the diagonal. A model that tells nothing apart costs ln N.
# - The learned logit scale sharpens the softmax without changing any ranking.
#
# **Next:** [lesson 2.3](https://pixels-to-tokens.github.io/pixels-to-tokens/notebooks/2-guided/2-3-training-a-tiny-clip.html)
# trains a tiny CLIP with this loss and tests it on colour–shape pairs it never saw.
