"""A stored person's own choices reach the planner; unreadable ones fall back to the policy."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from service.domain.nudges import PersonalHours
from service.domain.nudges.planner import personal_policy
from service.domain.policy import Policy
from service.pipeline.planning import person_prefs
from service.storage import PersonRow

T = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


def _person(**choices: Any) -> PersonRow:
    values: dict[str, Any] = {
        "id": 1, "email": "ana@example.com", "name": "Ana", "timezone": "Europe/London",
        "team": None, "opted_out": False, "opted_out_kinds": ("social_minute",),
        "snoozed_until": None, "muted_contacts": ("ben@example.com",),
        "unsubscribe_token": "t", "created_at": T,
    }  # fmt: skip
    return PersonRow(**{**values, **choices})


def test_map_person_choices_to_prefs() -> None:
    prefs = person_prefs(
        _person(
            working_hours={"start": "09:00", "end": "17:30"},
            delivery_mode="daily_briefing",
            paused_kinds={"camera_on": "2026-12-24T07:00:00+00:00"},
            muted_series=("series-1",),
        )
    )
    assert prefs.working_hours == PersonalHours("09:00", "17:30")
    assert prefs.delivery_mode == "daily_briefing"
    assert dict(prefs.paused_kinds) == {"camera_on": datetime(2026, 12, 24, 7, 0, tzinfo=UTC)}
    assert prefs.muted_series == frozenset({"series-1"})
    assert prefs.opted_out_kinds == frozenset({"social_minute"})


@pytest.mark.parametrize(
    "hours",
    [
        None,
        {},
        {"start": "9", "end": "17:00"},
        {"start": "17:00", "end": "09:00"},
        {"start": 9, "end": 17},
        {"start": "09:00", "end": "17:00", "days": "weekdays"},
    ],
)
def test_map_unreadable_working_hours_to_policy(hours: dict[str, Any] | None) -> None:
    assert person_prefs(_person(working_hours=hours)).working_hours is None


def test_map_unreadable_mode_and_pause_to_policy() -> None:
    prefs = person_prefs(
        _person(
            delivery_mode="hourly",
            paused_kinds={"camera_on": "soon", "one_on_one": "2026-12-24T07:00:00"},
        )
    )
    assert prefs.delivery_mode is None
    assert dict(prefs.paused_kinds) == {"one_on_one": datetime(2026, 12, 24, 7, 0, tzinfo=UTC)}


def test_map_working_hours_own_then_directory_then_policy() -> None:
    directory = {"start": "08:00", "end": "16:00", "days": [1, 2, 3, 4]}
    own = {"start": "10:00", "end": "18:00"}
    both = person_prefs(_person(working_hours=own, directory_working_hours=directory))
    assert both.working_hours == PersonalHours("10:00", "18:00")  # the person's choice wins
    only_directory = person_prefs(_person(directory_working_hours=directory))
    assert only_directory.working_hours == PersonalHours("08:00", "16:00", (1, 2, 3, 4))
    unreadable = person_prefs(_person(directory_working_hours={"start": "x", "end": "16:00"}))
    assert unreadable.working_hours is None  # the policy's


def test_plan_directory_hours_move_nudge_time() -> None:
    prefs = person_prefs(_person(directory_working_hours={"start": "07:00", "end": "15:00"}))
    hours = personal_policy(Policy(), prefs).working_hours
    assert (hours.start, hours.end) == ("07:00", "15:00")
