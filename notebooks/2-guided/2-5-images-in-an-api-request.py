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
# # 2.5 Images in an API request (optional)
#
# Optional: this lesson is for readers who will send images to a hosted model themselves; the
# rest of the course does not depend on it. An API does not take a file name: it takes the
# image's bytes inside a JSON request. You will see what a careful client checks before it
# sends anything (the real file type, the size from the header, decompression bombs, the odd
# photos phones produce), what base64 adds to the request, where each vendor puts its
# resolution setting, and how routing by task changes a workload's daily cost.
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/pixels-to-tokens/pixels-to-tokens/blob/main/student/notebooks/2-guided/2-5-images-in-an-api-request.ipynb)
#
# **What you will build**
# - an image part checked from its bytes: media type, size and pixel limit, without decoding;
# - a clean-up step for CMYK, transparent and EXIF-rotated photos;
# - the request body of OpenAI, Anthropic and Gemini, each with its resolution knob (as the
#   vendors documented it in November 2026);
# - a routing rule by task and a workload planner with controls.
#
# **Prerequisites:** lesson 2.4 (GPT-4o's token rule); Python.
# **Time to study:** about 30 minutes. **Time to run:** under 10 s on a laptop CPU.

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Colab only: install the quiz package (does nothing elsewhere)
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "jupyterquiz"], check=True)

# %%
import base64
import io
import json
import math
import struct
import time
import warnings
import zlib

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import display
from PIL import Image, ImageOps
from skimage import data as skdata

SEED = 0
torch.manual_seed(SEED)
rng = np.random.default_rng(SEED)
torch.set_num_threads(1)  # one thread: as fast on a busy laptop as on a quiet one, same results
T_START = time.perf_counter()

# %% [markdown]
# Lesson 2.4's token rules, carried over unchanged (folded: you met them there). Section 6
# prices images with `openai_tokens`; the cells come whole, so `llava15_tokens` comes along
# unused.

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title From lesson 2.4, unchanged: input checks for sizes
import numbers


