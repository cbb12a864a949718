"""The lapsed relationships the weekly report will list, found by the real domain tracker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import combinations

import pytest

from scripts.samplegen.catalog import LAPSED_PAIRS, NOT_LAPSED_PAIRS
from service.domain.classify import classify
from service.domain.model import EventStatus
from service.domain.policy import RelationshipPolicy
from service.domain.relationships import PastMeeting, RelationshipTracker
from service.sample import load_sample
from tests.service.sample.sample_meetings import attendees, meetings

NOWS = (datetime(2026, 1, 5, 7, 0, tzinfo=UTC), datetime(2026, 10, 30, 16, 0, tzinfo=UTC))


@pytest.mark.parametrize("now", NOWS)
def test_track_relationships_sample_lapsed_pairs_found(now: datetime) -> None:
    sample = load_sample(now)
    policy = RelationshipPolicy()
    tracker = RelationshipTracker(policy, frozenset(person.email for person in sample.people))
    ahead: set[frozenset[str]] = set()
    window_start = now - timedelta(days=policy.lookback_days)
    for meeting in meetings(sample, window_start, now + timedelta(days=14)):
        people = attendees(meeting)
        if meeting.start >= now:
            ahead.update(frozenset(pair) for pair in combinations(people, 2))
            continue
        tracker.add(
            PastMeeting(
                start=meeting.start,
                people=people,
                cancelled=meeting.status == EventStatus.CANCELLED,
                is_meeting=classify(meeting).is_meeting,
            )
        )
    found = {
        tuple(sorted((item.person.split("@")[0], item.contact.split("@")[0])))
        for item in tracker.lapsed(now, ahead)
    }
    assert len(found) >= 4
    assert set(LAPSED_PAIRS) <= found
    assert not set(NOT_LAPSED_PAIRS) & found
