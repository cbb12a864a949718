"""Insights: when two people last met (in the person's own calendar), who is connected."""

from __future__ import annotations

from datetime import timedelta

from service.domain.model import Response
from service.storage import (
    CalendarRepository,
    Database,
    InsightRepository,
    MeetingRepository,
    PeopleRepository,
    PersonIn,
)
from tests.fixtures.storage_builders import T0, VIDEO, meeting

ANA = "ana@example.com"
BEN = "ben@example.com"
EVE = "eve@example.com"
CAT = "cat@external.org"
EARLIER = T0 - timedelta(days=3)


async def _people(database: Database, tenant_id: int) -> dict[str, int]:
    async with database.transaction() as session:
        return await PeopleRepository(session, tenant_id).upsert_many(
            [PersonIn(ANA), PersonIn(BEN), PersonIn(EVE)]
        )


async def _last_met(database: Database, tenant_id: int, person: str, contact: str) -> object:
    async with database.session() as session:
        return await InsightRepository(session, tenant_id).last_met(person, contact, T0)


async def test_last_met_only_from_person_own_calendar(database: Database, tenant_id: int) -> None:
    people = await _people(database, tenant_id)
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        # Eve's calendar claims Ben met Cat: it says nothing about Ben's meetings.
        claimed = meeting("claimed", EVE, [EVE, BEN, CAT], start=EARLIER)
        await repo.upsert_many([(claimed, VIDEO)], people[EVE], people)
    assert await _last_met(database, tenant_id, BEN, CAT) is None
    assert await _last_met(database, tenant_id, EVE, CAT) == EARLIER


async def test_last_met_connected_contact_needs_own_copy(
    database: Database, tenant_id: int
) -> None:
    people = await _people(database, tenant_id)
    async with database.transaction() as session:
        await MeetingRepository(session, tenant_id).upsert_many(
            [(meeting("m", ANA, [ANA, BEN], start=EARLIER), VIDEO)], people[ANA], people
        )
    # Ben has no calendar here: he counts as a name on Ana's meeting.
    assert await _last_met(database, tenant_id, ANA, BEN) == EARLIER
    async with database.transaction() as session:
        await CalendarRepository(session, tenant_id).ensure(people[BEN], "ics", "/ben.ics")
        connected = await InsightRepository(session, tenant_id).connected_people()
    assert connected == {people[BEN]}
    # Now Ben's own calendar speaks for him, and it does not show the meeting.
    assert await _last_met(database, tenant_id, ANA, BEN) is None
    async with database.transaction() as session:
        await MeetingRepository(session, tenant_id).upsert_many(
            [(meeting("m", BEN, [ANA, BEN], start=EARLIER), VIDEO)], people[BEN], people
        )
    assert await _last_met(database, tenant_id, ANA, BEN) == EARLIER


async def test_last_met_declined_by_either_side_does_not_count(
    database: Database, tenant_id: int
) -> None:
    people = await _people(database, tenant_id)
    async with database.transaction() as session:
        await MeetingRepository(session, tenant_id).upsert_many(
            [
                (meeting("m", ANA, [ANA, CAT], start=EARLIER, organizer=CAT,
                         responses={ANA: Response.DECLINED}), VIDEO),
                (meeting("n", ANA, [ANA, CAT], start=EARLIER - timedelta(days=1),
                         responses={CAT: Response.DECLINED}), VIDEO),
            ],
            people[ANA],
            people,
        )  # fmt: skip
    assert await _last_met(database, tenant_id, ANA, CAT) is None


async def test_last_met_bare_copy_uses_organizer_attendees(
    database: Database, tenant_id: int
) -> None:
    people = await _people(database, tenant_id)
    async with database.transaction() as session:
        repo = MeetingRepository(session, tenant_id)
        full = meeting("m", ANA, [ANA, BEN, CAT], start=EARLIER, organizer=ANA)
        await repo.upsert_many([(full, VIDEO)], people[ANA], people)
        await repo.upsert_many(
            [(meeting("m", BEN, None, start=EARLIER), VIDEO)], people[BEN], people
        )
    # Ben's feed has no attendee lines: the organiser's copy says who was there.
    assert await _last_met(database, tenant_id, BEN, CAT) == EARLIER
    assert await _last_met(database, tenant_id, EVE, CAT) is None
