"""Google Calendar API v3 `Event` resource -> domain `Meeting`, or a `SkippedEvent` saying why.

Pure: no I/O. The raw payload (`Mapping[str, object]`) never leaves this module; every field is
type-checked, because a sync page may hold anything and one bad event must not stop the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from integrations.google.fields import (
    EVENT_TYPES,
    MAX_ENTRY_POINTS,
    STATUS,
    attendee,
    entry_point,
    is_master,
    moment,
    sensitivity,
    with_owner,
    zone_for,
)
from integrations.payload import MAX_ATTENDEES, SkipEvent, flag, mapping, mappings, text
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
from service.domain.zones import known_zone


def _attendees(
    payload: Mapping[str, object], owner: str, organizer: str | None
) -> tuple[Attendee, ...] | None:
    if flag(payload, "attendeesOmitted"):
        return None  # the API left some out: who attends is unknown
    found = [
        person
        for raw in mappings(payload, "attendees", MAX_ATTENDEES)
        if (person := attendee(raw, owner)) is not None
    ]
    return with_owner(found, owner, organizer)


def _conference(payload: Mapping[str, object]) -> Conference | None:
    data = mapping(payload, "conferenceData")
    hangout = text(payload, "hangoutLink")
    if not data and hangout is None:
        return None
    solution_data = mapping(data, "conferenceSolution")
    name = text(solution_data, "name")
    solution = text(mapping(solution_data, "key"), "type")
    if solution is None:  # a pending create request still names the solution
        solution = text(mapping(mapping(data, "createRequest"), "conferenceSolutionKey"), "type")
    points: list[EntryPoint] = []
    for raw in mappings(data, "entryPoints", MAX_ENTRY_POINTS):
        point = entry_point(raw)
        if point is not None:
            points.append(point)
    if hangout is not None and not any(point.uri == hangout for point in points):
        points.insert(0, EntryPoint(EntryPointKind.VIDEO, hangout))
        solution = solution or "hangoutsMeet"
    if not points and solution is None:
        return None
    return Conference(solution=solution, name=name, entry_points=tuple(points))


def _times(payload: Mapping[str, object], zone: ZoneInfo) -> tuple[datetime, datetime, bool] | None:
    start = moment(mapping(payload, "start"), "start", zone)
    if start is None:
        return None
    end = moment(mapping(payload, "end"), "end", zone)
    if end is None or flag(payload, "endTimeUnspecified"):
        end = start
    if end[0] < start[0]:
        raise SkipEvent(f"end {end[0].isoformat()} is before start {start[0].isoformat()}")
    return start[0], end[0], start[1]


def _build(payload: Mapping[str, object], owner: str, zone: ZoneInfo) -> Meeting | SkippedEvent:
    source_id = text(payload, "id")
    uid = text(payload, "iCalUID") or source_id
    if uid is None:
        raise SkipEvent("no iCalUID and no id")
    status = STATUS.get(text(payload, "status") or "", EventStatus.CONFIRMED)
    times = _times(payload, zone)
    if times is None:
        if status is EventStatus.CANCELLED:
            return SkippedEvent(source_id, "deletion marker: a cancelled event without times")
        raise SkipEvent("no start time")
    start, end, all_day = times
    original = moment(mapping(payload, "originalStartTime"), "originalStartTime", zone)
    organizer = normalise_email(text(mapping(payload, "organizer"), "email"))
    series = text(payload, "recurringEventId")
    if series is None and is_master(payload):
        series = source_id  # a series master: its instances name it as recurringEventId
    return Meeting(
        uid=uid,
        start=start,
        end=end,
        owner=owner,
        title=text(payload, "summary") or "",
        original_start=original[0] if original else None,
        source_id=source_id,
        organizer=organizer,
        attendees=_attendees(payload, owner, organizer),
        location=text(payload, "location"),
        description=text(payload, "description"),
        conference=_conference(payload),
        status=status,
        event_type=EVENT_TYPES.get(text(payload, "eventType") or "", EventType.DEFAULT),
        transparent=text(payload, "transparency") == "transparent",
        all_day=all_day,
        series_id=series,
        timezone=zone_for(text(mapping(payload, "start"), "timeZone"), zone).key,
        sensitivity=sensitivity(payload),  # a private one's summary is replaced by the Meeting
    )


def normalise_event(
    payload: Mapping[str, object], owner: str, default_tz: str = "UTC"
) -> Meeting | SkippedEvent:
    """Normalise one Google Calendar event; a malformed one becomes a SkippedEvent with a reason."""
    if type(payload) is not dict and not isinstance(payload, Mapping):
        return SkippedEvent(None, f"event is not a JSON object but {type(payload).__name__}")
    source_id = payload.get("id")
    source = source_id if isinstance(source_id, str) else None
    zone = known_zone(default_tz)
    if zone is None:
        return SkippedEvent(source, f"default time zone {default_tz!r} is not an IANA zone")
    try:
        return _build(payload, normalise_email(owner) or owner, zone)
    except SkipEvent as exc:
        return SkippedEvent(source, str(exc))
    except ValueError as exc:  # the Meeting refused a value (e.g. an empty uid)
        return SkippedEvent(source, f"invalid event: {exc}")
