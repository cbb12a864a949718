"""Careful readers of single Graph event fields: every value type-checked, bad text refused.

Private to the Graph normaliser: `normalise.py` builds a Meeting with these on the careful
path, and `_fast.py` reuses them (memoised) where the fast path meets something new.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from integrations._payload import MAX_ATTENDEES, MAX_TIME_TEXT, _flag, _maps, _remember, _text
from integrations.microsoft.windows_zones import WINDOWS_TO_IANA
from service.domain.model import (
    Attendee,
    AttendeeKind,
    Conference,
    EntryPoint,
    EntryPointKind,
    EventType,
    Response,
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
_SHOW_AS_TYPES = {"oof": EventType.OUT_OF_OFFICE, "workingElsewhere": EventType.WORKING_LOCATION}
_SOLUTIONS = {"teamsForBusiness", "skypeForBusiness", "skypeForConsumer"}
# Words in a resource's name that mark a bookable room rather than equipment.
_ROOM_NAME = re.compile(
    r"\b(room|rooms|conf|conference|boardroom|meeting ?room|huddle|auditorium|salle|sala|raum"
    r"|besprechung\w*|zaal|kokous\w*|mtg)\b",
    re.IGNORECASE,
)


class _Skip(Exception):
    """Raised inside the normaliser; becomes a SkippedEvent with this reason."""


def _map(payload: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = payload.get(key)
    if type(value) is dict:  # what json.loads makes: skip the slower ABC check
        return value
    return value if isinstance(value, Mapping) else {}


def _texts(payload: Mapping[str, object], key: str, limit: int) -> list[str]:
    value = payload.get(key)
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        return []
    return [item.strip() for item in value[:limit] if isinstance(item, str) and item.strip()]


def zone_for(name: str | None, default: ZoneInfo) -> ZoneInfo:
    """The zone of a Graph `timeZone`: a Windows or IANA name; the default when unknown."""
    if not name or len(name) > MAX_TIME_TEXT:
        return default
    # Custom zones ("Customized Time Zone", "tzone://Microsoft/Custom") carry no rules we can read.
    return known_zone(WINDOWS_TO_IANA.get(name, name)) or default


def _moment(
    when: Mapping[str, object], field: str, default: ZoneInfo, all_day: bool
) -> datetime | None:
    """The UTC instant of a dateTimeTimeZone {dateTime, timeZone}; None when absent."""
    stamp = _text(when, "dateTime")
    if stamp is None:
        return None
    zone = zone_for(_text(when, "timeZone"), default)
    try:
        if len(stamp) > MAX_TIME_TEXT or len(stamp) < 10:
            raise ValueError(stamp[:MAX_TIME_TEXT])
        parsed = datetime.fromisoformat(stamp)  # 3.11 reads Graph's 7 fractional digits
    except (ValueError, OverflowError) as exc:
        raise _Skip(f"{field}.dateTime is not a valid date-time: {exc}") from None
    if all_day:
        # An all-day event is a calendar date, whatever zone Graph rendered its midnight in.
        day_zone = zone if zone.key not in ("UTC", "Etc/UTC") else default
        parsed = datetime.combine(parsed.date(), time(), tzinfo=day_zone)
    elif parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    try:
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise _Skip(f"{field}.dateTime is out of range: {exc}") from None


def _original_start(payload: Mapping[str, object]) -> datetime | None:
    """`originalStart` is an Edm.DateTimeOffset ("2024-03-11T16:00:00Z"); bad text is ignored."""
    stamp = _text(payload, "originalStart")
    if stamp is None or len(stamp) > MAX_TIME_TEXT or len(stamp) < 10:
        return None
    try:
        parsed = datetime.fromisoformat(stamp)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True, slots=True)
class _Places:
    """The event's locations: every display name, and the conference rooms (name, address)."""

    names: tuple[str, ...]
    rooms: tuple[tuple[str | None, str | None], ...]

    @property
    def room_addresses(self) -> frozenset[str]:
        """Mailbox addresses of the conference-room locations."""
        return frozenset(address for _, address in self.rooms if address)


