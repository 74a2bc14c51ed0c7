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
# In the Surface chapter an image became a grid of patches and each patch became a vector. Here
# you write that path in PyTorch, one tensor at a time, and follow a photo all the way into a
# language model's input sequence: cut it into patches three different ways and prove they agree,
# add a `[CLS]` token and position embeddings, run a small transformer encoder, project the result
# to a language model's width, and splice the image tokens into a prompt at its `<image>`
# placeholder. Every step ends with a shape check, and the last section counts what the image
# costs in the language model's context at three resolutions.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pixels-to-tokens/pixels-to-tokens/blob/main/notebooks/2-guided/2-1-patch-embedding.ipynb)
#
# **What you will build**
# - `patchify`: images `(B, C, H, W)` → patch vectors `(B, N, C·P·P)`, written with
#   `reshape`/`permute`, with `Tensor.unfold`, and as a strided `nn.Conv2d`, all proven equal;
# - a tiny vision encoder: patch embedding, `[CLS]` token, learned position embeddings and
#   `nn.TransformerEncoder`;
# - a projector (linear, then a two-layer MLP) into a language model's width, and the splice of
#   the image tokens into the text-token embeddings;
# - a ledger of sequence length (text + image tokens) against a context limit at 224, 336 and
#   448 pixels, and a picture of the pipeline drawn from the shapes the code produced.
#
# **Time to run:** a few seconds on a laptop CPU (budget: 30 s; `make bench` measures it, and
# the last cell prints this run's own time). Nothing is trained in this lesson: the weights are
# random, because here we care about shapes and sequence length, not about what the model knows.

# %%
# Colab only: install the packages Colab lacks. Locally, `requirements.txt` has them.
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "jupyterquiz"], check=False)

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
from jupyterquiz import display_quiz
from matplotlib.patches import FancyBboxPatch, Rectangle
from PIL import Image
from skimage import data as skdata

SEED = 0
torch.manual_seed(SEED)
rng = np.random.default_rng(SEED)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
START = time.perf_counter()
print(f"torch {torch.__version__}, running on {device}")

# %% [markdown]
# ## 1. A photo as a tensor
#
# We use the astronaut photo that ships with scikit-image (NASA, public domain) and resize it to
# 224 × 224 pixels, the input size of the original ViT-B/16 and of many CLIP encoders
# ([Dosovitskiy et al., 2020](https://arxiv.org/abs/2010.11929)). PyTorch stores images
# channel-first, so one RGB image is a tensor `(C, H, W)` and a batch is `(B, C, H, W)`.

# %%
def load_photo(side):
    """Return the scikit-image astronaut photo as a float tensor (1, 3, side, side) in [0, 1]."""
    photo = Image.fromarray(skdata.astronaut()).resize((side, side), Image.BICUBIC)
    x = torch.from_numpy(np.array(photo)).float() / 255    # (H, W, C)
    return x.permute(2, 0, 1).unsqueeze(0)                 # (1, C, H, W)


PATCH = 14          # pixels per patch side, as in CLIP ViT-L/14 (the encoder of LLaVA-1.5)
x224 = load_photo(224).to(device)
print("image tensor:", tuple(x224.shape), x224.dtype)
assert x224.shape == (1, 3, 224, 224)

# %% [markdown]
# We cut with patches of 14 × 14 pixels, the patch size of CLIP ViT-L/14, the vision encoder of
# LLaVA-1.5 ([Liu et al., 2023](https://arxiv.org/abs/2310.03744)). 224 is a multiple of 14, so
# the grid is exact: 16 patches across and 16 down.

# %%
grid = 224 // PATCH
fig, ax = plt.subplots(figsize=(4.2, 4.2))
ax.imshow(x224[0].permute(1, 2, 0).cpu().numpy(), extent=(0, 224, 224, 0))
for k in range(1, grid):
    ax.axhline(k * PATCH, color="white", lw=0.6)
    ax.axvline(k * PATCH, color="white", lw=0.6)
ax.set_title(f"224 × 224 photo, {PATCH}-px patches: {grid} × {grid} grid")
ax.set_xlabel("x (pixels)")
ax.set_ylabel("y (pixels)")
plt.show()

# %% [markdown]
# ## 2. Patchify, way 1: `reshape` and `permute`
#
# A reshape never moves data; it only re-reads the same numbers with new axis lengths. Splitting
# `H` into `(H/P, P)` and `W` into `(W/P, P)` therefore gives every pixel two coordinates per axis:
# which patch it is in, and where inside that patch. A `permute` then brings the two patch-grid
# axes to the front, and a final reshape flattens each patch into one vector. We order each
# vector channel first (all red pixels of the patch, row by row, then green, then blue), because
# that is the order of a convolution weight `(D, C, P, P)`, which we need in section 4.
#
# The function checks its input first, so a wrong shape fails with a message rather than with
# a reshape error from deep inside PyTorch.

# %% tags=["export"]
import torch


def _check_patch_input(images, patch):
    """Validate the arguments of the patchify functions; raise TypeError/ValueError if wrong."""
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be a torch.Tensor, got {type(images).__name__}")
    if isinstance(patch, bool) or not isinstance(patch, int):
        raise TypeError(f"patch must be an int, got {type(patch).__name__}")
    if patch < 1:
        raise ValueError(f"patch must be at least 1 pixel, got {patch}")
    if images.dim() not in (3, 4):
        raise ValueError(
            f"images must be (C, H, W) or (B, C, H, W); got {images.dim()} dimensions "
            f"with shape {tuple(images.shape)}"
        )
    height, width = images.shape[-2:]
    if height % patch or width % patch:
        raise ValueError(
            f"image sides ({height} × {width}) must be multiples of the patch size {patch}; "
            f"resize or crop to, e.g., {height // patch * patch} × {width // patch * patch} first"
        )


