"""Housekeeping: meetings past every window a policy reads are purged; stuck sends come back."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import time_machine

from service.email import MaildirOutbox
from service.storage import Database, MeetingRepository, NudgeRepository
from tests.integrations.ics.feedserver import Feed, RunningServer
from tests.workers.conftest import NOW, calendar, event, make_team, worker_runtime
from workers.maintenance import purge_cutoff, purge_meetings, reclaim_stuck_sends
from workers.nudges import plan
from workers.sync import sync_tenant

ANA = "ana@example.com"


def test_purge_cutoff_midnight_utc() -> None:
    assert purge_cutoff(NOW, 90) == (NOW - timedelta(days=90)).replace(hour=0)


async def test_purge_meetings_past_the_look_back_window(
    database: Database, tenant_id: int, tmp_path: Path, feeds: RunningServer
) -> None:
    rt = worker_runtime(database, MaildirOutbox(tmp_path / "out"), tmp_path)
    old, recent = NOW - timedelta(days=200), NOW - timedelta(days=3)
    feeds.app.feeds["ana"] = Feed(calendar(ANA, event("old@x", old), event("new@x", recent)))
    await make_team(rt, tenant_id, feeds, [ANA])
    await sync_tenant(dataclasses.replace(rt, clock=lambda: old + timedelta(days=1)), tenant_id)
    await sync_tenant(rt, tenant_id)
    async with database.session() as session:
        assert await MeetingRepository(session, tenant_id).count() == 2
    assert await purge_meetings(rt, tenant_id) == 1
    assert await purge_meetings(rt, tenant_id) == 0
    async with database.session() as session:
        assert await MeetingRepository(session, tenant_id).count() == 1


async def test_reclaim_stuck_sends_only_after_they_are_stuck(
    database: Database, tenant_id: int, tmp_path: Path, feeds: RunningServer
) -> None:
    rt = worker_runtime(database, MaildirOutbox(tmp_path / "out"), tmp_path)
    feeds.app.feeds["ana"] = Feed(calendar(ANA, event("m@x", NOW + timedelta(hours=1))))
    await make_team(rt, tenant_id, feeds, [ANA])
    await sync_tenant(rt, tenant_id)
    await plan(rt, tenant_id)
    async with database.session() as session:
        nudges = NudgeRepository(session, tenant_id)
        (nudge,) = await nudges.due(NOW + timedelta(hours=1), 10)
        assert await nudges.claim(nudge.id)
        await session.commit()
    assert await reclaim_stuck_sends(rt, tenant_id) == 0  # a send in flight is left alone
    with time_machine.travel(timedelta(minutes=11), tick=True):
        assert await reclaim_stuck_sends(rt, tenant_id) == 1
    async with database.session() as session:
        row = await NudgeRepository(session, tenant_id).get(nudge.id)
    assert row is not None
    assert (row.state, row.due_at) == ("planned", NOW)
