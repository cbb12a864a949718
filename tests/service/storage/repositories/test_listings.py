"""The readers the operator views stream: connections with their owner, nudges with their
person and meeting (one joined query per page), and a tenant's domains added to."""

from __future__ import annotations

import uuid

from service.storage import (
    CalendarRepository,
    Database,
    MeetingRepository,
    NudgeRepository,
    PeopleRepository,
    PersonIn,
    TenantRepository,
)
from tests.fixtures.storage_builders import T0, VIDEO, count_statements, meeting, plan

ANA, BEN = "ana@example.com", "ben@example.com"


async def test_iter_connections_with_owner_in_pages(database: Database, tenant_id: int) -> None:
    async with database.transaction() as session:
        people = await PeopleRepository(session, tenant_id).upsert_many(
            [PersonIn(ANA), PersonIn(BEN)]
        )
        repo = CalendarRepository(session, tenant_id)
        ids = [
            await repo.ensure(people[ANA], "ics", "https://a.example.com/1.ics"),
            await repo.ensure(people[BEN], "ics", "https://a.example.com/2.ics"),
            await repo.ensure(people[ANA], "ics", "https://a.example.com/3.ics"),
        ]
        assert await repo.mark_pending(ids[0])
        await repo.set_cursor(ids[1], None, T0)
        assert not await repo.mark_pending(ids[1])  # synced once: stays ok
    async with database.session() as session:
        listed = [(r.id, email, r.status) async for r, email in
                  CalendarRepository(session, tenant_id).iter_with_owner(page=2)]  # fmt: skip
    assert listed == [(ids[0], ANA, "pending"), (ids[1], BEN, "ok"), (ids[2], ANA, "ok")]


async def test_iter_nudge_listing_joined_paged_and_filtered(
    database: Database, tenant_id: int
) -> None:
    async with database.transaction() as session:
        people = await PeopleRepository(session, tenant_id).upsert_many(
            [PersonIn(ANA), PersonIn(BEN)]
        )
        ids = await MeetingRepository(session, tenant_id).upsert_many(
            [(meeting("m1", ANA, [ANA, BEN], title="Roadmap"), VIDEO)], people[ANA], people
        )
        nudges = NudgeRepository(session, tenant_id)
        rows = await nudges.plan_many([plan(ids[("m1", T0)], ANA), plan(ids[("m1", T0)], BEN)])
        await nudges.cancel(rows[1].id)
    async with database.session() as session:
        repo = NudgeRepository(session, tenant_id)
        with count_statements(database) as seen:
            listed = [item async for item in repo.iter_listing(page=1)]
        cancelled = [item async for item in repo.iter_listing("cancelled")]
    assert [(i.person_email, i.meeting_uid, i.meeting_title) for i in listed] == [
        (ANA, "m1", "Roadmap"),
        (BEN, "m1", "Roadmap"),
    ]
    assert len(seen) == 3  # one query a page (page size 1), and the empty last page
    assert [i.nudge.id for i in cancelled] == [rows[1].id]


async def test_iter_listings_other_tenant_sees_nothing(database: Database, tenant_id: int) -> None:
    async with database.transaction() as session:
        other = await TenantRepository(session).get_or_create(f"o-{uuid.uuid4().hex[:8]}", "O")
        people = await PeopleRepository(session, tenant_id).upsert_many([PersonIn(ANA)])
        await CalendarRepository(session, tenant_id).ensure(people[ANA], "ics", "x.ics")
    async with database.session() as session:
        assert [c async for c in CalendarRepository(session, other.id).iter_with_owner()] == []
        assert [n async for n in NudgeRepository(session, other.id).iter_listing()] == []


async def test_add_domains_to_tenant_keeps_old(database: Database) -> None:
    async with database.transaction() as session:
        repo = TenantRepository(session)
        tenant = await repo.get_or_create(f"d-{uuid.uuid4().hex[:8]}", "D", ["a.example"])
        same = await repo.add_domains(tenant.id, ["A.example", " "])
        more = await repo.add_domains(tenant.id, ["b.example"])
        missing = await repo.add_domains(tenant.id + 10_000, ["c.example"])
    assert same == tenant
    assert more is not None
    assert more.internal_domains == ("a.example", "b.example")
    assert missing is None
