"""Feedback: one verdict per nudge, counted per kind and time, scoped to the tenant."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from service.errors import NotFound
from service.storage import (
    Database,
    FeedbackIn,
    FeedbackRepository,
    MeetingRepository,
    NudgeRepository,
    PeopleRepository,
    PersonIn,
    TenantRepository,
)
from tests.fixtures.storage_builders import T0, VIDEO, meeting, plan

ANA = "ana@example.com"


async def _ana_with_nudges(database: Database, tenant_id: int, count: int) -> tuple[int, list[int]]:
    async with database.transaction() as session:
        people = await PeopleRepository(session, tenant_id).upsert_many([PersonIn(ANA)])
        meetings = MeetingRepository(session, tenant_id)
        ids = await meetings.upsert_many(
            [
                (meeting(f"m{i}", ANA, [ANA], start=T0 + timedelta(days=i)), VIDEO)
                for i in range(count)
            ],
            people[ANA],
            people,
        )
        nudges = await NudgeRepository(session, tenant_id).plan_many(
            [plan(meeting_id, ANA) for meeting_id in ids.values()]
        )
    return people[ANA], sorted(n.id for n in nudges)


async def test_record_feedback_once_per_nudge_and_count(database: Database, tenant_id: int) -> None:
    ana, (first, second) = await _ana_with_nudges(database, tenant_id, 2)
    async with database.transaction() as session:
        repo = FeedbackRepository(session, tenant_id)
        _, changed = await repo.record(FeedbackIn(ana, first, "camera_on", "not_for_me", T0))
        _, again = await repo.record(FeedbackIn(ana, first, "camera_on", "not_for_me", T0))
        assert (changed, again) == (True, False)
        assert await repo.count(ana, "camera_on", "not_for_me", T0 - timedelta(days=1)) == 1
        row, changed = await repo.record(FeedbackIn(ana, first, "camera_on", "helpful", T0))
        assert changed
        assert row.verdict == "helpful"
        assert await repo.count(ana, "camera_on", "not_for_me", T0 - timedelta(days=1)) == 0
        await repo.record(FeedbackIn(ana, second, "camera_on", "not_for_me", T0, "series-1"))
        assert await repo.count(ana, "camera_on", "not_for_me", T0 + timedelta(seconds=1)) == 0
        listed = await repo.for_person(ana)
    assert [(f.nudge_id, f.verdict, f.series_id) for f in listed] == [
        (first, "helpful", None),
        (second, "not_for_me", "series-1"),
    ]


async def test_record_feedback_unknown_verdict_refused(database: Database, tenant_id: int) -> None:
    ana, (nudge,) = await _ana_with_nudges(database, tenant_id, 1)
    async with database.transaction() as session:
        with pytest.raises(ValueError, match="verdict"):
            await FeedbackRepository(session, tenant_id).record(
                FeedbackIn(ana, nudge, "camera_on", "meh", T0)
            )


async def test_record_feedback_other_tenant_person_not_found(
    database: Database, tenant_id: int
) -> None:
    ana, (nudge,) = await _ana_with_nudges(database, tenant_id, 1)
    async with database.transaction() as session:
        other = await TenantRepository(session).get_or_create(f"o-{uuid.uuid4().hex[:8]}", "O")
    async with database.transaction() as session:
        repo = FeedbackRepository(session, other.id)
        with pytest.raises(NotFound):
            await repo.record(FeedbackIn(ana, nudge, "camera_on", "helpful", T0))
        assert await repo.for_person(ana) == []
