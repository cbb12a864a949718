"""Readers of single Google event fields: every value type-checked, bad text refused.

Used by `normalise.py`; each reads one part of an API v3 `Event` into domain values.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from integrations.payload import MAX_TIME_TEXT, SkipEvent, text
from service.domain.model import (
    Attendee,
    AttendeeKind,
    EntryPoint,
    EntryPointKind,
    EventStatus,
    EventType,
    Response,
    Sensitivity,
    normalise_email,
)
from service.domain.zones import known_zone

MAX_ENTRY_POINTS = 50
STATUS = {
    "confirmed": EventStatus.CONFIRMED,
    "tentative": EventStatus.TENTATIVE,
    "cancelled": EventStatus.CANCELLED,
}
EVENT_TYPES = {
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
# `visibility`: "confidential" is Google's old name for private ("for compatibility reasons").
_VISIBILITY = {
    "": Sensitivity.NORMAL,
    "default": Sensitivity.NORMAL,
    "public": Sensitivity.NORMAL,
    "private": Sensitivity.PRIVATE,
    "confidential": Sensitivity.CONFIDENTIAL,
}
_ENTRY_KINDS = {kind.value: kind for kind in EntryPointKind}
# Enum members bound once: reading one off its class costs as much as a call in 3.11.
_PERSON = AttendeeKind.PERSON
_ROOM = AttendeeKind.ROOM
_UNKNOWN = Response.UNKNOWN
# Google names the secret of an entry point differently per solution; the first one present wins.
_PIN_KEYS = ("pin", "accessCode", "passcode", "meetingCode", "password")
_PIN_SET = frozenset(_PIN_KEYS)
_RESOURCE_SUFFIX = "@resource.calendar.google.com"


def zone_for(name: str | None, default: ZoneInfo) -> ZoneInfo:
    """The named IANA zone; the default when absent or unknown (Google only sends IANA names)."""
    if not name or len(name) > MAX_TIME_TEXT:
        return default
    return known_zone(name) or default


def moment(
    when: Mapping[str, object], field: str, default: ZoneInfo
) -> tuple[datetime, bool] | None:
    """(UTC instant, all-day) of an EventDateTime {dateTime|date, timeZone}; None when absent."""
    if not when:
        return None
    stamp = text(when, "dateTime")
    try:
        if stamp is not None:
            if len(stamp) > MAX_TIME_TEXT or len(stamp) < 11:
                raise ValueError(stamp[:MAX_TIME_TEXT])
            parsed = datetime.fromisoformat(stamp)
            if parsed.tzinfo is None:  # RFC 3339 requires an offset; tolerate its absence
                parsed = parsed.replace(tzinfo=zone_for(text(when, "timeZone"), default))
            return parsed.astimezone(UTC), False
        day = text(when, "date")
        if day is not None:
            if len(day) != 10:
                raise ValueError(day[:MAX_TIME_TEXT])
            zone = zone_for(text(when, "timeZone"), default)
            midnight = datetime.combine(date.fromisoformat(day), time(), tzinfo=zone)
            return midnight.astimezone(UTC), True
    except (ValueError, OverflowError) as exc:
        raise SkipEvent(f"{field} is not a valid date or date-time: {exc}") from None
    return None


def attendee(raw: Mapping[str, object], owner: str) -> Attendee | None:
    """One entry of `attendees`; None when it has neither an address nor a name."""
    email = normalise_email(text(raw, "email"))
    name = text(raw, "displayName")
    if email is None and name is None:
        return None
    # The flags read inline (`flag` is the same test): this runs for every guest of every event.
    resource = raw.get("resource") is True or (email or "").endswith(_RESOURCE_SUFFIX)
    return Attendee(
        email=email,
        name=name,
        kind=_ROOM if resource else _PERSON,
        response=_RESPONSES.get(text(raw, "responseStatus") or "", _UNKNOWN),
        optional=raw.get("optional") is True,
        organizer=raw.get("organizer") is True,
        is_owner=raw.get("self") is True or (email is not None and email == owner),
    )


def with_owner(found: list[Attendee], owner: str, organizer: str | None) -> tuple[Attendee, ...]:
    """The attendees, with the owner appended when none of them is the owner.

    No guest list: the owner's own event. A list without `self`: the owner was invited through
    a group, and still attends.
    """
    for listed in found:
        if listed.is_owner:
            return tuple(found)
    alone = not found
    found.append(
        Attendee(
            email=owner,
            kind=AttendeeKind.PERSON,
            response=Response.ACCEPTED if alone else Response.UNKNOWN,
            organizer=organizer == owner or (alone and organizer is None),
            is_owner=True,
        )
    )
    return tuple(found)


def entry_point(raw: Mapping[str, object]) -> EntryPoint | None:
    """One `conferenceData.entryPoints` item; None without a known type and a URI."""
    kind = _ENTRY_KINDS.get(text(raw, "entryPointType") or "")
    uri = text(raw, "uri")
    if kind is None or uri is None:
        return None
    pin = None
    if not _PIN_SET.isdisjoint(raw):  # most points carry no secret: skip the five reads
        pin = next((found for key in _PIN_KEYS if (found := text(raw, key))), None)
    return EntryPoint(kind=kind, uri=uri, label=text(raw, "label"), pin=pin)


def sensitivity(payload: Mapping[str, object]) -> Sensitivity:
    """The event's `visibility` as a Sensitivity; absent is normal.

    A value we do not know counts as private: wrongly private costs a nudge, wrongly normal
    would show a private title (RFC 5545 asks the same of an unknown iCalendar CLASS).
    """
    value = payload.get("visibility")
    if value is None:
        return Sensitivity.NORMAL
    if isinstance(value, str):
        return _VISIBILITY.get(value.strip().lower(), Sensitivity.PRIVATE)
    return Sensitivity.PRIVATE


def is_master(payload: Mapping[str, object]) -> bool:
    """True for a series master: it carries recurrence rules."""
    rules = payload.get("recurrence")
    return isinstance(rules, list) and any(isinstance(rule, str) for rule in rules)
