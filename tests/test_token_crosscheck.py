"""Cross-check the reference notebook's ``image_tokens`` (notebooks/reference/image-token-rules) against the models' own preprocessing code.

Test-only dependency: huggingface ``transformers`` (requirements-dev.txt). Nothing is downloaded:
every image processor and processor is constructed offline from the released checkpoints'
``preprocessor_config.json`` / ``processor_config.json`` values, with a tiny stand-in tokenizer
(built with the ``tokenizers`` library) that knows each model's special tokens and merges
``"\\n\\n"`` into one token, as the real Llama-3 / SmolLM2 / Gemma vocabularies do.

Three layers, per open family:

* **Full processor, real pixels** (25 small images, 13 for Idefics3/SmolVLM; real resampling and tokenization):
  ``processor(text=..., images=[img])`` and the image tokens counted in ``input_ids``.
* **Processor code path, shape-only resampling** (>= 1,000 random sizes, sides 1-8000 px, extreme
  aspect ratios, plus edge cases): the processor's own ``_process_images`` (image processor +
  ``replace_image_token``) runs with ``image_processing_backends.np_resize`` replaced by a stub
  that returns a zero-stride array of the size the library asked for (so an 8000 px image costs
  nothing); the expansion string is counted token by token with the stand-in tokenizer.
  Qwen's ``patchify`` copies the whole resized image (up to 12.8 MP), so for Qwen the 1,000+
  sizes go through its ``resize`` override (stubbed resampling) + ``replace_image_token``, and a
  subset of 60 sizes (sides up to 1500 px) through the full ``_process_images``.
* Where the model's code rejects a size, the calculator must reject it too (ValueError).

Not checkable offline (skipped with the reason): the API families (OpenAI, Anthropic, Google)
have no code, only documented formulas (tested in test_reference_tokens.py on the docs' examples).
Partly checked: SmolVLM's processor needs the ``num2words`` package, so its image processor and
its module-level ``get_image_prompt_string`` (what ``replace_image_token`` calls) are used;
Pixtral's processor module imports the torchvision image processor for a helper it only uses in
``_get_num_multimodal_tokens``; we shim that import with the PIL module's function of the same
name; Llama 3.2 Vision's 1601 positions per tile is the modelling code's formula, not executed.
"""
from __future__ import annotations

import functools
import importlib
import re
import sys
import types
from unittest import mock

import numpy as np
import pytest

tf = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

import transformers.image_processing_backends as backends  # noqa: E402
from transformers import PreTrainedTokenizerFast, ProcessorMixin  # noqa: E402

from nbexport import load_exports  # noqa: E402

NB = "notebooks/reference/image-token-rules.ipynb"
calc = load_exports(NB)

N_RANDOM = 1000
QWEN_SUBSET = 60
QWEN = ("qwen2-vl", "qwen2.5-vl")
OPEN_FAMILIES = ["llava-1.5", "llava-next", *QWEN, "internvl", "idefics3", "smolvlm", "paligemma-224",
                 "paligemma-448", "paligemma-896", "pixtral-12b", "gemma3", "llama-3.2-vision"]
API_FAMILIES = ["gpt-4o", "claude", "gemini-2"]


# ----------------------------------------------------------------------------- offline set-up
def make_tokenizer(extra_special=None, more=()):
    """A tiny BPE tokenizer: a few characters, "\\n\\n" merged into one token, given special tokens."""
    vocab = {"<unk>": 0, "\n": 1, "\n\n": 2, " ": 3}
    for ch in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:'":
        vocab.setdefault(ch, len(vocab))
    model = tokenizers.models.BPE(vocab=vocab, merges=[("\n", "\n")], unk_token="<unk>")
    tok = PreTrainedTokenizerFast(tokenizer_object=tokenizers.Tokenizer(model), unk_token="<unk>",
                                  bos_token="<bos>", extra_special_tokens=extra_special or {})
    if more:
        tok.add_tokens(list(more), special_tokens=True)
    return tok


