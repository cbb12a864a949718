"""Housekeeping jobs: purge meetings past the look-back window, hand stuck sends back.

Meetings are kept as long as any policy of the tenant needs them: the relationships look-back
window and the per-series caps, which count past nudges (deleting a meeting deletes its
nudges). A nudge left `sending` by a process that died mid-send (SIGKILL, power loss) is
planned again once it has been stuck longer than any real send takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog

from service.pipeline.policies import load_policies
from service.runtime import Runtime, system_clock
from service.storage import MeetingRepository, NudgeRepository

log = structlog.get_logger(__name__)

# Far longer than one send can take (the SMTP timeout is 30 s by default).
STUCK_AFTER = timedelta(minutes=10)


@dataclass(slots=True)
class MaintenanceOutcome:
    """What housekeeping did."""

    purged: int = 0
    reclaimed: int = 0


def purge_cutoff(now: datetime, keep_days: int) -> datetime:
    """Midnight UTC `keep_days` before `now`: meetings that ended before it go."""
    moment = (now - timedelta(days=keep_days)).astimezone(UTC)
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


async def purge_meetings(rt: Runtime, tenant_id: int) -> int:
    """Delete meetings that ended before the longest window a policy of the tenant reads."""
    async with rt.db.session() as session:
        policies = await load_policies(session, tenant_id)
        every = (policies.default, *policies.groups.values())
        keep = max(
            max(p.relationships.lookback_days for p in every),
            policies.longest_series_cap_days,
        )
        purged = await MeetingRepository(session, tenant_id).purge_before(
            purge_cutoff(rt.now(), keep)
        )
        await session.commit()
    if purged:
        log.info("maintenance.purged", tenant_id=tenant_id, meetings=purged, keep_days=keep)
    return purged


async def reclaim_stuck_sends(rt: Runtime, tenant_id: int) -> int:
    """Plan again, due now, the nudges stuck in `sending` for longer than `STUCK_AFTER`.

    Stuck is measured on the real clock, as the nudge's `updated_at` is (never on a simulated
    `--now`, which would take in-flight sends of another process for stuck ones).
    """
    stuck_before = system_clock() - STUCK_AFTER
    async with rt.db.session() as session:
        nudges = NudgeRepository(session, tenant_id)
        rows = await nudges.reclaim_stuck(stuck_before, rt.now())
        await session.commit()
    if rows:
        log.warning("maintenance.reclaimed", tenant_id=tenant_id, nudge_ids=[r.id for r in rows])
    return len(rows)


async def run_maintenance(rt: Runtime, tenant_id: int) -> MaintenanceOutcome:
    """Both housekeeping jobs."""
    return MaintenanceOutcome(
        purged=await purge_meetings(rt, tenant_id),
        reclaimed=await reclaim_stuck_sends(rt, tenant_id),
    )
