"""A person's own choices as use cases: the feedback rule's window, and what cancels at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.email import MaildirOutbox
from service.errors import NotFound
from service.pipeline import preferences as prefs
from service.runtime import Runtime
from service.storage import (
    Database,
    MeetingRepository,
    NudgeRepository,
    PeopleRepository,
    PersonIn,
)
from tests.fixtures.pipeline import runtime
from tests.fixtures.storage_builders import VIDEO, meeting, plan

NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
ANA = "ana@example.com"


async def _nudges(database: Database, tenant_id: int, count: int) -> tuple[int, list[int]]:
    async with database.transaction() as session:
        people = await PeopleRepository(session, tenant_id).upsert_many([PersonIn(ANA)])
        starts = [NOW - timedelta(days=40) + timedelta(days=i * 20) for i in range(count)]
        ids = await MeetingRepository(session, tenant_id).upsert_many(
            [(meeting(f"m{i}", ANA, [ANA], start=s), VIDEO) for i, s in enumerate(starts)],
            people[ANA],
            people,
        )
        rows = await NudgeRepository(session, tenant_id).plan_many(
            [plan(mid, ANA, due_at=key[1]) for key, mid in ids.items()]
        )
    return people[ANA], sorted(r.id for r in rows)


def _at(rt: Runtime, when: datetime) -> Runtime:
    return runtime(rt.db, rt.mailer, rt.reports_dir.parent, when)


async def test_feedback_not_for_me_outside_window_does_not_pause(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    rt = runtime(database, MaildirOutbox(tmp_path / "outbox"), tmp_path, NOW)
    ana, (old, recent, _) = await _nudges(database, tenant_id, 3)
    first = await prefs.record_feedback(
        _at(rt, NOW - timedelta(days=31)), tenant_id, ana, old, "not_for_me"
    )
    second = await prefs.record_feedback(rt, tenant_id, ana, recent, "not_for_me")
    assert (first.paused_until, second.paused_until) == (None, None)
    person = await prefs.load_person(rt, tenant_id, ana)
    assert person.paused_kinds == {}


async def test_feedback_not_for_me_twice_pauses_and_cancels_planned(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    rt = runtime(database, MaildirOutbox(tmp_path / "outbox"), tmp_path, NOW)
    ana, (first, second, planned) = await _nudges(database, tenant_id, 3)
    await prefs.record_feedback(rt, tenant_id, ana, first, "not_for_me")
    outcome = await prefs.record_feedback(rt, tenant_id, ana, second, "not_for_me")
    assert outcome.paused_until == NOW + prefs.PAUSE_FOR
    async with database.session() as session:
        row = await NudgeRepository(session, tenant_id).get(planned)
    assert row is not None
    assert row.state == "cancelled"
    # A third answer while paused does not push the pause further out.
    later = await prefs.record_feedback(
        _at(rt, NOW + timedelta(days=1)), tenant_id, ana, planned, "not_for_me"
    )
    assert later.paused_until == NOW + prefs.PAUSE_FOR


async def test_preferences_unknown_person_or_nudge_not_found(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    rt = runtime(database, MaildirOutbox(tmp_path / "outbox"), tmp_path, NOW)
    ana, (nudge, *_) = await _nudges(database, tenant_id, 1)
    with pytest.raises(NotFound):
        await prefs.unsubscribe(rt, tenant_id, ana + 999)
    with pytest.raises(NotFound):
        await prefs.record_feedback(rt, tenant_id + 999, ana, nudge, "helpful")
    with pytest.raises(NotFound):
        await prefs.record_feedback(rt, tenant_id, ana, nudge + 999, "helpful")
    with pytest.raises(ValueError, match="verdict"):
        await prefs.record_feedback(rt, tenant_id, ana, nudge, "meh")
