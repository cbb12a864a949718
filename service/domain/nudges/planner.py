"""The nudge planner: rules, then each person's preferences, timing, and caps.

Decisions, in the order they are checked (the first that fails is the reason given):

1. the meeting: cancelled, not a meeting, already started, over `exclusions.max_people`
   humans, a title keyword, people from outside the tenant (when excluded);
2. the kind is turned off by the policy;
3. the person: opted out, opted out of the kind, the kind paused after "not for me" feedback
   (`paused_kinds`), snoozed (`snoozed_until > now`), this series (or one-off meeting) muted;
4. the rule's own condition: declined / not accepted, or the other person muted (one_on_one);
5. already sent (`history.sent`);
6. timing in the person's zone: working days and hours, quiet hours; the person's own working
   hours and delivery mode, when they chose them, override the policy's (`personal_policy`);
7. caps, per person in priority order one_on_one > switch_to_video > social_minute > camera_on
   then by start: one nudge per person per meeting, the series cap (counted in local days,
   so a weekly series stays weekly across a DST change), then the daily cap per LOCAL day.
   Both caps count `history` and the plans of this same run.

A meeting that has not started is planned even when its due time has passed (it was created or
accepted late): the sender sends a past-due nudge at once. Once it has started it is skipped.
In daily_briefing mode the daily cap counts each item of the briefing.
"""

from __future__ import annotations

import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from service.domain.model import email_key
from service.domain.nudges.rules import Candidate, candidates, meeting_exclusion
from service.domain.nudges.timing import Slot, briefing_slot, per_meeting_slot
from service.domain.nudges.types import (
    NudgeHistory,
    NudgePlan,
    PersonalHours,
    PersonPrefs,
    PlanResult,
    ScheduledMeeting,
    Suppressed,
)
from service.domain.policy import Policy, WorkingHours
from service.domain.vocabulary import NudgeKind
from service.domain.zones import known_zone

PRIORITY: Mapping[NudgeKind, int] = {
    NudgeKind.ONE_ON_ONE: 0,
    NudgeKind.SWITCH_TO_VIDEO: 1,
    NudgeKind.SOCIAL_MINUTE: 2,
    NudgeKind.CAMERA_ON: 3,
}


@dataclass(frozen=True, slots=True)
class _Timed:
    candidate: Candidate
    slot: Slot
    tz: ZoneInfo


def variant_of(meeting: ScheduledMeeting, person: str, kind: NudgeKind, variants: int) -> int:
    """A stable message variant: CRC-32 of the instance, person and kind, mod `variants`."""
    text = f"{meeting.uid}|{meeting.start.isoformat()}|{person}|{kind.value}"
    return zlib.crc32(text.encode("utf-8")) % variants


def personal_policy(policy: Policy, prefs: PersonPrefs) -> Policy:
    """The policy as it applies to one person: their own working hours and delivery mode win."""
    update: dict[str, object] = {}
    if prefs.working_hours is not None:
        update["working_hours"] = _hours(prefs.working_hours, policy.working_hours)
    if prefs.delivery_mode is not None and prefs.delivery_mode != policy.delivery_mode:
        update["delivery_mode"] = prefs.delivery_mode
    return policy.model_copy(update=update) if update else policy


def _hours(own: PersonalHours, policy: WorkingHours) -> WorkingHours:
    days = own.days if own.days is not None else policy.days
    return WorkingHours(start=own.start, end=own.end, days=days)


def _person_hold(
    prefs: PersonPrefs, kind: NudgeKind, meeting: ScheduledMeeting, now: datetime
) -> str | None:
    if prefs.opted_out:
        return "you opted out of nudges"
    if kind.value in prefs.opted_out_kinds:
        return f"you opted out of {kind.value} nudges"
    paused = prefs.paused_until(kind.value, now)
    if paused is not None:
        return f"you paused {kind.value} nudges (not for me) until {paused.date().isoformat()}"
    if prefs.snoozed_until is not None and prefs.snoozed_until > now:
        return f"nudges snoozed until {prefs.snoozed_until.isoformat()}"
    if prefs.muted_series and (meeting.series_id or meeting.uid) in prefs.muted_series:
        return "you muted this meeting"
    return None


def _hold(
    candidate: Candidate,
    meeting_reason: str | None,
    prefs: PersonPrefs,
    policy: Policy,
    history: NudgeHistory,
    now: datetime,
) -> str | None:
    """Why a candidate is held back before timing and caps, or None."""
    if meeting_reason is not None:
        return meeting_reason
    if not policy.kind(candidate.kind).enabled:
        return f"{candidate.kind.value} nudges are turned off by the policy"
    person_reason = _person_hold(prefs, candidate.kind, candidate.meeting, now)
    if person_reason is not None:
        return person_reason
    if candidate.held is not None:
        return candidate.held
    if (candidate.meeting.key, candidate.person, candidate.kind.value) in history.sent:
        return "already sent"
    return None


def _slot(candidate: Candidate, tz: ZoneInfo, policy: Policy) -> Slot | str:
    start = candidate.meeting.start
    if policy.delivery_mode == "daily_briefing":
        return briefing_slot(start, candidate.person, tz, policy)
    return per_meeting_slot(start, tz, policy)


def _series_capped(
    item: _Timed,
    policy: Policy,
    history: NudgeHistory,
    kept_series: Mapping[tuple[str, NudgeKind], list[date]],
) -> str | None:
    meeting, kind = item.candidate.meeting, item.candidate.kind
    cap = policy.kind(kind).series_cap_days
    if meeting.series_id is None or cap == 0:
        return None
    days = list(kept_series.get((meeting.series_id, kind), ()))
    last = history.last_sent_by_series.get((item.candidate.person, meeting.series_id, kind.value))
    if last is not None:
        days.append(last.astimezone(item.tz).date())
    if any(abs((item.slot.local_date - day).days) < cap for day in days):
        return f"already nudged for this series in the last {cap} days"
    return None


