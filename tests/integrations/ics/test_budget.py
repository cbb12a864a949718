"""FeedBudget and Keeper: what a feed keeps when it is over budget (pure, no feed parsed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from integrations.ics.budget import FeedBudget, Keeper
from service.domain.model import Attendee, Meeting
from service.domain.port import SkippedEvent

START = datetime(2024, 1, 1, tzinfo=UTC)
OWNER = "owner@example.com"


def series(
    uid: str, count: int, people: int = 0, step: timedelta = timedelta(days=1)
) -> list[Meeting]:
    attendees = tuple(Attendee(email=f"p{i}@example.org") for i in range(people)) or None
    return [
        Meeting(
            uid=uid, start=START + i * step, end=START + i * step, owner=OWNER, attendees=attendees
        )
        for i in range(count)
    ]


def test_check_feed_budget_refuses_non_positive_limits() -> None:
    with pytest.raises(ValueError, match="max_title_chars"):
        FeedBudget(max_title_chars=0)


def test_keep_everything_within_budget_in_feed_order() -> None:
    keeper = Keeper(FeedBudget(max_instances_per_feed=10))
    skip = SkippedEvent("bad", "why")
    keeper.add(series("a", 3))
    keeper.skip(skip)
    keeper.add(series("b", 2))
    items, warnings = keeper.result()
    assert [getattr(i, "uid", None) for i in items] == ["a", "a", "a", None, "b", "b"]
    assert items[3] is skip
    assert warnings == []


def test_keep_fair_share_each_series_earliest_first() -> None:
    keeper = Keeper(FeedBudget(max_instances_per_feed=10))
    keeper.add(list(reversed(series("big", 100))))  # came latest first: earliest still kept
    keeper.add(series("small", 2))
    keeper.add(series("mid", 5))
    items, warnings = keeper.result()
    kept = {
        uid: [m for m in items if isinstance(m, Meeting) and m.uid == uid]
        for uid in ("big", "small", "mid")
    }
    assert len(kept["small"]) == 2
    assert len(kept["big"]) + len(kept["mid"]) == 8
    assert abs(len(kept["big"]) - len(kept["mid"])) <= 1
    assert sorted(m.start for m in kept["big"]) == [
        START + timedelta(days=i) for i in range(len(kept["big"]))
    ]
    assert warnings
    assert "left out" in warnings[0]


def test_keep_room_shrinks_as_series_arrive() -> None:
    keeper = Keeper(FeedBudget(max_instances_per_feed=100, max_instances_per_series=1000))
    assert keeper.room().instances == 100
    for index in range(4):
        keeper.add(series(f"s{index}", 50))
    assert keeper.room().instances <= 26


def test_keep_attendee_rows_within_budget() -> None:
    keeper = Keeper(FeedBudget(max_attendances_per_feed=1000))
    keeper.add(series("crowd", 100, people=50))
    keeper.add(series("pair", 10, people=2))
    items, warnings = keeper.result()
    assert sum(len(m.attendees or ()) for m in items if isinstance(m, Meeting)) <= 1000
    assert sum(isinstance(m, Meeting) and m.uid == "pair" for m in items) == 10
    assert warnings


def test_keep_same_result_every_time() -> None:
    def run() -> list[Meeting | SkippedEvent]:
        keeper = Keeper(FeedBudget(max_instances_per_feed=37))
        for index in range(9):
            keeper.add(series(f"s{index}", 3 + index * 4, step=timedelta(hours=index + 1)))
        return keeper.result()[0]

    assert run() == run()