def patchify(images, patch):
    """Cut images into non-overlapping square patches and flatten each one.

    In:  images, a tensor (C, H, W) or (B, C, H, W) whose sides are multiples of ``patch``;
         patch, the side P of a square patch in pixels.
    Out: (N, C*P*P) or (B, N, C*P*P) with N = (H/P)*(W/P). Patches are in row-major order (left
         to right, then top to bottom); each vector holds channel 0's P*P pixels row by row,
         then channel 1's, and so on (the layout of a Conv2d weight (D, C, P, P)).
    Raises TypeError for a non-tensor or a non-int patch, ValueError for a wrong number of
    dimensions, a patch below 1 or sides that are not multiples of the patch.
    """
    _check_patch_input(images, patch)
    single = images.dim() == 3
    x = images.unsqueeze(0) if single else images        # (B, C, H, W)
    b, c, h, w = x.shape
    gh, gw = h // patch, w // patch
    x = x.reshape(b, c, gh, patch, gw, patch)            # (B, C, H/P, P, W/P, P)
    x = x.permute(0, 2, 4, 1, 3, 5)                      # (B, H/P, W/P, C, P, P)
    x = x.reshape(b, gh * gw, c * patch * patch)         # (B, N, C*P*P)
    return x[0] if single else x


# %%
patches = patchify(x224, PATCH)
n_patches = (224 // PATCH) ** 2
print("patches:", tuple(patches.shape), f"= (batch, {n_patches} patches, 3·{PATCH}·{PATCH} numbers)")
assert patches.shape == (1, n_patches, 3 * PATCH * PATCH)

# %% [markdown]
# Shapes can be right while the content is scrambled, so check the content too: patch number
# `k` must be exactly the pixels of grid row `k // 16`, column `k % 16`.

# %%
for k in [0, 1, grid, n_patches - 1]:
    r, c = divmod(k, grid)
    crop = x224[0, :, r * PATCH:(r + 1) * PATCH, c * PATCH:(c + 1) * PATCH]  # (C, P, P)
    torch.testing.assert_close(patches[0, k], crop.reshape(-1))
print("patches 0, 1, 16 and 255 hold the right pixels")

# %% [markdown]
# Bad input gets a clear error. Here are three mistakes a learner (or a data pipeline) makes:
# forgetting the channel axis, passing a side that is not a multiple of 14, and passing a NumPy
# array instead of a tensor.

# %%
bad_inputs = {
    "a grey image (H, W)": (torch.zeros(224, 224), PATCH),
    "a 225-pixel side": (torch.zeros(1, 3, 225, 224), PATCH),
    "a NumPy array": (np.zeros((3, 224, 224)), PATCH),
}
for label, (images, p) in bad_inputs.items():
    try:
        patchify(images, p)
    except (TypeError, ValueError) as err:
        print(f"{label:>20}: {type(err).__name__}: {err}")

# %% [markdown]
# ## 3. Patchify, way 2: `Tensor.unfold`
#
# `Tensor.unfold(dim, size, step)` slides a window of `size` along one axis in steps of `step`
# and appends the window as a new last axis. With `size = step = P` the windows do not overlap,
# so unfolding the height axis and then the width axis yields the patch grid directly.

# %% tags=["export"]
def patchify_unfold(images, patch):
    """Same contract as ``patchify``, computed with ``Tensor.unfold`` (sliding windows).

    In: (C, H, W) or (B, C, H, W); Out: (N, C*P*P) or (B, N, C*P*P), identical to ``patchify``.
    """
    _check_patch_input(images, patch)
    single = images.dim() == 3
    x = images.unsqueeze(0) if single else images        # (B, C, H, W)
    b, c = x.shape[:2]
    x = x.unfold(2, patch, patch)                        # (B, C, H/P, W, P)
    x = x.unfold(3, patch, patch)                        # (B, C, H/P, W/P, P, P)
    x = x.permute(0, 2, 3, 1, 4, 5)                      # (B, H/P, W/P, C, P, P)
    x = x.reshape(b, -1, c * patch * patch)              # (B, N, C*P*P)
    return x[0] if single else x


# %%
patches_unfold = patchify_unfold(x224, PATCH)
assert patches_unfold.shape == patches.shape
torch.testing.assert_close(patches_unfold, patches)
# also on a random, non-square batch, so the agreement is not a property of one photo
probe = torch.randn(2, 3, 4 * PATCH, 7 * PATCH, device=device)
torch.testing.assert_close(patchify_unfold(probe, PATCH), patchify(probe, PATCH))
print("unfold == reshape/permute on the photo", tuple(patches.shape),
      "and on a random batch", tuple(patchify(probe, PATCH).shape))

# %% [markdown]
# ## 4. Patchify and embed, way 3: a strided convolution
#
# A patch vector is only useful once a learned linear layer maps it to the encoder's width `D`
# (ViT's "[patch embedding](../../book/glossary.md#patch-embedding)", [Dosovitskiy et al., 2020](https://arxiv.org/abs/2010.11929)). We
# take a small width `D = 96` so that everything runs instantly; real encoders use 768 to 1,280,
# and the width never depends on the patch size.
#
# A convolution with kernel size `P` and stride `P` visits each patch exactly once, and at each
# visit it computes, for every output channel, the dot product of its `(C, P, P)` filter with
# the patch, plus a bias. That is the linear layer, applied patch by patch. So if we give the
# convolution the linear layer's weight, reshaped from `(D, C·P·P)` to `(D, C, P, P)`, the two
# must agree, and this is how ViT implementations embed patches in practice.

# %%
VIT_WIDTH = 96
linear_embed = nn.Linear(3 * PATCH * PATCH, VIT_WIDTH).to(device)
print("linear weight:", tuple(linear_embed.weight.shape), " bias:", tuple(linear_embed.bias.shape))
assert linear_embed.weight.shape == (VIT_WIDTH, 3 * PATCH * PATCH)

# %% tags=["export"]
import torch
from torch import nn


def conv_from_linear(linear, channels, patch):
    """Build the strided Conv2d that computes ``linear`` on every patch.

    In:  linear, an nn.Linear with in_features == channels*patch*patch; channels C; patch P.
    Out: nn.Conv2d(C, D, kernel_size=P, stride=P) with weight = linear.weight viewed as
         (D, C, P, P) and the same bias, on the same device and dtype.
    Raises TypeError if ``linear`` is not an nn.Linear, ValueError if the sizes disagree.
    """
    if not isinstance(linear, nn.Linear):
        raise TypeError(f"linear must be an nn.Linear, got {type(linear).__name__}")
    if linear.in_features != channels * patch * patch:
        raise ValueError(
            f"linear takes {linear.in_features} inputs but a {channels}-channel "
            f"{patch}×{patch} patch has {channels * patch * patch} numbers"
        )
    conv = nn.Conv2d(channels, linear.out_features, kernel_size=patch, stride=patch,
                     bias=linear.bias is not None)
    conv = conv.to(device=linear.weight.device, dtype=linear.weight.dtype)
    with torch.no_grad():
        conv.weight.copy_(linear.weight.reshape(linear.out_features, channels, patch, patch))
        if linear.bias is not None:
            conv.bias.copy_(linear.bias)
    return conv


# %%
conv_embed = conv_from_linear(linear_embed, 3, PATCH)
with torch.no_grad():
    via_linear = linear_embed(patchify(x224, PATCH))           # (1, N, D)
    feature_map = conv_embed(x224)                             # (1, D, H/P, W/P)
    via_conv = feature_map.flatten(2).transpose(1, 2)          # (1, N, D)
print("conv output:", tuple(feature_map.shape), "→ as tokens:", tuple(via_conv.shape))
assert via_conv.shape == via_linear.shape == (1, n_patches, VIT_WIDTH)
torch.testing.assert_close(via_conv, via_linear, rtol=1e-4, atol=1e-4)
print("strided Conv2d == Linear(patchify(x)): max abs difference",
      f"{(via_conv - via_linear).abs().max().item():.1e}")

# %% [markdown]
# The tolerance is loose only because the two paths add the same products in a different order;
# the largest difference printed above is at the level of float32 rounding. The three views
# are one operation: cutting + flattening + a matrix multiply. The convolution is simply the
# fastest way to write it, since it never materialises the patch vectors.

# %% [markdown]
# ## 5. `[CLS]` token and position embeddings
#
# A transformer treats its input as a set: permute the tokens and the outputs are permuted the
# same way. To know where a patch came from, each token gets a learned **[position embedding](../../book/glossary.md#position-embedding)**
# added to it, one vector per grid cell. ViT also prepends one learned **`[CLS]`** token whose
# final state summarises the image ([Dosovitskiy et al., 2020](https://arxiv.org/abs/2010.11929)).
# Both are parameters; we initialise them with small random numbers, as ViT implementations do.

# %%
tokens = via_conv                                               # (1, N, D)
cls_token = nn.Parameter(0.02 * torch.randn(1, 1, VIT_WIDTH, device=device))
pos_embed = nn.Parameter(0.02 * torch.randn(1, 1 + n_patches, VIT_WIDTH, device=device))

with torch.no_grad():
    with_cls = torch.cat([cls_token.expand(tokens.shape[0], -1, -1), tokens], dim=1)  # (1, 1+N, D)
    with_pos = with_cls + pos_embed                                                     # (1, 1+N, D)
print("with [CLS]:", tuple(with_cls.shape), " with positions:", tuple(with_pos.shape))
assert with_cls.shape == with_pos.shape == (1, 1 + n_patches, VIT_WIDTH)

# %% [markdown]
# ## 6. A small transformer encoder
#
# Two pre-norm transformer blocks of width 96 with 4 attention heads, built from PyTorch's own
# `nn.TransformerEncoder`. `batch_first=True` keeps our `(B, tokens, D)` layout. Attention mixes
# information between tokens but never changes how many there are, so the output has the shape
# of the input.

# %%
layer = nn.TransformerEncoderLayer(d_model=VIT_WIDTH, nhead=4, dim_feedforward=4 * VIT_WIDTH,
                                   dropout=0.0, activation="gelu", batch_first=True,
                                   norm_first=True)
encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False).to(device).eval()
with torch.no_grad():
    encoded = encoder(with_pos)                                 # (1, 1+N, D)
