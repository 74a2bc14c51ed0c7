"""Tests of lesson 2.5 (images in an API request): payload checks, clean-up, bodies, planner."""
import base64
import io
import json
import math
import re
import struct
import zlib

import nbformat
import numpy as np
import pytest
from PIL import Image

from nbexport import ROOT, load_exports

NB = "notebooks/2-guided/2-5-images-in-an-api-request.ipynb"


@pytest.fixture(scope="module")
def m():
    return load_exports(NB)


def _cell_source(grade_id):
    nb = nbformat.read(ROOT / NB, as_version=4)
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return cell.source
    raise LookupError(grade_id)


def _solution(grade_id, name):
    ns = {"struct": struct}
    exec(_cell_source(grade_id), ns)  # noqa: S102 - our own notebook
    return ns[name]


def _student_stub(grade_id, name):
    src = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "raise NotImplementedError()",
                 _cell_source(grade_id), flags=re.S)
    ns = {}
    exec(src, ns)  # noqa: S102
    return ns[name]


def _encode(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def _png_claiming(width, height):
    raw = bytearray(_encode(Image.new("L", (1, 1)), "PNG"))
    raw[16:24] = struct.pack(">II", width, height)
    raw[29:33] = struct.pack(">I", zlib.crc32(bytes(raw[12:29])))
    return bytes(raw)


def _photo(w=301, h=173):
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))


def test_first_cell_marks_the_lesson_optional():
    nb = nbformat.read(ROOT / NB, as_version=4)
    blocks = [b for b in nb.cells[0].source.split("\n\n") if b.strip()]
    assert "(optional)" in blocks[0] and blocks[1].startswith("Optional:")


# --- header readers ----------------------------------------------------------------------------

FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}


@pytest.mark.parametrize("media_type", list(FORMATS))
def test_sniff_and_size_of_each_format(m, media_type):
    raw = _encode(_photo(), FORMATS[media_type])
    assert m.sniff_media_type(raw) == media_type
    assert m.read_image_size(raw) == (301, 173)


@pytest.mark.parametrize("name, make", [
    ("progressive jpeg", lambda im: _encode(im, "JPEG", progressive=True)),
    ("jpeg with icc profile", lambda im: _encode(im, "JPEG", icc_profile=bytes(5000))),
    ("jpeg with exif", lambda im: _encode(im, "JPEG", exif=b"Exif\x00\x00" + bytes(300))),
    ("cmyk jpeg", lambda im: _encode(im.convert("CMYK"), "JPEG")),
    ("webp lossless", lambda im: _encode(im, "WEBP", lossless=True)),
    ("webp extended", lambda im: _encode(im.convert("RGBA"), "WEBP", exif=b"Exif\x00\x00")),
    ("gif89a", lambda im: _encode(im.convert("RGBA"), "GIF", transparency=0)),
    ("png 16-bit", lambda im: _encode(im.convert("I;16"), "PNG")),
])
@pytest.mark.parametrize("size", [(1, 1), (301, 173), (5000, 3)])
def test_header_size_matches_pillow(m, name, make, size):
    raw = make(_photo(*size))
    assert m.read_image_size(raw) == Image.open(io.BytesIO(raw)).size == size


