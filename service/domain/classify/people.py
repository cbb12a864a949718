"""Who takes part: humans counted once, rooms and resources named, groups and decliners out."""

from __future__ import annotations

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
MAX_NAME = 60


class People(NamedTuple):
    """The humans of a meeting (addresses or names, owner included) and its rooms/resources."""

    humans: frozenset[str]
    rooms: tuple[str, ...]
    groups: int
    declined: int


def _domain_is_non_human(address: str) -> bool:
    return address.endswith(_NON_HUMAN_DOMAINS)


def looks_personal(address: str | None) -> bool:
    """True when an address of unknown kind looks like one person's mailbox."""
    if not address:
        return False
    found = _PERSONAL.get(address)
    if found is None:
        if len(_PERSONAL) >= _MEMO_LIMIT:
            _PERSONAL.clear()
        found = _PERSONAL[address] = _looks_personal(address)
    return found


def _looks_personal(address: str) -> bool:
    if "@" not in address:
        return False
    local, _, domain = address.rpartition("@")
    if not local or "." not in domain or _domain_is_non_human(domain):
        return False
    if local in _ROLE_LOCALS or local.split("-")[0] in _ROLE_LOCALS:
        return False
    return not any(hint in local for hint in _ROOM_HINTS)


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
        if email and any(hint in email.partition("@")[0] for hint in _ROOM_HINTS):
            return AttendeeKind.ROOM
        return AttendeeKind.GROUP if email else AttendeeKind.PERSON
    return kind


def _email(address: str | None) -> str | None:
    # Normalisers already lower-case addresses: skip the work for those.
    if not address or not address.islower() or address != address.strip():
        return normalise_email(address)
    return normalise_email(address) if address.startswith("mailto:") else address


_MEMO_LIMIT = 20_000
_new = tuple.__new__  # People without the named tuple's Python-level __new__
# address as given -> (normalised address, on a domain that is never a person)
_ADDRESSES: dict[str, tuple[str | None, bool]] = {}
_PERSONAL: dict[str, bool] = {}
_PERSON = AttendeeKind.PERSON
_ROOM = AttendeeKind.ROOM
_RESOURCE = AttendeeKind.RESOURCE
_DECLINED = Response.DECLINED


def _address(raw: str) -> tuple[str | None, bool]:
    email = normalise_email(raw)
    if len(_ADDRESSES) >= _MEMO_LIMIT:
        _ADDRESSES.clear()
    known = _ADDRESSES[raw] = (email, bool(email and email.endswith(_NON_HUMAN_DOMAINS)))
    return known


def read_people(meeting: Meeting) -> People | None:
    """Humans (owner counted once), rooms and resources; None when attendees are unknown."""
    attendees = meeting.attendees
    if attendees is None:
        return None
    own = _ADDRESSES.get(meeting.owner) or _address(meeting.owner)
    owner = own[0] or meeting.owner
    humans: set[str] = {owner}
    listed: set[str | None] = set()
    rooms: list[str] = []
    groups = declined = 0
    addresses = _ADDRESSES
    for attendee in attendees:
        email = attendee.email
        if email is None:
            non_human = False
        else:
            # People recur across a calendar: read each address once.
            known = addresses.get(email)
            if known is None:
                known = _address(email)
            email, non_human = known
        listed.add(email)
        kind = attendee.kind
        if kind is not _PERSON or non_human:
            kind = _kind(attendee, email)
            if kind is _ROOM or kind is _RESOURCE:
                if attendee.response is not _DECLINED:
                    rooms.append(_label(attendee))
                continue
            if kind is not _PERSON:
                groups += 1
                continue
        if attendee.is_owner or email == owner:
            continue
        if attendee.response is _DECLINED:
            declined += 1
        else:
            humans.add(email or f"name:{(attendee.name or '').strip().lower()}")
    organizer = _unlisted_organizer(meeting.organizer, listed)
    if organizer is not None:
        humans.add(organizer)
    return _new(People, (frozenset(humans), tuple(rooms), groups, declined))


def _unlisted_organizer(organizer: str | None, listed: set[str | None]) -> str | None:
    """The organizer's address when a guest list leaves them out (Graph does): they take part."""
    if organizer is None or organizer in listed or not listed:
        return None
    address = _email(organizer)
    if address and address not in listed and looks_personal(address):
        return address
    return None
