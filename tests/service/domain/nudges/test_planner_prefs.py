"""A person's own choices from their page: paused kinds, muted series, hours and delivery mode."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from service.domain.nudges import (
    NudgeKind,
    PersonalHours,
    PersonPrefs,
    ScheduledMeeting,
    personal_policy,
)
from service.domain.policy import Policy
from tests.fixtures.rules_builders import (
    NOW,
    at,
    held_for,
    meeting,
    people_of,
    plans_for,
    run,
    team,
)

ORG = "org@acme.test"
TUESDAY_2PM = at(2026, 11, 24, 14, 0, "Europe/London")
TUESDAY_8AM = at(2026, 11, 24, 8, 30, "Europe/London")


def _with(meetings: list[ScheduledMeeting], **prefs: Any) -> dict[str, PersonPrefs]:
    people = people_of(meetings)
    people[ORG] = PersonPrefs(ORG, "Europe/London", **prefs)
    return people


def test_plan_paused_kind_is_held_back_until_the_pause_ends() -> None:
    meetings = [meeting(TUESDAY_2PM, team(3))]
    until = NOW + timedelta(days=30)
    result = run(meetings, _with(meetings, paused_kinds={"camera_on": until}))
    assert plans_for(result, ORG) == []
    (held,) = held_for(result, ORG)
    assert held.reason == "you paused camera_on nudges (not for me) until 2026-12-23"
    assert plans_for(result, "p1@acme.test") != []


def test_plan_paused_kind_in_the_past_no_longer_holds() -> None:
    meetings = [meeting(TUESDAY_2PM, team(3))]
    result = run(meetings, _with(meetings, paused_kinds={"camera_on": NOW - timedelta(hours=1)}))
    assert [p.kind for p in plans_for(result, ORG)] == [NudgeKind.CAMERA_ON]


def test_plan_paused_other_kind_does_not_hold() -> None:
    meetings = [meeting(TUESDAY_2PM, team(3))]
    paused = {"one_on_one": NOW + timedelta(days=3)}
    result = run(meetings, _with(meetings, paused_kinds=paused))
    assert [p.kind for p in plans_for(result, ORG)] == [NudgeKind.CAMERA_ON]


def test_plan_muted_series_is_held_back_for_that_person_only() -> None:
    meetings = [meeting(TUESDAY_2PM, team(3), series_id="weekly-sync")]
    result = run(meetings, _with(meetings, muted_series=frozenset({"weekly-sync"})))
    assert plans_for(result, ORG) == []
    assert {h.reason for h in held_for(result, ORG)} == {"you muted this meeting"}
    assert plans_for(result, "p1@acme.test") != []


def test_plan_muted_one_off_meeting_by_its_uid() -> None:
    meetings = [meeting(TUESDAY_2PM, team(3), key=7)]
    result = run(meetings, _with(meetings, muted_series=frozenset({"uid-7"})))
    assert plans_for(result, ORG) == []


def test_plan_own_working_hours_override_the_policy() -> None:
    # The policy's day starts at 08:00; the person's at 09:00: the 08:20 nudge is held back.
    meetings = [meeting(TUESDAY_8AM, team(3))]
    own = PersonalHours(start="09:00", end="17:30")
    result = run(meetings, _with(meetings, working_hours=own))
    assert plans_for(result, ORG) == []
    (held,) = held_for(result, ORG)
    assert held.reason == "due at 08:20 your time, outside your working hours (09:00-17:30)"
    assert plans_for(result, "p1@acme.test") != []


def test_plan_own_working_hours_can_widen_the_policy() -> None:
    early = at(2026, 11, 24, 7, 30, "Europe/London")
    meetings = [meeting(early, team(3))]
    own = PersonalHours(start="07:00", end="15:00")
    result = run(meetings, _with(meetings, working_hours=own))
    assert [p.due_at for p in plans_for(result, ORG)] == [early - timedelta(minutes=10)]
    assert plans_for(result, "p1@acme.test") == []


def test_plan_own_delivery_mode_daily_briefing_overrides_per_meeting_policy() -> None:
    meetings = [meeting(TUESDAY_2PM, team(3))]
    result = run(meetings, _with(meetings, delivery_mode="daily_briefing"))
    (plan,) = plans_for(result, ORG)
    assert plan.batch_key == f"briefing:{ORG}:2026-11-24"
    assert plan.due_at == at(2026, 11, 24, 8, 0, "Europe/London")
    (other,) = plans_for(result, "p1@acme.test")
    assert other.batch_key is None


def test_plan_own_delivery_mode_per_meeting_overrides_briefing_policy() -> None:
    meetings = [meeting(TUESDAY_2PM, team(3))]
    policy = Policy(delivery_mode="daily_briefing")
    result = run(meetings, _with(meetings, delivery_mode="per_meeting"), policy)
    (plan,) = plans_for(result, ORG)
    assert plan.batch_key is None
    assert plan.due_at == TUESDAY_2PM - timedelta(minutes=10)


def test_personal_policy_keeps_the_policy_days_and_the_rest() -> None:
    policy = Policy(lead_minutes=15)
    prefs = PersonPrefs(ORG, working_hours=PersonalHours(start="10:00", end="16:00"))
    mine = personal_policy(policy, prefs)
    assert (mine.working_hours.start, mine.working_hours.end) == ("10:00", "16:00")
    assert mine.working_hours.days == policy.working_hours.days
    assert mine.lead_minutes == 15
    assert personal_policy(policy, PersonPrefs(ORG)) is policy


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [("9:00", "17:00", None), ("17:00", "09:00", None), ("09:00", "17:00", (0,))],
)
def test_build_personal_hours_invalid_is_refused(
    start: str, end: str, days: tuple[int, ...] | None
) -> None:
    with pytest.raises(ValueError, match="working_hours"):
        PersonalHours(start=start, end=end, days=days)


def test_build_prefs_invalid_delivery_mode_or_naive_pause_is_refused() -> None:
    with pytest.raises(ValueError, match="delivery_mode"):
        PersonPrefs(ORG, delivery_mode="hourly")
    with pytest.raises(ValueError, match="paused_kinds"):
        PersonPrefs(ORG, paused_kinds={"camera_on": NOW.replace(tzinfo=None)})
