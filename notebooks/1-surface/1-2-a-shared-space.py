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
# # 1.2 A shared space
#
# A picture of a red circle and the words "a red circle" start life as completely different
# things: a grid of pixels and a string of letters. Models such as CLIP give both a vector in
# **one** space, so that an image and a caption that describe the same thing point the same
# way. This lesson builds that idea from the ground up: first the yardstick (cosine
# similarity) on arrows you can see, then two tiny encoders, one for pictures and one for
# captions, which a contrastive loss pulls into a shared 2-D space in a few seconds of
# training. At the end you will read a real model's similarity numbers correctly.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pixels-to-tokens/pixels-to-tokens/blob/main/notebooks/1-surface/1-2-a-shared-space.ipynb)
#
# **What you will build**
# - cosine similarity by hand, on arrows drawn in the plane;
# - a small data set of coloured shapes with captions, generated in the notebook;
# - an image encoder and a caption encoder that both output points on the unit circle;
# - a contrastive training run that aligns them, seen before and after;
# - a similarity heat-map, caption retrieval with a measured accuracy, and a look at why
#   real CLIP scores are small numbers that still decide.
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
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

SEED = 0
torch.manual_seed(SEED)
torch.set_num_threads(1)  # our models are tiny: one thread avoids costly thread hand-offs
rng = np.random.default_rng(SEED)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(f"torch {torch.__version__}, running on {device}")

# %% [markdown]
# ## Cosine similarity: comparing directions
#
# Two vectors *u* and *v* make an angle θ. Its cosine is
#
# $$\cos\theta = \frac{u \cdot v}{\lVert u\rVert\,\lVert v\rVert},$$
#
# the dot product divided by both lengths. It is 1 when the arrows point the same way, 0 when
# they are at right angles and −1 when they point in opposite directions. A vector of length
# zero has no direction, so its cosine is undefined: our function refuses it rather than
# return a silent `nan`.

# %% tags=["export"]
import torch


def cosine(u, v):
    """Cosine similarity of two vectors.

    In:  ``u`` and ``v`` 1-D tensors (or lists of numbers) of the same length, neither all zeros.
    Out: a Python float in [-1, 1].
    Raises ``ValueError`` for vectors of different lengths, not 1-D, or of length zero.
    """
    u = torch.as_tensor(u, dtype=torch.float64)
    v = torch.as_tensor(v, dtype=torch.float64)
    if u.dim() != 1 or v.dim() != 1 or u.shape != v.shape:
        raise ValueError(f"expected two 1-D vectors of the same length, got shapes "
                         f"{tuple(u.shape)} and {tuple(v.shape)}")
    nu, nv = torch.linalg.vector_norm(u), torch.linalg.vector_norm(v)
    if nu == 0 or nv == 0:
        raise ValueError("cosine similarity is undefined for a zero vector (it has no direction)")
    return float((u @ v) / (nu * nv))


# %% [markdown]
# Four arrows in the plane. `d` is `a` made three times longer.

# %%
arrows = {"a": [3.0, 1.0], "b": [1.0, 2.5], "c": [-2.0, 1.0], "d": [9.0, 3.0]}
for name in ["b", "c", "d"]:
    u, v = torch.tensor(arrows["a"]), torch.tensor(arrows[name])
    print(f"a·{name} = {float(u @ v):6.2f}   |a| = {float(u.norm()):.2f}   |{name}| = "
          f"{float(v.norm()):.2f}   cos(a, {name}) = {cosine(u, v):+.3f}")

# %% tags=["hide-input"]
fig, ax = plt.subplots(figsize=(5.5, 4))
colours = {"a": "tab:blue", "b": "tab:green", "c": "tab:red", "d": "tab:purple"}
for name, (x, y) in arrows.items():
    ax.annotate("", xy=(x, y), xytext=(0, 0),
                arrowprops=dict(arrowstyle="-|>", color=colours[name], lw=2 if name != "d" else 1))
    label = name if name == "a" else f"{name}: cos(a,{name}) = {cosine(arrows['a'], arrows[name]):+.2f}"
    ax.text(x * 1.04, y * 1.04 + 0.15, label, color=colours[name], fontsize=9)
ax.set_xlim(-3, 11)
ax.set_ylim(-0.5, 4)
ax.set_aspect("equal")
ax.axhline(0, color="grey", lw=0.5)
ax.axvline(0, color="grey", lw=0.5)
ax.set_xlabel("first coordinate")
ax.set_ylabel("second coordinate")
ax.set_title("Cosine compares directions, not lengths")
plt.show()