print("encoder output:", tuple(encoded.shape))
assert encoded.shape == with_pos.shape

# %% [markdown]
# ## 7. The vision encoder as one module
#
# The steps above become one module. It rebuilds nothing new, so we can prove it equal to the
# step-by-step result by loading the same parameters into it.

# %% tags=["export"]
import torch
from torch import nn


class TinyVisionEncoder(nn.Module):
    """Patch embedding (strided Conv2d) + [CLS] + learned positions + transformer encoder.

    In:  images (B, C, image_size, image_size), sides multiples of ``patch``.
    Out: (B, 1 + N, width), N = (image_size / patch)**2; token 0 is [CLS].
    """

    def __init__(self, image_size, patch=14, channels=3, width=96, depth=2, heads=4):
        super().__init__()
        if image_size % patch:
            raise ValueError(f"image_size {image_size} is not a multiple of patch {patch}")
        self.patch, self.channels = patch, channels
        self.grid = image_size // patch
        self.patch_embed = nn.Conv2d(channels, width, kernel_size=patch, stride=patch)
        self.cls_token = nn.Parameter(0.02 * torch.randn(1, 1, width))
        self.pos_embed = nn.Parameter(0.02 * torch.randn(1, 1 + self.grid ** 2, width))
        layer = nn.TransformerEncoderLayer(d_model=width, nhead=heads, dim_feedforward=4 * width,
                                           dropout=0.0, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, num_layers=depth, enable_nested_tensor=False)

    def forward(self, images):
        if images.dim() != 4 or images.shape[1] != self.channels:
            raise ValueError(f"expected images (B, {self.channels}, H, W), got {tuple(images.shape)}")
        if images.shape[-2:] != (self.grid * self.patch,) * 2:
            raise ValueError(
                f"this encoder's position table is for {self.grid * self.patch}-px images, "
                f"got {tuple(images.shape[-2:])}"
            )
        x = self.patch_embed(images).flatten(2).transpose(1, 2)          # (B, N, D)
        cls = self.cls_token.expand(x.shape[0], -1, -1)                  # (B, 1, D)
        x = torch.cat([cls, x], dim=1) + self.pos_embed                  # (B, 1+N, D)
        return self.blocks(x)                                            # (B, 1+N, D)