def test_media_type_comes_from_bytes_not_name(m, tmp_path):
    path = tmp_path / "scan.jpg"
    path.write_bytes(_encode(_photo(), "PNG"))
    info = m.image_info(path)
    assert info["media_type"] == "image/png" and (info["width"], info["height"]) == (301, 173)
    assert m.build_image_part(str(path), detail="high")["media_type"] == "image/png"


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("data, says", [
    (b"%PDF-1.7\n", "PDF"), (b"PK\x03\x04rest", "ZIP"), (b"<svg xmlns=", "HTML/XML/SVG"),
    (b"BM6\x00\x00\x00", "BMP"), (b"\x00\x00\x00\x1cftypheic\x00\x00", "heic"),
    (b"hello world, not an image", "hello world"), (b"", "empty"),
])
def test_non_images_say_what_was_found(m, data, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        m.build_image_part(data)
    with pytest.raises(ValueError, match=re.escape(says)):
        m.prepare_image(data)


def test_base64_text_instead_of_an_image(m):
    png = _encode(_photo(), "PNG")
    text = base64.b64encode(png).decode()
    for source in (text, text[:200]):  # long or short: never "File name too long"
        with pytest.raises(ValueError, match="base64 text of a PNG.*b64decode"):
            m.image_info(source)
    with pytest.raises(ValueError, match="base64 text of a JPEG"):
        m.image_info(base64.b64encode(_encode(_photo(), "JPEG")).decode())
    with pytest.raises(ValueError, match="base64 text of a PNG"):  # base64 as bytes
        m.image_info(text.encode())
    with pytest.raises(ValueError, match="data URL"):
        m.image_info("data:image/png;base64," + text)
    with pytest.raises(ValueError, match="base64"):
        m.build_image_part(text)
    with pytest.raises(ValueError, match="not a file path"):
        m.image_info("x" * 5000)  # a long string that is no path


def test_truncated_and_corrupt_headers(m):
    png = _encode(_photo(), "PNG")
    with pytest.raises(ValueError, match="truncated"):
        m.image_info(png[:20])
    with pytest.raises(ValueError, match="truncated"):
        m.image_info(b"GIF89a\x01")
    with pytest.raises(ValueError, match="JPEG"):
        m.image_info(b"\xff\xd8\xff\xe0\x00\x10JFIF")
    with pytest.raises(ValueError, match="IHDR"):
        m.image_info(png[:12] + b"XXXX" + png[16:])
    with pytest.raises(ValueError, match="empty image"):
        m.image_info(_png_claiming(0, 10))


def test_payload_type_errors(m, tmp_path):
    with pytest.raises(TypeError, match="bytes or a file path"):
        m.build_image_part(12345)
    with pytest.raises(TypeError, match="bytes"):
        m.sniff_media_type("not bytes")
    with pytest.raises(FileNotFoundError):
        m.build_image_part(tmp_path / "missing.png")
    with pytest.raises(FileNotFoundError):
        m.image_info(str(tmp_path / "missing.png"))
    with pytest.raises(ValueError, match="unknown detail 'ultra'"):
        m.build_image_part(_encode(_photo(), "PNG"), detail="ultra")


def test_decompression_bombs(m):
    """Pillow warns just over MAX_IMAGE_PIXELS and raises over twice it; image_info refuses both."""
    import warnings
    limit = Image.MAX_IMAGE_PIXELS
    warn_side, error_side = math.isqrt(limit) + 1, math.isqrt(2 * limit) + 1
    with pytest.warns(Image.DecompressionBombWarning):
        Image.open(io.BytesIO(_png_claiming(warn_side, warn_side)))
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(_png_claiming(error_side, error_side)))
    for side in (warn_side, error_side):
        bomb = _png_claiming(side, side)
        assert len(bomb) < 100
        with pytest.raises(ValueError, match="decompression bomb") as err:
            m.build_image_part(bomb)
        assert f"{side} x {side}" in str(err.value)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # prepare_image refuses before Pillow would even warn
            with pytest.raises(ValueError, match="decompression bomb"):
                m.prepare_image(bomb)
    assert m.image_info(_png_claiming(limit // 10_000, 10_000))["width"] == limit // 10_000
    with pytest.raises(ValueError, match="limit of 100"):
        m.image_info(_encode(_photo(), "PNG"), max_pixels=100)


# --- clean-up of awkward photos ----------------------------------------------------------------

def test_cmyk_becomes_rgb_jpeg(m):
    raw = _encode(_photo(40, 30).convert("CMYK"), "JPEG")
    out, media_type, size = m.prepare_image(raw)
    assert media_type == "image/jpeg" and size == (40, 30)
    assert Image.open(io.BytesIO(out)).mode == "RGB"


@pytest.mark.parametrize("make", [
    lambda im: im.convert("RGBA"), lambda im: im.convert("LA"),
    lambda im: im.convert("P", palette=Image.Palette.ADAPTIVE),
])
def test_transparency_is_kept_in_png(m, make):
    img = make(_photo(40, 30))
    kw = {"transparency": 0} if img.mode == "P" else {}
    out, media_type, size = m.prepare_image(_encode(img, "PNG", **kw))
    assert media_type == "image/png" and size == (40, 30)
    assert Image.open(io.BytesIO(out)).mode == "RGBA"


@pytest.mark.parametrize("orientation, swapped", [(1, False), (3, False), (6, True), (8, True)])
def test_exif_rotation_is_applied(m, orientation, swapped):
    exif = Image.Exif()
    exif[0x0112] = orientation
    raw = _encode(_photo(60, 20), "JPEG", exif=exif)
    assert m.image_info(raw)["width"] == 60  # the header gives the stored size
    out, _, size = m.prepare_image(raw)
    assert size == ((20, 60) if swapped else (60, 20))
    assert Image.open(io.BytesIO(out)).getexif().get(0x0112, 1) == 1  # no tag left to apply twice


def test_prepare_image_shrinks_only(m):
    assert m.prepare_image(_encode(_photo(3000, 1000), "PNG"), max_side=768)[2] == (768, 256)
    assert m.prepare_image(_encode(_photo(300, 100), "PNG"), max_side=768)[2] == (300, 100)
    assert m.prepare_image(_encode(_photo(30, 10).convert("L"), "JPEG"))[1] == "image/jpeg"


def test_png_stays_png_and_lossless(m):
    """Screenshots and scans of text are PNGs: re-encoding them as JPEG would blur the letters."""
    img = _photo(40, 30)
    out, media_type, _ = m.prepare_image(_encode(img, "PNG"))
    assert media_type == "image/png"
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(out))), np.asarray(img))


