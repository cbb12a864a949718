"""IcsConnector.pull against a real loopback feed server: pages, cursor, not-modified."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from structlog.testing import capture_logs

import integrations.ics
from integrations.ics import FetchPolicy, IcsConnector
from service.domain.port import (
    CalendarRef,
    Connector,
    Feature,
    FetchRefused,
    ProviderUnavailable,
    PullPage,
    SyncWindow,
)
from tests.integrations.ics.feedserver import LAST_MODIFIED, Feed, RunningServer
from tests.integrations.ics.icsdata import OWNER, calendar, vevent

WINDOW = SyncWindow(datetime(2024, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
POLICY = FetchPolicy(allow_hosts_or_networks=("127.0.0.0/8",), total_timeout_s=20.0)
SECRET_TITLE = "Confidential merger talk"


async def pull_all(connector: IcsConnector, ref: CalendarRef, cursor: str | None) -> list[PullPage]:
    return [page async for page in connector.pull(ref, cursor, WINDOW)]


def ref(server: RunningServer, name: str) -> CalendarRef:
    return CalendarRef(owner=OWNER, source=f"{server.base}/feeds/{name}", calendar_id=f"cal-{name}")


def test_check_connector_protocol_and_facts() -> None:
    connector: Connector = IcsConnector(POLICY)
    assert connector.provider == "ics"
    assert connector.features is Feature.NONE


def test_check_public_api_exports() -> None:
    assert set(integrations.ics.__all__) >= {
        "IcsConnector",
        "FetchPolicy",
        "FetchResult",
        "fetch_feed",
        "read_events",
        "expand_feed",
        "normalise_vevent",
        "ParsedFeed",
    }
    for name in integrations.ics.__all__:
        assert getattr(integrations.ics, name) is not None


async def test_pull_ics_pages_and_cursor(feed_server: RunningServer) -> None:
    body = calendar(
        vevent(
            "DTSTART:20240102T090000Z",
            "DTEND:20240102T093000Z",
            "RRULE:FREQ=DAILY;COUNT=1001",
            uid="daily",
        )
    )
    feed_server.app.feeds["paged"] = Feed(body, etag='"p1"')
    pages = await pull_all(IcsConnector(POLICY), ref(feed_server, "paged"), None)
    assert [len(p.meetings) for p in pages] == [500, 500, 1]
    assert [p.last for p in pages] == [False, False, True]
    assert all(p.full_sync and not p.not_modified for p in pages)
    assert [p.cursor is None for p in pages] == [True, True, False]
    cursor = json.loads(pages[-1].cursor or "")
    assert cursor["etag"] == '"p1"'
    assert len(cursor["sha256"]) == 64


async def test_pull_ics_etag_not_modified(feed_server: RunningServer) -> None:
    feed_server.app.feeds["tagged"] = Feed(
        calendar(vevent("DTSTART:20240301T120000Z")), etag='"t1"'
    )
    connector = IcsConnector(POLICY)
    first = await pull_all(connector, ref(feed_server, "tagged"), None)
    cursor = first[-1].cursor
    again = await pull_all(connector, ref(feed_server, "tagged"), cursor)
    assert len(again) == 1
    assert again[0].not_modified
    assert again[0].last
    assert again[0].cursor == cursor
    assert again[0].meetings == []
    sent = [h for p, h in feed_server.app.requests if p == "/feeds/tagged"][-1]
    assert sent["if-none-match"] == '"t1"'


async def test_pull_ics_same_body_not_modified(feed_server: RunningServer) -> None:
    # A server without validators: the body's hash tells that nothing changed.
    feed_server.app.feeds["bare"] = Feed(calendar(vevent("DTSTART:20240301T120000Z")))
    connector = IcsConnector(POLICY)
    first = await pull_all(connector, ref(feed_server, "bare"), None)
    again = await pull_all(connector, ref(feed_server, "bare"), first[-1].cursor)
    assert [(p.not_modified, p.last, p.cursor) for p in again] == [(True, True, first[-1].cursor)]


async def test_pull_ics_changed_body_full_sync(feed_server: RunningServer) -> None:
    feed_server.app.feeds["changing"] = Feed(
        calendar(vevent("DTSTART:20240301T120000Z")), last_modified=LAST_MODIFIED
    )
    connector = IcsConnector(POLICY)
    first = await pull_all(connector, ref(feed_server, "changing"), None)
    feed_server.app.feeds["changing"] = Feed(
        calendar(vevent("DTSTART:20240301T120000Z"), vevent("DTSTART:20240302T120000Z", uid="b")),
        last_modified="Thu, 02 May 2024 10:00:00 GMT",
    )
    again = await pull_all(connector, ref(feed_server, "changing"), first[-1].cursor)
    assert len(again[-1].meetings) == 2
    assert not again[-1].not_modified
    assert again[-1].cursor != first[-1].cursor


async def test_pull_ics_skipped_event_logged_without_title(feed_server: RunningServer) -> None:
    feed_server.app.feeds["broken"] = Feed(
        calendar(
            vevent("DTSTART:20240301T120000Z", uid="ok"),
            vevent("DTSTART:bogus", f"SUMMARY:{SECRET_TITLE}", uid="broken-1"),
        )
    )
    with capture_logs() as logs:
        pages = await pull_all(IcsConnector(POLICY), ref(feed_server, "broken"), None)
    assert [m.uid for m in pages[-1].meetings] == ["ok"]
    assert [s.source_id for s in pages[-1].skipped] == ["broken-1"]
    skipped = [e for e in logs if e["event"] == "ics.event_skipped"]
    assert len(skipped) == 1
    assert skipped[0]["source_id"] == "broken-1"
    assert "DTSTART" in skipped[0]["reason"]
    assert SECRET_TITLE not in repr(logs)


async def test_pull_ics_not_icalendar_unavailable(feed_server: RunningServer) -> None:
    feed_server.app.feeds["html"] = Feed(b"<html><body>Please sign in</body></html>")
    with pytest.raises(ProviderUnavailable, match="not iCalendar"):
        await pull_all(IcsConnector(POLICY), ref(feed_server, "html"), None)


async def test_pull_ics_private_source_refused() -> None:
    source = CalendarRef(owner=OWNER, source="http://10.0.0.8/feed.ics")
    with pytest.raises(FetchRefused, match="private"):
        await pull_all(IcsConnector(FetchPolicy()), source, None)


async def test_pull_ics_local_file_with_bad_cursor(tmp_path: Path) -> None:
    path = tmp_path / "own.ics"
    path.write_bytes(calendar(vevent("DTSTART:20240301T120000Z")))
    source = CalendarRef(owner=OWNER, source=str(path), default_timezone="Not/AZone")
    pages = await pull_all(IcsConnector(FetchPolicy(allow_files=True)), source, "{not json")
    assert len(pages[-1].meetings) == 1
    assert pages[-1].last


async def test_pull_ics_truncated_feed_unavailable(feed_server: RunningServer) -> None:
    whole = calendar(vevent("DTSTART:20240301T120000Z"), vevent("DTSTART:20240302T120000Z"))
    feed_server.app.feeds["cut"] = Feed(whole[: len(whole) // 2])
    with pytest.raises(ProviderUnavailable, match="not iCalendar"):
        await pull_all(IcsConnector(POLICY), ref(feed_server, "cut"), None)


async def test_pull_ics_window_moved_later_expands_again(feed_server: RunningServer) -> None:
    # An unchanged feed still has new instances once the window reaches further.
    feed_server.app.feeds["weekly"] = Feed(
        calendar(vevent("DTSTART:20240101T090000Z", "RRULE:FREQ=WEEKLY", uid="w")), etag='"w1"'
    )
    connector = IcsConnector(POLICY)
    source = ref(feed_server, "weekly")
    short = SyncWindow(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))
    longer = SyncWindow(datetime(2024, 1, 8, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC))
    first = [page async for page in connector.pull(source, None, short)]
    assert len(first[-1].meetings) == 5
    again = [page async for page in connector.pull(source, first[-1].cursor, longer)]
    assert not again[-1].not_modified
    assert len(again[-1].meetings) == 8
    sent = [h for p, h in feed_server.app.requests if p == "/feeds/weekly"][-1]
    assert "if-none-match" not in sent
    inside = SyncWindow(datetime(2024, 1, 15, tzinfo=UTC), datetime(2024, 2, 15, tzinfo=UTC))
    third = [page async for page in connector.pull(source, again[-1].cursor, inside)]
    assert [(p.not_modified, p.cursor) for p in third] == [(True, again[-1].cursor)]


async def test_pull_ics_slow_feed_stopped_by_parse_timeout(feed_server: RunningServer) -> None:
    # Parsing alone can outlast the limit (20,000 events take seconds): the child process
    # reading the feed is killed at the limit.
    events = (
        vevent(f"DTSTART:20240301T{i % 24:02d}0000Z", f"SUMMARY:Meeting {i}", uid=f"e{i}")
        for i in range(20_000)
    )
    feed_server.app.feeds["slow"] = Feed(calendar(*events))
    connector = IcsConnector(POLICY, parse_timeout_s=0.5)
    with pytest.raises(FetchRefused, match=r"took longer than 0\.5 s"):
        await pull_all(connector, ref(feed_server, "slow"), None)


async def test_pull_ics_in_process_reading_pages(feed_server: RunningServer) -> None:
    body = calendar(
        vevent("DTSTART:20240102T090000Z", "RRULE:FREQ=DAILY;COUNT=7", uid="d"),
        vevent("DTSTART:bogus", uid="bad"),
    )
    feed_server.app.feeds["inproc"] = Feed(body)
    connector = IcsConnector(POLICY, page_size=3, parse_timeout_s=None)
    pages = await pull_all(connector, ref(feed_server, "inproc"), None)
    assert [len(p.meetings) for p in pages] == [3, 3, 1]
    assert [s.source_id for p in pages for s in p.skipped] == ["bad"]
    assert pages[-1].last
