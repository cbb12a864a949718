"""Turn the sample's specs into each person's iCalendar feed, as a calendar would export it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar

from scripts.samplegen.people import BY_KEY, EXPORTED, PARTIES, Person
from scripts.samplegen.spec import Override, Spec, on_day

PRODID = "-//Google Inc//Google Calendar 70.9054//EN"

# Written out rather than generated from the local tz database, so the bytes do not depend
# on the machine; these are the rules Google and Outlook export for these zones.
_VTIMEZONES: dict[str, str] = {
    "Europe/London": """BEGIN:VTIMEZONE
TZID:Europe/London
X-LIC-LOCATION:Europe/London
BEGIN:DAYLIGHT
TZOFFSETFROM:+0000
TZOFFSETTO:+0100
TZNAME:BST
DTSTART:19700329T010000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0100
TZOFFSETTO:+0000
TZNAME:GMT
DTSTART:19701025T020000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
""",
    "America/New_York": """BEGIN:VTIMEZONE
TZID:America/New_York
X-LIC-LOCATION:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE
""",
    "Asia/Kolkata": """BEGIN:VTIMEZONE
TZID:Asia/Kolkata
X-LIC-LOCATION:Asia/Kolkata
BEGIN:STANDARD
TZOFFSETFROM:+0530
TZOFFSETTO:+0530
TZNAME:IST
DTSTART:19700101T000000
END:STANDARD
END:VTIMEZONE
""",
}


def members(spec: Spec) -> tuple[str, ...]:
    """The staff whose calendars hold the event: organizer first, then invited people."""
    keys = [spec.organizer, *(invite.who for invite in spec.invites if invite.who in BY_KEY)]
    return tuple(dict.fromkeys(keys))


def _address(email: str, name: str, **params: str) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{email}")
    address.params["CN"] = name
    for key, value in params.items():
        address.params[key.replace("_", "-").upper()] = value
    return address


def _attendees(spec: Spec, answers: dict[str, str]) -> list[icalendar.vCalAddress]:
    if not spec.invites:
        return []
    organizer = BY_KEY[spec.organizer]
    found = [
        _address(
            organizer.email,
            organizer.name,
            cutype="INDIVIDUAL",
            role="REQ-PARTICIPANT",
            partstat="ACCEPTED",
            x_num_guests="0",
        )
    ]
    for invite in spec.invites:
        person = BY_KEY.get(invite.who)
        email, name, cutype = (
            (person.email, person.name, "INDIVIDUAL")
            if person
            else (PARTIES[invite.who].email, PARTIES[invite.who].name, PARTIES[invite.who].cutype)
        )
        partstat = answers.get(invite.who, invite.partstat)
        params = {"cutype": cutype, "role": invite.role, "partstat": partstat}
        if partstat == "NEEDS-ACTION":
            params["rsvp"] = "TRUE"
        found.append(_address(email, name, **params, x_num_guests="0"))
    return found


def _utc_day_end(spec: Spec, day: int) -> datetime:
    local_end = datetime.combine(on_day(day), time(23, 59, 59), tzinfo=ZoneInfo(spec.tz))
    return local_end.astimezone(UTC)


def _base(spec: Spec, start: datetime, sequence: int) -> icalendar.Event:
    event = icalendar.Event()
    if spec.all_day:
        event.add("dtstart", start.date())
        event.add("dtend", start.date() + timedelta(days=spec.all_day))
    else:
        event.add("dtstart", start)
        event.add("dtend", start + spec.duration)
    event.add("dtstamp", EXPORTED)
    event.add("uid", uid(spec))
    created = datetime.combine(on_day(spec.day - 7), time(12, 0), tzinfo=UTC)
    event.add("created", created)
    event.add("last-modified", created + timedelta(hours=sequence))
    event.add("sequence", sequence)
    event.add("summary", spec.title)
    return event


def _decorate(event: icalendar.Event, spec: Spec, answers: dict[str, str], status: str) -> None:
    if spec.invites:
        organizer = BY_KEY[spec.organizer]
        event.add("organizer", _address(organizer.email, organizer.name))
    for attendee in _attendees(spec, answers):
        event.add("attendee", attendee)
    location = spec.join.location if spec.join and not spec.location else spec.location
    if location:
        event.add("location", location)
    if spec.join:
        event.add("description", spec.join.description)
    event.add("status", status)
    event.add("transp", "TRANSPARENT" if spec.transparent else "OPAQUE")
    if spec.busy_status:
        event.add("x-microsoft-cdo-busystatus", spec.busy_status)
        event.add("x-microsoft-cdo-alldayevent", "TRUE")
    for name, value in (*(spec.join.extra if spec.join else ()), *spec.extra):
        event.add(name, value)


def uid(spec: Spec) -> str:
    """The event's UID: the same in every attendee's feed."""
    return f"{spec.key}-20251208@northwind.example"


def events(spec: Spec) -> list[icalendar.Event]:
    """The master event (with its recurrence rule) and one event per changed instance."""
    master = _base(spec, spec.start, 0)
    if spec.weekdays:
        rule: dict[str, object] = {"freq": "weekly", "byday": list(spec.weekdays)}
        if spec.until_day is not None:
            rule["until"] = _utc_day_end(spec, spec.until_day)
        master.add("rrule", rule)
    if spec.exdays:
        master.add("exdate", [spec.at(day) for day in spec.exdays])
    if spec.rdays:
        master.add("rdate", [spec.at(day) for day in spec.rdays])
    _decorate(master, spec, {}, spec.status)
    return [master, *(_override(spec, change) for change in spec.overrides)]


def _override(spec: Spec, change: Override) -> icalendar.Event:
    start = spec.at(change.day if change.new_day is None else change.new_day, change.new_time)
    event = _base(spec, start, 1)
    event.add("recurrence-id", spec.at(change.day))
    _decorate(event, spec, dict(change.partstats), "CANCELLED" if change.cancelled else "CONFIRMED")
    return event


def feed(person: Person, specs: Iterable[Spec]) -> bytes:
    """One person's calendar export: the events they organise or are invited to."""
    mine = [spec for spec in specs if person.key in members(spec)]
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", person.email)
    calendar.add("x-wr-timezone", person.timezone)
    for tzid in sorted({spec.tz for spec in mine if not spec.all_day}):
        calendar.add_component(icalendar.Timezone.from_ical(_VTIMEZONES[tzid]))
    for spec in sorted(mine, key=lambda item: (item.start.astimezone(UTC), item.key)):
        for event in events(spec):
            calendar.add_component(event)
    return bytes(calendar.to_ical())