_original_check = ProcessorMixin.check_argument_for_proper_class


def _check_without_video(self, name, arg):
    """Video processors need torchvision (not installed); we pass None for them and skip only that check."""
    if arg is None and "video" in name:
        return None
    return _original_check(self, name, arg)


def _pixtral_processor_module():
    """Import processing_pixtral without torchvision (see the module docstring)."""
    name = "transformers.models.pixtral.image_processing_pixtral"
    try:
        importlib.import_module(name)
    except ImportError:
        pil = importlib.import_module("transformers.models.pixtral.image_processing_pil_pixtral")
        shim = types.ModuleType(name)
        shim.get_resize_output_image_size = pil.get_resize_output_image_size
        sys.modules[name] = shim
    return importlib.import_module("transformers.models.pixtral.processing_pixtral")


IDEFICS_SPECIALS = (["<fake_token_around_image>", "<image>", "<end_of_utterance>", "<global-img>"]
                    + [f"<row_{i}_col_{j}>" for i in range(1, 7) for j in range(1, 7)])


@functools.lru_cache(maxsize=None)
def build(model):
    """(processor, prompt, token ids counted as the image) for ``model``, from released config values."""
    with mock.patch.object(ProcessorMixin, "check_argument_for_proper_class", _check_without_video):
        if model == "llava-1.5":  # llava-hf/llava-1.5-7b-hf
            ip = tf.CLIPImageProcessorPil(size={"shortest_edge": 336}, crop_size={"height": 336, "width": 336})
            p = tf.LlavaProcessor(ip, make_tokenizer(more=["<image>"]), patch_size=14,
                                  vision_feature_select_strategy="default", num_additional_image_tokens=1)
            return p, "<image>", None
        if model == "llava-next":  # llava-hf/llava-v1.6-mistral-7b-hf
            ip = tf.LlavaNextImageProcessorPil(
                size={"shortest_edge": 336}, crop_size={"height": 336, "width": 336},
                image_grid_pinpoints=[[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]])
            p = tf.LlavaNextProcessor(ip, make_tokenizer(more=["<image>"]), patch_size=14,
                                      vision_feature_select_strategy="default", num_additional_image_tokens=1)
            return p, "<image>", None
        if model in QWEN:  # Qwen/Qwen2-VL-7B-Instruct, Qwen/Qwen2.5-VL-7B-Instruct
            ip = tf.Qwen2VLImageProcessorPil(min_pixels=3136, max_pixels=12845056, patch_size=14,
                                             merge_size=2, temporal_patch_size=2)
            cls = tf.Qwen2VLProcessor if model == "qwen2-vl" else tf.Qwen2_5_VLProcessor
            tok = make_tokenizer(more=["<|image_pad|>", "<|video_pad|>", "<|vision_start|>", "<|vision_end|>"])
            # the chat template writes <|vision_start|><|image_pad|><|vision_end|> for each image
            return cls(image_processor=ip, tokenizer=tok, video_processor=None), \
                "<|vision_start|><|image_pad|><|vision_end|>", None
        if model == "internvl":  # OpenGVLab/InternVL3-*-hf
            ip = tf.GotOcr2ImageProcessorPil(size={"height": 448, "width": 448}, crop_to_patches=True,
                                             min_patches=1, max_patches=12)
            tok = make_tokenizer({"start_image_token": "<img>", "end_image_token": "</img>",
                                  "context_image_token": "<IMG_CONTEXT>", "video_token": "<video>"})
            p = tf.InternVLProcessor(image_processor=ip, tokenizer=tok, video_processor=None, image_seq_length=256)
            return p, "<IMG_CONTEXT>", None
        if model == "idefics3":  # HuggingFaceM4/Idefics3-8B-Llama3
            ip = tf.Idefics3ImageProcessorPil(size={"longest_edge": 1456}, max_image_size={"longest_edge": 364})
            return tf.Idefics3Processor(ip, make_tokenizer(more=IDEFICS_SPECIALS), image_seq_len=169), "<image>", None
        if model.startswith("paligemma"):  # google/paligemma-3b-pt-224/448/896
            side = int(model.split("-")[1])
            ip = tf.SiglipImageProcessorPil(size={"height": side, "width": side})
            ip.image_seq_length = {224: 256, 448: 1024, 896: 4096}[side]  # preprocessor_config.json
            p = tf.PaliGemmaProcessor(ip, make_tokenizer())
            return p, "<image>", "<image>"  # BOS and the trailing "\n" belong to the text prompt
        if model == "gemma3":  # google/gemma-3-4b-it
            ip = tf.Gemma3ImageProcessorPil(size={"height": 896, "width": 896}, do_pan_and_scan=False,
                                            pan_and_scan_min_crop_size=256, pan_and_scan_max_num_crops=4,
                                            pan_and_scan_min_ratio_to_activate=1.2)
            tok = make_tokenizer({"boi_token": "<start_of_image>", "eoi_token": "<end_of_image>",
                                  "image_token": "<image_soft_token>"})
            return tf.Gemma3Processor(ip, tok, image_seq_length=256), "<start_of_image>", None
        if model == "llama-3.2-vision":  # meta-llama/Llama-3.2-11B-Vision-Instruct
            ip = tf.MllamaImageProcessorPil(size={"height": 560, "width": 560}, max_image_tiles=4)
            return tf.MllamaProcessor(ip, make_tokenizer(more=["<|image|>"])), "<|image|>", "<|image|>"
        if model == "pixtral-12b":  # mistral-community/pixtral-12b
            ip = tf.PixtralImageProcessorPil(size={"longest_edge": 1024}, patch_size={"height": 16, "width": 16})
            tok = make_tokenizer(more=["[IMG]", "[IMG_BREAK]", "[IMG_END]"])
            p = _pixtral_processor_module().PixtralProcessor(ip, tok, patch_size=16, spatial_merge_size=1)
            return p, "[IMG]", None
        if model == "smolvlm":  # HuggingFaceTB/SmolVLM-Instruct: processor needs num2words -> see smolvlm_count
            ip = tf.SmolVLMImageProcessorPil(size={"longest_edge": 1536}, max_image_size={"longest_edge": 384})
            return ip, "<image>", None
    raise KeyError(model)


