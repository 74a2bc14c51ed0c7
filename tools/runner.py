"""Run a notebook's code cells in a fresh kernel, one after the other, and collect what they print.

A deliberately small client on jupyter_client: it sends each code cell, reads IOPub until the
kernel is idle for that request, and records stream text, errors and display data. It does not
emulate the front end's Output-widget capture, which nbclient does: under nbclient 0.11 an
`ipywidgets.interact` cell sometimes left the client waiting forever on an idle kernel.

    results = run_notebook(path)   # -> list of dicts, one per code cell
"""
from __future__ import annotations

import pathlib
import queue
import time

import nbformat
from jupyter_client.manager import start_new_kernel


class CellError(RuntimeError):
    """A cell raised: the message names the cell and the error."""


def run_notebook(path, timeout=900, kernel_name="python3"):
    """Execute every code cell of the notebook at ``path`` (cwd = its folder).

    Out: a list, per code cell, of {"index", "source", "stdout", "error"}; raises ``CellError``
    at the first cell that raises, and ``TimeoutError`` if a cell runs past ``timeout`` seconds.
    """
    path = pathlib.Path(path)
    nb = nbformat.read(path, as_version=4)
    km, kc = start_new_kernel(kernel_name=kernel_name, cwd=str(path.parent))
    results = []
    try:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            msg_id = kc.execute(cell.source, store_history=False, allow_stdin=False)
            out, error, deadline = [], None, time.monotonic() + timeout
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{path.name} cell {index} ran past {timeout} s")
                try:
                    msg = kc.get_iopub_msg(timeout=min(remaining, 5))
                except queue.Empty:
                    continue
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                kind, content = msg["msg_type"], msg["content"]
                if kind == "stream":
                    out.append(content["text"])
                elif kind == "error":
                    error = f"{content['ename']}: {content['evalue']}"
                elif kind == "status" and content["execution_state"] == "idle":
                    break
            results.append({"index": index, "source": cell.source, "stdout": "".join(out),
                            "error": error, "cell": cell})
            if error:
                raise CellError(f"{path.name} cell {index} raised {error}")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return results
