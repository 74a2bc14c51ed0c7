"""Unit tests of the reference notebook's export cells (notebooks/reference/image-token-rules):
the image-token calculator, its bad-input errors, the API families on every worked example of
their docs, and the image loader on generated bad files. (Agreement with the models' own code:
test_token_crosscheck.py; agreement of lesson 3.5's teaching functions: test_lesson_3_5.py.)"""
import io
import math
import struct
import zlib

import pytest
from PIL import Image

from nbexport import load_exports

NB = "notebooks/reference/image-token-rules.ipynb"
m = load_exports(NB)

REQUIRED = ["llava-1.5", "llava-next", "qwen2-vl", "qwen2.5-vl", "internvl", "idefics3", "smolvlm",
            "paligemma-224", "paligemma-448", "paligemma-896", "pixtral-12b", "gemma3", "llama-3.2-vision",
            "gpt-4o", "claude", "gemini-2"]


def test_exports_use_only_the_standard_library():
    from nbexport import export_sources
    calculator = "\n".join(src for src in export_sources(NB) if "def load_image" not in src)
    imports = {line.split()[1].split(".")[0] for line in calculator.splitlines()
               if line.startswith(("import ", "from "))}
    assert imports <= {"math", "numbers"}, imports


def test_all_required_models_are_known():
    assert set(REQUIRED) <= set(m.known_models())


@pytest.mark.parametrize("model", REQUIRED)
def test_details_are_consistent(model):
    for w, h in [(1, 1), (640, 480), (480, 640), (1920, 1080), (4000, 3000)]:
        d = m.image_token_details(model, w, h)
        assert d["total"] == m.image_tokens(model, w, h) == d["placeholders"] + d["special"] + d["template"]
        assert d["total"] >= 1 and d["width"] == w and d["height"] == h
        x0, y0, x1, y1 = d["layout"]["region"]
        assert x1 > x0 and y1 > y0
        if "breakdown" in d:
            assert sum(d["breakdown"].values()) == d["total"]


# ------------------------------------------------------------------ APIs: every doc example
@pytest.mark.parametrize("w, h, opts, want", [
    (1024, 1024, {}, 765), (2048, 4096, {}, 1105), (1024, 1024, {"detail": "low"}, 85),
    (4096, 4096, {"detail": "low"}, 85), (2048, 4096, {"detail": "high"}, 1105)])
def test_gpt4o_doc_examples(w, h, opts, want):
    assert m.image_tokens("gpt-4o", w, h, **opts) == want


def test_gpt4o_shortest_side_768_only_shrinks():
    assert m.image_tokens("gpt-4o", 512, 512) == 85 + 170  # observed billing; literal upscaling gives 765
    assert m.image_token_details("gpt-4o", 2048, 4096)["resized"] == (768, 1536)


@pytest.mark.parametrize("w, h", [(384, 384), (1, 1), (200, 384), (384, 100)])
def test_gemini_small_images_cost_258(w, h):
    assert m.image_tokens("gemini-2", w, h) == 258


def test_gemini_tiles_of_768():
    assert m.image_tokens("gemini-2", 385, 384) == 258  # one 768 tile
    assert m.image_tokens("gemini-2", 2048, 2048) == 258 * 9
    assert m.image_tokens("gemini-2", 769, 768) == 258 * 2


@pytest.mark.parametrize("w, h, approx", [(200, 200, 54), (1000, 1000, 1334), (1092, 1092, 1590)])
def test_claude_doc_examples_within_the_documented_approximation(w, h, approx):
    got = m.image_tokens("claude", w, h)
    assert abs(got - approx) <= 1 and got == math.ceil(w * h / 750)


