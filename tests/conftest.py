"""Shared pytest set-up: make ``tests/`` and ``tools/`` importable and expose the repository root."""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tools")]
