"""Benchmark: execute every notebook of the toc once; report wall time and peak memory.

    python tools/bench.py [--json bench.json] [--markdown book/benchmarks.md] [NOTEBOOK ...]
    python tools/bench.py --busy ...   # each notebook quiet, then with one core kept busy

With ``--busy`` every notebook runs twice: on a quiet machine, then while another process spins
on one core (a learner with other work open); the table gives both times and their ratio
(the course's goal: at most 2x).

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
import re
import resource
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tools")]
BUDGET_S = 180          # no notebook over 180 s (design)
BUDGET_MB = 2048        # peak memory per notebook <= 2 GB (design)
TOTAL_BUDGET_S = 600    # whole course <= 10 minutes on 2 CPU cores (design)
BUSY_RATIO = 2.0        # with one core busy, no notebook slower than twice its quiet time


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


def spin():
    """Keep one core busy until killed (the 'other work' of a learner's laptop)."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def run_in_worker(path: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", path], capture_output=True,
                         text=True, cwd=ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {"notebook": path, "wall_s": float("nan"), "peak_mb": float("nan"),
                "error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "no output"}


def busy_markdown(results: list[dict], meta: dict) -> str:
    lines = [
        f"Each notebook run quiet, then with one of the {meta['cpus']} cores kept busy by a spinning "
        f"process (`make bench-busy`, {meta['date']}, {meta['machine']}, torch {meta['torch']}). Goal: busy / quiet "
        f"≤ {BUSY_RATIO:.0f} for every notebook, every assertion still holding.",
        "",
        "| notebook | quiet (s) | busy (s) | busy / quiet | assertions hold |",
        "|---|---:|---:|---:|---|",
    ]
    for r in results:
        name = pathlib.Path(r["notebook"]).stem
        ratio = r["busy_s"] / r["wall_s"] if r["wall_s"] else float("nan")
        ok = "yes" if r["error"] is None and r["busy_error"] is None else f"no: {r['error'] or r['busy_error']}"
        flag = "" if ratio <= BUSY_RATIO else " ⚠"
        lines.append(f"| [{name}](../{r['notebook']}) | {r['wall_s']:.1f} | {r['busy_s']:.1f} | "
                     f"{ratio:.2f}{flag} | {ok} |")
    return "\n".join(lines)


def cpu_name() -> str:
    """The processor's model name and widest vector extension, e.g. 'AMD EPYC (AVX2)': runs on
    different machines differ about 2x in speed, so the page says which one it measured."""
    try:
        info = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    model = re.search(r"^model name\s*:\s*(.+)$", info, re.M)
    flags = re.search(r"^flags\s*:\s*(.+)$", info, re.M)
    flags = set(flags.group(1).split()) if flags else set()
    vector = next((label for flag, label in (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX"))
                   if flag in flags), "")
    name = model.group(1).strip() if model else platform.machine()
    return f"{name} ({vector})" if vector else name


def markdown(results: list[dict], meta: dict) -> str:
    total = sum(r["wall_s"] for r in results)
    lines = [
        "Wall time and peak memory of each lesson, executed top to bottom in a fresh kernel by",
        "`make bench` (`tools/bench.py`). Budgets from the course design: no notebook over "
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
              f"({'within' if total <= TOTAL_BUDGET_S else 'over'} the {TOTAL_BUDGET_S} s budget)."]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: all in the toc)")
    parser.add_argument("--json", default="bench.json")
    parser.add_argument("--markdown", default=None, help="also write a Markdown table here")
    parser.add_argument("--busy", action="store_true", help="also run each notebook with one core busy")
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
        result = run_in_worker(path)
        if args.busy:
            spinner = spin()
            try:
                busy = run_in_worker(path)
            finally:
                spinner.kill()
                spinner.wait()
            result.update(busy_s=busy["wall_s"], busy_error=busy["error"])
        results.append(result)
        flag = "" if result["error"] is None else f"  ERROR {result['error']}"
        extra = f" busy {result['busy_s']:>7.1f}" if args.busy else ""
        print(f"{pathlib.Path(path).stem:<48} {result['wall_s']:>8.1f} {result['peak_mb']:>8.0f}{extra}{flag}",
              flush=True)
    meta = {"machine": cpu_name(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "torch": torch.__version__,
            "date": time.strftime("%Y-%m-%d")}
    total = sum(r["wall_s"] for r in results)
    print(f"{'total':<48} {total:>8.1f}")
    pathlib.Path(args.json).write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    if args.markdown:
        import stats
        page = pathlib.Path(args.markdown)
        text = page.read_text() if page.exists() else "# Benchmarks\n"
        text = stats.replace_between(text, "bench", markdown(results, meta))
        if args.busy:
            text = stats.replace_between(text, "bench-busy", busy_markdown(results, meta))
        page.write_text(text)
    return 1 if any(r["error"] or r.get("busy_error") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
