"""Sync: a feed pulled through the real iCalendar connector, classified and stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import text

from service.domain.model import Meeting
from service.domain.policy import validate_policy
from service.domain.port import (
    CalendarRef,
    Connector,
    CursorExpired,
    Feature,
    ProviderUnavailable,
    PullPage,
    SyncWindow,
)
from service.email import MaildirOutbox
from service.pipeline.sync import SyncOutcome, SyncScope, sync_calendar
from service.runtime import Runtime
from service.storage import CalendarRepository, CalendarRow, Database, MeetingRepository
from tests.fixtures.pipeline import (
    ANA,
    AUDIO,
    NOW,
    VIDEO,
    WINDOW,
    feed_bytes,
    runtime,
    sync_ana,
    three_people,
)


async def test_sync_calendar_stores_skips_unchanged_and_prunes(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    rt = runtime(database, MaildirOutbox(tmp_path / "outbox"), tmp_path)
    feed = tmp_path / "ana.ics"
    feed.write_bytes(feed_bytes(VIDEO, AUDIO))
    connection, _ = await three_people(database, tenant_id, feed)
    first = await sync_ana(rt, tenant_id, connection, feed)
    assert (first.meetings, first.error) == (2, None)
    again = await sync_ana(rt, tenant_id, connection, feed)
    assert again.not_modified
    feed.write_bytes(feed_bytes(VIDEO))
    pruned = await sync_ana(rt, tenant_id, connection, feed)
    assert pruned.pruned == 1
    async with database.session() as session:
        rows = [
            r
            async for r in MeetingRepository(session, tenant_id).iter_upcoming(
                NOW, NOW + timedelta(days=1)
            )
        ]
    # No calendar shows the audio call any more and nothing was sent for it: it is gone.
    assert {(r.ical_uid, r.status, r.modality) for r in rows} == {
        ("video-1@example.com", "confirmed", "video"),
    }


SELF_HOSTED = """BEGIN:VEVENT
UID:own-1@example.com
DTSTAMP:20261101T000000Z
DTSTART:20261124T120000Z
DTEND:20261124T123000Z
SUMMARY:Design crit
LOCATION:https://talk.acme-intern.example/rooms/design-crit
ORGANIZER:mailto:ana@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ana@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ben@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:cat@example.com
END:VEVENT
"""


async def test_sync_calendar_uses_tenant_meeting_links(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    policy = validate_policy(
        {"meeting_links": [{"host": "talk.acme-intern.example", "path_prefix": "/rooms/"}]}
    )
    rt = runtime(database, MaildirOutbox(tmp_path / "outbox"), tmp_path)
    feed = tmp_path / "ana.ics"
    feed.write_bytes(feed_bytes(SELF_HOSTED))
    connection, _ = await three_people(database, tenant_id, feed)
    await sync_ana(rt, tenant_id, connection, feed, policy.link_patterns())
    async with database.session() as session:
        rows = [
            r
            async for r in MeetingRepository(session, tenant_id).iter_upcoming(
                NOW, NOW + timedelta(days=1)
            )
        ]
    assert [(r.modality, r.provider) for r in rows] == [("video", "other")]


class _Provider:
    """A test double of an external provider: each pull raises the next error of `errors`."""

    provider: ClassVar[str] = "google"
    features: ClassVar[Feature] = Feature.INCREMENTAL

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.cursors: list[str | None] = []

    async def pull(
        self, calendar: CalendarRef, cursor: str | None, window: SyncWindow
    ) -> AsyncIterator[PullPage]:
        self.cursors.append(cursor)
        raise self.errors.pop(0)
        yield PullPage()  # an async generator, like every connector's pull


async def _sync_with(
    rt: Runtime, tenant_id: int, connection: int, connector: Connector, source: str = "x"
) -> SyncOutcome:
    scope = SyncScope(tenant_id, WINDOW, {})
    calendar = CalendarRef(owner=ANA, source=source)
    return await sync_calendar(rt, scope, connection, calendar, connector)


async def _connection(database: Database, tenant_id: int, connection: int) -> CalendarRow:
    async with database.session() as session:
        row = await CalendarRepository(session, tenant_id).get(connection)
    assert row is not None
    return row


@pytest.mark.parametrize(
    ("error", "recorded"),
    [
        (ProviderUnavailable("the resync failed too"), "the resync failed too"),
        (RuntimeError("the resync failed too"), "internal error (RuntimeError); see the log"),
    ],
)
async def test_sync_calendar_full_resync_after_expired_cursor_records_its_error(
    database: Database, tenant_id: int, tmp_path: Path, error: Exception, recorded: str
) -> None:
    rt = runtime(database, MaildirOutbox(tmp_path / "outbox"), tmp_path)
    connection, _ = await three_people(database, tenant_id, tmp_path / "ana.ics")
    async with database.transaction() as session:
        await CalendarRepository(session, tenant_id).set_cursor(connection, "sync-token", NOW)
    provider = _Provider(CursorExpired("410 Gone"), error)
    outcome = await _sync_with(rt, tenant_id, connection, provider)
    assert provider.cursors == ["sync-token", None]
    assert outcome.error is not None
    assert recorded in outcome.error
    row = await _connection(database, tenant_id, connection)
    assert (row.status, row.last_error) == ("error", outcome.error)


async def test_sync_calendar_any_connector_exception_recorded_short_and_without_secret(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    rt = runtime(database, MaildirOutbox(tmp_path / "outbox"), tmp_path)
    connection, _ = await three_people(database, tenant_id, tmp_path / "ana.ics")
    secret = "https://calendar.example/private-4f1c2a9b/basic.ics"
    huge = UnicodeDecodeError("utf-8", b"\xff", 0, 1, f"bad byte in {secret} " + "x" * 5_000_000)
    outcomes = [
        await _sync_with(rt, tenant_id, connection, _Provider(huge), source=secret),
        # The next calendar of a loop still syncs (here: the same one, now fine).
        await _sync_with(rt, tenant_id, connection, _Provider(ProviderUnavailable("503"))),
    ]
    first = outcomes[0].error
    assert first is not None
    assert len(first) <= 500
    assert "UnicodeDecodeError" in first
    assert secret not in first
    assert "private-4f1c2a9b" not in first
    row = await _connection(database, tenant_id, connection)
    assert (row.status, row.last_error) == ("error", "503")


def _events(prefix: str, count: int) -> list[str]:
    """`count` meetings of Ana, Ben and Cat, UIDs starting with `prefix`."""
    return [VIDEO.replace("video-1@example.com", f"{prefix}-{i}@example.com") for i in range(count)]


async def _stored_rows(database: Database, tenant_id: int) -> tuple[int, int, int]:
    """(meetings, copies, participations) stored for the tenant."""
    counts = []
    async with database.session() as session:
        for table in ("meetings", "meeting_copies", "participations"):
            sql = text(f"SELECT count(*) FROM {table} WHERE tenant_id = :t")
            counts.append(int(await session.scalar(sql, {"t": tenant_id}) or 0))
    return counts[0], counts[1], counts[2]


async def test_sync_calendar_over_budget_keeps_what_fits_and_records_why(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    rt = runtime(database, MaildirOutbox(tmp_path / "outbox"), tmp_path)
    feed = tmp_path / "ana.ics"
    feed.write_bytes(feed_bytes(*_events("big", 5)))
    connection, people = await three_people(database, tenant_id, feed)
    calendar = CalendarRef(owner=ANA, source=str(feed), default_timezone="Europe/London")
    # Each meeting writes 5 rows (the meeting, Ana's copy, three parties): 12 rows fit two.
    scope = SyncScope(tenant_id, WINDOW, people, max_rows=12)
    outcome = await sync_calendar(rt, scope, connection, calendar, rt.connector("ics"))
    assert (outcome.meetings, outcome.rows, outcome.over_budget) == (2, 10, True)
    assert await _stored_rows(database, tenant_id) == (2, 2, 6)
    row = await _connection(database, tenant_id, connection)
    assert row.status == "error"
    assert row.last_error == outcome.error
    assert outcome.error is not None
    assert "over its budget: more than 12 rows in one sync (2 meetings kept" in outcome.error
    assert row.cursor is None
    # Within its budget again, the calendar syncs and the error clears.
    feed.write_bytes(feed_bytes(*_events("big", 2)))
    again = await sync_calendar(rt, scope, connection, calendar, rt.connector("ics"))
    assert (again.error, again.over_budget) == (None, False)
    assert (await _connection(database, tenant_id, connection)).status == "ok"


async def test_sync_calendar_renaming_every_uid_never_piles_up_rows(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    rt = runtime(database, MaildirOutbox(tmp_path / "outbox"), tmp_path)
    feed = tmp_path / "ana.ics"
    connection, people = await three_people(database, tenant_id, feed)
    calendar = CalendarRef(owner=ANA, source=str(feed), default_timezone="Europe/London")
    scope = SyncScope(tenant_id, WINDOW, people)
    for round_ in range(10):
        feed.write_bytes(feed_bytes(*_events(f"round{round_}", 4)))
        await sync_calendar(rt, scope, connection, calendar, rt.connector("ics"))
        # One round's rows, whatever came before; the prune removed the last round's.
        assert await _stored_rows(database, tenant_id) == (4, 4, 12)


class _Warning:
    """A test double of a provider that left part of a calendar out to stay within its budget."""

    provider: ClassVar[str] = "google"
    features: ClassVar[Feature] = Feature.NONE

    def __init__(self, meetings: list[Meeting]) -> None:
        self.meetings = meetings

    async def pull(
        self, calendar: CalendarRef, cursor: str | None, window: SyncWindow
    ) -> AsyncIterator[PullPage]:
        yield PullPage(
            meetings=self.meetings, last=True, cursor="next", warnings=("3 series left out",)
        )


async def test_sync_calendar_connector_warnings_recorded_and_cursor_not_kept(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    rt = runtime(database, MaildirOutbox(tmp_path / "outbox"), tmp_path)
    connection, _ = await three_people(database, tenant_id, tmp_path / "ana.ics")
    kept = Meeting(uid="kept@example.com", start=NOW, end=NOW + timedelta(hours=1), owner=ANA)
    outcome = await _sync_with(rt, tenant_id, connection, _Warning([kept]))
    assert (outcome.meetings, outcome.over_budget) == (1, True)
    assert outcome.error == "the calendar is over its budget: 3 series left out"
    row = await _connection(database, tenant_id, connection)
    assert (row.status, row.last_error, row.cursor) == ("error", outcome.error, None)
    assert await _stored_rows(database, tenant_id) == (1, 1, 1)
