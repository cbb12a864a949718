"""The shared words: every nudge kind has its place in the planner and the policy; roles."""

from __future__ import annotations

import pytest

from service.domain.nudges import PRIORITY
from service.domain.policy import DEFAULT_SERIES_CAP_DAYS, Policy
from service.domain.vocabulary import NudgeKind, Role


@pytest.mark.parametrize("kind", list(NudgeKind))
def test_check_every_kind_has_a_priority_and_a_series_cap(kind: NudgeKind) -> None:
    assert kind in PRIORITY, f"add {kind.value} to PRIORITY (service/domain/nudges/planner.py)"
    assert kind in DEFAULT_SERIES_CAP_DAYS, f"add {kind.value} to DEFAULT_SERIES_CAP_DAYS"
    assert Policy().kind(kind).series_cap_days == DEFAULT_SERIES_CAP_DAYS[kind]


def test_check_priorities_are_distinct() -> None:
    assert sorted(PRIORITY.values()) == list(range(len(NudgeKind)))


def test_check_kind_values_fit_the_stored_column() -> None:
    assert all(len(kind.value) <= 32 and kind.value.isidentifier() for kind in NudgeKind)


def test_build_role_of_organizer_flag() -> None:
    assert Role.of(True) is Role.ORGANIZER
    assert Role.of(False) is Role.ATTENDEE
    assert Role.ORGANIZER == "organizer"
    assert f"{NudgeKind.ONE_ON_ONE}" == "one_on_one"
