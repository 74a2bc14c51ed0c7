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


def run_notebook(path, timeout=900, kernel_name="python3", after=None, env=None):
    """Execute every code cell of the notebook at ``path`` (cwd = its folder).

    ``after``: optional code run in the same kernel once every cell has run (its result is the
    last item, index -1). ``env``: environment of the kernel (default: this process's).
    Out: a list, per code cell, of {"index", "source", "stdout", "error"}; raises ``CellError``
    at the first cell that raises, and ``TimeoutError`` if a cell runs past ``timeout`` seconds.
    """
    path = pathlib.Path(path)
    nb = nbformat.read(path, as_version=4)
    kwargs = {"env": env} if env is not None else {}
    km, kc = start_new_kernel(kernel_name=kernel_name, cwd=str(path.parent), **kwargs)
    results = []
    cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]
    if after:
        cells.append((-1, nbformat.v4.new_code_cell(after)))
    try:
        for index, cell in cells:
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
