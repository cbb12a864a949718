"""Whose calendar a file is, for `rapport classify`: never an extra person.

The calendar's own markers decide first: `--owner`; Google's `self` on an attendee, the
organizer or the creator; Graph's `isOrganizer` (the organizer is the owner); an iCalendar
file's owner address (`X-WR-CALNAME` holding an address, as Google's export of a person's
calendar does, or `X-OWNER`) or the one ATTENDEE of a `METHOD:REPLY`. Without a marker the
owner is guessed as the one address every event of the file shares (for Graph, the one
invitee, not the organizer, that every event shares, narrowed by the owner's own
`responseStatus`), and the lines say so. When even that fails the owner is no one
(`UNKNOWN_OWNER`, in the reserved `.invalid` domain): only the people listed count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from service.domain.model import normalise_email

UNKNOWN_OWNER = "unknown@invalid"
MAX_SHOWN = 80  # an address in a reason is cut to this many characters
_CALENDAR_OWNER_PROPERTIES = frozenset({"X-OWNER", "X-WR-OWNER"})
_GRAPH_ANSWERS = {"accepted", "tentativelyAccepted", "declined"}


@dataclass(frozen=True, slots=True)
class Owner:
    """The owner's address (`UNKNOWN_OWNER` when not known) and, when it was not read from a
    marker, the reason every line of the file carries."""

    address: str
    guessed: str | None = None


def given_owner(address: str) -> Owner:
    """An owner the user named (`--owner`)."""
    return Owner(address)


def _short(address: str) -> str:
    return address if len(address) <= MAX_SHOWN else address[: MAX_SHOWN - 1] + "…"


def _guess(common: set[str] | None, events: int) -> Owner:
    """The owner from the addresses every event shares, or no one."""
    if common is not None and len(common) == 1:
        (address,) = common
        where = "in every event of the file" if events > 1 else "the only address in the file"
        return Owner(address, f"calendar owner guessed: {_short(address)} ({where})")
    return Owner(UNKNOWN_OWNER, "calendar owner unknown: only the people listed are counted")


def _intersect(common: set[str] | None, found: set[str]) -> set[str] | None:
    return set(found) if common is None else common & found


def _address(value: object) -> str | None:
    found = normalise_email(value) if isinstance(value, str) else None
    return found if found and "@" in found else None


def _email_of(who: object, key: str = "email") -> str | None:
    return _address(who.get(key)) if isinstance(who, Mapping) else None


def google_owner(events: Iterable[object]) -> Owner:
    """A Google file's owner: `self` on an attendee, the organizer or the creator; else a guess."""
    common: set[str] | None = None
    counted = 0
    for event in events:
        if not isinstance(event, Mapping):
            continue
        attendees = event.get("attendees")
        people = (
            [a for a in attendees if isinstance(a, Mapping)] if isinstance(attendees, list) else []
        )
        for who in [*people, event.get("organizer"), event.get("creator")]:
            if isinstance(who, Mapping) and who.get("self") is True and (found := _email_of(who)):
                return Owner(found)
        addresses = {found for who in people if (found := _email_of(who))}
        if (organizer := _email_of(event.get("organizer"))) is not None:
            addresses.add(organizer)
        if addresses:
            common, counted = _intersect(common, addresses), counted + 1
    return _guess(common, counted)


def _graph_address(who: object) -> str | None:
    return _email_of(who.get("emailAddress") if isinstance(who, Mapping) else None, "address")


def _graph_candidates(event: Mapping[str, object], organizer: str | None) -> set[str]:
    """Who the owner of an attendee's copy can be: the invitees other than the organizer,
    those whose answer is the owner's own (`responseStatus`) when that leaves anyone."""
    invitees: dict[str, str | None] = {}
    attendees = event.get("attendees")
    for who in attendees if isinstance(attendees, list) else ():
        if not isinstance(who, Mapping) or who.get("type") == "resource":
            continue
        address = _graph_address(who)
        status = who.get("status")
        answer = status.get("response") if isinstance(status, Mapping) else None
        if address is not None and address != organizer:
            invitees[address] = answer if isinstance(answer, str) else None
    own = event.get("responseStatus")
    mine = own.get("response") if isinstance(own, Mapping) else None
    if mine in _GRAPH_ANSWERS:
        same = {address for address, answer in invitees.items() if answer == mine}
        if same:
            return same
    return set(invitees)


