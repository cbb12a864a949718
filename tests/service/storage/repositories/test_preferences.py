"""A person's own choices, what they were sent lately, and cancelling what is still planned."""

from __future__ import annotations

import uuid
from datetime import timedelta

from service.storage import (
    Database,
    MeetingRepository,
    NudgeRepository,
    PeopleRepository,
    PersonIn,
    PreferencesRepository,
    TenantRepository,
)
from tests.fixtures.storage_builders import T0, VIDEO, meeting, plan

ANA, BEN = "ana@example.com", "ben@example.com"


async def _two_nudges(database: Database, tenant_id: int) -> tuple[dict[str, int], list[int]]:
    async with database.transaction() as session:
        people = await PeopleRepository(session, tenant_id).upsert_many(
            [PersonIn(ANA), PersonIn(BEN)]
        )
        ids = await MeetingRepository(session, tenant_id).upsert_many(
            [
                (meeting("m1", ANA, [ANA, BEN], title="<b>Plan</b>", series_id="s1"), VIDEO),
                (meeting("m2", ANA, [ANA, BEN], start=T0 + timedelta(days=1)), VIDEO),
            ],
            people[ANA],
            people,
        )
        nudges = await NudgeRepository(session, tenant_id).plan_many(
            [
                plan(ids[("m1", T0)], ANA),
                plan(ids[("m2", T0 + timedelta(days=1))], ANA, due_at=T0 + timedelta(days=1)),
            ]
        )
    return people, sorted(n.id for n in nudges)


async def test_set_choices_person(database: Database, tenant_id: int) -> None:
    people, _ = await _two_nudges(database, tenant_id)
    async with database.transaction() as session:
        repo = PreferencesRepository(session, tenant_id)
        assert await repo.set_delivery(
            people[ANA],
            timezone="Asia/Kolkata",
            working_hours={"start": "09:00", "end": "17:30"},
            delivery_mode="daily_briefing",
        )
        assert await repo.set_snooze(people[ANA], T0)
        assert await repo.set_opted_out_kinds(people[ANA], ["social_minute", "social_minute"])
        assert await repo.set_muted_contacts(people[ANA], ["Ben@Example.com", "nonsense"])
        assert await repo.set_muted_series(people[ANA], ["s1"])
        assert await repo.set_paused_kinds(people[ANA], {"camera_on": T0})
        assert not await repo.set_snooze(people[ANA] + 10_000, None)
        ana = await PeopleRepository(session, tenant_id).get(people[ANA])
    assert ana is not None
    assert (ana.timezone, ana.delivery_mode) == ("Asia/Kolkata", "daily_briefing")
    assert ana.working_hours == {"start": "09:00", "end": "17:30"}
    assert ana.snoozed_until == T0
    assert ana.opted_out_kinds == ("social_minute",)
    assert ana.muted_contacts == (BEN,)
    assert ana.muted_series == ("s1",)
    assert ana.paused_kinds == {"camera_on": T0.isoformat()}


async def test_list_sent_nudges_with_meetings(database: Database, tenant_id: int) -> None:
    people, (first, second) = await _two_nudges(database, tenant_id)
    async with database.transaction() as session:
        nudges = NudgeRepository(session, tenant_id)
        for nudge_id in (first, second):
            assert await nudges.claim(nudge_id)
        await nudges.mark_sent(first, "<a@x>", T0 - timedelta(minutes=10))
        repo = PreferencesRepository(session, tenant_id)
        sent = await repo.sent_since(people[ANA], T0 - timedelta(days=30))
        later = await repo.sent_since(people[ANA], T0)
        mine = await repo.nudge_of(people[ANA], second)
        not_bens = await repo.nudge_of(people[BEN], first)
    assert [(s.nudge_id, s.meeting_title, s.series_id) for s in sent] == [
        (first, "<b>Plan</b>", "s1")
    ]
    assert later == []
    assert mine is not None
    assert (mine.meeting_uid, mine.sent_at) == ("m2", None)
    assert not_bens is None


async def test_cancel_planned_person_kinds_and_time(database: Database, tenant_id: int) -> None:
    people, (first, second) = await _two_nudges(database, tenant_id)
    async with database.transaction() as session:
        repo = PreferencesRepository(session, tenant_id)
        assert await repo.cancel_planned(people[BEN]) == 0
        assert await repo.cancel_planned(people[ANA], kinds=["one_on_one"]) == 0
        assert await repo.cancel_planned(people[ANA], before=T0) == 1
        assert await repo.cancel_planned(people[ANA], kinds=["camera_on"]) == 1
        nudges = NudgeRepository(session, tenant_id)
        rows = [await nudges.get(first), await nudges.get(second)]
    assert [r.state for r in rows if r is not None] == ["cancelled", "cancelled"]


async def test_preferences_other_tenant_untouched(database: Database, tenant_id: int) -> None:
    people, (first, _) = await _two_nudges(database, tenant_id)
    async with database.transaction() as session:
        other = await TenantRepository(session).get_or_create(f"o-{uuid.uuid4().hex[:8]}", "O")
    async with database.transaction() as session:
        repo = PreferencesRepository(session, other.id)
        assert not await repo.set_snooze(people[ANA], T0)
        assert await repo.sent_since(people[ANA], T0 - timedelta(days=30)) == []
        assert await repo.nudge_of(people[ANA], first) is None
        assert await repo.cancel_planned(people[ANA]) == 0
