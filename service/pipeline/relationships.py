"""Weekly reports: lapsed working relationships and each person's week at a glance.

One streaming pass over the look-back window feeds the relationship tracker and the per-person
week counts; one pass over the weeks ahead finds pairs that already have a meeting booked. In
both, a meeting of just two people that either declined is a "no": the tracker keeps that pair
out of both people's lists for the policy's `decline_quiet_days`.
Both read each person's own view of their meetings: a person counts a meeting only through
their own calendar, and a contact who has a calendar connected counts only where their own
calendar shows the meeting too (one without a calendar counts as a name on it).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.model import AttendeeKind, Response, email_key
from service.domain.policy import RelationshipPolicy
from service.domain.relationships import LapsedRelationship, PastMeeting, RelationshipTracker
from service.storage import InsightRepository, MeetingRepository, PersonRow
from service.storage.rows import MeetingRow

LOOKAHEAD = timedelta(days=60)
WEEK = timedelta(days=7)
HUMAN = (AttendeeKind.PERSON, AttendeeKind.UNKNOWN)


@dataclass(slots=True)
class WeekCounts:
    """One person's last seven days in numbers."""

    by_modality: Counter[str] = field(default_factory=Counter)
    one_on_ones: int = 0
    hours: float = 0.0
    one_on_one_with: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RelationshipFindings:
    """What the pass found: lapsed relationships per person and each person's week."""

    lapsed: Mapping[str, tuple[LapsedRelationship, ...]]
    weeks: Mapping[str, WeekCounts]


def attended(view: MeetingRow, viewer: str, connected: Collection[int]) -> tuple[str, ...] | None:
    """The humans at a meeting as the viewer's own calendar shows it, viewer first.

    None when the viewer declined it. Rooms, resources, groups and those who declined are left
    out, and so is a person with a calendar connected whose own calendar does not show it.
    """
    own = next((p for p in view.participations if p.person_id == view.seen_by), None)
    if own is None or own.response == Response.DECLINED:
        return None
    others = [
        p.email
        for p in view.participations
        if p.email != viewer
        and p.kind in HUMAN
        and p.response != Response.DECLINED
        and (p.person_id is None or p.person_id not in connected or p.in_calendar)
    ]
    return (viewer, *dict.fromkeys(others))


def declined_with(view: MeetingRow, viewer: str) -> str | None:
    """In a meeting of just two people that either of them declined: the other one, else None."""
    people = {p.email: p for p in view.participations if p.kind in HUMAN}
    if len(people) != 2 or viewer not in people:
        return None
    if all(p.response != Response.DECLINED for p in people.values()):
        return None
    return next(email for email in people if email != viewer)


def _past_meeting(view: MeetingRow, people: tuple[str, ...], viewer: str) -> PastMeeting:
    external = frozenset(p.email for p in view.participations if p.person_id is None)
    return PastMeeting(
        start=view.start,
        people=people,
        cancelled=view.status == "cancelled",
        is_meeting=view.is_meeting,
        external=external,
        seen_by=viewer,
    )


def _count_week(
    view: MeetingRow,
    humans: tuple[str, ...],
    window: tuple[datetime, datetime] | None,
    weeks: dict[str, WeekCounts],
) -> None:
    if view.status == "cancelled" or not view.is_meeting or window is None:
        return
    if not window[0] <= view.start < window[1]:
        return
    counts = weeks.setdefault(humans[0], WeekCounts())
    counts.by_modality[view.modality] += 1
    counts.hours += (view.end - view.start).total_seconds() / 3600
    if view.one_on_one:
        counts.one_on_ones += 1
        counts.one_on_one_with.extend(c for c in humans[1:] if c not in counts.one_on_one_with)


async def find_relationships(
    session: AsyncSession,
    tenant_id: int,
    people: Mapping[str, PersonRow],
    policy: RelationshipPolicy,
    now: datetime,
) -> RelationshipFindings:
    """Stream past and upcoming views once; return lapsed relationships and week counts.

    Each person's week is the last full Monday-to-Sunday week in their own time zone.
    """
    meetings = MeetingRepository(session, tenant_id)
    connected = await InsightRepository(session, tenant_id).connected_people()
    emails = {person.id: email for email, person in people.items()}
    tracker = RelationshipTracker(policy, internal_people=frozenset(people))
    windows = {email: report_week(now, person.timezone)[1:] for email, person in people.items()}
    weeks: dict[str, WeekCounts] = {}
    start = now - timedelta(days=policy.lookback_days)
    async for view in meetings.iter_views(start, now, include_cancelled=False):
        viewer = emails.get(view.seen_by or 0)
        if viewer is not None and (other := declined_with(view, viewer)) is not None:
            tracker.add_decline(viewer, other, view.start)
        humans = None if viewer is None else attended(view, viewer, connected)
        if viewer is None or humans is None:
            continue
        tracker.add(_past_meeting(view, humans, viewer))
        _count_week(view, humans, windows.get(viewer), weeks)
    scheduled: set[frozenset[str]] = set()
    async for view in meetings.iter_views(now, now + LOOKAHEAD, include_cancelled=False):
        viewer = emails.get(view.seen_by or 0)
        if viewer is not None and (other := declined_with(view, viewer)) is not None:
            tracker.add_decline(viewer, other, view.start)
        humans = None if viewer is None else attended(view, viewer, connected)
        if viewer is None or humans is None or not view.is_meeting:
            continue
        if policy.weight_for(len(humans)) <= 0:
            continue
        scheduled.update(frozenset((email_key(viewer), email_key(c))) for c in humans[1:])
    by_person: defaultdict[str, list[LapsedRelationship]] = defaultdict(list)
    for found in tracker.lapsed(now, scheduled):
        by_person[found.person].append(found)
    return RelationshipFindings(
        lapsed={person: tuple(items) for person, items in by_person.items()}, weeks=weeks
    )


def visible_lapsed(
    items: Iterable[LapsedRelationship], person: PersonRow, people: Mapping[str, PersonRow]
) -> tuple[LapsedRelationship, ...]:
    """The lapsed relationships a person's report may show.

    Never a contact they muted, and never someone who opted out of Rapport entirely.
    """
    muted = {email_key(address) for address in person.muted_contacts}
    return tuple(
        item
        for item in items
        if item.contact not in muted
        and not (item.contact in people and people[item.contact].opted_out)
    )


def report_week(now: datetime, timezone: str) -> tuple[date, datetime, datetime]:
    """The last full local week before `now`: its Monday, and its start and end in UTC."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone).date()
    this_monday = local - timedelta(days=local.weekday())
    monday = this_monday - WEEK
    start = datetime.combine(monday, time(0), zone).astimezone(UTC)
    end = datetime.combine(this_monday, time(0), zone).astimezone(UTC)
    return monday, start, end