# %%
vision = TinyVisionEncoder(224, PATCH, width=VIT_WIDTH).to(device).eval()
with torch.no_grad():  # copy the step-by-step parameters in
    vision.patch_embed.load_state_dict(conv_embed.state_dict())
    vision.cls_token.copy_(cls_token)
    vision.pos_embed.copy_(pos_embed)
    vision.blocks.load_state_dict(encoder.state_dict())
    vision_out = vision(x224)
torch.testing.assert_close(vision_out, encoded)
n_vision_params = sum(p.numel() for p in vision.parameters())
print(f"module output {tuple(vision_out.shape)} equals the step-by-step result; "
      f"{n_vision_params:,} parameters")

# %% [markdown]
# ## 8. The projector: into the language model's width
#
# The language model reads vectors of its own width, which has nothing to do with the vision
# encoder's. For our language model we borrow the shape of GPT-2 small: width 768 and a context
# of 1,024 positions ([Radford et al., 2019](https://cdn.openai.com/better-language-models/language_models_are_unsupervised_multitask_learners.pdf)).
#
# LLaVA-1.5 feeds the language model the vision encoder's **patch** features (it drops `[CLS]`)
# through a two-layer MLP with a GELU, where the first LLaVA used a single linear layer
# ([Liu et al., 2023](https://arxiv.org/abs/2310.03744)). We build both. Note what the [projector](../../book/glossary.md#projector)
# does **not** change: the number of tokens. One patch in, one image token out.

# %%
LM_WIDTH, CONTEXT_LIMIT = 768, 1024

linear_projector = nn.Linear(VIT_WIDTH, LM_WIDTH).to(device)
mlp_projector = nn.Sequential(
    nn.Linear(VIT_WIDTH, LM_WIDTH), nn.GELU(), nn.Linear(LM_WIDTH, LM_WIDTH)
).to(device)

patch_features = vision_out[:, 1:]                              # drop [CLS]: (1, N, D)
with torch.no_grad():
    image_tokens_linear = linear_projector(patch_features)     # (1, N, LM_WIDTH)
    image_tokens = mlp_projector(patch_features)               # (1, N, LM_WIDTH)
for name, module, out in [("linear", linear_projector, image_tokens_linear),
                          ("2-layer MLP", mlp_projector, image_tokens)]:
    n_params = sum(p.numel() for p in module.parameters())
    print(f"{name:>12} projector: {tuple(patch_features.shape)} → {tuple(out.shape)}, "
          f"{n_params:,} parameters")
    assert out.shape == (1, n_patches, LM_WIDTH)

# %% [markdown]
# ## 9. Text tokens and the `<image>` placeholder
#
# A chat prompt for a LLaVA-style model marks where the image goes with a placeholder token,
# `<image>` ([Liu et al., 2023](https://arxiv.org/abs/2310.03744)). We use a toy word-level
# tokenizer (one id per word) so every id can be read; real models use subword tokenizers, which
# changes the text count but not the arithmetic below.

# %%
PROMPT = "USER: <image> What is the person in this photo wearing ? ASSISTANT:"
words = PROMPT.split()
vocab = {w: i for i, w in enumerate(dict.fromkeys(["<pad>", "<image>"] + words))}
IMAGE_TOKEN_ID = vocab["<image>"]
token_ids = torch.tensor([vocab[w] for w in words], device=device)   # (T,)
print("token ids:", token_ids.tolist())
print(f"{len(token_ids)} text tokens, <image> id = {IMAGE_TOKEN_ID} "
      f"at position {words.index('<image>')}")
assert (token_ids == IMAGE_TOKEN_ID).sum() == 1

# %% [markdown]
# The language model's embedding table turns ids into vectors of width 768. The placeholder gets
# a vector too, but it is a dummy: it is about to be replaced. Image tokens have **no** id in
# the vocabulary at all; they are continuous vectors, which is why a model of this kind can read
# them but never generate them.

# %%
embed_table = nn.Embedding(len(vocab), LM_WIDTH).to(device)
with torch.no_grad():
    text_embeds = embed_table(token_ids)                        # (T, LM_WIDTH)
print("text embeddings:", tuple(text_embeds.shape))
assert text_embeds.shape == (len(token_ids), LM_WIDTH)

# %% [markdown]
# The splice cuts the text embeddings at the placeholder and puts the image tokens in its
# place: the sequence grows by `N - 1`. (Hugging Face's LLaVA processor reaches the same
# sequence from the other side: it first repeats `<image>` N times in the ids, then overwrites
# those N rows with the image tokens.)

# %% tags=["export"]
import torch


def splice_image_tokens(token_ids, text_embeds, image_embeds, image_token_id):
    """Replace the single ``<image>`` placeholder of a prompt by the image tokens.

    In:  token_ids (T,) integer ids holding ``image_token_id`` exactly once;
         text_embeds (T, D), the embeddings of those ids; image_embeds (N, D).
    Out: (T - 1 + N, D): text before the placeholder, the N image tokens, text after it.
    Raises TypeError for non-tensors, ValueError for wrong shapes, mismatched widths or a
    placeholder count other than one.
    """
    for name, t in [("token_ids", token_ids), ("text_embeds", text_embeds),
                    ("image_embeds", image_embeds)]:
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if token_ids.dim() != 1:
        raise ValueError(f"token_ids must be 1-D (T,), got shape {tuple(token_ids.shape)}")
    if text_embeds.dim() != 2 or text_embeds.shape[0] != token_ids.shape[0]:
        raise ValueError(f"text_embeds must be (T={token_ids.shape[0]}, D), "
                         f"got {tuple(text_embeds.shape)}")
    if image_embeds.dim() != 2 or image_embeds.shape[1] != text_embeds.shape[1]:
        raise ValueError(f"image_embeds must be (N, D={text_embeds.shape[1]}), got "
                         f"{tuple(image_embeds.shape)}: project the image tokens to the LM width")
    where = (token_ids == image_token_id).nonzero().flatten()
    if where.numel() != 1:
        raise ValueError(f"expected exactly one <image> placeholder (id {image_token_id}), "
                         f"found {where.numel()}")
    i = int(where)
    return torch.cat([text_embeds[:i], image_embeds, text_embeds[i + 1:]], dim=0)  # (T-1+N, D)


