"""The weekly-report job: each person's report at their local report time.

The policy has no report day or time yet, so every person's report is due on Monday at 08:00
in their own time zone (`service.pipeline.weekly_reports.report_moment`), for the local week
that just ended.
`send_weekly_reports` claims each report (person, week) before sending it, so running this job
often sends nothing twice; the job only calls it when someone's report is due and not yet sent,
because the pipeline reads the look-back window of meetings each time it runs.

The pipeline sends only the reports whose local report time has passed, so in a tenant spread
over several time zones each person gets theirs at their own 08:00 (at the first run after it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog

from service.domain.zones import known_zone
from service.pipeline.policies import tenant_policy
from service.pipeline.relationships import report_week
from service.pipeline.weekly_reports import ReportOutcome, report_due, send_weekly_reports
from service.pipeline.weekly_reports import report_moment as report_moment
from service.runtime import Runtime
from service.storage import PeopleRepository, PersonRow, ReportRepository

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class ReportRound:
    """Whether reports were due, and what sending them did."""

    due: bool
    outcome: ReportOutcome | None = None


async def reports_due(rt: Runtime, tenant_id: int) -> bool:
    """True when some active, subscribed person's report time has passed and their report for
    the week that ended is not sent yet (or failed)."""
    now = rt.now()
    async with rt.db.session() as session:
        people = [p async for p in PeopleRepository(session, tenant_id).iter_all()]
        reports = ReportRepository(session, tenant_id)
        for person in people:
            if not _waiting(person, now):
                continue
            row = await reports.get(person.id, report_week(now, _zone_name(person))[0])
            if row is None or row.state == "failed":
                return True
    return False


def _zone_name(person: PersonRow) -> str:
    return person.timezone if known_zone(person.timezone) is not None else "UTC"


def _waiting(person: PersonRow, now: datetime) -> bool:
    return person.active and not person.opted_out and report_due(now, _zone_name(person))


async def send_reports_due(rt: Runtime, tenant_id: int) -> ReportRound:
    """Send the weekly reports that are due (see the module docstring); nothing when none is."""
    if not await reports_due(rt, tenant_id):
        return ReportRound(due=False)
    outcome = await send_weekly_reports(rt, tenant_id, await tenant_policy(rt, tenant_id))
    log.info("reports.round", tenant_id=tenant_id, people=outcome.people, sent=outcome.sent)
    return ReportRound(due=True, outcome=outcome)
