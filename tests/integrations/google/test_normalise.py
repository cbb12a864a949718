"""The Google Calendar v3 event normaliser: each field mapping, times, people and bad input."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

import integrations.google
from integrations.google import normalise_event
from service.domain.model import (
    AttendeeKind,
    EntryPointKind,
    EventStatus,
    EventType,
    Meeting,
    Response,
)
from service.domain.port import SkippedEvent

OWNER = "me@example.com"


def _event(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "kind": "calendar#event",
        "id": "evt1",
        "iCalUID": "evt1@google.com",
        "status": "confirmed",
        "summary": "Sync",
        "start": {"dateTime": "2024-04-16T10:00:00-07:00", "timeZone": "America/Los_Angeles"},
        "end": {"dateTime": "2024-04-16T10:30:00-07:00", "timeZone": "America/Los_Angeles"},
    }
    base.update(fields)
    return base


def _meeting(payload: Mapping[str, object], default_tz: str = "UTC") -> Meeting:
    result = normalise_event(payload, OWNER, default_tz)
    assert isinstance(result, Meeting), result
    return result


def test_export_package_api_is_normalise_event() -> None:
    assert "normalise_event" in integrations.google.__all__
    assert "GoogleConnector" in integrations.google.__all__


def test_normalise_google_times_offset_to_utc() -> None:
    meeting = _meeting(_event())
    assert meeting.start == datetime(2024, 4, 16, 17, 0, tzinfo=UTC)
    assert meeting.end == datetime(2024, 4, 16, 17, 30, tzinfo=UTC)
    assert meeting.timezone == "America/Los_Angeles"
    assert meeting.uid == "evt1@google.com"
    assert meeting.source_id == "evt1"
    assert meeting.title == "Sync"


def test_normalise_google_times_without_offset_use_time_zone() -> None:
    payload = _event(
        start={"dateTime": "2024-07-01T09:00:00", "timeZone": "Europe/Berlin"},
        end={"dateTime": "2024-07-01T10:00:00", "timeZone": "Europe/Berlin"},
    )
    assert _meeting(payload).start == datetime(2024, 7, 1, 7, 0, tzinfo=UTC)


def test_normalise_google_times_without_offset_or_zone_use_default_tz() -> None:
    payload = _event(
        start={"dateTime": "2024-01-15T09:00:00"}, end={"dateTime": "2024-01-15T10:00:00"}
    )
    assert _meeting(payload, "America/New_York").start == datetime(2024, 1, 15, 14, tzinfo=UTC)


def test_normalise_google_times_across_dst_change() -> None:
    payload = _event(
        start={"dateTime": "2024-03-10T01:30:00", "timeZone": "America/Los_Angeles"},
        end={"dateTime": "2024-03-10T03:30:00", "timeZone": "America/Los_Angeles"},
    )
    meeting = _meeting(payload)
    assert meeting.start == datetime(2024, 3, 10, 9, 30, tzinfo=UTC)  # PST, UTC-8
    assert meeting.end == datetime(2024, 3, 10, 10, 30, tzinfo=UTC)  # PDT, UTC-7
    assert meeting.duration.total_seconds() == 3600


def test_normalise_google_all_day_is_midnight_in_zone() -> None:
    payload = _event(start={"date": "2024-05-02"}, end={"date": "2024-05-04"})
    meeting = _meeting(payload, "Europe/Paris")
    assert meeting.all_day
    assert meeting.start == datetime(2024, 5, 1, 22, tzinfo=UTC)
    assert meeting.end == datetime(2024, 5, 3, 22, tzinfo=UTC)


def test_normalise_google_end_unspecified_is_start() -> None:
    payload = _event(endTimeUnspecified=True)
    meeting = _meeting(payload)
    assert meeting.end == meeting.start


def test_normalise_google_recurring_instance_fields() -> None:
    payload = _event(
        id="evt1_20240423T170000Z",
        recurringEventId="evt1",
        originalStartTime={"dateTime": "2024-04-23T10:00:00-07:00"},
        start={"dateTime": "2024-04-24T10:00:00-07:00"},
        end={"dateTime": "2024-04-24T10:30:00-07:00"},
    )
    meeting = _meeting(payload)
    assert meeting.series_id == "evt1"
    assert meeting.original_start == datetime(2024, 4, 23, 17, tzinfo=UTC)
    assert meeting.recurring


def test_normalise_google_series_master_is_its_own_series() -> None:
    meeting = _meeting(_event(recurrence=["RRULE:FREQ=WEEKLY;BYDAY=TU"]))
    assert meeting.series_id == "evt1"
    assert meeting.original_start == meeting.start


def test_normalise_google_uid_falls_back_to_id() -> None:
    payload = _event()
    del payload["iCalUID"]
    assert _meeting(payload).uid == "evt1"


def test_normalise_google_meet_conference_data() -> None:
    payload = _event(
        hangoutLink="https://meet.google.com/abc-defg-hij",
        conferenceData={
            "entryPoints": [
                {"entryPointType": "video", "uri": "https://meet.google.com/abc-defg-hij"},
                {"entryPointType": "phone", "uri": "tel:+1-402-555-0123", "pin": "123456789"},
                {"entryPointType": "more", "uri": "https://tel.meet/abc-defg-hij?pin=1"},
                {"entryPointType": "bogus", "uri": "x"},
            ],
            "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
        },
    )
    conference = _meeting(payload).conference
    assert conference is not None
    assert conference.solution == "hangoutsMeet"
    assert conference.name == "Google Meet"
    kinds = [point.kind for point in conference.entry_points]
    assert kinds == [EntryPointKind.VIDEO, EntryPointKind.PHONE, EntryPointKind.MORE]
    assert conference.entry_points[1].pin == "123456789"


def test_normalise_google_addon_pin_from_passcode() -> None:
    payload = _event(
        conferenceData={
            "entryPoints": [
                {
                    "entryPointType": "video",
                    "uri": "https://us02web.zoom.us/j/85012345678",
                    "meetingCode": "85012345678",
                    "passcode": "482913",
                }
            ],
            "conferenceSolution": {"key": {"type": "addOn"}, "name": "Zoom Meeting"},
        }
    )
    conference = _meeting(payload).conference
    assert conference is not None
    assert conference.solution == "addOn"
    assert conference.entry_points[0].pin == "482913"


def test_normalise_google_hangout_link_alone_is_meet() -> None:
    conference = _meeting(_event(hangoutLink="https://meet.google.com/x-y-z")).conference
    assert conference is not None
    assert conference.solution == "hangoutsMeet"
    assert conference.entry_points[0].uri == "https://meet.google.com/x-y-z"


def test_normalise_google_attendees_typed() -> None:
    payload = _event(
        organizer={"email": "boss@example.com"},
        attendees=[
            {"email": "Boss@Example.com", "organizer": True, "responseStatus": "accepted"},
            {"email": OWNER, "self": True, "responseStatus": "tentative"},
            {"email": "opt@example.com", "optional": True, "responseStatus": "needsAction"},
            {"email": "no@example.com", "responseStatus": "declined"},
            {
                "email": "c_1@resource.calendar.google.com",
                "displayName": "Room 1",
                "resource": True,
            },
            {"email": "c_2@resource.calendar.google.com", "displayName": "Room 2"},
            {"displayName": "No Address"},
            {"responseStatus": "accepted"},
            "not an object",
        ],
    )
    meeting = _meeting(payload)
    attendees = meeting.attendees
    assert attendees is not None
    assert meeting.organizer == "boss@example.com"
    assert [a.email for a in attendees][:4] == [
        "boss@example.com",
        OWNER,
        "opt@example.com",
        "no@example.com",
    ]
    assert attendees[0].organizer
    assert attendees[1].is_owner
    assert attendees[1].response is Response.TENTATIVE
    assert attendees[2].optional
    assert attendees[2].response is Response.NEEDS_ACTION
    assert attendees[3].response is Response.DECLINED
    assert attendees[4].kind is AttendeeKind.ROOM
    assert attendees[5].kind is AttendeeKind.ROOM  # resource calendar domain, flag missing
    assert attendees[6].email is None
    assert attendees[6].name == "No Address"
    assert len(attendees) == 7


def test_normalise_google_self_alias_is_owner() -> None:
    payload = _event(attendees=[{"email": "alias@example.com", "self": True}])
    attendees = _meeting(payload).attendees
    assert attendees is not None
    assert attendees[0].is_owner


def test_normalise_google_attendees_omitted_is_unknown() -> None:
    payload = _event(attendeesOmitted=True, attendees=[{"email": OWNER, "self": True}])
    assert _meeting(payload).attendees is None


def test_normalise_google_no_attendees_is_owner_alone() -> None:
    attendees = _meeting(_event()).attendees
    assert attendees is not None
    assert len(attendees) == 1
    assert attendees[0].email == OWNER
    assert attendees[0].is_owner


@pytest.mark.parametrize(
    ("event_type", "expected"),
    [
        ("outOfOffice", EventType.OUT_OF_OFFICE),
        ("focusTime", EventType.FOCUS_TIME),
        ("workingLocation", EventType.WORKING_LOCATION),
        ("fromGmail", EventType.DEFAULT),
        ("birthday", EventType.DEFAULT),
        ("default", EventType.DEFAULT),
    ],
)
def test_normalise_google_event_type(event_type: str, expected: EventType) -> None:
    assert _meeting(_event(eventType=event_type)).event_type is expected


def test_normalise_google_status_and_transparency() -> None:
    meeting = _meeting(_event(status="tentative", transparency="transparent"))
    assert meeting.status is EventStatus.TENTATIVE
    assert meeting.transparent
    assert not _meeting(_event(transparency="opaque")).transparent


def test_normalise_google_cancelled_with_times_is_cancelled_meeting() -> None:
    assert _meeting(_event(status="cancelled")).status is EventStatus.CANCELLED


def test_normalise_google_cancelled_marker_is_skipped_as_deletion() -> None:
    payload = {
        "kind": "calendar#event",
        "id": "evt1_20240423T170000Z",
        "status": "cancelled",
        "recurringEventId": "evt1",
        "originalStartTime": {"dateTime": "2024-04-23T10:00:00-07:00"},
    }
    result = normalise_event(payload, OWNER)
    assert isinstance(result, SkippedEvent)
    assert "deletion marker" in result.reason
    assert result.source_id == "evt1_20240423T170000Z"


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"start": None}, "no start"),
        ({"start": {"dateTime": "tomorrow at ten"}}, "start"),
        ({"end": {"date": "2024-13-45"}}, "end"),
        ({"end": {"dateTime": "2024-04-16T09:00:00-07:00"}}, "before start"),
        ({"id": None, "iCalUID": None}, "no iCalUID"),
    ],
)
def test_normalise_google_bad_event_is_skipped_with_reason(
    fields: dict[str, object], words: str
) -> None:
    payload = {k: v for k, v in _event(**fields).items() if v is not None}
    result = normalise_event(payload, OWNER)
    assert isinstance(result, SkippedEvent)
    assert words in result.reason


def test_normalise_google_unknown_zone_falls_back_to_default() -> None:
    payload = _event(
        start={"dateTime": "2024-01-15T09:00:00", "timeZone": "Mars/Olympus"},
        end={"dateTime": "2024-01-15T10:00:00", "timeZone": "Mars/Olympus"},
    )
    assert _meeting(payload, "UTC").start == datetime(2024, 1, 15, 9, tzinfo=UTC)


def test_normalise_google_bad_default_tz_is_skipped() -> None:
    result = normalise_event(_event(), OWNER, "Not/AZone")
    assert isinstance(result, SkippedEvent)
    assert "Not/AZone" in result.reason


def test_normalise_google_not_a_mapping_is_skipped() -> None:
    result = normalise_event(["a", "list"], OWNER)  # type: ignore[arg-type]  # bad input on purpose
    assert isinstance(result, SkippedEvent)
    assert "not a JSON object" in result.reason


def test_normalise_google_keeps_location_and_description() -> None:
    meeting = _meeting(_event(location=" 1 Main St ", description="<b>agenda</b>"))
    assert meeting.location == "1 Main St"
    assert meeting.description == "<b>agenda</b>"


def test_normalise_google_owner_invited_through_group_is_added() -> None:
    payload = _event(
        organizer={"email": "boss@example.com"},
        attendees=[
            {"email": "boss@example.com", "organizer": True, "responseStatus": "accepted"},
            {"email": "team@example.com", "responseStatus": "needsAction"},
        ],
    )
    attendees = _meeting(payload).attendees
    assert attendees is not None
    assert [(a.email, a.is_owner, a.response) for a in attendees][-1] == (
        OWNER,
        True,
        Response.UNKNOWN,
    )
    assert len(attendees) == 3


def test_normalise_google_empty_attendee_list_is_owner_alone() -> None:
    attendees = _meeting(_event(attendees=[])).attendees
    assert attendees is not None
    assert [(a.email, a.is_owner, a.organizer) for a in attendees] == [(OWNER, True, True)]
