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
# # 2.1 Patch embedding in code
#
# In lesson 1.1 an image became a grid of patches and each patch became a vector. Here you
# write that path in PyTorch for a batch of images and follow a photo all the way into a
# language model's input: patches by reshape and by sliding windows, the patch embedding as a
# strided convolution, a `[CLS]` token, position embeddings and a transformer encoder, a
# projector into the language model's width, and the splice of the image tokens into a prompt.
# The last section counts what the image costs in the language model's context at three
# resolutions.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pixels-to-tokens/pixels-to-tokens/blob/main/student/notebooks/2-guided/2-1-patch-embedding.ipynb)
#
# **What you will build**
# - `patchify` for batches `(B, C, H, W)` → `(B, N, C·P·P)`, with `reshape`/`permute` and with
#   `Tensor.unfold`, and the strided `nn.Conv2d` that is the patch embedding;
# - a tiny vision encoder (`[CLS]`, positions, two transformer blocks) and a projector;
# - the splice of image tokens into a prompt, a causal language model that reads it, and a
#   ledger of sequence length against the context limit at 224, 336 and 448 px.
#
# **Prerequisites:** [lesson 1.1](https://pixels-to-tokens.github.io/pixels-to-tokens/notebooks/1-surface/1-1-images-become-tokens.html)
# (patches, `[CLS]`, the two widths); PyTorch tensors (`reshape`, `permute`) and `nn.Linear`.
# **Time to study:** about 25 minutes. **Time to run:** about 10 s on a laptop CPU. Nothing
# is trained: the weights are random, because this lesson is about shapes and sequence length.

# %% cellView="form" jupyter={"source_hidden": true} tags=["hide-input"]
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
import torch.nn as nn
from PIL import Image
from skimage import data as skdata

SEED = 0
torch.manual_seed(SEED)
rng = np.random.default_rng(SEED)
torch.set_num_threads(1)  # one thread: as fast on a busy laptop as on a quiet one, same results
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
START = time.perf_counter()
print(f"torch {torch.__version__}, running on {device}")

# %% [markdown]
# ## 1. Patchify a batch, two ways
#
# We load the scikit-image astronaut photo (NASA, public domain) at 224 × 224 px as a batch of
# one, `(B, C, H, W)`, and cut it with 14-px patches, the patch size of CLIP ViT-L/14, the
# vision encoder of LLaVA-1.5 ([Liu et al., 2023](https://arxiv.org/abs/2310.03744)).

# %%
def load_photo(side):
    """The astronaut photo as a float tensor (1, 3, side, side) in [0, 1]."""
    photo = Image.fromarray(skdata.astronaut()).resize((side, side), Image.BICUBIC)
    x = torch.from_numpy(np.array(photo)).float() / 255   # (H, W, C)
    return x.permute(2, 0, 1).unsqueeze(0)                 # (1, C, H, W)


PATCH = 14
x224 = load_photo(224).to(device)
print("image tensor:", tuple(x224.shape))
assert x224.shape == (1, 3, 224, 224)

# %% [markdown]
# `patchify` is lesson 1.1's reshape–permute–reshape with a batch axis in front. One change:
# each patch vector is ordered **channel first** (all red pixels of the patch row by row, then
# green, then blue), the order of a convolution's weights, which section 2 needs. A folded cell
# checks the input first: a channels-last photo gets an error message that says so.

# %% cellView="form" jupyter={"source_hidden": true} tags=["export", "hide-input"]
#@title Input checks for the patchify functions (run it; no need to read it)
import torch


def _check_patch_input(images, patch):
    """Raise TypeError/ValueError, naming the mistake, unless images is (C, H, W) or
    (B, C, H, W) with sides that are multiples of the int ``patch`` >= 1."""
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be a torch.Tensor, got {type(images).__name__}")
    if isinstance(patch, bool) or not isinstance(patch, int):
        raise TypeError(f"patch must be an int, got {type(patch).__name__}")
    if patch < 1:
        raise ValueError(f"patch must be at least 1 pixel, got {patch}")
    if images.dim() not in (3, 4):
        raise ValueError(f"images must be (C, H, W) or (B, C, H, W); got {images.dim()} "
                         f"dimensions with shape {tuple(images.shape)}")
    if images.shape[-1] in (1, 3, 4) and images.shape[-3] not in (1, 3, 4):
        raise ValueError(f"images of shape {tuple(images.shape)} look channels-last (..., H, W, C); "
                         "put channels first with .permute(2, 0, 1) (one image) or "
                         ".permute(0, 3, 1, 2) (a batch)")
    height, width = images.shape[-2:]
    if height % patch or width % patch:
        raise ValueError(f"image sides ({height} × {width}) must be multiples of the patch size "
                         f"{patch}; resize or crop to, e.g., {height // patch * patch} × "
                         f"{width // patch * patch} first")


