"""The fast path of the Google normaliser: the common, well-formed event read in one go.

Each field is read once with plain `dict.get` and `type(...) is` checks; repeated values
(attendees, timestamps, zone names) come from bounded memos of the careful readers, so equal
inputs give equal results. Anything unusual raises `Doubt` and `normalise.py` takes the careful
path, which produces the same Meeting or says precisely what is wrong.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from integrations._payload import MAX_ATTENDEES, MAX_TIME_TEXT, _fast_text, _remember, _text
from integrations.google._fields import (
    _ENTRY_KINDS,
    _EVENT_TYPES,
    _PIN_KEYS,
    _STATUS,
    MAX_ENTRY_POINTS,
    _attendee,
    _is_master,
    _with_owner,
    _zone,
)
from service.domain import builders
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
from service.domain.zones import known_zone


class Doubt(Exception):
    """Raised by the fast path on anything unusual: the careful path decides instead."""


_ATTENDEES: dict[tuple[object, ...], Attendee | None] = {}
_INSTANTS: dict[str, datetime] = {}
_ZONE_KEYS: dict[str, str] = {}
_ZONES: dict[str, ZoneInfo | None] = {}
_OWNERS: dict[str, str] = {}
_POINTS: dict[tuple[EntryPointKind, str, str | None, str | None], EntryPoint] = {}
_PIN_SET = frozenset(_PIN_KEYS)


def _instant(when: object) -> datetime:
    """The UTC instant of {"dateTime": <RFC 3339 with offset>, ...}; Doubt for anything else."""
    if type(when) is not dict:
        raise Doubt
    stamp = when.get("dateTime")
    found = _INSTANTS.get(stamp) if type(stamp) is str else None
    if found is not None:
        return found
    if type(stamp) is not str or not 11 <= len(stamp) <= MAX_TIME_TEXT or stamp != stamp.strip():
        raise Doubt
    try:
        parsed = datetime.fromisoformat(stamp)
        if parsed.tzinfo is None:
            raise Doubt  # a naive time is read in the event's zone: the careful path does that
        return _remember(_INSTANTS, stamp, parsed.astimezone(UTC))
    except (ValueError, OverflowError):
        raise Doubt from None


def _zone_key(when: dict[str, object], default: ZoneInfo) -> str:
    name = when.get("timeZone")
    if name is None:
        return default.key
    key = _ZONE_KEYS.get(name) if type(name) is str else None
    if key is None:
        key = _zone(_text(when, "timeZone"), default).key
        if key != name:
            raise Doubt  # unknown or padded: the careful path falls back to the default
        _remember(_ZONE_KEYS, key, key)
    return key


def _fast_attendees(
    payload: dict[str, object], owner: str, organizer: str | None
) -> tuple[Attendee, ...] | None:
    if payload.get("attendeesOmitted") is True:
        return None
    raws = payload.get("attendees")
    found: list[Attendee] = []
    if raws is not None:
        if type(raws) is not list or len(raws) > MAX_ATTENDEES:
            raise Doubt
        memo = _ATTENDEES
        for raw in raws:
            if type(raw) is not dict:
                raise Doubt
            get = raw.get
            # Everything _attendee reads, so that equal keys make equal attendees.
            key = (
                get("email"), get("displayName"), get("responseStatus"), get("resource") is True,
                get("optional") is True, get("organizer") is True, get("self") is True, owner,
            )  # fmt: skip
            try:
                attendee = memo[key]
            except KeyError:
                attendee = _remember(memo, key, _attendee(raw, owner))
            except TypeError:  # an unhashable value: not the common shape
                raise Doubt from None
            if attendee is not None:
                found.append(attendee)
    return _with_owner(found, owner, organizer)


def _fast_conference(payload: dict[str, object]) -> Conference | None:
    data = payload.get("conferenceData")
    hangout = payload.get("hangoutLink")
    if data is None and hangout is None:
        return None
    if type(data) is not dict or (hangout is not None and type(hangout) is not str):
        raise Doubt
    solution_data = data.get("conferenceSolution")
    raws = data.get("entryPoints")
    if type(solution_data) is not dict or type(raws) is not list or len(raws) > MAX_ENTRY_POINTS:
        raise Doubt
    key = solution_data.get("key")
    solution = _fast_text(key.get("type")) if type(key) is dict else None
    name = solution_data.get("name")
    if solution is None or (name is not None and type(name) is not str):
        raise Doubt
    points = [_fast_point(raw) for raw in raws]
    if hangout is not None and not any(point.uri == hangout.strip() for point in points):
        raise Doubt
    return builders.conference(solution, _fast_text(name), tuple(points))


def _fast_point(raw: object) -> EntryPoint:
    if type(raw) is not dict:
        raise Doubt
    kind_name = raw.get("entryPointType")
    kind = _ENTRY_KINDS.get(kind_name) if type(kind_name) is str else None
    uri = _fast_text(raw.get("uri"))
    label = raw.get("label")
    if kind is None or uri is None or (label is not None and type(label) is not str):
        raise Doubt
    pin = None
    if not _PIN_SET.isdisjoint(raw):  # most points carry no secret: skip the five reads
        for pin_key in _PIN_KEYS:
            value = raw.get(pin_key)
            if value is not None:
                pin = _text(raw, pin_key)
                if pin:
                    break
    key = (kind, uri, _fast_text(label), pin)
    point = _POINTS.get(key)
    if point is None:  # phone and add-on points recur across a calendar; they are frozen
        point = _remember(_POINTS, key, builders.entry_point(*key))
    return point


def fast_meeting(payload: dict[str, object], owner: str, zone: ZoneInfo) -> Meeting:
    """The common, well-formed event, read once; Doubt on anything the careful path must judge."""
    get = payload.get
    source_id = _fast_text(get("id"))
    uid = _fast_text(get("iCalUID")) or source_id
    start_data = get("start")
    if uid is None or type(start_data) is not dict or get("endTimeUnspecified") is not None:
        raise Doubt
    start = _instant(start_data)
    end = _instant(get("end"))
    original = get("originalStartTime")
    original_start = None if original is None else _instant(original)
    organizer_data = get("organizer")
    organizer = None
    if type(organizer_data) is dict:
        organizer = normalise_email(_fast_text(organizer_data.get("email")))
    series = _fast_text(get("recurringEventId"))
    if series is None and _is_master(payload):
        series = source_id
    status = get("status")
    event_type = get("eventType")
    return builders.meeting(
        uid,
        start,
        end,
        owner,
        _fast_text(get("summary")) or "",
        original_start,
        source_id,
        organizer,
        _fast_attendees(payload, owner, organizer),
        _fast_text(get("location")),
        _fast_text(get("description")),
        _fast_conference(payload),
        (),
        _STATUS.get(status.strip(), EventStatus.CONFIRMED)
        if type(status) is str
        else EventStatus.CONFIRMED,
        _EVENT_TYPES.get(event_type.strip(), EventType.DEFAULT)
        if type(event_type) is str
        else EventType.DEFAULT,
        _fast_text(get("transparency")) == "transparent",
        False,
        series,
        _zone_key(start_data, zone),
        None,
    )


def context(owner: str, default_tz: str) -> tuple[str, ZoneInfo | None]:
    """The owner's normalised address and the default zone (None when unknown), memoised."""
    normalised = _OWNERS.get(owner)
    if normalised is None:
        normalised = _remember(_OWNERS, owner, normalise_email(owner) or owner)
    if default_tz in _ZONES:
        return normalised, _ZONES[default_tz]
    return normalised, _remember(_ZONES, default_tz, known_zone(default_tz))
