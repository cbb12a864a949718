"""Readers for single VEVENT properties: times, people and join links (pure helpers)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, tzinfo
from zoneinfo import ZoneInfo

import icalendar
from icalendar.prop.broken import vBroken

from service.domain.model import (
    Attendee,
    AttendeeKind,
    Conference,
    EntryPoint,
    EntryPointKind,
    Response,
    Sensitivity,
    normalise_email,
)
from service.domain.zones import known_zone

CUTYPES = {
    "INDIVIDUAL": AttendeeKind.PERSON,
    "ROOM": AttendeeKind.ROOM,
    "RESOURCE": AttendeeKind.RESOURCE,
    "GROUP": AttendeeKind.GROUP,
    "UNKNOWN": AttendeeKind.UNKNOWN,
}
PARTSTATS = {
    "ACCEPTED": Response.ACCEPTED,
    "TENTATIVE": Response.TENTATIVE,
    "DECLINED": Response.DECLINED,
    "NEEDS-ACTION": Response.NEEDS_ACTION,
}
OPTIONAL_ROLES = frozenset({"OPT-PARTICIPANT", "NON-PARTICIPANT"})
# Vendor properties that carry a join link, and the conference solution each one means.
VENDOR_LINKS = {
    "X-GOOGLE-CONFERENCE": ("hangoutsMeet", "Google Meet"),
    "X-MICROSOFT-SKYPETEAMSMEETINGURL": ("teamsForBusiness", "Microsoft Teams"),
    "X-MICROSOFT-ONLINEMEETINGCONFLINK": (None, None),
    "X-MICROSOFT-ONLINEMEETINGEXTERNALLINK": (None, None),
}
# Other X- properties whose names say they hold a way to join (Zoom, Webex, Apple add-ons ...).
_JOINISH_NAME = re.compile(r"^X-.*(MEETING|CONFERENCE|CONF|JOIN|ONLINE).*(URL|URI|LINK)", re.I)
_MAILTO = re.compile(r"mailto:([^\s;:,<>\"]+@[^\s;:,<>\"]+)$")
_URL = re.compile(r"^(https?|tel|sip|sips):", re.I)


_CLASSES = {"PUBLIC": Sensitivity.NORMAL, "CONFIDENTIAL": Sensitivity.CONFIDENTIAL}


def sensitivity(event: icalendar.Component) -> Sensitivity:
    """The event's CLASS: PUBLIC or absent is normal; PRIVATE, CONFIDENTIAL and any other
    value are private (RFC 5545 3.8.1.3: an unknown CLASS is treated as PRIVATE)."""
    value = text(event, "CLASS")
    if value is None:
        return Sensitivity.NORMAL
    return _CLASSES.get(value.upper(), Sensitivity.PRIVATE)


def first(event: icalendar.Component, name: str) -> object | None:
    """The first value of a property (some producers repeat single-valued ones), None if absent."""
    value: object = event.get(name)
    if isinstance(value, list):
        return value[0] if value else None
    return value


def text(event: icalendar.Component, name: str) -> str | None:
    """A property as stripped text; None when absent, empty or unreadable."""
    value = first(event, name)
    if value is None or isinstance(value, vBroken):
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    result = str(value).strip()
    return result or None


def zone(name: str | None) -> ZoneInfo | None:
    """A ZoneInfo for an IANA name, or None when the name is not one."""
    return known_zone(name.strip()) if name else None


def to_utc(value: date | datetime, fallback: tzinfo) -> datetime:
    """A date, floating or zoned time as aware UTC; dates and floating times use `fallback`."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            value = value.replace(tzinfo=fallback)
        return value.astimezone(UTC)
    return datetime.combine(value, time(0), tzinfo=fallback).astimezone(UTC)


def zone_name(value: date | datetime, params: object, fallback: str) -> str:
    """The time zone a time was written in: its IANA key, its TZID, or the fallback."""
    tz = value.tzinfo if isinstance(value, datetime) else None
    key = getattr(tz, "key", None)
    if isinstance(key, str) and key:
        return key
    tzid = params.get("TZID") if isinstance(params, dict) else None
    if isinstance(tzid, str) and tzid:
        return tzid
    return fallback


def _address(value: object) -> str | None:
    """An email address from a CAL-ADDRESS, or None when it is not a mail address."""
    email = normalise_email(str(value))
    if email is not None and ":" in email:
        # Some producers (Confluence) spill parameters into the value: "X-KEY=..;CN=..:mailto:a@b".
        found = _MAILTO.search(email)
        email = found.group(1) if found else None
    # Producers put urn:uuid:..., invalid:nomail and the like here: those are no address.
    if email is None or "@" not in email:
        return None
    return email


def _param(value: object, name: str) -> str | None:
    params = getattr(value, "params", None)
    raw = params.get(name) if params is not None else None
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    return str(raw).strip() if raw else None


def organizer(event: icalendar.Component) -> tuple[str | None, str | None]:
    """The organizer's (address, name)."""
    value = first(event, "ORGANIZER")
    if value is None or isinstance(value, vBroken):
        return None, None
    return _address(value), _param(value, "CN")


def _values(event: icalendar.Component, name: str) -> list[object]:
    """Every readable value of a repeatable property (ATTENDEE, CONFERENCE)."""
    value = event.get(name)
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [v for v in values if not isinstance(v, vBroken)]


