"""Property tests: the relationship tracker's promises hold for any input."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.domain.policy import RelationshipPolicy
from service.domain.relationships import PastMeeting, RelationshipTracker

NOW = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
POOL = tuple(f"p{i}@acme.test" for i in range(6))
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def past_meetings(draw: st.DrawFn) -> list[PastMeeting]:
    count = draw(st.integers(0, 30))
    return [
        PastMeeting(
            start=NOW - timedelta(hours=draw(st.integers(-48, 150 * 24))),
            people=tuple(draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=6))),
            cancelled=draw(st.booleans()) and draw(st.booleans()),
            is_meeting=draw(st.booleans()) or draw(st.booleans()),
            external=frozenset(draw(st.sets(st.sampled_from(POOL), max_size=1))),
        )
        for _ in range(count)
    ]


@st.composite
def relationship_policies(draw: st.DrawFn) -> RelationshipPolicy:
    return RelationshipPolicy(
        lookback_days=draw(st.integers(1, 200)),
        min_meetings=draw(st.integers(2, 5)),
        min_lapse_days=draw(st.integers(1, 30)),
        cadence_multiplier=draw(st.floats(0.1, 5.0)),
        include_external=draw(st.booleans()),
        top_n=draw(st.integers(1, 4)),
    )


@st.composite
def declines(draw: st.DrawFn) -> list[tuple[str, str, datetime]]:
    return draw(
        st.lists(
            st.tuples(
                st.sampled_from(POOL),
                st.sampled_from(POOL),
                st.integers(-30 * 24, 90 * 24).map(lambda h: NOW - timedelta(hours=h)),
            ),
            max_size=4,
        )
    )


@SETTINGS
@given(past_meetings(), relationship_policies(), declines())
def test_lapsed_properties_hold_for_any_input(
    history: list[PastMeeting],
    policy: RelationshipPolicy,
    declined: list[tuple[str, str, datetime]],
) -> None:
    tracker = RelationshipTracker(policy)
    for meeting in history:
        tracker.add(meeting)
    for first, second, start in declined:
        tracker.add_decline(first, second, start)
    result = tracker.lapsed(NOW)
    quiet = timedelta(days=policy.decline_quiet_days)
    for first, second, start in declined:
        if start + quiet > NOW:
            assert not [r for r in result if {r.person, r.contact} == {first, second}]
    per_person = Counter(r.person for r in result)
    assert all(count <= policy.top_n for count in per_person.values())
    for item in result:
        assert item.threshold_days >= policy.min_lapse_days
        assert item.days_since > item.threshold_days
        assert item.meetings >= policy.min_meetings
        assert item.person != item.contact
        assert abs(item.score - item.strength * item.overdue) < 1e-9
        assert NOW - timedelta(days=policy.lookback_days) <= item.last_met <= NOW
    for person in per_person:
        ranked = [(-r.score, r.contact) for r in result if r.person == person]
        assert ranked == sorted(ranked)
    for person in POOL:
        assert tracker.lapsed(NOW, person=person) == [r for r in result if r.person == person]
    shuffled = RelationshipTracker(policy)
    for meeting in reversed(history):
        shuffled.add(meeting)
    for first, second, start in reversed(declined):
        shuffled.add_decline(second, first, start)
    assert shuffled.lapsed(NOW) == result
