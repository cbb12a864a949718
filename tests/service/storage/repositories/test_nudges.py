"""Nudges: idempotent planning on the unique key, the state machine, the claim race, caps."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from service.domain.vocabulary import NudgeKind
from service.storage import (
    Database,
    IllegalTransition,
    MeetingRepository,
    NudgeNotFound,
    NudgeRepository,
    NudgeState,
    PeopleRepository,
    PersonIn,
)
from service.storage.state import ALLOWED, check_transition
from tests.fixtures.storage_builders import T0, VIDEO, count_statements, meeting, plan

ANA = "ana@example.com"
BEN = "ben@example.com"


async def _setup(database: Database, tenant_id: int) -> tuple[dict[str, int], int]:
    async with database.transaction() as session:
        people = await PeopleRepository(session, tenant_id).upsert_many(
            [PersonIn(ANA, timezone="Europe/Berlin"), PersonIn(BEN)]
        )
        ids = await MeetingRepository(session, tenant_id).upsert_many(
            [(meeting("m", ANA, [ANA, BEN], series_id="series-1"), VIDEO)], people[ANA], people
        )
    return people, ids[("m", T0)]


async def _planned(database: Database, tenant_id: int, meeting_id: int) -> int:
    async with database.transaction() as session:
        (row,) = await NudgeRepository(session, tenant_id).plan_many([plan(meeting_id, ANA)])
    return row.id


async def _state(database: Database, tenant_id: int, nudge_id: int) -> str:
    async with database.session() as session:
        row = await NudgeRepository(session, tenant_id).get(nudge_id)
    assert row is not None
    return row.state


async def test_plan_nudges_twice_one_row(database: Database, tenant_id: int) -> None:
    people, meeting_id = await _setup(database, tenant_id)
    plans = [plan(meeting_id, ANA), plan(meeting_id, BEN), plan(meeting_id, "nobody@example.com")]
    async with database.transaction() as session:
        first = await NudgeRepository(session, tenant_id).plan_many(plans)
    async with database.transaction() as session:
        repo = NudgeRepository(session, tenant_id)
        second = await repo.plan_many(plans)
        rows = await repo.for_meetings([meeting_id])
    assert {(r.person_id, r.state, r.revision) for r in first} == {
        (people[ANA], "planned", 1),
        (people[BEN], "planned", 1),
    }
    assert second == []
    assert len(rows) == 2


async def test_plan_nudges_rescheduled_bumps_revision(database: Database, tenant_id: int) -> None:
    _, meeting_id = await _setup(database, tenant_id)
    await _planned(database, tenant_id, meeting_id)
    later = T0 + timedelta(hours=1)
    async with database.transaction() as session:
        repo = NudgeRepository(session, tenant_id)
        (moved,) = await repo.plan_many([plan(meeting_id, ANA, due_at=later)])
        (varied,) = await repo.plan_many([plan(meeting_id, ANA, due_at=later, variant=2)])
        again = await repo.plan_many([plan(meeting_id, ANA, due_at=later, variant=2)])
    assert (moved.revision, moved.due_at) == (2, later)
    assert (varied.revision, varied.variant) == (3, 2)
    assert again == []


async def test_plan_nudges_sent_untouched_cancelled_revived(
    database: Database, tenant_id: int
) -> None:
    _, meeting_id = await _setup(database, tenant_id)
    async with database.transaction() as session:
        repo = NudgeRepository(session, tenant_id)
        sent, cancelled = await repo.plan_many(
            [plan(meeting_id, ANA), plan(meeting_id, BEN, NudgeKind.ONE_ON_ONE)]
        )
        assert await repo.claim(sent.id)
        await repo.mark_sent(sent.id, "<n1@rapport>", T0)
        await repo.cancel(cancelled.id)
    later = T0 + timedelta(hours=3)
    async with database.transaction() as session:
        repo = NudgeRepository(session, tenant_id)
        changed = await repo.plan_many(
            [
                plan(meeting_id, ANA, due_at=later),
                plan(meeting_id, BEN, NudgeKind.ONE_ON_ONE, due_at=later),
            ]
        )
        rows = {r.id: r for r in await repo.for_meetings([meeting_id])}
    # A cancelled nudge whose reason holds again is planned again as a new revision (a new
    # job id); a sent one is never touched.
    assert [(r.id, r.state, r.revision, r.due_at) for r in changed] == [
        (cancelled.id, "planned", 2, later)
    ]
    assert (rows[sent.id].state, rows[sent.id].due_at, rows[sent.id].revision) == (
        "sent",
        sent.due_at,
        1,
    )
    assert rows[cancelled.id].state == "planned"
    assert rows[sent.id].message_id == "<n1@rapport>"
    assert rows[sent.id].sent_at == T0


async def test_transition_nudge_full_life(database: Database, tenant_id: int) -> None:
    _, meeting_id = await _setup(database, tenant_id)
    nudge_id = await _planned(database, tenant_id, meeting_id)
    async with database.transaction() as session:
        repo = NudgeRepository(session, tenant_id)
        assert await repo.claim(nudge_id)
        await repo.mark_failed(nudge_id, "421 try again later")
        await repo.retry(nudge_id, T0)
        assert await repo.claim(nudge_id)
        await repo.release(nudge_id, T0)
        assert await repo.claim(nudge_id)
        await repo.mark_sent(nudge_id, "<id@rapport>", T0)
        row = await repo.get(nudge_id)
    assert row is not None
    assert (row.state, row.attempts, row.revision) == ("sent", 3, 3)
    assert row.error is None


@pytest.mark.parametrize(
    ("steps", "illegal"),
    [
        ([], "mark_sent"),
        ([], "mark_failed"),
        ([], "retry"),
        ([], "release"),
        (["claim"], "cancel"),
        (["claim", "mark_sent"], "cancel"),
        (["claim", "mark_sent"], "mark_failed"),
        (["claim", "mark_sent"], "retry"),
        (["claim", "mark_sent"], "release"),
        (["cancel"], "mark_sent"),
        (["cancel"], "retry"),
        (["cancel"], "cancel"),
        (["claim", "mark_failed"], "mark_sent"),
        (["claim", "mark_failed"], "cancel"),
    ],
)
async def test_transition_nudge_illegal_raises(
    database: Database, tenant_id: int, steps: list[str], illegal: str
) -> None:
    _, meeting_id = await _setup(database, tenant_id)
    nudge_id = await _planned(database, tenant_id, meeting_id)
    async with database.transaction() as session:
        repo = NudgeRepository(session, tenant_id)
        calls: dict[str, Callable[[], Awaitable[object]]] = {
            "claim": lambda: repo.claim(nudge_id),
            "mark_sent": lambda: repo.mark_sent(nudge_id, "<m@r>", T0),
            "mark_failed": lambda: repo.mark_failed(nudge_id, "boom"),
            "retry": lambda: repo.retry(nudge_id, T0),
            "release": lambda: repo.release(nudge_id, T0),
            "cancel": lambda: repo.cancel(nudge_id),
        }
        for step in steps:
            await calls[step]()
        before = await repo.get(nudge_id)
        with pytest.raises(IllegalTransition):
            await calls[illegal]()
        after = await repo.get(nudge_id)
    assert after == before


async def test_claim_nudge_not_planned_false(database: Database, tenant_id: int) -> None:
    _, meeting_id = await _setup(database, tenant_id)
    nudge_id = await _planned(database, tenant_id, meeting_id)
    async with database.transaction() as session:
        repo = NudgeRepository(session, tenant_id)
        await repo.cancel(nudge_id)
        assert not await repo.claim(nudge_id)
        assert not await repo.claim(nudge_id + 10_000)
        with pytest.raises(NudgeNotFound):
            await repo.cancel(nudge_id + 10_000)


async def test_claim_nudge_race_one_wins(db_url: str, tenant_id: int, database: Database) -> None:
    _, meeting_id = await _setup(database, tenant_id)
    nudge_id = await _planned(database, tenant_id, meeting_id)
    other = Database.connect(db_url)
    gate = asyncio.Event()

    async def worker(db: Database) -> bool:
        await gate.wait()
        async with db.transaction() as session:
            return await NudgeRepository(session, tenant_id).claim(nudge_id)

    try:
        tasks = [asyncio.create_task(worker(db)) for db in (database, other)]
        gate.set()
        results = await asyncio.gather(*tasks)
    finally:
        await other.dispose()
    assert sorted(results) == [False, True]
    assert await _state(database, tenant_id, nudge_id) == "sending"


async def test_claim_nudges_many_workers_each_once(
    db_url: str, tenant_id: int, database: Database
) -> None:
    _, meeting_id = await _setup(database, tenant_id)
    kinds = list(NudgeKind)
    async with database.transaction() as session:
        rows = await NudgeRepository(session, tenant_id).plan_many(
            [plan(meeting_id, who, kind) for who in (ANA, BEN) for kind in kinds]
        )
    ids = [r.id for r in rows]
    dbs = [Database.connect(db_url) for _ in range(3)]

    async def worker(db: Database) -> list[int]:
        won = []
        for nudge_id in ids:
            async with db.transaction() as session:
                if await NudgeRepository(session, tenant_id).claim(nudge_id):
                    won.append(nudge_id)
            await asyncio.sleep(0)
        return won

    try:
        results = await asyncio.gather(*(worker(db) for db in dbs))
    finally:
        for db in dbs:
            await db.dispose()
    claimed = [nudge_id for won in results for nudge_id in won]
    assert sorted(claimed) == sorted(ids)


async def test_cancel_stale_nudges_keeps_listed(database: Database, tenant_id: int) -> None:
    people, meeting_id = await _setup(database, tenant_id)
    async with database.transaction() as session:
        repo = NudgeRepository(session, tenant_id)
        keep, stale, done = await repo.plan_many(
            [
                plan(meeting_id, ANA),
                plan(meeting_id, BEN),
                plan(meeting_id, ANA, NudgeKind.SOCIAL_MINUTE),
            ]
        )
        assert await repo.claim(done.id)
        cancelled = await repo.cancel_stale(
            [meeting_id], {(meeting_id, people[ANA], NudgeKind.CAMERA_ON.value)}
        )
        states = {r.id: r.state for r in await repo.for_meetings([meeting_id])}
    assert cancelled == [stale.id]
    assert states == {keep.id: "planned", stale.id: "cancelled", done.id: "sending"}


async def test_due_nudges_and_reclaim_stuck(database: Database, tenant_id: int) -> None:
    _, meeting_id = await _setup(database, tenant_id)
    async with database.transaction() as session:
        repo = NudgeRepository(session, tenant_id)
        early, late = await repo.plan_many(
            [
                plan(meeting_id, ANA, due_at=T0 - timedelta(minutes=10)),
                plan(meeting_id, BEN, due_at=T0 + timedelta(hours=1)),
            ]
        )
        assert [r.id for r in await repo.due(T0)] == [early.id]
        assert [r.id for r in await repo.due(T0 + timedelta(days=1))] == [early.id, late.id]
        assert await repo.claim(early.id)
        assert [r.id for r in await repo.due(T0)] == []
        far_future = T0 + timedelta(days=3650)
        (back,) = await repo.reclaim_stuck(far_future, T0)
    assert (back.id, back.state, back.revision) == (early.id, "planned", 2)


async def test_caps_counts_sent_by_local_day_and_series(database: Database, tenant_id: int) -> None:
    people, meeting_id = await _setup(database, tenant_id)
    # 23:30 UTC is already the next day in Berlin.
    due = T0.replace(hour=23, minute=30)
    async with database.transaction() as session:
        repo = NudgeRepository(session, tenant_id)
        a, b = await repo.plan_many(
            [
                plan(meeting_id, ANA, due_at=due),
                plan(meeting_id, ANA, NudgeKind.SOCIAL_MINUTE, due_at=due),
            ]
        )
        for row in (a, b):
            assert await repo.claim(row.id)
            await repo.mark_sent(row.id, f"<{row.id}@r>", due)
        counts = await repo.sent_counts_by_person_day(
            T0 - timedelta(days=1), {people[ANA]: "Europe/Berlin"}
        )
        series = await repo.last_sent_by_series(T0 - timedelta(days=28))
        by_state = await repo.count_by_kind_and_state()
        keys = await repo.sent_keys([meeting_id])
    next_day = (due + timedelta(days=1)).date()
    assert counts == {(people[ANA], next_day): 2}
    assert series == {
        (people[ANA], "series-1", "camera_on"): due,
        (people[ANA], "series-1", "social_minute"): due,
    }
    assert by_state == {("camera_on", "sent"): 1, ("social_minute", "sent"): 1}
    assert keys == {
        (meeting_id, people[ANA], "camera_on"),
        (meeting_id, people[ANA], "social_minute"),
    }


def test_check_transition_table_complete() -> None:
    for current in NudgeState:
        for target in NudgeState:
            if target in ALLOWED[current]:
                check_transition(current.value, target)
            else:
                with pytest.raises(IllegalTransition):
                    check_transition(current.value, target)
    assert ALLOWED[NudgeState.SENT] == frozenset()
    assert ALLOWED[NudgeState.CANCELLED] == frozenset({NudgeState.PLANNED})


async def test_plan_nudges_bulk_in_few_statements(database: Database, tenant_id: int) -> None:
    people, _ = await _setup(database, tenant_id)
    items = [
        (meeting(f"bulk-{i}", ANA, [ANA, BEN], start=T0 + timedelta(hours=i)), VIDEO)
        for i in range(600)
    ]
    async with database.transaction() as session:
        ids = await MeetingRepository(session, tenant_id).upsert_many(items, people[ANA], people)
    plans = [plan(meeting_id, who) for meeting_id in ids.values() for who in (ANA, BEN)]
    for expected in (len(plans), 0):
        async with database.transaction() as session:
            with count_statements(database) as seen:
                changed = await NudgeRepository(session, tenant_id).plan_many(plans)
        assert len(changed) == expected
        # People lookup, meetings check, then one upsert per 500 plans.
        assert len(seen) == 2 + 3