# %%
sequence = splice_image_tokens(token_ids, text_embeds, image_tokens[0], IMAGE_TOKEN_ID)
pos = words.index("<image>")
print("spliced sequence:", tuple(sequence.shape),
      f"= {len(token_ids)} text - 1 placeholder + {n_patches} image tokens")
assert sequence.shape == (len(token_ids) - 1 + n_patches, LM_WIDTH)
torch.testing.assert_close(sequence[:pos], text_embeds[:pos])
torch.testing.assert_close(sequence[pos:pos + n_patches], image_tokens[0])
torch.testing.assert_close(sequence[pos + n_patches:], text_embeds[pos + 1:])

# %% [markdown]
# ## 10. The language model sees one sequence
#
# The last part is a decoder-only language model. Ours is one causal transformer block of
# GPT-2 small's width with a learned position table of `CONTEXT_LIMIT` rows, so a sequence
# longer than the context has nowhere to go: the model refuses it with a clear error, as a real
# server refuses an over-long request.

# %% tags=["export"]
import torch
from torch import nn


class TinyLanguageModel(nn.Module):
    """One causal transformer block reading embeddings, with a fixed context limit.

    In:  embeds (B, T, width) with T <= context. Out: next-token logits (B, T, vocab_size).
    Raises ValueError if T exceeds the context or the width is wrong.
    """

    def __init__(self, vocab_size, width=768, context=1024, heads=12):
        super().__init__()
        self.width, self.context = width, context
        self.pos_embed = nn.Parameter(0.02 * torch.randn(1, context, width))
        self.block = nn.TransformerEncoderLayer(d_model=width, nhead=heads,
                                                dim_feedforward=2 * width, dropout=0.0,
                                                activation="gelu", batch_first=True,
                                                norm_first=True)
        self.head = nn.Linear(width, vocab_size)

    def forward(self, embeds):
        if embeds.dim() != 3 or embeds.shape[-1] != self.width:
            raise ValueError(f"expected embeds (B, T, {self.width}), got {tuple(embeds.shape)}")
        t = embeds.shape[1]
        if t > self.context:
            raise ValueError(f"sequence of {t:,} tokens exceeds the context limit of "
                             f"{self.context:,} by {t - self.context:,}")
        mask = nn.Transformer.generate_square_subsequent_mask(t, device=embeds.device)
        x = self.block(embeds + self.pos_embed[:, :t], src_mask=mask, is_causal=True)
        return self.head(x)                                       # (B, T, vocab_size)


# %%
lm = TinyLanguageModel(len(vocab), LM_WIDTH, CONTEXT_LIMIT).to(device).eval()
with torch.no_grad():
    logits = lm(sequence.unsqueeze(0))                           # (1, T-1+N, vocab)
print("language-model logits:", tuple(logits.shape))
assert logits.shape == (1, sequence.shape[0], len(vocab))

# %% [markdown]
# ## 11. The same pipeline at 224, 336 and 448 pixels
#
# Now run the whole path, image to logits, at three resolutions and keep a ledger. The patch
# size stays 14, so the grid grows with the side and the image-token count with its square.
# (A trained encoder would resize its position table to the new grid; lesson 3.1 does that. Here
# each resolution gets its own freshly initialised encoder, which has the same shapes.)
#
# The function below records the shape after every stage, so the picture in the next section is
# drawn from what the code produced, not from a formula.

# %%
def run_pipeline(side):
    """Run photo → patches → encoder → projector → splice → LM at ``side`` pixels.

    Returns a dict of the shape after every stage and the token counts; the LM step is skipped
    (and marked) when the sequence exceeds the context limit.
    """
    torch.manual_seed(SEED)
    x = load_photo(side).to(device)                                   # (1, 3, side, side)
    enc = TinyVisionEncoder(side, PATCH, width=VIT_WIDTH).to(device).eval()
    with torch.no_grad():
        feats = enc(x)                                                # (1, 1+N, D)
        img_tok = mlp_projector(feats[:, 1:])                         # (1, N, LM_WIDTH)
        seq = splice_image_tokens(token_ids, text_embeds, img_tok[0], IMAGE_TOKEN_ID)
        try:
            out = lm(seq.unsqueeze(0))                                # (1, T-1+N, vocab)
            lm_shape, lm_error = tuple(out.shape), None
        except ValueError as err:
            lm_shape, lm_error = None, str(err)
    n_text = len(token_ids) - 1                                       # placeholder removed
    return {
        "side": side,
        "image": tuple(x.shape),
        "patches": tuple(patchify(x, PATCH).shape),
        "encoder": tuple(feats.shape),
        "projector": tuple(img_tok.shape),
        "sequence": tuple(seq.shape),
        "lm": lm_shape,
        "lm_error": lm_error,
        "text_tokens": n_text,
        "image_tokens": img_tok.shape[1],
        "total": seq.shape[0],
    }


