"""Glossary terms and where the lessons use them.

``TERMS`` maps a regular expression (matched case-insensitively on whole words) to the anchor
of the term's heading in ``book/glossary.md``. ``unlinked_terms(text)`` lists the terms a
lesson's markdown uses without ever linking the glossary entry; ``link_first_uses(text)`` links
the first plain-text use of each term (used once to add the links; kept for new lessons).
"""
from __future__ import annotations

import pathlib
import re

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
# lessons link the glossary on the published site, so the link works in Jupyter and Colab too
GLOSSARY_URL = (yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["baseurl"].rstrip("/")
                + "/book/glossary.html")

TERMS = {
    r"anyres": "anyres",
    r"contrastive loss(?:es)?|infonce": "contrastive-loss-infonce",
    r"cosine similarit(?:y|ies)": "cosine-similarity",
    r"context windows?": "context-window",
    r"hard negatives?": "hard-negative",
    r"logit scale": "logit-scale-temperature",
    r"modality gap": "modality-gap",
    r"patch embeddings?": "patch-embedding",
    r"pixel shuffle": "pixel-shuffle",
    r"position embeddings?": "position-embedding",
    r"projectors?": "projector",
    r"connectors?": "connector",
    r"resamplers?": "resampler",
    r"soft tokens?": "soft-token",
    r"thumbnails?": "thumbnail-global-image",
    r"zero-shot": "zero-shot-classification",
    r"vision transformers?": "vision-transformer-vit",
}
# spans that must not be touched: code, links, images, URLs, math, HTML tags
PROTECTED = re.compile(r"`[^`]*`|!?\[[^\]]*\]\([^)]*\)|https?://\S+|\$[^$]*\$|<[^>]+>")


def _plain_spans(line: str):
    """Yield (start, end) of the parts of ``line`` outside protected spans."""
    pos = 0
    for m in PROTECTED.finditer(line):
        yield pos, m.start()
        pos = m.end()
    yield pos, len(line)


def _uses(text: str, pattern: str):
    """Positions (line index, start, end) where ``pattern`` is used in plain prose."""
    rx = re.compile(rf"\b(?:{pattern})\b", re.I)
    in_fence = False
    for i, line in enumerate(text.split("\n")):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        if in_fence or line.lstrip().startswith("#"):
            continue
        for a, b in _plain_spans(line):
            for m in rx.finditer(line, a, b):
                yield i, m.start(), m.end()


def unlinked_terms(text: str, glossary_path: str = "glossary.md") -> list[str]:
    """Terms used in ``text`` whose glossary entry ``text`` never links."""
    return [anchor for pattern, anchor in TERMS.items()
            if any(True for _ in _uses(text, pattern)) and f"{glossary_path}#{anchor})" not in text]


def link_first_uses(cells: list[str], glossary_path: str) -> list[str]:
    """Link the first plain use of every term across ``cells`` (markdown sources, in order)."""
    cells = list(cells)
    for pattern, anchor in TERMS.items():
        if any(f"{glossary_path}#{anchor})" in c for c in cells):
            continue
        for k, text in enumerate(cells):
            first = next(_uses(text, pattern), None)
            if first is None:
                continue
            i, a, b = first
            lines = text.split("\n")
            word = lines[i][a:b]
            lines[i] = lines[i][:a] + f"[{word}]({glossary_path}#{anchor})" + lines[i][b:]
            cells[k] = "\n".join(lines)
            break
    return cells