@pytest.mark.parametrize("kwargs, match", [
    (dict(max_side=0), "max_side must be a positive"), (dict(max_side=-5), "max_side"),
    (dict(max_side="768"), "max_side"), (dict(max_side=7.5), "max_side"),
    (dict(max_pixels=0), "max_pixels must be a positive"), (dict(max_pixels=-1), "max_pixels"),
    (dict(max_pixels="1e6"), "max_pixels"),
])
def test_prepare_image_bad_options(m, kwargs, match):
    with pytest.raises(ValueError, match=match):
        m.prepare_image(_encode(_photo(40, 30), "PNG"), **kwargs)


def test_prepare_image_max_pixels_is_passed_on(m):
    raw = _encode(_photo(40, 30), "PNG")
    with pytest.raises(ValueError, match="limit of 100; refusing"):
        m.prepare_image(raw, max_pixels=100)
    assert m.prepare_image(raw, max_pixels=40 * 30)[2] == (40, 30)


def test_prepare_image_truncated_pixels_and_file_objects(m):
    raw = _encode(_photo(), "JPEG")
    assert m.image_info(raw[:600])["width"] == 301  # the header alone is intact
    with pytest.raises(ValueError, match="truncated or corrupt"):
        m.prepare_image(raw[:600])
    with pytest.raises(TypeError, match=r"source\.read\(\)"):
        m.prepare_image(io.BytesIO(raw))


# --- request bodies ----------------------------------------------------------------------------

def test_base64_overhead_on_real_bytes(m):
    from skimage import data as skdata
    for fmt in ("PNG", "JPEG"):
        raw = _encode(Image.fromarray(skdata.astronaut()), fmt)
        part = m.build_image_part(raw)
        assert base64.b64decode(part["data"]) == raw and part["n_bytes"] == len(raw)
        assert abs(len(part["data"]) / len(raw) - 4 / 3) < 1e-4


def test_vendor_bodies_put_the_knob_in_the_right_place(m):
    raw = _encode(_photo(), "JPEG")
    for detail in ("low", "high", "auto"):
        part = m.build_image_part(raw, detail=detail)
        image = m.to_openai_chat(part, "hi", model="gpt-4o")["messages"][0]["content"][1]
        assert image["type"] == "image_url" and image["image_url"]["detail"] == detail
        assert image["image_url"]["url"] == "data:image/jpeg;base64," + part["data"]
        an = m.to_anthropic(part, "hi", model="m")
        assert an["messages"][0]["content"][0]["source"] == {
            "type": "base64", "media_type": "image/jpeg", "data": part["data"]}
        assert "detail" not in json.dumps(an) and "resolution" not in json.dumps(an).lower()
        gpart = m.to_gemini(part, "hi")["contents"][0]["parts"][1]
        assert gpart["inlineData"] == {"mimeType": "image/jpeg", "data": part["data"]}
        if detail == "auto":
            assert "mediaResolution" not in gpart
        else:
            assert gpart["mediaResolution"] == {"level": f"media_resolution_{detail}"}
    with pytest.raises(ValueError, match="GIF"):
        m.to_gemini(m.build_image_part(_encode(_photo(), "GIF")), "hi")


# --- routing and planning ----------------------------------------------------------------------

