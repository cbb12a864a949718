"""Which nudge kinds a meeting calls for, and for whom: the table of DESIGN.md as code.

Kinds, recipients and the plain-words reason for each:

- camera_on: a video meeting that is not a one-on-one (a one-on-one gets the one_on_one nudge
  instead); every tenant person who accepted or organises it.
- switch_to_video: an audio-only meeting; the organiser (role "organizer") and each person who
  accepted (role "attendee": a softer line).
- social_minute: an instance of a recurring series, video or in person, with between
  `social_minute.min_people` and `max_people` humans; the organiser only.
- one_on_one: a one-on-one; both people, each if they accepted or organise it.

Humans are participants of kind person who have not declined, counted once per address.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from service.domain.model import AttendeeKind, EventStatus, Modality, Response, email_key
from service.domain.nudges.types import Participant, PersonPrefs, ScheduledMeeting
from service.domain.policy import Policy
from service.domain.vocabulary import NudgeKind, Role

_NOT_HUMAN = (AttendeeKind.ROOM, AttendeeKind.RESOURCE)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A nudge a rule calls for, before preferences, timing and caps; `held` says why not."""

    meeting: ScheduledMeeting
    person: str
    kind: NudgeKind
    role: Role
    reason: str
    held: str | None = None


def humans(meeting: ScheduledMeeting) -> list[Participant]:
    """The meeting's person participants who have not declined, once per address."""
    seen: dict[str, Participant] = {}
    for person in meeting.participants:
        if person.kind is not AttendeeKind.PERSON or person.response is Response.DECLINED:
            continue
        seen.setdefault(email_key(person.email), person)
    return list(seen.values())


def _has_external(meeting: ScheduledMeeting) -> bool:
    return any(not p.internal and p.kind not in _NOT_HUMAN for p in meeting.participants)


def meeting_exclusion(meeting: ScheduledMeeting, policy: Policy, now: datetime) -> str | None:
    """Why no one gets a nudge for this meeting, or None."""
    if meeting.status is EventStatus.CANCELLED:
        return "the meeting is cancelled"
    if not meeting.classification.is_meeting:
        return "not a meeting (a hold, focus time, out of office or all-day event)"
    if meeting.start <= now:
        return "the meeting has already started"
    exclusions = policy.exclusions
    size = len(humans(meeting))
    if size > exclusions.max_people:
        return f"the meeting has {size} people, more than the policy's {exclusions.max_people}"
    word = exclusions.matched_keyword(meeting.title)
    if word is not None:
        return f'the title has the excluded keyword "{word}"'
    if exclusions.external_attendees and _has_external(meeting):
        return "the meeting has people from outside the organisation"
    return None


def _recipients(
    meeting: ScheduledMeeting, people: Mapping[str, PersonPrefs]
) -> Iterator[tuple[str, Participant]]:
    """Tenant persons among the participants, once per address (organiser flag kept)."""
    merged: dict[str, Participant] = {}
    for person in meeting.participants:
        if person.kind is not AttendeeKind.PERSON:
            continue
        key = email_key(person.email)
        if key not in people:
            continue
        first = merged.get(key)
        if first is None or (person.organizer and not first.organizer):
            merged[key] = person
    yield from sorted(merged.items(), key=lambda item: item[0])


def _response_hold(person: Participant) -> str | None:
    """Why this person's answer rules a nudge out: declined, or (not organising) not accepted."""
    if person.response is Response.DECLINED:
        # An organiser can decline their own meeting (set up for others): respect it too.
        return "you declined the meeting"
    if person.organizer or person.response is Response.ACCEPTED:
        return None
    return "you have not accepted the meeting"


def _camera_on(meeting: ScheduledMeeting, email: str, person: Participant) -> Candidate | None:
    cls = meeting.classification
    if cls.modality is not Modality.VIDEO or cls.one_on_one is True:
        return None
    role = Role.of(person.organizer)
    reason = (
        "it's a video meeting you organise"
        if person.organizer
        else "it's a video meeting you accepted"
    )
    return Candidate(meeting, email, NudgeKind.CAMERA_ON, role, reason, _response_hold(person))


def _switch(meeting: ScheduledMeeting, email: str, person: Participant) -> Candidate | None:
    if meeting.classification.modality is not Modality.AUDIO:
        return None
    role = Role.of(person.organizer)
    reason = (
        "it's an audio-only call you organise"
        if person.organizer
        else "it's an audio-only call you accepted"
    )
    return Candidate(
        meeting, email, NudgeKind.SWITCH_TO_VIDEO, role, reason, _response_hold(person)
    )


def _social(
    meeting: ScheduledMeeting, email: str, person: Participant, policy: Policy
) -> Candidate | None:
    if meeting.series_id is None or not person.organizer:
        return None
    if meeting.classification.modality not in (Modality.VIDEO, Modality.IN_PERSON):
        return None
    size = len(humans(meeting))
    sizes = policy.social_minute
    if not sizes.min_people <= size <= sizes.max_people:
        return None
    reason = f"it's a recurring meeting of {size} people you organise"
    held = _response_hold(person)
    return Candidate(meeting, email, NudgeKind.SOCIAL_MINUTE, Role.ORGANIZER, reason, held)


def _one_on_one(
    meeting: ScheduledMeeting, email: str, person: Participant, prefs: PersonPrefs
) -> Candidate | None:
    if meeting.classification.one_on_one is not True:
        return None
    others = [p for p in humans(meeting) if email_key(p.email) != email]
    other = others[0] if others else None
    name = (other.name or other.email) if other is not None else "your colleague"
    role = Role.of(person.organizer)
    held = _response_hold(person)
    muted = {email_key(address) for address in prefs.muted_contacts}
    if held is None and other is not None and email_key(other.email) in muted:
        held = "you muted the other person"
    return Candidate(
        meeting, email, NudgeKind.ONE_ON_ONE, role, f"it's a one-on-one with {name}", held
    )


def candidates(
    meeting: ScheduledMeeting, people: Mapping[str, PersonPrefs], policy: Policy
) -> Iterator[Candidate]:
    """Every nudge the table calls for in this meeting, for tenant persons (keys normalised)."""
    for email, person in _recipients(meeting, people):
        found = (
            _one_on_one(meeting, email, person, people[email]),
            _switch(meeting, email, person),
            _social(meeting, email, person, policy),
            _camera_on(meeting, email, person),
        )
        yield from (candidate for candidate in found if candidate is not None)
