"""Each nudge rule of the DESIGN.md table, and each reason a nudge is held back."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from service.domain.model import AttendeeKind, EventStatus, Modality, Response
from service.domain.nudges import (
    NudgeHistory,
    NudgeKind,
    PersonPrefs,
    local_date,
    split_variant,
)
from service.domain.policy import validate_policy
from tests.fixtures.rules_builders import (
    NOW,
    at,
    held_for,
    kinds,
    meeting,
    people_of,
    person,
    plans_for,
    run,
    team,
)

TUESDAY_2PM = at(2026, 11, 24, 14, 0, "Europe/London")
ORG = "org@acme.test"


def test_plan_camera_on_video_meeting_accepted_attendee_and_organizer() -> None:
    result = run([meeting(TUESDAY_2PM, team(3))])
    plan = plans_for(result, "p1@acme.test")[0]
    assert plan.kind is NudgeKind.CAMERA_ON
    assert plan.role == "attendee"
    assert plan.reason == "you accepted this video meeting of 3"
    assert plan.due_at == TUESDAY_2PM - timedelta(minutes=10)
    assert plan.batch_key is None
    organizer = plans_for(result, ORG)[0]
    assert (organizer.kind, organizer.role) == (NudgeKind.CAMERA_ON, "organizer")
    assert organizer.reason == "you organise this video meeting of 3"


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (Response.TENTATIVE, "you have not accepted the meeting"),
        (Response.NEEDS_ACTION, "you have not accepted the meeting"),
        (Response.UNKNOWN, "you have not accepted the meeting"),
        (Response.DECLINED, "you declined the meeting"),
    ],
)
def test_plan_camera_on_not_accepted_is_suppressed(response: Response, reason: str) -> None:
    people = [*team(3), person("late@acme.test", response=response)]
    result = run([meeting(TUESDAY_2PM, people)])
    assert plans_for(result, "late@acme.test") == []
    assert [s.reason for s in held_for(result, "late@acme.test")] == [reason]


def test_plan_one_on_one_video_gets_one_on_one_not_camera_on() -> None:
    pair = [
        person(ORG, organizer=True, name="Olu"),
        person("ana@acme.test", response=Response.ACCEPTED, name="Ana"),
    ]
    result = run([meeting(TUESDAY_2PM, pair, one_on_one=True)])
    assert kinds(result, ORG) == {NudgeKind.ONE_ON_ONE}
    assert kinds(result, "ana@acme.test") == {NudgeKind.ONE_ON_ONE}
    assert plans_for(result, ORG)[0].reason == "you have a one-on-one with Ana coming up"
    assert plans_for(result, "ana@acme.test")[0].reason == (
        "you have a one-on-one with Olu coming up"
    )
    assert plans_for(result, ORG)[0].role == "organizer"
    assert plans_for(result, "ana@acme.test")[0].role == "attendee"
    assert result.suppressed == ()


def test_plan_one_on_one_unanswered_person_is_suppressed() -> None:
    pair = [
        person(ORG, organizer=True, name="Olu"),
        person("ana@acme.test", response=Response.NEEDS_ACTION, name="Ana"),
    ]
    result = run([meeting(TUESDAY_2PM, pair, one_on_one=True)])
    assert kinds(result, ORG) == {NudgeKind.ONE_ON_ONE}
    assert [s.reason for s in held_for(result, "ana@acme.test")] == [
        "you have not accepted the meeting"
    ]


def test_plan_switch_to_video_audio_meeting_reaches_the_organiser_only() -> None:
    people = [*team(3), person("maybe@acme.test", response=Response.TENTATIVE)]
    result = run([meeting(TUESDAY_2PM, people, modality=Modality.AUDIO)])
    organizer = plans_for(result, ORG)[0]
    assert (organizer.kind, organizer.role) == (NudgeKind.SWITCH_TO_VIDEO, "organizer")
    assert organizer.reason == "you organise this call of 4, which has a dial-in but no video"
    # The working day before, at the start of working hours: time to edit the invite.
    assert organizer.due_at == at(2026, 11, 23, 8, 0, "Europe/London")
    assert plans_for(result, "p1@acme.test") == []
    assert held_for(result, "p1@acme.test") == []


def test_plan_switch_to_video_audio_one_on_one_gets_the_one_on_one_nudge_only() -> None:
    pair = [person(ORG, organizer=True, name="Olu"), person("ana@acme.test", name="Ana")]
    result = run([meeting(TUESDAY_2PM, pair, modality=Modality.AUDIO, one_on_one=True)])
    assert kinds(result, ORG) == {NudgeKind.ONE_ON_ONE}
    assert kinds(result, "ana@acme.test") == {NudgeKind.ONE_ON_ONE}
    assert held_for(result, ORG, NudgeKind.SWITCH_TO_VIDEO) == []


@pytest.mark.parametrize("modality", [Modality.VIDEO, Modality.IN_PERSON])
def test_plan_social_minute_recurring_meeting_to_organizer_only(modality: Modality) -> None:
    result = run([meeting(TUESDAY_2PM, team(5), series_id="weekly", modality=modality)])
    plan = plans_for(result, ORG)[0]
    assert (plan.kind, plan.role) == (NudgeKind.SOCIAL_MINUTE, "organizer")
    assert plan.reason == "you organise this recurring meeting of 5"
    assert NudgeKind.SOCIAL_MINUTE not in kinds(result, "p1@acme.test")


@pytest.mark.parametrize(
    ("size", "series_id", "modality"),
    [
        (2, "weekly", Modality.VIDEO),
        (16, "weekly", Modality.VIDEO),
        (5, None, Modality.VIDEO),
        (5, "weekly", Modality.AUDIO),
        (5, "weekly", Modality.UNKNOWN),
    ],
)
def test_plan_social_minute_outside_its_rule_is_not_a_candidate(
    size: int, series_id: str | None, modality: Modality
) -> None:
    result = run([meeting(TUESDAY_2PM, team(size), series_id=series_id, modality=modality)])
    assert NudgeKind.SOCIAL_MINUTE not in kinds(result, ORG)
    assert all(s.kind is not NudgeKind.SOCIAL_MINUTE for s in result.suppressed)


def test_plan_social_minute_size_counts_humans_not_rooms_or_decliners() -> None:
    people = [
        *team(3),
        person("room@acme.test", kind=AttendeeKind.ROOM),
        person("gone@acme.test", response=Response.DECLINED),
    ]
    result = run([meeting(TUESDAY_2PM, people, series_id="weekly")])
    assert plans_for(result, ORG)[0].reason == "you organise this recurring meeting of 3"


def test_plan_social_minute_sizes_follow_policy() -> None:
    policy = validate_policy({"social_minute": {"min_people": 6, "max_people": 8}})
    result = run([meeting(TUESDAY_2PM, team(5), series_id="weekly")], policy=policy)
    assert kinds(result, ORG) == {NudgeKind.CAMERA_ON}


def test_plan_in_person_one_off_meeting_has_no_nudge() -> None:
    result = run([meeting(TUESDAY_2PM, team(4), modality=Modality.IN_PERSON)])
    assert result.plans == ()
    assert result.suppressed == ()


def test_plan_only_people_of_the_tenant_get_nudges() -> None:
    people = [*team(3), person("guest@acme.test")]
    m = meeting(TUESDAY_2PM, people)
    tenant = {e: PersonPrefs(e, "Europe/London") for e in (ORG, "p1@acme.test")}
    result = run([m], people=tenant)
    assert {p.person for p in result.plans} == {ORG, "p1@acme.test"}
    assert all(s.person in tenant for s in result.suppressed)


def test_plan_matches_addresses_case_insensitively() -> None:
    m = meeting(TUESDAY_2PM, [person("Org@Acme.Test", organizer=True), person("p1@acme.test")])
    tenant = {"ORG@acme.test": PersonPrefs("ORG@acme.test", "Europe/London")}
    result = run([m], people=tenant)
    assert [p.person for p in result.plans] == ["org@acme.test"]


def test_plan_duplicate_participant_rows_nudge_once() -> None:
    people = [person(ORG), person(ORG, organizer=True), person("p1@acme.test")]
    result = run([meeting(TUESDAY_2PM, people)])
    assert [(p.person, p.role) for p in plans_for(result, ORG)] == [(ORG, "organizer")]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"status": EventStatus.CANCELLED}, "the meeting is cancelled"),
        (
            {"is_meeting": False},
            "not a meeting (a hold, focus time, out of office or all-day event)",
        ),
        ({"title": "Interview: backend role"}, 'the title has a sensitive word ("interview")'),
        (
            {"title": "PERFORMANCE REVIEW with Sam"},
            'the title has a sensitive word ("performance review")',
        ),
        ({"title": "Job offer call"}, 'the title has a sensitive word ("offer")'),
        ({"title": "Redundancy consultation"}, 'the title has a sensitive word ("redundancy")'),
        ({"private": True}, "the calendar marks the meeting private"),
    ],
)
def test_plan_excluded_meeting_is_suppressed_for_everyone(
    changes: dict[str, object], reason: str
) -> None:
    m = meeting(TUESDAY_2PM, team(3), **changes)  # type: ignore[arg-type]
    result = run([m])
    assert result.plans == ()
    assert {s.reason for s in result.suppressed} == {reason}
    assert {s.person for s in result.suppressed} == {ORG, "p1@acme.test", "p2@acme.test"}


@pytest.mark.parametrize(
    "title", ["Interviewer calibration", "Coffee chat", "Offerings review", "Biomedical sync"]
)
def test_plan_keyword_inside_another_word_does_not_exclude(title: str) -> None:
    result = run([meeting(TUESDAY_2PM, team(3), title=title)])
    assert len(result.plans) == 3


def test_plan_keywords_follow_policy() -> None:
    policy = validate_policy({"exclusions": {"keywords": ["1:1 (private)"]}})
    hit = run([meeting(TUESDAY_2PM, team(3), title="Sam 1:1 (private)")], policy=policy)
    assert hit.plans == ()
    builtin = run([meeting(TUESDAY_2PM, team(3), title="Interview loop")], policy=policy)
    assert builtin.plans == ()
    alone = validate_policy({"exclusions": {"builtin_topics": False, "keywords": ["Gehalt"]}})
    miss = run([meeting(TUESDAY_2PM, team(3), title="Interview loop")], policy=alone)
    assert len(miss.plans) == 3
    assert run([meeting(TUESDAY_2PM, team(3), title="gehalt 2027")], policy=alone).plans == ()


def test_plan_meeting_already_started_is_suppressed() -> None:
    result = run([meeting(TUESDAY_2PM, team(3))], now=TUESDAY_2PM)
    assert {s.reason for s in result.suppressed} == {"the meeting has already started"}


def test_plan_due_time_passed_but_meeting_not_started_is_planned() -> None:
    now = TUESDAY_2PM - timedelta(minutes=3)
    result = run([meeting(TUESDAY_2PM, team(3))], now=now)
    assert len(result.plans) == 3
    assert all(p.due_at == TUESDAY_2PM - timedelta(minutes=10) for p in result.plans)


def test_plan_external_attendee_excludes_meeting_by_default() -> None:
    people = [*team(3), person("client@other.test", internal=False)]
    result = run([meeting(TUESDAY_2PM, people)])
    assert result.plans == ()
    assert {s.reason for s in result.suppressed} == {
        "the meeting has people from outside the organisation"
    }


def test_plan_external_attendee_allowed_when_policy_says_so() -> None:
    people = [*team(3), person("client@other.test", internal=False)]
    policy = validate_policy({"exclusions": {"external_attendees": False}})
    result = run([meeting(TUESDAY_2PM, people)], policy=policy)
    assert {p.person for p in result.plans} == {ORG, "p1@acme.test", "p2@acme.test"}


def test_plan_external_room_does_not_count_as_external_person() -> None:
    people = [*team(3), person("room@rooms.test", internal=False, kind=AttendeeKind.ROOM)]
    result = run([meeting(TUESDAY_2PM, people)])
    assert len(result.plans) == 3


def test_plan_meeting_over_max_people_is_suppressed() -> None:
    result = run([meeting(TUESDAY_2PM, team(26))])
    assert result.plans == ()
    assert {s.reason for s in result.suppressed} == {
        "the meeting has 26 people, more than the policy's 25"
    }
    bigger = validate_policy({"exclusions": {"max_people": 30}})
    assert len(run([meeting(TUESDAY_2PM, team(26))], policy=bigger).plans) == 26


def test_plan_kind_turned_off_by_policy_is_suppressed() -> None:
    policy = validate_policy({"kinds": {"camera_on": {"enabled": False}}})
    result = run([meeting(TUESDAY_2PM, team(3))], policy=policy)
    assert result.plans == ()
    assert {s.reason for s in result.suppressed} == {
        "camera_on nudges are turned off by the policy"
    }


def test_plan_opted_out_person_gets_nothing() -> None:
    m = meeting(TUESDAY_2PM, team(3))
    people = people_of([m])
    people[ORG] = PersonPrefs(ORG, "Europe/London", opted_out=True)
    result = run([m], people=people)
    assert plans_for(result, ORG) == []
    assert [s.reason for s in held_for(result, ORG)] == ["you opted out of nudges"]


def test_plan_opted_out_of_one_kind_keeps_the_others() -> None:
    meetings = [
        meeting(TUESDAY_2PM, team(3), key=1),
        meeting(TUESDAY_2PM + timedelta(hours=1), team(3), key=2, modality=Modality.AUDIO),
    ]
    people = people_of(meetings)
    people[ORG] = PersonPrefs(ORG, "Europe/London", opted_out_kinds=frozenset({"camera_on"}))
    result = run(meetings, people=people)
    assert kinds(result, ORG) == {NudgeKind.SWITCH_TO_VIDEO}
    assert [s.reason for s in held_for(result, ORG)] == ["you opted out of camera_on nudges"]


def test_plan_snoozed_person_is_suppressed_until_the_snooze_ends() -> None:
    m = meeting(TUESDAY_2PM, team(3))
    people = people_of([m])
    until = TUESDAY_2PM + timedelta(days=1)
    people[ORG] = PersonPrefs(ORG, "Europe/London", snoozed_until=until)
    result = run([m], people=people)
    assert [s.reason for s in held_for(result, ORG)] == [
        f"nudges snoozed until {until.isoformat()}"
    ]
    people[ORG] = PersonPrefs(ORG, "Europe/London", snoozed_until=NOW - timedelta(hours=1))
    assert kinds(run([m], people=people), ORG) == {NudgeKind.CAMERA_ON}


def test_plan_one_on_one_muted_contact_suppresses_only_the_muter() -> None:
    pair = [person(ORG, organizer=True, name="Olu"), person("ana@acme.test", name="Ana")]
    m = meeting(TUESDAY_2PM, pair, one_on_one=True)
    people = people_of([m])
    people[ORG] = PersonPrefs(ORG, "Europe/London", muted_contacts=frozenset({"Ana@acme.test"}))
    result = run([m], people=people)
    assert plans_for(result, ORG) == []
    assert [s.reason for s in held_for(result, ORG)] == ["you muted the other person"]
    assert kinds(result, "ana@acme.test") == {NudgeKind.ONE_ON_ONE}


def test_plan_already_sent_is_not_planned_again() -> None:
    m = meeting(TUESDAY_2PM, team(3))
    history = NudgeHistory(sent=frozenset({(1, ORG, "camera_on")}))
    result = run([m], history=history)
    assert plans_for(result, ORG) == []
    assert [s.reason for s in held_for(result, ORG)] == ["already sent"]


def test_plan_unknown_time_zone_is_suppressed_and_reported() -> None:
    m = meeting(TUESDAY_2PM, team(3))
    people = people_of([m])
    people[ORG] = PersonPrefs(ORG, "Mars/Olympus_Mons")
    result = run([m], people=people)
    assert [s.reason for s in held_for(result, ORG)] == [
        "unknown time zone 'Mars/Olympus_Mons' in your preferences"
    ]
    assert len(result.plans) == 2


def test_plan_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="now must be a tz-aware"):
        run([], now=NOW.replace(tzinfo=None))


def test_plan_variant_is_stable_and_within_the_policy_lines() -> None:
    m = meeting(TUESDAY_2PM, team(8))
    policy = validate_policy({"variants": 5})
    result = run([m], policy=policy)
    assert result == run([m], policy=policy)
    assert all(split_variant(p.variant)[0] < 5 for p in result.plans)
    assert len({p.variant for p in result.plans}) > 1
    single = run([m], policy=validate_policy({"variants": 1}))
    assert {split_variant(p.variant)[0] for p in single.plans} == {0}


def test_plan_output_is_deterministic_whatever_the_input_order() -> None:
    meetings = [
        meeting(TUESDAY_2PM + timedelta(hours=h), team(4), key=h + 1, series_id=f"s{h % 2}")
        for h in range(4)
    ]
    first = run(meetings)
    shuffled = list(meetings)
    random.Random(7).shuffle(shuffled)
    assert run(shuffled) == first
    assert [p.due_at for p in first.plans] == sorted(p.due_at for p in first.plans)


@pytest.mark.parametrize(
    ("modality", "series_id"),
    [(Modality.VIDEO, None), (Modality.AUDIO, None), (Modality.IN_PERSON, "weekly")],
)
def test_plan_organizer_who_declined_gets_nothing(
    modality: Modality, series_id: str | None
) -> None:
    people = [person(ORG, organizer=True, response=Response.DECLINED), *team(4)[1:]]
    result = run([meeting(TUESDAY_2PM, people, modality=modality, series_id=series_id)])
    assert plans_for(result, ORG) == []
    assert {s.reason for s in held_for(result, ORG)} == {"you declined the meeting"}


def test_plan_history_addresses_compare_case_insensitively() -> None:
    history = NudgeHistory(
        sent=frozenset({(1, "ORG@acme.test", "camera_on")}),
        sent_per_person_day={("P1@Acme.test", TUESDAY_2PM.date()): 3},
    )
    result = run([meeting(TUESDAY_2PM, team(3))], history=history)
    assert [s.reason for s in held_for(result, ORG)] == ["already sent"]
    assert [s.reason for s in held_for(result, "p1@acme.test")] == ["daily cap"]


def test_scheduled_meeting_refuses_naive_or_reversed_times() -> None:
    with pytest.raises(ValueError, match="start must be a tz-aware"):
        meeting(TUESDAY_2PM.replace(tzinfo=None), team(3))
    with pytest.raises(ValueError, match="end is before start"):
        meeting(TUESDAY_2PM, team(3), minutes=-5)
    with pytest.raises(ValueError, match="snoozed_until must be a tz-aware"):
        PersonPrefs(ORG, snoozed_until=TUESDAY_2PM.replace(tzinfo=None))


def test_local_date_reads_the_instant_in_the_zone() -> None:
    late = at(2026, 11, 24, 20, 0, "America/New_York")
    assert local_date(late, "America/New_York").isoformat() == "2026-11-24"
    assert local_date(late, "UTC").isoformat() == "2026-11-25"
    with pytest.raises(ValueError, match="unknown time zone"):
        local_date(late, "Nowhere/Special")
