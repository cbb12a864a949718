"""MicrosoftConnector against the Graph emulator: baselines, delta rounds, series, expiry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from integrations.microsoft.client import ClientConfig, GraphClient
from integrations.microsoft.connector import MicrosoftConnector, SyncConfig
from integrations.microsoft.cursor import GraphCursor
from service.domain.model import EventStatus
from service.domain.port import CalendarRef, CursorExpired, PullPage, SyncWindow
from tests.emulators.microsoft.fixtures import Graph

BASE = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WINDOW = SyncWindow(BASE - timedelta(days=7), BASE + timedelta(days=28))
OWNER = "ada@example.com"


@pytest.fixture
async def connector(graph: Graph) -> AsyncIterator[MicrosoftConnector]:
    config = ClientConfig(min_retry_after_s=0.05, backoff_base_s=0.05,
                          extra_ca=str(graph.running.ca_file))  # fmt: skip
    made = MicrosoftConnector(GraphClient(config), SyncConfig(page_size=3))
    yield made
    await made.aclose()


def ref(graph: Graph, owner: str = OWNER) -> CalendarRef:
    return CalendarRef(
        owner, graph.account.dump(), graph.state.user_id(owner), "W. Europe Standard Time"
    )


async def pull_all(
    connector: MicrosoftConnector, calendar: CalendarRef, cursor: str | None
) -> list[PullPage]:
    return [page async for page in connector.pull(calendar, cursor, WINDOW)]


async def test_pull_microsoft_initial_sync_pages_and_series(
    graph: Graph, connector: MicrosoftConnector
) -> None:
    graph.state.add_user(OWNER)
    for n in range(12):
        graph.state.add_event(
            OWNER, f"Meeting {n}", BASE + timedelta(hours=n), attendees=("bo@example.com",)
        )
    master, _ = graph.state.add_series(OWNER, "Weekly", BASE + timedelta(days=1), 4)
    pages = await pull_all(connector, ref(graph), None)
    assert len(pages) >= 5  # 16 items at 3 a page
    assert all(p.full_sync for p in pages)
    assert pages[-1].last
    assert pages[-1].cursor
    meetings = [m for p in pages for m in p.meetings]
    assert len(meetings) == 16
    weekly = [m for m in meetings if m.title == "Weekly"]
    assert len(weekly) == 4
    assert len({m.uid for m in weekly}) == 1
    assert {m.original_start for m in weekly} == {
        BASE + timedelta(days=1 + 7 * n) for n in range(4)
    }
    assert graph.state.calls(f"/events/{master}") == 1  # the master fetched once for the round
    assert all(m.attendees for m in weekly)


async def test_pull_microsoft_incremental_create_update_move_cancel_delete(
    graph: Graph, connector: MicrosoftConnector
) -> None:
    graph.state.add_user(OWNER)
    kept = graph.state.add_event(OWNER, "Kept", BASE)
    moved = graph.state.add_event(OWNER, "Moved", BASE + timedelta(hours=2))
    gone = graph.state.add_event(OWNER, "Gone", BASE + timedelta(hours=4))
    master, occurrences = graph.state.add_series(OWNER, "Weekly", BASE + timedelta(days=1), 3)
    cursor = (await pull_all(connector, ref(graph), None))[-1].cursor
    assert graph.state.calls("/calendarView/delta") >= 1

    graph.state.add_event(OWNER, "New", BASE + timedelta(hours=6))
    graph.state.update_event(OWNER, kept, subject="Kept renamed")
    graph.state.update_event(
        OWNER, moved, start=BASE + timedelta(hours=3), end=BASE + timedelta(hours=3, minutes=30)
    )
    graph.state.update_event(OWNER, occurrences[1], isCancelled=True)
    graph.state.update_event(OWNER, occurrences[2], start=BASE + timedelta(days=15, hours=2),
                             end=BASE + timedelta(days=15, hours=3))  # fmt: skip
    graph.state.delete_event(OWNER, gone)
    graph.state.replay = True
    pages = await pull_all(connector, ref(graph), cursor)
    assert not any(p.full_sync for p in pages)
    meetings = {
        m.title + ("/x" if m.status is EventStatus.CANCELLED else ""): m
        for p in pages
        for m in p.meetings
    }
    assert set(meetings) >= {"New", "Kept renamed", "Moved", "Weekly/x", "Weekly"}
    assert meetings["Moved"].start == BASE + timedelta(hours=3)
    moved_instance = meetings["Weekly"]
    assert moved_instance.original_start == BASE + timedelta(days=15)  # identity kept
    assert moved_instance.start == BASE + timedelta(days=15, hours=2)
    removed = [r for p in pages for r in p.removed]
    assert [r.source_id for r in removed] == [gone]
    count = sum(len(p.meetings) for p in pages)
    assert count == 5  # the replayed item kept once

    # The series deleted: every stored instance removed, by (uid, original start).
    cursor = pages[-1].cursor
    graph.state.delete_event(OWNER, master)
    graph.state.replay = False
    pages = await pull_all(connector, ref(graph), cursor)
    removed = [r for p in pages for r in p.removed]
    assert len(removed) == 3
    assert len({r.uid for r in removed}) == 1


async def test_pull_microsoft_removed_unknown_id_changes_nothing(
    graph: Graph, connector: MicrosoftConnector
) -> None:
    graph.state.add_user(OWNER)
    cursor = (await pull_all(connector, ref(graph), None))[-1].cursor
    graph.state.add_event(OWNER, "Far away", BASE + timedelta(days=400))  # outside: @removed
    pages = await pull_all(connector, ref(graph), cursor)
    assert not any(p.removed or p.meetings for p in pages)


async def test_pull_microsoft_expired_delta_token_cursor_expired_then_baseline(
    graph: Graph, connector: MicrosoftConnector
) -> None:
    graph.state.add_user(OWNER)
    graph.state.add_event(OWNER, "One", BASE)
    cursor = (await pull_all(connector, ref(graph), None))[-1].cursor
    graph.state.expire_delta_tokens()
    with pytest.raises(CursorExpired, match="syncStateNotFound"):
        await pull_all(connector, ref(graph), cursor)
    pages = await pull_all(connector, ref(graph), None)
    assert pages[-1].full_sync
    assert [m.title for p in pages for m in p.meetings] == ["One"]


async def test_pull_microsoft_window_past_cursor_span_rebaselines(
    graph: Graph, connector: MicrosoftConnector
) -> None:
    graph.state.add_user(OWNER)
    graph.state.add_event(OWNER, "One", BASE)
    cursor = (await pull_all(connector, ref(graph), None))[-1].cursor
    parsed = GraphCursor.parse(cursor)
    assert parsed is not None
    assert parsed.end >= WINDOW.end + timedelta(days=7)
    later = SyncWindow(WINDOW.start + timedelta(days=30), parsed.end + timedelta(days=1))
    pages = [p async for p in connector.pull(ref(graph), cursor, later)]
    assert all(p.full_sync for p in pages)


async def test_prefetch_microsoft_first_pages_in_one_batch(
    graph: Graph, connector: MicrosoftConnector
) -> None:
    owners = [f"p{n}@example.com" for n in range(20)]
    cursors = {}
    for owner in owners:
        graph.state.add_user(owner)
        graph.state.add_event(owner, "Hello", BASE)
        calendar = ref(graph, owner)
        cursors[connector.cache_key(calendar)] = (await pull_all(connector, calendar, None))[
            -1
        ].cursor
    graph.state.add_event(owners[5], "Changed", BASE + timedelta(hours=1))
    before = connector.client.calls
    assert await connector.prefetch([ref(graph, o) for o in owners], cursors) == 20
    changed = []
    for owner in owners:
        calendar = ref(graph, owner)
        pages = await pull_all(connector, calendar, cursors[connector.cache_key(calendar)])
        changed += [m.title for p in pages for m in p.meetings]
    assert changed == ["Changed"]
    assert connector.client.calls - before == 1  # one $batch for 20 mailboxes


async def test_pull_microsoft_forbidden_mailbox_alone(
    graph: Graph, connector: MicrosoftConnector
) -> None:
    from integrations.microsoft.client import MailboxUnavailable

    graph.state.add_user(OWNER)
    other = graph.state.add_user("bo@example.com")
    graph.state.add_event("bo@example.com", "Fine", BASE)
    graph.state.mailboxes[graph.state.user_id(OWNER)].status = 404
    with pytest.raises(MailboxUnavailable, match="404"):
        await pull_all(connector, ref(graph), None)
    pages = await pull_all(
        connector, replace(ref(graph, "bo@example.com"), calendar_id=other), None
    )
    assert [m.title for p in pages for m in p.meetings] == ["Fine"]