def _places(payload: Mapping[str, object]) -> _Places:
    locations = _maps(payload, "locations", MAX_LOCATIONS)
    if not locations and _map(payload, "location"):
        locations = [_map(payload, "location")]
    names: dict[str, None] = {}
    rooms: dict[tuple[str | None, str | None], None] = {}
    for place in locations:
        name = _text(place, "displayName")
        if name:
            names[name] = None
        if _text(place, "locationType") == "conferenceRoom":
            address = normalise_email(_text(place, "locationEmailAddress"))
            unique = _text(place, "uniqueId")
            if address is None and unique and "@" in unique:
                address = normalise_email(unique)
            if name or address:
                rooms[(name, address)] = None
    return _Places(tuple(names), tuple(rooms))


_ATTENDEES: dict[tuple[object, ...], Attendee | None] = {}
_MADE: dict[tuple[object, ...], Attendee] = {}
_OWNER_SETS: dict[tuple[str, str | None], frozenset[str]] = {}
_OWN_ANSWERS: dict[tuple[int, Response], tuple[Attendee, Attendee]] = {}


def _attendee(
    raw: Mapping[str, object], owners: frozenset[str], organizer: str | None, rooms: frozenset[str]
) -> Attendee | None:
    """`_read_attendee`, memoised on everything it reads: people recur across a calendar."""
    email_data = raw.get("emailAddress")
    status = raw.get("status")
    if type(email_data) is not dict or not (status is None or type(status) is dict):
        return _read_attendee(raw, owners, organizer, rooms)
    key = (
        email_data.get("address"), email_data.get("name"), raw.get("type"),
        status.get("response") if status else None, owners, organizer, rooms,
    )  # fmt: skip
    try:
        return _ATTENDEES[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable value
        return _read_attendee(raw, owners, organizer, rooms)
    return _remember(_ATTENDEES, key, _read_attendee(raw, owners, organizer, rooms))


def _owners(owner: str, alias: str | None) -> frozenset[str]:
    """The owner's addresses, one object per pair: memo keys holding it then compare by identity."""
    key = (owner, alias)
    found = _OWNER_SETS.get(key)
    if found is None:
        found = _remember(_OWNER_SETS, key, frozenset({owner, alias} if alias else {owner}))
    return found


def _with_response(attendee: Attendee, response: Response) -> Attendee:
    """The attendee with the owner's own answer (memoised: `replace` is slow)."""
    key = (id(attendee), response)
    found = _OWN_ANSWERS.get(key)
    if found is not None and found[0] is attendee:  # the id may belong to a collected object
        return found[1]
    answered = replace(attendee, response=response)
    _remember(_OWN_ANSWERS, key, (attendee, answered))
    return answered


def _read_attendee(
    raw: Mapping[str, object], owners: frozenset[str], organizer: str | None, rooms: frozenset[str]
) -> Attendee | None:
    email_data = _map(raw, "emailAddress")
    email = normalise_email(_text(email_data, "address"))
    name = _text(email_data, "name")
    if email is None and name is None:
        return None
    kind = AttendeeKind.PERSON
    if _text(raw, "type") == "resource":
        looks_room = (email in rooms) or bool(name and _ROOM_NAME.search(name[:200]))
        kind = AttendeeKind.ROOM if looks_room else AttendeeKind.RESOURCE
    response = _RESPONSES.get(_text(_map(raw, "status"), "response") or "", Response.UNKNOWN)
    return Attendee(
        email=email,
        name=name,
        kind=kind,
        response=response,
        optional=_text(raw, "type") == "optional",
        organizer=email is not None and email == organizer,
        is_owner=email in owners,
    )


def _owner_response(payload: Mapping[str, object]) -> Response | None:
    value = _text(_map(payload, "responseStatus"), "response")
    if value in (None, "none", "notResponded"):
        return None
    return _RESPONSES.get(value or "")


def _attendees(
    payload: Mapping[str, object],
    owner: str,
    organizer: tuple[str | None, str | None],
    places: _Places,
) -> tuple[Attendee, ...]:
    rooms = places.room_addresses
    address, name = organizer
    # isOrganizer says the organizer is the owner, even under another address (an alias).
    owners = _owners(owner, address if address and _flag(payload, "isOrganizer") else None)
    found = [
        attendee
        for raw in _maps(payload, "attendees", MAX_ATTENDEES)
        if (attendee := _attendee(raw, owners, address, rooms)) is not None
    ]
    own = _owner_response(payload)
    if own is not None:  # the owner's own answer is the authoritative one for the owner
        found = [_with_response(a, own) if a.is_owner else a for a in found]
    emails = {a.email for a in found if a.email}
    if address and address not in emails:
        # Graph lists invitees only: the organizer attends their own meeting.
        found.insert(0, _organizer(address, name, address in owners))
        emails.add(address)
    if not any(attendee.is_owner for attendee in found):
        # In the owner's calendar but not listed: invited through a group, and still attends.
        found.append(_listed_owner(owner, own or Response.UNKNOWN))
        emails.add(owner)
    if places.rooms:
        _add_rooms(found, emails, places)
    return tuple(found)


def _add_rooms(found: list[Attendee], emails: set[str], places: _Places) -> None:
    """Conference-room locations that are not attendees yet join as rooms."""
    names = {a.name.lower() for a in found if a.name}
    for room_name, room_address in places.rooms:
        known = room_address in emails if room_address else (room_name or "").lower() in names
        if not known:
            found.append(Attendee(room_address, room_name, AttendeeKind.ROOM, Response.ACCEPTED))


def _listed_owner(owner: str, response: Response) -> Attendee:
    key = ("owner", owner, response)
    found = _MADE.get(key)
    if found is None:
        found = _remember(
            _MADE, key, Attendee(owner, None, AttendeeKind.PERSON, response, is_owner=True)
        )
    return found


def _organizer(address: str, name: str | None, is_owner: bool) -> Attendee:
    """The organizer as an attendee (memoised: organizers recur across a calendar)."""
    key = ("organizer", address, name, is_owner)
    found = _MADE.get(key)
    if found is None:
        found = _remember(_MADE, key, _new_organizer(address, name, is_owner))
    return found


def _new_organizer(address: str, name: str | None, is_owner: bool) -> Attendee:
    return Attendee(
        email=address,
        name=name,
        kind=AttendeeKind.PERSON,
        response=Response.ACCEPTED,
        organizer=True,
        is_owner=is_owner,
    )


def _conference(payload: Mapping[str, object]) -> Conference | None:
    online = _map(payload, "onlineMeeting")
    provider = _text(payload, "onlineMeetingProvider")
    points: list[EntryPoint] = []
    join = _text(online, "joinUrl")
    pin = _text(online, "conferenceId")
    if join:
        points.append(EntryPoint(EntryPointKind.VIDEO, join, pin=pin))
    numbers = [_text(online, "tollNumber"), *_texts(online, "tollFreeNumbers", MAX_PHONES)]
    numbers += [_text(phone, "number") for phone in _maps(online, "phones", MAX_PHONES)]
    for number in dict.fromkeys(n for n in numbers if n):
        points.append(EntryPoint(EntryPointKind.PHONE, f"tel:{number}", label=number, pin=pin))
    quick = _text(online, "quickDial")
    if quick and not points:
        points.append(EntryPoint(EntryPointKind.PHONE, f"tel:{quick}", label=quick))
    if not points:
        return None
    solution = provider if provider in _SOLUTIONS else None
    return Conference(solution=solution, name=None, entry_points=tuple(points))


def _hint(payload: Mapping[str, object]) -> str | None:
    provider = _text(payload, "onlineMeetingProvider")
    if _flag(payload, "isOnlineMeeting") and provider in _SOLUTIONS:
        return provider
    return None


def _description(payload: Mapping[str, object]) -> str | None:
    return _text(_map(payload, "body"), "content") or _text(payload, "bodyPreview")


def _links(payload: Mapping[str, object]) -> list[str]:
    """Join links outside the body: the deprecated `onlineMeetingUrl`, locations' `locationUri`."""
    found = [_text(payload, "onlineMeetingUrl")]
    places = _maps(payload, "locations", MAX_LOCATIONS) or [_map(payload, "location")]
    found += [_text(place, "locationUri") for place in places]
    return list(dict.fromkeys(url for url in found if url and url[:4].lower() == "http"))


def _display_zone(payload: Mapping[str, object], default: ZoneInfo) -> str:
    """The zone the event was made in (`originalStartTimeZone`), else the one its times use."""
    start_zone = zone_for(_text(_map(payload, "start"), "timeZone"), default)
    return zone_for(_text(payload, "originalStartTimeZone"), start_zone).key


def _series(payload: Mapping[str, object], source_id: str | None) -> str | None:
    if _text(payload, "type") == "seriesMaster":
        return source_id
    return _text(payload, "seriesMasterId")