# %% [markdown]
# `d` lies on top of `a`, only longer, and its cosine with `a` is exactly 1. Scaling a vector
# by any positive number changes its dot products but never its cosines, as the next cell
# checks for a few scale factors:

# %%
a, b = torch.tensor(arrows["a"], dtype=torch.float64), torch.tensor(arrows["b"], dtype=torch.float64)
for k in [0.1, 1.0, 3.0, 100.0]:
    print(f"scale b by {k:>5}: dot(a, k·b) = {float(a @ (k * b)):8.2f}   cos(a, k·b) = {cosine(a, k * b):.6f}")
    assert abs(cosine(a, k * b) - cosine(a, b)) < 1e-12
assert abs(cosine(arrows["a"], arrows["d"]) - 1.0) < 1e-12

# %% [markdown]
# This is why models that compare images with text **L2-normalise** their vectors first
# (divide each by its length): once every vector has length 1, the dot product *is* the
# cosine, and all the points lie on a circle (in 2-D) or a sphere (in more dimensions).
# Only the direction carries meaning. Bad input fails early:

# %%
for bad in [([0.0, 0.0], [1.0, 2.0]), ([1.0, 2.0], [1.0, 2.0, 3.0])]:
    try:
        cosine(*bad)
    except ValueError as err:
        print("ValueError:", err)

# %% [markdown]
# ## A tiny world of captioned pictures
#
# To train a shared space we need pairs: an image and a caption that describes it. We draw our
# own: three colours × three shapes, each shape at a random size and position on a light grey
# background, 32 × 32 pixels (drawn four times larger, then shrunk, for clean edges). The
# caption is simply "a *colour* *shape*".

# %% tags=["export"]
import numpy as np
import torch
from PIL import Image, ImageDraw

COLOURS = {"red": (215, 40, 40), "green": (30, 150, 60), "blue": (40, 80, 220)}
SHAPES = ("circle", "square", "triangle")
CAPTIONS = [f"a {c} {s}" for c in COLOURS for s in SHAPES]  # 9 captions, class k = CAPTIONS[k]


def draw_shape(colour, shape, rng, size=32):
    """Draw one shape at a random size and position.

    In:  ``colour`` a key of COLOURS; ``shape`` one of SHAPES; ``rng`` a numpy Generator;
         ``size`` the side of the square image in pixels.
    Out: a uint8 array of shape (size, size, 3).
    """
    if colour not in COLOURS or shape not in SHAPES:
        raise ValueError(f"unknown colour/shape {colour!r}/{shape!r}; "
                         f"choose from {list(COLOURS)} and {list(SHAPES)}")
    big = size * 4  # draw at 4x, then shrink: smooth edges
    image = Image.new("RGB", (big, big), (235, 235, 235))
    pen = ImageDraw.Draw(image)
    side = rng.uniform(0.35, 0.7) * big
    cx, cy = rng.uniform(side / 2 + 2, big - side / 2 - 2, size=2)
    box = [cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2]
    if shape == "circle":
        pen.ellipse(box, fill=COLOURS[colour])
    elif shape == "square":
        pen.rectangle(box, fill=COLOURS[colour])
    else:
        pen.polygon([(cx, box[1]), (box[0], box[3]), (box[2], box[3])], fill=COLOURS[colour])
    return np.asarray(image.resize((size, size), Image.BOX))


def make_dataset(per_caption, rng, size=32):
    """``per_caption`` random images of each of the 9 captions.

    Out: ``images`` float tensor (9*per_caption, 3, size, size) in [0, 1] and ``labels`` long
         tensor (9*per_caption,) holding the index of each image's caption in CAPTIONS.
    """
    pictures, labels = [], []
    for k, caption in enumerate(CAPTIONS):
        _, colour, shape = caption.split()
        for _ in range(per_caption):
            pictures.append(draw_shape(colour, shape, rng, size))
            labels.append(k)
    images = torch.from_numpy(np.stack(pictures)).permute(0, 3, 1, 2).float() / 255  # (N, 3, H, W)
    return images, torch.tensor(labels)


# %% [markdown]
# A training set and a separate test set. The test images are new random drawings the
# encoders never see during training.

# %%
train_images, train_labels = make_dataset(60, rng)
test_images, test_labels = make_dataset(30, rng)
print("train:", tuple(train_images.shape), " test:", tuple(test_images.shape))
assert train_images.shape == (9 * 60, 3, 32, 32) and test_images.shape == (9 * 30, 3, 32, 32)
assert torch.bincount(test_labels).tolist() == [30] * 9

