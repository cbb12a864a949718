"""Fast constructors for model objects whose values the caller has already checked.

The model's frozen dataclasses validate themselves in `__init__`, which costs several
microseconds per `Meeting`: too much on the hot path of a sync page of thousands of events.
These builders fill the slots directly when the cheap invariants hold (times carry the very
`UTC` object that `astimezone(UTC)` returns, end >= start, a non-empty uid) and otherwise call
the real constructor, which raises its usual, precise error. The result is equal in every field
to what the constructor makes (`tests/domain/test_model_builders.py`). If the model gains,
loses or reorders a field, the builders fall back to the constructor until updated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime

from service.domain.model import (
    Attendee,
    Classification,
    Conference,
    EntryPoint,
    EntryPointKind,
    EventStatus,
    EventType,
    Meeting,
    Modality,
)

_Setter = Callable[[object, object], None]
_new = object.__new__

_MEETING_FIELDS = (
    "uid", "start", "end", "owner", "title", "original_start", "source_id", "organizer",
    "attendees", "location", "description", "conference", "links", "status", "event_type",
    "transparent", "all_day", "series_id", "timezone", "online_provider_hint",
)  # fmt: skip
_CLASSIFICATION_FIELDS = (
    "modality", "provider", "hybrid", "one_on_one", "is_meeting", "join_url", "reasons",
)  # fmt: skip
_ENTRY_POINT_FIELDS = ("kind", "uri", "label", "pin")
_CONFERENCE_FIELDS = ("solution", "name", "entry_points")


def _setters(cls: type, names: tuple[str, ...]) -> tuple[_Setter, ...] | None:
    """The slot setters of `cls` in `names` order; None when its fields are not exactly those."""
    if tuple(f.name for f in dataclasses.fields(cls)) != names:
        return None
    return tuple(cls.__dict__[name].__set__ for name in names)


_MEETING = _setters(Meeting, _MEETING_FIELDS)
_CLASSIFICATION = _setters(Classification, _CLASSIFICATION_FIELDS)
_ENTRY_POINT = _setters(EntryPoint, _ENTRY_POINT_FIELDS)
_CONFERENCE = _setters(Conference, _CONFERENCE_FIELDS)


def meeting(
    uid: str,
    start: datetime,
    end: datetime,
    owner: str,
    title: str,
    original_start: datetime | None,
    source_id: str | None,
    organizer: str | None,
    attendees: tuple[Attendee, ...] | None,
    location: str | None,
    description: str | None,
    conference: Conference | None,
    links: tuple[str, ...],
    status: EventStatus,
    event_type: EventType,
    transparent: bool,
    all_day: bool,
    series_id: str | None,
    timezone: str | None,
    online_provider_hint: str | None,
) -> Meeting:
    """A `Meeting`, built without re-validation when its times are plainly valid UTC."""
    if original_start is None:
        original_start = start
    setters = _MEETING
    if (
        setters is None
        or not uid
        or start.tzinfo is not UTC
        or end.tzinfo is not UTC
        or original_start.tzinfo is not UTC
        or end < start
    ):
        values = (
            uid, start, end, owner, title, original_start, source_id, organizer, attendees,
            location, description, conference, links, status, event_type, transparent, all_day,
            series_id, timezone, online_provider_hint,
        )  # fmt: skip
        return Meeting(**dict(zip(_MEETING_FIELDS, values, strict=True)))  # type: ignore[arg-type]
    built = _new(Meeting)
    setters[0](built, uid)
    setters[1](built, start)
    setters[2](built, end)
    setters[3](built, owner)
    setters[4](built, title)
    setters[5](built, original_start)
    setters[6](built, source_id)
    setters[7](built, organizer)
    setters[8](built, attendees)
    setters[9](built, location)
    setters[10](built, description)
    setters[11](built, conference)
    setters[12](built, links)
    setters[13](built, status)
    setters[14](built, event_type)
    setters[15](built, transparent)
    setters[16](built, all_day)
    setters[17](built, series_id)
    setters[18](built, timezone)
    setters[19](built, online_provider_hint)
    return built


def classification(
    modality: Modality,
    provider: str | None,
    hybrid: bool,
    one_on_one: bool | None,
    is_meeting: bool,
    join_url: str | None,
    reasons: tuple[str, ...],
) -> Classification:
    """A `Classification` (it has no invariants to check)."""
    setters = _CLASSIFICATION
    if setters is None:
        return Classification(modality, provider, hybrid, one_on_one, is_meeting, join_url, reasons)
    built = _new(Classification)
    setters[0](built, modality)
    setters[1](built, provider)
    setters[2](built, hybrid)
    setters[3](built, one_on_one)
    setters[4](built, is_meeting)
    setters[5](built, join_url)
    setters[6](built, reasons)
    return built


def entry_point(kind: EntryPointKind, uri: str, label: str | None, pin: str | None) -> EntryPoint:
    """An `EntryPoint` (it has no invariants to check)."""
    setters = _ENTRY_POINT
    if setters is None:
        return EntryPoint(kind, uri, label, pin)
    built = _new(EntryPoint)
    setters[0](built, kind)
    setters[1](built, uri)
    setters[2](built, label)
    setters[3](built, pin)
    return built


def conference(
    solution: str | None, name: str | None, entry_points: tuple[EntryPoint, ...]
) -> Conference:
    """A `Conference` (it has no invariants to check)."""
    setters = _CONFERENCE
    if setters is None:
        return Conference(solution, name, entry_points)
    built = _new(Conference)
    setters[0](built, solution)
    setters[1](built, name)
    setters[2](built, entry_points)
    return built
