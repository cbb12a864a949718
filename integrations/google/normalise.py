"""Google Calendar API v3 `Event` resource -> domain `Meeting`, or a `SkippedEvent` saying why.

Pure: no I/O. The raw payload (`Mapping[str, object]`) never leaves this module; every field is
type-checked, because a sync page may hold anything and one bad event must not stop the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from integrations._payload import MAX_ATTENDEES, _flag, _maps, _text
from integrations.google._fast import Doubt, context, fast_meeting
from integrations.google._fields import (
    _EVENT_TYPES,
    _STATUS,
    MAX_ENTRY_POINTS,
    _attendee,
    _entry_point,
    _is_master,
    _map,
    _moment,
    _Skip,
    _with_owner,
    _zone,
)
from service.domain.model import (
    Attendee,
    Conference,
    EntryPoint,
    EntryPointKind,
    EventStatus,
    EventType,
    Meeting,
    normalise_email,
)
from service.domain.port import SkippedEvent


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
    return _with_owner(found, owner, organizer)


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
    if type(payload) is not dict and not isinstance(payload, Mapping):
        return SkippedEvent(None, f"event is not a JSON object but {type(payload).__name__}")
    owner, zone = context(owner, default_tz)
    if type(payload) is dict and zone is not None:
        try:
            return fast_meeting(payload, owner, zone)
        except (Doubt, ValueError):
            pass  # the careful path decides, and says what is wrong
    source_id = payload.get("id")
    source = source_id if isinstance(source_id, str) else None
    if zone is None:
        return SkippedEvent(source, f"default time zone {default_tz!r} is not an IANA zone")
    try:
        return _build(payload, owner, zone)
    except _Skip as exc:
        return SkippedEvent(source, str(exc))
    except ValueError as exc:  # the Meeting refused a value (e.g. an empty uid)
        return SkippedEvent(source, f"invalid event: {exc}")
