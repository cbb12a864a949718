"""A time limit that interrupts Python code: SIGALRM raising `OutOfTime` in the block.

Only where signals can be used (the main thread of a POSIX process): the feed reader's
child process, which reads one untrusted feed and may be interrupted at any point. Anywhere
else the block runs unlimited, and callers rely on their own deadlines.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class OutOfTime(BaseException):
    """The block ran past its time limit (a BaseException: library code catching Exception
    must not swallow it)."""


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise OutOfTime inside the block once it has run `seconds` (None: no limit)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if seconds is None or not usable:
        yield
        return

    def alarm(_signal: int, _frame: FrameType | None) -> None:
        raise OutOfTime

    previous = signal.signal(signal.SIGALRM, alarm)
    # Repeats, in case code under the limit catches even BaseException and goes on.
    signal.setitimer(signal.ITIMER_REAL, seconds, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