runs = [run_pipeline(side) for side in (224, 336, 448)]
for r in runs:  # the ledger must agree with the arithmetic (side/P)^2 + text tokens
    assert r["image_tokens"] == (r["side"] // PATCH) ** 2
    assert r["total"] == r["text_tokens"] + r["image_tokens"]

# %%
print(f"context limit of the language model: {CONTEXT_LIMIT:,} tokens\n")
print(f"{'side':>6} {'grid':>7} {'image':>7} {'text':>6} {'total':>7} {'share':>6}  fits?")
for r in runs:
    g = r["side"] // PATCH
    verdict = "yes" if r["lm_error"] is None else "NO: " + r["lm_error"]
    print(f"{r['side']:>6} {g:>3}×{g:<3} {r['image_tokens']:>7,} {r['text_tokens']:>6} "
          f"{r['total']:>7,} {r['total'] / CONTEXT_LIMIT:>6.0%}  {verdict}")

# %% [markdown]
# Read the ledger from the top. The prompt's text is a handful of tokens; the image is hundreds.
# At 336 pixels the image costs the same 576 tokens as LLaVA-1.5's
# ([Liu et al., 2023](https://arxiv.org/abs/2310.03744)), and doubling the side from 224 to 448
# multiplies the image tokens by four. At 448 pixels the image alone fills this context, so the
# language model refuses the request, although nothing about the projector or the text changed.

# %%
assert runs[1]["image_tokens"] == 576
assert runs[2]["image_tokens"] == 4 * runs[0]["image_tokens"]
assert runs[2]["lm_error"] is not None and runs[0]["lm_error"] is None

# %% [markdown]
# ## 12. The picture: encoder → projector → language model
#
# Top: the stages at 336 pixels, each box labelled with the tensor shape the code recorded.
# Bottom: the language model's input sequence at each resolution, text and image tokens drawn to
# scale against the context limit.

# %%
def draw_pipeline(run, runs, context_limit):
    """Draw the three-part pipeline from recorded shapes, and the sequences against the context."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 5.4),
                                      gridspec_kw={"height_ratios": [0.8, 1]})
    stages = [
        ("image", run["image"], "#dddddd"),
        ("patchify", run["patches"], "#dddddd"),
        ("vision encoder\n(ViT + [CLS])", run["encoder"], "#9ecae1"),
        ("projector\n(MLP, [CLS] dropped)", run["projector"], "#fdd0a2"),
        ("spliced into text\n(LM input)", (1,) + run["sequence"], "#c7e9c0"),
        ("language model\n(logits)", run["lm"], "#c7e9c0"),
    ]
    for i, (name, shape, colour) in enumerate(stages):
        x0 = i * 1.9
        top.add_patch(FancyBboxPatch((x0, 0.25), 1.5, 0.9, boxstyle="round,pad=0.05",
                                     fc=colour, ec="black"))
        top.text(x0 + 0.75, 0.88, name, ha="center", va="center", fontsize=9)
        top.text(x0 + 0.75, 0.45, "×".join(str(s) for s in shape), ha="center", va="center",
                 fontsize=9, family="monospace")
        if i:
            top.annotate("", xy=(x0 - 0.05, 0.7), xytext=(x0 - 0.35, 0.7),
                         arrowprops=dict(arrowstyle="->"))
    top.set_xlim(-0.2, len(stages) * 1.9 - 0.2)
    top.set_ylim(0.1, 1.3)
    top.axis("off")
    top.set_title(f"The pipeline at {run['side']} × {run['side']} px (shapes as produced by the code)")

    for row, r in enumerate(runs):
        n_before = words.index("<image>")
        n_after = r["text_tokens"] - n_before
        segments = [(0, n_before, "#31a354", "text"),
                    (n_before, r["image_tokens"], "#fd8d3c", "image"),
                    (n_before + r["image_tokens"], n_after, "#31a354", None)]
        for start, length, colour, label in segments:
            bottom.add_patch(Rectangle((start, row - 0.3), length, 0.6, fc=colour, ec="none",
                                       label=label if row == 0 else None))
        bottom.text(r["total"] + 15, row, f"{r['total']:,} tokens", va="center", fontsize=9)
    bottom.axvline(context_limit, color="crimson", ls="--",
                   label=f"context limit ({context_limit:,})")
    bottom.set_yticks(range(len(runs)), [f"{r['side']} px" for r in runs])
    bottom.set_ylim(-0.6, len(runs) - 0.4)
    bottom.set_xlim(0, max(r["total"] for r in runs) * 1.15)
    bottom.set_xlabel("position in the language model's input sequence (tokens)")
    bottom.set_ylabel("image side")
    bottom.set_title("LM input sequence: text tokens + image tokens")
    bottom.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


fig = draw_pipeline(runs[1], runs, CONTEXT_LIMIT)
plt.show()

# %% [markdown]
# ## 13. Check your understanding

# %%
questions_2_1 = [
    {
        "question": "A 336 × 336 image is cut into 14 × 14 patches and the encoder adds a [CLS] "
                    "token. LLaVA-1.5 drops [CLS] before its projector. How many image tokens "
                    "reach the language model?",
        "type": "numeric",
        "answers": [
            {"type": "value", "value": 576, "correct": True,
             "feedback": "Right: (336/14)² = 24² = 576 patch tokens; [CLS] is not passed on."},
            {"type": "value", "value": 577, "correct": False,
             "feedback": "577 is the encoder's output length, [CLS] included; LLaVA-1.5 keeps "
                         "only the patch tokens."},
            {"type": "value", "value": 24, "correct": False,
             "feedback": "24 is the number of patches along one side; square it."},
            {"type": "default",
             "feedback": "Count the grid: 336/14 patches per side, squared, without [CLS]."},
        ],
    },
    {
        "question": "You replace a linear projector by a two-layer MLP of the same output width. "
                    "What happens to the number of image tokens in the language model's context?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "Nothing: it stays one token per patch", "correct": True,
             "feedback": "Correct. Both act on each token separately; only resolution, patch "
                         "size and token-merging steps change the count."},
            {"answer": "It doubles, one token per layer", "correct": False,
             "feedback": "Layers transform each token's vector; they do not add tokens."},
            {"answer": "It shrinks, because an MLP compresses", "correct": False,
             "feedback": "An MLP maps every vector to a vector; reducing the count needs a "
                         "merge, pooling or a resampler with learned queries."},
        ],
    },
    {
        "question": "Why can a strided Conv2d replace 'patchify, then nn.Linear'?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "With kernel size = stride = P it takes one dot product per filter per "
                       "non-overlapping patch, which is what the linear layer computes",
             "correct": True,
             "feedback": "Yes: the filters are the rows of the linear weight, reshaped to "
                         "(C, P, P)."},
            {"answer": "Convolutions and linear layers always compute the same function",
             "correct": False,
             "feedback": "Only here: a stride smaller than the kernel would make overlapping "
                         "patches and a different token count."},
            {"answer": "Because the convolution adds the position embeddings", "correct": False,
             "feedback": "It does not: positions are added afterwards, as a separate learned "
                         "table."},
        ],
    },
    {
        "question": "Is an image token, once projected, the same kind of object as a text token?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "It has the same width but no vocabulary id: the model can read it but "
                       "cannot generate it", "correct": True,
             "feedback": "Right: it is a continuous ('soft') vector placed where embeddings go."},
            {"answer": "Yes, the projector picks the nearest word in the vocabulary",
             "correct": False,
             "feedback": "No lookup happens; the projector's output vector is used as is."},
            {"answer": "No, it has a different width from text embeddings", "correct": False,
             "feedback": "The projector exists precisely to give it the language model's width "
                         "(768 here)."},
        ],
    },
]
display_quiz(questions_2_1)

# %% [markdown]
# ## 14. Exercises
#
# Each exercise has a check that gives instant feedback. The lesson above never depends on your
# answers, so you can skip one and come back.

# %% tags=["export"]
import torch
from torch import nn


def _report(ok, message, quiet):
    """Print ✔/✘ feedback unless quiet; return ``ok`` (True, False or None)."""
    if not quiet:
        mark = {True: "✔", False: "✘", None: "○"}[ok]
        print(f"{mark} {message}")
    return ok


def largest_side(context_limit, text_tokens, patch):
    """Largest square side (pixels, a multiple of ``patch``) whose image tokens plus text fit.

    In: context_limit and text_tokens (ints >= 0), patch (int >= 1).
    Out: g * patch with g the largest grid side such that g**2 + text_tokens <= context_limit
    (0 if not even one patch fits). Raises TypeError/ValueError for bad arguments.
    """
    import math

    for name, v in [("context_limit", context_limit), ("text_tokens", text_tokens),
                    ("patch", patch)]:
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{name} must be an int, got {type(v).__name__}")
    if context_limit < 0 or text_tokens < 0 or patch < 1:
        raise ValueError("need context_limit >= 0, text_tokens >= 0 and patch >= 1, got "
                         f"{context_limit}, {text_tokens}, {patch}")
    room = context_limit - text_tokens
    return math.isqrt(room) * patch if room > 0 else 0


def check_largest_side(answer, quiet=False):
    """Check a learner's ``largest_side(context_limit, text_tokens, patch)``.

    Returns True (right), False (wrong, with the reason) or None (not attempted yet).
    """
    cases = [(1024, 11, 14), (1024, 0, 14), (600, 24, 14), (4096, 100, 16), (10, 20, 14)]
    for args in cases:
        expected = largest_side(*args)
        try:
            got = answer(*args)
        except NotImplementedError:
            return _report(None, "Not attempted yet: replace `raise NotImplementedError()`.", quiet)
        except Exception as err:  # noqa: BLE001
            return _report(False, f"Your function raised {type(err).__name__}: {err} "
                                  f"for (context_limit, text_tokens, patch) = {args}.", quiet)
        if got != expected:
            limit, text, p = args
            hint = "the text tokens share the context with the image"
            if got == largest_side(limit, 0, p):
                hint = "you ignored the text tokens: they share the context with the image"
            elif got == expected // p:
                hint = "you returned the grid side in patches; multiply by the patch size"
            elif expected == 0:
                hint = "when the text alone fills the context, no image fits: return 0"
            return _report(False, f"For (context_limit, text_tokens, patch) = {args} expected "
                                  f"{expected}, got {got}: {hint}.", quiet)
    return _report(True, "largest_side is right, including the case where nothing fits.", quiet)


def check_patchify(answer, quiet=False):
    """Check a learner's ``patchify(images, patch)`` against the lesson's reference.

    Returns True (right), False (wrong, with the reason) or None (not attempted yet).
    """
    gen = torch.Generator().manual_seed(1)
    cases = [
        (torch.rand(2, 3, 28, 42, generator=gen), 14),   # batch, non-square
        (torch.rand(3, 8, 12, generator=gen), 4),        # single image (C, H, W)
        (torch.rand(1, 1, 6, 6, generator=gen), 3),      # one channel
    ]
    for images, p in cases:
        expected = patchify(images, p)
        try:
            got = answer(images.clone(), p)
        except NotImplementedError:
            return _report(None, "Not attempted yet: replace `raise NotImplementedError()`.", quiet)
        except Exception as err:  # noqa: BLE001 - any learner error becomes feedback
            return _report(False, f"Your function raised {type(err).__name__}: {err} "
                                  f"(input shape {tuple(images.shape)}, patch {p}).", quiet)
        if not isinstance(got, torch.Tensor):
            return _report(False, f"Return a torch.Tensor, not {type(got).__name__}.", quiet)
        if got.shape != expected.shape:
            return _report(False, f"For input {tuple(images.shape)} and patch {p} the shape "
                                  f"should be {tuple(expected.shape)}, got {tuple(got.shape)}. "
                                  "Hint: (C, H, W) in → (N, C*P*P) out; (B, C, H, W) → "
                                  "(B, N, C*P*P).", quiet)
        if not torch.allclose(got, expected):
            same_set = torch.allclose(got.sort(dim=-1).values, expected.sort(dim=-1).values)
            hint = ("each patch holds the right pixels in the wrong order: flatten as "
                    "(C, P, P), channel first" if same_set else
                    "the patches hold the wrong pixels: permute the two grid axes in front "
                    "of (C, P, P) before the last reshape")
            return _report(False, f"Shape is right but the values differ for input "
                                  f"{tuple(images.shape)}, patch {p}: {hint}.", quiet)
    return _report(True, "patchify matches the reference on a batch, a single image and one "
                         "channel.", quiet)


def check_splice(answer, quiet=False):
    """Check a learner's ``splice_image_tokens(token_ids, text_embeds, image_embeds, id)``.

    Returns True (right), False (wrong, with the reason) or None (not attempted yet).
    """
    gen = torch.Generator().manual_seed(2)
    cases = [
        (torch.tensor([5, 9, 1, 7, 8]), 9),       # placeholder near the start
        (torch.tensor([9, 3, 4]), 9),             # placeholder first
        (torch.tensor([2, 3, 4, 9]), 9),          # placeholder last
    ]
    for ids, image_id in cases:
        text = torch.randn(len(ids), 6, generator=gen)
        image = torch.randn(4, 6, generator=gen)
        expected = splice_image_tokens(ids, text, image, image_id)
        try:
            got = answer(ids.clone(), text.clone(), image.clone(), image_id)
        except NotImplementedError:
            return _report(None, "Not attempted yet: replace `raise NotImplementedError()`.", quiet)
        except Exception as err:  # noqa: BLE001
            return _report(False, f"Your function raised {type(err).__name__}: {err} "
                                  f"(token_ids {ids.tolist()}).", quiet)
        if not isinstance(got, torch.Tensor):
            return _report(False, f"Return a torch.Tensor, not {type(got).__name__}.", quiet)
        if got.shape != expected.shape:
            return _report(False, f"For {len(ids)} text tokens and 4 image tokens the result "
                                  f"should be {tuple(expected.shape)}, got {tuple(got.shape)}. "
                                  "Hint: the placeholder itself is replaced, not kept.", quiet)
        if not torch.allclose(got, expected):
            return _report(False, f"Shape is right but rows are misplaced for token_ids "
                                  f"{ids.tolist()}: text before the placeholder, then the image "
                                  "tokens, then the text after it.", quiet)
    return _report(True, "splice is right with the placeholder first, in the middle and last.",
                   quiet)


# %% [markdown]
# ### Exercise 2.1: patchify
#
# Write `patchify_exercise(images, patch)` that cuts `(C, H, W)` or `(B, C, H, W)` images into
# patches and returns `(N, C·P·P)` or `(B, N, C·P·P)`, patches in row-major order, each flattened
# channel first (the layout of section 2). You may assume valid input.
#
# <details><summary>Hint</summary>
#
# Add a batch axis if there is none (`unsqueeze(0)`), then `reshape` to
# `(B, C, H/P, P, W/P, P)`, `permute` to `(B, H/P, W/P, C, P, P)` and `reshape` to
# `(B, N, C·P·P)`. Remove the batch axis again if you added it.
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex2-1-1-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
def patchify_exercise(images, patch):
    """(C, H, W) or (B, C, H, W) → (N, C*P*P) or (B, N, C*P*P), channel-first patch vectors."""
    ### BEGIN SOLUTION
    single = images.dim() == 3
    x = images.unsqueeze(0) if single else images
    b, c, h, w = x.shape
    x = x.reshape(b, c, h // patch, patch, w // patch, patch)
    x = x.permute(0, 2, 4, 1, 3, 5).reshape(b, -1, c * patch * patch)
    return x[0] if single else x
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex2-1-1-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_patchify(patchify_exercise)
### BEGIN HIDDEN TESTS
assert check_patchify(patchify_exercise, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2.2: splice the image into the prompt
#
# Write `splice_exercise(token_ids, text_embeds, image_embeds, image_token_id)`: `token_ids` is
# `(T,)` with the placeholder id exactly once, `text_embeds` is `(T, D)`, `image_embeds` is
# `(N, D)`. Return the `(T − 1 + N, D)` sequence with the image tokens in place of the
# placeholder. You may assume valid input.
#
# <details><summary>Hint</summary>
#
# `i = int((token_ids == image_token_id).nonzero())` finds the placeholder. Then
# `torch.cat` three pieces along dimension 0: rows before `i`, the image tokens, rows after `i`.
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex2-1-2-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
def splice_exercise(token_ids, text_embeds, image_embeds, image_token_id):
    """(T,), (T, D), (N, D) → (T - 1 + N, D) with the image tokens at the placeholder."""
    ### BEGIN SOLUTION
    i = int((token_ids == image_token_id).nonzero())
    return torch.cat([text_embeds[:i], image_embeds, text_embeds[i + 1:]], dim=0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex2-1-2-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_splice(splice_exercise)
### BEGIN HIDDEN TESTS
assert check_splice(splice_exercise, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2.3: the largest image that fits
#
# Write `largest_side_exercise(context_limit, text_tokens, patch)`: the largest square side, in
# pixels and a multiple of `patch`, whose image tokens `(side / patch)²` plus `text_tokens` still
# fit in `context_limit`. Return 0 if not even one patch fits. For this lesson's prompt and
# language model, your answer should fall between 336 and 448 pixels.
#
# <details><summary>Hint</summary>
#
# The grid may have at most `g = floor(sqrt(context_limit − text_tokens))` patches per side
# (`math.isqrt` computes that exactly); the side is `g · patch`. Do not forget the text.
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex2-1-3-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
import math


def largest_side_exercise(context_limit, text_tokens, patch):
    """Largest square side (pixels, multiple of patch) with (side/patch)**2 + text <= limit."""
    ### BEGIN SOLUTION
    room = context_limit - text_tokens
    return math.isqrt(room) * patch if room > 0 else 0
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex2-1-3-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_largest_side(largest_side_exercise)
### BEGIN HIDDEN TESTS
assert check_largest_side(largest_side_exercise, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# With the lesson's own numbers: how large may the photo be?

# %%
best = largest_side(CONTEXT_LIMIT, runs[0]["text_tokens"], PATCH)
print(f"largest square side that fits {CONTEXT_LIMIT:,} tokens with {runs[0]['text_tokens']} "
      f"text tokens: {best} px ({(best // PATCH) ** 2:,} image tokens)")
assert run_pipeline(best)["lm_error"] is None and run_pipeline(best + PATCH)["lm_error"] is not None

# %% [markdown]
# ## Summary
#
# - Patchifying is a reshape and a permute; `unfold` and a strided convolution compute the same
#   thing, and the convolution with the linear layer's weights *is* the patch embedding.
# - The encoder adds `[CLS]` and positions but never changes the token count; the projector
#   changes the width (to the language model's), not the count.
# - In the language model's sequence, the image is a block of [soft tokens](../../book/glossary.md#soft-token) spliced in at the
#   placeholder, and it dominates the length: its cost grows with the square of the side.

# %%
print(f"This notebook ran in {time.perf_counter() - START:.1f} s on {device}.")