def test_route(m):
    assert m.route("classify", 4032, 3024) == ("low", 4032, 3024, False)
    assert m.route("read_text", 1240, 1754) == ("high", 1240, 1754, False)
    assert m.route("read_text", 4032, 3024, (1600, 1200, 2400, 1500)) == ("high", 800, 300, True)
    with pytest.raises(ValueError, match="unknown task 'ocr'"):
        m.route("ocr", 10, 10)
    with pytest.raises(ValueError, match="inside"):
        m.route("read_text", 100, 100, (0, 0, 200, 50))
    with pytest.raises(ValueError, match="empty"):
        m.route("read_text", 100, 100, (50, 10, 50, 20))  # empty box
    with pytest.raises(ValueError, match=r"not \(x, y, width, height\)"):
        m.route("read_text", 100, 100, (60, 40, 30, 20))  # an (x, y, w, h) box
    with pytest.raises(ValueError, match="four whole numbers"):
        m.route("read_text", 100, 100, (0, 0, 10))
    with pytest.raises(ValueError, match="only for task 'read_text'"):
        m.route("classify", 100, 100, (0, 0, 10, 10))
    with pytest.raises(ValueError, match="width must be a positive"):
        m.route("classify", -5, 100)
    with pytest.raises(TypeError, match="width must be a whole number"):
        m.route("classify", "640", 100)


def test_plan_workload_arithmetic(m):
    mix = [m.ImageKind("a", 3, 4032, 3024, "classify"), m.ImageKind("b", 1, 1240, 1754, "read_text")]
    p = m.plan_workload(1000, mix, "gpt-4o", price_per_million=2.0, routing="routed")
    assert [r["images"] for r in p["rows"]] == [750, 250]
    assert p["tokens_per_day"] == 750 * 85 + 250 * 1105
    assert p["cost_per_day"] == pytest.approx(p["tokens_per_day"] / 1e6 * 2.0)
    high = m.plan_workload(1000, mix, "gpt-4o", 2.0, "all_high")
    low = m.plan_workload(1000, mix, "gpt-4o", 2.0, "all_low")
    assert low["tokens_per_day"] == 1000 * 85 < p["tokens_per_day"] < high["tokens_per_day"]
    assert m.plan_workload(0, mix)["cost_per_day"] == 0
    crop = [m.ImageKind("label", 1, 4032, 3024, "read_text", (1600, 1200, 2400, 1500))]
    assert m.plan_workload(1, crop)["tokens_per_day"] == m.openai_tokens(800, 300, "high")
    as_tuples = [tuple(k) for k in mix]  # plain tuples work like ImageKind
    assert m.plan_workload(1000, as_tuples, "gpt-4o", 2.0)["tokens_per_day"] == p["tokens_per_day"]


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(images_per_day=-1), ValueError, "images_per_day"),
    (dict(images_per_day=1.5), TypeError, "images_per_day"),
    (dict(images_per_day="100"), TypeError, "images_per_day"),
    (dict(images_per_day=True), TypeError, "images_per_day"),
    (dict(price_per_million=-1), ValueError, "price_per_million"),
    (dict(price_per_million="2.5"), ValueError, "price_per_million"),
    (dict(price_per_million=float("nan")), ValueError, "price_per_million"),
    (dict(price_per_million=float("inf")), ValueError, "price_per_million"),
    (dict(mix=[("a", 1, 100, 100, "classify", None, "extra")]), TypeError, "ImageKind"),
    (dict(routing="cheap"), ValueError, "routing"),
    (dict(mix=[]), ValueError, "mix"),
    (dict(mix="photos"), ValueError, "mix"),
    (dict(mix=[("a", 1)]), TypeError, "ImageKind"),
    (dict(mix=[("a", "0.5", 100, 100, "classify")]), TypeError, r"share of 'a' must be a number.*'0.5'.*str"),
    (dict(mix=[("a", -1, 100, 100, "classify")]), ValueError, "share of 'a' must be >= 0"),
    (dict(mix=[("a", 0, 100, 100, "classify")]), ValueError, "all 0"),
    (dict(mix=[("a", 1, 100, 100, "ocr")]), ValueError, "unknown task"),
    (dict(mix=[("a", 1, 100.5, 100, "classify")]), TypeError, "width"),
    (dict(model="gpt-9"), ValueError, "unknown model"),
])
def test_plan_workload_bad_input(m, kwargs, exc, match):
    args = dict(images_per_day=10, mix=[m.ImageKind("a", 1, 100, 100, "classify")])
    args.update(kwargs)
    if "mix" in kwargs and isinstance(kwargs["mix"], list):
        args["mix"] = [m.ImageKind(*k) if 5 <= len(k) <= 6 else k for k in kwargs["mix"]]
    with pytest.raises(exc, match=match):
        m.plan_workload(**args)


