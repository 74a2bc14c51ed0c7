"""Benchmark: execute every notebook of the toc once; report wall time and peak memory.

    python tests/bench.py [--json bench.json] [--markdown book/benchmarks.md] [NOTEBOOK ...]

Each notebook runs in a fresh kernel started by a fresh worker process, so the worker's
``RUSAGE_CHILDREN`` maximum resident set size after the kernel exits is the kernel's peak
memory. Wall time covers kernel start to kernel shutdown (tests/runner.py runs the cells). The budgets of the course (design) are
checked and printed beside the numbers; this script does not fail on them, it reports.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import resource
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tools")]
BUDGET_S = 200          # no notebook over 200 s (design)
BUDGET_MB = 2048        # peak memory per notebook <= 2 GB (design)
TOTAL_BUDGET_S = 720    # whole course <= 12 minutes on 2 CPU cores (design)


def run_one(path: str) -> dict:
    """Execute one notebook in a new kernel (called in a worker process); return its numbers."""
    import runner

    start = time.perf_counter()
    error = None
    try:
        runner.run_notebook(ROOT / path, timeout=900)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    wall = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the kernel, now reaped
    return {"notebook": path, "wall_s": round(wall, 1), "peak_mb": round(peak_kb / 1024, 0),
            "error": error}


def toc_notebooks() -> list[str]:
    import structure
    return [e for e in structure.toc_entries(ROOT) if e.endswith(".ipynb")]


def markdown(results: list[dict], meta: dict) -> str:
    total = sum(r["wall_s"] for r in results)
    lines = [
        "# Benchmarks",
        "",
        "Wall time and peak memory of each lesson, executed top to bottom in a fresh kernel by",
        "`make bench` (`tests/bench.py`). Budgets from the course design: no notebook over "
        f"{BUDGET_S} s, peak memory at most {BUDGET_MB // 1024} GB, the whole course within "
        f"{TOTAL_BUDGET_S // 60} minutes on 2 CPU cores.",
        "",
        f"Measured on: {meta['machine']}, {meta['cpus']} CPU cores, Python {meta['python']}, "
        f"torch {meta['torch']}, {meta['date']}.",
        "",
        "| notebook | wall time (s) | peak memory (MB) | within budget |",
        "|---|---:|---:|---|",
    ]
    for r in results:
        ok = r["error"] is None and r["wall_s"] <= BUDGET_S and r["peak_mb"] <= BUDGET_MB
        name = pathlib.Path(r["notebook"]).stem
        status = "yes" if ok else ("error: " + r["error"] if r["error"] else "no")
        lines.append(f"| [{name}](../{r['notebook']}) | {r['wall_s']:.1f} | {r['peak_mb']:.0f} | {status} |")
    lines += ["", f"**Total:** {total:.0f} s for {len(results)} notebooks "
              f"({'within' if total <= TOTAL_BUDGET_S else 'over'} the {TOTAL_BUDGET_S} s budget).", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: all in the toc)")
    parser.add_argument("--json", default="bench.json")
    parser.add_argument("--markdown", default=None, help="also write a Markdown table here")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return 0

    import torch

    paths = args.notebooks or toc_notebooks()
    results = []
    print(f"{'notebook':<48} {'wall s':>8} {'peak MB':>8}")
    for path in paths:
        out = subprocess.run([sys.executable, __file__, "--one", path], capture_output=True,
                             text=True, cwd=ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        try:
            result = json.loads(out.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            result = {"notebook": path, "wall_s": float("nan"), "peak_mb": float("nan"),
                      "error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "no output"}
        results.append(result)
        flag = "" if result["error"] is None else f"  ERROR {result['error']}"
        print(f"{pathlib.Path(path).stem:<48} {result['wall_s']:>8.1f} {result['peak_mb']:>8.0f}{flag}",
              flush=True)
    meta = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "torch": torch.__version__,
            "date": time.strftime("%Y-%m-%d")}
    total = sum(r["wall_s"] for r in results)
    print(f"{'total':<48} {total:>8.1f}")
    pathlib.Path(args.json).write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    if args.markdown:
        pathlib.Path(args.markdown).write_text(markdown(results, meta))
    return 1 if any(r["error"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
