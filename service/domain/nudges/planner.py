"""The nudge planner: rules, then each person's preferences, timing, and caps.

Decisions, in the order they are checked (the first that fails is the reason given):

1. the meeting: cancelled, not a meeting, already started, marked private (unless the policy
   allows it), a sensitive word in its title, over `exclusions.max_people` humans, people
   from outside the tenant (when excluded);
2. the kind is turned off by the policy;
3. the person: opted out, opted out of the kind, the kind paused after "not for me" feedback
   (`paused_kinds`), snoozed (`snoozed_until > now`), this series (or one-off meeting) muted;
4. the rule's own condition: declined / not accepted; for a one-on-one, the other person
   declined, opted out, has no name, or is muted;
5. already sent (`history.sent`);
6. timing in the person's zone: working days and hours, quiet hours; the person's own working
   hours and delivery mode, when they chose them, override the policy's (`personal_policy`);
   switch_to_video comes at the start of the working day before the meeting, when the
   organiser can still edit the invite;
7. caps, per person in priority order one_on_one > switch_to_video > social_minute > camera_on
   then by start: one nudge per person per meeting; the series back-off (the first nudge at
   the first occurrence, then gaps of `backoff_weeks`, none after `max_unanswered` unanswered
   ones, and never within `series_cap_days`, counted in local days so a weekly series stays
   weekly across a DST change); the daily cap per LOCAL day; the kind's own daily cap; and
   `min_gap_minutes` between two emails. All count `history` and the plans of this same run.

Each plan's variant is the phrasing and idea least recently sent to the person for that kind,
never one sent within `repeat_days`; the two people of a one-on-one draw from different lines.

A meeting that has not started is planned even when its due time has passed (it was created or
accepted late): the sender sends a past-due nudge at once. Once it has started it is skipped.
In daily_briefing mode the daily cap counts each item of the briefing.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from service.domain.model import email_key
from service.domain.nudges.caps import Ledger
from service.domain.nudges.rules import Candidate, Hold, candidates, meeting_exclusion
from service.domain.nudges.timing import Slot, briefing_slot, day_before_slot, per_meeting_slot
from service.domain.nudges.types import (
    Held,
    NudgeHistory,
    NudgePlan,
    PersonalHours,
    PersonPrefs,
    PlanResult,
    ScheduledMeeting,
    SentNudge,
    Suppressed,
)
from service.domain.nudges.variants import choose_variant
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
    policy: Policy


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
) -> Hold | None:
    reason: str | None = None
    if prefs.opted_out:
        reason = "you opted out of nudges"
    elif kind.value in prefs.opted_out_kinds:
        reason = f"you opted out of {kind.value} nudges"
    elif (paused := prefs.paused_until(kind.value, now)) is not None:
        reason = f"you paused {kind.value} nudges (not for me) until {paused.date().isoformat()}"
    elif prefs.snoozed_until is not None and prefs.snoozed_until > now:
        reason = f"nudges snoozed until {prefs.snoozed_until.isoformat()}"
    elif prefs.muted_series and meeting.series_key in prefs.muted_series:
        reason = "you muted this meeting"
    return None if reason is None else Hold(reason, Held.OPTED_OUT)


def _hold(
    candidate: Candidate,
    meeting_reason: Hold | None,
    prefs: PersonPrefs,
    policy: Policy,
    history: NudgeHistory,
    now: datetime,
) -> Hold | None:
    """Why a candidate is held back before timing and caps, or None."""
    if meeting_reason is not None:
        return meeting_reason
    if not policy.kind(candidate.kind).enabled:
        reason = f"{candidate.kind.value} nudges are turned off by the policy"
        return Hold(reason, Held.NOT_FOR_NUDGES)
    person_reason = _person_hold(prefs, candidate.kind, candidate.meeting, now)
    if person_reason is not None:
        return person_reason
    if candidate.held is not None:
        return candidate.held
    if (candidate.meeting.key, candidate.person, candidate.kind.value) in history.sent:
        return Hold("already sent", Held.ALREADY)
    return None


def _slot(candidate: Candidate, tz: ZoneInfo, policy: Policy, now: datetime) -> Slot | str:
    start = candidate.meeting.start
    if candidate.kind is NudgeKind.SWITCH_TO_VIDEO:
        return day_before_slot(start, candidate.person, tz, policy, now)
    if policy.delivery_mode == "daily_briefing":
        return briefing_slot(start, candidate.person, tz, policy)
    return per_meeting_slot(start, tz, policy)


def _apply_caps(
    items: list[_Timed], policy: Policy, history: NudgeHistory
) -> tuple[list[NudgePlan], list[tuple[Candidate, Hold]]]:
    """Keep one person's nudges within the caps, in priority order per local day."""
    if not items:
        return [], []
    items = sorted(
        items,
        key=lambda i: (
            i.slot.local_date,
            PRIORITY[i.candidate.kind],
            i.candidate.meeting.start,
            i.candidate.meeting.key,
        ),
    )
    first = items[0]
    ledger = Ledger.of(first.candidate.person, first.tz, first.policy, history)
    kept: list[NudgePlan] = []
    dropped: list[tuple[Candidate, Hold]] = []
    for item in items:
        candidate, slot = item.candidate, item.slot
        reason = ledger.hold(candidate, slot)
        if reason is not None:
            dropped.append((candidate, reason))
            continue
        variant = choose_variant(
            candidate.meeting, candidate.person, candidate.kind, slot.due_at, ledger.sends,
            policy.variants, policy.repeat_days,
        )  # fmt: skip
        ledger.keep(candidate, slot, variant)
        kept.append(_plan(item, variant))
    return kept, dropped