def _pixels(name, value):
    """`value` as an int if it is a positive whole number of pixels; else TypeError/ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number of pixels (an int), got {value!r} of type "
                        f"{type(value).__name__}; round it first, e.g. int(round(x))")
    if value <= 0:
        raise ValueError(f"{name} must be a positive number of pixels, got {value}")
    return int(value)


def _high_res(value):
    """`value` if it is a bool; else TypeError (a string 'high' is a common slip)."""
    if not isinstance(value, bool):
        raise TypeError(f"high_res must be True or False, got {value!r}")
    return value


# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title From lesson 2.4, unchanged: input checks for model and detail
OPENAI_TILE_MODELS = {"gpt-4o": (85, 170), "gpt-4o-mini": (2833, 5667), "gpt-5": (70, 140)}


def _openai_args(model, detail):
    """(base, per_tile) of `model`, after checking `model` and `detail` with clear messages."""
    if not isinstance(model, str) or model not in OPENAI_TILE_MODELS:
        raise ValueError(f"unknown model {model!r}; known: {', '.join(OPENAI_TILE_MODELS)}")
    if detail == "auto":
        raise ValueError("detail='auto' lets the service choose, so it cannot be estimated; pass "
                         "'low' or 'high' (the most an image can cost is its 'high' count)")
    if detail not in ("low", "high"):
        raise ValueError(f"unknown detail {detail!r}; expected 'low' or 'high'")
    return OPENAI_TILE_MODELS[model]


# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title From lesson 2.4, unchanged: OpenAI's tile rule and LLaVA-1.5
import math


def openai_resize(width, height):
    """OpenAI's high-detail resize: fit in 2048 x 2048, then short side <= 768 (never enlarge)."""
    if max(width, height) > 2048:
        longest = max(width, height)
        width, height = max(1, width * 2048 // longest), max(1, height * 2048 // longest)
    if min(width, height) > 768:
        shortest = min(width, height)
        width, height = max(1, width * 768 // shortest), max(1, height * 768 // shortest)
    return width, height


def openai_tokens(width, height, detail="high", model="gpt-4o"):
    """Billed tokens of one image on OpenAI's 512-px tile models (as of November 2026)."""
    width, height = _pixels("width", width), _pixels("height", height)
    base, per_tile = _openai_args(model, detail)
    if detail == "low":
        return base
    w, h = openai_resize(width, height)
    return base + per_tile * math.ceil(w / 512) * math.ceil(h / 512)


def llava15_tokens(width, height):
    """LLaVA-1.5: one 336 x 336 view (padded or cropped to a square), 24 x 24 = 576 tokens."""
    _pixels("width", width), _pixels("height", height)
    return (336 // 14) ** 2


# %% [markdown]
# ## 1. The bytes say what the file is
#
# **The media type comes from the bytes, not the name.** Every image format starts with a fixed
# signature, its "magic bytes": PNG with `89 50 4E 47 0D 0A 1A 0A`
# ([W3C, PNG spec](https://www.w3.org/TR/png/)), JPEG with `FF D8 FF`
# ([ITU-T T.81, 1992](https://www.w3.org/Graphics/JPEG/itu-t81.pdf)), GIF with `GIF87a` or
# `GIF89a` ([CompuServe, 1990](https://www.w3.org/Graphics/GIF/spec-gif89a.txt)), WebP with
# `RIFF`, four size bytes, then `WEBP`
# ([Google, WebP container](https://developers.google.com/speed/webp/docs/riff_container)).
# A file called `scan.jpg` that holds PNG bytes is a PNG; telling the API otherwise invites a
# rejected request.
#
# **The size is in the header.** Width and height sit at fixed places near the start of PNG,
# GIF and WebP files, and in the frame header of a JPEG. Reading them costs a few bytes and
# allocates no pixels, so a client can refuse an oversized image before decoding it.
#
# The next cell holds the header readers and the request-body helpers. They are machinery
# (byte offsets from the specifications above), folded; below we look at what they find.

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Header readers and image parts (machinery: run it; no need to read it)
import base64
import binascii
import os
import struct

ACCEPTED_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
_NOT_IMAGES = [  # signatures of common non-image files, to say what was found instead
    (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP archive (also .docx, .xlsx)"),
    (b"BM", "a BMP image (convert it to PNG)"), (b"II*\x00", "a TIFF image (convert it to PNG)"),
    (b"MM\x00*", "a TIFF image (convert it to PNG)"), (b"<", "HTML/XML/SVG text"),
    (b"{", "JSON text"),
]
_BASE64_OF = {"iVBORw0KGgo": "a PNG", "/9j/": "a JPEG", "R0lGOD": "a GIF", "UklGR": "a RIFF (WebP?)"}


def _looks_like_base64(text):
    """'a PNG' etc. if `text` (str or bytes) starts like base64 of an image, else None."""
    head = text[:16].decode("ascii", "replace") if isinstance(text, (bytes, bytearray)) else text[:16]
    return next((what for prefix, what in _BASE64_OF.items() if head.startswith(prefix)), None)


def sniff_media_type(data):
    """Media type from the first bytes: 'image/png', 'image/jpeg', 'image/gif' or 'image/webp'."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"expected the image's bytes, got {type(data).__name__}")
    head = bytes(data[:16])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if not head:
        raise ValueError("not an image: the data is empty (0 bytes)")
    encoded = _looks_like_base64(head)
    if encoded:
        raise ValueError(f"these bytes are base64 text of {encoded}, not the image itself; "
                         "decode them first with base64.b64decode(data)")
    found = next((what for sig, what in _NOT_IMAGES if head.lstrip().startswith(sig)), None)
    if head[4:8] == b"ftyp":
        found = f"an ISO media file of brand {head[8:12].decode('latin-1')!r} (HEIC/AVIF/MP4?)"
    raise ValueError(f"not a PNG, JPEG, GIF or WebP image: it starts with {head[:12]!r}"
                     + (f", which looks like {found}" if found else ""))


def _jpeg_size(data):
    """(width, height) from the first frame header (SOF marker) of a JPEG."""
    i = 2  # after the FF D8 start-of-image marker
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise ValueError(f"JPEG header is corrupt: expected a marker at byte {i}")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length field
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            if i + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        if marker == 0xDA:  # start of scan before any frame header
            break
        i += 2 + length
    raise ValueError("JPEG header is truncated or has no frame header (SOF marker)")


def read_image_size(data):
    """(width, height) from the header of a PNG, JPEG, GIF or WebP, without decoding pixels."""
    media_type = sniff_media_type(data)
    data = bytes(data[:65536]) if media_type != "image/jpeg" else bytes(data)
    try:
        if media_type == "image/png":
            if data[12:16] != b"IHDR":
                raise ValueError("PNG has no IHDR chunk where the header should be")
            return struct.unpack(">II", data[16:24])
        if media_type == "image/gif":
            return struct.unpack("<HH", data[6:10])
        if media_type == "image/webp":
            chunk = data[12:16]
            if chunk == b"VP8 ":  # lossy: 14-bit sizes after the 3-byte start code
                w, h = struct.unpack("<HH", data[26:30])
                return w & 0x3FFF, h & 0x3FFF
            if chunk == b"VP8L":  # lossless: two 14-bit (size - 1) fields after 0x2F
                (bits,) = struct.unpack("<I", data[21:25])
                return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            if chunk == b"VP8X":  # extended: two 24-bit (size - 1) fields
                return (int.from_bytes(data[24:27], "little") + 1,
                        int.from_bytes(data[27:30], "little") + 1)
            raise ValueError(f"WebP has an unknown first chunk {chunk!r}")
        return _jpeg_size(data)
    except struct.error as err:
        raise ValueError(f"{media_type} header is truncated ({len(data)} bytes)") from err


def _load_bytes(source):
    """Bytes of `source`: bytes-like as is, or the contents of a file path (str or PathLike)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, str) and source.startswith("data:"):
        raise ValueError("this is a data URL (data:<type>;base64,...), not a file path; pass "
                         "base64.b64decode(url.split(',', 1)[1]) to get the image's bytes")
    if isinstance(source, str) and (_looks_like_base64(source) or (
            len(source) > 255 and not os.path.exists(source))):
        what = _looks_like_base64(source) or "something"
        raise ValueError(f"this string looks like base64 text of {what} ({len(source):,} "
                         "characters), not a file path; pass base64.b64decode(text) instead")
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:  # FileNotFoundError names the path
            return f.read()
    if hasattr(source, "read"):
        raise TypeError(f"got an open file ({type(source).__name__}), not its bytes; pass "
                        "source.read() (for an upload, the bytes of the uploaded file)")
    raise TypeError(f"expected image bytes or a file path, got {type(source).__name__}")


def image_info(source, max_pixels=None):
    """dict(media_type, width, height, n_bytes) from the header; refuses decompression bombs.

    max_pixels defaults to PIL.Image.MAX_IMAGE_PIXELS (Pillow warns above it, raises above 2x).
    """
    if max_pixels is not None and (isinstance(max_pixels, bool) or not isinstance(max_pixels, int)
                                   or max_pixels <= 0):
        raise ValueError(f"max_pixels must be a positive whole number of pixels (or None for "
                         f"Pillow's default), got {max_pixels!r}")
    data = _load_bytes(source)
    media_type = sniff_media_type(data)
    width, height = read_image_size(data)
    if width <= 0 or height <= 0:
        raise ValueError(f"{media_type} header gives an empty image: {width} x {height} px")
    where = ""
    if max_pixels is None:
        from PIL import Image

        max_pixels, where = Image.MAX_IMAGE_PIXELS, " (PIL.Image.MAX_IMAGE_PIXELS)"
    if max_pixels is not None and width * height > max_pixels:
        raise ValueError(
            f"{media_type} header says {width} x {height} = {width * height:,} pixels, over the "
            f"limit of {max_pixels:,}{where}; refusing it as a possible decompression bomb. "
            "Downscale it first, or pass a larger max_pixels if you trust it.")
    return {"media_type": media_type, "width": width, "height": height, "n_bytes": len(data)}


PAYLOAD_DETAILS = ("low", "high", "auto")


def build_image_part(source, detail="auto", max_pixels=None):
    """Vendor-neutral part: dict(type, media_type, width, height, n_bytes, detail, data=base64)."""
    if not isinstance(detail, str) or detail not in PAYLOAD_DETAILS:
        raise ValueError(f"unknown detail {detail!r}; expected one of {PAYLOAD_DETAILS}")
    data = _load_bytes(source)
    info = image_info(data, max_pixels=max_pixels)
    return {"type": "image", **info, "detail": detail,
            "data": base64.b64encode(data).decode("ascii")}


# %% [markdown]
# What the readers find, for every format and variant (WebP alone has three layouts), checked
# against Pillow. Pillow decodes nothing here either: `Image.open` reads only the header until
# you ask for pixels.

# %%
def encode(img, fmt, **kw):
    """Encode a PIL image to bytes in memory."""
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


small = Image.fromarray(skdata.astronaut()).resize((301, 173))
variants = {
    "PNG": encode(small, "PNG"), "JPEG": encode(small, "JPEG"),
    "progressive JPEG": encode(small, "JPEG", progressive=True), "GIF": encode(small, "GIF"),
    "WebP lossy": encode(small, "WEBP"), "WebP lossless": encode(small, "WEBP", lossless=True),
    "WebP extended": encode(small.convert("RGBA"), "WEBP", exif=b"Exif\x00\x00"),
}
for name, raw in variants.items():
    info = image_info(raw)
    print(f"{name:17} starts {raw[:4]!r:22} -> {info['media_type']:10} "
          f"{info['width']} x {info['height']}  (Pillow: {Image.open(io.BytesIO(raw)).size})")
    assert (info["width"], info["height"]) == Image.open(io.BytesIO(raw)).size == (301, 173)

# %% [markdown]
# And what they say about files that are not what they claim. The error messages are the
# point: each names what was found.

# %%
def show_error(fn, *args, **kwargs):
    """Call fn and print the error it raises (type and message); fail if it raises none."""
    try:
        fn(*args, **kwargs)
    except (TypeError, ValueError, FileNotFoundError) as err:
        print(f"{type(err).__name__:>10}: {err}")
        return
    raise AssertionError(f"{fn.__name__} raised nothing")


png = variants["PNG"]
show_error(image_info, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")  # a PDF renamed to .png
show_error(image_info, b"<!DOCTYPE html><html>")  # an error page saved as an image
show_error(image_info, png[:20])  # a truncated download
show_error(image_info, base64.b64encode(png).decode())  # base64 text where bytes were expected
show_error(image_info, "data:image/png;base64," + base64.b64encode(png).decode()[:40])

# %% [markdown]
# ## 2. Base64: a third more bytes
#
# JSON carries text, so the image travels base64-encoded: every 3 bytes become 4 characters
# from a 64-letter alphabet ([Josefsson, 2006, RFC 4648](https://www.rfc-editor.org/rfc/rfc4648)).
# Tokens are billed from the pixel size, not the bytes, but request-size limits count the
# encoded text. Measure it on a real photo as PNG and JPEG:

# %%
astro = Image.fromarray(skdata.astronaut())
for fmt, raw in {"PNG": encode(astro, "PNG"), "JPEG q90": encode(astro, "JPEG", quality=90)}.items():
    text = base64.b64encode(raw)
    print(f"{fmt:8} {len(raw):>8,} bytes -> {len(text):>8,} base64 characters (x {len(text) / len(raw):.4f})")
    assert abs(len(text) / len(raw) - 4 / 3) < 1e-4

# %% [markdown]
# The ratio printed is 4/3 to four decimals for both formats: base64 does not care what the
# bytes mean. Exercise 2.11 asks for the exact length, padding included.
#
# ## 3. Decompression bombs
#
# A decompression bomb is a small file whose header claims a huge image: decoding it would
# allocate gigabytes. Pillow guards against it with `Image.MAX_IMAGE_PIXELS`: above that many
# pixels it **warns** (`DecompressionBombWarning`), and above **twice** that many it **raises**
# `DecompressionBombError`
# ([Pillow docs, `Image.open`](https://pillow.readthedocs.io/en/stable/reference/Image.html)).
# We build two such files from a real 1 × 1 PNG by rewriting its header (and the header's
# checksum), and ask Pillow and `image_info` about each.

# %%
def png_claiming(width, height):
    """A tiny valid PNG whose header claims width x height pixels (to test limits)."""
    raw = bytearray(encode(Image.new("L", (1, 1)), "PNG"))
    raw[16:24] = struct.pack(">II", width, height)
    raw[29:33] = struct.pack(">I", zlib.crc32(bytes(raw[12:29])))  # CRC of 'IHDR' + header
    return bytes(raw)


limit = Image.MAX_IMAGE_PIXELS
pillow_says = {}
for label, side in [("just over the limit", math.isqrt(limit) + 1),
                    ("over twice the limit", math.isqrt(2 * limit) + 1)]:
    bomb = png_claiming(side, side)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            Image.open(io.BytesIO(bomb))
            pillow_says[label] = "opens, with " + (caught[0].category.__name__ if caught else "no warning")
        except Image.DecompressionBombError as err:
            pillow_says[label] = f"raises {type(err).__name__}"
    print(f"{len(bomb)}-byte PNG claiming {side:,} x {side:,} ({label}): Pillow {pillow_says[label]}")
    show_error(image_info, bomb)
assert pillow_says["just over the limit"].endswith("DecompressionBombWarning")
assert pillow_says["over twice the limit"].startswith("raises")

# %% [markdown]
# Pillow only warns on the first file, which a script can easily miss; `image_info` refuses
# both from the header, before anything is decoded, and says why. (If you trust a large image,
# pass a larger `max_pixels`.)
#
# ## 4. Photos as phones make them
#
# Three kinds of real photo trip up naive code:
#
# - **CMYK JPEGs** (from print workflows): four ink channels instead of red, green and blue,
#   while the models were trained on RGB;
# - **transparency** (PNG with an alpha channel, or a palette with a transparent colour): JPEG
#   cannot store it, so either keep PNG or flatten the image on purpose;
# - **EXIF rotation**: phones store the pixels as the sensor saw them and a tag saying "rotate
#   90°". The header's width and height are the stored ones; a viewer shows the image turned.
#   Whether a service applies the tag is not something to rely on, so apply it yourself.
#
# `prepare_image` does the clean-up after `image_info` has checked the header: it applies the
# rotation tag, converts to 8-bit RGB (or RGBA when there is transparency), shrinks the long
# side to at most `max_side` (sending more pixels than the service keeps only costs bandwidth),
# and re-encodes. A PNG stays a PNG: screenshots and scans of text are usually PNGs, and
# JPEG's lossy compression blurs the edges of letters (and often makes such images larger).
# Other formats become JPEG, or PNG when there is transparency, which JPEG cannot store.

# %% tags=["export"]
import io

from PIL import Image, ImageOps


def prepare_image(source, max_side=2048, max_pixels=None):
    """Checked, upright, RGB(A) image bytes ready to send: (bytes, media_type, (width, height)).
    PNG stays PNG (lossless, for text); other formats become JPEG unless transparent."""
    if isinstance(max_side, bool) or not isinstance(max_side, int) or max_side <= 0:
        raise ValueError(f"max_side must be a positive whole number of pixels, got {max_side!r}")
    data = _load_bytes(source)
    info = image_info(data, max_pixels)  # refuses non-images and bombs from the header
    try:
        img = Image.open(io.BytesIO(data))
        img = ImageOps.exif_transpose(img)  # apply the rotation tag: pixels as a viewer shows them
        img.load()
    except OSError as err:  # the header was fine, the pixel data is not
        raise ValueError(f"the {info['media_type']} header is readable but its pixel data is "
                         f"truncated or corrupt ({err}); download or export the file again") from err
    alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
    img = img.convert("RGBA" if alpha else "RGB")  # CMYK, greyscale, palette -> 8-bit RGB(A)
    img.thumbnail((max_side, max_side))  # shrink only, aspect kept
    lossless = alpha or info["media_type"] == "image/png"
    out = io.BytesIO()
    img.save(out, "PNG" if lossless else "JPEG", quality=90)
    return out.getvalue(), "image/png" if lossless else "image/jpeg", img.size


# %% [markdown]
# Try it on the three awkward photos, made from the astronaut: a CMYK JPEG, a PNG with a
# transparent corner, and a JPEG stored sideways with the tag "rotate 90°" (EXIF orientation
# 6; Pillow applies it with [`ImageOps.exif_transpose`](https://pillow.readthedocs.io/en/stable/reference/ImageOps.html)).

# %%
photo = astro.resize((400, 300))
rgba = photo.convert("RGBA")
rgba.putalpha(Image.fromarray((np.indices((300, 400)).sum(0) > 150).astype(np.uint8) * 255))
exif = Image.Exif()
exif[0x0112] = 6  # Orientation: the stored pixels must be turned 90° clockwise to view
awkward = {
    "CMYK JPEG": encode(photo.convert("CMYK"), "JPEG"),
    "RGBA PNG": encode(rgba, "PNG"),
    "EXIF-rotated JPEG": encode(photo.transpose(Image.Transpose.ROTATE_90), "JPEG", exif=exif),
}
for name, raw in awkward.items():
    info = image_info(raw)
    sent, media_type, size = prepare_image(raw)
    print(f"{name:18} header {info['width']} x {info['height']}, mode {Image.open(io.BytesIO(raw)).mode:5}"
          f" -> sends {media_type:10} {size[0]} x {size[1]}, mode {Image.open(io.BytesIO(sent)).mode}")
assert prepare_image(awkward["EXIF-rotated JPEG"])[2] == (400, 300)  # upright again
assert prepare_image(awkward["RGBA PNG"])[1] == "image/png"

# %%
show_error(prepare_image, awkward["CMYK JPEG"][:600])  # a download cut off after the header
show_error(prepare_image, io.BytesIO(awkward["CMYK JPEG"]))  # the file object, not its bytes

# %% [markdown]
# The sideways photo's header says 300 × 400 (as stored); after the tag is applied it is
# 400 × 300 again, the size a token estimate should use. The CMYK photo becomes RGB, and the
# transparent one stays a PNG with its alpha channel.
#
# Two bad inputs a real upload brings: a file whose header is fine but whose pixel data was cut
# off, and an open file handed over instead of its bytes.
#
# ## 5. The request body and its resolution knob
#
# One checked image part, three vendors' request bodies. Each vendor has its own place for a
# resolution setting, **as of their pages in November 2026**:
#
# | vendor | knob | where it goes | values |
# |---|---|---|---|
# | OpenAI (GPT-4o and the other tile models) | `detail` | on each image part (`image_url.detail` in Chat Completions) | `"low"`, `"high"`, `"auto"` ([OpenAI, Images and vision](https://platform.openai.com/docs/guides/images-vision)) |
# | Google Gemini 3 | `media_resolution` | per image part, or one for the whole request | levels from low to high, each a *maximum* of tokens per image; the page lists which levels each model takes ([Google, Media resolution](https://ai.google.dev/gemini-api/docs/media-resolution)) |
# | Anthropic Claude | none | no field: large images are resized by the service; to pay less, send a smaller image | ([Anthropic, Vision](https://docs.anthropic.com/en/docs/build-with-claude/vision)) |
#
# Accepted formats differ too: OpenAI and Anthropic list PNG, JPEG, WebP and GIF; Gemini lists
# PNG, JPEG, WebP, HEIC and HEIF but not GIF
# ([Google, Image understanding](https://ai.google.dev/gemini-api/docs/image-understanding)).

# %% tags=["export"]
def to_openai_chat(part, prompt, model):
    """OpenAI Chat Completions body: the image as a data URL; `detail` sits on image_url."""
    url = f"data:{part['media_type']};base64,{part['data']}"
    return {"model": model, "messages": [{"role": "user", "content": [
        {"type": "text", "text": prompt},
        {"type": "image_url", "image_url": {"url": url, "detail": part["detail"]}}]}]}


def to_anthropic(part, prompt, model, max_tokens=1024):
    """Anthropic Messages body: a base64 image source, and no resolution field."""
    source = {"type": "base64", "media_type": part["media_type"], "data": part["data"]}
    return {"model": model, "max_tokens": max_tokens, "messages": [{"role": "user", "content": [
        {"type": "image", "source": source}, {"type": "text", "text": prompt}]}]}


def to_gemini(part, prompt):
    """Gemini generateContent body: inline data; detail low/high -> the part's mediaResolution."""
    if part["media_type"] == "image/gif":
        raise ValueError("Gemini does not list GIF among its image types; convert to PNG first")
    image = {"inlineData": {"mimeType": part["media_type"], "data": part["data"]}}
    if part["detail"] in ("low", "high"):
        image["mediaResolution"] = {"level": f"media_resolution_{part['detail']}"}
    return {"contents": [{"role": "user", "parts": [{"text": prompt}, image]}]}


# %%
def shorten(obj, keep=24):
    """Copy of a JSON-like object with long strings cut to `keep` characters (for display)."""
    if isinstance(obj, dict):
        return {k: shorten(v, keep) for k, v in obj.items()}
    if isinstance(obj, list):
        return [shorten(v, keep) for v in obj]
    return obj[:keep] + f"...({len(obj):,} chars)" if isinstance(obj, str) and len(obj) > keep else obj


camera_jpeg = encode(astro.resize((1536, 1536)), "JPEG", quality=95)  # a large photo
sent, media_type, size = prepare_image(camera_jpeg, max_side=768)  # shrunk: 768 px is plenty here
print(f"prepared: {media_type} {size[0]} x {size[1]}, {len(sent):,} bytes (from {len(camera_jpeg):,})")
part = build_image_part(sent, detail="low")
bodies = {"OpenAI": to_openai_chat(part, "What is in this image?", model="gpt-4o"),
          "Anthropic": to_anthropic(part, "What is in this image?", model="<model id>"),
          "Gemini": to_gemini(part, "What is in this image?")}
for vendor, body in bodies.items():
    print(f"--- {vendor}: {len(json.dumps(body)):,} bytes of JSON for a {part['n_bytes']:,}-byte {part['media_type']}")
    print(json.dumps(shorten(body)))
assert "detail" not in json.dumps(bodies["Anthropic"])

# %% [markdown]
# Look for where `"low"` ended up: on `image_url` for OpenAI, as `mediaResolution` on the
# Gemini part, and nowhere for Anthropic. The table says `media_resolution` and the body
# `mediaResolution`: Google's SDKs spell field names in snake_case and the REST API's JSON in
# camelCase, and these are REST bodies. Google's page has also named the API version that
# accepts the per-part setting (`v1alpha` when it was introduced, `v1beta` later), so check it
# before you rely on it. `to_gemini` leaves `"auto"` out: with no setting, the model's default
# applies.
#
# ## 6. Routing by task, and a planner
#
# Detail costs tokens, so spend it where the task needs it:
#
# - **recognise or classify** (what product is this?): low detail; a small view shows the object;
# - **read text** (a label, a receipt): high detail, and if you know where the text is, **crop
#   that region first**: the crop keeps full resolution on the text and costs fewer tiles.
#
# `plan_workload` turns "how many images a day, of which kinds, at which price per million
# tokens" into tokens and money, using lesson 2.4's OpenAI rule. Prices change and differ by
# model, so the price is an input, not a quote.

# %% tags=["export"]
import numbers
from typing import NamedTuple

TASK_DETAIL = {"classify": "low", "caption": "low", "read_text": "high"}


def route(task, width, height, text_box=None):
    """(detail, width, height, cropped): what to send for one image and task."""
    if task not in TASK_DETAIL:
        raise ValueError(f"unknown task {task!r}; expected one of {tuple(TASK_DETAIL)}")
    width, height = _pixels("width", width), _pixels("height", height)
    if text_box is None:
        return TASK_DETAIL[task], width, height, False
    if task != "read_text":
        raise ValueError(f"a text_box is only for task 'read_text', not {task!r}")
    _check_box(text_box, width, height)
    left, top, right, bottom = text_box  # the text's box, in pixels
    return "high", right - left, bottom - top, True


class ImageKind(NamedTuple):
    """One kind of image in a workload: its share of the daily images, size, task, text box."""
    label: str
    share: float
    width: int
    height: int
    task: str
    text_box: tuple | None = None


def plan_workload(images_per_day, mix, model="gpt-4o", price_per_million=2.5, routing="routed"):
    """Tokens and cost per day of a workload; routing is 'routed', 'all_high' or 'all_low'."""
    _check_plan(images_per_day, mix, price_per_million, routing)
    mix = [ImageKind(*kind) for kind in mix]  # plain tuples are welcome too
    total_share = sum(kind.share for kind in mix)
    rows = []
    for kind in mix:
        detail, w, h, cropped = route(kind.task, kind.width, kind.height, kind.text_box)
        if routing != "routed":
            detail, w, h = routing.removeprefix("all_"), kind.width, kind.height
        images = images_per_day * kind.share / total_share
        tokens = openai_tokens(w, h, detail, model)
        rows.append({"label": kind.label, "images": images, "detail": detail,
                     "tokens_per_image": tokens, "tokens_per_day": images * tokens})
    per_day = sum(r["tokens_per_day"] for r in rows)
    return {"rows": rows, "tokens_per_day": per_day, "cost_per_day": per_day / 1e6 * price_per_million,
            "routing": routing, "model": model}


# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Input checks of plan_workload (machinery: run it; no need to read it)
import math
import numbers


def _is_number(x):
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _check_box(box, width, height):
    """Raise a clear error unless box is (left, top, right, bottom) inside a width x height image."""
    if not isinstance(box, (tuple, list)) or len(box) != 4 or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in box):
        raise ValueError(f"text_box must be four whole numbers (left, top, right, bottom), got {box!r}")
    left, top, right, bottom = box
    if not (left < right and top < bottom):
        raise ValueError(f"text_box {tuple(box)} is empty: it is (left, top, right, bottom) with "
                         "right > left and bottom > top, not (x, y, width, height)")
    if not (0 <= left and right <= width and 0 <= top and bottom <= height):
        raise ValueError(f"text_box {tuple(box)} must lie inside the {width} x {height} image")


def _check_plan(images_per_day, mix, price_per_million, routing):
    """Raise TypeError/ValueError naming the first bad argument of plan_workload."""
    if not isinstance(images_per_day, numbers.Integral) or isinstance(images_per_day, bool):
        raise TypeError(f"images_per_day must be a whole number, got {images_per_day!r}")
    if images_per_day < 0:
        raise ValueError(f"images_per_day must be >= 0, got {images_per_day}")
    if not _is_number(price_per_million) or not math.isfinite(price_per_million) or price_per_million < 0:
        raise ValueError(f"price_per_million must be a number >= 0, got {price_per_million!r}")
    if routing not in ("routed", "all_high", "all_low"):
        raise ValueError(f"unknown routing {routing!r}; expected 'routed', 'all_high' or 'all_low'")
    if not isinstance(mix, (list, tuple)) or not mix:
        raise ValueError("mix must be a non-empty list of ImageKind")
    for kind in mix:
        if not isinstance(kind, tuple) or not 5 <= len(kind) <= 6:
            raise TypeError(f"each item of mix must be an ImageKind(label, share, width, height, "
                            f"task), got {kind!r}")
        if not _is_number(kind[1]):
            raise TypeError(f"the share of {kind[0]!r} must be a number (e.g. 0.5), got "
                            f"{kind[1]!r} of type {type(kind[1]).__name__}")
        if kind[1] < 0:
            raise ValueError(f"the share of {kind[0]!r} must be >= 0, got {kind[1]}")
    if sum(kind[1] for kind in mix) <= 0:
        raise ValueError("the shares of mix are all 0: give at least one kind a share > 0")


# %% [markdown]
# A mixed workload of 10,000 images a day on GPT-4o: phone photos (4032 × 3024) to classify,
# the same photos where a serial number must be read off a label at a known place, receipts
# scanned at 150 dpi (1240 × 1754 px for A4), and screenshots to read. The price is an example
# value. First the static picture, computed here so the page shows it without a kernel:

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form" mystnb={"image": {"alt": "Horizontal bar chart: tokens per day, in millions, for four kinds of image, with two bars per kind: everything at high detail (solid blue) and routed by task (hatched orange). Routing shrinks the classification photos' bar to almost nothing and the label photos' bar a lot, and leaves the receipts and screenshots unchanged."}}
#@title Figure: where the tokens go, all high against routed (plotting code)
DEFAULT_MIX = [
    ImageKind("phone photo, classify", 0.5, 4032, 3024, "classify"),
    ImageKind("phone photo, read label", 0.15, 4032, 3024, "read_text", (1600, 1200, 2400, 1500)),
    ImageKind("receipt scan, read", 0.25, 1240, 1754, "read_text"),
    ImageKind("screenshot, read", 0.10, 1920, 1080, "read_text"),
]
EXAMPLE_PRICE = 2.50  # an example price per million input tokens; use your vendor's current one


def plot_plans(plans, ax):
    """Horizontal bars: tokens per day by image kind, one bar per plan (colour and hatch)."""
    labels = [r["label"] for r in plans[0]["rows"]]
    y, h = np.arange(len(labels)), 0.8 / len(plans)
    for j, (p, colour, hatch) in enumerate(zip(plans, ["#0072B2", "#E69F00"], ["", "//"])):
        values = [r["tokens_per_day"] / 1e6 for r in p["rows"]]
        ax.barh(y + (j - (len(plans) - 1) / 2) * h, values, h, color=colour, hatch=hatch,
                edgecolor="black", label=f"{p['routing']}: {p['tokens_per_day'] / 1e6:.2f} M/day")
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set(xlabel="tokens per day (millions)", ylabel="kind of image",
           title=f"Where the tokens go ({plans[0]['model']})")
    ax.legend(fontsize=8, loc="lower right")


plans = [plan_workload(10_000, DEFAULT_MIX, "gpt-4o", EXAMPLE_PRICE, r) for r in ("all_high", "routed")]
fig, ax = plt.subplots(figsize=(8, 3.4))
plot_plans(plans, ax)
plt.tight_layout()
plt.show()
for p in plans:
    print(f"{p['routing']:>8}: {p['tokens_per_day'] / 1e6:5.2f} M tokens/day, ${p['cost_per_day']:7.2f}/day "
          f"at an example ${EXAMPLE_PRICE}/M")
saving = 1 - plans[1]["tokens_per_day"] / plans[0]["tokens_per_day"]
print(f"routing saves {saving:.0%} of the tokens on this mix")
assert plans[1]["tokens_per_day"] < plans[0]["tokens_per_day"]

# %% [markdown]
# Routing saves the share printed above on this mix without giving up the reading tasks: the
# receipts and screenshots still go at high detail, and the labels at high detail on a crop.
# How much you save depends on the mix. Plan your own with the controls below (the shares are
# normalised, so they need not sum to 1). The price is yours to set and does not follow the
# model: gpt-4o-mini counts many times more tokens per image than gpt-4o (lesson 2.4) at a
# lower price per token, so change the price when you change the model. On the static site
# the controls do not run; the figure above shows the default mix.

# %% tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title The planner's controls (run it, then move them)
def plan_png(plan):
    """The plan's bar chart as PNG bytes (for a widgets.Image)."""
    fig, ax = plt.subplots(figsize=(7, 3))
    plot_plans([plan], ax)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    return buf.getvalue()


controls = {
    "images": widgets.IntSlider(value=10_000, min=0, max=200_000, step=1_000, description="images/day"),
    "model": widgets.Dropdown(options=list(OPENAI_TILE_MODELS), value="gpt-4o", description="model"),
    "routing": widgets.Dropdown(options=["routed", "all_high", "all_low"], description="routing"),
    "price": widgets.FloatText(value=EXAMPLE_PRICE, description="$ / M tokens"),
}
shares = [widgets.FloatSlider(value=k.share, min=0, max=1, step=0.05, description=k.label[:16])
          for k in DEFAULT_MIX]
summary = widgets.HTML()
chart = widgets.Image(format="png")


def update(_change=None):
    """Recompute the plan from the controls and redraw the chart and the summary."""
    mix = [k._replace(share=s.value) for k, s in zip(DEFAULT_MIX, shares)]
    try:
        p = plan_workload(controls["images"].value, mix, controls["model"].value,
                          controls["price"].value, controls["routing"].value)
    except (TypeError, ValueError) as err:
        summary.value = f"<b>{err}</b>"
        return
    summary.value = (f"<b>{p['tokens_per_day']:,.0f}</b> tokens/day, <b>${p['cost_per_day']:,.2f}</b>/day, "
                     f"<b>${30 * p['cost_per_day']:,.2f}</b> per 30 days")
    chart.value = plan_png(p)


for w in [*controls.values(), *shares]:
    w.observe(update, names="value")
update()
display(widgets.VBox([widgets.HBox([widgets.VBox(list(controls.values())), widgets.VBox(shares)]),
                      summary, chart]))

# %% [markdown]
# ## 7. Check your understanding
#
# Click an answer to get feedback; then three exercises.

# %% tags=["remove-input"] jupyter={"source_hidden": true} cellView="form"
#@title Quiz (run it to show the questions)
from jupyterquiz import display_quiz

display_quiz([
    {
        "question": "A shop sends phone photos at low detail to classify products. Now it must also read "
                    "model numbers on labels, which the low-detail view cannot resolve. What is the best change?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "Send every photo at high detail.", "correct": False,
             "feedback": "It works, but every photo then pays for high detail, also those that only need a class."},
            {"answer": "Keep low detail to classify; crop the label and send the crop at high detail.", "correct": True,
             "feedback": "Right: route by task. The crop keeps full resolution on the text and needs fewer tiles."},
            {"answer": "Upscale the low-detail view before sending it.", "correct": False,
             "feedback": "Upscaling adds pixels, not information: the digits were lost when the image was shrunk."},
            {"answer": "Send lower-quality JPEGs to afford high detail.", "correct": False,
             "feedback": "Image tokens follow the pixel size, not the file's bytes; JPEG artefacts also hurt reading."},
        ],
    },
    {
        "question": "Which request fields set an image's resolution, as of the vendors' pages in November 2026? (Choose all that apply.)",
        "type": "many_choice",
        "answers": [
            {"answer": "OpenAI: detail on the image part", "correct": True,
             "feedback": "Yes: 'low', 'high' or 'auto', per image."},
            {"answer": "Gemini 3: media_resolution", "correct": True,
             "feedback": "Yes: per image part or for the whole request."},
            {"answer": "Anthropic: detail on the image block", "correct": False,
             "feedback": "Anthropic has no resolution field: send a smaller image to pay less."},
        ],
    },
    {
        "question": "A file's header claims a little over PIL.Image.MAX_IMAGE_PIXELS pixels (but less than twice it). What does Image.open do?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "Opens it with a DecompressionBombWarning.", "correct": True,
             "feedback": "Right, as section 3 showed: Pillow raises DecompressionBombError only above twice the limit."},
            {"answer": "Raises DecompressionBombError.", "correct": False,
             "feedback": "Only above twice the limit; just over it, Pillow warns and goes on."},
            {"answer": "Nothing: Pillow has no limit.", "correct": False,
             "feedback": "It has one, MAX_IMAGE_PIXELS; section 3 printed what happens on each side of it."},
        ],
    },
], colors={"--jq-many-choice-bg": "#9c3c00"})  # darker orange: white text on it reaches WCAG AA contrast

