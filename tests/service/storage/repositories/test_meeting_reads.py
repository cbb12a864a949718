"""Each person's own view of a meeting: their copy, the organiser's for what theirs lacks."""

from __future__ import annotations

from datetime import timedelta

from service.domain.model import EventStatus, Response
from service.storage import (
    Database,
    MeetingRepository,
    MeetingRow,
    NudgeRepository,
    PeopleRepository,
    PersonIn,
)
from tests.fixtures.storage_builders import T0, VIDEO, meeting, plan

ANA = "ana@example.com"
BEN = "ben@example.com"
EVE = "eve@example.com"
CAT = "cat@external.org"
WINDOW = (T0 - timedelta(days=1), T0 + timedelta(days=2))


async def _people(database: Database, tenant_id: int) -> dict[str, int]:
    async with database.transaction() as session:
        return await PeopleRepository(session, tenant_id).upsert_many(
            [PersonIn(ANA, "Ana"), PersonIn(BEN, "Ben"), PersonIn(EVE, "Eve")]
        )


async def _views(database: Database, tenant_id: int) -> dict[tuple[str, int], MeetingRow]:
    async with database.session() as session:
        repo = MeetingRepository(session, tenant_id)
        rows = [r async for r in repo.iter_views(*WINDOW)]
    return {(r.ical_uid, r.seen_by or 0): r for r in rows}


async def test_iter_views_each_person_sees_only_their_own_copy(
    database: Database, tenant_id: int
) -> None:
    people = await _people(database, tenant_id)
    organizers = meeting("m", ANA, [ANA, BEN], organizer=ANA, title="Roadmap review")
    renamed = meeting(
        "m", BEN, [ANA, BEN], organizer=ANA, title="PRIVATE: interviewing elsewhere",
        start=T0 + timedelta(hours=3), original_start=T0, status=EventStatus.CANCELLED,
    )  # fmt: skip
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        ids = await repo.upsert_many([(organizers, VIDEO)], people[ANA], people)
        # Ben's copy syncs last: it changes Ben's view only, not Ana's nor the shared row.
        await repo.upsert_many([(renamed, VIDEO)], people[BEN], people)
        (shared,) = await repo.get_many(ids.values())
    views = await _views(database, tenant_id)
    ana, ben = views[("m", people[ANA])], views[("m", people[BEN])]
    assert (ana.title, ana.start, ana.status) == ("Roadmap review", T0, "confirmed")
    assert (ben.title, ben.start, ben.status) == (
        "PRIVATE: interviewing elsewhere",
        T0 + timedelta(hours=3),
        "cancelled",
    )
    assert (shared.title, shared.start, shared.status) == ("Roadmap review", T0, "confirmed")
    async with database.session() as session:
        got = await MeetingRepository(session, tenant_id).get_views(
            [(ana.id, people[ANA]), (ana.id, people[EVE])]
        )
    assert list(got) == [(ana.id, people[ANA])]
    assert got[(ana.id, people[ANA])] == ana


async def test_iter_views_colleague_listing_you_adds_no_view(
    database: Database, tenant_id: int
) -> None:
    people = await _people(database, tenant_id)
    forged = meeting("forged", EVE, [EVE, BEN], organizer=EVE, responses={BEN: Response.ACCEPTED})
    async with database.transaction() as session:
        await MeetingRepository(session, tenant_id).upsert_many(
            [(forged, VIDEO)], people[EVE], people
        )
    views = await _views(database, tenant_id)
    assert list(views) == [("forged", people[EVE])]
    ben = {p.email: p for p in views[("forged", people[EVE])].participations}[BEN]
    assert (ben.response, ben.in_calendar) == ("accepted", False)


async def test_iter_views_uninvited_copy_stays_out_of_others_views(
    database: Database, tenant_id: int
) -> None:
    people = await _people(database, tenant_id)
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        for owner in (ANA, BEN):
            one_on_one = meeting("1on1", owner, [ANA, BEN], organizer=ANA)
            await repo.upsert_many([(one_on_one, VIDEO)], people[owner], people)
        intruder = meeting("1on1", EVE, [ANA, BEN, EVE], organizer=ANA, title="Moved by Eve")
        await repo.upsert_many([(intruder, VIDEO)], people[EVE], people)
    views = await _views(database, tenant_id)
    for owner in (ANA, BEN):
        view = views[("1on1", people[owner])]
        assert {p.email: p.in_calendar for p in view.participations} == {ANA: True, BEN: True}
        assert view.title == "Weekly sync"
    assert EVE in {p.email for p in views[("1on1", people[EVE])].participations}


async def test_iter_views_bare_copy_takes_attendees_from_organizer_copy(
    database: Database, tenant_id: int
) -> None:
    people = await _people(database, tenant_id)
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        full = meeting("m", ANA, [ANA, BEN, CAT], organizer=ANA, title="Planning")
        await repo.upsert_many([(full, VIDEO)], people[ANA], people)
        bare = meeting("m", BEN, None, title="")
        await repo.upsert_many([(bare, VIDEO)], people[BEN], people)
    ben = (await _views(database, tenant_id))[("m", people[BEN])]
    assert (ben.title, ben.organizer_email, ben.human_count) == ("Planning", ANA, 3)
    assert {p.email: p.in_calendar for p in ben.participations} == {
        ANA: True,
        BEN: True,
        CAT: False,
    }


async def test_drop_copies_keeps_meeting_with_sent_nudge_as_cancelled(
    database: Database, tenant_id: int
) -> None:
    people = await _people(database, tenant_id)
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        ids = await repo.upsert_many(
            [(meeting("sent", ANA, [ANA]), VIDEO), (meeting("quiet", ANA, [ANA]), VIDEO)],
            people[ANA],
            people,
        )
        nudges = NudgeRepository(session, tenant_id)
        (row,) = await nudges.plan_many([plan(ids[("sent", T0)], ANA)])
        assert await nudges.claim(row.id)
        await nudges.mark_sent(row.id, "<rapport.nudge.1.1@example.com>", T0)
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        result = await repo.prune_unseen(people[ANA], *WINDOW, seen_ids=())
        kept = await repo.get_many(ids.values())
    assert (result.cancelled, result.deleted) == ((ids[("sent", T0)],), (ids[("quiet", T0)],))
    assert [(r.ical_uid, r.status) for r in kept] == [("sent", "cancelled")]


async def test_organizer_copy_gone_lets_other_copies_update_shared_row(
    database: Database, tenant_id: int
) -> None:
    people = await _people(database, tenant_id)
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        ids = await repo.upsert_many(
            [(meeting("m", ANA, [ANA, BEN], organizer=ANA, title="Ana's"), VIDEO)],
            people[ANA],
            people,
        )
        bens = meeting("m", BEN, [ANA, BEN], organizer=ANA, title="Ben's")
        await repo.upsert_many([(bens, VIDEO)], people[BEN], people)
        (before,) = await repo.get_many(ids.values())
        await repo.remove([("m", T0)], seen_by_person_id=people[ANA])
        await repo.upsert_many([(bens, VIDEO)], people[BEN], people)
        (after,) = await repo.get_many(ids.values())
    assert (before.title, after.title) == ("Ana's", "Ben's")