class TokenCounter:
    """Count the tokens of an expansion string exactly as the tokenizer would, fast: every
    ``<...>`` or ``[...]`` piece that is an added special token is one token; everything else
    ("\\n", "\\n\\n") goes through the tokenizer (cached). The full-processor test checks this
    counter's results against the real tokenizer's ``input_ids``."""

    PIECES = re.compile(r"(<[^<>]*>|\[[A-Z_]+\])")

    def __init__(self, tok):
        self.tok = tok
        self.specials, self.cache = set(tok.added_tokens_encoder), {}

    def _text(self, piece):
        if piece not in self.cache:
            self.cache[piece] = len(self.tok(piece, add_special_tokens=False)["input_ids"])
        return self.cache[piece]

    def __call__(self, text):
        n, plain = 0, ""
        for piece in self.PIECES.split(text):
            if piece in self.specials:
                n += (self._text(plain) if plain else 0) + 1
                plain = ""
            else:
                plain += piece
        return n + (self._text(plain) if plain else 0)


@functools.lru_cache(maxsize=None)
def counter(model):
    proc = build(model)[0]
    if model == "smolvlm":
        return TokenCounter(make_tokenizer(more=IDEFICS_SPECIALS))
    return TokenCounter(proc.tokenizer)


def _stub_resize(image, size, resample=None, reducing_gap=None, data_format=None, input_data_format=None, **_):
    """Shape-only stand-in for PIL resampling: zeros of the requested (channels-first) size, no memory."""
    height, width = size
    if height <= 0 or width <= 0:  # PIL refuses these too
        raise ValueError(f"height and width must be > 0, got {size}")
    return np.broadcast_to(np.zeros((), image.dtype), (image.shape[0], height, width))


