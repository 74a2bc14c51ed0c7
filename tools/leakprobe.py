"""The leak probe: after a student copy has run, does any function of the notebook pass a check?

``probe_source(nb)`` returns code to run in the kernel that has just executed the student copy
(``runner.run_notebook(path, after=probe_source(nb))``). For every graded check cell it takes the
visible call (``check_x(answer, ...)``) and calls it again, quietly, once for every function or
class the notebook itself defines (``__module__ == "__main__"``), except the ``check_`` functions
and the learners' own answers, whose signature fits the answer's. It prints one JSON line,
``LEAKS=[[check, function], ...]``: the functions that pass a check. A lesson that shows its
answer somewhere (the reference implementation above its exercise) is caught here.

``parse(stdout)`` reads that line back.
"""
from __future__ import annotations

import json
import re

CALL = re.compile(r"^(check_\w+)\(\s*([A-Za-z_]\w*)\s*(,[^\n]*)?\)\s*;?\s*$", re.M)

PROBE = r'''
import contextlib as _cl, inspect as _insp, io as _io, json as _json, signal as _sig

def _leak_params(obj):
    try:
        sig = _insp.signature(obj)
    except (TypeError, ValueError):
        return None
    ps = [p for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = sum(p.default is p.empty for p in ps)
    star = any(p.kind == p.VAR_POSITIONAL for p in sig.parameters.values())
    return required, (10**6 if star else len(ps))

def _leak_fits(candidate, answer):
    a, c = _leak_params(answer), _leak_params(candidate)
    if a is None or c is None:
        return False
    return c[0] <= a[1] and c[1] >= a[0]

def _leak_timeout(*_):
    raise TimeoutError("probe call took too long")

def _leak_probe(calls, answers, per_call_s=30):
    ns = globals()
    found = []
    candidates = {n: v for n, v in list(ns.items())
                  if not n.startswith(("_leak", "__")) and not n.startswith("check_") and n not in answers
                  and (_insp.isfunction(v) or _insp.isclass(v))
                  and getattr(v, "__module__", None) == "__main__"}
    for check, answer, rest in calls:
        target = ns.get(answer)
        if not callable(target):
            continue
        for name, cand in candidates.items():
            if not _leak_fits(cand, target):
                continue
            _sig.signal(_sig.SIGALRM, _leak_timeout)
            _sig.alarm(per_call_s)
            try:
                with _cl.redirect_stdout(_io.StringIO()), _cl.redirect_stderr(_io.StringIO()):
                    ok = eval(f"{check}(__leak_cand{rest}, quiet=True)", ns, {"__leak_cand": cand})
            except BaseException:
                ok = False
            finally:
                _sig.alarm(0)
            if ok is True:
                found.append([check, name])
    print("LEAKS=" + _json.dumps(found))

_leak_probe(CALLS, ANSWERS)
'''


def graded_calls(nb) -> list[tuple[str, str, str]]:
    """(check, answer name, the rest of the argument list) of every graded cell's visible call."""
    calls = []
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            for check, answer, rest in CALL.findall(cell.source):
                calls.append((check, answer, rest or ""))
    return calls


def probe_source(nb) -> str:
    calls = graded_calls(nb)
    answers = sorted({a for _, a, _ in calls})
    return PROBE.replace("CALLS, ANSWERS", f"{calls!r}, {answers!r}")


def parse(stdout: str) -> list[list[str]]:
    m = re.search(r"^LEAKS=(.*)$", stdout, re.M)
    if not m:
        raise ValueError(f"the leak probe printed no result: {stdout[-500:]!r}")
    return json.loads(m.group(1))
