"""GoogleConnector.pull against the emulator: full and incremental syncs, paging, deletions, 410."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from integrations.google import GoogleAccount
from integrations.google.cursor import GoogleCursor
from service.domain.port import CursorExpired, PullPage, RemovedEvent
from tests.emulators.google.fixtures import (
    ANA,
    SERIES_START,
    WINDOW,
    calendar_of,
    fast_connector,
    meeting,
    weekly,
)
from tests.emulators.google.state import GoogleEmulator


async def pull(
    account: GoogleAccount, cursor: str | None = None, page_size: int = 500
) -> list[PullPage]:
    connector = fast_connector(page_size)
    try:
        async with asyncio.timeout(20):  # every test bounded in time
            return [page async for page in connector.pull(calendar_of(account), cursor, WINDOW)]
    finally:
        connector.close()


def cursor_of(pages: list[PullPage]) -> str:
    assert pages[-1].last
    assert pages[-1].cursor is not None
    return pages[-1].cursor


async def test_pull_full_sync_expands_series_with_identity(
    google: GoogleEmulator, google_account: GoogleAccount
) -> None:
    pages = await pull(google_account)
    meetings = [m for page in pages for m in page.meetings]
    cursor = GoogleCursor.parse(cursor_of(pages))
    assert cursor is not None
    assert cursor.start == WINDOW.start
    assert WINDOW.end + timedelta(days=7) <= cursor.end <= WINDOW.end + timedelta(days=14)
    # The single meeting and every instance the span holds (the window plus its slack).
    weekly_ = sorted((m for m in meetings if m.series_id == "weekly1"), key=lambda m: m.start)
    expected = [SERIES_START + timedelta(weeks=n) for n in range(8)]
    assert [m.original_start for m in weekly_] == [s for s in expected if s < cursor.end]
    assert len(meetings) == 1 + len(weekly_)
    assert {m.uid for m in weekly_} == {"weekly1@google.com"}
    assert all(page.full_sync for page in pages)
    # One token for Ana, one events.list: nothing else.
    assert google.requests["events.list"] == 1
    assert google.requests["token.granted"] == 1


async def test_pull_pages_across_six_pages_with_cursor_on_last_only(
    google: GoogleEmulator, google_account: GoogleAccount
) -> None:
    for n in range(10):
        start = datetime(2026, 11, 25, 8, 0, tzinfo=UTC) + timedelta(hours=n)
        google.put_event(ANA, meeting(f"extra{n:02d}", start))
    pages = await pull(google_account, page_size=3)  # 19 or 20 instances: 7 pages
    ids = [m.source_id for page in pages for m in page.meetings]
    assert len(ids) == len(set(ids)) >= 19
    assert len(pages) == -(-len(ids) // 3) >= 6
    assert [page.cursor is not None for page in pages] == [False] * (len(pages) - 1) + [True]
    assert [page.last for page in pages] == [False] * (len(pages) - 1) + [True]
    assert google.requests["events.list"] == len(pages)


async def test_pull_incremental_changes_only_with_allowed_parameters(
    google: GoogleEmulator, google_account: GoogleAccount
) -> None:
    cursor = cursor_of(await pull(google_account))
    unchanged = await pull(google_account, cursor)
    assert [(len(p.meetings), len(p.removed)) for p in unchanged] == [(0, 0)]
    assert not unchanged[-1].full_sync
    google.put_event(ANA, meeting("video1", datetime(2026, 11, 24, 10, 0, tzinfo=UTC), 60))
    changed = await pull(google_account, cursor_of(unchanged))
    assert [m.source_id for m in changed[0].meetings] == ["video1"]
    assert changed[0].meetings[0].end == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)


async def test_pull_incremental_moved_instance_keeps_identity(
    google: GoogleEmulator, google_account: GoogleAccount
) -> None:
    cursor = cursor_of(await pull(google_account))
    original = SERIES_START + timedelta(weeks=3)  # Nov 23
    moved_to = original + timedelta(days=1, hours=2)
    google.update_instance(
        ANA,
        "weekly1",
        original,
        start={"dateTime": moved_to.isoformat(), "timeZone": "Europe/London"},
        end={
            "dateTime": (moved_to + timedelta(minutes=30)).isoformat(),
            "timeZone": "Europe/London",
        },
    )
    pages = await pull(google_account, cursor)
    [moved] = pages[0].meetings
    assert (moved.uid, moved.original_start, moved.start) == (
        "weekly1@google.com",
        original,
        moved_to,
    )
    assert pages[0].removed == []


async def test_pull_incremental_cancelled_instance_is_removed_by_identity(
    google: GoogleEmulator, google_account: GoogleAccount
) -> None:
    cursor = cursor_of(await pull(google_account))
    original = SERIES_START + timedelta(weeks=2)
    google.cancel_instance(ANA, "weekly1", original)
    pages = await pull(google_account, cursor)
    assert pages[0].meetings == []
    assert pages[0].removed == [
        RemovedEvent("weekly1@google.com", original, "weekly1_20261116T090000Z")
    ]
    # The tombstone carried no iCalUID: the series' came from events.get.
    assert google.requests["events.get"] == 1


async def test_pull_incremental_deleted_series_removes_every_instance(
    google: GoogleEmulator, google_account: GoogleAccount
) -> None:
    cursor = cursor_of(await pull(google_account))
    google.delete_event(ANA, "weekly1")
    pages = await pull(google_account, cursor)
    removed = pages[0].removed
    assert len(removed) == 8  # every instance the calendar had, each by its identity
    assert {r.uid for r in removed} == {"weekly1@google.com"}
    assert sorted(r.original_start for r in removed if r.original_start)[0] == SERIES_START
    assert google.requests["events.get"] == 1  # one lookup for the whole series


async def test_pull_incremental_deleted_single_event_found_by_get(
    google: GoogleEmulator, google_account: GoogleAccount
) -> None:
    cursor = cursor_of(await pull(google_account))
    google.delete_event(ANA, "video1")
    pages = await pull(google_account, cursor)
    assert pages[0].removed == [RemovedEvent("video1@google.com", None, "video1")]


async def test_pull_incremental_unplaceable_deletion_asks_for_full_sync(
    google: GoogleEmulator, google_account: GoogleAccount
) -> None:
    cursor = cursor_of(await pull(google_account))
    google.delete_event(ANA, "video1")
    google.fail("events.get", 404, "notFound")
    with pytest.raises(CursorExpired):
        await pull(google_account, cursor)


async def test_pull_incremental_event_moved_out_of_span_is_removed(
    google: GoogleEmulator, google_account: GoogleAccount
) -> None:
    cursor = cursor_of(await pull(google_account))
    far = datetime(2027, 6, 1, 10, 0, tzinfo=UTC)
    google.put_event(ANA, meeting("video1", far))
    google.put_event(ANA, meeting("later1", far + timedelta(days=1)))
    pages = await pull(google_account, cursor)
    assert pages[0].meetings == []
    assert sorted(r.uid for r in pages[0].removed) == ["later1@google.com", "video1@google.com"]


async def test_pull_expired_sync_token_raises_cursor_expired(
    google: GoogleEmulator, google_account: GoogleAccount
) -> None:
    cursor = cursor_of(await pull(google_account))
    google.expire_sync_tokens(ANA)
    with pytest.raises(CursorExpired):
        await pull(google_account, cursor)


async def test_pull_window_past_cursor_span_is_a_full_sync(
    google: GoogleEmulator, google_account: GoogleAccount
) -> None:
    cursor = GoogleCursor.parse(cursor_of(await pull(google_account)))
    assert cursor is not None
    stale = GoogleCursor(cursor.token, cursor.start, WINDOW.end - timedelta(days=1)).dump()
    pages = await pull(google_account, stale)
    assert pages[-1].full_sync
    assert len([m for p in pages for m in p.meetings]) == 9


async def test_pull_all_day_series_instances(
    google: GoogleEmulator, google_account: GoogleAccount
) -> None:
    body = weekly("allday1", SERIES_START, 3)
    body["start"] = {"date": "2026-11-03"}
    body["end"] = {"date": "2026-11-04"}
    google.put_event(ANA, body)
    cursor = cursor_of(await pull(google_account))
    google.cancel_instance(ANA, "allday1", datetime(2026, 11, 10, tzinfo=UTC))
    pages = await pull(google_account, cursor)
    assert [(r.uid, r.original_start) for r in pages[0].removed] == [
        ("allday1@google.com", datetime(2026, 11, 10, tzinfo=UTC))
    ]