# %% tags=["hide-input"]
fig, axes = plt.subplots(3, 9, figsize=(11, 4))
for k, caption in enumerate(CAPTIONS):
    examples = torch.where(train_labels == k)[0][:3]
    for row, i in enumerate(examples):
        axes[row, k].imshow(train_images[i].permute(1, 2, 0).numpy())
        axes[row, k].axis("off")
    axes[0, k].set_title(caption.removeprefix("a "), fontsize=8)
fig.suptitle("Three training images per caption (32 × 32 px)")
plt.show()

# %% [markdown]
# ## Two encoders, one space
#
# Each encoder turns its input into a point in the **same** 2-D space, and then normalises it,
# so every point lands on the unit circle (a real CLIP does the same with 512 or more
# dimensions instead of 2).
#
# - The **image encoder** is a tiny convolutional network: three small filter layers, a
#   max over positions (so it does not care *where* the shape is), and one linear layer to 2
#   numbers.
# - The **caption encoder** is even simpler: it counts which of the 7 vocabulary words occur
#   (a **bag of words**) and applies one linear layer.

# %% tags=["export"]
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = ["a", "red", "green", "blue", "circle", "square", "triangle"]


def bag_of_words(captions):
    """Turn captions into word counts over VOCAB.

    In:  a list of strings using only VOCAB words. Out: float tensor (len(captions), len(VOCAB)).
    """
    counts = torch.zeros(len(captions), len(VOCAB))
    for i, caption in enumerate(captions):
        for word in caption.lower().split():
            if word not in VOCAB:
                raise ValueError(f"word {word!r} of caption {caption!r} is not in the vocabulary {VOCAB}")
            counts[i, VOCAB.index(word)] += 1
    return counts


class ImageEncoder(nn.Module):
    """(B, 3, H, W) images in [0, 1] -> (B, dim) unit vectors."""

    def __init__(self, dim=2):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.GELU(), nn.MaxPool2d(2),    # (B, 8, H/2, W/2)
            nn.Conv2d(8, 16, 3, padding=1), nn.GELU(), nn.MaxPool2d(2),   # (B, 16, H/4, W/4)
            nn.Conv2d(16, 32, 3, padding=1), nn.GELU(),                   # (B, 32, H/4, W/4)
            nn.AdaptiveMaxPool2d(1), nn.Flatten(),                        # (B, 32)
            nn.Linear(32, dim),                                           # (B, dim)
        )

    def forward(self, images):
        return F.normalize(self.net(images - 0.5), dim=-1)


class CaptionEncoder(nn.Module):
    """(B, len(VOCAB)) word counts -> (B, dim) unit vectors."""

    def __init__(self, dim=2):
        super().__init__()
        self.linear = nn.Linear(len(VOCAB), dim)

    def forward(self, counts):
        return F.normalize(self.linear(counts), dim=-1)


# %%
image_encoder = ImageEncoder().to(device)
caption_encoder = CaptionEncoder().to(device)
caption_counts = bag_of_words(CAPTIONS).to(device)  # (9, 7)

with torch.no_grad():
    z_img = image_encoder(test_images[:5].to(device))  # (5, 2)
    z_txt = caption_encoder(caption_counts)             # (9, 2)
print("image points:", tuple(z_img.shape), " caption points:", tuple(z_txt.shape))
print("lengths:", z_img.norm(dim=-1).cpu().numpy().round(4), z_txt.norm(dim=-1).cpu().numpy().round(4))
print("parameters: image", sum(p.numel() for p in image_encoder.parameters()),
      " caption", sum(p.numel() for p in caption_encoder.parameters()))
assert z_img.shape == (5, 2) and z_txt.shape == (9, 2)
assert torch.allclose(z_img.norm(dim=-1), torch.ones(5, device=device), atol=1e-5)

# %% [markdown]
# Because every point has length 1, the cosine of an image and a caption is just their dot
# product, and the whole image × caption similarity table is one matrix product:
# `images @ captions.T`, of shape (number of images, number of captions).
#
# ## The contrastive loss
#
# Training shows the encoders a batch of matched pairs: here, one image for each of the 9
# captions. In the 9 × 9 table of cosines the diagonal holds the matching pairs. The loss asks,
# for each image, "which caption is yours?" as a 9-way classification over its row, and for
# each caption the same question over its column; it averages the two cross-entropies. This
# is the symmetric **[InfoNCE](../../book/glossary.md#contrastive-loss-infonce)** loss that CLIP trains with
# ([Radford et al., 2021](https://arxiv.org/abs/2103.00020)). Before the softmax the cosines are
# multiplied by a **[logit scale](../../book/glossary.md#logit-scale-temperature)** (the inverse of a temperature); we fix it at 10 here.

