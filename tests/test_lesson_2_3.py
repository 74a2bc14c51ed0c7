"""Tests of lesson 2.3 (the token estimator): its export cells, bad-input errors and checks."""
import base64
import io
import json
import math
import random
import re
import struct
import zlib

import nbformat
import numpy as np
import pytest
from PIL import Image

from nbexport import ROOT, load_exports

NB = "notebooks/2-guided/2-3-token-estimator.ipynb"


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
    """The notebook's own solution function (the nbgrader solution cell, run on its own)."""
    ns = {}
    exec(_cell_source(grade_id), ns)  # noqa: S102 - our own notebook
    return ns[name]


def _student_stub(grade_id, name):
    """What nbgrader's student version holds: the solution region replaced by NotImplementedError."""
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


# --- the flawed estimator and the property test ------------------------------------------------

def test_flawed_estimator_reproduces_the_article(m):
    assert m.flawed_estimate(1024, 768, False) == 1024
    assert m.flawed_estimate(1024, 768, True) == 648
    assert m.flawed_estimate(2048, 2048, True) == 560


def test_property_test_catches_the_flawed_estimator(m):
    found = m.find_violations(m.flawed_estimate)
    assert set(found) == {m.RULE_PIXELS, m.RULE_DETAIL}
    for v in found.values():  # each counterexample is real: recompute both sides
        for w, h, mode, tokens in (v.should_cost_more, v.should_cost_less):
            assert m.flawed_estimate(w, h, mode == "high") == tokens
        assert v.should_cost_more[3] < v.should_cost_less[3]
        more, less = v.should_cost_more, v.should_cost_less
        assert more[0] * more[1] >= less[0] * less[1]
    with pytest.raises(AssertionError, match="never"):
        m.assert_properties(m.flawed_estimate)


