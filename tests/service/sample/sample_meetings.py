"""The sample read the way the demo reads it: the real ICS connector and classifier."""

from __future__ import annotations

from datetime import datetime

from integrations.ics.expand import expand_feed
from service.domain.classify import classify
from service.domain.model import AttendeeKind, Meeting, Response
from service.domain.nudges.types import Participant, ScheduledMeeting
from service.domain.port import SyncWindow
from service.sample import SampleOrganisation


def meetings(sample: SampleOrganisation, start: datetime, end: datetime) -> list[Meeting]:
    """Every meeting instance of every feed in the window, once each, in time order."""
    found: dict[tuple[str, datetime], Meeting] = {}
    for person in sample.people:
        feed = expand_feed(
            sample.feed(person.email), person.email, SyncWindow(start, end), person.timezone
        )
        assert feed.skipped == [], person.email
        for meeting in feed.meetings:
            found.setdefault((meeting.uid, meeting.instance_start), meeting)
    return sorted(found.values(), key=lambda item: (item.start, item.uid))


def scheduled(meeting: Meeting, key: int, domain: str) -> ScheduledMeeting:
    """The planner's view of a meeting, as the pipeline would store it."""
    participants = tuple(
        Participant(
            email=attendee.email,
            name=attendee.name,
            kind=attendee.kind,
            response=attendee.response,
            organizer=attendee.organizer or attendee.email == meeting.organizer,
            optional=attendee.optional,
            internal=attendee.email.endswith("@" + domain),
        )
        for attendee in meeting.attendees or ()
        if attendee.email
    )
    return ScheduledMeeting(
        key=key,
        uid=meeting.uid,
        series_id=meeting.series_id,
        title=meeting.title,
        start=meeting.start,
        end=meeting.end,
        status=meeting.status,
        classification=classify(meeting),
        participants=participants,
    )


def attendees(meeting: Meeting) -> tuple[str, ...]:
    """The humans who did not decline, organizer included."""
    found = {meeting.organizer} if meeting.organizer else set()
    for attendee in meeting.attendees or ():
        if attendee.email and attendee.kind == AttendeeKind.PERSON:
            if attendee.response == Response.DECLINED:
                found.discard(attendee.email)
            else:
                found.add(attendee.email)
    return tuple(sorted(found))