def test_claude_caps_long_edge_and_tokens():
    for w, h in [(8000, 8000), (5000, 1000), (1568, 1568), (100, 8000)]:
        d = m.image_token_details("claude", w, h)
        assert max(d["resized"]) <= 1568 and d["total"] <= 1600
    # the docs' "no resize" table stays within the 28 px patch rule's 1,568 patches
    for w, h in [(1092, 1092), (951, 1268), (896, 1344), (819, 1456), (784, 1568)]:
        d = m.image_token_details("claude", w, h, method="patch28")
        assert d["resized"] == (w, h) and d["total"] == math.ceil(w / 28) * math.ceil(h / 28) <= 1568


# ------------------------------------------------------------------ open families: known values
def test_known_values_from_the_facts_file():
    assert m.image_tokens("llava-1.5", 1024, 768) == 576
    assert m.image_tokens("llava-next", 1024, 768) == 2340
    assert m.image_tokens("llava-next", 2048, 2048) == 2928
    assert m.image_tokens("qwen2-vl", 1920, 1080) == 2691 + 2
    assert m.image_tokens("qwen2-vl", 1920, 1080, max_pixels=28 * 28 * 1280) == 1222 + 2
    assert m.image_tokens("internvl", 448, 1792) == m.image_tokens("internvl", 1792, 448) == 2 + 256 * 5
    assert m.image_tokens("internvl", 400, 300) == 2 + 256 * 13
    assert m.image_tokens("pixtral-12b", 2066, 34) == 65
    assert m.image_tokens("pixtral-12b", 2066, 34, rounding="round") == 130
    assert m.image_tokens("gemma3", 640, 480) == 260
    assert [m.image_tokens(f"paligemma-{s}", 10, 10) for s in (224, 448, 896)] == [256, 1024, 4096]
    d = m.image_token_details("llama-3.2-vision", 1024, 768)
    assert d["total"] == 1 and d["vision_positions"] == d["tiles"] * 1601


def test_qwen_rounds_halves_to_even_and_respects_bounds():
    assert m.smart_resize(70, 42) == (56, 56)  # 2.5 -> 2 and 1.5 -> 2
    for w, h in [(1, 1), (20, 3000), (8000, 8000), (3584, 3584), (3585, 3584)]:
        rw, rh = m.smart_resize(w, h, 28, 3136, 12845056)
        assert rw % 28 == rh % 28 == 0 and 3136 <= rw * rh <= 12845056


def test_internvl_thumbnail_only_with_several_tiles():
    assert m.image_token_details("internvl", 448, 448)["crops"] == 1
    assert m.image_token_details("internvl", 700, 700)["crops"] == 5  # 2 x 2 + thumbnail
    assert m.image_token_details("internvl", 1000, 1000)["crops"] == 10  # 3 x 3 + thumbnail
    assert m.image_tokens("internvl", 700, 700, max_tiles=1) == 258


def test_idefics3_and_smolvlm_layouts():
    assert m.image_token_details("idefics3", 300, 300)["grid"] == (4, 4)  # small images are enlarged
    assert m.image_tokens("idefics3", 300, 300, do_image_splitting=False) == 169 + 3
    assert m.image_tokens("smolvlm", 1536, 384) == (81 + 3) + 1 * (4 * (81 + 2) + 1)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("model", ["gpt-5o", "", None, 3, "LLaVA-1.5"])
def test_unknown_model_lists_the_known_ids(model):
    with pytest.raises(ValueError, match="known models: llava-1.5.*gemini-2"):
        m.image_tokens(model, 100, 100)


@pytest.mark.parametrize("w, h, err, text", [
    (0, 10, ValueError, "at least 1"), (10, -5, ValueError, "at least 1"),
    (100_001, 10, ValueError, "100,000"), (10.0, 10, TypeError, "whole number"),
    ("640", 480, TypeError, "whole number"), (True, 10, TypeError, "whole number"), (None, 10, TypeError, "int")])
def test_bad_sizes(w, h, err, text):
    with pytest.raises(err, match=text):
        m.image_tokens("gpt-4o", w, h)


def test_largest_allowed_side_works():
    assert m.image_tokens("gpt-4o", 100_000, 1) > 0


