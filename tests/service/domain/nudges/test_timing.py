"""Due times in each person's own zone: DST weeks, quiet hours across midnight, briefings."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from service.domain.model import Response
from service.domain.nudges import NudgeKind, Participant, PersonPrefs
from service.domain.policy import Policy, validate_policy
from tests.fixtures.rules_builders import (
    NOW,
    at,
    held_for,
    local,
    meeting,
    person,
    plans_for,
    prefs_for,
    run,
)

ORG = "org@acme.test"
ANA = "ana@acme.test"

# (zone, the Sunday the clocks change, which way)
DST_SUNDAYS = [
    ("Europe/London", date(2026, 3, 29)),
    ("Europe/London", date(2026, 10, 25)),
    ("America/New_York", date(2026, 3, 8)),
    ("America/New_York", date(2026, 11, 1)),
]


def _pair() -> list[Participant]:
    return [person(ORG, organizer=True), person(ANA)]


@pytest.mark.parametrize(("tz", "sunday"), DST_SUNDAYS)
@pytest.mark.parametrize("days_after", [1, -6])
def test_plan_dst_week_nine_am_meeting_nudged_at_eight_fifty_local(
    tz: str, sunday: date, days_after: int
) -> None:
    day = sunday + timedelta(days=days_after)  # the Monday after, or the Monday before
    start = at(day.year, day.month, day.day, 9, 0, tz)
    m = meeting(start, [*_pair(), person("p2@acme.test")])
    result = run([m], people=prefs_for([ORG, ANA], tz), now=start - timedelta(days=10))
    plan = plans_for(result, ANA)[0]
    due = local(plan.due_at, tz)
    assert (due.date(), due.time()) == (day, time(8, 50))
    assert plan.due_at.utcoffset() == timedelta(0)


def test_plan_dst_monday_uses_the_new_offset_for_working_hours() -> None:
    # 08:30 BST on the Monday after spring-forward is 07:30 UTC; a planner that read the due
    # time with the winter offset would see 07:20 and wrongly refuse it.
    start = at(2026, 3, 30, 8, 30, "Europe/London")
    m = meeting(start, [*_pair(), person("p2@acme.test")])
    result = run([m], people=prefs_for([ANA]), now=start - timedelta(days=3))
    assert local(plans_for(result, ANA)[0].due_at, "Europe/London").time() == time(8, 20)


def test_plan_dst_weekly_series_keeps_its_weekly_nudge() -> None:
    # 09:00 London each Monday: 09:00 UTC before the change, 08:00 UTC after it, so the two
    # instances are 6 days 23 hours apart; the 7-day series cap counts local days.
    meetings = [
        meeting(at(2026, 3, d, 9, 0, "Europe/London"), [*_pair(), person("p2@acme.test")],
                key=d, series_id="weekly-standup")
        for d in (23, 30)
    ]  # fmt: skip
    weekly = validate_policy({"kinds": {"camera_on": {"backoff_weeks": [1]}}})
    result = run(meetings, people=prefs_for([ANA]), policy=weekly, now=at(2026, 3, 20, 0))
    assert [local(p.due_at, "Europe/London").date() for p in plans_for(result, ANA)] == [
        date(2026, 3, 23),
        date(2026, 3, 30),
    ]


def _all_hours_quiet_at_night() -> Policy:
    return validate_policy(
        {
            "working_hours": {"start": "00:00", "end": "23:59", "days": [1, 2, 3, 4, 5, 6, 7]},
            "quiet_hours": {"start": "22:00", "end": "06:00"},
        }
    )


@pytest.mark.parametrize(
    ("hour", "minute", "planned"),
    [(23, 30, False), (22, 5, True), (22, 15, False), (5, 30, False), (6, 5, False), (6, 15, True)],
)
def test_plan_quiet_hours_across_midnight(hour: int, minute: int, planned: bool) -> None:
    # Due 10 minutes before: 22:05 -> 21:55 (allowed), 22:15 -> 22:05 (quiet), and so on.
    start = at(2026, 11, 24, hour, minute, "America/New_York")
    m = meeting(start, [*_pair(), person("p2@acme.test")])
    policy = _all_hours_quiet_at_night()
    result = run([m], people=prefs_for([ANA], "America/New_York"), policy=policy)
    assert bool(plans_for(result, ANA)) is planned
    if not planned:
        assert "inside your quiet hours (22:00-06:00)" in held_for(result, ANA)[0].reason


def test_plan_quiet_hours_on_the_spring_forward_night() -> None:
    # London, Sunday 29 March 2026: 01:00 GMT jumps to 02:00 BST.
    policy = _all_hours_quiet_at_night()
    early = meeting(
        at(2026, 3, 29, 6, 5, "Europe/London"), [*_pair(), person("p2@acme.test")], key=1
    )
    later = meeting(
        at(2026, 3, 29, 6, 15, "Europe/London"), [*_pair(), person("p2@acme.test")], key=2
    )
    people = prefs_for([ANA])
    now = at(2026, 3, 28, 0)
    result = run([early, later], people=people, policy=policy, now=now)
    assert [p.meeting_key for p in plans_for(result, ANA)] == [2]
    assert local(plans_for(result, ANA)[0].due_at, "Europe/London").time() == time(6, 5)
    assert held_for(result, ANA)[0].reason == (
        "due at 05:55 your time, inside your quiet hours (22:00-06:00)"
    )


def test_plan_people_in_different_zones_get_their_own_working_hours() -> None:
    start = at(2026, 11, 24, 14, 0)  # 14:00 London, 09:00 New York, 23:00 Tokyo
    people = [person(ORG, organizer=True), person(ANA), person("kei@acme.test")]
    tenant = {
        ORG: PersonPrefs(ORG, "Europe/London"),
        ANA: PersonPrefs(ANA, "America/New_York"),
        "kei@acme.test": PersonPrefs("kei@acme.test", "Asia/Tokyo"),
    }
    result = run([meeting(start, people)], people=tenant)
    assert {p.person for p in result.plans} == {ORG, ANA}
    assert local(plans_for(result, ANA)[0].due_at, "America/New_York").time() == time(8, 50)
    assert [s.reason for s in held_for(result, "kei@acme.test")] == [
        "due at 22:50 your time, outside your working hours (08:00-18:00)"
    ]


def test_plan_local_weekend_is_not_a_working_day() -> None:
    # Friday 23:30 UTC is Saturday 12:30 in Auckland.
    start = at(2026, 11, 27, 23, 30)
    people = [person(ORG, organizer=True), person(ANA)]
    tenant = {ANA: PersonPrefs(ANA, "Pacific/Auckland")}
    result = run([meeting(start, [*people, person("p2@acme.test")])], people=tenant)
    assert [s.reason for s in held_for(result, ANA)] == [
        "due on a Saturday, not one of your working days"
    ]


def test_plan_working_hours_edges() -> None:
    tz = "Europe/London"
    starts = {
        "first": at(2026, 11, 24, 8, 10, tz),  # due 08:00: inside
        "too_early": at(2026, 11, 25, 8, 5, tz),  # due 07:55: outside
        "last": at(2026, 11, 26, 18, 9, tz),  # due 17:59: inside
        "too_late": at(2026, 11, 27, 18, 10, tz),  # due 18:00: end excluded
    }
    meetings = [
        meeting(s, [*_pair(), person("p2@acme.test")], key=i) for i, s in enumerate(starts.values())
    ]
    result = run(meetings, people=prefs_for([ANA], tz))
    assert sorted(p.meeting_key for p in plans_for(result, ANA)) == [0, 2]


def test_plan_lead_minutes_from_policy() -> None:
    start = at(2026, 11, 24, 14, 0)
    policy = validate_policy({"lead_minutes": 45})
    result = run([meeting(start, [*_pair(), person("p2@acme.test")])], policy=policy)
    assert {p.due_at for p in result.plans} == {start - timedelta(minutes=45)}


def test_plan_daily_briefing_batches_at_the_start_of_the_local_working_day() -> None:
    tz = "America/New_York"
    policy = validate_policy(
        {"delivery_mode": "daily_briefing", "kinds": {"camera_on": {"daily_cap": 2}}}
    )
    meetings = [
        meeting(at(2026, 11, 24, 10, 0, tz), [*_pair(), person("p2@acme.test")], key=1),
        meeting(at(2026, 11, 24, 15, 0, tz), [*_pair(), person("p2@acme.test")], key=2),
    ]
    result = run(meetings, people=prefs_for([ANA], tz), policy=policy)
    plans = plans_for(result, ANA)
    assert len(plans) == 2
    assert {p.batch_key for p in plans} == {f"briefing:{ANA}:2026-11-24"}
    assert {local(p.due_at, tz).time() for p in plans} == {time(8, 0)}


def test_plan_daily_briefing_on_a_dst_monday() -> None:
    tz = "America/New_York"
    policy = validate_policy({"delivery_mode": "daily_briefing"})
    m = meeting(at(2026, 3, 9, 11, 0, tz), [*_pair(), person("p2@acme.test")])
    result = run([m], people=prefs_for([ANA], tz), policy=policy, now=at(2026, 3, 1, 0))
    assert plans_for(result, ANA)[0].due_at == at(2026, 3, 9, 12, 0)  # 08:00 EDT


def test_plan_daily_briefing_suppressed_when_meeting_is_before_it_or_not_a_working_day() -> None:
    tz = "Europe/London"
    policy = validate_policy({"delivery_mode": "daily_briefing"})
    early = meeting(at(2026, 11, 24, 8, 0, tz), [*_pair(), person("p2@acme.test")], key=1)
    weekend = meeting(at(2026, 11, 28, 11, 0, tz), [*_pair(), person("p2@acme.test")], key=2)
    result = run([early, weekend], people=prefs_for([ANA], tz), policy=policy)
    assert plans_for(result, ANA) == []
    assert [s.reason for s in held_for(result, ANA)] == [
        "the meeting starts before your daily briefing (08:00 your time)",
        "the meeting is on a Saturday, not one of your working days",
    ]


def test_plan_daily_briefing_inside_quiet_hours_is_suppressed() -> None:
    policy = validate_policy(
        {
            "delivery_mode": "daily_briefing",
            "working_hours": {"start": "06:00"},
            "quiet_hours": {"start": "21:00", "end": "07:00"},
        }
    )
    m = meeting(at(2026, 11, 24, 11, 0), [*_pair(), person("p2@acme.test")])
    result = run([m], people=prefs_for([ANA], "UTC"), policy=policy)
    assert [s.reason for s in held_for(result, ANA)] == [
        "your daily briefing falls inside your quiet hours (21:00-07:00)"
    ]


def test_plan_declined_person_gets_no_briefing_item() -> None:
    policy = validate_policy({"delivery_mode": "daily_briefing"})
    m = meeting(
        at(2026, 11, 24, 11, 0), [*_pair(), person("no@acme.test", response=Response.DECLINED)]
    )
    result = run([m], people=prefs_for([ANA, "no@acme.test"]), policy=policy, now=NOW)
    assert [p.kind for p in plans_for(result, ANA)] == [NudgeKind.CAMERA_ON]
    assert plans_for(result, "no@acme.test") == []
