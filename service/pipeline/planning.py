"""Planning: turn stored upcoming meetings into nudge rows with the tenant's policies.

Each person is planned for from their own view of their meetings only (their own calendar's
copy): a meeting another person's calendar lists them on gets them nothing. Only active people
are planned for. Re-planning is idempotent: plans are upserted on (meeting, person, kind),
nudges whose reason no longer holds (a meeting moved, was cancelled, someone declined, it left
their calendar) are cancelled.

The planner's history is what was sent in the look-back (`HISTORY_DAYS` for the series in the
window, for its back-off; `repeat_days` for everything else) and who answered "helpful".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.model import (
    PRIVATE_TITLE,
    AttendeeKind,
    Classification,
    EventStatus,
    Modality,
    Response,
)
from service.domain.nudges import (
    DELIVERY_MODES,
    Held,
    NudgeHistory,
    NudgePlan,
    Participant,
    PersonalHours,
    PersonPrefs,
    ScheduledMeeting,
    SentNudge,
    Suppressed,
    plan_nudges,
)
from service.domain.nudges.rules import recurrence_of
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
# How far back the planner looks at a series' nudges (its back-off stops within this).
HISTORY_DAYS = 182
# How far around now a series' instances are read to say how often it meets.
RHYTHM = timedelta(days=35)
E = TypeVar("E", bound=Enum)


@dataclass(slots=True)
class PlanningOutcome:
    """What a planning run did.

    `planned` counts every plan of this run, `changed` the new or changed ones; `suppressed`
    what was held back, by reason (`suppressed_reasons`) and by group (`held_back`), not
    counting nudges already sent (`already_sent`).
    """

    meetings: int = 0
    planned: int = 0
    changed: int = 0
    suppressed: int = 0
    cancelled: int = 0
    already_sent: int = 0
    suppressed_reasons: dict[str, int] = field(default_factory=dict)
    held_back: dict[str, int] = field(default_factory=dict)


def _member(kind: type[E], value: str, default: E) -> E:
    """The enum member for a stored value, or `default` for a value this version does not know."""
    return kind(value) if value in kind._value2member_map_ else default


def scheduled_meeting(
    row: MeetingRow,
    internal_domains: Iterable[str],
    names: Mapping[str, str] | None = None,
    opted_out: Collection[str] = frozenset(),
    recurrence: str | None = None,
) -> ScheduledMeeting:
    """The planner's view of a stored meeting (participants typed, internal marked).

    `names` gives tenant people's names by address, so a reason reads "a one-on-one with Ana
    Lee" rather than an address (and a one-on-one with someone nameless is not nudged);
    `opted_out` lists the addresses of people who opted out of Rapport. A meeting stored with
    the private title (the connector replaced a private meeting's real one) is private.
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
            opted_out=p.email in opted_out,
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
        private=row.title == PRIVATE_TITLE,
        recurrence=recurrence,
    )


def person_prefs(person: PersonRow) -> PersonPrefs:
    """The planner's view of a person's preferences (an unreadable stored choice: the policy's).

    Working hours: the person's own, else their directory's (Graph mailboxSettings), else None
    (the policy's)."""
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
        working_hours=personal_hours(person.working_hours)
        or personal_hours(person.directory_working_hours),
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
    session: AsyncSession,
    tenant_id: int,
    people: Mapping[int, PersonRow],
    meetings: Collection[ScheduledMeeting],
    policies: TenantPolicies,
    now: datetime,
) -> NudgeHistory:
    """What was sent lately: per person and local day, these meetings, and the recent sends
    (every send of the last `repeat_days`, and the look-back of the series in the window)."""
    nudges = NudgeRepository(session, tenant_id)
    zones = {pid: person.timezone for pid, person in people.items()}
    per_day = await nudges.sent_counts_by_person_day(now - 2 * DAY, zones)
    sent = await nudges.sent_keys({m.key for m in meetings})
    repeat = max(p.repeat_days for p in (policies.default, *policies.groups.values()))
    records = {
        (r.person_id, r.meeting_id, r.kind): r
        for r in await nudges.sent_history(now - max(repeat, 2) * DAY)
    }
    series = {m.series_key for m in meetings}
    for r in await nudges.sent_history(now - HISTORY_DAYS * DAY, series):
        records[(r.person_id, r.meeting_id, r.kind)] = r
    email = {pid: person.email for pid, person in people.items()}
    return NudgeHistory(
        sent_per_person_day={
            (email[pid], day): n for (pid, day), n in per_day.items() if pid in email
        },
        sent=frozenset((mid, email[pid], kind) for mid, pid, kind in sent if pid in email),
        recent=tuple(
            SentNudge(
                email[r.person_id], r.meeting_id, r.series, r.kind, r.variant, r.at, r.helpful
            )
            for r in records.values()
            if r.person_id in email
        ),
    )