# --- exercise checks ---------------------------------------------------------------------------

B64 = ("ex2-5-1-solution", "base64_length")
BMP = ("ex2-5-2-solution", "bmp_size")
CROP = ("ex2-5-3-solution", "predicted_crop_tokens")


@pytest.mark.parametrize("check, ids", [("check_base64_length", B64), ("check_bmp_size", BMP),
                                        ("check_crop_prediction", CROP)])
def test_checks_accept_the_solution_and_see_the_stub(m, capsys, check, ids):
    assert getattr(m, check)(_solution(*ids)) is True
    assert "✔" in capsys.readouterr().out
    assert getattr(m, check)(_student_stub(*ids)) is None
    assert "Not attempted" in capsys.readouterr().out
    assert getattr(m, check)(_solution(*ids), quiet=True) is True
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("wrong, says", [
    (lambda n: n * 4 / 3, "whole number"),
    (lambda n: 4 * n // 3, "round the groups up"),
    (lambda n: -(-4 * n // 3), "padding"),
    (lambda n: 4 * (n // 3 + 1), "groups of 3"),
    (lambda n: 1 / 0, "ZeroDivisionError"),
])
def test_check_base64_length_rejects(m, capsys, wrong, says):
    assert m.check_base64_length(wrong) is False
    out = capsys.readouterr().out
    assert "✘" in out and says in out


def _bmp_swapped(data):
    w, h = struct.unpack("<ii", data[18:26])
    return abs(h), w


def _bmp_unsigned(data):
    if data[:2] != b"BM":
        raise ValueError("not a BMP")
    return struct.unpack("<II", data[18:26])


def _bmp_big_endian(data):
    if data[:2] != b"BM":
        raise ValueError("not a BMP")
    w, h = struct.unpack(">ii", data[18:26])
    return w, abs(h)


def _bmp_no_guard(data):
    w, h = struct.unpack("<ii", data[18:26])
    return w, abs(h)


def _bmp_offsets(data):
    w, h = struct.unpack("<ii", data[14:22])
    return w, abs(h)


@pytest.mark.parametrize("wrong, says", [
    (_bmp_swapped, "(height, width)"),
    (_bmp_unsigned, "signed int"),
    (_bmp_big_endian, "little-endian"),
    (_bmp_no_guard, "raise ValueError"),
    (_bmp_offsets, "offsets 18 and 22"),
    (lambda data: [1, 1], "tuple (width, height)"),
    (lambda data: 1 / 0, "ZeroDivisionError"),
])
def test_check_bmp_size_rejects(m, capsys, wrong, says):
    assert m.check_bmp_size(wrong) is False
    out = capsys.readouterr().out
    assert "✘" in out and says in out


@pytest.mark.parametrize("wrong, says", [
    (lambda: 255, "round each axis up"),
    (lambda: 340, "base of 85"),
    (lambda: 765, "whole 4032 x 3024 photo"),
    (lambda: 85, "low-detail"),
    (lambda: 1105, "not resized"),
    (lambda: 500, "count 512-px tiles"),
    (lambda: 425.0, "whole number"),
    (lambda: "425", "whole number"),
    (lambda: 1 / 0, "ZeroDivisionError"),
])
def test_check_crop_prediction_rejects(m, capsys, wrong, says):
    assert m.check_crop_prediction(wrong) is False
    out = capsys.readouterr().out
    assert "✘" in out and says in out


def test_crop_prediction_matches_the_rule(m):
    assert m.openai_tokens(800, 300, "high") == 425  # the value the check holds


def test_no_lesson_function_passes_a_check(m):
    for fn in (m.read_image_size, m.sniff_media_type, m.image_info, m.build_image_part, m.prepare_image):
        assert m.check_bmp_size(fn, quiet=True) is False
    assert m.check_base64_length(m.image_info, quiet=True) is False


CHECK_CASES = {
    "check_base64_length": {"solution": _solution(*B64),
                            "wrong": [lambda n: n * 4 / 3, lambda n: 4 * n // 3, lambda n: -(-4 * n // 3)]},
    "check_bmp_size": {"solution": _solution(*BMP),
                       "wrong": [_bmp_swapped, _bmp_unsigned, _bmp_big_endian, _bmp_no_guard]},
    "check_crop_prediction": {"solution": _solution(*CROP),
                              "wrong": [lambda: 255, lambda: 340, lambda: 765]},
}
