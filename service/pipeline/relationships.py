"""Weekly reports: lapsed working relationships and each person's week at a glance.

One streaming pass over the look-back window feeds the relationship tracker and the per-person
week counts; one pass over the weeks ahead finds pairs that already have a meeting booked.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.model import AttendeeKind, Response, email_key
from service.domain.policy import RelationshipPolicy
from service.domain.relationships import LapsedRelationship, PastMeeting, RelationshipTracker
from service.storage import MeetingRepository, PersonRow
from service.storage.rows import MeetingRow

LOOKAHEAD = timedelta(days=60)
WEEK = timedelta(days=7)


@dataclass(slots=True)
class WeekCounts:
    """One person's last seven days in numbers."""

    by_modality: Counter[str] = field(default_factory=Counter)
    one_on_ones: int = 0
    hours: float = 0.0


@dataclass(frozen=True, slots=True)
class RelationshipFindings:
    """What the pass found: lapsed relationships per person and each person's week."""

    lapsed: Mapping[str, tuple[LapsedRelationship, ...]]
    weeks: Mapping[str, WeekCounts]


def _attendees(row: MeetingRow) -> tuple[str, ...]:
    """The humans who did not decline (rooms, resources and groups left out)."""
    return tuple(
        p.email
        for p in row.participations
        if p.kind in (AttendeeKind.PERSON, AttendeeKind.UNKNOWN) and p.response != Response.DECLINED
    )


def _past_meeting(row: MeetingRow) -> PastMeeting:
    external = frozenset(p.email for p in row.participations if p.person_id is None)
    return PastMeeting(
        start=row.start,
        people=_attendees(row),
        cancelled=row.status == "cancelled",
        is_meeting=row.is_meeting,
        external=external,
    )


def _count_week(
    row: MeetingRow, windows: Mapping[str, tuple[datetime, datetime]], weeks: dict[str, WeekCounts]
) -> None:
    if row.status == "cancelled" or not row.is_meeting:
        return
    hours = (row.end - row.start).total_seconds() / 3600
    for participation in row.participations:
        if participation.person_id is None or participation.response == Response.DECLINED:
            continue
        window = windows.get(participation.email)
        if window is None or not window[0] <= row.start < window[1]:
            continue
        counts = weeks.setdefault(participation.email, WeekCounts())
        counts.by_modality[row.modality] += 1
        counts.one_on_ones += 1 if row.one_on_one else 0
        counts.hours += hours


async def find_relationships(
    session: AsyncSession,
    tenant_id: int,
    people: Mapping[str, PersonRow],
    policy: RelationshipPolicy,
    now: datetime,
) -> RelationshipFindings:
    """Stream past and upcoming meetings once; return lapsed relationships and week counts.

    Each person's week is the last full Monday-to-Sunday week in their own time zone.
    """
    meetings = MeetingRepository(session, tenant_id)
    tracker = RelationshipTracker(policy, internal_people=frozenset(people))
    windows = {email: report_week(now, person.timezone)[1:] for email, person in people.items()}
    weeks: dict[str, WeekCounts] = {}
    async for row in meetings.iter_past(now - timedelta(days=policy.lookback_days), now):
        tracker.add(_past_meeting(row))
        _count_week(row, windows, weeks)
    scheduled: set[frozenset[str]] = set()
    async for row in meetings.iter_upcoming(now, now + LOOKAHEAD, include_cancelled=False):
        humans = sorted(set(_attendees(row)))
        if not row.is_meeting or policy.weight_for(len(humans)) <= 0:
            continue
        scheduled.update(frozenset((a, b)) for i, a in enumerate(humans) for b in humans[i + 1 :])
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