# %% tags=["export"]
import torch
import torch.nn.functional as F


def contrastive_loss(image_vectors, caption_vectors, logit_scale=10.0):
    """Symmetric InfoNCE (CLIP) loss of a batch of matched pairs.

    In:  ``image_vectors`` and ``caption_vectors`` (B, D) unit vectors, row i of one matching
         row i of the other; ``logit_scale`` multiplies the cosines before the softmax.
    Out: a scalar tensor, the mean of the image->caption and caption->image cross-entropies.
    """
    if image_vectors.shape != caption_vectors.shape or image_vectors.dim() != 2:
        raise ValueError(f"expected two (B, D) batches of the same shape, got "
                         f"{tuple(image_vectors.shape)} and {tuple(caption_vectors.shape)}")
    logits = logit_scale * image_vectors @ caption_vectors.T  # (B, B): cosines, scaled
    targets = torch.arange(len(logits), device=logits.device)  # pair i sits on the diagonal
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2


# %% [markdown]
# A value check before training: with 9 pairs and no idea yet, the loss should be near
# ln 9 (a uniform guess among 9); for a perfectly aligned batch it should be much lower.

# %%
with torch.no_grad():
    batch = torch.stack([torch.where(train_labels == k)[0][0] for k in range(9)])  # one image per caption
    loss_untrained = contrastive_loss(image_encoder(train_images[batch].to(device)), caption_encoder(caption_counts))
    angles = torch.arange(9) * 2 * torch.pi / 9
    ideal = torch.stack([angles.cos(), angles.sin()], dim=1)  # 9 evenly spaced unit vectors
    loss_ideal = contrastive_loss(ideal, ideal)
print(f"ln 9 = {np.log(9):.3f}   untrained loss = {loss_untrained:.3f}   "
      f"9 evenly spaced, perfectly matched points = {loss_ideal:.3f}")
assert loss_ideal < loss_untrained

# %% [markdown]
# Even the ideal arrangement keeps some loss: on a circle, 9 directions are only 40° apart,
# so neighbours still get a share of the softmax. Real models have hundreds of dimensions and
# much more room.
#
# Before training, here is where things sit: 6 test images per caption (marker = shape,
# colour = colour) and the 9 captions (stars), each image joined to its own caption by a grey
# line. The random encoders place things with no regard for meaning, and the untrained image
# encoder barely tells the pictures apart at all.

# %% tags=["hide-input"]
MARKERS = {"circle": "o", "square": "s", "triangle": "^"}
SHOWN = torch.stack([torch.where(test_labels == k)[0][:6] for k in range(9)]).flatten()  # 6 per caption


def plot_space(ax, title):
    """Scatter 54 test images and the 9 captions on the unit circle, matched pairs joined."""
    with torch.no_grad():
        zi = image_encoder(test_images[SHOWN].to(device)).cpu()
        zt = caption_encoder(caption_counts).cpu()
    t = np.linspace(0, 2 * np.pi, 200)
    ax.plot(np.cos(t), np.sin(t), color="lightgrey", lw=1)
    for (x, y), k in zip(zi.numpy(), test_labels[SHOWN].tolist()):
        ax.plot([x, zt[k, 0]], [y, zt[k, 1]], color="grey", lw=0.4, alpha=0.6, zorder=1)
    for (x, y), k in zip(zi.numpy(), test_labels[SHOWN].tolist()):
        _, colour, shape = CAPTIONS[k].split()
        ax.scatter(x, y, marker=MARKERS[shape], color=np.array(COLOURS[colour]) / 255, s=22, alpha=0.7,
                   zorder=3)
    for k, caption in enumerate(CAPTIONS):
        _, colour, shape = caption.split()
        ax.scatter(*zt[k], marker="*", s=220, color=np.array(COLOURS[colour]) / 255, edgecolor="black",
                   zorder=2)
        ax.text(zt[k, 0] * 1.27, zt[k, 1] * 1.27, caption.removeprefix("a "), fontsize=7,
                ha="center", va="center")
    ax.set_aspect("equal")
    ax.set_xlim(-1.45, 1.45)
    ax.set_ylim(-1.45, 1.45)
    ax.set_xlabel("embedding dimension 1")
    ax.set_ylabel("embedding dimension 2")
    ax.set_title(title)


fig, ax = plt.subplots(figsize=(5, 5))
plot_space(ax, "Before training: images (markers) and captions (stars)")
plt.show()

