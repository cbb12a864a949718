"""The in-process scheduler of `rapport serve` while no Redis is configured.

Three loops in the serving process, all state in the database (a restart picks up where the
last process stopped; two processes on one database never both send a nudge, because delivery
claims each nudge planned -> sending first):

- **sync**: every `poll`, the connections whose moment has come (`workers.sync.sync_due`: once
  per `sync_interval`, spread by a stable hash of the connection id) are synced, a few at a
  time; the tenant is planned again after each round that synced something.
- **delivery**: sleeps until the earliest planned nudge is due, but never longer than `poll`
  (so a nudge planned by another process is seen), then plans and delivers what is due.
- **housekeeping**: planning every `plan_interval` (the planning window moves; preferences
  change), weekly reports when due, the purge and the reclaim of stuck sends.

Shutdown (`stop`, on SIGTERM or SIGINT): a sync in flight is cancelled (it loses nothing: pages
are idempotent upserts and the cursor is stored last); the mail gate closes, so the send in
flight finishes and every later one of the run is handed back (planned again, not sent); the
loops finish within `shutdown_grace`, then anything still running is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from email.message import EmailMessage

import structlog

from service.email import Mailer, TransientDeliveryError
from service.runtime import Runtime
from workers.cron import Schedule, tenant_ids
from workers.google import google_housekeeping
from workers.maintenance import run_maintenance
from workers.microsoft import microsoft_housekeeping
from workers.nudges import HANDED_BACK, deliver, hand_back, next_due, plan
from workers.reports import send_reports_due
from workers.sync import sync_tenant, unexpected

log = structlog.get_logger(__name__)

MAINTENANCE_EVERY_S = 3600.0
# After a delivery run that left something due (a send handed back, a lost claim), wait this
# long before the next: no busy loop, still well inside the 30 s promise.
MIN_DELIVERY_WAIT_S = 1.0


class SendGate:
    """A mailer in front of the real one: once closed, sends are handed back instead of made.

    The refusal is a transient delivery error, so the pipeline plans the nudge again rather
    than failing it; `refused` keeps the Message-IDs so the scheduler can undo what that did.
    """

    def __init__(self, inner: Mailer) -> None:
        """Wrap `inner`; open until `close`."""
        self.inner = inner
        self.closed = False
        self.refused: list[str] = []

    async def send(self, message: EmailMessage) -> None:
        """Send through the real mailer, or hand the message back when closed."""
        if self.closed:
            self.refused.append(str(message.get("Message-ID", "")))
            raise TransientDeliveryError(HANDED_BACK)
        await self.inner.send(message)

    def close(self) -> None:
        """Refuse every send from now on (the one in flight finishes)."""
        self.closed = True


class Scheduler:
    """Runs the jobs of every tenant (or of `tenants`) until `stop` is called."""

    def __init__(
        self,
        rt: Runtime,
        schedule: Schedule,
        gate: SendGate | None = None,
        tenants: Sequence[int] | None = None,
    ) -> None:
        """Use `rt` (whose mailer should be `gate`, so shutdown can hand sends back)."""
        self.rt, self.schedule, self.gate = rt, schedule, gate
        self.tenants = None if tenants is None else list(tenants)
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._planning = asyncio.Lock()  # one planner at a time in this process
        self._planned_at: dict[int, float] = {}
        self._reported_at: dict[int, float] = {}
        self._maintained_at: dict[int, float] = {}

    @property
    def stopping(self) -> bool:
        """True once `stop` was called."""
        return self._stop.is_set()

    def stop(self) -> None:
        """Begin a graceful shutdown (safe to call from a signal handler, more than once)."""
        if not self._stop.is_set():
            log.info("scheduler.stopping")
        self._stop.set()
        self._wake.set()
        if self.gate is not None:
            self.gate.close()

    def wake(self) -> None:
        """Look for due nudges now (something was planned)."""
        self._wake.set()

    async def run(self) -> None:
        """Run the loops until `stop`; then shut down as the module docstring says."""
        log.info("scheduler.started", sync_interval_s=self.schedule.sync_interval.total_seconds())
        syncing = asyncio.create_task(self._loop("sync", self._sync_once, self._poll))
        others = [
            asyncio.create_task(self._loop("delivery", self._deliver_once, self._poll)),
            asyncio.create_task(self._loop("housekeeping", self._housekeep_once, self._poll)),
        ]
        try:
            await self._stop.wait()
        finally:
            self.stop()
            syncing.cancel()
            grace = self.schedule.shutdown_grace.total_seconds()
            _, late = await asyncio.wait([syncing, *others], timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(syncing, *others, return_exceptions=True)
            if late:
                log.warning("scheduler.cancelled_late", jobs=len(late))
            await self._hand_back()
            log.info("scheduler.stopped")

    async def _loop(
        self,
        name: str,
        once: Callable[[], Awaitable[float]],
        default_wait: Callable[[], float],
    ) -> None:
        """Run `once` until stopped; a failure is logged and the loop goes on after a pause."""
        while not self.stopping:
            try:
                wait = await once()
            except Exception as exc:  # one bad pass must not stop the service
                # The type and first line only: a database error's later lines carry the
                # statement's parameters (titles, addresses), which logs never do.
                log.warning("scheduler.job_failed", loop=name, error=unexpected(exc))
                wait = default_wait()
            await self._sleep(wait, wakeable=name == "delivery")

    async def _sleep(self, seconds: float, *, wakeable: bool) -> None:
        if self.stopping:
            return
        event = self._wake if wakeable else self._stop
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout=max(seconds, 0.0))
        if wakeable:
            self._wake.clear()

    def _poll(self) -> float:
        return self.schedule.poll.total_seconds()

    async def _tenant_ids(self) -> list[int]:
        return list(self.tenants) if self.tenants is not None else await tenant_ids(self.rt)

    async def _sync_once(self) -> float:
        for tenant_id in await self._tenant_ids():
            if self.stopping:
                break
            synced = await sync_tenant(
                self.rt, tenant_id, self.schedule.sync_interval, self.schedule.sync_concurrency
            )
            if synced.results and not self.stopping:
                await self._plan(tenant_id)
        return self._poll()

    async def _deliver_once(self) -> float:
        """Deliver every tenant's due nudges; returns how long to sleep (until the next one)."""
        poll = self._poll()
        wait = poll
        for tenant_id in await self._tenant_ids():
            if self.stopping:
                break
            due = await next_due(self.rt, tenant_id)
            if due is not None and due <= self.rt.now():
                # Planned again first: a meeting moved or an unsubscribe counts at send time.
                await self._plan(tenant_id)
                await deliver(self.rt, tenant_id)
                due = await next_due(self.rt, tenant_id)
                if due is not None and due <= self.rt.now():
                    wait = min(wait, MIN_DELIVERY_WAIT_S)
                    continue
            if due is not None:
                wait = min(wait, max((due - self.rt.now()).total_seconds(), 0.0))
        return wait

    async def _housekeep_once(self) -> float:
        now = time.monotonic()
        for tenant_id in await self._tenant_ids():
            if self.stopping:
                break
            every = self.schedule.plan_interval.total_seconds()
            planned = self._planned_at.get(tenant_id)
            if planned is None or now - planned >= every:
                await self._plan(tenant_id)
            # Checked on its own clock: planning also runs after syncs and before deliveries.
            reported = self._reported_at.get(tenant_id)
            if reported is None or now - reported >= every:
                await send_reports_due(self.rt, tenant_id)
                self._reported_at[tenant_id] = time.monotonic()
            maintained = self._maintained_at.get(tenant_id)
            if maintained is None or now - maintained >= MAINTENANCE_EVERY_S:
                await run_maintenance(self.rt, tenant_id)
                await google_housekeeping(self.rt, tenant_id)  # directory round, channels
                await microsoft_housekeeping(self.rt, tenant_id)  # directory, subscriptions
                self._maintained_at[tenant_id] = time.monotonic()
        return self._poll()

    async def _plan(self, tenant_id: int) -> None:
        async with self._planning:
            await plan(self.rt, tenant_id)
        self._planned_at[tenant_id] = time.monotonic()
        self.wake()

    async def _hand_back(self) -> None:
        """Undo what the gate's refusals did to their nudges (see `workers.nudges.hand_back`)."""
        if self.gate is None or not self.gate.refused:
            return
        try:
            for tenant_id in await self._tenant_ids():
                await hand_back(self.rt, tenant_id, self.gate.refused)
        except Exception as exc:  # the next start re-plans them anyway
            log.warning("scheduler.hand_back_failed", error=type(exc).__name__)
        log.info("scheduler.handed_back", messages=len(self.gate.refused))
