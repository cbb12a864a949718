"""Builders for classifier tests: a plain meeting with a few people, overridable per test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from service.domain.model import Attendee, AttendeeKind, Meeting, Response

OWNER = "sam@northwind.example"
START = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def person(email: str, response: Response = Response.ACCEPTED, **kw: Any) -> Attendee:
    """A human attendee."""
    return Attendee(email=email, name=email.partition("@")[0].title(), response=response, **kw)


def room(name: str, email: str | None = None, kind: AttendeeKind = AttendeeKind.ROOM) -> Attendee:
    """A room (or resource) attendee."""
    return Attendee(
        email=email or f"{name.lower().replace(' ', '-')}@northwind.example", name=name, kind=kind
    )


TEAM = (
    person(OWNER, is_owner=True),
    person("ana@northwind.example"),
    person("ben@northwind.example"),
)


def meeting(**kw: Any) -> Meeting:
    """A confirmed one-hour meeting of three people; keyword arguments override fields."""
    fields: dict[str, Any] = {
        "uid": "uid-1@test",
        "start": START,
        "end": START + timedelta(hours=1),
        "owner": OWNER,
        "title": "Sync",
        "attendees": TEAM,
    }
    fields.update(kw)
    return Meeting(**fields)