def kept_attendees(
    values: list[object], owner: str, organizer_email: str | None, limit: int
) -> list[object] | None:
    """The ATTENDEE values to keep when the people are more than `limit`, None when all fit.

    The owner and the organizer always stay; then the others in the order given. Repeated
    addresses count once (they are read once).
    """
    if len(values) < limit:
        return None  # fits even with the organizer added: no need to read the addresses
    emails = [_address(value) for value in values]
    first: dict[str, int] = {}
    for index, email in enumerate(emails):
        if email is not None:
            first.setdefault(email, index)
    people = [i for i, email in enumerate(emails) if email is None or first[email] == i]
    added = organizer_email is not None and organizer_email not in first
    if len(people) + added <= limit:
        return None
    special = {i for i in people if emails[i] is not None and emails[i] in (owner, organizer_email)}
    room = max(limit - added - len(special), 0)
    others = [i for i in people if i not in special][:room]
    return [values[i] for i in sorted(special.union(others))]


def limit_attendees(event: icalendar.Component, owner: str, limit: int) -> bool:
    """Cut the event's ATTENDEE list to `limit` people in place (see `kept_attendees`);
    True when something was cut. Every copy made of the event afterwards is small too."""
    kept = kept_attendees(_values(event, "ATTENDEE"), owner, organizer(event)[0], limit)
    if kept is None:
        return False
    event.pop("ATTENDEE", None)
    for value in kept:
        event.add("ATTENDEE", value, encode=False)
    return True


def attendees(
    event: icalendar.Component, owner: str, limit: int
) -> tuple[tuple[Attendee, ...] | None, str | None]:
    """The typed attendees and the organizer address (see `normalise_vevent` for the rules),
    at most `limit` people (see `kept_attendees`)."""
    organizer_email, organizer_name = organizer(event)
    values = _values(event, "ATTENDEE")
    values = kept_attendees(values, owner, organizer_email, limit) or values
    if not values:
        if organizer_email is None or organizer_email == owner:
            # No one invited: the owner's own event (organizer or not written down).
            return (
                Attendee(
                    email=owner,
                    response=Response.ACCEPTED,
                    is_owner=True,
                    organizer=organizer_email == owner,
                ),
            ), organizer_email
        # An organizer but no attendee list: published feeds hide attendees. Unknowable.
        return None, organizer_email
    people: list[Attendee] = []
    seen: set[str] = set()
    for value in values:
        email = _address(value)
        if email is not None:
            if email in seen:
                continue
            seen.add(email)
        role = (_param(value, "ROLE") or "").upper()
        people.append(
            Attendee(
                email=email,
                name=_param(value, "CN"),
                kind=CUTYPES.get(
                    (_param(value, "CUTYPE") or "INDIVIDUAL").upper(), AttendeeKind.UNKNOWN
                ),
                response=PARTSTATS.get((_param(value, "PARTSTAT") or "").upper(), Response.UNKNOWN),
                optional=role in OPTIONAL_ROLES,
                organizer=email is not None and email == organizer_email,
                is_owner=email is not None and email == owner,
            )
        )
    if organizer_email is not None and organizer_email not in seen:
        # Google and Outlook leave the organizer out of ATTENDEE; they attend all the same.
        people.insert(
            0,
            Attendee(
                email=organizer_email,
                name=organizer_name,
                response=Response.ACCEPTED,
                organizer=True,
                is_owner=organizer_email == owner,
            ),
        )
    return tuple(people), organizer_email


def _entry_kind(uri: str, features: Iterable[str]) -> EntryPointKind:
    wanted = {f.strip().upper() for f in features}
    if "VIDEO" in wanted or "SCREEN" in wanted:
        return EntryPointKind.VIDEO
    if uri.lower().startswith(("sip:", "sips:")):
        return EntryPointKind.SIP
    if wanted & {"PHONE", "AUDIO"} or uri.lower().startswith("tel:"):
        return EntryPointKind.PHONE
    return EntryPointKind.MORE


def links_and_conference(
    event: icalendar.Component,
) -> tuple[tuple[str, ...], Conference | None, str | None]:
    """Join links (URL and vendor properties), structured conference data and a provider hint."""
    links: list[str] = []
    solution: str | None = None
    solution_name: str | None = None
    solution_link = ""
    for name, value in event.property_items(recursive=False):
        upper = name.upper()
        if upper != "URL" and upper not in VENDOR_LINKS and not _JOINISH_NAME.match(upper):
            continue
        if isinstance(value, vBroken):
            continue
        link = str(value).strip()
        if not _URL.match(link) or link in links:
            continue
        links.append(link)
        if upper in VENDOR_LINKS and solution is None:
            solution, solution_name = VENDOR_LINKS[upper]
            solution_link = link
    entry_points: list[EntryPoint] = []
    for value in _values(event, "CONFERENCE"):
        uri = str(value).strip()
        if not uri:
            continue
        features = _param_list(value, "FEATURE")
        entry_points.append(
            EntryPoint(kind=_entry_kind(uri, features), uri=uri, label=_param(value, "LABEL"))
        )
    conference: Conference | None = None
    if entry_points:
        conference = Conference(entry_points=tuple(entry_points))
    elif solution is not None:
        video = EntryPoint(kind=EntryPointKind.VIDEO, uri=solution_link)
        conference = Conference(solution=solution, name=solution_name, entry_points=(video,))
    hint = {"hangoutsMeet": "google_meet", "teamsForBusiness": "teams"}.get(solution or "")
    return tuple(links), conference, hint


def _param_list(value: object, name: str) -> list[str]:
    params = getattr(value, "params", None)
    raw = params.get(name) if params is not None else None
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else str(raw).split(",")
    result: list[str] = []
    for item in items:
        with contextlib.suppress(TypeError, ValueError):
            result.extend(part for part in str(item).split(",") if part)
    return result
