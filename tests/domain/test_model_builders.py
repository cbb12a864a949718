"""The slot builders make objects equal, field by field, to what the model's constructors make."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from service.domain import builders
from service.domain.model import (
    Classification,
    Conference,
    EntryPoint,
    EntryPointKind,
    EventStatus,
    EventType,
    Meeting,
    Modality,
)
from tests.domain.classify.helpers import START, TEAM

END = START + timedelta(hours=1)


def _values(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "uid": "u-1", "start": START, "end": END, "owner": "sam@northwind.example",
        "title": "Sync", "original_start": None, "source_id": "s-1", "organizer": None,
        "attendees": TEAM, "location": "Board Room", "description": "Agenda",
        "conference": None, "links": ("https://zoom.us/j/1",), "status": EventStatus.CONFIRMED,
        "event_type": EventType.DEFAULT, "transparent": False, "all_day": False,
        "series_id": "series", "timezone": "Europe/Lisbon", "online_provider_hint": None,
    }  # fmt: skip
    values.update(changes)
    return values


def test_build_meeting_fields_match_model_order() -> None:
    """The builder knows every Meeting field, in order (a new field must be added here too)."""
    assert [f.name for f in dataclasses.fields(Meeting)] == list(_values())


@pytest.mark.parametrize(
    "changes",
    [{}, {"original_start": START - timedelta(days=7)}, {"attendees": None, "links": ()}],
)
def test_build_meeting_equal_to_constructor(changes: dict[str, object]) -> None:
    """A built meeting equals the constructed one, original_start defaulting to start."""
    values = _values(**changes)
    built = builders.meeting(*values.values())  # type: ignore[arg-type]
    assert type(built) is Meeting
    assert built == Meeting(**values)  # type: ignore[arg-type]
    assert built.instance_start == (changes.get("original_start") or START)


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"uid": ""}, "uid"),
        ({"end": START - timedelta(minutes=1)}, "before start"),
        ({"start": START.replace(tzinfo=None)}, "start"),
        ({"end": END.astimezone(timezone(timedelta(hours=1)))}, "end"),
    ],
)
def test_build_meeting_invalid_refused_like_constructor(
    changes: dict[str, object], needle: str
) -> None:
    """Values the model refuses go to its constructor and raise its error."""
    with pytest.raises(ValueError, match=needle):
        builders.meeting(*_values(**changes).values())  # type: ignore[arg-type]


def test_build_meeting_other_utc_object_still_valid() -> None:
    """A UTC offset from another tzinfo object takes the careful path and is accepted."""
    other = timezone(timedelta(0))
    values = _values(start=START.replace(tzinfo=other), end=END.replace(tzinfo=other))
    assert builders.meeting(*values.values()) == Meeting(**values)  # type: ignore[arg-type]


def test_build_small_objects_equal_to_constructors() -> None:
    """Entry points, conferences and classifications equal the constructed ones."""
    point = builders.entry_point(EntryPointKind.VIDEO, "https://meet.google.com/a", "a", None)
    assert point == EntryPoint(EntryPointKind.VIDEO, "https://meet.google.com/a", "a", None)
    assert builders.conference("hangoutsMeet", None, (point,)) == Conference(
        "hangoutsMeet", None, (point,)
    )
    made = builders.classification(Modality.VIDEO, "zoom", True, False, True, "u", ("r",))
    assert made == Classification(Modality.VIDEO, "zoom", True, False, True, "u", ("r",))
    assert datetime.now(UTC).tzinfo is UTC  # the identity the fast check relies on
