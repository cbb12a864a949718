"""Who takes part: humans counted once, rooms and resources named, groups and decliners out."""

from __future__ import annotations

import re
from typing import NamedTuple

from service.domain.model import Attendee, AttendeeKind, Meeting, Response, normalise_email

# Domains of calendars that are never a person (Google resources and shared/group calendars).
_NON_HUMAN_DOMAINS = (
    "resource.calendar.google.com",
    "group.calendar.google.com",
    "group.v.calendar.google.com",
    "import.calendar.google.com",
)
# Local parts that are mailing lists or role accounts rather than one person.
_ROLE_LOCALS = frozenset(
    [
        "all",
        "everyone",
        "everybody",
        "team",
        "staff",
        "company",
        "office",
        "admin",
        "admins",
        "info",
        "support",
        "help",
        "sales",
        "marketing",
        "engineering",
        "eng",
        "dev",
        "devs",
        "ops",
        "hr",
        "finance",
        "legal",
        "noreply",
        "no-reply",
        "donotreply",
        "calendar",
        "calendars",
        "room",
        "rooms",
        "resource",
        "resources",
        "list",
        "lists",
        "group",
        "groups",
        "announce",
        "announcements",
        "events",
        "members",
    ]
)
_ROOM_HINTS = ("room", "conf-", "conference", "meetingroom", "boardroom", "-rm-", ".rm.")
_ROOM_HINT = re.compile("|".join(map(re.escape, _ROOM_HINTS)))  # any of them, in one C scan
MAX_NAME = 60
# The reserved `.invalid` domain (RFC 2606) holds no mailbox: an owner there is no one.
_NOBODY = ("@invalid", ".invalid")


class People(NamedTuple):
    """The humans of a meeting (addresses or names, owner included) and its rooms/resources."""

    humans: frozenset[str]
    rooms: tuple[str, ...]
    groups: int
    declined: int


def unknown_owner(address: str) -> bool:
    """True when a calendar's owner is not known: an address in the reserved `.invalid`
    domain (`rapport classify` reads a file that does not say whose it is that way)."""
    return address.endswith(_NOBODY)


def looks_personal(address: str | None) -> bool:
    """True when an address of unknown kind looks like one person's mailbox."""
    if not address or "@" not in address:
        return False
    local, _, domain = address.rpartition("@")
    if not local or "." not in domain or domain.endswith(_NON_HUMAN_DOMAINS):
        return False
    if local in _ROLE_LOCALS or local.split("-")[0] in _ROLE_LOCALS:
        return False
    return _ROOM_HINT.search(local) is None


def _label(attendee: Attendee) -> str:
    text = attendee.name or (attendee.email or "").partition("@")[0] or "unnamed"
    return " ".join(text.split())[:MAX_NAME]


def _kind(attendee: Attendee, email: str | None) -> AttendeeKind:
    kind = attendee.kind
    if kind is AttendeeKind.PERSON and email and email.endswith(_NON_HUMAN_DOMAINS):
        return AttendeeKind.RESOURCE if "resource." in email else AttendeeKind.GROUP
    if kind is AttendeeKind.UNKNOWN:
        if email and email.endswith("@resource.calendar.google.com"):
            return AttendeeKind.RESOURCE
        if looks_personal(email):
            return AttendeeKind.PERSON
        if email and _ROOM_HINT.search(email.partition("@")[0]):
            return AttendeeKind.ROOM
        return AttendeeKind.GROUP if email else AttendeeKind.PERSON
    return kind


# Enum members bound once: reading one off its class costs ~60 ns in 3.11, per attendee here.
_PERSON = AttendeeKind.PERSON
_ROOM = AttendeeKind.ROOM
_RESOURCE = AttendeeKind.RESOURCE
_DECLINED = Response.DECLINED


def read_people(meeting: Meeting) -> People | None:
    """Humans (owner counted once), rooms and resources; None when attendees are unknown.

    An unknown owner (`unknown_owner`) is no one: only the people listed count, and an
    attendee the calendar marks as its owner (Google `self`) counts as one of them.
    """
    if meeting.attendees is None:
        return None
    owner = normalise_email(meeting.owner) or meeting.owner
    known = not owner.endswith(_NOBODY)
    humans: set[str] = {owner} if known else set()
    listed: set[str | None] = set()
    rooms: list[str] = []
    groups = declined = 0
    for attendee in meeting.attendees:
        email = attendee.email
        # Normalisers give lower-case, stripped addresses: only the others need normalising.
        if email is not None and not (
            email.islower() and email == email.strip() and email[:7] != "mailto:"
        ):
            email = normalise_email(email)
        listed.add(email)
        kind = attendee.kind
        if kind is not _PERSON or (email and email.endswith(_NON_HUMAN_DOMAINS)):
            kind = _kind(attendee, email)
            if kind is _ROOM or kind is _RESOURCE:
                if attendee.response is not _DECLINED:
                    rooms.append(_label(attendee))
                continue
            if kind is not _PERSON:
                groups += 1
                continue
        if email == owner or (attendee.is_owner and known):
            continue  # the owner: counted once above (or no one, when unknown)
        if attendee.response is _DECLINED:
            declined += 1
        else:
            humans.add(email or f"name:{(attendee.name or '').strip().lower()}")
    organizer = _unlisted_organizer(meeting.organizer, listed)
    if organizer is not None:
        humans.add(organizer)
    return People(frozenset(humans), tuple(rooms), groups, declined)


def _unlisted_organizer(organizer: str | None, listed: set[str | None]) -> str | None:
    """The organizer's address when a guest list leaves them out (Graph does): they take part."""
    if organizer is None or organizer in listed or not listed:
        return None
    address = normalise_email(organizer)
    if address and address not in listed and looks_personal(address):
        return address
    return None
