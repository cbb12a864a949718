"""Which nudge kinds a meeting calls for, and for whom: the table of DESIGN.md as code.

Kinds, recipients and the plain-words reason for each (the reason ends "You're getting this
because ..." in the email, so it names what makes this meeting fit):

- camera_on: a video meeting that is not a one-on-one (a one-on-one gets the one_on_one nudge
  instead); every tenant person who accepted or organises it.
- switch_to_video: an audio-only meeting that is not a one-on-one; its organiser only (the one
  who can add a link). An audio-only one-on-one says it in its one_on_one nudge instead.
- social_minute: an instance of a recurring series, video or in person, with between
  `social_minute.min_people` and `max_people` humans; the organiser only.
- one_on_one: a one-on-one; both people, each if they accepted or organise it, and only while
  the other person has a name, has not declined and has not opted out of Rapport (the nudge
  is about them).

No nudge at all for a meeting the calendar marks private (unless the policy allows it) or whose
title has a sensitive word. Humans are participants of kind person who have not declined,
counted once per address.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from service.domain.model import AttendeeKind, EventStatus, Modality, Response, email_key
from service.domain.nudges.types import Held, Participant, PersonPrefs, ScheduledMeeting
from service.domain.policy import Policy
from service.domain.vocabulary import NudgeKind, Role

_NOT_HUMAN = (AttendeeKind.ROOM, AttendeeKind.RESOURCE)


@dataclass(frozen=True, slots=True)
class Hold:
    """Why a nudge is held back: the reason in words and its group."""

    reason: str
    category: Held


@dataclass(frozen=True, slots=True)
class Candidate:
    """A nudge a rule calls for, before preferences, timing and caps; `held` says why not."""

    meeting: ScheduledMeeting
    person: str
    kind: NudgeKind
    role: Role
    reason: str
    held: Hold | None = None


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


def meeting_exclusion(meeting: ScheduledMeeting, policy: Policy, now: datetime) -> Hold | None:
    """Why no one gets a nudge for this meeting, or None."""
    unfit = Held.NOT_FOR_NUDGES
    if meeting.status is EventStatus.CANCELLED:
        return Hold("the meeting is cancelled", unfit)
    if not meeting.classification.is_meeting:
        return Hold("not a meeting (a hold, focus time, out of office or all-day event)", unfit)
    if meeting.start <= now:
        return Hold("the meeting has already started", unfit)
    exclusions = policy.exclusions
    if meeting.private and exclusions.private_meetings:
        return Hold("the calendar marks the meeting private", Held.PRIVATE)
    word = exclusions.matched_keyword(meeting.title)
    if word is not None:
        return Hold(f'the title has a sensitive word ("{word}")', Held.SENSITIVE)
    size = len(humans(meeting))
    if size > exclusions.max_people:
        reason = f"the meeting has {size} people, more than the policy's {exclusions.max_people}"
        return Hold(reason, unfit)
    if exclusions.external_attendees and _has_external(meeting):
        return Hold("the meeting has people from outside the organisation", unfit)
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


def _response_hold(person: Participant) -> Hold | None:
    """Why this person's answer rules a nudge out: declined, or (not organising) not accepted."""
    if person.response is Response.DECLINED:
        # An organiser can decline their own meeting (set up for others): respect it too.
        return Hold("you declined the meeting", Held.NOT_ACCEPTED)
    if person.organizer or person.response is Response.ACCEPTED:
        return None
    return Hold("you have not accepted the meeting", Held.NOT_ACCEPTED)


# (longest median gap in days, the word): a series meeting on weekdays has a median gap of 1.
_RECURRENCE = ((1.5, "daily"), (8.5, "weekly"), (15.5, "fortnightly"), (32.5, "monthly"))


def recurrence_of(starts: Sequence[datetime]) -> str | None:
    """How often a series meets, in a word ("weekly"), from its instances' starts; None when
    there are fewer than two or the gaps fit no common rhythm."""
    days = sorted({start.date() for start in starts})
    if len(days) < 2:
        return None
    gap = statistics.median((later - earlier).days for earlier, later in pairwise(days))
    low = 0.0
    for high, word in _RECURRENCE:
        if low < gap <= high and (word == "daily" or gap >= high - 2.5):
            return word
        low = high
    return None


def _every(meeting: ScheduledMeeting) -> str:
    """ "weekly " for a series that meets weekly; "" when unknown or a one-off."""
    return f"{meeting.recurrence} " if meeting.recurrence else ""


def _camera_on(meeting: ScheduledMeeting, email: str, person: Participant) -> Candidate | None:
    cls = meeting.classification
    if cls.modality is not Modality.VIDEO or cls.one_on_one is True:
        return None
    size = len(humans(meeting))
    verb = "organise" if person.organizer else "accepted"
    reason = f"you {verb} this {_every(meeting)}video meeting of {size}"
    role = Role.of(person.organizer)
    return Candidate(meeting, email, NudgeKind.CAMERA_ON, role, reason, _response_hold(person))


def _switch(meeting: ScheduledMeeting, email: str, person: Participant) -> Candidate | None:
    cls = meeting.classification
    if cls.modality is not Modality.AUDIO or cls.one_on_one is True or not person.organizer:
        return None
    size = len(humans(meeting))
    reason = f"you organise this {_every(meeting)}call of {size}, which has a dial-in but no video"
    held = _response_hold(person)
    return Candidate(meeting, email, NudgeKind.SWITCH_TO_VIDEO, Role.ORGANIZER, reason, held)


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
    every = _every(meeting) or "recurring "
    reason = f"you organise this {every}meeting of {size}"
    held = _response_hold(person)
    return Candidate(meeting, email, NudgeKind.SOCIAL_MINUTE, Role.ORGANIZER, reason, held)


def other_person(meeting: ScheduledMeeting, email: str) -> Participant | None:
    """In a one-on-one, the other person (declined or not), or None."""
    for person in meeting.participants:
        if person.kind is AttendeeKind.PERSON and email_key(person.email) != email:
            return person
    return None


def _subject_hold(other: Participant | None, prefs: PersonPrefs) -> Hold | None:
    """Why a one-on-one nudge about `other` must not go out: the nudge is about them."""
    if other is None:
        return Hold("no other person is listed", Held.SUBJECT)
    if other.response is Response.DECLINED:
        return Hold("the other person declined this meeting", Held.SUBJECT)
    if other.opted_out:
        return Hold("the other person opted out of Rapport", Held.SUBJECT)
    if not (other.name or "").strip():
        return Hold("no name is known for the other person", Held.SUBJECT)
    if email_key(other.email) in {email_key(address) for address in prefs.muted_contacts}:
        return Hold("you muted the other person", Held.OPTED_OUT)
    return None


def _one_on_one(
    meeting: ScheduledMeeting, email: str, person: Participant, prefs: PersonPrefs
) -> Candidate | None:
    if meeting.classification.one_on_one is not True:
        return None
    other = other_person(meeting, email)
    role = Role.of(person.organizer)
    held = _response_hold(person) or _subject_hold(other, prefs)
    name = (other.name or "").strip() if other is not None else ""
    reason = f"you have a {_every(meeting)}one-on-one with {name or 'someone'} coming up"
    return Candidate(meeting, email, NudgeKind.ONE_ON_ONE, role, reason, held)


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