def test_property_test_finds_a_planted_bug(m):
    """A subtle bug (an estimator that drops one tile above 2000 px) must be caught too."""
    def sneaky(w, h, hi):
        t = m.fixed_estimate(w, h, hi)
        return t - 576 if hi and w > 2000 and h > 2000 else t
    assert m.find_violations(sneaky, n_trials=300, seed=0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fixed_estimator_passes_the_property_test(m, seed):
    assert m.find_violations(m.fixed_estimate, n_trials=300, seed=seed) == {}


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4o-mini", "gpt-5", "llava-1.5", "article-fixed"])
def test_every_policy_passes_the_property_test(m, model):
    def est(w, h, hi):
        return m.estimate_tokens(w, h, model, "high" if hi else "low")
    assert m.find_violations(est, n_trials=300, seed=3, max_side=5000) == {}


# --- the fix and the tiling policies -----------------------------------------------------------

def test_fixed_estimator_values(m):
    assert m.TOKENS_336 == 576
    assert m.fixed_estimate(1024, 768, False) == 576
    assert m.fixed_estimate(1024, 768, True) == 4 * 3 * 576 + 576
    assert m.fixed_estimate(336, 336, True) == 576  # one tile: no thumbnail
    assert m.fixed_estimate(337, 336, True) == 2 * 576 + 576  # one extra pixel -> one extra tile
    assert m.fixed_estimate(1, 1, True) == 576  # never zero tokens


def test_cap_shrinks_instead_of_cropping(m):
    for w, h in [(2048, 2048), (5000, 300), (300, 20000), (4032, 3024)]:
        p = m.tile_plan(m.ARTICLE_FIXED, w, h)
        assert p.tiles <= 36
        assert p.resized_width <= w and p.resized_height <= h
        assert p.cols == -(-p.resized_width // 336) and p.rows == -(-p.resized_height // 336)
        # aspect kept to within one pixel of rounding
        assert abs(p.resized_width / p.resized_height - w / h) <= 1 / min(p.resized_width, p.resized_height) + 1e-9
    # the cap uses the largest allowed grid: 2048 x 2048 shrinks to 6 x 6, not fewer
    assert m.tile_plan(m.ARTICLE_FIXED, 2048, 2048).tiles == 36


def test_published_numbers(m):
    for size in [(1024, 768), (37, 4000), (336, 336), (8000, 8000)]:
        assert m.estimate_tokens(*size, model="llava-1.5", detail="high") == 576
        assert m.estimate_tokens(*size, model="llava-1.5", detail="low") == 576
    for size in [(1, 1), (512, 512), (4096, 4096), (100, 9000)]:
        assert m.estimate_tokens(*size, model="gpt-4o", detail="low") == 85
    assert m.estimate_tokens(1024, 1024, "gpt-4o", "high") == 765
    assert m.estimate_tokens(2048, 4096, "gpt-4o", "high") == 1105
    assert m.estimate_tokens(1024, 768, "gpt-4o", "high") == 765
    assert m.estimate_tokens(512, 512, "gpt-4o", "high") == 255  # shrink-only reading
    assert m.estimate_tokens(768, 2048, "gpt-4o", "high") == 85 + 8 * 170  # the maximum, 1,445
    assert m.estimate_tokens(1024, 1024, "gpt-4o-mini", "low") == 2833
    assert m.estimate_tokens(1024, 1024, "gpt-5", "high") == 70 + 4 * 140


def _openai_doc_rule(w, h, base=85, per_tile=170):
    """Independent re-reading of OpenAI's documented steps: scale factors as exact fractions,
    sizes truncated to whole pixels (floats would differ on rare sizes, e.g. 4487 x 8976,
    where 8976 * (2048 / 8976) evaluates to just under 2048)."""
    from fractions import Fraction
    if max(w, h) > 2048:
        s = Fraction(2048, max(w, h))
        w, h = int(w * s), int(h * s)
    if min(w, h) > 768:
        s = Fraction(768, min(w, h))
        w, h = int(w * s), int(h * s)
    return base + per_tile * math.ceil(max(w, 1) / 512) * math.ceil(max(h, 1) / 512)


def test_gpt4o_high_agrees_with_an_independent_reading(m):
    rng = random.Random(7)
    sizes = [(rng.randint(1, 9000), rng.randint(1, 9000)) for _ in range(3000)]
    sizes += [(768, 768), (769, 1024), (2048, 2049), (1536, 1537), (513, 512)]
    disagree = [(w, h) for w, h in sizes if m.estimate_tokens(w, h) != _openai_doc_rule(w, h)]
    assert disagree == []


def test_gpt4o_cap_of_8_tiles_never_binds(m):
    rng = random.Random(11)
    policy = m.get_policy("gpt-4o", "high")
    for _ in range(3000):
        w, h = rng.randint(1, 12000), rng.randint(1, 12000)
        rw, rh = m._resize(policy, w, h)
        assert (-(-rw // 512)) * (-(-rh // 512)) <= 8


def test_tile_plan_is_consistent(m):
    p = m.tile_plan(m.get_policy("gpt-4o", "high"), 2048, 4096)
    assert (p.resized_width, p.resized_height, p.cols, p.rows) == (768, 1536, 2, 3)
    assert p.tiles == 6 and p.tile_tokens == 6 * 170 and p.thumbnail_tokens == 85
    assert p.total == m.policy_tokens(m.get_policy("gpt-4o", "high"), 2048, 4096) == 1105
    low = m.tile_plan(m.get_policy("gpt-4o", "low"), 2048, 4096)
    assert low.tiles == 0 and low.total == 85


def test_aspect_matters(m):
    """Widening an image can lower GPT-4o's count (why the property keeps the aspect ratio)."""
    assert m.estimate_tokens(2048, 2100) < m.estimate_tokens(1500, 2100)


# --- bad input: estimator ----------------------------------------------------------------------

@pytest.mark.parametrize("bad, exc", [
    (0, ValueError), (-5, ValueError), (1024.0, TypeError), (1024.5, TypeError),
    ("1024", TypeError), (True, TypeError), (False, TypeError), (None, TypeError),
])
def test_estimators_reject_bad_sizes(m, bad, exc):
    for fn in (lambda: m.estimate_tokens(bad, 768), lambda: m.estimate_tokens(768, bad),
               lambda: m.flawed_estimate(bad, 768), lambda: m.fixed_estimate(768, bad),
               lambda: m.tile_plan(m.ARTICLE_FIXED, bad, 10)):
        with pytest.raises(exc, match="width|height"):
            fn()


def test_numpy_integers_are_accepted(m):
    assert m.estimate_tokens(np.int64(1024), np.int32(768)) == 765


def test_estimator_rejects_bad_detail_and_model(m):
    with pytest.raises(ValueError, match="unknown detail 'medium'"):
        m.estimate_tokens(1024, 768, detail="medium")
    with pytest.raises(ValueError, match="auto"):
        m.estimate_tokens(1024, 768, detail="auto")
    with pytest.raises(TypeError, match="detail"):
        m.estimate_tokens(1024, 768, detail=None)
    with pytest.raises(ValueError, match="unknown model 'gpt-9'.*gpt-4o"):
        m.estimate_tokens(1024, 768, model="gpt-9")
    with pytest.raises(TypeError, match="model"):
        m.estimate_tokens(1024, 768, model=4)
    with pytest.raises(TypeError, match="high_res"):
        m.flawed_estimate(1024, 768, "yes")
    with pytest.raises(TypeError, match="high_res"):
        m.fixed_estimate(1024, 768, 1)


def test_policy_validation(m):
    with pytest.raises(ValueError, match="thumbnail"):
        m.TilingPolicy("x", 336, 576, thumbnail="sometimes")
    with pytest.raises(ValueError, match="resize"):
        m.TilingPolicy("x", 336, 576, resize="stretch")
    with pytest.raises(ValueError, match="max_tiles"):
        m.TilingPolicy("x", 336, 576, max_tiles=-1)
    with pytest.raises(ValueError, match="tokens_per_tile"):
        m.TilingPolicy("x", 336, -1)
    with pytest.raises(TypeError, match="tile_size"):
        m.TilingPolicy("x", 336.0, 576)


# --- payloads ----------------------------------------------------------------------------------

FORMATS = {
    "image/png": dict(fmt="PNG"), "image/jpeg": dict(fmt="JPEG"), "image/gif": dict(fmt="GIF"),
    "image/webp": dict(fmt="WEBP"),
}


@pytest.mark.parametrize("media_type", list(FORMATS))
def test_sniff_and_size_of_each_format(m, media_type):
    raw = _encode(_photo(), FORMATS[media_type]["fmt"])
    assert m.sniff_media_type(raw) == media_type
    assert m.read_image_size(raw) == (301, 173)


@pytest.mark.parametrize("name, make", [
    ("progressive jpeg", lambda im: _encode(im, "JPEG", progressive=True)),
    ("jpeg with icc profile", lambda im: _encode(im, "JPEG", icc_profile=bytes(5000))),
    ("jpeg with exif", lambda im: _encode(im, "JPEG", exif=b"Exif\x00\x00" + bytes(300))),
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
    part = m.build_image_part(str(path), detail="high")
    assert part["media_type"] == "image/png"


@pytest.mark.parametrize("data, says", [
    (b"%PDF-1.7\n", "PDF"), (b"PK\x03\x04rest", "ZIP"), (b"<svg xmlns=", "HTML/XML/SVG"),
    (b"BM6\x00\x00\x00", "BMP"), (b"\x00\x00\x00\x1cftypheic\x00\x00", "heic"),
    (b"hello world, not an image", "hello world"), (b"", "empty"),
])
def test_not_images_say_what_was_found(m, data, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        m.build_image_part(data)
    if data:  # the message shows the first bytes
        with pytest.raises(ValueError, match=re.escape(repr(data[:4])[2:-1])):
            m.sniff_media_type(data)


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
    with pytest.raises(ValueError, match="unknown detail 'ultra'"):
        m.build_image_part(_encode(_photo(), "PNG"), detail="ultra")


def test_decompression_bomb_is_refused_from_the_header(m):
    limit = Image.MAX_IMAGE_PIXELS
    side_warn = math.isqrt(limit) + 1  # just over the limit: Pillow would only warn
    side_error = math.isqrt(2 * limit) + 1  # over twice the limit: Pillow would raise
    for side in (side_warn, side_error):
        bomb = _png_claiming(side, side)
        assert len(bomb) < 100
        with pytest.raises(ValueError, match="decompression bomb") as err:
            m.build_image_part(bomb)
        assert f"{side} x {side}" in str(err.value)
    just_under = _png_claiming(limit // 10_000, 10_000)
    assert m.image_info(just_under)["width"] == limit // 10_000
    with pytest.raises(ValueError, match="limit of 100"):
        m.image_info(_encode(_photo(), "PNG"), max_pixels=100)


def test_base64_overhead_on_real_bytes(m):
    from skimage import data as skdata
    for fmt in ("PNG", "JPEG"):
        raw = _encode(Image.fromarray(skdata.astronaut()), fmt)
        part = m.build_image_part(raw)
        assert base64.b64decode(part["data"]) == raw
        assert part["n_bytes"] == len(raw)
        assert abs(len(part["data"]) / len(raw) - 4 / 3) < 1e-4


def test_vendor_bodies_put_the_knob_in_the_right_place(m):
    raw = _encode(_photo(), "JPEG")
    for detail in ("low", "high", "auto"):
        part = m.build_image_part(raw, detail=detail)
        oa = m.to_openai_chat(part, "hi", model="gpt-4o")
        image = oa["messages"][0]["content"][1]
        assert image["type"] == "image_url" and image["image_url"]["detail"] == detail
        assert image["image_url"]["url"] == "data:image/jpeg;base64," + part["data"]
        an = m.to_anthropic(part, "hi", model="m")
        assert an["messages"][0]["content"][0]["source"] == {
            "type": "base64", "media_type": "image/jpeg", "data": part["data"]}
        assert "detail" not in json.dumps(an) and "resolution" not in json.dumps(an).lower()
        ge = m.to_gemini(part, "hi")
        gpart = ge["contents"][0]["parts"][1]
        assert gpart["inlineData"] == {"mimeType": "image/jpeg", "data": part["data"]}
        if detail == "auto":
            assert "mediaResolution" not in gpart
        else:
            assert gpart["mediaResolution"] == {"level": f"media_resolution_{detail}"}
    gif = m.build_image_part(_encode(_photo(), "GIF"))
    with pytest.raises(ValueError, match="GIF"):
        m.to_gemini(gif, "hi")


# --- routing and planning ----------------------------------------------------------------------

def test_route(m):
    assert m.route("classify", 4032, 3024) == m.Route("low", 4032, 3024, False)
    assert m.route("read_text", 1240, 1754) == m.Route("high", 1240, 1754, False)
    assert m.route("read_text", 4032, 3024, (1600, 1200, 2400, 1500)) == m.Route("high", 800, 300, True)
    crop = m.route_tokens("read_text", 4032, 3024, (1600, 1200, 2400, 1500))
    assert m.route_tokens("classify", 4032, 3024) == 85 < crop < m.estimate_tokens(4032, 3024)
    with pytest.raises(ValueError, match="unknown task 'ocr'"):
        m.route("ocr", 10, 10)
    with pytest.raises(ValueError, match="outside"):
        m.route("read_text", 100, 100, (0, 0, 200, 50))
    with pytest.raises(ValueError, match="outside"):
        m.route("read_text", 100, 100, (50, 10, 50, 20))  # empty box
    with pytest.raises(ValueError, match="read_text"):
        m.route("classify", 100, 100, (0, 0, 10, 10))
    with pytest.raises(TypeError, match="int"):
        m.route("read_text", 100, 100, (0, 0, 10.5, 10))
    with pytest.raises(ValueError, match="left, top, right, bottom"):
        m.route("read_text", 100, 100, (0, 0, 10))


def test_plan_workload_arithmetic(m):
    mix = [m.ImageKind("a", 3, 4032, 3024, "classify"), m.ImageKind("b", 1, 1240, 1754, "read_text")]
    p = m.plan_workload(1000, mix, "gpt-4o", price_per_million=2.0, routing="routed")
    assert [r["images"] for r in p["rows"]] == [750, 250]
    assert p["tokens_per_day"] == 750 * 85 + 250 * 1105
    assert p["cost_per_day"] == pytest.approx(p["tokens_per_day"] / 1e6 * 2.0)
    assert p["cost_per_month"] == pytest.approx(30 * p["cost_per_day"])
    for r in p["rows"]:
        assert r["thumbnail_tokens_per_day"] + r["tile_tokens_per_day"] == pytest.approx(r["tokens_per_day"])
    high = m.plan_workload(1000, mix, "gpt-4o", 2.0, "all_high")
    low = m.plan_workload(1000, mix, "gpt-4o", 2.0, "all_low")
    assert low["tokens_per_day"] == 1000 * 85 < p["tokens_per_day"] < high["tokens_per_day"]
    assert m.plan_workload(0, mix)["cost_per_month"] == 0


def test_plan_workload_bad_input(m):
    mix = [m.ImageKind("a", 1, 100, 100, "classify")]
    for kwargs, match in [
        (dict(images_per_day=-1, mix=mix), "images_per_day"),
        (dict(images_per_day=1.5, mix=mix), "images_per_day"),
        (dict(images_per_day=True, mix=mix), "images_per_day"),
        (dict(images_per_day=10, mix=mix, price_per_million=-1), "price_per_million"),
        (dict(images_per_day=10, mix=mix, routing="cheap"), "routing"),
        (dict(images_per_day=10, mix=[]), "mix"),
        (dict(images_per_day=10, mix=[m.ImageKind("a", 0, 100, 100, "classify")]), "mix"),
    ]:
        with pytest.raises(ValueError, match=match):
            m.plan_workload(**kwargs)
    with pytest.raises(ValueError, match="unknown model"):
        m.plan_workload(10, mix, model="gpt-9")


# --- exercise checks ---------------------------------------------------------------------------
# CHECK_CASES is gathered by tests/test_exercises.py: the solution and plausible wrong answers.

def test_check_fixed_estimator_accepts_the_solution(m, capsys):
    solution = _solution("ex2-3-1-solution", "fixed_estimate_exercise")
    assert m.check_fixed_estimator(solution) is True
    assert "✔" in capsys.readouterr().out


def test_check_fixed_estimator_not_attempted(m, capsys):
    stub = _student_stub("ex2-3-1-solution", "fixed_estimate_exercise")
    assert m.check_fixed_estimator(stub) is None
    assert "Not attempted" in capsys.readouterr().out


def _floor_grid(w, h, hi=True):
    if not hi:
        return 576
    tiles = max(1, (w // 336) * (h // 336))
    return tiles * 576 + (576 if tiles > 1 else 0)


def _no_thumbnail(w, h, hi=True):
    return 576 if not hi else (-(-w // 336)) * (-(-h // 336)) * 576


def _low_is_1024(w, h, hi=True):
    return (448 // 14) ** 2 if not hi else _solution("ex2-3-1-solution", "fixed_estimate_exercise")(w, h, hi)


def _thumbnail_always(w, h, hi=True):
    return 576 if not hi else (-(-w // 336)) * (-(-h // 336)) * 576 + 576


def _crashes(w, h, hi=True):
    raise ZeroDivisionError("oops")


@pytest.mark.parametrize("wrong, says", [
    (lambda w, h, hi=True: None, "expected"),
    ("flawed", "article's arithmetic"),
    (_floor_grid, "ceil"),
    (_no_thumbnail, "thumbnail"),
    (_low_is_1024, "low mode"),
    (_thumbnail_always, "expected"),
    (_crashes, "ZeroDivisionError"),
])
def test_check_fixed_estimator_rejects_wrong_answers(m, capsys, wrong, says):
    fn = m.flawed_estimate if wrong == "flawed" else wrong
    assert m.check_fixed_estimator(fn) is False
    out = capsys.readouterr().out
    assert "✘" in out and says in out


def test_check_fixed_estimator_uses_the_property_test(m, capsys):
    """An answer right on every worked example but wrong elsewhere is caught by the search."""
    solution = _solution("ex2-3-1-solution", "fixed_estimate_exercise")

    def almost(w, h, hi=True):  # exact up to 5 MP, then a flat 576: bigger images cost less
        return solution(w, h, hi) if w * h <= 5_000_000 else 576
    assert m.check_fixed_estimator(almost, quiet=True) is False
    assert capsys.readouterr().out == ""  # quiet prints nothing
    m.check_fixed_estimator(almost)
    assert "property test found" in capsys.readouterr().out


def test_check_base64_length(m, capsys):
    solution = _solution("ex2-3-2-solution", "base64_length")
    assert m.check_base64_length(solution) is True
    assert "✔" in capsys.readouterr().out
    stub = _student_stub("ex2-3-2-solution", "base64_length")
    assert m.check_base64_length(stub) is None
    assert "Not attempted" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, says", [
    (lambda n: n * 4 / 3, "int"),
    (lambda n: 4 * n // 3, "round the groups up"),
    (lambda n: -(-4 * n // 3), "padding"),
    (lambda n: round(n * 4 / 3), "expected"),
    (lambda n: 4 * (n // 3 + 1), "groups of 3"),
    (lambda n: len(base64.b64encode(b"x" * n)) + 1, "groups of 3"),
    (lambda n: 1 / 0, "ZeroDivisionError"),
])
def test_check_base64_length_rejects_wrong_answers(m, capsys, wrong, says):
    assert m.check_base64_length(wrong) is False
    out = capsys.readouterr().out
    assert "✘" in out and says in out


CHECK_CASES = {
    "check_fixed_estimator": {
        "solution": _solution("ex2-3-1-solution", "fixed_estimate_exercise"),
        "wrong": [_floor_grid, _no_thumbnail, _low_is_1024, _thumbnail_always, _crashes],
    },
    "check_base64_length": {
        "solution": _solution("ex2-3-2-solution", "base64_length"),
        "wrong": [lambda n: n * 4 / 3, lambda n: 4 * n // 3, lambda n: -(-4 * n // 3)],
    },
}