def _plan(item: _Timed, variant: int) -> NudgePlan:
    candidate = item.candidate
    return NudgePlan(
        meeting_key=candidate.meeting.key,
        person=candidate.person,
        kind=candidate.kind,
        role=candidate.role,
        due_at=item.slot.due_at,
        variant=variant,
        reason=candidate.reason,
        batch_key=item.slot.batch_key,
    )


def _suppressed(candidate: Candidate, hold: Hold) -> Suppressed:
    return Suppressed(
        candidate.meeting.key, candidate.person, candidate.kind, hold.reason, hold.category
    )


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
        recent=tuple(
            SentNudge(
                email_key(s.person), s.meeting_key, s.series, s.kind, s.variant, s.at, s.acted
            )
            for s in history.recent
        ),
    )


def _timed(
    candidate: Candidate,
    meeting_reason: Hold | None,
    prefs: PersonPrefs,
    policy: Policy,
    history: NudgeHistory,
    now: datetime,
) -> _Timed | Hold:
    """The candidate with its slot in the person's zone, or why it is held back."""
    reason = _hold(candidate, meeting_reason, prefs, policy, history, now)
    if reason is not None:
        return reason
    tz = known_zone(prefs.timezone)
    if tz is None:
        return Hold(f"unknown time zone {prefs.timezone!r} in your preferences", Held.HOURS)
    own = personal_policy(policy, prefs)
    slot = _slot(candidate, tz, own, now)
    if isinstance(slot, str):
        return Hold(slot, Held.HOURS)
    return _Timed(candidate, slot, tz, own)


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
            if isinstance(outcome, Hold):
                suppressed.append(_suppressed(candidate, outcome))
            else:
                timed[candidate.person].append(outcome)
    plans: list[NudgePlan] = []
    for person in sorted(timed):
        kept, dropped = _apply_caps(timed[person], policy, history)
        plans.extend(kept)
        suppressed.extend(_suppressed(candidate, reason) for candidate, reason in dropped)
    plans.sort(key=lambda p: (p.due_at, p.person, p.meeting_key, p.kind.value))
    suppressed.sort(key=lambda s: (s.meeting_key, s.person, s.kind.value, s.reason))
    return PlanResult(plans=tuple(plans), suppressed=tuple(suppressed))
