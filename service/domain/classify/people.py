"""Who takes part: humans counted once, rooms and resources named, groups and decliners out."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class People:
    """The humans of a meeting (addresses or names, owner included) and its rooms/resources."""

    humans: frozenset[str]
    rooms: tuple[str, ...]
    groups: int
    declined: int


def _domain_is_non_human(address: str) -> bool:
    return address.endswith(_NON_HUMAN_DOMAINS)


def looks_personal(address: str | None) -> bool:
    """True when an address of unknown kind looks like one person's mailbox."""
    if not address or "@" not in address:
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


def read_people(meeting: Meeting) -> People | None:
    """Humans (owner counted once), rooms and resources; None when attendees are unknown."""
    if meeting.attendees is None:
        return None
    owner = _email(meeting.owner) or meeting.owner
    humans: set[str] = {owner}
    listed: set[str | None] = set()
    rooms: list[str] = []
    groups = declined = 0
    for attendee in meeting.attendees:
        email = attendee.email
        if not email or not email.islower() or email[:7] == "mailto:" or email != email.strip():
            email = normalise_email(email)  # normalisers lower-case already: skip the common case
        listed.add(email)
        kind = attendee.kind
        if kind is not AttendeeKind.PERSON or (email and email.endswith(_NON_HUMAN_DOMAINS)):
            kind = _kind(attendee, email)
        if kind is AttendeeKind.ROOM or kind is AttendeeKind.RESOURCE:
            if attendee.response is not Response.DECLINED:
                rooms.append(_label(attendee))
        elif kind is not AttendeeKind.PERSON:
            groups += 1
        elif attendee.is_owner or email == owner:
            continue
        elif attendee.response is Response.DECLINED:
            declined += 1
        else:
            humans.add(email or f"name:{(attendee.name or '').strip().lower()}")
    organizer = _email(meeting.organizer)
    # Graph leaves the organizer out of `attendees`: they still take part.
    if listed and organizer and organizer not in listed and looks_personal(organizer):
        humans.add(organizer)
    return People(frozenset(humans), tuple(rooms), groups, declined)
