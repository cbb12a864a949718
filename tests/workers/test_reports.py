"""The weekly-report job: each person's report at Monday 08:00 in their own zone, once."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.storage import Database, PeopleRepository, PersonIn
from tests.fixtures.smtp import Handler
from tests.integrations.ics.feedserver import RunningServer
from tests.workers.conftest import make_team, smtp_mailer, worker_runtime
from workers.reports import report_moment, reports_due, send_reports_due

MONDAY = datetime(2026, 11, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "zone", "moment"),
    [
        (
            datetime(2026, 12, 2, 9, 0, tzinfo=UTC),
            "Europe/London",
            datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
        ),
        (
            datetime(2026, 11, 30, 7, 0, tzinfo=UTC),
            "Europe/London",
            datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
        ),
        (
            datetime(2026, 11, 29, 22, 0, tzinfo=UTC),
            "Asia/Tokyo",
            datetime(2026, 11, 29, 23, 0, tzinfo=UTC),
        ),
        (
            datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
            "America/Los_Angeles",
            datetime(2026, 11, 30, 16, 0, tzinfo=UTC),
        ),
        (
            datetime(2026, 11, 29, 12, 0, tzinfo=UTC),
            "Not/AZone",
            datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
        ),
    ],
)
def test_report_moment_is_monday_0800_local(now: datetime, zone: str, moment: datetime) -> None:
    assert report_moment(now, zone) == moment


async def test_send_reports_due_at_local_report_time_once(
    database: Database,
    tenant_id: int,
    tmp_path: Path,
    feeds: RunningServer,
    smtp: tuple[Handler, int],
) -> None:
    handler, port = smtp
    rt = worker_runtime(database, smtp_mailer(port), tmp_path)
    await make_team(rt, tenant_id, feeds, ["ana@example.com"], timezone="Europe/London")
    async with database.session() as session:
        await PeopleRepository(session, tenant_id).upsert_many(
            [PersonIn(email="out@example.com", timezone="Asia/Tokyo", opted_out=True)]
        )
        await session.commit()
    before = dataclasses.replace(rt, clock=lambda: MONDAY.replace(hour=7, minute=59))
    assert not await reports_due(before, tenant_id)
    assert (await send_reports_due(before, tenant_id)).due is False
    assert handler.envelopes == []
    at = dataclasses.replace(rt, clock=lambda: MONDAY.replace(hour=8))
    sent = await send_reports_due(at, tenant_id)
    assert sent.due
    assert sent.outcome is not None
    assert sent.outcome.sent == 1
    assert [e.rcpt_tos for e in handler.envelopes] == [["ana@example.com"]]
    later = dataclasses.replace(rt, clock=lambda: MONDAY + timedelta(days=2, hours=12))
    assert (await send_reports_due(later, tenant_id)).due is False
    assert len(handler.envelopes) == 1