def _blank(width, height, channels=1):
    """A zero-stride (height, width, channels) image: any size, no memory. One channel by default:
    the channel count never changes a token count, and it makes the library's copies 3x cheaper."""
    return np.broadcast_to(np.zeros((), np.uint8), (height, width, channels))


SHAPE_ONLY = dict(input_data_format="channels_last", do_rescale=False, do_normalize=False, do_convert_rgb=False)
NO_BATCH_PAD = {"idefics3", "smolvlm"}  # do_pad only pads images to a common batch shape (no token effect)


def smolvlm_count(width, height, image=None, **images_kwargs):
    """SmolVLM: its image processor's rows/cols, then its processor module's prompt string, counted."""
    from transformers.models.smolvlm.processing_smolvlm import get_image_prompt_string
    ip = build("smolvlm")[0]
    img = _blank(width, height) if image is None else image
    out = ip([[img]], return_row_col_info=True, **images_kwargs)
    text = get_image_prompt_string(out["rows"][0][0], out["cols"][0][0], 81, fake_token_around_image=
                                   "<fake_token_around_image>", image_token="<image>", global_image_token="<global-img>")
    return counter("smolvlm")(text)


@functools.lru_cache(maxsize=None)
def shape_only_kwargs(model):
    """The images_kwargs the processor's own __call__ would pass, plus the shape-only switches."""
    proc = build(model)[0]
    extra = {"do_pad": False} if model in NO_BATCH_PAD else {}
    return proc._merge_kwargs(tokenizer_init_kwargs=proc.tokenizer.init_kwargs, **SHAPE_ONLY, **extra)["images_kwargs"]