@pytest.mark.parametrize("model, opts, err", [
    ("gpt-4o", {"detial": "low"}, TypeError), ("qwen2-vl", {"max_tiles": 4}, TypeError),
    ("llava-1.5", {"detail": "low"}, TypeError), ("gpt-4o", {"detail": "auto"}, ValueError),
    ("internvl", {"max_tiles": 0}, ValueError), ("qwen2-vl", {"max_pixels": 1.5e6}, TypeError),
    ("qwen2-vl", {"min_pixels": 10_000, "max_pixels": 5_000}, ValueError),
    ("gemma3", {"pan_and_scan": "yes"}, TypeError), ("llava-next", {"pinpoints": [[300, 600]]}, ValueError),
    ("pixtral-12b", {"rounding": "ceil"}, ValueError)])
def test_bad_options_are_rejected(model, opts, err):
    with pytest.raises(err):
        m.image_tokens(model, 640, 480, **opts)


def test_qwen_rejects_aspect_over_200_like_the_model():
    assert m.image_tokens("qwen2-vl", 8000, 40) > 0           # exactly 200 is allowed
    for w, h in [(8000, 39), (39, 8000), (201, 1)]:
        with pytest.raises(ValueError, match="aspect ratio"):
            m.image_tokens("qwen2-vl", w, h)


def test_pixtral_rejects_sizes_its_resize_cannot_make():
    with pytest.raises(ValueError, match="0 px"):
        m.image_tokens("pixtral-12b", 1200, 1)


def test_token_report_covers_every_model_and_keeps_rejections():
    report = m.token_report(8000, 30)
    assert set(report) == set(m.known_models())
    assert report["qwen2-vl"].startswith("rejected") and report["gpt-4o"] > 0


# ------------------------------------------------------------------ the image loader
def _encode(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def _png_claiming(width, height):
    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


SAMPLE = Image.new("RGB", (40, 30), (200, 30, 30))


@pytest.mark.parametrize("blob, text", [
    (b"", "empty"), (b"GIF89a but not really", "not an image"), (b"%PDF-1.7 ...", "not an image"),
    (_png_claiming(60000, 60000), "bomb"), (_png_claiming(9000, 9000), "over the"),
    (_encode(SAMPLE, "JPEG")[:200], "could not be decoded")])
def test_loader_rejects_bad_files(blob, text):
    with pytest.raises(ValueError, match=text):
        m.load_image(blob)


@pytest.mark.parametrize("bad", [None, "photo.jpg", 42, [1, 2, 3]])
def test_loader_rejects_non_bytes(bad):
    with pytest.raises(TypeError, match="bytes"):
        m.load_image(bad)


@pytest.mark.parametrize("mode, fmt", [("CMYK", "JPEG"), ("RGBA", "PNG"), ("L", "PNG"), ("LA", "PNG"),
                                       ("P", "PNG"), ("1", "PNG"), ("I;16", "PNG"), ("RGB", "WEBP")])
def test_loader_converts_modes_to_rgb(mode, fmt):
    img = m.load_image(_encode(SAMPLE.convert(mode), fmt))
    assert img.mode == "RGB" and img.size == (40, 30)


def test_loader_puts_transparency_over_white():
    clear = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    assert m.load_image(_encode(clear, "PNG")).getpixel((4, 4)) == (255, 255, 255)


@pytest.mark.parametrize("orientation, size", [(1, (40, 30)), (3, (40, 30)), (6, (30, 40)), (8, (30, 40))])
def test_loader_uses_the_displayed_orientation(orientation, size):
    exif = Image.Exif()
    exif[0x0112] = orientation
    img = m.load_image(memoryview(_encode(SAMPLE, "JPEG", exif=exif.tobytes())))
    assert img.size == size
    assert m.token_report(*img.size)["qwen2-vl"] == m.image_tokens("qwen2-vl", *size)
