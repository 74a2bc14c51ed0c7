"""Shared pytest set-up: make ``tests/`` importable and expose the repository root."""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
