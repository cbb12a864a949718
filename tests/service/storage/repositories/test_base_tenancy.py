"""Tenant isolation: a repository for tenant A never sees or changes tenant B's rows."""

from __future__ import annotations

import uuid

import pytest

from service.errors import NotFound
from service.storage import (
    AuditRepository,
    CalendarRepository,
    Database,
    IllegalTransition,
    MeetingRepository,
    NudgeNotFound,
    NudgeRepository,
    PeopleRepository,
    PersonIn,
    PolicyRepository,
    ReportRepository,
    TenantRepository,
)
from tests.fixtures.storage_builders import T0, VIDEO, meeting, plan

ANA = "ana@example.com"


async def _fill(database: Database, tenant_id: int) -> dict[str, int]:
    async with database.transaction() as session:
        people = await PeopleRepository(session, tenant_id).upsert_many([PersonIn(ANA)])
        meetings = MeetingRepository(session, tenant_id)
        ids = await meetings.upsert_many(
            [(meeting("same-uid", ANA, [ANA]), VIDEO)], people[ANA], people
        )
        (nudge,) = await NudgeRepository(session, tenant_id).plan_many(
            [plan(ids[("same-uid", T0)], ANA)]
        )
        calendar = await CalendarRepository(session, tenant_id).ensure(people[ANA], "ics", "feed")
        await PolicyRepository(session, tenant_id).save(None, {"lead_minutes": 10}, "admin")
    return {
        "person": people[ANA],
        "meeting": ids[("same-uid", T0)],
        "nudge": nudge.id,
        "calendar": calendar,
    }


async def test_isolate_tenants_repositories(database: Database, tenant_id: int) -> None:
    async with database.transaction() as session:
        other = await TenantRepository(session).get_or_create(f"b-{uuid.uuid4().hex[:8]}", "B")
    mine = await _fill(database, tenant_id)
    theirs = await _fill(database, other.id)
    assert mine["meeting"] != theirs["meeting"]  # same UID, another tenant: another row
    window = (T0.replace(year=2000), T0.replace(year=2100))
    async with database.transaction() as session:
        people = PeopleRepository(session, tenant_id)
        meetings = MeetingRepository(session, tenant_id)
        nudges = NudgeRepository(session, tenant_id)
        calendars = CalendarRepository(session, tenant_id)
        assert await people.get(theirs["person"]) is None
        assert [p.id async for p in people.iter_all()] == [mine["person"]]
        assert await meetings.count() == 1
        assert await meetings.get_many([theirs["meeting"]]) == []
        assert [m.id async for m in meetings.iter_upcoming(*window)] == [mine["meeting"]]
        assert [m.id async for m in meetings.iter_past(*window)] == [mine["meeting"]]
        assert (await meetings.remove([("same-uid", None)])).cancelled == (mine["meeting"],)
        assert await meetings.purge_before(T0.replace(year=2100)) == 1
        assert await nudges.get(theirs["nudge"]) is None
        assert not await nudges.claim(theirs["nudge"])
        with pytest.raises(NudgeNotFound):
            await nudges.cancel(theirs["nudge"])
        assert await nudges.cancel_stale([theirs["meeting"]], set()) == []
        assert await calendars.get(theirs["calendar"]) is None
        with pytest.raises(NotFound, match="not found in this tenant"):
            await calendars.set_cursor(theirs["calendar"], "x", T0)
        assert len(await AuditRepository(session, tenant_id).list()) == 1
    async with database.session() as session:
        them = MeetingRepository(session, other.id)
        (row,) = await them.get_many([theirs["meeting"]])
        assert row.status == "confirmed"
        nudge = await NudgeRepository(session, other.id).get(theirs["nudge"])
        assert nudge is not None
        assert nudge.state == "planned"
        assert (await PolicyRepository(session, other.id).current()) is not None


async def test_isolate_tenants_illegal_move_of_other_tenant_nudge(
    database: Database, tenant_id: int
) -> None:
    async with database.transaction() as session:
        other = await TenantRepository(session).get_or_create(f"c-{uuid.uuid4().hex[:8]}", "C")
    theirs = await _fill(database, other.id)
    async with database.transaction() as session:
        with pytest.raises((NudgeNotFound, IllegalTransition)):
            await NudgeRepository(session, tenant_id).mark_sent(theirs["nudge"], "<x@y>", T0)


async def test_isolate_tenants_foreign_ids_refused(database: Database, tenant_id: int) -> None:
    async with database.transaction() as session:
        other = await TenantRepository(session).get_or_create(f"d-{uuid.uuid4().hex[:8]}", "D")
    theirs = await _fill(database, other.id)
    async with database.transaction() as session:
        people = await PeopleRepository(session, tenant_id).upsert_many([PersonIn(ANA)])
        nudges = NudgeRepository(session, tenant_id)
        assert await nudges.plan_many([plan(theirs["meeting"], ANA)]) == []
        with pytest.raises(NotFound, match="not found in this tenant"):
            await CalendarRepository(session, tenant_id).ensure(theirs["person"], "ics", "x")
        with pytest.raises(NotFound, match="not found in this tenant"):
            await ReportRepository(session, tenant_id).claim(theirs["person"], T0.date())
        assert await CalendarRepository(session, tenant_id).ensure(people[ANA], "ics", "x") > 0
