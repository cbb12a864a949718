"""Caps: per person per LOCAL day (history + this run, in priority order) and per series."""

from __future__ import annotations

from datetime import date, timedelta

from service.domain.model import Modality
from service.domain.nudges import NudgeHistory, NudgeKind, Participant, PlanResult
from service.domain.policy import Policy, validate_policy
from tests.fixtures.rules_builders import (
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
NY = "America/New_York"


def _group() -> list[Participant]:
    return [person(ORG, organizer=True), person(ANA), person("p2@acme.test")]


# These tests are about the daily cap across kinds: the kind's own cap and the hourly gap
# are lifted so several camera_on nudges may fall on one day.
LOOSE = {"min_gap_minutes": 0, "kinds": {"camera_on": {"daily_cap": 10}}}


def _loose(**more: object) -> Policy:
    return validate_policy({**LOOSE, **more})


def _long_days() -> Policy:
    return _loose(working_hours={"start": "07:00", "end": "23:00"}, quiet_hours={"enabled": False})


def test_plan_daily_cap_counts_the_local_day_not_the_utc_day() -> None:
    # Four meetings on Tuesday in New York; the 20:00 one is already Wednesday in UTC.
    starts = [at(2026, 11, 24, h, 0, NY) for h in (9, 12, 18, 20)]
    meetings = [meeting(s, _group(), key=i + 1) for i, s in enumerate(starts)]
    result = run(meetings, people=prefs_for([ANA], NY), policy=_long_days())
    assert [p.meeting_key for p in plans_for(result, ANA)] == [1, 2, 3]
    assert [(s.meeting_key, s.reason) for s in held_for(result, ANA)] == [(4, "daily cap")]
    assert starts[3].date() == date(2026, 11, 25)


def test_plan_daily_cap_keeps_higher_priority_kinds() -> None:
    tz = "Europe/London"
    hers = [person(ANA, organizer=True), person(ORG), person("p2@acme.test")]
    meetings = [
        meeting(at(2026, 11, 24, 9, 0, tz), _group(), key=1),
        meeting(at(2026, 11, 24, 10, 0, tz), _group(), key=2),
        meeting(at(2026, 11, 24, 11, 0, tz), _group(), key=3),
        meeting(at(2026, 11, 24, 16, 0, tz), hers, key=4, series_id="team"),
        meeting(
            at(2026, 11, 24, 17, 0, tz),
            [person(ORG, organizer=True, name="Olu"), person(ANA, name="Ana")],
            key=5,
            one_on_one=True,
        ),
    ]
    result = run(meetings, people=prefs_for([ANA], tz), policy=_loose())
    planned = {p.meeting_key: p.kind for p in plans_for(result, ANA)}
    assert planned == {
        5: NudgeKind.ONE_ON_ONE,
        4: NudgeKind.SOCIAL_MINUTE,
        1: NudgeKind.CAMERA_ON,
    }
    assert [(s.meeting_key, s.reason) for s in held_for(result, ANA)] == [
        (2, "daily cap"),
        (3, "daily cap"),
        (4, "another nudge is planned for this meeting"),
    ]


def test_plan_daily_cap_includes_history_of_the_local_day() -> None:
    meetings = [meeting(at(2026, 11, 24, h, 0, NY), _group(), key=h) for h in (9, 10, 11)]
    history = NudgeHistory(sent_per_person_day={(ANA, date(2026, 11, 24)): 2})
    people = prefs_for([ANA], NY)
    result = run(meetings, people=people, history=history, policy=_loose())
    assert [p.meeting_key for p in plans_for(result, ANA)] == [9]
    other_day = NudgeHistory(sent_per_person_day={(ANA, date(2026, 11, 23)): 3})
    assert len(plans_for(run(meetings, people, _loose(), other_day), ANA)) == 3


def test_plan_daily_cap_zero_sends_nothing() -> None:
    policy = validate_policy({"max_per_person_per_day": 0})
    result = run([meeting(at(2026, 11, 24, 14, 0), _group())], policy=policy)
    assert result.plans == ()
    assert {s.reason for s in result.suppressed} == {"daily cap"}


def test_plan_daily_cap_is_per_person() -> None:
    meetings = [meeting(at(2026, 11, 24, h, 0), _group(), key=h) for h in (9, 10, 11, 12)]
    result = run(meetings, people=prefs_for([ORG, ANA], "UTC"), policy=_loose())
    assert len(plans_for(result, ORG)) == 3
    assert len(plans_for(result, ANA)) == 3


def test_plan_series_cap_within_one_run() -> None:
    # A daily stand-up: camera_on at its first occurrence, then not within 7 local days, then
    # backing off (two weeks after the first unanswered one).
    meetings = [
        meeting(at(2026, 11, 23, 9, 30) + timedelta(days=d), _group(), key=d, series_id="standup")
        for d in range(0, 16)
    ]
    result = run(meetings, people=prefs_for([ANA], "UTC"), now=at(2026, 11, 22, 0))
    planned = [local(p.due_at, "UTC").date() for p in plans_for(result, ANA)]
    assert planned == [date(2026, 11, 23), date(2026, 12, 7)]
    reasons = {s.reason for s in held_for(result, ANA)}
    assert "already nudged for this series in the last 7 days" in reasons
    assert "backing off: 14 days between nudges for this series" in reasons


def test_plan_series_cap_from_history() -> None:
    start = at(2026, 11, 24, 14, 0)
    m = meeting(start, _group(), series_id="weekly", modality=Modality.IN_PERSON)
    recent = NudgeHistory(
        last_sent_by_series={(ORG, "weekly", "social_minute"): start - timedelta(days=14)}
    )
    result = run([m], people=prefs_for([ORG]), history=recent)
    assert result.plans == ()
    assert [s.reason for s in held_for(result, ORG)] == [
        "already nudged for this series in the last 28 days"
    ]
    old = NudgeHistory(
        last_sent_by_series={(ORG, "weekly", "social_minute"): start - timedelta(days=28)}
    )
    assert kinds_of(run([m], people=prefs_for([ORG]), history=old)) == {NudgeKind.SOCIAL_MINUTE}


def test_plan_series_cap_is_per_kind_and_zero_turns_it_off() -> None:
    meetings = [
        meeting(at(2026, 11, 23 + d, 9, 30), _group(), key=d, series_id="standup")
        for d in range(0, 3)
    ]
    history = NudgeHistory(
        last_sent_by_series={(ANA, "standup", "switch_to_video"): at(2026, 11, 22, 9, 0)}
    )
    result = run(meetings, people=prefs_for([ANA], "UTC"), history=history, now=at(2026, 11, 22, 0))
    assert len(plans_for(result, ANA)) == 1
    no_cap = validate_policy(
        {"kinds": {"camera_on": {"series_cap_days": 0, "backoff_weeks": [0], "max_unanswered": 0}}}
    )
    result = run(meetings, people=prefs_for([ANA], "UTC"), policy=no_cap, now=at(2026, 11, 22, 0))
    assert len(plans_for(result, ANA)) == 3


def test_plan_suppressed_by_cap_does_not_use_up_the_series() -> None:
    # Monday's stand-up loses to the daily cap, so Tuesday's may still be nudged.
    policy = validate_policy({"max_per_person_per_day": 1})
    pair = [person(ORG, organizer=True, name="Olu"), person(ANA, name="Ana")]
    monday_1on1 = meeting(at(2026, 11, 23, 9, 0), pair, key=100, one_on_one=True)
    standups = [
        meeting(at(2026, 11, 23 + d, 10, 0), _group(), key=d, series_id="standup")
        for d in range(0, 2)
    ]
    people = prefs_for([ANA], "UTC")
    result = run([monday_1on1, *standups], people=people, policy=policy, now=at(2026, 11, 22, 0))
    assert [p.meeting_key for p in plans_for(result, ANA)] == [100, 1]


def kinds_of(result: PlanResult) -> set[NudgeKind]:
    """The kinds planned in a result."""
    return {p.kind for p in result.plans}


def test_plan_after_send_keeps_one_nudge_per_meeting() -> None:
    # The organiser of a recurring team call gets social_minute (it outranks camera_on). Once
    # that is sent, planning again must not hand the freed slot to camera_on: still one per meeting.
    tz = "Europe/London"
    team_call = meeting(at(2026, 11, 24, 10, 0, tz), _group(), key=7, series_id="series-7")
    first = run([team_call], people=prefs_for([ORG], tz))
    assert [p.kind for p in plans_for(first, ORG)] == [NudgeKind.SOCIAL_MINUTE]
    sent = first.plans[0]
    history = NudgeHistory(
        sent_per_person_day={(ORG, local(sent.due_at, tz).date()): 1},
        last_sent_by_series={(ORG, "series-7", sent.kind.value): sent.due_at},
        sent=frozenset({(7, ORG, sent.kind.value)}),
    )
    again = run([team_call], people=prefs_for([ORG], tz), history=history)
    assert plans_for(again, ORG) == []
