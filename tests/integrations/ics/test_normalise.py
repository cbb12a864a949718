"""read_events / normalise_vevent: one VEVENT -> one Meeting or a SkippedEvent with a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from integrations.ics import InvalidFeed, normalise_vevent, read_events
from service.domain.model import (
    AttendeeKind,
    EntryPointKind,
    EventStatus,
    EventType,
    Meeting,
    Response,
)
from service.domain.port import SkippedEvent
from tests.integrations.ics.icsdata import OWNER, calendar, vevent


def one(data: bytes, default_tz: str = "UTC") -> Meeting:
    items = list(read_events(data, OWNER, default_tz))
    assert len(items) == 1
    item = items[0]
    assert isinstance(item, Meeting), item
    return item


def test_read_events_zoned_times_converted_to_utc() -> None:
    meeting = one(
        calendar(
            vevent(
                "DTSTART;TZID=Europe/Berlin:20240715T100000",
                "DTEND;TZID=Europe/Berlin:20240715T110000",
                "SUMMARY:Sync",
            )
        )
    )
    assert meeting.start == datetime(2024, 7, 15, 8, tzinfo=UTC)
    assert meeting.end == datetime(2024, 7, 15, 9, tzinfo=UTC)
    assert meeting.title == "Sync"
    assert meeting.timezone == "Europe/Berlin"
    assert meeting.original_start == meeting.start
    assert meeting.series_id is None


def test_read_events_windows_tzid_resolved() -> None:
    meeting = one(
        calendar(
            vevent(
                "DTSTART;TZID=W. Europe Standard Time:20240115T100000",
                "DTEND;TZID=W. Europe Standard Time:20240115T103000",
            )
        )
    )
    assert meeting.start == datetime(2024, 1, 15, 9, tzinfo=UTC)
    assert meeting.duration == timedelta(minutes=30)


def test_read_events_unknown_tzid_falls_back_to_default_tz() -> None:
    meeting = one(
        calendar(vevent("DTSTART;TZID=Nowhere/Atlantis:20240115T100000", "DURATION:PT1H")),
        default_tz="America/New_York",
    )
    assert meeting.start == datetime(2024, 1, 15, 15, tzinfo=UTC)
    assert meeting.end == datetime(2024, 1, 15, 16, tzinfo=UTC)


def test_read_events_custom_vtimezone_tzid_used() -> None:
    vtimezone = "\r\n".join(
        [
            "BEGIN:VTIMEZONE",
            "TZID:(UTC-03:00) Brasília",
            "BEGIN:STANDARD",
            "DTSTART:16010101T000000",
            "TZOFFSETFROM:-0300",
            "TZOFFSETTO:-0300",
            "END:STANDARD",
            "END:VTIMEZONE",
        ]
    )
    meeting = one(
        calendar(
            vtimezone,
            vevent(
                'DTSTART;TZID="(UTC-03:00) Brasília":20240115T100000',
                'DTEND;TZID="(UTC-03:00) Brasília":20240115T110000',
            ),
        )
    )
    assert meeting.start == datetime(2024, 1, 15, 13, tzinfo=UTC)


def fixed_zone(tzid: str, offset: str) -> str:
    return "\r\n".join(
        [
            "BEGIN:VTIMEZONE",
            f"TZID:{tzid}",
            "BEGIN:STANDARD",
            "DTSTART:16010101T000000",
            f"TZOFFSETFROM:{offset}",
            f"TZOFFSETTO:{offset}",
            "END:STANDARD",
            "END:VTIMEZONE",
        ]
    )


def test_read_events_same_custom_tzid_in_two_feeds_each_uses_its_own() -> None:
    # icalendar caches custom VTIMEZONEs process-wide by TZID: one feed must never decide
    # what another feed's times mean.
    event = vevent("DTSTART;TZID=Custom Zone:20240115T100000")
    first = one(calendar(fixed_zone("Custom Zone", "+0500"), event))
    second = one(calendar(fixed_zone("Custom Zone", "-0300"), event))
    assert first.start == datetime(2024, 1, 15, 5, tzinfo=UTC)
    assert second.start == datetime(2024, 1, 15, 13, tzinfo=UTC)


def test_read_events_floating_time_uses_default_tz() -> None:
    meeting = one(
        calendar(vevent("DTSTART:20240115T100000", "DTEND:20240115T110000")),
        default_tz="Asia/Tokyo",
    )
    assert meeting.start == datetime(2024, 1, 15, 1, tzinfo=UTC)


def test_read_events_x_wr_timezone_applies_to_floating_and_all_day() -> None:
    data = calendar(
        vevent("DTSTART:20240115T100000", "DTEND:20240115T110000", uid="a"),
        vevent("DTSTART;VALUE=DATE:20240116", uid="b"),
        header=("X-WR-TIMEZONE:America/Los_Angeles",),
    )
    first, second = (item for item in read_events(data, OWNER) if isinstance(item, Meeting))
    assert first.start == datetime(2024, 1, 15, 18, tzinfo=UTC)
    assert second.all_day
    assert second.start == datetime(2024, 1, 16, 8, tzinfo=UTC)
    assert second.duration == timedelta(days=1)


def test_read_events_all_day_without_end_lasts_one_day() -> None:
    meeting = one(calendar(vevent("DTSTART;VALUE=DATE:20240301")), default_tz="Europe/Paris")
    assert meeting.all_day
    assert meeting.start == datetime(2024, 2, 29, 23, tzinfo=UTC)
    assert meeting.duration == timedelta(days=1)


def test_read_events_timed_without_end_or_duration_is_zero_length() -> None:
    meeting = one(calendar(vevent("DTSTART:20240301T120000Z")))
    assert meeting.duration == timedelta(0)


def test_read_events_duration_sets_end() -> None:
    meeting = one(calendar(vevent("DTSTART:20240301T120000Z", "DURATION:PT45M")))
    assert meeting.end == datetime(2024, 3, 1, 12, 45, tzinfo=UTC)


def test_read_events_missing_uid_derives_stable_uid() -> None:
    data = calendar(vevent("DTSTART:20240301T120000Z", "SUMMARY:No uid", uid=None))
    first, second = one(data), one(data)
    assert first.uid.startswith("rapport-derived-")
    assert first.uid == second.uid
    other = one(calendar(vevent("DTSTART:20240301T130000Z", "SUMMARY:No uid", uid=None)))
    assert other.uid != first.uid


def test_read_events_missing_summary_is_empty_title() -> None:
    assert one(calendar(vevent("DTSTART:20240301T120000Z"))).title == ""


def test_read_events_attendees_typed() -> None:
    meeting = one(
        calendar(
            vevent(
                "DTSTART:20240301T120000Z",
                "DTEND:20240301T130000Z",
                "ORGANIZER;CN=Olga Org:mailto:Olga@Example.com",
                "ATTENDEE;CN=Olga Org;PARTSTAT=ACCEPTED:mailto:olga@example.com",
                "ATTENDEE;CUTYPE=INDIVIDUAL;PARTSTAT=TENTATIVE;CN=Owner:MAILTO:OWNER@EXAMPLE.COM",
                "ATTENDEE;CUTYPE=ROOM;PARTSTAT=ACCEPTED;CN=Room 1:mailto:room1@example.com",
                "ATTENDEE;CUTYPE=RESOURCE:mailto:projector@example.com",
                "ATTENDEE;CUTYPE=GROUP;PARTSTAT=NEEDS-ACTION:mailto:team@example.com",
                "ATTENDEE;CUTYPE=UNKNOWN;PARTSTAT=DECLINED:mailto:who@example.com",
                "ATTENDEE;ROLE=OPT-PARTICIPANT;PARTSTAT=DECLINED:mailto:opt@example.com",
                "ATTENDEE;ROLE=NON-PARTICIPANT:mailto:fyi@example.com",
                "ATTENDEE;CUTYPE=X-ODD;PARTSTAT=DELEGATED:mailto:odd@example.com",
            )
        )
    )
    assert meeting.attendees is not None
    by_email = {a.email: a for a in meeting.attendees}
    assert meeting.organizer == "olga@example.com"
    assert by_email["olga@example.com"].organizer
    assert by_email["olga@example.com"].name == "Olga Org"
    owner = by_email["owner@example.com"]
    assert owner.is_owner
    assert owner.response is Response.TENTATIVE
    assert not owner.organizer
    assert by_email["room1@example.com"].kind is AttendeeKind.ROOM
    assert by_email["projector@example.com"].kind is AttendeeKind.RESOURCE
    assert by_email["team@example.com"].kind is AttendeeKind.GROUP
    assert by_email["team@example.com"].response is Response.NEEDS_ACTION
    assert by_email["who@example.com"].kind is AttendeeKind.UNKNOWN
    assert by_email["who@example.com"].response is Response.DECLINED
    assert by_email["opt@example.com"].optional
    assert by_email["fyi@example.com"].optional
    assert by_email["odd@example.com"].kind is AttendeeKind.UNKNOWN
    assert by_email["odd@example.com"].response is Response.UNKNOWN
    assert sum(a.is_owner for a in meeting.attendees) == 1


def test_read_events_organizer_missing_from_attendees_added_as_accepted() -> None:
    meeting = one(
        calendar(
            vevent(
                "DTSTART:20240301T120000Z",
                "ORGANIZER;CN=Boss:mailto:boss@example.com",
                "ATTENDEE;PARTSTAT=ACCEPTED:mailto:owner@example.com",
            )
        )
    )
    assert meeting.attendees is not None
    organizer = next(a for a in meeting.attendees if a.organizer)
    assert organizer.email == "boss@example.com"
    assert organizer.response is Response.ACCEPTED
    assert organizer.name == "Boss"
    assert len(meeting.attendees) == 2


def test_read_events_no_attendees_no_organizer_is_owners_own_event() -> None:
    meeting = one(calendar(vevent("DTSTART:20240301T120000Z")))
    assert meeting.attendees is not None
    assert [(a.email, a.is_owner) for a in meeting.attendees] == [("owner@example.com", True)]


def test_read_events_foreign_organizer_without_attendees_is_unknown() -> None:
    meeting = one(
        calendar(vevent("DTSTART:20240301T120000Z", "ORGANIZER:mailto:someone@example.org"))
    )
    assert meeting.attendees is None
    assert meeting.organizer == "someone@example.org"


def test_read_events_non_mail_attendee_kept_without_address() -> None:
    meeting = one(
        calendar(
            vevent(
                "DTSTART:20240301T120000Z",
                "ATTENDEE;CN=Phone:urn:uuid:1234",
                "ATTENDEE:mailto:owner@example.com",
            )
        )
    )
    assert meeting.attendees is not None
    assert {a.email for a in meeting.attendees} == {None, "owner@example.com"}


def test_read_events_status_transparency_and_busy_status() -> None:
    data = calendar(
        vevent("DTSTART:20240301T120000Z", "STATUS:CANCELLED", uid="c"),
        vevent("DTSTART:20240301T120000Z", "STATUS:TENTATIVE", "TRANSP:TRANSPARENT", uid="t"),
        vevent("DTSTART:20240301T120000Z", "X-MICROSOFT-CDO-BUSYSTATUS:OOF", uid="o"),
        vevent("DTSTART:20240301T120000Z", "X-MICROSOFT-CDO-INTENDEDSTATUS:OOF", uid="i"),
        vevent("DTSTART:20240301T120000Z", "X-MICROSOFT-CDO-BUSYSTATUS:FREE", uid="f"),
    )
    meetings = {m.uid: m for m in read_events(data, OWNER) if isinstance(m, Meeting)}
    assert meetings["c"].status is EventStatus.CANCELLED
    assert meetings["t"].status is EventStatus.TENTATIVE
    assert meetings["t"].transparent
    assert meetings["o"].event_type is EventType.OUT_OF_OFFICE
    assert meetings["i"].event_type is EventType.OUT_OF_OFFICE
    assert meetings["f"].transparent
    assert meetings["f"].event_type is EventType.DEFAULT


def test_read_events_links_and_conference() -> None:
    meeting = one(
        calendar(
            vevent(
                "DTSTART:20240301T120000Z",
                "URL:https://example.com/event/1",
                "X-GOOGLE-CONFERENCE:https://meet.google.com/abc-defg-hij",
                "X-MICROSOFT-SKYPETEAMSMEETINGURL:https://teams.microsoft.com/l/meetup-join/x",
                "LOCATION:Room 4\\, Main St",
                "DESCRIPTION:Agenda\\nJoin: https://zoom.us/j/123",
            )
        )
    )
    assert "https://meet.google.com/abc-defg-hij" in meeting.links
    assert "https://teams.microsoft.com/l/meetup-join/x" in meeting.links
    assert "https://example.com/event/1" in meeting.links
    assert meeting.conference is not None
    assert meeting.online_provider_hint in {"google_meet", "teams"}
    assert meeting.location == "Room 4, Main St"
    assert meeting.description is not None
    assert "zoom.us" in meeting.description


def test_read_events_vendor_link_is_the_conference_entry_point() -> None:
    meeting = one(
        calendar(
            vevent(
                "DTSTART:20240301T120000Z",
                "URL:https://intranet.example.com/event/9",
                "X-GOOGLE-CONFERENCE:https://meet.google.com/abc-defg-hij",
            )
        )
    )
    assert meeting.conference is not None
    assert meeting.conference.solution == "hangoutsMeet"
    assert [e.uri for e in meeting.conference.entry_points] == [
        "https://meet.google.com/abc-defg-hij"
    ]
    assert meeting.online_provider_hint == "google_meet"


def test_read_events_rfc7986_conference_entry_points() -> None:
    meeting = one(
        calendar(
            vevent(
                "DTSTART:20240301T120000Z",
                "CONFERENCE;VALUE=URI;FEATURE=VIDEO,AUDIO;LABEL=Join:https://video.example.com/r/1",
                "CONFERENCE;VALUE=URI;FEATURE=PHONE;LABEL=Dial in:tel:+1-555-0100,,123#",
            )
        )
    )
    assert meeting.conference is not None
    kinds = [(e.kind, e.uri, e.label) for e in meeting.conference.entry_points]
    assert kinds == [
        (EntryPointKind.VIDEO, "https://video.example.com/r/1", "Join"),
        (EntryPointKind.PHONE, "tel:+1-555-0100,,123#", "Dial in"),
    ]


def test_read_events_recurrence_fields_mark_series() -> None:
    data = calendar(
        vevent("DTSTART:20240301T120000Z", "RRULE:FREQ=WEEKLY", uid="s"),
        vevent("RECURRENCE-ID:20240308T120000Z", "DTSTART:20240308T150000Z", uid="s"),
    )
    master, override = (m for m in read_events(data, OWNER) if isinstance(m, Meeting))
    assert master.series_id == "s"
    assert override.series_id == "s"
    assert override.original_start == datetime(2024, 3, 8, 12, tzinfo=UTC)
    assert override.start == datetime(2024, 3, 8, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (("DTSTART:garbage",), "DTSTART"),
        (("SUMMARY:no start",), "no DTSTART"),
        (("DTSTART:20240301T120000Z", "DTEND:20240301T110000Z"), "ends before it starts"),
        (("DTSTART:20240301T120000Z", "DURATION:soon"), "DURATION"),
        (("DTSTART:20240301T120000Z", "RECURRENCE-ID:yesterday"), "RECURRENCE-ID"),
    ],
)
def test_read_events_broken_vevent_skipped_rest_loads(lines: tuple[str, ...], reason: str) -> None:
    data = calendar(
        vevent("DTSTART:20240301T090000Z", uid="good-1"),
        vevent(*lines, uid="bad"),
        vevent("DTSTART:20240302T090000Z", uid="good-2"),
    )
    items = list(read_events(data, OWNER))
    assert [i.uid for i in items if isinstance(i, Meeting)] == ["good-1", "good-2"]
    skipped = [i for i in items if isinstance(i, SkippedEvent)]
    assert len(skipped) == 1
    assert skipped[0].source_id == "bad"
    assert reason in skipped[0].reason


def test_read_events_not_icalendar_raises_clear_error() -> None:
    with pytest.raises(InvalidFeed, match="not an iCalendar feed"):
        list(read_events(b"<html>login</html>", OWNER))


def test_read_events_bad_default_tz_raises_clear_error() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        list(read_events(calendar(), OWNER, "Mars/Olympus"))


def test_normalise_vevent_single_event() -> None:
    event = icalendar.Event()
    event.add("UID", "one")
    event.add("DTSTART", datetime(2024, 5, 1, 9, tzinfo=UTC))
    event.add("DTEND", datetime(2024, 5, 1, 10, tzinfo=UTC))
    result = normalise_vevent(event, OWNER, "UTC")
    assert isinstance(result, Meeting)
    assert result.uid == "one"
    assert result.owner == OWNER


def test_normalise_vevent_end_before_start_is_skipped() -> None:
    event = icalendar.Event()
    event.add("UID", "backwards")
    event.add("DTSTART", datetime(2024, 5, 1, 9, tzinfo=UTC))
    event.add("DTEND", datetime(2024, 5, 1, 8, tzinfo=UTC))
    result = normalise_vevent(event, OWNER, "UTC")
    assert isinstance(result, SkippedEvent)
    assert result.source_id == "backwards"


def test_read_events_parameters_spilled_into_address_salvaged() -> None:
    # Confluence writes its parameters after the colon: the address is still at the end.
    meeting = one(
        calendar(
            vevent(
                "DTSTART:20240301T120000Z",
                "ATTENDEE:X-CONFLUENCE-USER-KEY=8a4a;CN=Dana;CUTYPE=INDIVIDUAL:mailto:dana@example.com",
            )
        )
    )
    assert meeting.attendees is not None
    assert [a.email for a in meeting.attendees] == ["dana@example.com"]


def test_read_events_owner_not_email_raises_clear_error() -> None:
    with pytest.raises(ValueError, match="owner 'nobody'"):
        list(read_events(calendar(vevent("DTSTART:20240301T120000Z")), "nobody"))
    with pytest.raises(ValueError, match="owner 'nobody'"):
        normalise_vevent(icalendar.Event(), "nobody", "UTC")
