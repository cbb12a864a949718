"""Builders for storage tests: meetings, classifications, people, nudge plans."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from service.domain.model import (
    Attendee,
    AttendeeKind,
    Classification,
    EventStatus,
    Meeting,
    Modality,
    Response,
)
from service.domain.nudges.types import NudgePlan
from service.domain.policy import NudgeKind
from service.storage import Database

T0 = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
VIDEO = Classification(Modality.VIDEO, provider="zoom", one_on_one=False, reasons=("zoom link",))


def attendee(email: str, response: Response = Response.ACCEPTED, **kw: object) -> Attendee:
    """A person attendee."""
    return Attendee(email=email, response=response, **kw)  # type: ignore[arg-type]


def meeting(
    uid: str,
    owner: str,
    attendees: Sequence[str] | None = (),
    *,
    start: datetime = T0,
    minutes: int = 30,
    organizer: str | None = None,
    title: str = "Weekly sync",
    status: EventStatus = EventStatus.CONFIRMED,
    series_id: str | None = None,
    original_start: datetime | None = None,
    responses: dict[str, Response] | None = None,
) -> Meeting:
    """A meeting in `owner`'s calendar; `attendees` None means the list is unknown."""
    listed = None
    if attendees is not None:
        answers = responses or {}
        listed = tuple(
            Attendee(
                email=email,
                kind=AttendeeKind.PERSON,
                response=answers.get(email, Response.ACCEPTED),
                organizer=email == organizer,
            )
            for email in attendees
        )
    return Meeting(
        uid=uid,
        start=start,
        end=start + timedelta(minutes=minutes),
        owner=owner,
        title=title,
        organizer=organizer,
        attendees=listed,
        status=status,
        series_id=series_id,
        original_start=original_start,
    )


def plan(
    meeting_key: int,
    person: str,
    kind: NudgeKind = NudgeKind.CAMERA_ON,
    *,
    due_at: datetime = T0 - timedelta(minutes=10),
    variant: int = 0,
    batch_key: str | None = None,
) -> NudgePlan:
    """A nudge plan for `person` about meeting `meeting_key`."""
    return NudgePlan(
        meeting_key=meeting_key,
        person=person,
        kind=kind,
        role="attendee",
        due_at=due_at,
        variant=variant,
        reason="you accepted a video meeting",
        batch_key=batch_key,
    )


@contextmanager
def count_statements(database: Database) -> Iterator[list[str]]:
    """Collect the SQL statements `database` sends while the block runs."""
    seen: list[str] = []

    def record(_c: Any, _cur: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)
