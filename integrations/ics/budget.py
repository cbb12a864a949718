"""What one feed may cost, and the bookkeeping that keeps what fits.

A feed over budget is not refused: it keeps what fits, the same way every time, and says
in words what it left out (`Keeper.warnings`), for the caller to record on the connection.

Sharing the feed's instance and attendee-row budgets between series is max-min fair: every
series keeps its earliest instances, as many as the others or all of its own if it has
fewer. One runaway series can therefore never crowd out the ordinary meetings.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass

from service.domain.model import Meeting
from service.domain.port import SkippedEvent

Item = Meeting | SkippedEvent


@dataclass(frozen=True, slots=True)
class FeedBudget:
    """Limits for one feed (passed in by the composition root; the defaults are sane).

    `max_events_per_feed` and `max_timezones_per_feed` count components read (the rest is
    not even parsed); `max_rule_steps` bounds how far a recurrence rule may be walked from its
    start to the window's end; `max_seconds_per_series` applies where work can be
    interrupted (the feed reader's child process).
    """

    max_events_per_feed: int = 20_000
    max_timezones_per_feed: int = 50
    max_series_per_feed: int = 2_000
    max_instances_per_series: int = 10_000
    max_instances_per_feed: int = 20_000
    max_attendees_per_event: int = 500
    max_attendances_per_feed: int = 200_000
    max_title_chars: int = 500
    max_rule_steps: int = 1_000_000
    max_seconds_per_series: float = 5.0

    def __post_init__(self) -> None:
        for name in self.__slots__:
            value = getattr(self, name)
            if not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"FeedBudget.{name} must be positive, got {value!r}")


DEFAULT_BUDGET = FeedBudget()


@dataclass(frozen=True, slots=True)
class Room:
    """How much the next series may bring: `instances` and attendee rows (`attendances`).

    `per_series` is the series' own cap: stopping there is reported on the series itself.
    """

    instances: int
    attendances: int
    per_series: int


class _Group:
    """The instances of one series (or one single event), in the order they came."""

    __slots__ = ("cumulative", "meetings", "order")

    def __init__(self, meetings: list[Meeting]) -> None:
        self.meetings = meetings
        self.order: list[int] = []
        self.cumulative: list[int] = []
        self._rank()

    def _rank(self) -> None:
        # Budgets keep the earliest instances: rank them by time, keep output order as is.
        meetings = self.meetings
        self.order = sorted(range(len(meetings)), key=lambda i: _when(meetings[i]))
        rows = (len(meetings[i].attendees or ()) for i in self.order)
        self.cumulative = [0, *itertools.accumulate(rows)]

    def cut(self, keep: int) -> int:
        """Keep the `keep` earliest instances; how many went."""
        if keep >= len(self.meetings):
            return 0
        kept = set(self.order[:keep])
        gone = len(self.meetings) - keep
        self.meetings = [m for i, m in enumerate(self.meetings) if i in kept]
        self._rank()
        return gone


def _when(meeting: Meeting) -> tuple[object, ...]:
    return (meeting.start, meeting.instance_start)


class Keeper:
    """A feed's items in feed order, cut to the budget whenever they grow past it."""

    def __init__(self, budget: FeedBudget) -> None:
        """Start empty."""
        self.budget = budget
        self._entries: list[_Group | SkippedEvent] = []
        self._groups: list[_Group] = []
        self._instances = 0
        self._attendances = 0
        self._level: int | None = None  # None until something had to be cut
        # The water level of the instance budget, kept up to date as series arrive (exact
        # cuts are costlier and wait): groups below it (a max-heap of sizes) and at it.
        self._total = 0
        self._below: list[int] = []
        self._below_total = 0
        self._at_level = 0
        self._estimate: int | None = None
        self.dropped = 0
        self.cut_short = 0  # series stopped early: how much more they had is unknown

    def room(self) -> Room:
        """What the next series may bring without being cut later anyway."""
        budget = self.budget
        per_series = budget.max_instances_per_series
        instances = min(per_series, budget.max_instances_per_feed)
        for level in (self._level, self._estimate):
            if level is not None:
                instances = min(instances, level + 1)
        return Room(instances, budget.max_attendances_per_feed, per_series)

    def skip(self, item: SkippedEvent) -> None:
        """Record a skipped event in its place."""
        self._entries.append(item)

    def add(self, meetings: list[Meeting], *, cut_short: bool = False) -> None:
        """Record the instances of one series (or one single event)."""
        group = _Group(meetings)
        self._entries.append(group)
        self._groups.append(group)
        self._instances += len(meetings)
        self._attendances += group.cumulative[-1]
        self.cut_short += cut_short
        self._raise_water(len(meetings))
        # Cut when twice over, not at every series: each cut walks every group.
        budget = self.budget
        if (
            self._instances > 2 * budget.max_instances_per_feed
            or self._attendances > 2 * budget.max_attendances_per_feed
        ):
            self._cut()

    def result(self) -> tuple[list[Item], list[str]]:
        """Everything kept, in feed order, and what the budget left out, in words (empty
        when everything fit)."""
        budget = self.budget
        if (
            self._instances > budget.max_instances_per_feed
            or self._attendances > budget.max_attendances_per_feed
        ):
            self._cut()
        items: list[Item] = []
        for entry in self._entries:
            if isinstance(entry, SkippedEvent):
                items.append(entry)
            else:
                items.extend(entry.meetings)
        if not self.dropped and not self.cut_short:
            return items, []
        at_least = "at least " if self.cut_short else ""
        warning = (
            f"over budget: {at_least}{self.dropped or self.cut_short} meeting instances left out "
            f"(a feed keeps at most {budget.max_instances_per_feed} instances and "
            f"{budget.max_attendances_per_feed} attendee rows; each series its earliest)"
        )
        return items, [warning]

    def _raise_water(self, size: int) -> None:
        """Update the level every series may keep, in instances, with one more group."""
        cap = self.budget.max_instances_per_feed
        self._total += size
        if self._estimate is not None and size >= self._estimate:
            self._at_level += 1
        else:
            heapq.heappush(self._below, -size)
            self._below_total += size
        if self._total <= cap:
            return
        # Groups that reach the (falling) level join those held at it.
        while self._below and (
            self._at_level == 0 or -self._below[0] >= (cap - self._below_total) / self._at_level
        ):
            moved = -heapq.heappop(self._below)
            self._below_total -= moved
            self._at_level += 1
        self._estimate = max((cap - self._below_total) // self._at_level, 0)

    def _cut(self) -> None:
        budget = self.budget
        groups = self._groups
        level = self._fitting_level(budget.max_instances_per_feed, budget.max_attendances_per_feed)
        instances = sum(min(len(g.meetings), level) for g in groups)
        attendances = sum(g.cumulative[min(len(g.meetings), level)] for g in groups)
        # Room left at this level goes to the series whose next instance is earliest.
        extra: set[int] = set()
        waiting = sorted(
            (_when(g.meetings[g.order[level]]), index)
            for index, g in enumerate(groups)
            if len(g.meetings) > level
        )
        for _when_next, index in waiting:
            cost = groups[index].cumulative[level + 1] - groups[index].cumulative[level]
            if (
                instances + 1 <= budget.max_instances_per_feed
                and attendances + cost <= budget.max_attendances_per_feed
            ):
                extra.add(index)
                instances += 1
                attendances += cost
        for index, group in enumerate(groups):
            self.dropped += group.cut(level + (index in extra))
        self._instances, self._attendances = instances, attendances
        self._level = level

    def _fitting_level(self, max_instances: int, max_attendances: int) -> int:
        """The most instances every series may keep with both budgets met."""

        def fits(level: int) -> bool:
            instances = attendances = 0
            for group in self._groups:
                kept = min(len(group.meetings), level)
                instances += kept
                attendances += group.cumulative[kept]
            return instances <= max_instances and attendances <= max_attendances

        low, high = 0, max((len(g.meetings) for g in self._groups), default=0)
        while low < high:
            middle = (low + high + 1) // 2
            if fits(middle):
                low = middle
            else:
                high = middle - 1
        return low
