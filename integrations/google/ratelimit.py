"""Token buckets in front of every Google call: the project, each install, each impersonated user.

The Calendar API's quotas are per minute in a sliding window (10,000 per project, 600 per user;
LIMITS.md): a bucket refills at its per-minute rate and holds at most `burst_s` seconds of it,
so a burst never spends a whole minute's quota at once. A call reserves one token from each of
its buckets and waits for the one that is furthest behind (reservations queue fairly: a token
is never promised twice). In-process only: one process makes the calls for an installation.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


class TokenBucket:
    """`per_minute` tokens a minute, at most `burst_s` seconds of them saved up."""

    def __init__(self, per_minute: float, burst_s: float = 10.0, clock: Clock = time.monotonic):
        """A full bucket."""
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * burst_s)
        self.tokens = self.capacity
        self.clock = clock
        self.stamp = clock()

    def reserve(self) -> float:
        """Take one token now; returns how many seconds to wait before using it (0: at once)."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= 1.0
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Calls per minute: the whole project, each install's share of it, each user."""

    project_per_minute: float = 9_000.0  # 90 % of the Calendar API's 10,000/min
    tenant_share: float = 0.5  # one organisation may use at most this much of the project's
    user_per_minute: float = 600.0
    directory_per_minute: float = 2_400.0  # the Directory API's per-user default
    burst_s: float = 10.0


class Limiter:
    """The buckets of one process: project, per install (tenant), per user; LRU-bounded maps."""

    MAX_KEYS = 50_000

    def __init__(self, limits: RateLimits = RateLimits(), clock: Clock = time.monotonic) -> None:
        """Buckets for `limits`."""
        self.limits = limits
        self.clock = clock
        self.project = TokenBucket(limits.project_per_minute, limits.burst_s, clock)
        self.tenants: OrderedDict[str, TokenBucket] = OrderedDict()
        self.users: OrderedDict[str, TokenBucket] = OrderedDict()
        self.waited_s = 0.0

    def _bucket(self, table: OrderedDict[str, TokenBucket], key: str, rate: float) -> TokenBucket:
        bucket = table.get(key)
        if bucket is None:
            bucket = table[key] = TokenBucket(rate, self.limits.burst_s, self.clock)
            if len(table) > self.MAX_KEYS:
                table.popitem(last=False)
        else:
            table.move_to_end(key)
        return bucket

    async def acquire(self, tenant: str, user: str, *, directory: bool = False) -> None:
        """Wait until one more call of `user` (of install `tenant`) fits every bucket."""
        share = self.limits.project_per_minute * self.limits.tenant_share
        rate = self.limits.directory_per_minute if directory else self.limits.user_per_minute
        key = f"dir:{user}" if directory else user
        waits = (
            self.project.reserve(),
            self._bucket(self.tenants, tenant, share).reserve(),
            self._bucket(self.users, key, rate).reserve(),
        )
        wait = max(waits)
        if wait > 0:
            self.waited_s += wait
            await asyncio.sleep(wait)