# %% [markdown]
# ## Training
#
# Each step draws one random training image per caption, computes the loss and nudges both
# encoders. A fixed number of steps, seeded, so every run is the same.

# %% tags=["hide-input"]
STEPS = 400
optimizer = torch.optim.Adam([*image_encoder.parameters(), *caption_encoder.parameters()], lr=1e-2)
by_caption = [torch.where(train_labels == k)[0] for k in range(9)]
generator = torch.Generator().manual_seed(SEED)
losses = []
wall, cpu = time.perf_counter(), time.process_time()
for step in tqdm(range(STEPS), desc="training"):
    picks = torch.stack([idx[torch.randint(len(idx), (1,), generator=generator)][0] for idx in by_caption])
    loss = contrastive_loss(image_encoder(train_images[picks].to(device)), caption_encoder(caption_counts))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
print(f"{STEPS} steps in {wall:.1f} s wall, {cpu:.1f} s CPU; "
      f"loss {np.mean(losses[:20]):.3f} (first 20 steps) -> {np.mean(losses[-20:]):.3f} (last 20)")
assert np.mean(losses[-20:]) < 0.5 * np.mean(losses[:20])

# %% tags=["hide-input"]
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(losses, lw=0.7, alpha=0.5, label="per step")
ax.plot(np.arange(19, STEPS), np.convolve(losses, np.ones(20) / 20, mode="valid"), lw=2,
        label="mean of the last 20 steps")
ax.axhline(float(loss_ideal), color="grey", ls="--", lw=1, label="9 evenly spaced points")
ax.set_xlabel("training step")
ax.set_ylabel("contrastive loss (nats)")
ax.set_title("Symmetric InfoNCE loss during training")
ax.legend()
plt.show()

# %% [markdown]
# ## After training
#
# The same test images and captions, now through the trained encoders:

# %% tags=["hide-input"]
fig, ax = plt.subplots(figsize=(5, 5))
plot_space(ax, "After training: each image sits by its caption")
plt.show()

# %% [markdown]
# The images of each caption gather next to it, and the 9 captions spread around the circle.
# Notice that nothing told the model that "red" is a colour or what a triangle looks like: the
# only signal was which caption came with which picture.
#
# Two dimensions are very cramped, and that has a cost you may meet if you change `SEED`: now
# and then a run gets stuck early with whole groups of images collapsed onto one point (the
# loss then stalls well above the curve shown here), and the optimiser does not find its way
# out within the steps we give it. A circle leaves little room to rearrange points; real
# models work in hundreds of dimensions, and lesson 3.2 trains in more than two.
#
# ## The similarity table
#
# Take one test image per caption and compute its cosine with all 9 captions. The matching
# pairs are on the diagonal.

# %%
image_encoder.eval()
with torch.no_grad():
    z_test = image_encoder(test_images.to(device)).cpu()       # (270, 2)
    z_captions = caption_encoder(caption_counts).cpu()          # (9, 2)
similarity = z_test @ z_captions.T                              # (270, 9) cosines
one_each = torch.stack([torch.where(test_labels == k)[0][0] for k in range(9)])
print("cosines of 9 test images (rows) with the 9 captions (columns):")
print(similarity[one_each].numpy().round(2))
assert similarity.shape == (270, 9)

# %% tags=["hide-input"]
fig, ax = plt.subplots(figsize=(6.5, 5.5))
im = ax.imshow(similarity[one_each].numpy(), cmap="viridis", vmin=-1, vmax=1)
for i in range(9):
    for j in range(9):
        value = float(similarity[one_each][i, j])
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7,
                color="black" if value > 0.3 else "white")
short = [c.removeprefix("a ") for c in CAPTIONS]
ax.set_xticks(range(9), short, rotation=60, ha="right", fontsize=8)
ax.set_yticks(range(9), [f"image of {s}" for s in short], fontsize=8)
ax.set_xlabel("caption")
ax.set_ylabel("test image")
ax.set_title("Image × caption cosine similarity")
fig.colorbar(im, ax=ax, label="cosine")
plt.show()

# %% [markdown]
# ## Retrieval: the nearest caption
#
# To "read" an image with this model, pick the caption with the highest cosine. On all 270
# held-out test images (new drawings, never trained on):

# %% tags=["export"]
import torch


