"""The span a full read (Google full sync, Graph baseline) covers, and when a cursor made for
it still serves a window: the rolling window outgrows it, and the next read is a full one."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from service.domain.port import SyncWindow


def span_end(salt: str, owner: str, window: SyncWindow, slack_days: int) -> datetime:
    """How far a full read of this calendar reads: the window's end, the slack, a spread.

    The spread (a stable hash of the salted owner, up to `slack_days` more) staggers the day
    each calendar's rolling window outgrows its cursor.
    """
    digest = hashlib.sha256(f"{salt}:{owner}".encode()).digest()
    spread = int.from_bytes(digest[:4], "big") % (slack_days * 24)
    return window.end + timedelta(days=slack_days, hours=spread)


def within(start: datetime, end: datetime, window: SyncWindow) -> bool:
    """True when `window` lies inside the span [start, end)."""
    return start <= window.start and window.end <= end