# %% tags=["export"]
def patchify(images, patch):
    """(C, H, W) or (B, C, H, W) -> (N, C*P*P) or (B, N, C*P*P), patches in reading order,
    each flattened channel first (the layout of a Conv2d weight (D, C, P, P))."""
    _check_patch_input(images, patch)
    x = images.unsqueeze(0) if images.dim() == 3 else images
    b, c, h, w = x.shape
    x = x.reshape(b, c, h // patch, patch, w // patch, patch)  # (B, C, H/P, P, W/P, P)
    x = x.permute(0, 2, 4, 1, 3, 5)                            # (B, H/P, W/P, C, P, P)
    x = x.reshape(b, -1, c * patch * patch)                    # (B, N, C*P*P)
    return x[0] if images.dim() == 3 else x


# %% [markdown]
# Shapes can be right while the content is scrambled, so check the content: patch `k` must be
# exactly the pixels of grid row `k // 16`, column `k % 16`.

# %%
patches = patchify(x224, PATCH)                    # (1, 256, 588)
grid, n_patches = 224 // PATCH, (224 // PATCH) ** 2
print("patches:", tuple(patches.shape), "= (batch, patches, 3·14·14 numbers)")
for k in [0, 1, grid, n_patches - 1]:
    r, c = divmod(k, grid)
    crop = x224[0, :, r * PATCH:(r + 1) * PATCH, c * PATCH:(c + 1) * PATCH]  # (C, P, P)
    assert torch.equal(patches[0, k], crop.reshape(-1))

# %% [markdown]
# `Tensor.unfold(dim, size, step)` is the second way: it slides a window of `size` along one
# axis, moving `step` at a time, and appends each window as a new last axis. With
# `size = step = P` the windows do not overlap, and unfolding height then width gives the grid.

# %% tags=["export"]
def patchify_unfold(images, patch):
    """Same contract as ``patchify``, computed with ``Tensor.unfold`` (sliding windows)."""
    _check_patch_input(images, patch)
    x = images.unsqueeze(0) if images.dim() == 3 else images
    b, c = x.shape[:2]
    x = x.unfold(2, patch, patch).unfold(3, patch, patch)  # (B, C, H/P, W/P, P, P)
    x = x.permute(0, 2, 3, 1, 4, 5)                        # (B, H/P, W/P, C, P, P)
    x = x.reshape(b, -1, c * patch * patch)                # (B, N, C*P*P)
    return x[0] if images.dim() == 3 else x


# %%
probe = torch.randn(2, 3, 4 * PATCH, 7 * PATCH, device=device)  # a random non-square batch
assert torch.equal(patchify_unfold(x224, PATCH), patches)
assert torch.equal(patchify_unfold(probe, PATCH), patchify(probe, PATCH))
print("unfold == reshape/permute on the photo and on a random batch", tuple(probe.shape))

# %% [markdown]
# ## 2. A strided convolution is the patch embedding
#
# The [patch embedding](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#patch-embedding)
# is a linear layer from the 588 numbers of a patch to the encoder's width *d*
# ([Dosovitskiy et al., 2020](https://arxiv.org/abs/2010.11929)). Ours is *d* = 96 to run
# instantly. Real encoders range from 384 (ViT-S, [Touvron et al., 2021](https://arxiv.org/abs/2012.12877))
# through 768 (ViT-B) and 1,024 (ViT-L) to 1,664 (ViT-G/14, the "bigG" of OpenCLIP,
# [Zhai et al., 2022](https://arxiv.org/abs/2106.04560)) and 3,200 (InternViT-6B,
# [Chen et al., 2024](https://arxiv.org/abs/2312.14238)); the width does not depend on the
# patch size.
#
# ViT code writes that linear layer as a **convolution**, `nn.Conv2d`. Three words:
# - the **kernel** is the window a convolution looks at, here *P* × *P* pixels over all *C*
#   channels;
# - a **filter** is one set of weights of the kernel's shape, `(C, P, P)`; the layer has *d*
#   filters, and each gives one output number per window: a dot product with the window, plus
#   a bias;
# - the **stride** is how far the window moves between two visits. With stride = kernel = *P*
#   the windows tile the image without overlap: each patch is visited exactly once.
#
# So a convolution whose *d* filters are the rows of the linear weight, reshaped from
# `(d, C·P·P)` to `(d, C, P, P)`, computes the linear layer on every patch.

# %% tags=["export"]
import torch
from torch import nn


def conv_from_linear(linear, channels, patch):
    """The Conv2d(C, d, kernel_size=P, stride=P) computing ``linear`` on every patch."""
    if linear.in_features != channels * patch * patch:
        raise ValueError(f"linear takes {linear.in_features} inputs but a {channels}-channel "
                         f"{patch}×{patch} patch has {channels * patch * patch} numbers")
    d = linear.out_features
    conv = nn.Conv2d(channels, d, kernel_size=patch, stride=patch).to(linear.weight.device)
    with torch.no_grad():
        conv.weight.copy_(linear.weight.reshape(d, channels, patch, patch))  # d filters
        conv.bias.copy_(linear.bias)
    return conv


# %%
VIT_WIDTH = 96
linear_embed = nn.Linear(3 * PATCH * PATCH, VIT_WIDTH).to(device)  # random weights
conv_embed = conv_from_linear(linear_embed, 3, PATCH)
with torch.no_grad():
    via_linear = linear_embed(patches)                    # (1, N, d)
    feature_map = conv_embed(x224)                        # (1, d, H/P, W/P)
    via_conv = feature_map.flatten(2).transpose(1, 2)     # (1, N, d)
print("conv output:", tuple(feature_map.shape), "-> as tokens:", tuple(via_conv.shape))
print(f"largest difference from Linear(patchify(x)): {(via_conv - via_linear).abs().max():.1e}")
torch.testing.assert_close(via_conv, via_linear, rtol=1e-4, atol=1e-4)

# %% [markdown]
# The convolution returns a feature map, one *d*-vector per grid cell laid out as an image;
# `flatten(2)` merges the two grid axes into one axis of *N* cells, and `transpose(1, 2)` puts
# that token axis before the channels, the (batch, tokens, width) layout a transformer reads.
# The printed difference is float32 rounding: the two paths add the same products in another
# order. The convolution is the faster way to write it, since it never builds the patch vectors.
#
# ## 3. The vision encoder: `[CLS]`, positions, transformer blocks
#
# A transformer treats its input as a set: shuffle the tokens and the outputs shuffle the same
# way. So each token gets a learned [position embedding](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#position-embedding)
# added to it, and ViT prepends one learned
# [`[CLS]` token](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#cls-token)
# whose final state summarises the image. `[CLS]` **adds one token**: *N* patches in,
# *N* + 1 tokens out, so the position table has *N* + 1 rows: one per grid cell and one for
# `[CLS]`. Both are parameters, started at small random values.
#
# Then come two transformer blocks (attention, then a small MLP, each added back to its input),
# built from PyTorch's `nn.TransformerEncoderLayer`. Like ViT and most recent models, they are
# **pre-norm**: a LayerNorm (rescaling each token to mean 0 and variance 1, then a learned
# scale and shift) is applied at the *input* of the attention and of the MLP. The original
# transformer of 2017 applied it after adding their output back (post-norm); pre-norm trains
# more stably ([Xiong et al., 2020](https://arxiv.org/abs/2002.04745)).
# `norm_first=True` selects it. A block never changes the number of tokens.

# %% tags=["export"]
import torch
from torch import nn


class TinyVisionEncoder(nn.Module):
    """Patch embedding (strided Conv2d) + [CLS] + learned positions + pre-norm blocks.

    In: images (B, C, image_size, image_size). Out: (B, 1 + N, width); token 0 is [CLS].
    """

    def __init__(self, image_size, patch=14, channels=3, width=96, depth=2, heads=4):
        super().__init__()
        _check_patch_input(torch.empty(channels, image_size, image_size), patch)
        self.grid = image_size // patch
        self.patch_embed = nn.Conv2d(channels, width, kernel_size=patch, stride=patch)
        self.cls_token = nn.Parameter(0.02 * torch.randn(1, 1, width))
        self.pos_embed = nn.Parameter(0.02 * torch.randn(1, 1 + self.grid ** 2, width))
        layer = nn.TransformerEncoderLayer(width, heads, dim_feedforward=4 * width, dropout=0.0,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, num_layers=depth, enable_nested_tensor=False)

    def forward(self, images):
        x = self.patch_embed(images).flatten(2).transpose(1, 2)    # (B, N, D)
        if x.shape[1] != self.grid ** 2:
            raise ValueError(f"this encoder's position table is for a {self.grid} × {self.grid} "
                             f"grid; images {tuple(images.shape)} give {x.shape[1]} patches")
        cls = self.cls_token.expand(x.shape[0], -1, -1)            # (B, 1, D)
        x = torch.cat([cls, x], dim=1) + self.pos_embed            # (B, 1+N, D)
        return self.blocks(x)                                      # (B, 1+N, D)


# %%
vision = TinyVisionEncoder(224, PATCH, width=VIT_WIDTH).to(device).eval()
with torch.no_grad():
    vision_out = vision(x224)                                      # (1, 1+N, d)
print(f"{n_patches} patches -> encoder output {tuple(vision_out.shape)}: [CLS] adds one token")
assert vision_out.shape == (1, 1 + n_patches, VIT_WIDTH)

# %% [markdown]
# ## 4. Into the language model's width, and into the prompt
#
# The language model reads vectors of its own width, which has nothing to do with the vision
# encoder's. Ours borrows the shape of GPT-2 small: width 768 and a context of 1,024 positions
# ([Radford et al., 2019](https://cdn.openai.com/better-language-models/language_models_are_unsupervised_multitask_learners.pdf)).
# LLaVA-1.5 drops `[CLS]` and maps each patch feature through a two-layer MLP with a GELU, its
# [projector](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#projector)
# ([Liu et al., 2023](https://arxiv.org/abs/2310.03744)). One patch in, one image token out.

# %%
LM_WIDTH, CONTEXT_LIMIT = 768, 1024
projector = nn.Sequential(nn.Linear(VIT_WIDTH, LM_WIDTH), nn.GELU(),
                          nn.Linear(LM_WIDTH, LM_WIDTH)).to(device)
with torch.no_grad():
    image_tokens = projector(vision_out[:, 1:])                    # drop [CLS]: (1, N, LM_WIDTH)
print("projector:", tuple(vision_out[:, 1:].shape), "->", tuple(image_tokens.shape))
assert image_tokens.shape == (1, n_patches, LM_WIDTH)

# %% [markdown]
# A LLaVA-style prompt marks where the image goes with a placeholder token, `<image>`. A toy
# word-level tokenizer (one id per word) keeps every id readable; real subword tokenizers
# change the text count, not the arithmetic. Its vocabulary also holds `<pad>`, the filler that
# makes prompts of different lengths the same length in a batch; this prompt does not need it,
# but Exercise 2.3 does.

# %%
PROMPT = "USER: <image> What is the person in this photo wearing ? ASSISTANT:"
words = PROMPT.split()
vocab = {w: i for i, w in enumerate(dict.fromkeys(["<pad>", "<image>"] + words))}
IMAGE_TOKEN_ID = vocab["<image>"]
token_ids = torch.tensor([vocab[w] for w in words], device=device)  # (T,)
embed_table = nn.Embedding(len(vocab), LM_WIDTH).to(device)
with torch.no_grad():
    text_embeds = embed_table(token_ids)                            # (T, LM_WIDTH)
print(f"{len(token_ids)} text tokens, the placeholder <image> (id {IMAGE_TOKEN_ID}) among them")

# %% [markdown]
# The printed count **includes the placeholder**. The splice cuts the text embeddings at the
# placeholder and puts the image tokens in its place, so the placeholder itself disappears:
# the sequence has (text tokens − 1) + *N* positions, and the ledger in section 6 counts the
# text without it (one fewer than printed here). Image tokens have no id in the vocabulary at
# all: they are continuous vectors, [soft tokens](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#soft-token).

# %% cellView="form" jupyter={"source_hidden": true} tags=["export", "hide-input"]
#@title Input checks for `splice_image_tokens` (run it; no need to read it)
import torch


def _check_splice_input(token_ids, text_embeds, image_embeds, image_token_id):
    """Raise TypeError/ValueError naming the mistake; return the placeholder's position."""
    for name, t in [("token_ids", token_ids), ("text_embeds", text_embeds),
                    ("image_embeds", image_embeds)]:
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if token_ids.dim() != 1:
        raise ValueError(f"token_ids must be 1-D (T,), got shape {tuple(token_ids.shape)}")
    if text_embeds.dim() != 2 or text_embeds.shape[0] != token_ids.shape[0]:
        raise ValueError(f"text_embeds must be (T={token_ids.shape[0]}, D), got {tuple(text_embeds.shape)}")
    d = text_embeds.shape[1]
    if image_embeds.dim() == 3 and image_embeds.shape[0] == 1 and image_embeds.shape[2] == d:
        raise ValueError(f"image_embeds {tuple(image_embeds.shape)} still has its batch axis; "
                         "pass one image's tokens (N, D), e.g. image_embeds[0]")
    if image_embeds.dim() != 2 or image_embeds.shape[1] != d:
        raise ValueError(f"image_embeds must be (N, D={d}), got {tuple(image_embeds.shape)}: "
                         "project the image tokens to the LM width")
    where = (token_ids == image_token_id).nonzero().flatten()
    if where.numel() != 1:
        raise ValueError(f"expected exactly one <image> placeholder (id {image_token_id}), "
                         f"found {where.numel()}")
    return int(where)


# %% tags=["export"]
def splice_image_tokens(token_ids, text_embeds, image_embeds, image_token_id):
    """(T,) ids, (T, D) text, (N, D) image -> (T - 1 + N, D), image in place of the placeholder."""
    i = _check_splice_input(token_ids, text_embeds, image_embeds, image_token_id)
    return torch.cat([text_embeds[:i], image_embeds, text_embeds[i + 1:]], dim=0)


# %%
sequence = splice_image_tokens(token_ids, text_embeds, image_tokens[0], IMAGE_TOKEN_ID)
pos = words.index("<image>")
print("spliced:", tuple(sequence.shape), f"= {len(token_ids)} - 1 + {n_patches}")
assert sequence.shape == (len(token_ids) - 1 + n_patches, LM_WIDTH)
assert torch.equal(sequence[pos:pos + n_patches], image_tokens[0])
assert torch.equal(sequence[pos + n_patches:], text_embeds[pos + 1:])

# %% [markdown]
# ## 5. The language model: a causal decoder
#
# The language model predicts each next token from the ones before it, so at every position
# it may only look back. That is what **causal** means here: a mask sets the attention score
# from position *i* to every later position *j* > *i* to −∞, so after the softmax those
# weights are 0.
#
# We build it from `nn.TransformerEncoderLayer`, and that is no mistake. In PyTorch's naming,
# a "decoder" layer is the one of the original encoder–decoder transformer
# ([Vaswani et al., 2017](https://arxiv.org/abs/1706.03762)): it adds cross-attention to a
# separate encoder's output. A GPT-style *decoder-only* model has no second input to attend
# to: its block is self-attention plus MLP, exactly the encoder layer, made a decoder by the
# causal mask. Ours is one such block of GPT-2 small's width, with a learned position table
# of `CONTEXT_LIMIT` rows, so a longer sequence has nowhere to go and is refused.

# %% tags=["export"]
import torch
from torch import nn


class TinyLanguageModel(nn.Module):
    """One causal pre-norm block reading embeddings (B, T, width), T <= context -> logits."""

    def __init__(self, vocab_size, width=768, context=1024, heads=12):
        super().__init__()
        self.width, self.context = width, context
        self.pos_embed = nn.Parameter(0.02 * torch.randn(1, context, width))
        self.block = nn.TransformerEncoderLayer(width, heads, dim_feedforward=2 * width,
                                                dropout=0.0, activation="gelu",
                                                batch_first=True, norm_first=True)
        self.head = nn.Linear(width, vocab_size)

    def forward(self, embeds):
        t = embeds.shape[1]
        if t > self.context:
            raise ValueError(f"sequence of {t:,} tokens exceeds the context limit of "
                             f"{self.context:,} by {t - self.context:,}")
        mask = nn.Transformer.generate_square_subsequent_mask(t, device=embeds.device)  # -inf above the diagonal
        x = self.block(embeds + self.pos_embed[:, :t], src_mask=mask, is_causal=True)
        return self.head(x)                                            # (B, T, vocab)


# %% [markdown]
# Causal can be tested: change the last tokens of a sequence, and the outputs at every
# earlier position must not move.

# %%
lm = TinyLanguageModel(len(vocab), LM_WIDTH, CONTEXT_LIMIT).to(device).eval()
changed = sequence.clone()
changed[-3:] += 1.0                                         # edit the last 3 positions
with torch.no_grad():
    logits, logits_changed = lm(sequence.unsqueeze(0)), lm(changed.unsqueeze(0))  # (1, T, vocab)
moved = (logits - logits_changed).abs().amax(dim=-1)[0]     # (T,)
print("logits:", tuple(logits.shape), f"| largest change before the edit: {moved[:-3].max():.1e},"
      f" at the edited positions: {moved[-3:].min():.2f}")
assert moved[:-3].max() < 1e-5 < moved[-3:].min()

# %% [markdown]
# ## 6. The same pipeline at 224, 336 and 448 px
#
# Now run image → logits at three resolutions and keep a ledger. The patch stays 14 px, so the
# grid grows with the side and the image tokens with its square. Each resolution gets a freshly
# initialised encoder (a trained one would resize its position table; lesson 3.2 does).

# %%
def run_pipeline(side):
    """Photo -> encoder -> projector -> splice -> LM at ``side`` px; the counts and shapes."""
    torch.manual_seed(SEED)
    x = load_photo(side).to(device)                                 # (1, 3, side, side)
    enc = TinyVisionEncoder(side, PATCH, width=VIT_WIDTH).to(device).eval()
    with torch.no_grad():
        img_tok = projector(enc(x)[:, 1:])                          # (1, N, LM_WIDTH)
        seq = splice_image_tokens(token_ids, text_embeds, img_tok[0], IMAGE_TOKEN_ID)
        try:
            lm(seq.unsqueeze(0))
            error = None
        except ValueError as err:
            error = str(err)
    return {"side": side, "image_tokens": img_tok.shape[1], "text_tokens": len(token_ids) - 1,
            "total": seq.shape[0], "error": error, "sequence": tuple(seq.shape)}


runs = [run_pipeline(side) for side in (224, 336, 448)]
print(f"context limit: {CONTEXT_LIMIT:,} tokens\n{'side':>6} {'image':>7} {'text':>5} {'total':>7}  fits?")
for r in runs:
    verdict = "yes" if r["error"] is None else "NO: " + r["error"]
    print(f"{r['side']:>6} {r['image_tokens']:>7,} {r['text_tokens']:>5} {r['total']:>7,}  {verdict}")
    assert r["total"] == r["text_tokens"] + (r["side"] // PATCH) ** 2
assert runs[1]["image_tokens"] == 576 and runs[2]["image_tokens"] == 4 * runs[0]["image_tokens"]
assert runs[0]["error"] is None and runs[2]["error"] is not None

# %% [markdown]
# The "text" column is the prompt without its placeholder. At 336 px the image costs the same
# 576 tokens as in LLaVA-1.5; doubling the side from 224 to 448 px multiplies the image
# tokens by four, and at 448 px the sequence no longer fits this context, so the language
# model refuses it, although the projector and the text did not change.

# %% cellView="form" jupyter={"source_hidden": true} mystnb={"image": {"alt": "Horizontal bars, one per image side (224, 336, 448 px): the language model's input drawn to scale, a thin text segment, a long hatched image segment and the rest of the text, against a dashed vertical line at the context limit; only the 448-px bar crosses the line, labelled with its total and how many tokens it goes over."}} tags=["hide-input"]
#@title Figure: the language model's input at three resolutions
fig, ax = plt.subplots(figsize=(9, 2.8))
before = words.index("<image>")
for row, r in enumerate(runs):
    pieces = [(0, before, "#0072B2", "", "text"),
              (before, r["image_tokens"], "#E69F00", "//", "image"),
              (before + r["image_tokens"], r["text_tokens"] - before, "#0072B2", "", None)]
    for start, length, colour, hatch, label in pieces:
        ax.barh(row, length, left=start, color=colour, hatch=hatch, edgecolor="black", lw=0.5,
                label=label if row == 0 else None)
    over = r["total"] - CONTEXT_LIMIT
    note = f" ({over:,} over the limit)" if over > 0 else ""
    ax.text(r["total"] + 15, row, f"{r['total']:,} tokens{note}", va="center", fontsize=9)
ax.axvline(CONTEXT_LIMIT, color="#D55E00", ls="--", label=f"context limit ({CONTEXT_LIMIT:,})")
ax.set_yticks(range(len(runs)), [f"{r['side']} px" for r in runs])
ax.set_xlim(0, max(r["total"] for r in runs) * 1.45)
ax.set_xlabel("position in the language model's input (tokens)")
ax.set_ylabel("image side")
ax.set_title("Text tokens + image tokens against the context limit")
ax.legend(loc="lower right", fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 7. Exercises
#
# Each exercise has a check that answers at once. The lesson never uses your answers.

# %% cellView="form" jupyter={"source_hidden": true} tags=["export", "hide-input"]
#@title Self-check for Exercise 2.1 (run it; no need to read it)
def check_overlap_prediction(fn, quiet=False):
    """``fn()`` returns the predicted token count of Conv2d(kernel 14, stride 7) on 224 px."""
    say = (lambda *a: None) if quiet else print
    try:
        got = fn()
    except NotImplementedError:
        say("○ Not attempted yet: replace `raise NotImplementedError()` with `return <number>`.")
        return None
    except Exception as err:  # noqa: BLE001 - any learner error becomes feedback
        say(f"✘ Your function raised {type(err).__name__}: {err}. Return one whole number.")
        return False
    if isinstance(got, bool) or not isinstance(got, int):
        say(f"✘ Return a whole number such as 123 (an int), not {got!r} ({type(got).__name__}).")
        return False
    hints = {
        1024: "224 / 7 = 32 counts windows that would start near the right edge and stick out; "
              "the last window must fit inside the image.",
        256: "that is the non-overlapping count (stride 14); a stride of 7 starts a window every "
             "7 px.",
        900: "close: count the window at position 0 too (starts 0, 7, ..., 210).",
        512: "the grid has two sides; square the windows per side.",
    }
    if got != 961:
        say(f"✘ {got} is not it: " + hints.get(got, "count the start positions along one side "
            "(0, 7, 14, ... while the 14-px window still fits in 224 px), then square."))
        return False
    say("✔ Right: windows start at 0, 7, ..., 210, that is (224 - 14) / 7 + 1 = 31 per side, "
        "31² = 961 tokens, 3.75 times the 256 of non-overlapping patches.")
    return True


# %% [markdown]
# ### Exercise 2.1: overlapping patches
#
# **Kind:** predict-then-run
#
# Some encoders let patches overlap: a convolution with kernel 14 and **stride 7** moves the
# window only half a patch at a time. On the 224 × 224 photo, how many tokens does it make?
# Predict first (return the number), run the check, then run the cell after it.
#
# <details><summary>Hint</summary>
#
# Along one side, list where windows start: 0, 7, 14, ... The last one must still fit: it
# starts at most at 224 − 14.
#
# </details>

# %% cellView="form" jupyter={"source_hidden": true} nbgrader={"grade": false, "grade_id": "ex2-1-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
#@title Your answer to Exercise 2.1
def predicted_overlap_tokens():
    """Your prediction: tokens of Conv2d(3, d, kernel_size=14, stride=7) on a 224-px image."""
    ### BEGIN SOLUTION
    return 31 * 31
    ### END SOLUTION


# %% cellView="form" jupyter={"source_hidden": true} nbgrader={"grade": true, "grade_id": "ex2-1-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["hide-input"]
#@title Check your answer to Exercise 2.1
check_overlap_prediction(predicted_overlap_tokens);
### BEGIN HIDDEN TESTS
assert check_overlap_prediction(predicted_overlap_tokens, quiet=True) is True
### END HIDDEN TESTS

# %%
overlap = nn.Conv2d(3, VIT_WIDTH, kernel_size=PATCH, stride=PATCH // 2).to(device)
with torch.no_grad():
    grid_map = overlap(x224)                                       # (1, d, rows, cols)
print(f"kernel 14, stride 7: feature map {tuple(grid_map.shape)} -> "
      f"{grid_map.shape[-2] * grid_map.shape[-1]} tokens (stride 14 gave {n_patches})")

# %% cellView="form" jupyter={"source_hidden": true} tags=["export", "hide-input"]
#@title Self-check for Exercise 2.2 (run it; no need to read it)
import torch


def check_splice_images(fn, quiet=False):
    """``fn(token_ids, text_embeds, images, image_token_id)`` with a list of (N_k, D) images."""
    say = (lambda *a: None) if quiet else print
    cases = [  # ids, text values, images (values), expected values; D = 1 so values are readable
        ([5, 9, 1, 9, 7], [10, 11, 12, 13, 14], [[100, 101], [200, 201, 202]],
         [10, 100, 101, 12, 200, 201, 202, 14]),
        ([9, 3, 9], [20, 21, 22], [[300], [400, 401]], [300, 21, 400, 401]),
        ([2, 9, 4], [30, 31, 32], [[500, 501, 502]], [30, 500, 501, 502, 32]),
    ]
    for ids, text, images, want in cases:
        args = (torch.tensor(ids), torch.tensor(text, dtype=torch.float32)[:, None],
                [torch.tensor(im, dtype=torch.float32)[:, None] for im in images], 9)
        try:
            got = fn(*args)
        except NotImplementedError:
            say("○ Not attempted yet: replace `raise NotImplementedError()` with your code.")
            return None
        except Exception as err:  # noqa: BLE001
            say(f"✘ With token_ids {ids} and {len(images)} image(s) your function raised "
                f"{type(err).__name__}: {err}")
            return False
        if not isinstance(got, torch.Tensor):
            say(f"✘ Return one torch.Tensor (T - K + sum N_k, D), not {type(got).__name__}.")
            return False
        values = got.flatten().tolist() if got.dim() == 2 and got.shape[1] == 1 else None
        if values == want:
            continue
        image_values = sorted(v for im in images for v in im)
        placeholder_values = {t for i, t in zip(ids, text) if i == 9}
        if values is None:
            hint = f"the shape is {tuple(got.shape)}, expected ({len(want)}, 1): one row per position"
        elif placeholder_values & set(values):
            hint = "the placeholders are still there: each one is replaced, not kept"
        elif sorted(v for v in values if v >= 100) != image_values:
            hint = "not every image made it in: replace the k-th placeholder by the k-th image"
        elif [v for v in values if v >= 100] != [v for im in images for v in im]:
            hint = "the images are in the wrong order: the first placeholder gets images[0]"
        else:
            hint = "each image goes exactly where its placeholder was, text around it unchanged"
        say(f"✘ With token_ids {ids} (placeholder 9) and images {images} on text {text}, "
            f"expected {want}, got {values if values is not None else tuple(got.shape)}: {hint}.")
        return False
    say("✔ Right: each placeholder, in order, replaced by its image's tokens.")
    return True


# %% [markdown]
# ### Exercise 2.2: two images in one prompt
#
# **Kind:** transfer
#
# A prompt may hold several images ("Which of `<image>` and `<image>` is older?"). Write
# `splice_images(token_ids, text_embeds, images, image_token_id)`: `token_ids` is `(T,)` with
# the placeholder once per image, `text_embeds` is `(T, D)`, `images` a list of `(N_k, D)`
# tensors in the order of the placeholders. With *K* images, return the `(T − K + ΣN_k, D)`
# sequence in which the *k*-th placeholder is replaced by `images[k]`. The images may differ in
# size.
#
# <details><summary>Hint</summary>
#
# Walk along the prompt, collecting pieces in a list: a row of text stays
# (`text_embeds[i:i + 1]`), a placeholder becomes the next image. `torch.cat` the pieces.
#
# </details>

# %% cellView="form" jupyter={"source_hidden": true} nbgrader={"grade": false, "grade_id": "ex2-2-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
#@title Your answer to Exercise 2.2
def splice_images(token_ids, text_embeds, images, image_token_id):
    """(T,), (T, D), list of (N_k, D) -> (T - k + sum N_k, D), images at their placeholders."""
    ### BEGIN SOLUTION
    pieces, next_image = [], iter(images)
    for i, token in enumerate(token_ids.tolist()):
        is_image = token == image_token_id
        pieces.append(next(next_image) if is_image else text_embeds[i:i + 1])
    return torch.cat(pieces, dim=0)
    ### END SOLUTION


# %% cellView="form" jupyter={"source_hidden": true} nbgrader={"grade": true, "grade_id": "ex2-2-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["hide-input"]
#@title Check your answer to Exercise 2.2
check_splice_images(splice_images);
### BEGIN HIDDEN TESTS
assert check_splice_images(splice_images, quiet=True) is True
### END HIDDEN TESTS

# %% cellView="form" jupyter={"source_hidden": true} tags=["export", "hide-input"]
#@title Self-check for Exercise 2.3 (run it; no need to read it)
import torch


def check_pad_batch(fn, quiet=False):
    """``fn(sequences)`` -> (padded (B, T_max, D), mask (B, T_max) bool, True at real tokens)."""
    say = (lambda *a: None) if quiet else print
    seqs = [torch.tensor([[1., 2.], [3., 4.], [5., 6.]]), torch.tensor([[7., 8.]]),
            torch.tensor([[9., 10.], [11., 12.]]), torch.tensor([[13., 14.]])]   # B = 4, T_max = 3
    want_padded = [[[1, 2], [3, 4], [5, 6]], [[7, 8], [0, 0], [0, 0]], [[9, 10], [11, 12], [0, 0]],
                   [[13, 14], [0, 0], [0, 0]]]
    want_mask = [[True, True, True], [True, False, False], [True, True, False], [True, False, False]]
    try:
        result = fn([s.clone() for s in seqs])
    except NotImplementedError:
        say("○ Not attempted yet: replace `raise NotImplementedError()` with your code.")
        return None
    except Exception as err:  # noqa: BLE001
        say(f"✘ On four sequences of lengths 3, 1, 2 and 1 your function raised "
            f"{type(err).__name__}: {err}")
        return False
    if not (isinstance(result, tuple) and len(result) == 2):
        say("✘ Return a pair (padded, mask).")
        return False
    padded, mask = result
    if not isinstance(padded, torch.Tensor) or tuple(padded.shape) != (4, 3, 2):
        shape = tuple(padded.shape) if isinstance(padded, torch.Tensor) else type(padded).__name__
        hint = (" The batch and time axes are swapped: put the batch first (with pad_sequence, "
                "batch_first=True)." if shape == (3, 4, 2) else "")
        say(f"✘ For lengths 3, 1, 2, 1 and D = 2, padded should be (4, 3, 2) = (B, longest, D), "
            f"got {shape}.{hint}")
        return False
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        kind = mask.dtype if isinstance(mask, torch.Tensor) else type(mask).__name__
        say(f"✘ The mask must be a bool tensor (True = real token), got {kind}; "
            "e.g. compare positions with the lengths.")
        return False
    if padded.tolist() != want_padded:
        rows = padded.tolist()
        hint = ("the real tokens go first, padding at the end (right padding)"
                if rows[1][-1] == [7, 8] else "padding positions hold zeros; real rows are copied unchanged")
        say(f"✘ padded is {rows}, expected {want_padded}: {hint}.")
        return False
    if mask.tolist() != want_mask:
        hint = ("your mask is True at the padding; here True marks real tokens (PyTorch's "
                "src_key_padding_mask wants the opposite: pass ~mask there)"
                if mask.tolist() == [[not v for v in row] for row in want_mask] else
                "position t of sequence b is real when t < its length")
        say(f"✘ mask is {mask.tolist()}, expected {want_mask}: {hint}.")
        return False
    say("✔ Right: right-padded with zeros to the longest length, and a mask that marks the real tokens.")
    return True


# %% [markdown]
# ### Exercise 2.3: a batch of prompts of different lengths
#
# **Kind:** transfer
#
# A server runs several requests as one batch, but spliced prompts differ in length (another
# image size, another question). A tensor needs one length, so the short ones are **padded**
# with filler rows at the end, and a **mask** records which positions are real, so attention
# can give the filler zero weight (PyTorch's layers take it as `src_key_padding_mask`, which
# marks the *filler* with True: the opposite of the mask here). Write `pad_batch(sequences)`: a list of `(T_b, D)` tensors in, a pair
# out: `padded` of shape `(B, T_max, D)` with zeros after each sequence, and `mask` of shape
# `(B, T_max)`, a **bool** tensor, `True` at real tokens.
#
# <details><summary>Hint</summary>
#
# Start from `torch.zeros(B, T_max, D)` and copy each sequence into `padded[b, :T_b]`. For the
# mask, compare `torch.arange(T_max)` with each length.
#
# </details>

# %% cellView="form" jupyter={"source_hidden": true} nbgrader={"grade": false, "grade_id": "ex2-3-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
#@title Your answer to Exercise 2.3
def pad_batch(sequences):
    """List of (T_b, D) -> (padded (B, T_max, D) zeros after each, mask (B, T_max) True = real)."""
    ### BEGIN SOLUTION
    lengths = torch.tensor([len(s) for s in sequences])
    longest, width = int(lengths.max()), sequences[0].shape[1]
    padded = sequences[0].new_zeros(len(sequences), longest, width)
    for b, seq in enumerate(sequences):
        padded[b, :len(seq)] = seq
    return padded, torch.arange(longest)[None, :] < lengths[:, None]
    ### END SOLUTION


# %% cellView="form" jupyter={"source_hidden": true} nbgrader={"grade": true, "grade_id": "ex2-3-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["hide-input"]
#@title Check your answer to Exercise 2.3
check_pad_batch(pad_batch);
### BEGIN HIDDEN TESTS
assert check_pad_batch(pad_batch, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# ## 8. Quiz and summary

# %% cellView="form" jupyter={"source_hidden": true} tags=["remove-input"]
#@title Quiz (run it to show the questions)
from jupyterquiz import display_quiz

display_quiz([
    {
        "question": "A 336 × 336 image, 14 × 14 patches; the encoder adds [CLS] and LLaVA-1.5 "
                    "drops it before the projector. How many image tokens reach the language model?",
        "type": "numeric",
        "answers": [
            {"type": "value", "value": 576, "correct": True,
             "feedback": "Right: (336/14)² = 24² = 576 patch tokens; [CLS] is not passed on."},
            {"type": "value", "value": 577, "correct": False,
             "feedback": "577 is the encoder's output, [CLS] included; LLaVA-1.5 keeps only the patches."},
            {"type": "value", "value": 24, "correct": False,
             "feedback": "24 is the number of patches along one side; square it."},
            {"type": "default", "feedback": "Count the grid: 336/14 per side, squared, without [CLS]."},
        ],
    },
    {
        "question": "Why can a Conv2d replace 'patchify, then nn.Linear'?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "With kernel = stride = P each filter takes one dot product per "
                       "non-overlapping patch, which is what the linear layer computes",
             "correct": True,
             "feedback": "Yes: the filters are the rows of the linear weight, reshaped to (C, P, P)."},
            {"answer": "Convolutions and linear layers always compute the same function",
             "correct": False,
             "feedback": "Only here: with a stride below the kernel the windows overlap and the "
                         "token count changes (Exercise 2.1)."},
            {"answer": "Because the convolution adds the position embeddings", "correct": False,
             "feedback": "It does not: positions are a separate learned table, added afterwards."},
        ],
    },
    {
        "question": "Our language model is built from nn.TransformerEncoderLayer. What makes it "
                    "a decoder?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "The causal mask: each position attends only to itself and earlier ones",
             "correct": True,
             "feedback": "Right: a decoder-only block is self-attention + MLP with that mask; "
                         "PyTorch's decoder layer adds cross-attention to an encoder, which a "
                         "GPT-style model does not have."},
            {"answer": "Its output head over the vocabulary", "correct": False,
             "feedback": "An encoder can have that head too (masked-word models do); the mask "
                         "is what forbids looking ahead."},
            {"answer": "Pre-norm (norm_first=True)", "correct": False,
             "feedback": "Pre-norm decides where the LayerNorm goes; encoders use it too (our ViT)."},
        ],
    },
])

# %% [markdown]
# - Patchifying is a reshape and a permute; `unfold` and a strided convolution compute the same
#   thing, and the convolution with the linear layer's weights *is* the patch embedding.
# - The encoder adds one `[CLS]` token (LLaVA-1.5 drops it again) and positions; the
#   projector changes the width to the language model's, never the count.
# - In the language model's sequence the image is a block of soft tokens in place of the
#   placeholder, read by a causal decoder; it dominates the length and grows with the square
#   of the side.
#
# **Next:** [lesson 2.2](https://pixels-to-tokens.github.io/pixels-to-tokens/notebooks/2-guided/2-2-similarity-and-contrastive-loss.html)
# compares image and text vectors with [cosine similarity](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#cosine-similarity) and the [contrastive loss](https://pixels-to-tokens.github.io/pixels-to-tokens/book/glossary.html#contrastive-loss-infonce).

# %%
print(f"This notebook ran in {time.perf_counter() - START:.1f} s on {device}.")