def retrieval_accuracy(similarity, labels):
    """Share of rows whose highest-scoring column is the right one.

    In:  ``similarity`` (N, M) scores of N queries against M candidates; ``labels`` (N,) the
         index of each query's right candidate. Out: a float in [0, 1].
    """
    similarity, labels = torch.as_tensor(similarity), torch.as_tensor(labels)
    if similarity.dim() != 2 or labels.shape != (similarity.shape[0],):
        raise ValueError(f"expected scores (N, M) and labels (N,), got {tuple(similarity.shape)} "
                         f"and {tuple(labels.shape)}")
    return float((similarity.argmax(dim=1) == labels).float().mean())


# %%
accuracy = retrieval_accuracy(similarity, test_labels)
print(f"nearest-caption accuracy on {len(test_labels)} held-out images: {accuracy:.1%} "
      f"(chance: 1/9 = {1 / 9:.1%})")
assert accuracy >= 0.8, "retrieval should be far above chance"

# %% [markdown]
# The assert above is a floor with a wide margin (training is seeded, but a different
# machine may round differently). Where does it go wrong, if anywhere? The confusion counts:

# %%
confusion = torch.zeros(9, 9, dtype=torch.long)
for truth, guess in zip(test_labels.tolist(), similarity.argmax(dim=1).tolist()):
    confusion[truth, guess] += 1
mistakes = [(CAPTIONS[t], CAPTIONS[g], int(confusion[t, g])) for t in range(9) for g in range(9)
            if t != g and confusion[t, g]]
print("mistakes (true caption -> chosen caption: count):", mistakes or "none")

# %% [markdown]
# ## What a real CLIP's numbers look like
#
# Our model was trained until matching cosines are close to 1. A real CLIP is different, and
# readers are often surprised by it:
#
# - **The cosines are small.** Image–caption cosines of a real CLIP, matching or not, sit in a
#   narrow band, roughly 0.1 to 0.35 for ViT-B/32: a good caption scores only a little higher
#   than a poor one. The CLIPScore metric multiplies the cosine by 2.5 precisely because raw
#   values rarely go above about 0.4 ([Hessel et al., 2021](https://arxiv.org/abs/2104.08718)).
# - **Why so small:** image vectors and text vectors sit in two separate narrow cones of the
#   space, the **[modality gap](../../book/glossary.md#modality-gap)** ([Liang et al., 2022](https://arxiv.org/abs/2203.02053)); a
#   caption is never *close* to an image in absolute terms, only closer than the other
#   captions.
# - **Only the ranking matters.** CLIP multiplies the cosines by a learned logit scale
#   (initialised at 1/0.07 ≈ 14.3 and capped at 100) before the softmax
#   ([Radford et al., 2021](https://arxiv.org/abs/2103.00020)); the released models have reached
#   the cap, so their logits are 100 · cos. A cosine of 0.30 does not mean "30 % match"; it means
#   something only next to the scores of the other candidates.
#
# We cannot run a real CLIP here (nothing is downloaded), but we can check both points with our
# own model. First: squeeze our cosines into CLIP's band with an increasing map. The values
# change completely; the ranking, and so the retrieval accuracy, does not:

# %%
squeezed = 0.1 + 0.25 * (similarity + 1) / 2  # maps [-1, 1] onto [0.10, 0.35], keeps the order
acc_squeezed = retrieval_accuracy(squeezed, test_labels)
print(f"cosines now between {squeezed.min():.3f} and {squeezed.max():.3f}; "
      f"retrieval accuracy {acc_squeezed:.1%} (was {accuracy:.1%})")
assert acc_squeezed == accuracy

# %% [markdown]
# Second: why a small difference in cosine is still decisive. Take one test image, its squeezed
# cosines with the 9 captions, and turn them into probabilities with a softmax after
# multiplying by 1, by 10 and by 100:

# %%
row = squeezed[one_each[0]]  # cosines of the first test image ("a red circle") with the 9 captions
top2 = row.topk(2).values
print(f"best caption: {CAPTIONS[int(row.argmax())]!r}; best cosine {top2[0]:.3f}, "
      f"runner-up {top2[1]:.3f}, gap {top2[0] - top2[1]:.3f}")
probs = {scale: torch.softmax(scale * row, dim=0) for scale in (1, 10, 100)}
for scale, p in probs.items():
    print(f"softmax({scale:>3} · cos): probability of the best caption = {p.max():.3f}")
print(f"at scale 100 the best caption is e^(100 · gap) = {torch.exp(100 * (top2[0] - top2[1])):.0f} "
      "times as likely as the runner-up")
assert probs[100].max() > probs[10].max() > probs[1].max()

