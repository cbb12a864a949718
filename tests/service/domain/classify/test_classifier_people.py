"""One-on-ones and is_meeting."""

from __future__ import annotations

import pytest

from service.domain.classify import classify
from service.domain.model import (
    Attendee,
    AttendeeKind,
    EventStatus,
    EventType,
    Response,
)
from tests.service.domain.classify.helpers import OWNER, TEAM, meeting, person, room

ANA = person("ana@northwind.example")


def test_classify_two_people_one_on_one() -> None:
    """The owner and one other person make a one-on-one."""
    got = classify(meeting(attendees=(person(OWNER, is_owner=True), ANA)))
    assert got.one_on_one is True
    assert "2 people: one-on-one" in got.reasons


def test_classify_attendees_unknown_none() -> None:
    """Unknown attendees: one_on_one is None and is_meeting is not judged by people."""
    got = classify(meeting(attendees=None))
    assert (got.one_on_one, got.is_meeting) == (None, True)


def test_classify_declined_attendee_makes_one_on_one() -> None:
    """A declined third person does not count."""
    ben = person("ben@northwind.example", Response.DECLINED)
    assert classify(meeting(attendees=(person(OWNER), ANA, ben))).one_on_one is True


def test_classify_room_not_a_person() -> None:
    """Rooms and resources are not humans."""
    attendees = (
        person(OWNER),
        ANA,
        room("Board Room"),
        room("Projector", kind=AttendeeKind.RESOURCE),
    )
    assert classify(meeting(attendees=attendees)).one_on_one is True


def test_classify_group_not_one_on_one() -> None:
    """A group list brings more people: not a one-on-one, but a meeting."""
    group = Attendee("eng@northwind.example", "Engineering", kind=AttendeeKind.GROUP)
    got = classify(meeting(attendees=(person(OWNER), ANA, group)))
    assert (got.one_on_one, got.is_meeting) == (False, True)


def test_classify_owner_duplicate_address_counted_once() -> None:
    """The owner listed twice (case, mailto:) is one person."""
    attendees = (person(OWNER), person("MAILTO:Sam@Northwind.Example"), ANA)
    assert classify(meeting(attendees=attendees)).one_on_one is True


def test_classify_owner_missing_from_attendees_counted() -> None:
    """The owner counts even when the provider leaves them out of the list."""
    assert classify(meeting(attendees=(ANA,))).one_on_one is True


def test_classify_graph_organizer_counted() -> None:
    """An organizer missing from attendees (Graph) still takes part."""
    got = classify(meeting(attendees=(person(OWNER),), organizer="vp@northwind.example"))
    assert (got.one_on_one, got.is_meeting) == (True, True)


@pytest.mark.parametrize(
    ("email", "human"),
    [
        ("chen.wu@fabrikam.com", True),
        ("c_188abc@resource.calendar.google.com", False),
        ("team@northwind.example", False),
        ("conf-room-oak@northwind.example", False),
        ("abc@group.calendar.google.com", False),
    ],
)
def test_classify_unknown_kind_personal_address(email: str, human: bool) -> None:
    """An attendee of unknown kind counts as a person only when the address looks personal."""
    other = Attendee(email, kind=AttendeeKind.UNKNOWN)
    assert classify(meeting(attendees=(person(OWNER), other))).one_on_one is human


def test_classify_person_kind_with_resource_domain_is_room() -> None:
    """A Google resource calendar mistyped as a person is still a room."""
    resource = Attendee("c_1@resource.calendar.google.com", "LIS-Garden")
    got = classify(meeting(attendees=(person(OWNER), ANA, resource)))
    assert got.one_on_one is True
    assert "room resource: LIS-Garden" in got.reasons


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"event_type": EventType.OUT_OF_OFFICE}, "out of office"),
        ({"event_type": EventType.FOCUS_TIME}, "focus time"),
        ({"event_type": EventType.WORKING_LOCATION}, "working location"),
        ({"transparent": True}, "shows as free"),
        ({"all_day": True}, "all-day event"),
        ({"status": EventStatus.CANCELLED}, "cancelled"),
        ({"attendees": ()}, "no one but the owner"),
        ({"attendees": (person(OWNER), room("Board Room"))}, "no one but the owner"),
        ({"attendees": (person(OWNER), person("a@x.example", Response.DECLINED))}, "no one but"),
    ],
)
def test_classify_not_a_meeting_reason(fields: dict[str, object], reason: str) -> None:
    """Special event types, holds, all-day, cancelled and owner-only events are not meetings."""
    got = classify(meeting(**fields))
    assert got.is_meeting is False
    assert any(r.startswith("not a meeting: " + reason) for r in got.reasons)


def test_classify_plain_meeting_is_meeting() -> None:
    """A normal three-person meeting is a meeting and not a one-on-one."""
    got = classify(meeting(attendees=TEAM))
    assert (got.is_meeting, got.one_on_one) == (True, False)
