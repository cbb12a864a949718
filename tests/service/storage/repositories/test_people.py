"""People: upserts, lookups, preferences, tokens, and forgetting a person."""

from __future__ import annotations

from service.storage import (
    CalendarRepository,
    Database,
    MeetingRepository,
    NudgeRepository,
    PeopleRepository,
    PersonIn,
)
from tests.fixtures.storage_builders import T0, VIDEO, meeting, plan


async def test_upsert_people_twice_same_ids(database: Database, tenant_id: int) -> None:
    people = [
        PersonIn("Ana@Example.com ", "Ana", "Europe/Berlin", "design"),
        PersonIn("ben@example.com"),
    ]
    async with database.transaction() as session:
        first = await PeopleRepository(session, tenant_id).upsert_many(people)
    async with database.transaction() as session:
        repo = PeopleRepository(session, tenant_id)
        second = await repo.upsert_many([PersonIn("ana@example.com", "Ana P.", "UTC", None)])
        ana = await repo.by_email("ANA@example.com")
    assert set(first) == {"ana@example.com", "ben@example.com"}
    assert second == {"ana@example.com": first["ana@example.com"]}
    assert ana is not None
    assert (ana.name, ana.timezone, ana.team) == ("Ana P.", "UTC", None)
    assert len(ana.unsubscribe_token) >= 32


async def test_upsert_people_invalid_skipped(database: Database, tenant_id: int) -> None:
    async with database.transaction() as session:
        ids = await PeopleRepository(session, tenant_id).upsert_many(
            [
                PersonIn(""),
                PersonIn("not-an-address"),
                PersonIn("mars@example.com", timezone="Mars/Olympus_Mons"),
                PersonIn("ok@example.com", name="N" * 500, team="\x00core"),
            ]
        )
        ok = await PeopleRepository(session, tenant_id).by_email("ok@example.com")
    assert list(ids) == ["ok@example.com"]
    assert ok is not None
    assert (len(ok.name or ""), ok.team) == (200, "core")


async def test_upsert_people_keeps_own_opt_out(database: Database, tenant_id: int) -> None:
    async with database.transaction() as session:
        repo = PeopleRepository(session, tenant_id)
        ids = await repo.upsert_many([PersonIn("ana@example.com")])
        assert await repo.set_opted_out(ids["ana@example.com"], True, ["camera_on"])
        await repo.upsert_many([PersonIn("ana@example.com", opted_out=False)])
        ana = await repo.get(ids["ana@example.com"])
    assert ana is not None
    assert ana.opted_out
    assert ana.opted_out_kinds == ("camera_on",)


async def test_lookup_people_ids_stream_and_token(database: Database, tenant_id: int) -> None:
    emails = [f"p{i:03}@example.com" for i in range(120)]
    async with database.transaction() as session:
        repo = PeopleRepository(session, tenant_id)
        ids = await repo.upsert_many([PersonIn(e) for e in emails])
        found = await repo.ids_for(["P001@example.com", "nobody@example.com"])
        streamed = [p.email async for p in repo.iter_all(page=50)]
        person = await repo.get(ids["p007@example.com"])
        assert person is not None
        by_token = await repo.by_unsubscribe_token(person.unsubscribe_token)
        assert await repo.by_unsubscribe_token("") is None
    assert found == {"p001@example.com": ids["p001@example.com"]}
    assert sorted(streamed) == emails
    assert by_token == person


async def test_set_preferences_person(database: Database, tenant_id: int) -> None:
    async with database.transaction() as session:
        repo = PeopleRepository(session, tenant_id)
        ids = await repo.upsert_many([PersonIn("ana@example.com")])
        await repo.set_preferences(
            ids["ana@example.com"],
            snoozed_until=T0,
            muted_contacts=["Ben@Example.com"],
            opted_out_kinds=["social_minute"],
        )
        ana = await repo.get(ids["ana@example.com"])
        assert not await repo.set_opted_out(ids["ana@example.com"] + 10_000, True)
    assert ana is not None
    assert ana.snoozed_until == T0
    assert ana.muted_contacts == ("ben@example.com",)
    assert ana.opted_out_kinds == ("social_minute",)


async def test_forget_person_removes_every_trace(database: Database, tenant_id: int) -> None:
    async with database.transaction() as session:
        people = await PeopleRepository(session, tenant_id).upsert_many(
            [PersonIn("ana@example.com"), PersonIn("ben@example.com")]
        )
        ana, ben = people["ana@example.com"], people["ben@example.com"]
        meetings = MeetingRepository(session, tenant_id)
        ids = await meetings.upsert_many(
            [(meeting("m", "ben@example.com", ["ana@example.com", "ben@example.com"]), VIDEO)],
            ben,
            people,
        )
        await NudgeRepository(session, tenant_id).plan_many(
            [plan(ids[("m", T0)], "ana@example.com")]
        )
        await CalendarRepository(session, tenant_id).ensure(ana, "ics", "feed")
        repo = PeopleRepository(session, tenant_id)
        assert await repo.forget(ana)
        assert not await repo.forget(ana)
        (row,) = await meetings.get_many(ids.values())
        nudges = await NudgeRepository(session, tenant_id).for_meetings(ids.values())
        assert await repo.get(ana) is None
    assert [p.email for p in row.participations] == ["ben@example.com"]
    assert nudges == []
