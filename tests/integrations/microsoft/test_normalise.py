"""The Microsoft Graph event normaliser: each field mapping, Windows zones, people and bad input."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

import integrations.microsoft
from integrations.microsoft import normalise_event
from integrations.microsoft.windows_zones import WINDOWS_TO_IANA
from service.domain.model import (
    AttendeeKind,
    EntryPointKind,
    EventStatus,
    EventType,
    Meeting,
    Response,
)
from service.domain.port import SkippedEvent

OWNER = "adele@contoso.example"
TEAMS = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0"


def _attendee(address: str, kind: str = "required", response: str = "accepted") -> object:
    return {
        "type": kind,
        "status": {"response": response, "time": "2024-04-02T16:11:48.1032191Z"},
        "emailAddress": {"name": address.split("@")[0].title(), "address": address},
    }


def _event(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "AAMkAGI=",
        "iCalUId": "040000008200E00074C5B7101A82E008",
        "subject": "Sync",
        "isOrganizer": False,
        "organizer": {"emailAddress": {"name": "Alex", "address": "alex@contoso.example"}},
        "start": {"dateTime": "2024-04-16T17:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2024-04-16T17:30:00.0000000", "timeZone": "UTC"},
        "attendees": [_attendee(OWNER)],
    }
    base.update(fields)
    return base


def _meeting(payload: Mapping[str, object], default_tz: str = "UTC") -> Meeting:
    result = normalise_event(payload, OWNER, default_tz)
    assert isinstance(result, Meeting), result
    return result


def test_export_package_api_is_connector_client_and_normaliser() -> None:
    assert integrations.microsoft.__all__ == [
        "ClientConfig",
        "GraphClient",
        "InvalidAccount",
        "MailboxUnavailable",
        "MicrosoftAccount",
        "MicrosoftConnector",
        "SyncConfig",
        "normalise_event",
    ]


def test_table_windows_zones_cover_cldr_and_resolve() -> None:
    assert len(WINDOWS_TO_IANA) >= 135
    for windows, iana in WINDOWS_TO_IANA.items():
        assert ZoneInfo(iana).key == iana, windows
    assert WINDOWS_TO_IANA["Pacific Standard Time"] == "America/Los_Angeles"
    assert WINDOWS_TO_IANA["W. Europe Standard Time"] == "Europe/Berlin"
    assert WINDOWS_TO_IANA["India Standard Time"] == "Asia/Calcutta"


def test_normalise_graph_seven_fractional_digits() -> None:
    payload = _event(
        start={"dateTime": "2024-04-16T17:00:00.1234567", "timeZone": "UTC"},
        end={"dateTime": "2024-04-16T17:30:00.9999999", "timeZone": "UTC"},
    )
    meeting = _meeting(payload)
    assert meeting.start == datetime(2024, 4, 16, 17, 0, 0, 123456, tzinfo=UTC)
    assert meeting.end == datetime(2024, 4, 16, 17, 30, 0, 999999, tzinfo=UTC)
    assert meeting.uid == "040000008200E00074C5B7101A82E008"
    assert meeting.source_id == "AAMkAGI="


@pytest.mark.parametrize(
    ("zone", "local", "utc_hour"),
    [
        ("Pacific Standard Time", "2024-01-15T09:00:00.0000000", 17),  # PST
        ("Pacific Standard Time", "2024-07-15T09:00:00.0000000", 16),  # PDT
        ("W. Europe Standard Time", "2024-01-15T09:00:00.0000000", 8),
        ("W. Europe Standard Time", "2024-07-15T09:00:00.0000000", 7),
        ("India Standard Time", "2024-07-15T09:00:00.0000000", 3),
        ("UTC", "2024-07-15T09:00:00.0000000", 9),
        ("Europe/London", "2024-07-15T09:00:00.0000000", 8),
    ],
)
def test_normalise_graph_windows_and_iana_zones(zone: str, local: str, utc_hour: int) -> None:
    payload = _event(
        start={"dateTime": local, "timeZone": zone}, end={"dateTime": local, "timeZone": zone}
    )
    meeting = _meeting(payload)
    assert meeting.start.hour == utc_hour
    assert meeting.start.minute == (30 if zone == "India Standard Time" else 0)


def test_normalise_graph_dst_spring_forward_duration() -> None:
    payload = _event(
        start={"dateTime": "2024-03-10T01:30:00.0000000", "timeZone": "Pacific Standard Time"},
        end={"dateTime": "2024-03-10T03:30:00.0000000", "timeZone": "Pacific Standard Time"},
    )
    meeting = _meeting(payload)
    assert meeting.duration.total_seconds() == 3600
    assert meeting.timezone == "America/Los_Angeles"


def test_normalise_graph_custom_zone_falls_back_to_default() -> None:
    payload = _event(
        start={"dateTime": "2024-01-15T09:00:00.0000000", "timeZone": "Customized Time Zone"},
        end={"dateTime": "2024-01-15T10:00:00.0000000", "timeZone": "Customized Time Zone"},
    )
    assert _meeting(payload, "Europe/Berlin").start == datetime(2024, 1, 15, 8, tzinfo=UTC)


def test_normalise_graph_default_tz_may_be_windows_name() -> None:
    payload = _event(
        start={"dateTime": "2024-01-15T09:00:00.0000000"},
        end={"dateTime": "2024-01-15T10:00:00.0000000"},
    )
    assert _meeting(payload, "Eastern Standard Time").start.hour == 14


def test_normalise_graph_all_day_is_local_date() -> None:
    payload = _event(
        isAllDay=True,
        start={"dateTime": "2024-05-02T00:00:00.0000000", "timeZone": "UTC"},
        end={"dateTime": "2024-05-03T00:00:00.0000000", "timeZone": "UTC"},
    )
    meeting = _meeting(payload, "America/New_York")
    assert meeting.all_day
    assert meeting.start == datetime(2024, 5, 2, 4, tzinfo=UTC)
    assert meeting.end == datetime(2024, 5, 3, 4, tzinfo=UTC)


def test_normalise_graph_recurrence_fields() -> None:
    payload = _event(
        type="occurrence", seriesMasterId="MASTER=", originalStart="2024-04-16T17:00:00Z"
    )
    meeting = _meeting(payload)
    assert meeting.series_id == "MASTER="
    assert meeting.original_start == datetime(2024, 4, 16, 17, tzinfo=UTC)
    master = _meeting(_event(type="seriesMaster"))
    assert master.series_id == "AAMkAGI="


def test_normalise_graph_teams_online_meeting() -> None:
    payload = _event(
        isOnlineMeeting=True,
        onlineMeetingProvider="teamsForBusiness",
        onlineMeeting={
            "joinUrl": TEAMS,
            "conferenceId": "618204773",
            "tollNumber": "+1 323-555-0144",
            "tollFreeNumbers": ["+1 800-555-0110", 7],
            "phones": [
                {"number": "+44 20 3855 4748", "type": "toll"},
                {"number": "+1 323-555-0144"},
            ],
        },
        body={"contentType": "html", "content": "<p>Join</p>"},
    )
    meeting = _meeting(payload)
    assert meeting.online_provider_hint == "teamsForBusiness"
    assert meeting.description == "<p>Join</p>"
    conference = meeting.conference
    assert conference is not None
    assert conference.solution == "teamsForBusiness"
    assert conference.entry_points[0].kind is EntryPointKind.VIDEO
    assert conference.entry_points[0].uri == TEAMS
    phones = [p.uri for p in conference.entry_points if p.kind is EntryPointKind.PHONE]
    assert phones == ["tel:+1 323-555-0144", "tel:+1 800-555-0110", "tel:+44 20 3855 4748"]


def test_normalise_graph_provider_hint_only_when_online() -> None:
    meeting = _meeting(_event(isOnlineMeeting=False, onlineMeetingProvider="teamsForBusiness"))
    assert meeting.online_provider_hint is None
    assert meeting.conference is None


def test_normalise_graph_deprecated_online_meeting_url_is_a_link() -> None:
    assert _meeting(_event(onlineMeetingUrl=TEAMS)).links == (TEAMS,)


def test_normalise_graph_body_preview_when_no_body() -> None:
    assert _meeting(_event(bodyPreview="Call me")).description == "Call me"


def test_normalise_graph_attendees_typed() -> None:
    payload = _event(
        attendees=[
            _attendee(OWNER, response="none"),
            _attendee("opt@contoso.example", "optional", "tentativelyAccepted"),
            _attendee("no@contoso.example", response="declined"),
            _attendee("rainier@contoso.example", "resource"),
            _attendee("projector@contoso.example", "resource"),
            {
                "type": "resource",
                "emailAddress": {"name": "Building 9 Room 1012", "address": "b9@c.x"},
            },
            {"type": "required"},
        ],
        locations=[
            {
                "displayName": "Conf Room Rainier",
                "locationType": "conferenceRoom",
                "locationEmailAddress": "rainier@contoso.example",
            }
        ],
        responseStatus={"response": "tentativelyAccepted"},
    )
    meeting = _meeting(payload)
    attendees = meeting.attendees
    assert attendees is not None
    by_email = {a.email: a for a in attendees}
    organizer = by_email["alex@contoso.example"]
    assert organizer.organizer
    assert organizer.response is Response.ACCEPTED
    assert by_email[OWNER].is_owner
    assert by_email[OWNER].response is Response.TENTATIVE  # responseStatus wins for the owner
    assert by_email["opt@contoso.example"].optional
    assert by_email["opt@contoso.example"].response is Response.TENTATIVE
    assert by_email["no@contoso.example"].response is Response.DECLINED
    assert by_email["rainier@contoso.example"].kind is AttendeeKind.ROOM
    assert by_email["projector@contoso.example"].kind is AttendeeKind.RESOURCE
    assert by_email["b9@c.x"].kind is AttendeeKind.ROOM
    assert len(attendees) == 7  # the address-less attendee is dropped, the organizer added
    assert meeting.location == "Conf Room Rainier"


def test_normalise_graph_room_location_becomes_room_attendee() -> None:
    payload = _event(
        locations=[
            {"displayName": "Microsoft Teams Meeting", "locationType": "default"},
            {
                "displayName": "Conf Room Adams",
                "locationType": "conferenceRoom",
                "uniqueId": "Adams@Contoso.example",
                "uniqueIdType": "directory",
            },
            {"displayName": "Board Room", "locationType": "conferenceRoom"},
        ]
    )
    meeting = _meeting(payload)
    assert meeting.location == "Microsoft Teams Meeting; Conf Room Adams; Board Room"
    assert meeting.attendees is not None
    rooms = [(a.email, a.name) for a in meeting.attendees if a.kind is AttendeeKind.ROOM]
    assert rooms == [("adams@contoso.example", "Conf Room Adams"), (None, "Board Room")]


def test_normalise_graph_single_location_used_without_locations() -> None:
    payload = _event(location={"displayName": "1 Microsoft Way", "locationType": "streetAddress"})
    assert _meeting(payload).location == "1 Microsoft Way"


def test_normalise_graph_owner_organizer_added_when_missing() -> None:
    payload = _event(
        isOrganizer=True,
        organizer={"emailAddress": {"name": "Adele", "address": OWNER.upper()}},
        attendees=[_attendee("bob@contoso.example", response="none")],
    )
    meeting = _meeting(payload)
    assert meeting.organizer == OWNER
    assert meeting.attendees is not None
    owner = meeting.attendees[0]
    assert (owner.email, owner.is_owner, owner.organizer) == (OWNER, True, True)
    assert owner.response is Response.ACCEPTED


def test_normalise_graph_personal_appointment_is_owner_alone() -> None:
    payload = _event(
        isOrganizer=True,
        organizer={"emailAddress": {"name": "Adele", "address": OWNER}},
        attendees=[],
    )
    attendees = _meeting(payload).attendees
    assert attendees is not None
    assert [(a.email, a.is_owner) for a in attendees] == [(OWNER, True)]


@pytest.mark.parametrize(
    ("show_as", "event_type", "transparent"),
    [
        ("free", EventType.DEFAULT, True),
        ("oof", EventType.OUT_OF_OFFICE, False),
        ("workingElsewhere", EventType.WORKING_LOCATION, False),
        ("busy", EventType.DEFAULT, False),
        ("tentative", EventType.DEFAULT, False),
        ("unknown", EventType.DEFAULT, False),
    ],
)
def test_normalise_graph_show_as(show_as: str, event_type: EventType, transparent: bool) -> None:
    meeting = _meeting(_event(showAs=show_as))
    assert meeting.event_type is event_type
    assert meeting.transparent is transparent


def test_normalise_graph_cancelled() -> None:
    assert _meeting(_event(isCancelled=True)).status is EventStatus.CANCELLED


def test_normalise_graph_removed_entry_is_skipped() -> None:
    result = normalise_event({"id": "AAMk=", "@removed": {"reason": "deleted"}}, OWNER)
    assert result == SkippedEvent("AAMk=", "removed")


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"start": None}, "no start"),
        ({"start": {"dateTime": "soon", "timeZone": "UTC"}}, "start.dateTime"),
        ({"end": {"dateTime": "2024-04-16T16:00:00.0000000", "timeZone": "UTC"}}, "before"),
        ({"id": None, "iCalUId": None}, "no iCalUId"),
    ],
)
def test_normalise_graph_bad_event_is_skipped_with_reason(
    fields: dict[str, object], words: str
) -> None:
    payload = {k: v for k, v in _event(**fields).items() if v is not None}
    result = normalise_event(payload, OWNER)
    assert isinstance(result, SkippedEvent)
    assert words in result.reason


def test_normalise_graph_bad_default_tz_is_skipped() -> None:
    result = normalise_event(_event(), OWNER, "Nowhere Standard Time")
    assert isinstance(result, SkippedEvent)
    assert "Nowhere Standard Time" in result.reason


def test_normalise_graph_organizer_alias_is_owner() -> None:
    payload = _event(
        isOrganizer=True,
        organizer={"emailAddress": {"name": "Adele", "address": "adele.vance@contoso.example"}},
        attendees=[_attendee("bob@contoso.example")],
    )
    attendees = _meeting(payload).attendees
    assert attendees is not None
    assert [(a.email, a.is_owner) for a in attendees] == [
        ("adele.vance@contoso.example", True),
        ("bob@contoso.example", False),
    ]


def test_normalise_graph_owner_invited_through_group_is_added() -> None:
    payload = _event(
        attendees=[_attendee("team@contoso.example")],
        responseStatus={"response": "accepted", "time": "2024-04-02T16:11:48Z"},
    )
    attendees = _meeting(payload).attendees
    assert attendees is not None
    assert [(a.email, a.is_owner, a.response) for a in attendees] == [
        ("alex@contoso.example", False, Response.ACCEPTED),
        ("team@contoso.example", False, Response.ACCEPTED),
        (OWNER, True, Response.ACCEPTED),
    ]


def test_normalise_graph_display_zone_from_original_start_time_zone() -> None:
    assert _meeting(_event()).timezone == "Etc/UTC"  # Graph's "UTC", through the CLDR table
    payload = _event(originalStartTimeZone="Tokyo Standard Time")
    assert _meeting(payload).timezone == "Asia/Tokyo"
    custom = _event(originalStartTimeZone="tzone://Microsoft/Custom")
    assert _meeting(custom).timezone == "Etc/UTC"


def test_normalise_graph_location_uri_is_a_link() -> None:
    payload = _event(
        onlineMeetingUrl=TEAMS,
        locations=[
            {"displayName": "Zoom", "locationUri": "https://zoom.us/j/123"},
            {"displayName": "HQ", "locationUri": "geo:47.6,-122.1"},
            {"displayName": "Again", "locationUri": TEAMS},
        ],
    )
    assert _meeting(payload).links == (TEAMS, "https://zoom.us/j/123")
