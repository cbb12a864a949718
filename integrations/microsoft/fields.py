"""Readers of single Graph event fields: every value type-checked, bad text refused.

Used by `normalise.py`; each reads one part of a v1.0 `event` into domain values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from integrations.microsoft.windows_zones import WINDOWS_TO_IANA
from integrations.payload import (
    MAX_ATTENDEES,
    MAX_TIME_TEXT,
    SkipEvent,
    flag,
    mapping,
    mappings,
    text,
    texts,
)
from service.domain.model import (
    Attendee,
    AttendeeKind,
    Conference,
    EntryPoint,
    EntryPointKind,
    EventType,
    Response,
    Sensitivity,
    normalise_email,
)
from service.domain.zones import known_zone

MAX_LOCATIONS = 50
MAX_PHONES = 50

_RESPONSES = {
    "accepted": Response.ACCEPTED,
    "organizer": Response.ACCEPTED,
    "tentativelyAccepted": Response.TENTATIVE,
    "declined": Response.DECLINED,
    "notResponded": Response.NEEDS_ACTION,
    "none": Response.NEEDS_ACTION,
}
SHOW_AS_TYPES = {"oof": EventType.OUT_OF_OFFICE, "workingElsewhere": EventType.WORKING_LOCATION}
_SOLUTIONS = {"teamsForBusiness", "skypeForBusiness", "skypeForConsumer"}
_SENSITIVITY = {
    "": Sensitivity.NORMAL,
    "normal": Sensitivity.NORMAL,
    "personal": Sensitivity.PERSONAL,
    "private": Sensitivity.PRIVATE,
    "confidential": Sensitivity.CONFIDENTIAL,
}
# Enum members bound once: reading one off its class costs as much as a call in 3.11.
_PERSON = AttendeeKind.PERSON
_UNKNOWN = Response.UNKNOWN
# Words in a resource's name that mark a bookable room rather than equipment.
_ROOM_NAME = re.compile(
    r"\b(room|rooms|conf|conference|boardroom|meeting ?room|huddle|auditorium|salle|sala|raum"
    r"|besprechung\w*|zaal|kokous\w*|mtg)\b",
    re.IGNORECASE,
)


def zone_for(name: str | None, default: ZoneInfo) -> ZoneInfo:
    """The zone of a Graph `timeZone`: a Windows or IANA name; the default when unknown."""
    if not name or len(name) > MAX_TIME_TEXT:
        return default
    # Custom zones ("Customized Time Zone", "tzone://Microsoft/Custom") carry no rules we can read.
    return known_zone(WINDOWS_TO_IANA.get(name, name)) or default


def moment(
    when: Mapping[str, object], field: str, default: ZoneInfo, all_day: bool
) -> datetime | None:
    """The UTC instant of a dateTimeTimeZone {dateTime, timeZone}; None when absent."""
    stamp = text(when, "dateTime")
    if stamp is None:
        return None
    zone = zone_for(text(when, "timeZone"), default)
    try:
        if len(stamp) > MAX_TIME_TEXT or len(stamp) < 10:
            raise ValueError(stamp[:MAX_TIME_TEXT])
        parsed = datetime.fromisoformat(stamp)  # 3.11 reads Graph's 7 fractional digits
    except (ValueError, OverflowError) as exc:
        raise SkipEvent(f"{field}.dateTime is not a valid date-time: {exc}") from None
    if all_day:
        # An all-day event is a calendar date, whatever zone Graph rendered its midnight in.
        day_zone = zone if zone.key not in ("UTC", "Etc/UTC") else default
        parsed = datetime.combine(parsed.date(), time(), tzinfo=day_zone)
    elif parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    try:
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise SkipEvent(f"{field}.dateTime is out of range: {exc}") from None


def original_start(payload: Mapping[str, object]) -> datetime | None:
    """`originalStart` is an Edm.DateTimeOffset ("2024-03-11T16:00:00Z"); bad text is ignored."""
    stamp = text(payload, "originalStart")
    if stamp is None or len(stamp) > MAX_TIME_TEXT or len(stamp) < 10:
        return None
    try:
        parsed = datetime.fromisoformat(stamp)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True, slots=True)
class Places:
    """The event's locations: every display name, and the conference rooms (name, address)."""

    names: tuple[str, ...]
    rooms: tuple[tuple[str | None, str | None], ...]

    @property
    def room_addresses(self) -> frozenset[str]:
        """Mailbox addresses of the conference-room locations."""
        return frozenset(address for _, address in self.rooms if address)


