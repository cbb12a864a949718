"""Policy defaults, validation errors that name the field, merges of group overrides."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import time

import pydantic
import pytest

from service.domain.nudges import NudgeKind
from service.domain.policy import (
    Policy,
    PolicyError,
    RelationshipPolicy,
    merge_policy,
    validate_policy,
)


def _fields(data: Mapping[str, object]) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        validate_policy(data)
    return [error["field"] for error in caught.value.errors]


def test_validate_policy_empty_gives_design_defaults() -> None:
    policy = validate_policy({})
    assert policy == Policy()
    assert policy.lead_minutes == 10
    assert policy.delivery_mode == "per_meeting"
    assert (policy.working_hours.start, policy.working_hours.end) == ("08:00", "18:00")
    assert policy.working_hours.days == (1, 2, 3, 4, 5)
    assert (policy.quiet_hours.start, policy.quiet_hours.end) == ("20:00", "07:00")
    assert policy.max_per_person_per_day == 3
    assert {k: v.series_cap_days for k, v in policy.kinds.items()} == {
        NudgeKind.CAMERA_ON: 7,
        NudgeKind.SWITCH_TO_VIDEO: 7,
        NudgeKind.SOCIAL_MINUTE: 28,
        NudgeKind.ONE_ON_ONE: 7,
    }
    assert all(v.enabled for v in policy.kinds.values())
    assert (policy.social_minute.min_people, policy.social_minute.max_people) == (3, 15)
    assert policy.exclusions.external_attendees is True
    assert policy.exclusions.keywords == ()
    assert policy.exclusions.private_meetings is True
    assert {"interview", "redundancy", "PIP", "HR", "exit"} <= set(
        policy.exclusions.sensitive_words()
    )
    assert policy.exclusions.max_people == 25
    assert policy.variants == 8
    assert (policy.repeat_days, policy.min_gap_minutes, policy.contact) == (30, 60, None)
    camera, switch = policy.kind(NudgeKind.CAMERA_ON), policy.kind(NudgeKind.SWITCH_TO_VIDEO)
    assert (camera.backoff_weeks, camera.max_unanswered, camera.daily_cap) == ((2, 4, 8), 3, 1)
    assert switch.max_unanswered == 1
    assert policy.relationships.decline_quiet_days == 56
    rel = policy.relationships
    assert (rel.lookback_days, rel.min_meetings, rel.min_lapse_days) == (90, 3, 10)
    assert (rel.cadence_multiplier, rel.include_external, rel.top_n) == (2.0, False, 5)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"lead_minutes": -1}, "lead_minutes"),
        ({"lead_minutes": 0}, "lead_minutes"),
        ({"lead_minutes": 241}, "lead_minutes"),
        ({"lead_minutes": "soon"}, "lead_minutes"),
        ({"delivery_mode": "weekly"}, "delivery_mode"),
        ({"working_hours": {"start": "25:00"}}, "working_hours.start"),
        ({"working_hours": {"start": "8:00"}}, "working_hours.start"),
        ({"working_hours": {"end": "07:30"}}, "working_hours.end"),
        ({"working_hours": {"start": "09:00", "end": "09:00"}}, "working_hours.end"),
        ({"working_hours": {"days": [0, 1]}}, "working_hours.days"),
        ({"working_hours": {"days": [1, 1]}}, "working_hours.days"),
        ({"working_hours": {"days": []}}, "working_hours.days"),
        ({"working_hours": {"days": ["monday"]}}, "working_hours.days.0"),
        ({"quiet_hours": {"end": "7am"}}, "quiet_hours.end"),
        ({"quiet_hours": {"start": "07:00", "end": "07:00"}}, "quiet_hours.end"),
        ({"max_per_person_per_day": 21}, "max_per_person_per_day"),
        ({"kinds": {"camera_on": {"series_cap_days": -1}}}, "kinds.camera_on.series_cap_days"),
        ({"kinds": {"high_five": {"enabled": True}}}, "kinds.high_five"),
        ({"kinds": {"camera_on": {"enable": False}}}, "kinds.camera_on.enable"),
        ({"social_minute": {"min_people": 10, "max_people": 5}}, "social_minute.max_people"),
        ({"exclusions": {"keywords": ["ok", "  "]}}, "exclusions.keywords"),
        ({"exclusions": {"max_people": 1}}, "exclusions.max_people"),
        ({"variants": 0}, "variants"),
        ({"kinds": {"camera_on": {"backoff_weeks": [2, 60]}}}, "kinds.camera_on.backoff_weeks"),
        ({"kinds": {"camera_on": {"backoff_weeks": []}}}, "kinds.camera_on.backoff_weeks"),
        ({"kinds": {"one_on_one": {"daily_cap": -1}}}, "kinds.one_on_one.daily_cap"),
        ({"min_gap_minutes": -5}, "min_gap_minutes"),
        ({"repeat_days": 400}, "repeat_days"),
        ({"contact": "two\nlines"}, "contact"),
        ({"exclusions": {"keywords": ["x" * 101]}}, "exclusions.keywords"),
        ({"relationships": {"decline_quiet_days": -1}}, "relationships.decline_quiet_days"),
        ({"relationships": {"top_n": 0}}, "relationships.top_n"),
        ({"relationships": {"cadence_multiplier": 0}}, "relationships.cadence_multiplier"),
        ({"relationships": {"min_meetings": 1}}, "relationships.min_meetings"),
        (
            {
                "relationships": {
                    "weights": [{"max_people": 4, "weight": 1}, {"max_people": 2, "weight": 1}]
                }
            },
            "relationships.weights",
        ),
        (
            {"relationships": {"weights": [{"max_people": 2, "weight": 1.5}]}},
            "relationships.weights.0.weight",
        ),
        ({"nudges_per_day": 3}, "nudges_per_day"),
        ({"working_hours": {"lunch": "12:00"}}, "working_hours.lunch"),
    ],
)
def test_validate_policy_error_names_the_field(data: Mapping[str, object], field: str) -> None:
    assert _fields(data) == [field]


def test_validate_policy_error_message_is_clear() -> None:
    with pytest.raises(PolicyError) as caught:
        validate_policy({"working_hours": {"start": "25:00"}, "surprise": 1})
    errors = caught.value.errors
    assert errors == [
        {
            "field": "working_hours.start",
            "message": "must be a time as \"HH:MM\" (00:00 to 23:59), got '25:00'",
        },
        {"field": "surprise", "message": "unknown setting"},
    ]
    assert "working_hours.start" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_validate_policy_not_a_mapping_is_refused() -> None:
    with pytest.raises(PolicyError) as caught:
        validate_policy(["lead_minutes"])  # type: ignore[arg-type]
    assert caught.value.errors[0]["message"] == "a policy must be a mapping of settings"


def test_validate_policy_partial_kinds_keep_their_own_defaults() -> None:
    policy = validate_policy({"kinds": {"social_minute": {"enabled": False}}})
    assert policy.kinds[NudgeKind.SOCIAL_MINUTE].enabled is False
    assert policy.kinds[NudgeKind.SOCIAL_MINUTE].series_cap_days == 28
    assert policy.kinds[NudgeKind.CAMERA_ON].enabled is True


def test_validate_policy_days_are_sorted_and_times_parse() -> None:
    policy = validate_policy({"working_hours": {"start": "07:30", "days": [7, 1, 3]}})
    assert policy.working_hours.days == (1, 3, 7)
    assert policy.working_hours.start_time == time(7, 30)


def test_validate_policy_roundtrips_through_json() -> None:
    policy = validate_policy({"lead_minutes": 15, "kinds": {"camera_on": {"enabled": False}}})
    dumped = json.loads(policy.model_dump_json())
    assert validate_policy(dumped) == policy


def test_policy_is_frozen() -> None:
    policy = Policy()
    with pytest.raises(pydantic.ValidationError):
        policy.lead_minutes = 5  # type: ignore[misc]


def test_policy_json_schema_names_every_setting() -> None:
    schema = Policy.model_json_schema()
    json.dumps(schema)
    assert {"lead_minutes", "working_hours", "quiet_hours", "kinds", "relationships"} <= set(
        schema["properties"]
    )
    assert schema["additionalProperties"] is False


def test_merge_policy_deep_merges_a_group_override() -> None:
    default = {"lead_minutes": 15, "working_hours": {"start": "09:00", "end": "17:00"}}
    policy = merge_policy(
        default, {"working_hours": {"end": "19:00"}, "kinds": {"camera_on": {"enabled": False}}}
    )
    assert policy.lead_minutes == 15
    assert (policy.working_hours.start, policy.working_hours.end) == ("09:00", "19:00")
    assert policy.kinds[NudgeKind.CAMERA_ON].enabled is False
    assert policy.kinds[NudgeKind.CAMERA_ON].series_cap_days == 7


def test_merge_policy_override_may_rely_on_the_default() -> None:
    # 07:30 is only a valid end because the tenant's working day starts at 06:00.
    policy = merge_policy(
        {"working_hours": {"start": "06:00"}}, {"working_hours": {"end": "07:30"}}
    )
    assert policy.working_hours.end == "07:30"


def test_merge_policy_lists_are_replaced_not_appended() -> None:
    policy = merge_policy(
        {"exclusions": {"keywords": ["interview", "offer"]}},
        {"exclusions": {"keywords": ["salary"]}},
    )
    assert policy.exclusions.keywords == ("salary",)


def test_merge_policy_none_override_is_the_default() -> None:
    assert merge_policy({"lead_minutes": 20}, None) == validate_policy({"lead_minutes": 20})


def test_merge_policy_unknown_key_in_override_is_named() -> None:
    with pytest.raises(PolicyError) as caught:
        merge_policy({}, {"quiet_hours": {"begin": "21:00"}})
    assert caught.value.errors == [{"field": "quiet_hours.begin", "message": "unknown setting"}]


def test_merge_policy_bad_default_is_named() -> None:
    with pytest.raises(PolicyError) as caught:
        merge_policy({"lead_minutes": 0}, {"variants": 2})
    assert [e["field"] for e in caught.value.errors] == ["lead_minutes"]


def test_merge_policy_override_not_a_mapping_is_refused() -> None:
    with pytest.raises(PolicyError):
        merge_policy({}, "strict")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("humans", "weight"),
    [
        (0, 0.0),
        (1, 0.0),
        (2, 1.0),
        (3, 0.6),
        (4, 0.6),
        (5, 0.3),
        (8, 0.3),
        (9, 0.1),
        (15, 0.1),
        (16, 0.0),
        (200, 0.0),
    ],
)
def test_relationship_policy_weight_table(humans: int, weight: float) -> None:
    assert RelationshipPolicy().weight_for(humans) == weight


def test_relationship_policy_custom_weight_table() -> None:
    policy = validate_policy(
        {
            "relationships": {
                "weights": [{"max_people": 2, "weight": 1.0}, {"max_people": 40, "weight": 0.05}]
            }
        }
    )
    assert policy.relationships.weight_for(30) == 0.05
    assert policy.relationships.weight_for(41) == 0.0


def test_policy_exclusions_keyword_is_word_boundary_aware() -> None:
    exclusions = Policy().exclusions
    assert exclusions.matched_keyword("Medical leave chat") == "medical"
    assert exclusions.matched_keyword("CONFIDENTIAL: roadmap") == "confidential"
    assert exclusions.matched_keyword("Biomedical research sync") is None
    assert exclusions.matched_keyword("") is None


def test_validate_policy_meeting_links_become_patterns() -> None:
    policy = validate_policy(
        {
            "meeting_links": [
                {"host": "Meet.Acme.example", "path_prefix": "/r/", "provider": "jitsi"}
            ]
        }
    )
    (pattern,) = policy.link_patterns()
    assert (pattern.host, pattern.path_prefix, pattern.provider) == (
        "meet.acme.example",
        "/r/",
        "jitsi",
    )


@pytest.mark.parametrize(
    ("link", "words"),
    [
        ({"host": "not a host"}, "host must be a domain name"),
        ({"host": "x.example", "path_prefix": "rooms"}, "path_prefix must start with '/'"),
        ({"host": "x.example", "provider": "Bad Key"}, "provider must be a lowercase"),
        ({"host": "x.example", "colour": "red"}, "colour"),
    ],
)
def test_validate_policy_bad_meeting_link_names_field(link: dict[str, str], words: str) -> None:
    with pytest.raises(PolicyError) as caught:
        validate_policy({"meeting_links": [link]})
    (error,) = caught.value.errors
    assert error["field"].startswith("meeting_links.0")
    assert words in error["field"] + " " + error["message"]


@pytest.mark.parametrize(
    ("title", "word"),
    [
        ("Redundancy consultation - Sam", "redundancy"),
        ("Q3 LAYOFFS comms", "layoff"),
        ("Performance-improvement plan check-in", "performance improvement"),
        ("PIP review", "PIP"),
        ("HR sync", "HR"),
        ("Exit chat", "exit"),
        ("Grievance hearing", "grievance"),
        ("Salary bands", "salary"),
    ],
)
def test_policy_sensitive_words_cover_the_builtin_list(title: str, word: str) -> None:
    assert Policy().exclusions.matched_keyword(title) == word


def test_policy_tenant_words_add_to_the_builtin_list_in_any_language() -> None:
    exclusions = validate_policy({"exclusions": {"keywords": ["Gehalt", "entretien  annuel"]}})
    assert exclusions.exclusions.matched_keyword("Gehalt 2027") == "Gehalt"
    assert exclusions.exclusions.matched_keyword("Entretien annuel - Léa") == "entretien annuel"
    assert exclusions.exclusions.matched_keyword("Interview loop") == "interview"
    alone = validate_policy({"exclusions": {"builtin_topics": False, "keywords": ["Gehalt"]}})
    assert alone.exclusions.matched_keyword("Interview loop") is None


def test_kind_policy_gap_days_grow_and_repeat_the_last() -> None:
    kind = Policy().kind(NudgeKind.CAMERA_ON)
    assert [kind.gap_days(n) for n in (1, 2, 3, 4)] == [14, 28, 56, 56]
    assert Policy().kind(NudgeKind.SOCIAL_MINUTE).gap_days(1) == 28
