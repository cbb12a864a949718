"""Microsoft Graph v1.0 `event` resource -> domain `Meeting`, or a `SkippedEvent` saying why.

Pure: no I/O. The raw payload (`Mapping[str, object]`) never leaves this module; every field is
type-checked, because a delta page may hold anything and one bad event must not stop the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo

from integrations.microsoft.fields import (
    SHOW_AS_TYPES,
    attendees,
    conference,
    description,
    display_zone,
    links,
    moment,
    original_start,
    places,
    provider_hint,
    sensitivity,
    series,
)
from integrations.microsoft.windows_zones import WINDOWS_TO_IANA
from integrations.payload import SkipEvent, flag, mapping, text
from service.domain.model import EventStatus, EventType, Meeting, normalise_email
from service.domain.port import SkippedEvent
from service.domain.zones import known_zone


def _build(payload: Mapping[str, object], owner: str, zone: ZoneInfo) -> Meeting:
    source_id = text(payload, "id")
    uid = text(payload, "iCalUId") or source_id
    if uid is None:
        raise SkipEvent("no iCalUId and no id")
    all_day = flag(payload, "isAllDay")
    start = moment(mapping(payload, "start"), "start", zone, all_day)
    if start is None:
        raise SkipEvent("no start.dateTime")
    end = moment(mapping(payload, "end"), "end", zone, all_day) or start
    if end < start:
        raise SkipEvent(f"end {end.isoformat()} is before start {start.isoformat()}")
    organizer_data = mapping(mapping(payload, "organizer"), "emailAddress")
    organizer = normalise_email(text(organizer_data, "address"))
    if organizer is None and flag(payload, "isOrganizer"):
        organizer = owner
    where = places(payload)
    show_as = text(payload, "showAs")
    return Meeting(
        uid=uid,
        start=start,
        end=end,
        owner=owner,
        title=text(payload, "subject") or "",
        original_start=original_start(payload),
        source_id=source_id,
        organizer=organizer,
        attendees=attendees(payload, owner, (organizer, text(organizer_data, "name")), where),
        location="; ".join(where.names) or None,
        description=description(payload),
        conference=conference(payload),
        links=tuple(links(payload)),
        status=EventStatus.CANCELLED if flag(payload, "isCancelled") else EventStatus.CONFIRMED,
        event_type=SHOW_AS_TYPES.get(show_as or "", EventType.DEFAULT),
        transparent=show_as == "free",
        all_day=all_day,
        series_id=series(payload, source_id),
        timezone=display_zone(payload, zone),
        online_provider_hint=provider_hint(payload),
        sensitivity=sensitivity(payload),  # a private one's subject is replaced by the Meeting
    )


def normalise_event(
    payload: Mapping[str, object], owner: str, default_tz: str = "UTC"
) -> Meeting | SkippedEvent:
    """Normalise one Graph event; a removal or a malformed one becomes a SkippedEvent."""
    if type(payload) is not dict and not isinstance(payload, Mapping):
        return SkippedEvent(None, f"event is not a JSON object but {type(payload).__name__}")
    source_id = payload.get("id")
    source = source_id if isinstance(source_id, str) else None
    if "@removed" in payload:
        return SkippedEvent(source, "removed")
    zone = known_zone(WINDOWS_TO_IANA.get(default_tz, default_tz))
    if zone is None:
        return SkippedEvent(source, f"default time zone {default_tz!r} is not a known zone")
    try:
        return _build(payload, normalise_email(owner) or owner, zone)
    except SkipEvent as exc:
        return SkippedEvent(source, str(exc))
    except ValueError as exc:  # the Meeting refused a value
        return SkippedEvent(source, f"invalid event: {exc}")
