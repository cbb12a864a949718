"""Planning: turn stored upcoming meetings into nudge rows with the tenant's policies.

Each person is planned for from their own view of their meetings only (their own calendar's
copy): a meeting another person's calendar lists them on gets them nothing. Re-planning is
idempotent: plans are upserted on (meeting, person, kind), nudges whose reason no longer holds
(a meeting moved, was cancelled, someone declined, it left their calendar) are cancelled.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, TypeVar

from service.domain.model import AttendeeKind, Classification, EventStatus, Modality, Response
from service.domain.nudges import (
    DELIVERY_MODES,
    NudgeHistory,
    NudgePlan,
    Participant,
    PersonalHours,
    PersonPrefs,
    ScheduledMeeting,
    plan_nudges,
)
from service.errors import NotFound
from service.pipeline.policies import TenantPolicies, load_policies
from service.runtime import Runtime
from service.storage import (
    MeetingRepository,
    MeetingRow,
    NudgeRepository,
    PeopleRepository,
    PersonRow,
    TenantRepository,
)

DAY = timedelta(days=1)
E = TypeVar("E", bound=Enum)


@dataclass(slots=True)
class PlanningOutcome:
    """What a planning run did."""

    meetings: int = 0
    planned: int = 0
    changed: int = 0
    suppressed: int = 0
    cancelled: int = 0
    suppressed_reasons: dict[str, int] = field(default_factory=dict)


def _member(kind: type[E], value: str, default: E) -> E:
    """The enum member for a stored value, or `default` for a value this version does not know."""
    return kind(value) if value in kind._value2member_map_ else default


def scheduled_meeting(
    row: MeetingRow, internal_domains: Iterable[str], names: Mapping[str, str] | None = None
) -> ScheduledMeeting:
    """The planner's view of a stored meeting (participants typed, internal marked).

    `names` gives tenant people's names by address, so a reason reads "a one-on-one with Ana
    Lee" rather than an address.
    """
    domains = tuple(d.lower() for d in internal_domains)
    known = names or {}
    participants = tuple(
        Participant(
            email=p.email,
            name=known.get(p.email),
            kind=_member(AttendeeKind, p.kind, AttendeeKind.UNKNOWN),
            response=_member(Response, p.response, Response.UNKNOWN),
            organizer=p.organizer,
            optional=p.optional,
            internal=p.person_id is not None or p.email.rsplit("@", 1)[-1].lower() in domains,
        )
        for p in row.participations
    )
    classification = Classification(
        modality=_member(Modality, row.modality, Modality.UNKNOWN),
        provider=row.provider,
        hybrid=row.hybrid,
        one_on_one=row.one_on_one,
        is_meeting=row.is_meeting,
        reasons=row.reasons,
    )
    return ScheduledMeeting(
        key=row.id,
        uid=row.ical_uid,
        series_id=row.series_id,
        title=row.title,
        start=row.start,
        end=row.end,
        status=_member(EventStatus, row.status, EventStatus.CONFIRMED),
        classification=classification,
        participants=participants,
    )


def person_prefs(person: PersonRow) -> PersonPrefs:
    """The planner's view of a person's preferences (an unreadable stored choice: the policy's)."""
    mode = person.delivery_mode
    return PersonPrefs(
        email=person.email,
        timezone=person.timezone,
        opted_out=person.opted_out,
        opted_out_kinds=frozenset(person.opted_out_kinds),
        snoozed_until=person.snoozed_until,
        muted_contacts=frozenset(person.muted_contacts),
        paused_kinds=paused_kinds(person.paused_kinds),
        muted_series=frozenset(person.muted_series),
        working_hours=personal_hours(person.working_hours),
        delivery_mode=mode if mode in DELIVERY_MODES else None,
    )


def personal_hours(stored: Mapping[str, Any] | None) -> PersonalHours | None:
    """A person's stored working hours (`{"start": "09:00", "end": "17:30"}`), or None."""
    if not stored:
        return None
    start, end, days = stored.get("start"), stored.get("end"), stored.get("days")
    if not isinstance(start, str) or not isinstance(end, str):
        return None
    if days is not None and not (isinstance(days, list) and all(isinstance(d, int) for d in days)):
        return None
    try:
        return PersonalHours(start, end, None if days is None else tuple(days))
    except ValueError:
        return None


def paused_kinds(stored: Mapping[str, str]) -> dict[str, datetime]:
    """Paused kinds as kind -> tz-aware end of the pause (unreadable entries are dropped)."""
    paused: dict[str, datetime] = {}
    for kind, until in stored.items():
        try:
            moment = datetime.fromisoformat(until)
        except (TypeError, ValueError):
            continue
        paused[kind] = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return paused


async def _history(
    nudges: NudgeRepository,
    people: Mapping[int, PersonRow],
    meeting_ids: list[int],
    now: datetime,
    longest_series_cap: int,
) -> NudgeHistory:
    """What was sent lately: per person and local day, per series, and for these meetings."""
    zones = {pid: person.timezone for pid, person in people.items()}
    per_day = await nudges.sent_counts_by_person_day(now - 2 * DAY, zones)
    by_series = await nudges.last_sent_by_series(now - longest_series_cap * DAY)
    sent = await nudges.sent_keys(meeting_ids)
    email = {pid: person.email for pid, person in people.items()}
    return NudgeHistory(
        sent_per_person_day={
            (email[pid], day): n for (pid, day), n in per_day.items() if pid in email
        },
        last_sent_by_series={
            (email[pid], series, kind): at
            for (pid, series, kind), at in by_series.items()
            if pid in email
        },
        sent=frozenset((mid, email[pid], kind) for mid, pid, kind in sent if pid in email),
    )


async def plan_upcoming(rt: Runtime, tenant_id: int, until: datetime) -> PlanningOutcome:
    """Plan (or re-plan) nudges for the tenant's meetings starting in [now, until); commit once."""
    now = rt.now()
    outcome = PlanningOutcome()
    async with rt.db.session() as session:
        tenant = await TenantRepository(session).get(tenant_id)
        if tenant is None:
            raise NotFound(f"tenant {tenant_id} not found")
        people = {p.id: p async for p in PeopleRepository(session, tenant_id).iter_all()}
        policies = await load_policies(session, tenant_id)
        names = {p.email: p.name for p in people.values() if p.name}
        views: defaultdict[int, list[ScheduledMeeting]] = defaultdict(list)
        async for row in MeetingRepository(session, tenant_id).iter_views(now, until):
            if row.seen_by in people:
                views[row.seen_by].append(scheduled_meeting(row, tenant.internal_domains, names))
        meeting_ids = sorted({m.key for found in views.values() for m in found})
        outcome.meetings = len(meeting_ids)
        nudges = NudgeRepository(session, tenant_id)
        history = await _history(nudges, people, meeting_ids, now, policies.longest_series_cap_days)
        plans, held_back = _plan_by_person(views, people, policies, history, now)
        outcome.suppressed_reasons = dict(held_back)
        outcome.suppressed = sum(held_back.values())
        outcome.changed = len(await nudges.plan_many(plans))
        outcome.planned = len(plans)
        ids = {person.email: pid for pid, person in people.items()}
        keep = {(p.meeting_key, ids[p.person], p.kind.value) for p in plans if p.person in ids}
        outcome.cancelled = len(await nudges.cancel_stale(meeting_ids, keep))
        await session.commit()
    return outcome


def _plan_by_person(
    views: Mapping[int, list[ScheduledMeeting]],
    people: Mapping[int, PersonRow],
    policies: TenantPolicies,
    history: NudgeHistory,
    now: datetime,
) -> tuple[list[NudgePlan], Counter[str]]:
    """Plan each person from their own views under their group's policy; count what was held.

    Caps are per person, so planning one person at a time plans what one call would.
    """
    plans: list[NudgePlan] = []
    held_back: Counter[str] = Counter()
    for person_id, meetings in sorted(views.items()):
        person = people[person_id]
        group = person.team if person.team in policies.groups else None
        prefs = {person.email: person_prefs(person)}
        result = plan_nudges(meetings, prefs, policies.for_group(group), history, now)
        plans.extend(result.plans)
        held_back.update(held.reason for held in result.suppressed)
    return plans, held_back
