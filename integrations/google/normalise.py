"""Google Calendar API v3 `Event` resource -> domain `Meeting`, or a `SkippedEvent` saying why.

Pure: no I/O. The raw payload (`Mapping[str, object]`) never leaves this module; every field is
type-checked, because a sync page may hold anything and one bad event must not stop the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from service.domain.model import (
    Attendee,
    AttendeeKind,
    Conference,
    EntryPoint,
    EntryPointKind,
    EventStatus,
    EventType,
    Meeting,
    Response,
    normalise_email,
)
from service.domain.port import SkippedEvent

MAX_TIME_TEXT = 64  # an RFC 3339 timestamp is ~30 characters: longer text is not a time
MAX_ATTENDEES = 5000
MAX_ENTRY_POINTS = 50

_STATUS = {
    "confirmed": EventStatus.CONFIRMED,
    "tentative": EventStatus.TENTATIVE,
    "cancelled": EventStatus.CANCELLED,
}
_EVENT_TYPES = {
    "outOfOffice": EventType.OUT_OF_OFFICE,
    "focusTime": EventType.FOCUS_TIME,
    "workingLocation": EventType.WORKING_LOCATION,
}
_RESPONSES = {
    "accepted": Response.ACCEPTED,
    "tentative": Response.TENTATIVE,
    "declined": Response.DECLINED,
    "needsAction": Response.NEEDS_ACTION,
}
_ENTRY_KINDS = {kind.value: kind for kind in EntryPointKind}
# Google names the secret of an entry point differently per solution; the first one present wins.
_PIN_KEYS = ("pin", "accessCode", "passcode", "meetingCode", "password")
_RESOURCE_DOMAIN = "resource.calendar.google.com"


class _Skip(Exception):
    """Raised inside the normaliser; becomes a SkippedEvent with this reason."""


def _text(payload: Mapping[str, object], key: str) -> str | None:
    value = payload.get(key)
    if isinstance(value, str):
        return value.strip() or None
    return None


def _map(payload: Mapping[str, object], key: str) -> Mapping[str, object] | None:
    value = payload.get(key)
    if type(value) is dict:  # what json.loads makes: skip the slower ABC check
        return value
    return value if isinstance(value, Mapping) else None


def _maps(payload: Mapping[str, object], key: str, limit: int) -> list[Mapping[str, object]]:
    value = payload.get(key)
    if type(value) is not list and (
        not isinstance(value, Sequence) or isinstance(value, str | bytes)
    ):
        return []
    return [item for item in value[:limit] if type(item) is dict or isinstance(item, Mapping)]


def _flag(payload: Mapping[str, object], key: str) -> bool:
    return payload.get(key) is True


def _zone(name: str | None, default: ZoneInfo) -> ZoneInfo:
    """The named IANA zone; the default when absent or unknown (Google only sends IANA names)."""
    if not name or len(name) > MAX_TIME_TEXT:
        return default
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return default


def _moment(
    when: Mapping[str, object] | None, field: str, default: ZoneInfo
) -> tuple[datetime, bool] | None:
    """(UTC instant, all-day) of an EventDateTime {dateTime|date, timeZone}; None when absent."""
    if when is None:
        return None
    zone = _zone(_text(when, "timeZone"), default)
    stamp = _text(when, "dateTime")
    day = _text(when, "date")
    try:
        if stamp is not None:
            if len(stamp) > MAX_TIME_TEXT or len(stamp) < 11:
                raise ValueError(stamp[:MAX_TIME_TEXT])
            parsed = datetime.fromisoformat(stamp)
            if parsed.tzinfo is None:  # RFC 3339 requires an offset; tolerate its absence
                parsed = parsed.replace(tzinfo=zone)
            return parsed.astimezone(UTC), False
        if day is not None:
            if len(day) != 10:
                raise ValueError(day[:MAX_TIME_TEXT])
            midnight = datetime.combine(date.fromisoformat(day), time(), tzinfo=zone)
            return midnight.astimezone(UTC), True
    except (ValueError, OverflowError) as exc:
        raise _Skip(f"{field} is not a valid date or date-time: {exc}") from None
    return None


def _response(value: str | None) -> Response:
    return _RESPONSES.get(value or "", Response.UNKNOWN)


def _attendee(raw: Mapping[str, object], owner: str) -> Attendee | None:
    email = normalise_email(_text(raw, "email"))
    name = _text(raw, "displayName")
    if email is None and name is None:
        return None
    resource = _flag(raw, "resource") or (email or "").endswith("@" + _RESOURCE_DOMAIN)
    return Attendee(
        email=email,
        name=name,
        kind=AttendeeKind.ROOM if resource else AttendeeKind.PERSON,
        response=_response(_text(raw, "responseStatus")),
        optional=_flag(raw, "optional"),
        organizer=_flag(raw, "organizer"),
        is_owner=_flag(raw, "self") or (email is not None and email == owner),
    )


def _attendees(
    payload: Mapping[str, object], owner: str, organizer: str | None
) -> tuple[Attendee, ...] | None:
    if _flag(payload, "attendeesOmitted"):
        return None  # the API left some out: who attends is unknown
    found = [
        attendee
        for raw in _maps(payload, "attendees", MAX_ATTENDEES)
        if (attendee := _attendee(raw, owner)) is not None
    ]
    if not any(attendee.is_owner for attendee in found):
        # No guest list: the owner's own event. A list without `self`: the owner was invited
        # through a group, and still attends.
        alone = not found
        response = Response.ACCEPTED if alone else Response.UNKNOWN
        is_organizer = organizer == owner or (alone and organizer is None)
        found.append(
            Attendee(owner, None, AttendeeKind.PERSON, response, False, is_organizer, True)
        )
    return tuple(found)


def _entry_point(raw: Mapping[str, object]) -> EntryPoint | None:
    kind = _ENTRY_KINDS.get(_text(raw, "entryPointType") or "")
    uri = _text(raw, "uri")
    if kind is None or uri is None:
        return None
    pin = next((found for key in _PIN_KEYS if (found := _text(raw, key))), None)
    return EntryPoint(kind=kind, uri=uri, label=_text(raw, "label"), pin=pin)


def _conference(payload: Mapping[str, object]) -> Conference | None:
    data = _map(payload, "conferenceData")
    hangout = _text(payload, "hangoutLink")
    solution = name = None
    points: list[EntryPoint] = []
    if data is not None:
        solution_data = _map(data, "conferenceSolution") or {}
        name = _text(solution_data, "name")
        solution = _text(_map(solution_data, "key") or {}, "type")
        if solution is None:  # a pending create request still names the solution
            request_key = _map(_map(data, "createRequest") or {}, "conferenceSolutionKey")
            solution = _text(request_key or {}, "type")
        for raw in _maps(data, "entryPoints", MAX_ENTRY_POINTS):
            point = _entry_point(raw)
            if point is not None:
                points.append(point)
    if hangout is not None and not any(point.uri == hangout for point in points):
        points.insert(0, EntryPoint(EntryPointKind.VIDEO, hangout))
        solution = solution or "hangoutsMeet"
    if not points and solution is None:
        return None
    return Conference(solution=solution, name=name, entry_points=tuple(points))


def _is_master(payload: Mapping[str, object]) -> bool:
    rules = payload.get("recurrence")
    return isinstance(rules, list) and any(isinstance(rule, str) for rule in rules)


def _event_type(payload: Mapping[str, object]) -> EventType:
    return _EVENT_TYPES.get(_text(payload, "eventType") or "", EventType.DEFAULT)


def _times(payload: Mapping[str, object], zone: ZoneInfo) -> tuple[datetime, datetime, bool] | None:
    start = _moment(_map(payload, "start"), "start", zone)
    if start is None:
        return None
    end = _moment(_map(payload, "end"), "end", zone)
    if end is None or _flag(payload, "endTimeUnspecified"):
        end = start
    if end[0] < start[0]:
        raise _Skip(f"end {end[0].isoformat()} is before start {start[0].isoformat()}")
    return start[0], end[0], start[1]


def _build(payload: Mapping[str, object], owner: str, zone: ZoneInfo) -> Meeting | SkippedEvent:
    source_id = _text(payload, "id")
    uid = _text(payload, "iCalUID") or source_id
    if uid is None:
        raise _Skip("no iCalUID and no id")
    status = _STATUS.get(_text(payload, "status") or "", EventStatus.CONFIRMED)
    times = _times(payload, zone)
    if times is None:
        if status is EventStatus.CANCELLED:
            return SkippedEvent(source_id, "deletion marker: a cancelled event without times")
        raise _Skip("no start time")
    start, end, all_day = times
    original = _moment(_map(payload, "originalStartTime"), "originalStartTime", zone)
    organizer = normalise_email(_text(_map(payload, "organizer") or {}, "email"))
    series = _text(payload, "recurringEventId")
    if series is None and _is_master(payload):
        series = source_id  # a series master: its instances name it as recurringEventId
    start_zone = _text(_map(payload, "start") or {}, "timeZone")
    return Meeting(
        uid=uid,
        start=start,
        end=end,
        owner=owner,
        title=_text(payload, "summary") or "",
        original_start=original[0] if original else None,
        source_id=source_id,
        organizer=organizer,
        attendees=_attendees(payload, owner, organizer),
        location=_text(payload, "location"),
        description=_text(payload, "description"),
        conference=_conference(payload),
        status=status,
        event_type=_event_type(payload),
        transparent=_text(payload, "transparency") == "transparent",
        all_day=all_day,
        series_id=series,
        timezone=_zone(start_zone, zone).key,
    )


def normalise_event(
    payload: Mapping[str, object], owner: str, default_tz: str = "UTC"
) -> Meeting | SkippedEvent:
    """Normalise one Google Calendar event; a malformed one becomes a SkippedEvent with a reason."""
    if not isinstance(payload, Mapping):
        return SkippedEvent(None, f"event is not a JSON object but {type(payload).__name__}")
    source_id = payload.get("id")
    source = source_id if isinstance(source_id, str) else None
    try:
        zone = ZoneInfo(default_tz)
    except (ZoneInfoNotFoundError, ValueError):
        return SkippedEvent(source, f"default time zone {default_tz!r} is not an IANA zone")
    try:
        return _build(payload, normalise_email(owner) or owner, zone)
    except _Skip as exc:
        return SkippedEvent(source, str(exc))
    except ValueError as exc:  # the Meeting refused a value (e.g. an empty uid)
        return SkippedEvent(source, f"invalid event: {exc}")
