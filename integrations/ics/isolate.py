"""Read an untrusted feed in a child process under a hard time limit (and a memory cap).

A hostile RRULE (FREQ=SECONDLY with filters that never match) keeps the recurrence engine
busy for tens of seconds per series, and a thread cannot be stopped: a process can. The
child runs `iter_feed` and pickles the resulting Meetings and SkippedEvents back on stdout.

Run as ``python -m integrations.ics.isolate`` (the parent does that; nothing else should).
"""

from __future__ import annotations

import asyncio
import os
import pickle
import sys
from pathlib import Path

from integrations.ics.expand import MAX_OCCURRENCES_PER_SERIES, iter_feed
from integrations.ics.normalise import InvalidFeed
from service.domain.model import Meeting
from service.domain.port import FetchRefused, ProviderUnavailable, SkippedEvent, SyncWindow

MEMORY_LIMIT_BYTES = 2 * 1024**3
_ROOT = str(Path(__file__).resolve().parents[2])  # the directory holding `integrations/`


async def expand_in_child(
    data: bytes,
    owner: str,
    window: SyncWindow,
    default_tz: str,
    *,
    timeout_s: float,
    max_per_series: int = MAX_OCCURRENCES_PER_SERIES,
) -> list[Meeting | SkippedEvent]:
    """`list(iter_feed(...))` computed in a child process killed after `timeout_s` seconds.

    Raises InvalidFeed (not iCalendar), FetchRefused (over time), ProviderUnavailable (the
    child died: out of memory, killed).
    """
    request = pickle.dumps((data, owner, window, default_tz, max_per_series))
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": _ROOT if not path else _ROOT + os.pathsep + path}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "integrations.ics.isolate",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        async with asyncio.timeout(timeout_s):
            out, err = await process.communicate(request)
    except TimeoutError as exc:
        raise FetchRefused(f"reading the feed took longer than {timeout_s:g} s") from exc
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if process.returncode != 0 or not out:
        detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise ProviderUnavailable(f"the feed reader stopped ({process.returncode}): {detail[0]}")
    # The stream comes from our own child, which pickles only our own dataclasses.
    kind, payload = pickle.loads(out)
    if kind == "invalid":
        raise InvalidFeed(str(payload))
    if kind != "ok" or not isinstance(payload, list):
        raise ProviderUnavailable(f"the feed reader failed: {payload}")
    return payload


def _limit_memory() -> None:
    try:
        import resource
    except ImportError:  # not on this platform
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = MEMORY_LIMIT_BYTES if hard == resource.RLIM_INFINITY else min(hard, MEMORY_LIMIT_BYTES)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _child() -> int:
    """Read one request on stdin, answer on stdout; anything else printed goes to stderr."""
    answer = sys.stdout.buffer
    sys.stdout = sys.stderr
    _limit_memory()
    data, owner, window, default_tz, max_per_series = pickle.loads(sys.stdin.buffer.read())
    result: tuple[str, object]
    try:
        result = (
            "ok",
            list(iter_feed(data, owner, window, default_tz, max_per_series=max_per_series)),
        )
    except InvalidFeed as exc:
        result = ("invalid", str(exc))
    except (MemoryError, ValueError, RecursionError) as exc:
        result = ("error", f"{type(exc).__name__}: {exc}")
    answer.write(pickle.dumps(result))
    answer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(_child())
