"""Backing off instead of nagging: series back-off, the hourly gap, per-kind caps, rotation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from service.domain.model import Modality, Response
from service.domain.nudges import (
    Held,
    NudgeHistory,
    NudgeKind,
    NudgePlan,
    ScheduledMeeting,
    SentNudge,
    split_variant,
)
from service.domain.policy import Policy, validate_policy
from tests.fixtures.rules_builders import (
    at,
    held_for,
    kinds,
    meeting,
    person,
    plans_for,
    prefs_for,
    run,
    team,
)

TZ = "Europe/London"
ORG, ANA = "org@acme.test", "ana@acme.test"


def _sent(plan: NudgePlan, m: ScheduledMeeting, *, acted: bool = False) -> SentNudge:
    return SentNudge(
        plan.person, plan.meeting_key, m.series_key, plan.kind.value, plan.variant, plan.due_at,
        acted,
    )  # fmt: skip


def _weekly(weeks: int, **extra: object) -> list[ScheduledMeeting]:
    first = at(2026, 11, 24, 14, 0, TZ)
    return [
        meeting(first + timedelta(weeks=w), team(4), key=w + 1, series_id="team", **extra)  # type: ignore[arg-type]
        for w in range(weeks)
    ]


def _week_by_week(
    meetings: list[ScheduledMeeting],
    who: str,
    policy: Policy | None = None,
    acted: frozenset[int] = frozenset(),
) -> list[int]:
    """Plan each meeting the day before it, 'send' what is planned; the keys nudged."""
    sent: list[SentNudge] = []
    nudged: list[int] = []
    for m in meetings:
        history = NudgeHistory(recent=tuple(sent))
        result = run([m], people=prefs_for([who], TZ), policy=policy, history=history,
                     now=m.start - timedelta(days=2))  # fmt: skip
        for plan in plans_for(result, who):
            nudged.append(plan.meeting_key)
            sent.append(_sent(plan, m, acted=plan.meeting_key in acted))
    return nudged


def test_plan_weekly_series_backs_off_then_stops_when_nobody_acts() -> None:
    # First occurrence, then 2 and 4 weeks later; after 3 unanswered nudges, no more.
    assert _week_by_week(_weekly(20), "p1@acme.test") == [1, 3, 7]


def test_plan_weekly_series_helpful_answer_resets_the_back_off() -> None:
    nudged = _week_by_week(_weekly(12), "p1@acme.test", acted=frozenset({1}))
    assert nudged == [1, 2, 4, 8]


def test_plan_back_off_follows_the_policy() -> None:
    policy = validate_policy({"kinds": {"camera_on": {"backoff_weeks": [1], "max_unanswered": 0}}})
    assert _week_by_week(_weekly(5), "p1@acme.test", policy) == [1, 2, 3, 4, 5]


def test_plan_switch_to_video_reaches_an_audio_series_organiser_once() -> None:
    nudged = _week_by_week(_weekly(6, modality=Modality.AUDIO), ORG)
    assert nudged == [1]


def test_plan_switch_to_video_too_late_waits_for_the_next_instance() -> None:
    audio = _weekly(2, modality=Modality.AUDIO)
    # Tuesday 08:00: the working day before (Monday) is over for the first instance.
    result = run(audio, people=prefs_for([ORG], TZ), now=at(2026, 11, 24, 8, 0, TZ))
    assert [p.meeting_key for p in plans_for(result, ORG)] == [2]
    assert plans_for(result, ORG)[0].due_at == at(2026, 11, 30, 8, 0, TZ)
    (late,) = [s for s in held_for(result, ORG) if s.meeting_key == 1]
    assert late.category is Held.HOURS
    assert "too late" in late.reason


def test_plan_switch_to_video_planned_during_the_day_before_is_due_at_once() -> None:
    audio = _weekly(1, modality=Modality.AUDIO)
    result = run(audio, people=prefs_for([ORG], TZ), now=at(2026, 11, 23, 15, 0, TZ))
    assert [p.due_at for p in plans_for(result, ORG)] == [at(2026, 11, 23, 8, 0, TZ)]


def test_plan_at_most_one_note_an_hour() -> None:
    first = at(2026, 11, 24, 14, 0, TZ)
    hers = [person(ANA, organizer=True), person(ORG), person("p2@acme.test")]
    mine = [person(ORG, organizer=True), person(ANA), person("p2@acme.test")]
    meetings = [
        meeting(first, mine, key=1),
        meeting(first + timedelta(minutes=30), hers, key=2, series_id="hers"),
        meeting(first + timedelta(minutes=90), team(3), key=3, modality=Modality.IN_PERSON),
    ]
    result = run(meetings, people=prefs_for([ANA], TZ))
    # The social minute outranks camera_on, so 14:00's camera note yields to 14:30's.
    assert [p.meeting_key for p in plans_for(result, ANA)] == [2]
    held = {s.meeting_key: s.reason for s in held_for(result, ANA, NudgeKind.CAMERA_ON)}
    assert held[1] == "another note within 60 minutes"


def test_plan_one_camera_note_a_day() -> None:
    first = at(2026, 11, 24, 10, 0, TZ)
    meetings = [meeting(first + timedelta(hours=h), team(3), key=h + 1) for h in (0, 3)]
    result = run(meetings, people=prefs_for([ANA, "p1@acme.test"], TZ))
    assert [p.meeting_key for p in plans_for(result, "p1@acme.test")] == [1]
    assert [s.reason for s in held_for(result, "p1@acme.test")] == [
        "daily cap for camera_on nudges"
    ]


def test_plan_never_the_same_variant_to_one_person_within_30_days() -> None:
    sent: list[SentNudge] = []
    start = at(2026, 11, 24, 14, 0, TZ)
    for day in range(40):
        m = meeting(start + timedelta(days=day), team(3), key=day + 1)
        history = NudgeHistory(recent=tuple(sent))
        people = prefs_for(["p1@acme.test"], TZ)
        result = run([m], people=people, history=history, now=m.start - timedelta(hours=2))
        sent.extend(_sent(plan, m) for plan in result.plans)
    assert len(sent) >= 28  # the weekdays of 40 days
    for one in sent:
        close = [o for o in sent if o is not one and abs(o.at - one.at) < timedelta(days=30)]
        assert one.variant not in {o.variant for o in close}
    # The phrasing (line) rotates too: the first eight notes use eight different lines.
    assert len({split_variant(s.variant)[0] for s in sent[:8]}) == 8


def test_plan_one_on_one_pair_reads_different_lines() -> None:
    for day in (0, 1, 2, 3, 6, 7, 8, 9):  # weekdays
        pair = [person(ORG, organizer=True, name="Olu"), person(ANA, name="Ana")]
        m = meeting(at(2026, 11, 24, 9, 0, TZ) + timedelta(days=day), pair, one_on_one=True)
        result = run([m], people=prefs_for([ORG, ANA], TZ))
        lines = {p.person: split_variant(p.variant) for p in result.plans}
        assert len(lines) == 2
        assert lines[ORG][0] % 2 != lines[ANA][0] % 2
        assert lines[ORG][1] != lines[ANA][1]  # and different questions


@pytest.mark.parametrize(
    ("other", "reason"),
    [
        (
            person(ANA, name="Ana", response=Response.DECLINED),
            "the other person declined this meeting",
        ),
        (person(ANA, name="Ana", opted_out=True), "the other person opted out of Rapport"),
        (person(ANA), "no name is known for the other person"),
    ],
)
def test_plan_one_on_one_about_someone_who_said_no_is_not_sent(other: object, reason: str) -> None:
    pair = [person(ORG, organizer=True, name="Olu"), other]
    result = run([meeting(at(2026, 11, 24, 9, 0, TZ), pair, one_on_one=True)],  # type: ignore[list-item]
                 people=prefs_for([ORG], TZ))  # fmt: skip
    assert result.plans == ()
    (held,) = held_for(result, ORG)
    assert (held.reason, held.category) == (reason, Held.SUBJECT)


def test_plan_private_meeting_nudged_only_when_the_policy_allows() -> None:
    m = meeting(at(2026, 11, 24, 14, 0, TZ), team(3), private=True)
    held = run([m])
    assert held.plans == ()
    assert {s.category for s in held.suppressed} == {Held.PRIVATE}
    allowed = validate_policy({"exclusions": {"private_meetings": False}})
    assert kinds(run([m], policy=allowed), ORG) == {NudgeKind.CAMERA_ON}


def test_plan_sensitive_title_holds_everyone_in_the_meeting() -> None:
    pair = [person(ORG, organizer=True, name="Olu"), person(ANA, name="Ana")]
    m = meeting(at(2026, 11, 24, 14, 0, TZ), pair, one_on_one=True, title="Redundancy consultation")
    result = run([m])
    assert result.plans == ()
    assert {(s.person, s.category) for s in result.suppressed} == {
        (ORG, Held.SENSITIVE),
        (ANA, Held.SENSITIVE),
    }


def test_plan_reason_says_how_often_the_series_meets() -> None:
    m = meeting(at(2026, 11, 24, 14, 0, TZ), team(6), series_id="s", recurrence="weekly")
    result = run([m])
    assert plans_for(result, ORG)[0].reason == "you organise this weekly meeting of 6"
    assert plans_for(result, "p1@acme.test")[0].reason == (
        "you accepted this weekly video meeting of 6"
    )