# %% [markdown]
# ### Exercises

# %% tags=["export", "hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Self-checks for Exercises 2.11-2.13 (run it; no need to read it)
import base64
import io
import numbers


def _try(fn, *args):
    """('stub', None) for NotImplementedError, ('error', exc) for another error, ('ok', value)."""
    try:
        return "ok", fn(*args)
    except NotImplementedError:
        return "stub", None
    except Exception as err:  # noqa: BLE001 - the check explains it
        return "error", err


def check_base64_length(base64_length, quiet=False):
    """Exercise 2.11: base64_length(n_bytes) -> characters of padded base64 (int)."""
    say = (lambda *a: None) if quiet else print
    if _try(base64_length, 10)[0] == "stub":
        say("○ Not attempted yet: replace `raise NotImplementedError()` with your formula.")
        return None
    for n in [*range(0, 40), 1000, 65_536, 3_000_000, 5_242_881]:
        want = len(base64.b64encode(bytes(n)))
        status, got = _try(base64_length, n)
        if status != "ok":
            say(f"✘ base64_length({n}) raised {type(got).__name__}: {got}")
            return False
        if isinstance(got, bool) or not isinstance(got, numbers.Integral):
            say(f"✘ base64_length({n}) returned {got!r} ({type(got).__name__}); a length is a whole "
                "number: use integer arithmetic (//, math.ceil) and return an int.")
            return False
        if got != want:
            if got == -(-4 * n // 3):
                hint = "that is the length without padding: base64 pads the last group to 4 characters with '='."
            elif got == 4 * n // 3:
                hint = "a last group of 1 or 2 bytes still becomes 4 characters: round the groups up."
            else:
                hint = "count groups of 3 bytes, rounding up; each group becomes 4 characters."
            say(f"✘ base64_length({n}): expected {want}, got {got}. Hint: {hint}")
            return False
    say("✔ Exact for 0-39 bytes and for large files (the same as base64.b64encode).")
    return True


def check_crop_prediction(predict, quiet=False):
    """Exercise 2.13: predicted GPT-4o high-detail tokens of an 800 x 300 crop."""
    say = (lambda *a: None) if quiet else print
    status, got = _try(predict)
    if status == "stub":
        say("○ Not attempted yet: replace `raise NotImplementedError()` with `return <number>`.")
        return None
    if status == "error":
        say(f"✘ your function raised {type(got).__name__}: {got}. Return one whole number.")
        return False
    if isinstance(got, bool) or not isinstance(got, numbers.Integral):
        say(f"✘ return a whole number of tokens (an int), not {got!r} ({type(got).__name__}).")
        return False
    hints = {
        255: "800 / 512 is more than 1: round each axis up, so the crop needs 2 tiles across.",
        340: "you counted the tiles but left out the base of 85 tokens every image pays.",
        765: "that is the whole 4032 x 3024 photo (a 2 x 2 grid after the resize); the crop is smaller.",
        85: "85 is the low-detail price; the label goes at high detail.",
        1105: "the crop is not resized: it fits in 2048 x 2048, and its short side (300) is under 768.",
    }
    if got != 425:
        say(f"✘ {got} is not it: " + hints.get(int(got), "resize (does the crop need it?), then "
            "count 512-px tiles per axis rounding up, then 85 + 170 per tile."))
        return False
    say("✔ Right: no resize, ceil(800/512) x ceil(300/512) = 2 x 1 tiles, 85 + 2 x 170 = 425 tokens, "
        "against 765 for the whole photo.")
    return True


def _bmp(width, height, top_down=False):
    """BMP bytes of a width x height image (Pillow writes bottom-up; top_down flips the sign)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buf, "BMP")
    raw = bytearray(buf.getvalue())
    if top_down:
        raw[22:26] = (-height).to_bytes(4, "little", signed=True)
    return bytes(raw)


BMP_CASES = [(301, 173, False), (1, 1, False), (5000, 3, False), (640, 480, True), (70000, 2, False)]


def check_bmp_size(bmp_size, quiet=False):
    """Exercise 2.12: bmp_size(data) -> (width, height) from a BMP header."""
    say = (lambda *a: None) if quiet else print
    if _try(bmp_size, _bmp(3, 2))[0] == "stub":
        say("○ Not attempted yet: replace `raise NotImplementedError()` with your reader.")
        return None
    for w, h, top_down in BMP_CASES:
        status, got = _try(bmp_size, _bmp(w, h, top_down))
        if status != "ok":
            say(f"✘ a {w} x {h} BMP raised {type(got).__name__}: {got}")
            return False
        if not isinstance(got, tuple) or len(got) != 2 or not all(
                isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in got):
            say(f"✘ return a tuple (width, height) of two ints, got {got!r}.")
            return False
        if got == (w, h):
            continue
        if got == (h, w):
            hint = "you returned (height, width): the width comes first in the header and in the answer."
        elif got[1] == -h or got[1] == 2**32 - h:
            hint = ("a negative height means the rows are stored top-down; the image is still "
                    "abs(height) rows tall. Read it as a signed int and take abs().")
        elif got[0] == int.from_bytes(w.to_bytes(4, "little"), "big"):
            hint = "BMP stores numbers little-endian: use '<' in struct.unpack (or 'little')."
        else:
            hint = ("width and height are 4-byte little-endian ints at byte offsets 18 and 22 "
                    "(after the 14-byte file header and the 4-byte header size).")
        say(f"✘ a {w} x {h}{' top-down' if top_down else ''} BMP: expected {(w, h)}, got {got}. Hint: {hint}")
        return False
    status, got = _try(bmp_size, b"\x89PNG\r\n\x1a\n" + bytes(30))
    if status == "ok":
        say(f"✘ a PNG given to bmp_size returned {got!r}; raise ValueError when the data does not start with b'BM'.")
        return False
    if not isinstance(got, ValueError):
        say(f"✘ a PNG given to bmp_size raised {type(got).__name__}; raise ValueError naming the problem.")
        return False
    say("✔ Sizes match on five BMPs, including a top-down one, and a PNG is refused.")
    return True


# %% [markdown]
# ### Exercise 2.11: How long is the base64 text?
#
# **Kind:** transfer
#
# Request-size limits count the *encoded* text, and each vendor's page lists its own. Write `base64_length(n_bytes)`: the exact number of characters standard base64 (with `=`
# padding, no line breaks) produces for `n_bytes` bytes, without encoding anything. The cell
# after the check uses your function to find the largest file under a 5 MiB encoded limit.
#
# <details><summary>Hint</summary>
#
# Each group of 3 bytes becomes 4 characters, and a last group of 1 or 2 bytes is padded to 4
# characters too. How many groups are there, rounding up?
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex2-5-1-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Your answer to Exercise 2.11
def base64_length(n_bytes):
    """Characters of standard (padded) base64 for n_bytes bytes of input."""
    ### BEGIN SOLUTION
    groups = -(-n_bytes // 3)
    return 4 * groups
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex2-5-1-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Check your answer to Exercise 2.11
check_base64_length(base64_length);
### BEGIN HIDDEN TESTS
assert check_base64_length(base64_length, quiet=True) is True
### END HIDDEN TESTS

# %%
limit_chars = 5 * 2**20
try:  # the largest file whose base64 fits the limit, searched with your function
    lo, hi = 0, limit_chars
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if base64_length(mid) <= limit_chars else (lo, mid - 1)
    print(f"largest file under {limit_chars:,} base64 characters: {lo:,} bytes ({lo / 2**20:.3f} MiB)")
except NotImplementedError:
    print("(run this again once Exercise 2.11 is done)")

# %% [markdown]
# ### Exercise 2.12: Read a BMP's size from its header
#
# **Kind:** transfer
#
# BMP is not on any vendor's list, so a client should recognise it and say "convert it to PNG"
# with its size. Write `bmp_size(data)` returning `(width, height)` from the bytes of a BMP
# file, without Pillow. A BMP starts with `b"BM"`; after the 14-byte file header comes the info
# header, whose first 4 bytes are its own size, then the width and the height, each a 4-byte
# **signed little-endian** integer. Work out their byte offsets from that layout, as the
# header readers above do for PNG and GIF. A negative height means the rows are
# stored top to bottom; the image is still `abs(height)` rows tall. Raise `ValueError` when the
# data does not start with `b"BM"`.
#
# <details><summary>Hint</summary>
#
# The info header starts where the 14-byte file header ends, and the width comes after its
# 4-byte size field. In a `struct` format string, `<` means little-endian, `i` a signed 4-byte
# integer and `I` an unsigned one; `int.from_bytes(..., "little", signed=True)` works too.
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex2-5-2-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Your answer to Exercise 2.12
def bmp_size(data):
    """(width, height) in pixels from the header of a BMP file's bytes."""
    ### BEGIN SOLUTION
    if data[:2] != b"BM":
        raise ValueError(f"not a BMP: it starts with {bytes(data[:2])!r}, not b'BM'")
    w, h = struct.unpack("<ii", data[18:26])
    return w, abs(h)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex2-5-2-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Check your answer to Exercise 2.12
check_bmp_size(bmp_size);
### BEGIN HIDDEN TESTS
assert check_bmp_size(bmp_size, quiet=True) is True
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 2.13: What does the label crop cost?
#
# **Kind:** predict-then-run
#
# In section 6, the "read label" photos are sent as a crop of 800 × 300 px at high detail on
# GPT-4o. Without running anything, how many tokens does one crop cost under lesson 2.4's rule
# (fit in 2048 × 2048, short side at most 768, 512-px tiles per axis rounding up, 85 + 170 per
# tile)? Return your prediction from `predicted_crop_tokens()`, run the check, then the cell
# after it.
#
# <details><summary>Hint</summary>
#
# Neither resize step changes an 800 × 300 image. Then count tiles across and down.
# </details>

# %% nbgrader={"grade": false, "grade_id": "ex2-5-3-solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Your answer to Exercise 2.13
def predicted_crop_tokens():
    """Your prediction: GPT-4o high-detail tokens of an 800 x 300 image (a whole number)."""
    ### BEGIN SOLUTION
    return 85 + 170 * 2 * 1
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex2-5-3-check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["hide-input"] jupyter={"source_hidden": true} cellView="form"
#@title Check your answer to Exercise 2.13
check_crop_prediction(predicted_crop_tokens);
### BEGIN HIDDEN TESTS
assert check_crop_prediction(predicted_crop_tokens, quiet=True) is True
### END HIDDEN TESTS

# %%
crop = openai_tokens(800, 300, "high")
whole = openai_tokens(4032, 3024, "high")
print(f"label crop 800 x 300: {crop} tokens; whole photo 4032 x 3024: {whole} tokens")

# %% [markdown]
# ## Summary
#
# - Check an upload from its bytes: the magic bytes give the media type, the header gives the
#   size, and a pixel limit applied to the header stops decompression bombs before any
#   decoding (Pillow itself only warns above `MAX_IMAGE_PIXELS` and raises above twice it).
# - Clean up what phones produce: apply the EXIF rotation, convert CMYK to RGB, keep PNGs
#   (text, transparency) lossless, and do not send more pixels than the service keeps.
# - Base64 makes the request a third larger; tokens still follow the pixel size.
# - As of the vendors' pages in November 2026, OpenAI has `detail` per image, Gemini 3 has
#   `media_resolution`, and Anthropic has no knob: resize the image yourself.
# - Route by task (low detail to classify, high detail on a crop to read), and plan the
#   workload before the invoice does it for you.

# %%
print(f"Lesson ran in {time.perf_counter() - T_START:.1f} s (after the imports).")