def _locations(payload: Mapping[str, object]) -> list[Mapping[str, object]]:
    """`locations`, or the single `location` when the list is absent or empty."""
    found = mappings(payload, "locations", MAX_LOCATIONS)
    if found:
        return found
    location = mapping(payload, "location")
    return [location] if location else []


def places(payload: Mapping[str, object]) -> Places:
    """Every location's display name, and the conference-room locations."""
    names: dict[str, None] = {}
    rooms: dict[tuple[str | None, str | None], None] = {}
    for place in _locations(payload):
        name = text(place, "displayName")
        if name:
            names[name] = None
        if text(place, "locationType") == "conferenceRoom":
            address = normalise_email(text(place, "locationEmailAddress"))
            unique = text(place, "uniqueId")
            if address is None and unique and "@" in unique:
                address = normalise_email(unique)
            if name or address:
                rooms[(name, address)] = None
    return Places(tuple(names), tuple(rooms))


def _attendee(
    raw: Mapping[str, object], owners: frozenset[str], organizer: str | None, rooms: frozenset[str]
) -> Attendee | None:
    email_data = mapping(raw, "emailAddress")
    email = normalise_email(text(email_data, "address"))
    name = text(email_data, "name")
    if email is None and name is None:
        return None
    kind = _PERSON
    role = text(raw, "type")
    if role == "resource":
        looks_room = (email in rooms) or bool(name and _ROOM_NAME.search(name[:200]))
        kind = AttendeeKind.ROOM if looks_room else AttendeeKind.RESOURCE
    response = _RESPONSES.get(text(mapping(raw, "status"), "response") or "", _UNKNOWN)
    return Attendee(
        email=email,
        name=name,
        kind=kind,
        response=response,
        optional=role == "optional",
        organizer=email is not None and email == organizer,
        is_owner=email in owners,
    )


def _owner_response(payload: Mapping[str, object]) -> Response | None:
    value = text(mapping(payload, "responseStatus"), "response")
    if value in (None, "none", "notResponded"):
        return None
    return _RESPONSES.get(value or "")


def attendees(
    payload: Mapping[str, object],
    owner: str,
    organizer: tuple[str | None, str | None],
    where: Places,
) -> tuple[Attendee, ...]:
    """The attendees, with the organizer, the owner and the booked rooms added where missing."""
    rooms = where.room_addresses
    address, name = organizer
    # isOrganizer says the organizer is the owner, even under another address (an alias).
    alias = address if address and flag(payload, "isOrganizer") else None
    owners = frozenset({owner, alias} if alias else {owner})
    found = [
        person
        for raw in mappings(payload, "attendees", MAX_ATTENDEES)
        if (person := _attendee(raw, owners, address, rooms)) is not None
    ]
    own = _owner_response(payload)
    if own is not None:  # the owner's own answer is the authoritative one for the owner
        found = [replace(a, response=own) if a.is_owner else a for a in found]
    emails = {a.email for a in found if a.email}
    if address and address not in emails:
        # Graph lists invitees only: the organizer attends their own meeting.
        found.insert(
            0,
            Attendee(
                email=address,
                name=name,
                kind=AttendeeKind.PERSON,
                response=Response.ACCEPTED,
                organizer=True,
                is_owner=address in owners,
            ),
        )
        emails.add(address)
    if not any(attendee.is_owner for attendee in found):
        # In the owner's calendar but not listed: invited through a group, and still attends.
        found.append(
            Attendee(owner, None, AttendeeKind.PERSON, own or Response.UNKNOWN, is_owner=True)
        )
        emails.add(owner)
    if where.rooms:
        _add_rooms(found, emails, where)
    return tuple(found)


