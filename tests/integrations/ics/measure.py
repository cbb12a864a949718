"""Run one call in a fresh interpreter and report its outcome, its time and its peak memory.

The peak resident set size is the kernel's, native buffers included: the interpreter's own
high-water mark (`VmHWM`: `ru_maxrss` would count the parent's pages, which exec inherits
as a starting mark) and the largest child it waited for (the feed reader; its `ru_maxrss`
starts from ours at spawn, so it errs high, never low).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

_FOOTER = """
import asyncio as _asyncio, json as _json, resource as _resource, time as _time

_began = _time.perf_counter()
_cpu = _time.process_time()
try:
    _value = _asyncio.run(main())
    _outcome, _message = "ok", repr(_value)[:500]
except BaseException as _exc:  # the outcome is what is measured
    _outcome, _message = type(_exc).__name__, str(_exc)[:500]
_seconds = _time.perf_counter() - _began
_kid = _resource.getrusage(_resource.RUSAGE_CHILDREN)
_cpu_s = _time.process_time() - _cpu + _kid.ru_utime + _kid.ru_stime
try:
    with open("/proc/self/status") as _status:
        _own = next(int(l.split()[1]) for l in _status if l.startswith("VmHWM:"))
except (OSError, StopIteration):
    _own = _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss
_kids = _resource.getrusage(_resource.RUSAGE_CHILDREN).ru_maxrss
print(_json.dumps({"outcome": _outcome, "message": _message, "seconds": _seconds,
                   "cpu_s": _cpu_s, "peak_mb": max(_own, _kids) / 1024}))
"""


@dataclass(frozen=True)
class Measured:
    """What one measured run did: `outcome` is "ok" or the exception's class name; `seconds`
    of wall time and `cpu_s` of CPU time (its own and its children's: on a shared machine
    the wall time says more about the neighbours)."""

    outcome: str
    message: str
    seconds: float
    cpu_s: float
    peak_mb: float


def run_measured(code: str, timeout_s: float = 60.0) -> Measured:
    """Run `code`, which defines `async def main()`, in a new interpreter; measure it."""
    script = textwrap.dedent(code) + _FOOTER
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=env,
        cwd=ROOT,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"measured run failed ({done.returncode}): {done.stderr[-2000:]}")
    raw = json.loads(lines[-1])
    return Measured(raw["outcome"], raw["message"], raw["seconds"], raw["cpu_s"], raw["peak_mb"])
