"""`tick`: one pass of every due job, stepping through time with a simulated clock."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

from service.storage import Database
from tests.fixtures.smtp import Handler
from tests.integrations.ics.feedserver import Feed, RunningServer
from tests.workers.conftest import NOW, calendar, event, make_team, smtp_mailer, worker_runtime
from workers.cron import Schedule, TickOutcome, tick

ANA = "ana@example.com"


async def test_tick_runs_what_is_due_and_nothing_twice(
    database: Database,
    tenant_id: int,
    tmp_path: Path,
    feeds: RunningServer,
    smtp: tuple[Handler, int],
) -> None:
    handler, port = smtp
    rt = worker_runtime(database, smtp_mailer(port), tmp_path)
    start = NOW + timedelta(minutes=30)
    feeds.app.feeds["ana"] = Feed(calendar(ANA, event("m1@x", start)))
    await make_team(rt, tenant_id, feeds, [ANA])
    schedule = Schedule()

    first = await tick(rt, tenant_id, schedule)  # Tuesday 07:00 UTC: last week's report is due
    assert len(first.syncs[tenant_id].results) == 1
    assert first.nudges[tenant_id].planning.planned == 1
    assert first.nudges[tenant_id].delivery.sent == 0
    assert first.reports[tenant_id].due
    assert not first.needs_attention
    assert [m.rcpt_tos for m in handler.envelopes] == [[ANA]]  # the weekly report

    same = await tick(rt, tenant_id, schedule)
    assert same.syncs[tenant_id].results == []  # synced a moment ago
    assert same.nudges[tenant_id].delivery.sent == 0
    assert not same.reports[tenant_id].due
    assert len(handler.envelopes) == 1

    at_due = dataclasses.replace(rt, clock=lambda: start - timedelta(minutes=1))
    outcome = TickOutcome()
    await tick(at_due, tenant_id, schedule, outcome)
    assert len(outcome.syncs[tenant_id].results) == 1  # 29 minutes later: synced again
    assert outcome.nudges[tenant_id].delivery.sent == 1
    assert len(handler.envelopes) == 2
    await tick(at_due, tenant_id, schedule)
    assert len(handler.envelopes) == 2


async def test_tick_reports_a_connection_that_needs_attention(
    database: Database,
    tenant_id: int,
    tmp_path: Path,
    feeds: RunningServer,
    smtp: tuple[Handler, int],
) -> None:
    _, port = smtp
    rt = worker_runtime(database, smtp_mailer(port), tmp_path)
    await make_team(rt, tenant_id, feeds, [ANA])
    del feeds.app.feeds["ana"]
    outcome = await tick(rt, tenant_id, Schedule())
    assert outcome.needs_attention
    (failed,) = outcome.syncs[tenant_id].needs_attention
    assert failed.person == ANA
