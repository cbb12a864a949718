"""Who takes part in a meeting, as participation values: pure, built from the domain Meeting."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from service.domain.classify.people import looks_personal
from service.domain.model import Attendee, AttendeeKind, Meeting, Response, normalise_email


@dataclass(frozen=True, slots=True)
class Party:
    """One participation to store (email normalised)."""

    email: str
    kind: str
    response: str
    organizer: bool
    optional: bool
    in_calendar: bool
    person_id: int | None = None


def _kind(attendee: Attendee, email: str) -> str:
    if attendee.kind is AttendeeKind.UNKNOWN and looks_personal(email):
        return AttendeeKind.PERSON.value
    return attendee.kind.value


def _merge(old: Party | None, new: Party) -> Party:
    if old is None:
        return new
    response = new.response if new.response != Response.UNKNOWN.value else old.response
    return replace(
        new,
        response=response,
        organizer=old.organizer or new.organizer,
        in_calendar=old.in_calendar or new.in_calendar,
    )


def is_organizer_copy(meeting: Meeting) -> bool:
    """True when the calendar's owner is the organiser the meeting names."""
    organizer = normalise_email(meeting.organizer)
    return organizer is not None and organizer == normalise_email(meeting.owner)


def parties(
    meeting: Meeting, seen_by_person_id: int, people_ids: Mapping[str, int]
) -> dict[str, Party]:
    """The participations of one calendar's copy of `meeting`, by email.

    The calendar owner always takes part (their calendar shows the meeting: `in_calendar`);
    an attendee marked as the owner is stored under the owner's address; an organizer left out
    of the attendees (Graph does that) is added as an accepted organizer.
    """
    owner = normalise_email(meeting.owner) or meeting.owner.strip().lower()
    organizer = normalise_email(meeting.organizer)
    found: dict[str, Party] = {}
    for attendee in meeting.attendees or ():
        email = owner if attendee.is_owner else normalise_email(attendee.email)
        if email is None:
            continue
        party = Party(
            email=email,
            kind=_kind(attendee, email),
            response=attendee.response.value,
            organizer=attendee.organizer or email == organizer,
            optional=attendee.optional,
            in_calendar=False,
        )
        found[email] = _merge(found.get(email), party)
    known = meeting.attendees is not None
    if known and organizer and organizer not in found and looks_personal(organizer):
        found[organizer] = Party(
            organizer, AttendeeKind.PERSON.value, Response.ACCEPTED.value, True, False, False
        )
    own = Party(
        email=owner,
        kind=AttendeeKind.PERSON.value,
        # Their own event (no organizer, or they organize it) counts as accepted.
        response=(
            Response.ACCEPTED.value if organizer in (None, owner) else Response.UNKNOWN.value
        ),
        organizer=owner == organizer,
        optional=False,
        in_calendar=True,
    )
    found[owner] = _merge(own, found[owner]) if owner in found else own
    return {
        email: replace(
            party, person_id=seen_by_person_id if email == owner else people_ids.get(email)
        )
        for email, party in found.items()
    }