def processor_count(model, width, height):
    """Tokens of one image through the processor's own code path, with shape-only resampling."""
    with mock.patch.object(backends, "np_resize", _stub_resize):
        if model == "smolvlm":
            return smolvlm_count(width, height, do_pad=False, **SHAPE_ONLY)
        proc = build(model)[0]
        kwargs = dict(shape_only_kwargs(model))
        if model in QWEN:  # the resize override only (patchify would copy up to 12.8 MP; see qwen subset test)
            ip = proc.image_processor
            size = ip.size if hasattr(ip.size, "shortest_edge") else tf.image_utils.SizeDict(**ip.size)
            resized = ip.resize(np.moveaxis(_blank(width, height), -1, 0), size=size, resample=ip.resample,
                                factor=ip.patch_size * ip.merge_size)
            grid = np.array([[1, resized.shape[-2] // ip.patch_size, resized.shape[-1] // ip.patch_size]])
            return counter(model)(proc.replace_image_token({"image_grid_thw": grid}, 0)) + 2  # + vision start/end
        nested = model in ("idefics3", "llama-3.2-vision")
        _, replacements = proc._process_images([[_blank(width, height)]] if nested else [_blank(width, height)], **kwargs)
        return counter(model)(replacements[0])


# ----------------------------------------------------------------------------- sizes
def random_sizes(seed, n=N_RANDOM):
    """``n`` (width, height) pairs: 60% uniform in 1-8000, 20% log-uniform (small images are common),
    20% extreme aspect ratios (one side 1-64 px, the other 500-8000 px)."""
    rng = np.random.default_rng(seed)
    n_uni, n_log = int(0.6 * n), int(0.2 * n)
    n_ext = n - n_uni - n_log
    uni = rng.integers(1, 8001, (n_uni, 2))
    log = np.exp(rng.uniform(0, np.log(8000), (n_log, 2))).astype(int).clip(1, 8000)
    short, long = rng.integers(1, 65, n_ext), rng.integers(500, 8001, n_ext)
    ext = np.where(rng.random(n_ext)[:, None] < 0.5, np.stack([long, short], 1), np.stack([short, long], 1))
    return [(int(w), int(h)) for w, h in np.concatenate([uni, log, ext])]


def edge_sizes(model):
    """1x1, exactly one tile, just over a tile boundary, the pixel caps, extreme strips."""
    common = [(1, 1), (2, 2), (8000, 8000), (8000, 1), (1, 8000), (200, 1), (201, 1), (8000, 40), (8000, 39)]
    tile = {"llava-1.5": 336, "llava-next": 336, "internvl": 448, "idefics3": 364, "smolvlm": 384,
            "llama-3.2-vision": 560, "pixtral-12b": 1024, "paligemma-224": 224, "paligemma-448": 448,
            "paligemma-896": 896, "gemma3": 896, "qwen2-vl": 28, "qwen2.5-vl": 28}[model]
    sizes = [(tile, tile), (tile + 1, tile), (tile, tile + 1), (2 * tile, tile), (2 * tile + 1, tile),
             (tile - 1, tile - 1), (3 * tile, 3 * tile), (3 * tile + 1, 3 * tile)]
    if model in QWEN:  # min_pixels = 56^2, max_pixels = 3584^2
        sizes += [(56, 56), (55, 56), (57, 57), (14, 14), (15, 15), (3584, 3584), (3585, 3584), (3584, 3585),
                  (3598, 3598), (5000, 3584)]
    if model == "idefics3":
        sizes += [(1456, 365), (1456, 729), (365, 1456), (1456, 1093)]  # int(w / aspect) lands one below
    if model == "smolvlm":
        sizes += [(1536, 385), (1536, 769), (385, 1536)]
    if model == "llava-next":
        sizes += [(672, 672), (673, 672), (1008, 336), (1009, 336), (336, 1008)]
    if model == "pixtral-12b":
        sizes += [(2066, 34), (1200, 1), (1025, 1), (1024, 1)]
    return common + sizes


def outcome(fn):
    """("ok", value) or ("rejected", error type name) for a call."""
    try:
        return "ok", fn()
    except ValueError as err:
        return "rejected", type(err).__name__


CHECKED: dict[str, int] = {}  # model -> sizes agreed on (reported by test_report_sizes_checked)


# ----------------------------------------------------------------------------- tests
@pytest.mark.parametrize("model", OPEN_FAMILIES)
def test_processor_code_path_agrees(model):
    """>= 1,000 random sizes + edge cases: identical counts, or both reject the size."""
    sizes = random_sizes(seed=sum(map(ord, model))) + edge_sizes(model)
    mismatches = []
    for w, h in sizes:
        ours = outcome(lambda: calc.image_tokens(model, w, h))
        theirs = outcome(lambda: processor_count(model, w, h))
        if ours != theirs:
            mismatches.append(((w, h), ours, theirs))
    assert not mismatches, f"{model}: {len(mismatches)} disagreements, first: {mismatches[:5]}"
    CHECKED[model] = len(sizes)
    assert len(sizes) >= N_RANDOM


SMALL_SIZES = [(1, 1), (3, 3), (17, 5), (64, 64), (200, 150), (336, 336), (337, 336), (400, 300), (300, 400),
               (448, 448), (449, 448), (500, 120), (120, 500), (640, 480), (700, 3), (3, 700), (364, 365),
               (384, 385), (560, 560), (561, 100), (28, 28), (29, 27), (55, 56), (333, 777), (777, 333)]


@pytest.mark.parametrize("model", OPEN_FAMILIES)
def test_full_processor_on_real_pixels(model):
    """Real pixels, real resampling, real tokenization: the whole processor call."""
    proc, prompt, counted = build(model)
    rng = np.random.default_rng(0)
    # Idefics3 and SmolVLM enlarge every image to 1456/1536 px before splitting (~0.4 s each with
    # real LANCZOS resampling): every other size keeps the suite fast
    sizes = SMALL_SIZES[::2] if model in ("idefics3", "smolvlm") else SMALL_SIZES
    for w, h in sizes:
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        ours = outcome(lambda: calc.image_tokens(model, w, h))
        if model == "smolvlm":
            theirs = outcome(lambda: smolvlm_count(w, h, image=img, input_data_format="channels_last"))
        else:
            def run():
                ids = list(proc(text=prompt, images=[img], input_data_format="channels_last",
                                return_tensors=None)["input_ids"][0])
                if counted is None:
                    return len(ids)
                return ids.count(proc.tokenizer.convert_tokens_to_ids(counted))
            theirs = outcome(run)
        assert ours == theirs, f"{model} at {w}x{h}: calculator {ours}, processor {theirs}"


@pytest.mark.parametrize("model", QWEN)
def test_qwen_full_image_processor_subset(model):
    """QWEN_SUBSET sizes (sides up to 1500 px) through Qwen's whole _process_images (patchify included) with shape-only resampling."""
    proc = build(model)[0]
    kwargs = proc._merge_kwargs(tokenizer_init_kwargs=proc.tokenizer.init_kwargs, **SHAPE_ONLY)["images_kwargs"]
    rng = np.random.default_rng(7)
    sizes = [(int(w), int(h)) for w, h in np.exp(rng.uniform(0, np.log(1500), (QWEN_SUBSET, 2))).astype(int).clip(1)]
    for w, h in sizes:
        ours = outcome(lambda: calc.image_tokens(model, w, h))
        with mock.patch.object(backends, "np_resize", _stub_resize):
            theirs = outcome(lambda: counter(model)(proc._process_images([_blank(w, h)], **kwargs)[1][0]) + 2)
        assert ours == theirs, f"{model} at {w}x{h}: calculator {ours}, processor {theirs}"


@pytest.mark.parametrize("max_pixels", [1003520, 200704, 12845056])
def test_qwen_pixel_caps_option(max_pixels):
    """The max_pixels option matches the image processor configured with the same cap."""
    ip = tf.Qwen2VLImageProcessorPil(min_pixels=3136, max_pixels=max_pixels)
    for w, h in random_sizes(seed=max_pixels, n=300):
        ours = outcome(lambda: calc.image_tokens("qwen2-vl", w, h, max_pixels=max_pixels) - 2)
        theirs = outcome(lambda: ip.get_number_of_image_patches(h, w) // 4)
        assert ours == theirs, (w, h, ours, theirs)


@pytest.mark.parametrize("max_tiles", [1, 4, 6, 24])
def test_internvl_max_tiles_option(max_tiles):
    """The max_tiles option matches the image processor's get_number_of_image_patches."""
    ip = tf.GotOcr2ImageProcessorPil(size={"height": 448, "width": 448}, crop_to_patches=True, max_patches=max_tiles)
    for w, h in random_sizes(seed=max_tiles, n=300):
        assert calc.image_tokens("internvl", w, h, max_tiles=max_tiles) == 2 + 256 * ip.get_number_of_image_patches(h, w)


def test_llava_next_unpadding_matches_modeling_code():
    """The unpadded feature grid equals what the model's own unpad_image keeps from a real tensor."""
    torch = pytest.importorskip("torch")
    from transformers.models.llava_next.modeling_llava_next import get_anyres_image_grid_shape, unpad_image
    pinpoints = [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]]
    for w, h in random_sizes(seed=11, n=300):
        rows, cols = get_anyres_image_grid_shape((h, w), pinpoints, 336)
        features = torch.zeros(1, 24 * rows, 24 * cols)
        kept = unpad_image(features, (h, w)).shape[1:]
        assert calc.image_token_details("llava-next", w, h)["unpadded_grid"] == (kept[1], kept[0]), (w, h)


@pytest.mark.parametrize("model", API_FAMILIES)
def test_api_families_have_no_code(model):
    pytest.skip(f"{model}: no preprocessing code is published; only the vendor's documented formula, "
                "tested on the docs' worked examples in tests/test_reference_tokens.py")


def test_report_sizes_checked():
    """Prints how many sizes were compared per family (run with -s to see it)."""
    for model in OPEN_FAMILIES:
        print(f"{model:18s} {CHECKED.get(model, 0):5d} sizes agreed with the processor code path")
