"""Meetings: batched idempotent upserts, one row per meeting, participations, prune, streams."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from service.domain.model import Classification, EventStatus, Modality, Response
from service.errors import NotFound
from service.storage import (
    Database,
    MeetingRepository,
    PeopleRepository,
    PersonIn,
    TenantRepository,
)
from service.storage.repositories.insights import InsightRepository
from tests.fixtures.storage_builders import T0, VIDEO, count_statements, meeting

ANA = "ana@example.com"
BEN = "ben@example.com"
CAT = "cat@external.org"


async def _people(database: Database, tenant_id: int) -> dict[str, int]:
    async with database.transaction() as session:
        return await PeopleRepository(session, tenant_id).upsert_many(
            [PersonIn(ANA, "Ana"), PersonIn(BEN, "Ben")]
        )


async def test_upsert_meetings_twice_same_rows(database: Database, tenant_id: int) -> None:
    people = await _people(database, tenant_id)
    items = [(meeting(f"m{i}", ANA, [ANA, BEN, CAT]), VIDEO) for i in range(5)]
    async with database.transaction() as session:
        first = await MeetingRepository(session, tenant_id).upsert_many(items, people[ANA], people)
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        second = await repo.upsert_many(items, people[ANA], people)
        assert second == first
        assert await repo.count() == 5
        rows = await repo.get_many(first.values())
    assert [len(r.participations) for r in rows] == [3] * 5
    ana = next(p for p in rows[0].participations if p.email == ANA)
    assert ana.in_calendar
    assert ana.person_id == people[ANA]
    cat = next(p for p in rows[0].participations if p.email == CAT)
    assert cat.person_id is None
    assert not cat.in_calendar


async def test_upsert_meeting_two_calendars_one_row(database: Database, tenant_id: int) -> None:
    people = await _people(database, tenant_id)
    in_ana = meeting("shared", ANA, [ANA, BEN], organizer=ANA)
    in_ben = meeting("shared", BEN, [ANA, BEN], organizer=ANA)
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        ids_a = await repo.upsert_many([(in_ana, VIDEO)], people[ANA], people)
        ids_b = await repo.upsert_many([(in_ben, VIDEO)], people[BEN], people)
        assert ids_a == ids_b
        assert await repo.count() == 1
        (row,) = await repo.get_many(ids_a.values())
    by_email = {p.email: p for p in row.participations}
    assert set(by_email) == {ANA, BEN}
    assert by_email[ANA].in_calendar
    assert by_email[BEN].in_calendar
    assert by_email[ANA].organizer
    assert row.human_count == 2


async def test_upsert_meetings_batched_in_few_statements(
    database: Database, tenant_id: int
) -> None:
    people = await _people(database, tenant_id)
    items = [
        (meeting(f"bulk-{i}", ANA, [ANA, BEN, CAT], start=T0 + timedelta(hours=i)), VIDEO)
        for i in range(2_000)
    ]
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        with count_statements(database) as seen:
            ids = await repo.upsert_many(items, people[ANA], people)
        assert len(ids) == 2_000
        assert await repo.count() == 2_000
    # One check that the linked people are this tenant's, then per chunk of 500: the meetings
    # upsert, the copies upsert, a read of the copies' participations, the participations upsert.
    assert len(seen) == 1 + 4 * 4
    assert sum("INSERT INTO meetings" in s for s in seen) == 4


async def test_upsert_meeting_removed_attendee_deleted(database: Database, tenant_id: int) -> None:
    people = await _people(database, tenant_id)
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        ids = await repo.upsert_many(
            [(meeting("m", ANA, [ANA, BEN, CAT]), VIDEO)], people[ANA], people
        )
        await repo.upsert_many([(meeting("m", ANA, [ANA, BEN]), VIDEO)], people[ANA], people)
        (row,) = await repo.get_many(ids.values())
    assert {p.email for p in row.participations} == {ANA, BEN}


async def test_upsert_meeting_unknown_attendees_keep_known(
    database: Database, tenant_id: int
) -> None:
    people = await _people(database, tenant_id)
    full = meeting("m", ANA, [ANA, BEN, CAT], organizer=ANA)
    bare = meeting("m", BEN, None)
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        ids = await repo.upsert_many([(full, VIDEO)], people[ANA], people)
        await repo.upsert_many([(bare, VIDEO)], people[BEN], people)
        (row,) = await repo.get_many(ids.values())
    assert {p.email for p in row.participations} == {ANA, BEN, CAT}
    assert row.human_count == 3
    assert row.organizer_email == ANA


async def test_upsert_meeting_own_response_wins(database: Database, tenant_id: int) -> None:
    people = await _people(database, tenant_id)
    own = meeting("m", BEN, [ANA, BEN], responses={BEN: Response.DECLINED})
    organizers = meeting("m", ANA, [ANA, BEN], responses={BEN: Response.NEEDS_ACTION})
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        ids = await repo.upsert_many([(own, VIDEO)], people[BEN], people)
        await repo.upsert_many([(organizers, VIDEO)], people[ANA], people)
        (row,) = await repo.get_many(ids.values())
    ben = next(p for p in row.participations if p.email == BEN)
    assert ben.response == Response.DECLINED.value


async def test_upsert_meeting_updates_fields(database: Database, tenant_id: int) -> None:
    people = await _people(database, tenant_id)
    moved = T0 + timedelta(hours=2)
    audio = Classification(Modality.AUDIO, provider="phone", reasons=("dial-in",))
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        ids = await repo.upsert_many([(meeting("m", ANA, [ANA]), VIDEO)], people[ANA], people)
        changed = meeting("m", ANA, [ANA], start=moved, original_start=T0, title="Moved")
        again = await repo.upsert_many([(changed, audio)], people[ANA], people)
        (row,) = await repo.get_many(ids.values())
    assert again == ids
    assert row.start == moved
    assert row.original_start == T0
    assert row.title == "Moved"
    assert row.modality == "audio"
    assert row.reasons == ("dial-in",)


async def test_prune_unseen_drops_and_deletes(database: Database, tenant_id: int) -> None:
    people = await _people(database, tenant_id)
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        kept = meeting("kept", ANA, [ANA, BEN])
        only_ana = meeting("gone", ANA, [ANA, CAT], start=T0 + timedelta(hours=1))
        shared = meeting("shared", ANA, [ANA, BEN], start=T0 + timedelta(hours=2))
        later = meeting("later", ANA, [ANA], start=T0 + timedelta(days=30))
        ids = await repo.upsert_many(
            [(kept, VIDEO), (only_ana, VIDEO), (shared, VIDEO), (later, VIDEO)], people[ANA], people
        )
        ben_copy = meeting("shared", BEN, [ANA, BEN], start=T0 + timedelta(hours=2))
        await repo.upsert_many([(ben_copy, VIDEO)], people[BEN], people)
        result = await repo.prune_unseen(
            people[ANA], T0 - timedelta(days=1), T0 + timedelta(days=7), {ids[("kept", T0)]}
        )
        gone_id = ids[("gone", T0 + timedelta(hours=1))]
        shared_id = ids[("shared", T0 + timedelta(hours=2))]
        assert set(result.dropped) == {gone_id, shared_id}
        assert (result.cancelled, result.deleted) == ((), (gone_id,))
        rows = {r.ical_uid: r for r in await repo.get_many(ids.values())}
    assert "gone" not in rows
    assert rows["shared"].status == EventStatus.CONFIRMED.value
    # Ben's copy still lists Ana, but her own calendar no longer shows it.
    assert {p.email: p.in_calendar for p in rows["shared"].participations} == {
        ANA: False,
        BEN: True,
    }
    assert rows["later"].status == EventStatus.CONFIRMED.value
    assert rows["kept"].status == EventStatus.CONFIRMED.value


async def test_remove_meetings_marks_cancelled(database: Database, tenant_id: int) -> None:
    people = await _people(database, tenant_id)
    second = T0 + timedelta(days=7)
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        ids = await repo.upsert_many(
            [
                (meeting("series", ANA, [ANA], series_id="s"), VIDEO),
                (meeting("series", ANA, [ANA], start=second, series_id="s"), VIDEO),
                (meeting("single", ANA, [ANA]), VIDEO),
            ],
            people[ANA],
            people,
        )
        one = await repo.remove([("series", second), ("missing", None)])
        assert one.cancelled == (ids[("series", second)],)
        whole = await repo.remove([("series", None), ("single", T0)])
        assert set(whole.cancelled) == {ids[("series", T0)], ids[("single", T0)]}


async def test_remove_meeting_for_one_person_keeps_others(
    database: Database, tenant_id: int
) -> None:
    people = await _people(database, tenant_id)
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        ids = await repo.upsert_many([(meeting("m", ANA, [ANA, BEN]), VIDEO)], people[ANA], people)
        await repo.upsert_many([(meeting("m", BEN, [ANA, BEN]), VIDEO)], people[BEN], people)
        first = await repo.remove([("m", T0)], seen_by_person_id=people[ANA])
        assert first.dropped == (ids[("m", T0)],)
        assert first.cancelled == ()
        second = await repo.remove([("m", T0)], seen_by_person_id=people[BEN])
        assert (second.cancelled, second.deleted) == ((), (ids[("m", T0)],))
        assert await repo.count() == 0


async def test_iter_upcoming_streams_in_batches(database: Database, tenant_id: int) -> None:
    people = await _people(database, tenant_id)
    same_start = [(meeting(f"same-{i}", ANA, [ANA, BEN]), VIDEO) for i in range(5)]
    spread = [
        (meeting(f"m-{i}", ANA, [ANA, CAT], start=T0 + timedelta(hours=i)), VIDEO)
        for i in range(1, 8)
    ]
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        await repo.upsert_many(same_start + spread, people[ANA], people)
        with count_statements(database) as seen:
            rows = [r async for r in repo.iter_upcoming(T0, T0 + timedelta(hours=6), batch=3)]
    assert len(rows) == 5 + 5
    assert len({r.id for r in rows}) == 10
    assert [r.start for r in rows] == sorted(r.start for r in rows)
    assert all(len(r.participations) == 2 for r in rows)
    # Per batch of 3: one meetings query, one copies query, one participations query (no N+1).
    assert len(seen) == 3 * 4


async def test_iter_past_skips_cancelled_and_filters_person(
    database: Database, tenant_id: int
) -> None:
    people = await _people(database, tenant_id)
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        await repo.upsert_many(
            [
                (meeting("with-ben", ANA, [ANA, BEN]), VIDEO),
                (meeting("alone", ANA, [ANA], start=T0 + timedelta(hours=1)), VIDEO),
                (
                    meeting("off", ANA, [ANA, BEN], status=EventStatus.CANCELLED),
                    VIDEO,
                ),
            ],
            people[ANA],
            people,
        )
        window = (T0 - timedelta(days=1), T0 + timedelta(days=1))
        everything = [r.ical_uid async for r in repo.iter_past(*window)]
        listed_only = [r.ical_uid async for r in repo.iter_past(*window, person_id=people[BEN])]
        await repo.upsert_many([(meeting("with-ben", BEN, [ANA, BEN]), VIDEO)], people[BEN], people)
        bens = [r.ical_uid async for r in repo.iter_past(*window, person_id=people[BEN])]
        upcoming = [r.ical_uid async for r in repo.iter_upcoming(*window)]
    assert sorted(everything) == ["alone", "with-ben"]
    # Ana's calendar listing Ben does not make the meeting Ben's: his own calendar must show it.
    assert listed_only == []
    assert bens == ["with-ben"]
    assert sorted(upcoming) == ["alone", "off", "with-ben"]


async def test_purge_meetings_before_cutoff(database: Database, tenant_id: int) -> None:
    people = await _people(database, tenant_id)
    old = T0 - timedelta(days=400)
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        ids = await repo.upsert_many(
            [
                (meeting("old", ANA, [ANA, BEN], start=old), VIDEO),
                (meeting("new", ANA, [ANA]), VIDEO),
            ],
            people[ANA],
            people,
        )
        assert await repo.purge_before(T0 - timedelta(days=180)) == 1
        assert [r.ical_uid for r in await repo.get_many(ids.values())] == ["new"]


async def test_roundtrip_timestamps_tz_aware_utc(database: Database, tenant_id: int) -> None:
    people = await _people(database, tenant_id)
    start = datetime(2030, 7, 1, 23, 30, 15, 123456, tzinfo=UTC)
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        ids = await repo.upsert_many(
            [(meeting("tz", ANA, [ANA], start=start), VIDEO)], people[ANA], people
        )
        (row,) = await repo.get_many(ids.values())
    assert ids == {("tz", start): row.id}
    for value in (row.start, row.end, row.original_start, row.updated_at):
        assert value.tzinfo is not None
        assert value.utcoffset() == timedelta(0)
    assert row.start == start


async def test_upsert_meeting_dirty_text_cleaned(database: Database, tenant_id: int) -> None:
    people = await _people(database, tenant_id)
    long_email = "x" * 400 + "@example.com"
    dirty = meeting(
        "uid\x00-1", ANA, [ANA, long_email], title="Sync\x00 \ud800 ☕", organizer=long_email
    )
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        ids = await repo.upsert_many([(dirty, VIDEO)], people[ANA], people)
        (row,) = await repo.get_many(ids.values())
    assert list(ids) == [("uid\x00-1", T0)]
    assert row.ical_uid == "uid-1"
    assert row.title == "Sync ? ☕"
    assert row.organizer_email is None
    assert [p.email for p in row.participations] == [ANA]


async def test_upsert_meeting_foreign_person_never_linked(
    database: Database, tenant_id: int
) -> None:
    people = await _people(database, tenant_id)
    async with database.transaction() as session:
        other = await TenantRepository(session).get_or_create(f"o-{uuid.uuid4().hex[:8]}", "O")
        theirs = await PeopleRepository(session, other.id).upsert_many([PersonIn(CAT)])
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        ids = await repo.upsert_many(
            [(meeting("m", ANA, [ANA, CAT]), VIDEO)], people[ANA], {**people, **theirs}
        )
        (row,) = await repo.get_many(ids.values())
        with pytest.raises(NotFound, match="not found in this tenant"):
            await repo.upsert_many([(meeting("n", CAT, [CAT]), VIDEO)], theirs[CAT], theirs)
    assert {p.email: p.person_id for p in row.participations} == {ANA: people[ANA], CAT: None}


async def test_upsert_meeting_organizer_copy_decides_guests(
    database: Database, tenant_id: int
) -> None:
    people = await _people(database, tenant_id)
    organizers = meeting("m", ANA, [ANA, BEN, CAT], organizer=ANA)
    hidden_guests = meeting("m", BEN, [ANA, BEN], organizer=ANA)
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        ids = await repo.upsert_many([(organizers, VIDEO)], people[ANA], people)
        await repo.upsert_many([(hidden_guests, VIDEO)], people[BEN], people)
        (kept,) = await repo.get_many(ids.values())
        uninvited = meeting("m", ANA, [ANA, BEN], organizer=ANA)
        await repo.upsert_many([(uninvited, VIDEO)], people[ANA], people)
        (after,) = await repo.get_many(ids.values())
    assert {p.email for p in kept.participations} == {ANA, BEN, CAT}
    assert {p.email for p in after.participations} == {ANA, BEN}


async def test_insights_last_met_and_stats(database: Database, tenant_id: int) -> None:
    people = await _people(database, tenant_id)
    one_on_one = Classification(Modality.VIDEO, one_on_one=True)
    hold = Classification(Modality.UNKNOWN, is_meeting=False)
    async with database.transaction() as session:
        await MeetingRepository(session, tenant_id).upsert_many(
            [
                (meeting("old", ANA, [ANA, BEN], start=T0 - timedelta(days=30)), one_on_one),
                (meeting("recent", ANA, [ANA, BEN], start=T0 - timedelta(days=2)), VIDEO),
                (meeting("future", ANA, [ANA, BEN], start=T0 + timedelta(days=2)), VIDEO),
                (meeting("hold", ANA, [ANA], start=T0 - timedelta(days=1)), hold),
            ],
            people[ANA],
            people,
        )
    async with database.session() as session:
        insights = InsightRepository(session, tenant_id)
        last = await insights.last_met(ANA, BEN, T0)
        never = await insights.last_met(ANA, CAT, T0)
        stats = await insights.meeting_stats()
    assert last == T0 - timedelta(days=2)
    assert never is None
    assert (stats.meetings, stats.one_on_ones, stats.not_meetings) == (4, 1, 1)
    assert stats.by_modality == {"video": 3}


async def test_upsert_meeting_long_uid_hashed(database: Database, tenant_id: int) -> None:
    people = await _people(database, tenant_id)
    uid = "040000008200E00074C5B7101A82E008" * 100
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        ids = await repo.upsert_many([(meeting(uid, ANA, [ANA]), VIDEO)], people[ANA], people)
        again = await repo.upsert_many([(meeting(uid, BEN, [ANA]), VIDEO)], people[BEN], people)
        removed = await repo.remove([(uid, None)])
        (row,) = await repo.get_many(ids.values())
    assert ids == again
    assert list(ids) == [(uid, T0)]
    assert row.ical_uid.startswith("sha256:")
    assert removed.cancelled == (row.id,)


async def test_upsert_meeting_own_event_accepted(database: Database, tenant_id: int) -> None:
    people = await _people(database, tenant_id)
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        ids = await repo.upsert_many([(meeting("own", ANA, None), VIDEO)], people[ANA], people)
        (row,) = await repo.get_many(ids.values())
    (ana,) = row.participations
    assert (ana.email, ana.response, ana.in_calendar) == (ANA, "accepted", True)
    assert row.human_count is None