# %% tags=["hide-input"]
fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), sharey=True)
for ax, (scale, p) in zip(axes, probs.items()):
    ax.bar(range(9), p.numpy(), color=["tab:orange" if k == int(row.argmax()) else "tab:blue" for k in range(9)])
    ax.set_xticks(range(9), short, rotation=60, ha="right", fontsize=7)
    ax.set_title(f"softmax({scale} · cos)")
    ax.set_xlabel("caption")
axes[0].set_ylabel("probability")
fig.suptitle("The same small cosines, three logit scales (cosines squeezed into 0.10–0.35)")
plt.tight_layout()
plt.show()

# %% [markdown]
# With a scale of 1 the softmax is almost uniform: the cosines differ by a few hundredths.
# With CLIP's 100, the same small gap becomes a decisive choice. When you see a CLIP cosine,
# compare it with the alternatives; never read it as a percentage.
#
# ## Exercise
#
# ### Exercise 1.2: the similarity matrix
#
# Write `cosine_matrix(A, B)`: given a tensor `A` of shape (N, D) and `B` of shape (M, D)
# whose rows are **not** normalised, return the (N, M) tensor of cosines between every row of
# `A` and every row of `B`. A row of zeros has no direction: raise a `ValueError` saying so.
#
# <details><summary>Hint</summary>
#
# Divide each row by its own length (`torch.linalg.vector_norm(A, dim=1, keepdim=True)`), then
# one matrix product `A_unit @ B_unit.T` gives all the cosines. Check for zero lengths
# *before* dividing: `torch.nn.functional.normalize` quietly returns a zero row instead.
#
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex1-2-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
def cosine_matrix(A, B):
    """Cosines between every row of A (N, D) and every row of B (M, D), as an (N, M) tensor."""
    ### BEGIN SOLUTION
    norm_a = torch.linalg.vector_norm(A, dim=1, keepdim=True)  # (N, 1)
    norm_b = torch.linalg.vector_norm(B, dim=1, keepdim=True)  # (M, 1)
    if (norm_a == 0).any() or (norm_b == 0).any():
        raise ValueError("a row of zeros has no direction: its cosine is undefined")
    return (A / norm_a) @ (B / norm_b).T
    ### END SOLUTION


# %% tags=["export"]
import torch


def check_cosine_matrix(fn, quiet=False):
    """Self-check for Exercise 1.2.

    In:  ``fn(A, B) -> (N, M) tensor`` of cosines between the rows of A (N, D) and B (M, D).
    Out: True (correct), False (wrong; prints what and a hint) or None (not attempted).
    """
    say = (lambda *a: None) if quiet else print
    g = torch.Generator().manual_seed(1)
    A = torch.randn(4, 3, generator=g) * torch.tensor([[0.5], [2.0], [7.0], [1.0]])  # rows of varied length
    B = torch.randn(5, 3, generator=g) * torch.tensor([[3.0], [0.2], [1.0], [4.0], [1.5]])
    A[3] = 2.5 * B[1]  # a pair pointing the same way: cosine exactly 1
    want = torch.tensor([[float((a @ b) / (a.norm() * b.norm())) for b in B] for a in A])
    try:
        got = fn(A.clone(), B.clone())
    except NotImplementedError:
        say("○ Not attempted yet: replace `raise NotImplementedError()` with your code.")
        return None
    except Exception as err:  # noqa: BLE001 - report any learner error as feedback
        say(f"✘ cosine_matrix(A, B) with A (4, 3) and B (5, 3) raised {type(err).__name__}: {err}")
        return False
    got = torch.as_tensor(got, dtype=torch.float32)
    if got.shape != (4, 5):
        say(f"✘ expected shape (4, 5) = (rows of A, rows of B), got {tuple(got.shape)}. "
            "Hint: the result is A_unit @ B_unit.T.")
        return False
    if not torch.allclose(got, want, atol=1e-4):
        columns = (A / A.norm(dim=0, keepdim=True)) @ (B / B.norm(dim=0, keepdim=True)).T
        if torch.allclose(got, columns, atol=1e-4):
            hint = ("you normalised the columns (dim=0); each row is one vector, so divide each row "
                    "by its own length (dim=1).")
        elif (got.abs() > 1 + 1e-4).any():
            hint = ("some values lie outside [-1, 1], so they are not cosines: divide every row of "
                    "both A and B by its length before the product.")
        else:
            hint = "normalise every row of both A and B to length 1, then take A_unit @ B_unit.T."
        row = ", ".join(f"{x:+.3f}" for x in got[0].tolist())
        expected = ", ".join(f"{x:+.3f}" for x in want[0].tolist())
        say(f"✘ wrong cosines: row 0 gave [{row}], expected [{expected}]. Hint: {hint}")
        return False
    zero = A.clone()
    zero[2] = 0.0
    try:
        result = fn(zero, B.clone())
    except ValueError:
        say("✔ Correct: unit rows, one matrix product, and a clear error for a zero row.")
        return True
    except Exception as err:  # noqa: BLE001
        say(f"✘ a zero row raised {type(err).__name__}: {err}; expected a ValueError that says why.")
        return False
    row = ", ".join(f"{x:+.3f}" for x in torch.as_tensor(result)[2].tolist())
    say(f"✘ a row of zeros gave [{row}] instead of a "
        "ValueError. Hint: a zero vector has no direction; check the lengths before dividing.")
    return False


