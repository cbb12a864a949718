"""Lapsed relationships: weights, median cadence, the lapse threshold, ranking and filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service.domain.policy import RelationshipPolicy
from service.domain.relationships import LapsedRelationship, PastMeeting, RelationshipTracker

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ME = "me@acme.test"
YOU = "you@acme.test"


def _ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def _met(days_ago: float, *people: str, **changes: object) -> PastMeeting:
    return PastMeeting(start=_ago(days_ago), people=people, **changes)  # type: ignore[arg-type]


def _tracker(
    meetings: list[PastMeeting], internal: frozenset[str] | None = None, **policy: object
) -> RelationshipTracker:
    tracker = RelationshipTracker(RelationshipPolicy.model_validate(policy), internal)
    for meeting in meetings:
        tracker.add(meeting)
    return tracker


def _one(result: list[LapsedRelationship], person: str = ME) -> LapsedRelationship:
    mine = [r for r in result if r.person == person]
    assert len(mine) == 1, mine
    return mine[0]


def test_lapsed_one_on_ones_strength_cadence_and_score() -> None:
    # Weekly one-on-ones, the last 30 days ago: cadence 7, threshold max(10, 14) = 14.
    tracker = _tracker([_met(d, ME, YOU) for d in (30, 37, 44, 51)])
    found = _one(tracker.lapsed(NOW))
    assert found.contact == YOU
    assert found.meetings == 4
    assert found.strength == pytest.approx(4.0)
    assert found.cadence_days == 7.0
    assert found.threshold_days == 14.0
    assert found.days_since == pytest.approx(30.0)
    assert found.overdue == pytest.approx(30 / 14)
    assert found.score == pytest.approx(4.0 * 30 / 14)
    assert found.last_met == _ago(30)


def test_lapsed_is_directional_each_person_gets_their_own_entry() -> None:
    tracker = _tracker([_met(d, ME, YOU) for d in (30, 37, 44)])
    result = tracker.lapsed(NOW)
    assert [(r.person, r.contact) for r in result] == [(ME, YOU), (YOU, ME)]
    assert [(r.person, r.contact) for r in tracker.lapsed(NOW, person=YOU)] == [(YOU, ME)]


@pytest.mark.parametrize(
    ("size", "weight"), [(2, 1.0), (3, 0.6), (4, 0.6), (5, 0.3), (8, 0.3), (9, 0.1), (15, 0.1)]
)
def test_lapsed_strength_weights_by_number_of_humans(size: int, weight: float) -> None:
    others = [f"p{i}@acme.test" for i in range(size - 2)]
    tracker = _tracker([_met(d, ME, YOU, *others) for d in (30, 37, 44)], top_n=20)
    assert _one([r for r in tracker.lapsed(NOW) if r.contact == YOU]).strength == pytest.approx(
        3 * weight
    )


def test_lapsed_large_cancelled_and_non_meetings_are_ignored() -> None:
    crowd = [f"p{i}@acme.test" for i in range(14)]
    tracker = RelationshipTracker(RelationshipPolicy())
    assert tracker.add(_met(30, ME, YOU, *crowd)) is False
    assert tracker.add(_met(37, ME, YOU, cancelled=True)) is False
    assert tracker.add(_met(44, ME, YOU, is_meeting=False)) is False
    assert tracker.add(_met(51, ME)) is False
    assert tracker.add(_met(51, ME, YOU)) is True
    assert tracker.lapsed(NOW) == []


def test_lapsed_needs_min_meetings_inside_the_lookback_window() -> None:
    recent_two = [_met(d, ME, YOU) for d in (30, 37)]
    assert _tracker(recent_two).lapsed(NOW) == []
    with_old = [*recent_two, _met(95, ME, YOU)]
    assert _tracker(with_old).lapsed(NOW) == []
    # Inside a 100-day window: gaps 7 and 58, median 32.5; x0.5 -> threshold 16.25 < 30.
    wider = _tracker(with_old, lookback_days=100, cadence_multiplier=0.5).lapsed(NOW)
    assert len(wider) == 2
    assert len(_tracker(recent_two, min_meetings=2).lapsed(NOW)) == 2


def test_lapsed_cadence_is_the_median_gap_between_distinct_days() -> None:
    # Days 60, 53, 46 (twice on one day), 25: gaps 7, 7, 21 -> median 7.
    meetings = [_met(d, ME, YOU) for d in (60, 53, 46, 46.1, 25)]
    found = _one(_tracker(meetings).lapsed(NOW))
    assert found.cadence_days == 7.0
    assert found.meetings == 5


def test_lapsed_cadence_even_number_of_gaps_averages_the_middle_two() -> None:
    # Gaps 5, 7, 9, 11 -> median 8; threshold 16.
    meetings = [_met(d, ME, YOU) for d in (62, 57, 50, 41, 30)]
    found = _one(_tracker(meetings).lapsed(NOW))
    assert found.cadence_days == 8.0
    assert found.threshold_days == 16.0


def test_lapsed_cadence_with_one_gap_is_that_gap() -> None:
    meetings = [_met(d, ME, YOU) for d in (60, 60.1, 41)]
    found = _one(_tracker(meetings).lapsed(NOW))
    assert found.cadence_days == 19.0
    assert found.threshold_days == 38.0


def test_lapsed_all_on_one_day_uses_min_lapse_days() -> None:
    meetings = [_met(d, ME, YOU) for d in (20.0, 20.1, 20.2)]
    found = _one(_tracker(meetings).lapsed(NOW))
    assert found.cadence_days == 0.0
    assert found.threshold_days == 10.0


@pytest.mark.parametrize(("last", "lapsed"), [(13.9, False), (14.0, False), (14.1, True)])
def test_lapsed_only_past_the_threshold(last: float, lapsed: bool) -> None:
    meetings = [_met(last + 7 * k, ME, YOU) for k in range(4)]
    assert bool(_tracker(meetings).lapsed(NOW)) is lapsed


def test_lapsed_threshold_never_below_min_lapse_days() -> None:
    # Daily meetings: 2 x 1 day would be 2, but the floor is min_lapse_days (10).
    meetings = [_met(d, ME, YOU) for d in (5, 6, 7, 8)]
    assert _tracker(meetings).lapsed(NOW) == []
    found = _one(_tracker(meetings, min_lapse_days=4).lapsed(NOW))
    assert found.threshold_days == 4.0


def test_lapsed_cadence_multiplier_from_policy() -> None:
    meetings = [_met(d, ME, YOU) for d in (30, 37, 44)]
    assert _tracker(meetings, cadence_multiplier=5.0).lapsed(NOW) == []
    assert _one(_tracker(meetings, cadence_multiplier=3.0).lapsed(NOW)).threshold_days == 21.0


def test_lapsed_already_scheduled_pair_is_not_lapsed() -> None:
    tracker = _tracker([_met(d, ME, YOU) for d in (30, 37, 44)])
    assert tracker.lapsed(NOW, {frozenset({"ME@acme.test", YOU})}) == []
    assert tracker.lapsed(NOW, lambda pair: pair == frozenset({ME, YOU})) == []
    assert len(tracker.lapsed(NOW, {frozenset({ME, "other@acme.test"})})) == 2


def test_lapsed_top_n_per_person_sorted_by_score_then_contact() -> None:
    meetings: list[PastMeeting] = []
    for i in range(7):
        contact = f"c{i}@acme.test"
        meetings += [_met(20 + i + 7 * k, ME, contact) for k in range(3)]
    meetings += [_met(40 + 7 * k, ME, "a-tie@acme.test") for k in range(3)]
    meetings += [_met(40 + 7 * k, ME, "b-tie@acme.test") for k in range(3)]
    result = [r for r in _tracker(meetings).lapsed(NOW) if r.person == ME]
    assert [r.contact for r in result] == [
        "a-tie@acme.test",
        "b-tie@acme.test",
        "c6@acme.test",
        "c5@acme.test",
        "c4@acme.test",
    ]
    scores = [r.score for r in result]
    assert scores == sorted(scores, reverse=True)
    assert len(_tracker(meetings, top_n=2).lapsed(NOW, person=ME)) == 2


def test_lapsed_ranks_strong_relationships_above_weak_ones() -> None:
    team = ["t1@acme.test", "t2@acme.test", "t3@acme.test"]
    meetings = [_met(d, ME, YOU) for d in (30, 37, 44)]
    meetings += [_met(d, ME, *team) for d in (30, 37, 44)]
    result = _tracker(meetings).lapsed(NOW, person=ME)
    assert result[0].contact == YOU
    assert result[0].score > result[1].score


def test_lapsed_external_contacts_only_when_policy_includes_them() -> None:
    guest = "guest@other.test"
    meetings = [_met(d, ME, guest, external=frozenset({guest})) for d in (30, 37, 44)]
    assert _tracker(meetings).lapsed(NOW) == []
    included = _tracker(meetings, include_external=True).lapsed(NOW)
    assert [(r.person, r.contact) for r in included] == [(ME, guest)]


def test_lapsed_internal_people_decide_who_is_external() -> None:
    meetings = [_met(d, ME, YOU, "x@partner.test") for d in (30, 37, 44)]
    internal = frozenset({ME, YOU})
    result = _tracker(meetings, internal).lapsed(NOW)
    assert {(r.person, r.contact) for r in result} == {(ME, YOU), (YOU, ME)}
    with_external = _tracker(meetings, internal, include_external=True).lapsed(NOW)
    assert (ME, "x@partner.test") in {(r.person, r.contact) for r in with_external}
    assert all(r.person != "x@partner.test" for r in with_external)


def test_lapsed_meetings_in_any_order_and_duplicates_count_once() -> None:
    meetings = [_met(d, ME, YOU) for d in (44, 30, 37)]
    forward = _tracker(meetings).lapsed(NOW)
    twice = _tracker([*reversed(meetings), *meetings]).lapsed(NOW)
    assert forward == twice
    assert forward[0].meetings == 3


def test_lapsed_addresses_compare_case_insensitively() -> None:
    meetings = [_met(30, "Me@Acme.test", YOU), _met(37, ME, "YOU@acme.test"), _met(44, ME, YOU)]
    assert _one(_tracker(meetings).lapsed(NOW, person="ME@acme.test")).meetings == 3


def test_lapsed_future_meetings_do_not_count_as_met() -> None:
    meetings = [_met(d, ME, YOU) for d in (30, 37, 44, -3)]
    assert _one(_tracker(meetings).lapsed(NOW)).last_met == _ago(30)


def test_prune_forgets_old_meetings() -> None:
    tracker = _tracker([_met(d, ME, YOU) for d in (30, 37, 44)])
    tracker.prune(_ago(40))
    assert tracker.lapsed(NOW) == []
    assert tracker.lapsed(NOW, person=ME) == []
    for d in (50, 57, 64):
        tracker.add(_met(d, ME, YOU))
    assert [r.meetings for r in tracker.lapsed(NOW, person=ME)] == [5]


def test_tracker_refuses_naive_times() -> None:
    tracker = RelationshipTracker(RelationshipPolicy())
    with pytest.raises(ValueError, match="tz-aware"):
        tracker.add(PastMeeting(start=datetime(2026, 1, 1), people=(ME, YOU)))  # noqa: DTZ001
    with pytest.raises(ValueError, match="tz-aware"):
        tracker.lapsed(datetime(2026, 1, 1))  # noqa: DTZ001


def test_lapsed_seen_by_counts_only_the_calendar_owner_pairs() -> None:
    # THEM's calendar lists ME and YOU: it speaks for THEM's pairs only, never for ME and YOU.
    them = "them@acme.test"
    tracker = _tracker([_met(d, them, ME, YOU, seen_by=them) for d in (30, 37, 44)], top_n=5)
    pairs = {(r.person, r.contact) for r in tracker.lapsed(NOW)}
    assert pairs == {(them, ME), (them, YOU), (ME, them), (YOU, them)}
    strengths = {r.contact: r.strength for r in tracker.lapsed(NOW, person=them)}
    assert strengths == {ME: pytest.approx(3 * 0.6), YOU: pytest.approx(3 * 0.6)}


@pytest.mark.parametrize(
    ("declined_days_ago", "quiet"), [(10, True), (55, True), (57, False), (-7, True)]
)
def test_lapsed_declined_catch_up_keeps_the_pair_out_of_both_lists(
    declined_days_ago: float, quiet: bool
) -> None:
    # A catch-up one of them declined (past, or an invitation for next week) is a "no" for
    # 8 weeks after its start: neither list suggests the other.
    tracker = _tracker([_met(d, ME, YOU) for d in (30, 37, 44, 51)])
    tracker.add_decline(YOU, ME.upper(), _ago(declined_days_ago))
    found = tracker.lapsed(NOW)
    assert (found == []) is quiet
    if not quiet:
        assert {r.person for r in found} == {ME, YOU}


def test_lapsed_decline_quiet_time_follows_the_policy() -> None:
    tracker = _tracker([_met(d, ME, YOU) for d in (30, 37, 44, 51)], decline_quiet_days=7)
    tracker.add_decline(ME, YOU, _ago(10))
    assert len(tracker.lapsed(NOW)) == 2
    with pytest.raises(ValueError, match="tz-aware"):
        tracker.add_decline(ME, YOU, _ago(1).replace(tzinfo=None))