def _add_rooms(found: list[Attendee], emails: set[str], where: Places) -> None:
    """Conference-room locations that are not attendees yet join as rooms."""
    names = {a.name.lower() for a in found if a.name}
    for room_name, room_address in where.rooms:
        known = room_address in emails if room_address else (room_name or "").lower() in names
        if not known:
            found.append(Attendee(room_address, room_name, AttendeeKind.ROOM, Response.ACCEPTED))


def conference(payload: Mapping[str, object]) -> Conference | None:
    """The Teams/Skype `onlineMeeting`: its join URL and phone numbers as entry points."""
    online = mapping(payload, "onlineMeeting")
    if not online:
        return None
    provider = text(payload, "onlineMeetingProvider")
    points: list[EntryPoint] = []
    join = text(online, "joinUrl")
    pin = text(online, "conferenceId")
    if join:
        points.append(EntryPoint(EntryPointKind.VIDEO, join, pin=pin))
    numbers = [text(online, "tollNumber"), *texts(online, "tollFreeNumbers", MAX_PHONES)]
    numbers += [text(phone, "number") for phone in mappings(online, "phones", MAX_PHONES)]
    for number in dict.fromkeys(n for n in numbers if n):
        points.append(EntryPoint(EntryPointKind.PHONE, f"tel:{number}", label=number, pin=pin))
    quick = text(online, "quickDial")
    if quick and not points:
        points.append(EntryPoint(EntryPointKind.PHONE, f"tel:{quick}", label=quick))
    if not points:
        return None
    solution = provider if provider in _SOLUTIONS else None
    return Conference(solution=solution, name=None, entry_points=tuple(points))


def provider_hint(payload: Mapping[str, object]) -> str | None:
    """The online meeting provider the event is flagged with (Teams, Skype), if any."""
    provider = text(payload, "onlineMeetingProvider")
    if flag(payload, "isOnlineMeeting") and provider in _SOLUTIONS:
        return provider
    return None


def sensitivity(payload: Mapping[str, object]) -> Sensitivity:
    """The event's `sensitivity` as a Sensitivity; absent is normal.

    A value we do not know counts as private: wrongly private costs a nudge, wrongly normal
    would show a private subject (RFC 5545 asks the same of an unknown iCalendar CLASS).
    """
    value = payload.get("sensitivity")
    if value is None:
        return Sensitivity.NORMAL
    if isinstance(value, str):
        return _SENSITIVITY.get(value.strip().lower(), Sensitivity.PRIVATE)
    return Sensitivity.PRIVATE


def description(payload: Mapping[str, object]) -> str | None:
    """The body's content, else the plain-text preview."""
    return text(mapping(payload, "body"), "content") or text(payload, "bodyPreview")


def links(payload: Mapping[str, object]) -> list[str]:
    """Join links outside the body: the deprecated `onlineMeetingUrl`, locations' `locationUri`."""
    found = [text(payload, "onlineMeetingUrl")]
    found += [text(place, "locationUri") for place in _locations(payload)]
    return list(dict.fromkeys(url for url in found if url and url[:4].lower() == "http"))


def display_zone(payload: Mapping[str, object], default: ZoneInfo) -> str:
    """The zone the event was made in (`originalStartTimeZone`), else the one its times use."""
    start_zone = zone_for(text(mapping(payload, "start"), "timeZone"), default)
    return zone_for(text(payload, "originalStartTimeZone"), start_zone).key


def series(payload: Mapping[str, object], source_id: str | None) -> str | None:
    """The series master's id: its own for a master, `seriesMasterId` for an instance."""
    if text(payload, "type") == "seriesMaster":
        return source_id
    return text(payload, "seriesMasterId")