def _apply_caps(
    items: list[_Timed], policy: Policy, history: NudgeHistory
) -> tuple[list[_Timed], list[tuple[Candidate, str]]]:
    """Keep one person's nudges within the caps, in priority order per local day."""
    items = sorted(
        items,
        key=lambda i: (
            i.slot.local_date,
            PRIORITY[i.candidate.kind],
            i.candidate.meeting.start,
            i.candidate.meeting.key,
        ),
    )
    kept: list[_Timed] = []
    dropped: list[tuple[Candidate, str]] = []
    per_day: Counter[date] = Counter()
    series: defaultdict[tuple[str, NudgeKind], list[date]] = defaultdict(list)
    # A meeting this person was already nudged about is taken: re-planning after a send must
    # not hand its slot to a lower-priority kind.
    who = items[0].candidate.person if items else None
    meetings: set[int] = {key for key, person, _kind in history.sent if person == who}
    for item in items:
        candidate, day = item.candidate, item.slot.local_date
        sent_today = history.sent_per_person_day.get((candidate.person, day), 0) + per_day[day]
        reason: str | None
        if candidate.meeting.key in meetings:
            reason = "another nudge is planned for this meeting"
        else:
            reason = _series_capped(item, policy, history, series)
        if reason is None and sent_today >= policy.max_per_person_per_day:
            reason = "daily cap"
        if reason is not None:
            dropped.append((candidate, reason))
            continue
        kept.append(item)
        per_day[day] += 1
        meetings.add(candidate.meeting.key)
        if candidate.meeting.series_id is not None:
            series[(candidate.meeting.series_id, candidate.kind)].append(day)
    return kept, dropped


def _plan(item: _Timed, policy: Policy) -> NudgePlan:
    candidate = item.candidate
    return NudgePlan(
        meeting_key=candidate.meeting.key,
        person=candidate.person,
        kind=candidate.kind,
        role=candidate.role,
        due_at=item.slot.due_at,
        variant=variant_of(candidate.meeting, candidate.person, candidate.kind, policy.variants),
        reason=candidate.reason,
        batch_key=item.slot.batch_key,
    )


def _suppressed(candidate: Candidate, reason: str) -> Suppressed:
    return Suppressed(candidate.meeting.key, candidate.person, candidate.kind, reason)


def _normalised(history: NudgeHistory) -> NudgeHistory:
    """The history with person addresses in the form the planner compares them in."""
    return NudgeHistory(
        sent_per_person_day={
            (email_key(person), day): count
            for (person, day), count in history.sent_per_person_day.items()
        },
        last_sent_by_series={
            (email_key(person), series, kind): when
            for (person, series, kind), when in history.last_sent_by_series.items()
        },
        sent=frozenset((key, email_key(person), kind) for key, person, kind in history.sent),
    )


def _timed(
    candidate: Candidate,
    meeting_reason: str | None,
    prefs: PersonPrefs,
    policy: Policy,
    history: NudgeHistory,
    now: datetime,
) -> _Timed | str:
    """The candidate with its slot in the person's zone, or why it is held back."""
    reason = _hold(candidate, meeting_reason, prefs, policy, history, now)
    if reason is not None:
        return reason
    tz = known_zone(prefs.timezone)
    if tz is None:
        return f"unknown time zone {prefs.timezone!r} in your preferences"
    slot = _slot(candidate, tz, personal_policy(policy, prefs))
    if isinstance(slot, str):
        return slot
    return _Timed(candidate, slot, tz)


def plan_nudges(
    meetings: Iterable[ScheduledMeeting],
    people: Mapping[str, PersonPrefs],
    policy: Policy,
    history: NudgeHistory,
    now: datetime,
) -> PlanResult:
    """Plan the nudges for these meetings: what to send to whom and when, and what is held back.

    `people` are the tenant's persons by email (only they get nudges; addresses compare
    case-insensitively). A one-on-one gets the one_on_one nudge, never camera_on; a person gets
    at most one nudge per meeting. The module docstring lists every check in order.
    Deterministic: the same input, in any order, gives the same plans sorted by due time,
    person, meeting and kind, and the suppressed sorted by meeting, person and kind.
    """
    if now.tzinfo is None:
        raise ValueError(f"now must be a tz-aware datetime, got {now!r}")
    prefs_by_email = {email_key(address): prefs for address, prefs in people.items()}
    history = _normalised(history)
    suppressed: list[Suppressed] = []
    timed: defaultdict[str, list[_Timed]] = defaultdict(list)
    for meeting in meetings:
        meeting_reason = meeting_exclusion(meeting, policy, now)
        for candidate in candidates(meeting, prefs_by_email, policy):
            prefs = prefs_by_email[candidate.person]
            outcome = _timed(candidate, meeting_reason, prefs, policy, history, now)
            if isinstance(outcome, str):
                suppressed.append(_suppressed(candidate, outcome))
            else:
                timed[candidate.person].append(outcome)
    plans: list[NudgePlan] = []
    for person in sorted(timed):
        kept, dropped = _apply_caps(timed[person], policy, history)
        plans.extend(_plan(item, policy) for item in kept)
        suppressed.extend(_suppressed(candidate, reason) for candidate, reason in dropped)
    plans.sort(key=lambda p: (p.due_at, p.person, p.meeting_key, p.kind.value))
    suppressed.sort(key=lambda s: (s.meeting_key, s.person, s.kind.value, s.reason))
    return PlanResult(plans=tuple(plans), suppressed=tuple(suppressed))
