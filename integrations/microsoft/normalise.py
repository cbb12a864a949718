"""Microsoft Graph v1.0 `event` resource -> domain `Meeting`, or a `SkippedEvent` saying why.

Pure: no I/O. The raw payload (`Mapping[str, object]`) never leaves this module; every field is
type-checked, because a delta page may hold anything and one bad event must not stop the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo

from integrations._payload import _flag, _text
from integrations.microsoft._fast import Doubt, context, fast_meeting
from integrations.microsoft._fields import (
    _SHOW_AS_TYPES,
    _attendees,
    _conference,
    _description,
    _display_zone,
    _hint,
    _links,
    _map,
    _moment,
    _original_start,
    _places,
    _series,
    _Skip,
)
from service.domain.model import EventStatus, EventType, Meeting, normalise_email
from service.domain.port import SkippedEvent


def _build(payload: Mapping[str, object], owner: str, zone: ZoneInfo) -> Meeting:
    source_id = _text(payload, "id")
    uid = _text(payload, "iCalUId") or source_id
    if uid is None:
        raise _Skip("no iCalUId and no id")
    all_day = _flag(payload, "isAllDay")
    start = _moment(_map(payload, "start"), "start", zone, all_day)
    if start is None:
        raise _Skip("no start.dateTime")
    end = _moment(_map(payload, "end"), "end", zone, all_day) or start
    if end < start:
        raise _Skip(f"end {end.isoformat()} is before start {start.isoformat()}")
    organizer_data = _map(_map(payload, "organizer"), "emailAddress")
    organizer = normalise_email(_text(organizer_data, "address"))
    if organizer is None and _flag(payload, "isOrganizer"):
        organizer = owner
    places = _places(payload)
    show_as = _text(payload, "showAs")
    links = _links(payload)
    return Meeting(
        uid=uid,
        start=start,
        end=end,
        owner=owner,
        title=_text(payload, "subject") or "",
        original_start=_original_start(payload),
        source_id=source_id,
        organizer=organizer,
        attendees=_attendees(payload, owner, (organizer, _text(organizer_data, "name")), places),
        location="; ".join(places.names) or None,
        description=_description(payload),
        conference=_conference(payload),
        links=tuple(links),
        status=EventStatus.CANCELLED if _flag(payload, "isCancelled") else EventStatus.CONFIRMED,
        event_type=_SHOW_AS_TYPES.get(show_as or "", EventType.DEFAULT),
        transparent=show_as == "free",
        all_day=all_day,
        series_id=_series(payload, source_id),
        timezone=_display_zone(payload, zone),
        online_provider_hint=_hint(payload),
    )


def normalise_event(
    payload: Mapping[str, object], owner: str, default_tz: str = "UTC"
) -> Meeting | SkippedEvent:
    """Normalise one Graph event; a removal or a malformed one becomes a SkippedEvent."""
    if type(payload) is not dict and not isinstance(payload, Mapping):
        return SkippedEvent(None, f"event is not a JSON object but {type(payload).__name__}")
    owner, zone = context(owner, default_tz)
    removed = "@removed" in payload
    if type(payload) is dict and zone is not None and not removed:
        try:
            return fast_meeting(payload, owner, zone)
        except (Doubt, ValueError):
            pass  # the careful path decides, and says what is wrong
    source_id = payload.get("id")
    source = source_id if isinstance(source_id, str) else None
    if removed:
        return SkippedEvent(source, "removed")
    if zone is None:
        return SkippedEvent(source, f"default time zone {default_tz!r} is not a known zone")
    try:
        return _build(payload, owner, zone)
    except _Skip as exc:
        return SkippedEvent(source, str(exc))
    except ValueError as exc:  # the Meeting refused a value
        return SkippedEvent(source, f"invalid event: {exc}")