# %% nbgrader={"grade": true, "grade_id": "ex1-2-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_cosine_matrix(cosine_matrix)
### BEGIN HIDDEN TESTS
assert check_cosine_matrix(cosine_matrix, quiet=True) is True
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
        "question": "A vision encoder and a text encoder have been aligned contrastively, like CLIP. "
                    "Which of these does the alignment give you on its own?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "Zero-shot classification and image–text retrieval by comparing cosines",
             "correct": True,
             "feedback": "Yes. Write each class as a caption and pick the closest; search works the "
                         "same way. Aligned image features are also a good input for a projector "
                         "into a language model."},
            {"answer": "Reliable reading of small text in the image", "correct": False,
             "feedback": "No. Alignment rewards whatever helps match captions at the training "
                         "resolution; reading text needs resolution and training for it."},
            {"answer": "Correct answers about relations such as 'left of' or 'on top of'", "correct": False,
             "feedback": "No. Aligned encoders often behave like a bag of words: 'a dog on a cat' and "
                         "'a cat on a dog' can score the same."},
        ],
    },
    {
        "question": "What does contrastive alignment NOT guarantee?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "That similarity scores are calibrated probabilities, or that a model built on "
                       "top never hallucinates", "correct": True,
             "feedback": "Right. A cosine is only meaningful against the other candidates, and a "
                         "language model reading the features can still describe things that are "
                         "not there. Compositional understanding is not guaranteed either."},
            {"answer": "That matching pairs score higher than mismatched ones on data like the "
                       "training data", "correct": False,
             "feedback": "That is exactly what the loss trains for, and our tiny model shows it."},
            {"answer": "That images and captions are mapped into the same space", "correct": False,
             "feedback": "That is the one thing alignment does by construction."},
        ],
    },
    {
        "question": "A real CLIP gives an image and its caption a cosine of 0.31. What can you conclude?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "Nothing yet: compare it with the cosines of the other candidate captions",
             "correct": True,
             "feedback": "Right. Real CLIP cosines sit in a narrow band; only the ranking matters, and "
                         "the logit scale of 100 turns small gaps into a decisive softmax."},
            {"answer": "The caption matches the image 31 % of the way", "correct": False,
             "feedback": "A cosine is not a percentage; good matches of real CLIP models often score "
                         "around 0.3."},
            {"answer": "The caption is probably wrong, since a match should score near 1", "correct": False,
             "feedback": "Image and text vectors sit in separate cones (the modality gap), so even "
                         "perfect matches stay far from 1."},
        ],
    },
    {
        "question": "You multiply one image's vector by 5 before comparing it with the captions. "
                    "What happens to its cosines?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "Nothing: cosine depends only on direction", "correct": True,
             "feedback": "Yes: the 5 appears in the dot product and in the length, and cancels."},
            {"answer": "They all grow five times", "correct": False,
             "feedback": "That is the dot product. Cosine divides by the lengths."},
        ],
    },
]
display_quiz(quiz)

# %% [markdown]
# ## What to remember
#
# - [Cosine similarity](../../book/glossary.md#cosine-similarity) compares directions: scaling a vector does not change it, and after
#   L2-normalisation it is a plain dot product.
# - A contrastive (InfoNCE) loss puts images and captions in one space by asking each image to
#   pick its own caption out of the batch, and each caption its own image.
# - Retrieval is "take the highest cosine". Real CLIP cosines are small and bunched together;
#   the ranking is what counts, and the logit scale of 100 makes a small gap decisive.
# - Alignment gives [zero-shot](../../book/glossary.md#zero-shot-classification) classification and retrieval; it does not give relations,
#   reading or calibrated scores for free.
#
# **Next:** lesson 1.3 counts what an image costs in a language model's [context window](../../book/glossary.md#context-window).
