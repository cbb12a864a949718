"""Read an untrusted feed in a child process under a hard time limit (and a memory cap).

Parsing and expanding a hostile feed can burn CPU in third-party code that a thread cannot
stop: a process can. The child runs `expand_feed` with a deadline short of the parent's
limit and a time limit per series (signals work in its main thread), so a slow series is
skipped and a slow feed still returns what it has; the parent kills the child only when
even that fails (parsing alone took too long). The result is pickled back on stdout.

Run as ``python -m integrations.ics.isolate`` (the parent does that; nothing else should).
"""

from __future__ import annotations

import asyncio
import os
import pickle
import sys
import time
from pathlib import Path

from integrations.ics.budget import DEFAULT_BUDGET, FeedBudget
from integrations.ics.errors import clip
from integrations.ics.expand import ParsedFeed, expand_feed
from integrations.ics.normalise import InvalidFeed
from service.domain.port import FetchRefused, ProviderUnavailable, SyncWindow

MEMORY_LIMIT_BYTES = 2 * 1024**3
CHILD_SHARE = 0.75  # of the time limit, for the child's own deadline (start-up, pickling)
_ROOT = str(Path(__file__).resolve().parents[2])  # the directory holding `integrations/`


async def expand_in_child(
    data: bytes,
    owner: str,
    window: SyncWindow,
    default_tz: str,
    *,
    timeout_s: float,
    budget: FeedBudget = DEFAULT_BUDGET,
) -> ParsedFeed:
    """`expand_feed(...)` computed in a child process killed after `timeout_s` seconds.

    Raises InvalidFeed (not iCalendar), FetchRefused (over time), ProviderUnavailable (the
    child failed or died: out of memory, killed).
    """
    request = pickle.dumps((data, owner, window, default_tz, budget, timeout_s * CHILD_SHARE))
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
        raise ProviderUnavailable(
            clip(f"the feed reader stopped ({process.returncode}): {detail[0]}")
        )
    # The stream comes from our own child, which pickles only our own dataclasses.
    kind, payload = pickle.loads(out)
    if kind == "invalid":
        raise InvalidFeed(str(payload))
    if kind != "ok" or not isinstance(payload, ParsedFeed):
        raise ProviderUnavailable(clip(f"the feed reader failed: {payload}"))
    return payload


def limit_memory(limit: int) -> None:
    """Cap this process's address space at `limit` bytes (never above the hard limit)."""
    try:
        import resource
    except ImportError:  # not on this platform
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = limit if hard == resource.RLIM_INFINITY else min(hard, limit)
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


def _child() -> int:
    """Read one request on stdin, answer on stdout; anything else printed goes to stderr."""
    answer = sys.stdout.buffer
    sys.stdout = sys.stderr
    began = time.monotonic()
    limit_memory(MEMORY_LIMIT_BYTES)
    data, owner, window, default_tz, budget, seconds = pickle.loads(sys.stdin.buffer.read())
    result: tuple[str, object]
    try:
        feed = expand_feed(
            data,
            owner,
            window,
            default_tz,
            budget=budget,
            deadline=began + seconds,
            interruptible=True,
        )
        result = ("ok", feed)
    except InvalidFeed as exc:
        result = ("invalid", clip(str(exc)))
    except Exception as exc:  # MemoryError, RecursionError, a bad owner: all reported
        result = ("error", clip(f"{type(exc).__name__}: {exc}"))
    answer.write(pickle.dumps(result))
    answer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(_child())
