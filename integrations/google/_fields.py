"""Careful readers of single Google event fields: every value type-checked, bad text refused.

Private to the Google normaliser: `normalise.py` builds a Meeting with these on the careful
path, and `_fast.py` reuses them (memoised) where the fast path meets something new.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from integrations._payload import MAX_TIME_TEXT, _flag, _text
from service.domain.model import (
    Attendee,
    AttendeeKind,
    EntryPoint,
    EntryPointKind,
    EventStatus,
    EventType,
    Response,
    normalise_email,
)
from service.domain.zones import known_zone

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


def _map(payload: Mapping[str, object], key: str) -> Mapping[str, object] | None:
    value = payload.get(key)
    if type(value) is dict:  # what json.loads makes: skip the slower ABC check
        return value
    return value if isinstance(value, Mapping) else None


def _zone(name: str | None, default: ZoneInfo) -> ZoneInfo:
    """The named IANA zone; the default when absent or unknown (Google only sends IANA names)."""
    if not name or len(name) > MAX_TIME_TEXT:
        return default
    return known_zone(name) or default


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


def _with_owner(found: list[Attendee], owner: str, organizer: str | None) -> tuple[Attendee, ...]:
    """The attendees, with the owner appended when none of them is the owner.

    No guest list: the owner's own event. A list without `self`: the owner was invited through
    a group, and still attends.
    """
    for attendee in found:
        if attendee.is_owner:
            return tuple(found)
    alone = not found
    response = Response.ACCEPTED if alone else Response.UNKNOWN
    is_organizer = organizer == owner or (alone and organizer is None)
    found.append(Attendee(owner, None, AttendeeKind.PERSON, response, False, is_organizer, True))
    return tuple(found)


def _entry_point(raw: Mapping[str, object]) -> EntryPoint | None:
    kind = _ENTRY_KINDS.get(_text(raw, "entryPointType") or "")
    uri = _text(raw, "uri")
    if kind is None or uri is None:
        return None
    pin = next((found for key in _PIN_KEYS if (found := _text(raw, key))), None)
    return EntryPoint(kind=kind, uri=uri, label=_text(raw, "label"), pin=pin)


def _is_master(payload: Mapping[str, object]) -> bool:
    rules = payload.get("recurrence")
    return isinstance(rules, list) and any(isinstance(rule, str) for rule in rules)