def graph_owner(events: Iterable[object]) -> Owner:
    """A Graph file's owner: the organizer of an event it organises (`isOrganizer`), or a guess."""
    common: set[str] | None = None
    counted = 0
    for event in events:
        if not isinstance(event, Mapping):
            continue
        organizer = _graph_address(event.get("organizer"))
        if event.get("isOrganizer") is True:
            if organizer is not None:
                return Owner(organizer)
            continue  # the owner organises it, under no address: no invitee is the owner
        if event.get("isOrganizer") is False:
            candidates = _graph_candidates(event, organizer)
        else:  # not said: anyone listed may be the owner
            candidates = _graph_candidates(event, None)
            if organizer is not None:
                candidates.add(organizer)
        if candidates:
            common, counted = _intersect(common, candidates), counted + 1
    return _guess(common, counted)


def _mailto(line: str) -> str | None:
    """The address of a CAL-ADDRESS line: what follows its last `mailto:`."""
    at = line.lower().rfind("mailto:")
    return _address(line[at + 7 :]) if at >= 0 else None


def _value(line: str) -> str:
    """A content line's value: after the first colon outside a quoted parameter."""
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return line[index + 1 :].strip()
    return ""


class _IcsScan:
    """One pass over an iCalendar file's unfolded lines, collecting owner evidence."""

    def __init__(self) -> None:
        self.marked: Owner | None = None
        self.method = ""
        self.common: set[str] | None = None
        self.counted = 0
        self.first_attendees: set[str] | None = None  # a REPLY's one ATTENDEE is its sender
        self.stack: list[str] = []
        self.event: set[str] = set()
        self.attendees: set[str] = set()

    def line(self, line: str) -> None:
        name = line[: min((i for i in (line.find(":"), line.find(";")) if i >= 0), default=0)]
        name = name.upper()
        if name in ("BEGIN", "END"):
            self._component(name, _value(line).upper())
        elif not self.stack or self.stack == ["VCALENDAR"]:
            self._calendar(name, line)
        elif (
            self.stack[-1] == "VEVENT"
            and name in ("ORGANIZER", "ATTENDEE")
            and (address := _mailto(line)) is not None
        ):
            self.event.add(address)
            if name == "ATTENDEE":
                self.attendees.add(address)

    def _component(self, verb: str, component: str) -> None:
        if verb == "BEGIN":
            self.stack.append(component)
            if component == "VEVENT":
                self.event, self.attendees = set(), set()
            return
        if self.stack and self.stack[-1] == component:
            self.stack.pop()
        if component == "VEVENT":
            if self.event:
                self.common, self.counted = _intersect(self.common, self.event), self.counted + 1
            if self.first_attendees is None:
                self.first_attendees = self.attendees

    def _calendar(self, name: str, line: str) -> None:
        if name == "METHOD":
            self.method = _value(line).upper()
        elif self.marked is None and name == "X-WR-CALNAME":
            value = _value(line)
            address = _address(value) if " " not in value.strip() else None
            if address is not None:
                self.marked = Owner(address)
        elif self.marked is None and name in _CALENDAR_OWNER_PROPERTIES:
            address = _mailto(line) or _address(_value(line))
            if address is not None:
                self.marked = Owner(address)

    def owner(self) -> Owner:
        if self.marked is not None:
            return self.marked
        if self.method == "REPLY" and self.first_attendees and len(self.first_attendees) == 1:
            # RFC 5546: a REPLY carries exactly one ATTENDEE, the person who answers.
            (address,) = self.first_attendees
            return Owner(address)
        return _guess(self.common, self.counted)


def ics_owner(data: bytes) -> Owner:
    """An iCalendar file's owner, read from its unfolded text in one pass (no full parse)."""
    text = data.decode("utf-8", "replace").replace("\r\n ", "").replace("\r\n\t", "")
    text = text.replace("\n ", "").replace("\n\t", "")
    scan = _IcsScan()
    for line in text.splitlines():
        scan.line(line)
    return scan.owner()
