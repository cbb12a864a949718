"""What the demo's outbox will hold: the real planner over the sample shows every nudge kind."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest

from service.domain.nudges.planner import plan_nudges
from service.domain.nudges.types import NudgeHistory, PersonPrefs
from service.domain.policy import Policy
from service.domain.vocabulary import NudgeKind
from service.sample import load_sample
from tests.service.sample.sample_meetings import meetings, scheduled

ANCHOR_NOW = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
NOWS = (
    ANCHOR_NOW,
    datetime(2026, 1, 6, 19, 0, tzinfo=UTC),  # Tuesday evening
    datetime(2026, 1, 7, 19, 0, tzinfo=UTC),  # Wednesday evening
    datetime(2026, 1, 8, 19, 0, tzinfo=UTC),  # Thursday evening
    datetime(2026, 1, 9, 19, 0, tzinfo=UTC),  # Friday evening
    datetime(2026, 1, 10, 12, 0, tzinfo=UTC),  # Saturday
    datetime(2026, 3, 27, 19, 0, tzinfo=UTC),  # a Friday, London changes clocks that Sunday
)


def _plans_by_day(now: datetime) -> dict[date, set[NudgeKind]]:
    sample = load_sample(now)
    ordered = meetings(sample, now, now + timedelta(days=4))
    domain = sample.internal_domains[0]
    planned = [scheduled(meeting, key, domain) for key, meeting in enumerate(ordered)]
    people = {
        person.email: PersonPrefs(
            email=person.email,
            timezone=person.timezone,
            opted_out=person.opted_out,
            opted_out_kinds=frozenset(person.opted_out_kinds),
        )
        for person in sample.people
    }
    result = plan_nudges(planned, people, Policy(), NudgeHistory(), now)
    kinds: dict[date, set[NudgeKind]] = defaultdict(set)
    for plan in result.plans:
        kinds[plan.due_at.date()].add(plan.kind)
    return kinds


@pytest.mark.parametrize("now", NOWS)
def test_plan_nudges_sample_next_working_day_every_kind(now: datetime) -> None:
    by_day = _plans_by_day(now)
    first = min(by_day)
    assert first.weekday() < 5
    assert first - now.date() <= timedelta(days=3)
    assert by_day[first] == set(NudgeKind), first


def test_plan_nudges_anchor_tuesday_every_kind_too() -> None:
    # switch_to_video reaches a series' organiser once, the working day before its first
    # instance: the sample's audio series all get theirs on the Monday.
    expected = set(NudgeKind) - {NudgeKind.SWITCH_TO_VIDEO}
    assert _plans_by_day(ANCHOR_NOW)[date(2026, 1, 6)] == expected
