"""Builders for the rules tests: meetings at local wall times, people, and one planner call."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from service.domain.model import AttendeeKind, Classification, EventStatus, Modality, Response
from service.domain.nudges import (
    NudgeHistory,
    NudgeKind,
    NudgePlan,
    Participant,
    PersonPrefs,
    PlanResult,
    ScheduledMeeting,
    Suppressed,
    plan_nudges,
)
from service.domain.policy import Policy

# Monday 2026-11-23, before any meeting the tests build.
NOW = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


def at(year: int, month: int, day: int, hour: int, minute: int = 0, tz: str = "UTC") -> datetime:
    """A local wall time in a zone, as a UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def local(value: datetime, tz: str) -> datetime:
    """A UTC instant read in a zone."""
    return value.astimezone(ZoneInfo(tz))


def person(
    email: str,
    *,
    organizer: bool = False,
    response: Response = Response.ACCEPTED,
    internal: bool = True,
    kind: AttendeeKind = AttendeeKind.PERSON,
    name: str | None = None,
) -> Participant:
    """A participant; accepted and internal unless told."""
    return Participant(
        email=email,
        name=name,
        kind=kind,
        response=response,
        organizer=organizer,
        optional=False,
        internal=internal,
    )


def meeting(
    start: datetime,
    participants: Iterable[Participant],
    *,
    key: int = 1,
    modality: Modality = Modality.VIDEO,
    one_on_one: bool | None = False,
    series_id: str | None = None,
    title: str = "Team sync",
    status: EventStatus = EventStatus.CONFIRMED,
    is_meeting: bool = True,
    minutes: int = 30,
) -> ScheduledMeeting:
    """A scheduled meeting of 30 minutes, video, not a one-on-one unless told."""
    return ScheduledMeeting(
        key=key,
        uid=f"uid-{key}",
        series_id=series_id,
        title=title,
        start=start,
        end=start + timedelta(minutes=minutes),
        status=status,
        classification=Classification(
            modality=modality, one_on_one=one_on_one, is_meeting=is_meeting
        ),
        participants=tuple(participants),
    )


def team(n: int, organizer: str = "org@acme.test") -> list[Participant]:
    """An organiser plus n-1 accepted colleagues."""
    others = [person(f"p{i}@acme.test") for i in range(1, n)]
    return [person(organizer, organizer=True), *others]


def prefs_for(emails: Iterable[str], tz: str = "Europe/London") -> dict[str, PersonPrefs]:
    """Default preferences for each address, all in one zone."""
    return {email: PersonPrefs(email=email, timezone=tz) for email in emails}


def people_of(
    meetings: Iterable[ScheduledMeeting], tz: str = "Europe/London"
) -> dict[str, PersonPrefs]:
    """Every internal person participant of these meetings, with default preferences."""
    emails = {
        p.email
        for m in meetings
        for p in m.participants
        if p.internal and p.kind is AttendeeKind.PERSON
    }
    return prefs_for(sorted(emails), tz)


def run(
    meetings: Iterable[ScheduledMeeting],
    people: Mapping[str, PersonPrefs] | None = None,
    policy: Policy | None = None,
    history: NudgeHistory | None = None,
    now: datetime = NOW,
) -> PlanResult:
    """Plan with defaults for whatever is not given (people: every internal participant)."""
    listed = list(meetings)
    return plan_nudges(
        listed,
        people if people is not None else people_of(listed),
        policy if policy is not None else Policy(),
        history if history is not None else NudgeHistory(),
        now,
    )


def plans_for(result: PlanResult, email: str) -> list[NudgePlan]:
    """The plans of one person."""
    return [p for p in result.plans if p.person == email]


def held_for(result: PlanResult, email: str, kind: NudgeKind | None = None) -> list[Suppressed]:
    """The suppressed nudges of one person (of one kind if given)."""
    return [s for s in result.suppressed if s.person == email and kind in (None, s.kind)]


def kinds(result: PlanResult, email: str) -> set[NudgeKind]:
    """The kinds planned for one person."""
    return {p.kind for p in plans_for(result, email)}
