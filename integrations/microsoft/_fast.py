"""The fast path of the Graph normaliser: the common, well-formed event read in one go.

Each field is read once with plain `dict.get` and `type(...) is` checks; repeated values
(attendees, time stamps with their zone, locations, display zones) come from bounded memos of the
careful readers, so equal inputs give equal results. Anything unusual raises `Doubt` and
`normalise.py` takes the careful path, which gives the same Meeting or says what is wrong.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from integrations._payload import _fast_text, _remember
from integrations.microsoft._fields import (
    _SHOW_AS_TYPES,
    _SOLUTIONS,
    MAX_LOCATIONS,
    _attendees,
    _display_zone,
    _moment,
    _original_start,
    _Places,
    _places,
    _Skip,
)
from integrations.microsoft.windows_zones import WINDOWS_TO_IANA
from service.domain import builders
from service.domain.model import (
    Conference,
    EntryPointKind,
    EventStatus,
    EventType,
    Meeting,
    normalise_email,
)
from service.domain.zones import known_zone

_INSTANTS: dict[tuple[object, ...], datetime] = {}
_ZONE_KEYS: dict[tuple[object, ...], str] = {}
_PLACES: dict[tuple[object, ...], tuple[_Places, tuple[str, ...]]] = {}
_ZONES: dict[str, ZoneInfo | None] = {}
_OWNERS: dict[str, str] = {}


class Doubt(Exception):
    """Raised by the fast path on anything unusual: the careful path decides instead."""


def _instant(when: object, zone: ZoneInfo, all_day: bool) -> datetime:
    """`_moment` of a {dateTime, timeZone} dict, memoised; Doubt when absent or invalid."""
    if type(when) is not dict:
        raise Doubt
    key = (when.get("dateTime"), when.get("timeZone"), zone, all_day)
    try:
        found = _INSTANTS.get(key)
    except TypeError:
        raise Doubt from None
    if found is None:
        try:
            found = _moment(when, "start", zone, all_day)
        except _Skip:
            raise Doubt from None
        if found is None:
            raise Doubt
        _remember(_INSTANTS, key, found)
    return found


def _place_list(payload: dict[str, object]) -> list[object]:
    locations = payload.get("locations")
    if locations:
        if type(locations) is not list or len(locations) > MAX_LOCATIONS:
            raise Doubt
        return locations
    location = payload.get("location")
    if locations is not None and type(locations) is not list:
        raise Doubt
    if location is None:
        return []
    if type(location) is not dict:
        raise Doubt
    return [location] if location else []


def _fast_places(payload: dict[str, object]) -> tuple[_Places, tuple[str, ...]]:
    """(`_places`, the locations' join URIs), memoised on the fields they read."""
    chosen: list[dict[str, object]] = []
    key: list[object] = []
    for place in _place_list(payload):
        if type(place) is not dict:
            raise Doubt
        chosen.append(place)
        get = place.get
        key.append(get("displayName"))
        key.append(get("locationType"))
        key.append(get("locationEmailAddress"))
        key.append(get("uniqueId"))
        key.append(get("locationUri"))
    memo_key = tuple(key)
    try:
        found = _PLACES.get(memo_key)
    except TypeError:
        raise Doubt from None
    if found is None:
        uris = (_fast_text(place.get("locationUri")) for place in chosen)
        found = _remember(_PLACES, memo_key, (_places(payload), tuple(u for u in uris if u)))
    return found


def _zone_key(payload: dict[str, object], start: dict[str, object], zone: ZoneInfo) -> str:
    key = (start.get("timeZone"), payload.get("originalStartTimeZone"), zone)
    try:
        found = _ZONE_KEYS.get(key)
    except TypeError:
        raise Doubt from None
    return found or _remember(_ZONE_KEYS, key, _display_zone(payload, zone))


def _fast_conference(payload: dict[str, object], provider: str | None) -> Conference | None:
    online = payload.get("onlineMeeting")
    if online is None:
        return None
    if type(online) is not dict or not {"tollFreeNumbers", "phones"}.isdisjoint(online):
        raise Doubt  # several numbers: the careful path lists them
    join = _fast_text(online.get("joinUrl"))
    pin = _fast_text(online.get("conferenceId"))
    toll = _fast_text(online.get("tollNumber"))
    points = []
    if join:
        points.append(builders.entry_point(EntryPointKind.VIDEO, join, None, pin))
    if toll:
        points.append(builders.entry_point(EntryPointKind.PHONE, f"tel:{toll}", toll, pin))
    if not points:
        quick = _fast_text(online.get("quickDial"))
        if not quick:
            return None
        points.append(builders.entry_point(EntryPointKind.PHONE, f"tel:{quick}", quick, None))
    solution = provider if provider in _SOLUTIONS else None
    return builders.conference(solution, None, tuple(points))


def _fast_organizer(payload: dict[str, object]) -> tuple[str | None, str | None]:
    data = payload.get("organizer")
    if data is None:
        return None, None
    address = data.get("emailAddress") if type(data) is dict else 0
    if address is None:
        return None, None
    if type(address) is not dict:
        raise Doubt
    return normalise_email(_fast_text(address.get("address"))), _fast_text(address.get("name"))


def _fast_description(payload: dict[str, object]) -> str | None:
    body = payload.get("body")
    if body is not None and type(body) is not dict:
        raise Doubt
    content = _fast_text(body.get("content")) if body else None
    return content or _fast_text(payload.get("bodyPreview"))


def fast_meeting(payload: dict[str, object], owner: str, zone: ZoneInfo) -> Meeting:
    """The common, well-formed event, read once; Doubt on anything the careful path must judge."""
    get = payload.get
    source_id = _fast_text(get("id"))
    uid = _fast_text(get("iCalUId")) or source_id
    start_data = get("start")
    if uid is None or type(start_data) is not dict:
        raise Doubt
    all_day = get("isAllDay") is True
    start = _instant(start_data, zone, all_day)
    end = _instant(get("end"), zone, all_day)
    organizer, organizer_name = _fast_organizer(payload)
    if organizer is None and get("isOrganizer") is True:
        organizer = owner
    places, place_links = _fast_places(payload)
    show_as = _fast_text(get("showAs"))
    provider = _fast_text(get("onlineMeetingProvider"))
    links = [url for url in (_fast_text(get("onlineMeetingUrl")), *place_links) if url]
    return builders.meeting(
        uid,
        start,
        end,
        owner,
        _fast_text(get("subject")) or "",
        _original_start(payload) if "originalStart" in payload else None,
        source_id,
        organizer,
        _attendees(payload, owner, (organizer, organizer_name), places),
        "; ".join(places.names) or None,
        _fast_description(payload),
        _fast_conference(payload, provider),
        tuple(dict.fromkeys(url for url in links if url[:4].lower() == "http")),
        EventStatus.CANCELLED if get("isCancelled") is True else EventStatus.CONFIRMED,
        _SHOW_AS_TYPES.get(show_as or "", EventType.DEFAULT),
        show_as == "free",
        all_day,
        source_id
        if _fast_text(get("type")) == "seriesMaster"
        else _fast_text(get("seriesMasterId")),
        _zone_key(payload, start_data, zone),
        provider if get("isOnlineMeeting") is True and provider in _SOLUTIONS else None,
    )


def context(owner: str, default_tz: str) -> tuple[str, ZoneInfo | None]:
    """The owner's normalised address and the default zone (None when unknown), memoised."""
    normalised = _OWNERS.get(owner)
    if normalised is None:
        normalised = _remember(_OWNERS, owner, normalise_email(owner) or owner)
    if default_tz in _ZONES:
        return normalised, _ZONES[default_tz]
    found = known_zone(WINDOWS_TO_IANA.get(default_tz, default_tz))
    return normalised, _remember(_ZONES, default_tz, found)