async def _rhythms(
    session: AsyncSession, tenant_id: int, series: Collection[str], now: datetime
) -> dict[str, str]:
    """How often each series meets ("weekly"), from its stored instances around now."""
    starts = await MeetingRepository(session, tenant_id).series_starts(
        series, now - RHYTHM, now + RHYTHM
    )
    found = {key: recurrence_of(values) for key, values in starts.items()}
    return {key: word for key, word in found.items() if word is not None}


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
        opted_out = frozenset(p.email for p in people.values() if p.opted_out)
        rows: defaultdict[int, list[MeetingRow]] = defaultdict(list)
        async for row in MeetingRepository(session, tenant_id).iter_views(now, until):
            # Only active people are planned for; their own calendar speaks for them.
            if row.seen_by in people and people[row.seen_by].active:
                rows[row.seen_by].append(row)
        series = {r.series_id for found in rows.values() for r in found if r.series_id}
        rhythms = await _rhythms(session, tenant_id, series, now)
        views = {
            pid: [
                scheduled_meeting(
                    r, tenant.internal_domains, names, opted_out, rhythms.get(r.series_id or "")
                )
                for r in found
            ]
            for pid, found in rows.items()
        }
        meetings = {m.key: m for found in views.values() for m in found}
        outcome.meetings = len(meetings)
        history = await _history(session, tenant_id, people, meetings.values(), policies, now)
        plans, held = _plan_by_person(views, people, policies, history, now)
        _count_held(outcome, held)
        nudges = NudgeRepository(session, tenant_id)
        outcome.changed = len(await nudges.plan_many(plans))
        outcome.planned = len(plans)
        ids = {person.email: pid for pid, person in people.items()}
        keep = {(p.meeting_key, ids[p.person], p.kind.value) for p in plans if p.person in ids}
        outcome.cancelled = len(await nudges.cancel_stale(sorted(meetings), keep))
        await session.commit()
    return outcome


def _count_held(outcome: PlanningOutcome, held: Iterable[Suppressed]) -> None:
    """Count what was held back, by reason and by group; already sent counts apart."""
    reasons: Counter[str] = Counter()
    groups: Counter[str] = Counter()
    for item in held:
        if item.category is Held.ALREADY:
            outcome.already_sent += 1
            continue
        reasons[item.reason] += 1
        groups[item.category.value] += 1
    outcome.suppressed_reasons = dict(reasons)
    outcome.held_back = dict(groups)
    outcome.suppressed = sum(groups.values())


def _plan_by_person(
    views: Mapping[int, list[ScheduledMeeting]],
    people: Mapping[int, PersonRow],
    policies: TenantPolicies,
    history: NudgeHistory,
    now: datetime,
) -> tuple[list[NudgePlan], list[Suppressed]]:
    """Plan each person from their own views under their group's policy; list what was held.

    Caps are per person, so planning one person at a time plans what one call would.
    """
    plans: list[NudgePlan] = []
    held_back: list[Suppressed] = []
    for person_id, meetings in sorted(views.items()):
        person = people[person_id]
        group = person.team if person.team in policies.groups else None
        prefs = {person.email: person_prefs(person)}
        result = plan_nudges(meetings, prefs, policies.for_group(group), history, now)
        plans.extend(result.plans)
        held_back.extend(result.suppressed)
    return plans, held_back
