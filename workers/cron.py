"""The schedule: how often each job runs, and `tick`, one pass of every job that is due.

`rapport tick` runs `tick` once per tenant; the in-process scheduler of `rapport serve`
(`workers.inprocess`) runs the same jobs on the same rules, each on its own cadence. A
connection is due once per `sync_interval` at its own moment (`workers.sync.sync_due`); nudges
at their due time; weekly reports at each person's local report time (`workers.reports`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import structlog

from service.runtime import Runtime
from service.storage import TenantRepository
from workers.maintenance import MaintenanceOutcome, run_maintenance
from workers.nudges import NudgeRound, plan_and_deliver
from workers.reports import ReportRound, send_reports_due
from workers.sync import SyncRound, sync_tenant

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Schedule:
    """How often each job runs (from `RAPPORT_SCHEDULER__*`, see `workers.context.schedule`)."""

    sync_interval: timedelta = timedelta(minutes=15)
    poll: timedelta = timedelta(seconds=5)
    plan_interval: timedelta = timedelta(minutes=5)
    sync_concurrency: int = 2
    shutdown_grace: timedelta = timedelta(seconds=30)

    def __post_init__(self) -> None:
        if self.sync_interval <= timedelta(0) or self.poll <= timedelta(0):
            raise ValueError("sync_interval and poll must be positive")
        if self.sync_concurrency < 1:
            raise ValueError("sync_concurrency must be at least 1")


@dataclass(slots=True)
class TickOutcome:
    """What one pass of every due job did, per tenant id."""

    syncs: dict[int, SyncRound] = field(default_factory=dict)
    nudges: dict[int, NudgeRound] = field(default_factory=dict)
    reports: dict[int, ReportRound] = field(default_factory=dict)
    maintenance: dict[int, MaintenanceOutcome] = field(default_factory=dict)

    @property
    def needs_attention(self) -> bool:
        """True when any connection synced in this pass needs attention."""
        return any(not round_.ok for round_ in self.syncs.values())


async def tenant_ids(rt: Runtime) -> list[int]:
    """Every tenant's id."""
    async with rt.db.session() as session:
        return [tenant.id for tenant in await TenantRepository(session).all()]


async def tick(
    rt: Runtime, tenant_id: int, schedule: Schedule, outcome: TickOutcome | None = None
) -> TickOutcome:
    """One pass of every job due now for one tenant: housekeeping, due syncs, plan, deliver,
    reports. The runtime's clock says what "now" is (a simulated time with `--now`)."""
    outcome = outcome if outcome is not None else TickOutcome()
    outcome.maintenance[tenant_id] = await run_maintenance(rt, tenant_id)
    outcome.syncs[tenant_id] = await sync_tenant(
        rt, tenant_id, due_every=schedule.sync_interval, concurrency=schedule.sync_concurrency
    )
    outcome.nudges[tenant_id] = await plan_and_deliver(rt, tenant_id)
    outcome.reports[tenant_id] = await send_reports_due(rt, tenant_id)
    log.info("cron.tick", tenant_id=tenant_id, now=rt.now().isoformat())
    return outcome
