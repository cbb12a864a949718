"""One series (every VEVENT sharing a UID) expanded over a window, in time slices.

Each series is expanded on its own, so that one broken or runaway series is skipped with a
reason while the rest of the feed goes on. Its rules are checked first (`rules.problem`);
the expansion then walks the window in slices no wider than its densest rule allows, and
stops at the room the feed's budget gives it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo

import icalendar
import recurring_ical_events

from integrations.ics import props, rules
from integrations.ics.budget import FeedBudget, Room
from integrations.ics.errors import clip
from integrations.ics.normalise import EVENT_ERRORS, SERIES_PROPERTIES, normalise_in_zone
from service.domain.model import Meeting
from service.domain.port import SkippedEvent, SyncWindow

# Expansion slices: start small, grow fourfold while sparse, halve while dense.
_FIRST_SLICE = timedelta(minutes=15)
_SMALLEST_SLICE = timedelta(minutes=1)
_SPARSE, _DENSE = 256, 1024


@dataclass(slots=True)
class Expansion:
    """What one series gave: instances (and skips); whether its own cap stopped it (`capped`,
    said in a SkippedEvent) or the feed's room did (`cut_short`: how many more is unknown)."""

    items: list[Meeting | SkippedEvent] = field(default_factory=list)
    capped: bool = False
    cut_short: bool = False


def occurrences(
    query: recurring_ical_events.CalendarQuery,
    window: SyncWindow,
    start: datetime,
    widest: timedelta,
    first: timedelta = _FIRST_SLICE,
) -> Iterator[icalendar.Component]:
    """Occurrences from `start` to the window's end in adaptive time slices of at most
    `widest`, the first `first` wide: memory stays bounded for dense rules, and each rule is
    walked a few dozen times, not once per instance as `after()` does (quadratic for a daily
    series over a year)."""
    span = min(first, widest)
    while start < window.end:
        stop = min(start + span, window.end)
        found = query.between(start, stop)
        yield from found
        start = stop
        if len(found) < _SPARSE:
            span = min(span * 4, widest)
        elif len(found) > _DENSE and span > _SMALLEST_SLICE:
            span /= 2


def _value(component: icalendar.Component, name: str) -> object:
    return getattr(props.first(component, name), "dt", None)


def _has_range(event: icalendar.Component) -> bool:
    params = getattr(props.first(event, "RECURRENCE-ID"), "params", None)
    return bool(params is not None and params.get("RANGE"))


class Series:
    """All VEVENTs of one UID, with each one already normalised on its own."""

    def __init__(
        self,
        uid: str,
        members: list[tuple[icalendar.Component, Meeting]],
        owner: str,
        tz: tzinfo,
        limits: FeedBudget,
    ) -> None:
        """Group the members; decide once whether instances can be made the quick way."""
        self.uid = uid
        self.members = members
        self.owner = owner
        self.tz = tz
        self.limits = limits
        self.recurring = len(members) > 1 or any(
            event.get(name) is not None for event, _ in members for name in SERIES_PROPERTIES
        )
        cores = [m for e, m in members if e.get("RECURRENCE-ID") is None]
        self.overrides = {m.instance_start: m for e, m in members if e.get("RECURRENCE-ID")}
        # RANGE=THISANDFUTURE overrides shift later instances: recurring_ical_events copies
        # their RECURRENCE-ID onto each of them, so those instances' identity is recomputed.
        self.moves = {
            m.instance_start: m.start - m.instance_start for e, m in members if _has_range(e)
        }
        override_count = len(members) - len(cores)
        # Fast path: instances are the one core (or an override) with new times, no re-reading.
        self.core = cores[0] if len(cores) == 1 and not self.moves else None
        self.fast = len(cores) <= 1 and not self.moves and len(self.overrides) == override_count

    def expand(self, calscale: str | None, window: SyncWindow, room: Room) -> Expansion:
        """The instances inside the window, or one SkippedEvent saying why there are none."""
        try:
            problem = rules.prepare(self.members, window, self.limits)
            if problem is not None:
                return Expansion([SkippedEvent(source_id=self.uid, reason=problem)])
            holder = icalendar.Calendar()
            if calscale:
                # recurring_ical_events refuses non-Gregorian calendars: keep that per series.
                holder["CALSCALE"] = calscale
            for event, _ in self.members:
                holder.add_component(event)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return self._walk(recurring_ical_events.of(holder), window, room)
        # Third-party expansion raises many kinds of error on hostile input (ValueError,
        # TypeError, OverflowError, RecursionError, MemoryError ...): one series must not stop
        # the feed.
        except Exception as exc:
            reason = clip(f"recurring series cannot be expanded: {type(exc).__name__}: {exc}")
            return Expansion([SkippedEvent(source_id=self.uid, reason=reason)])

    def _walk(
        self, query: recurring_ical_events.CalendarQuery, window: SyncWindow, room: Room
    ) -> Expansion:
        found = Expansion()
        spacing = rules.spacing(event for event, _ in self.members)
        widest = rules.SLICE_INSTANCES * spacing
        first = _FIRST_SLICE
        if room.instances < room.per_series:
            # The feed is over budget and this series may bring only a few instances: one
            # slice that should hold them and the next (which tells there are more), not a
            # dozen growing ones that hold many more.
            widest = first = min(widest, max((room.instances + 1) * spacing, _SMALLEST_SLICE))
        start = self._first_slice(window, widest)
        seen: set[tuple[object, object]] = set()
        count = rows = 0
        for occurrence in occurrences(query, window, start, widest, first):
            key = (_value(occurrence, "RECURRENCE-ID"), _value(occurrence, "DTSTART"))
            if key in seen:
                continue  # a long instance overlaps two slices
            seen.add(key)
            item = self.instance(occurrence)
            if isinstance(item, Meeting):
                if item.start >= window.end:
                    continue
                size = len(item.attendees or ())
                if count >= room.instances or rows + size > room.attendances:
                    if count >= room.per_series:
                        reason = (
                            f"series has more than {room.per_series} occurrences in the "
                            "window; the later ones are left out"
                        )
                        found.items.append(SkippedEvent(source_id=self.uid, reason=reason))
                        found.capped = True
                    else:
                        found.cut_short = True
                    break
                count += 1
                rows += size
            found.items.append(item)
        return found

    def _first_slice(self, window: SyncWindow, widest: timedelta) -> datetime:
        """Where slicing starts: the window's start, or for a dense rule (slices narrower
        than a day) the series' first instance, so as not to walk thousands of empty slices."""
        if widest >= timedelta(days=1):
            return window.start
        earliest = min(min(m.start, m.instance_start) for _, m in self.members)
        longest = max(m.end - m.start for _, m in self.members)
        return max(window.start, earliest - longest - timedelta(days=1))

    def instance(self, occurrence: icalendar.Component) -> Meeting | SkippedEvent:
        """One expanded occurrence as a Meeting."""
        if self.fast:
            try:
                quick = self._quick(occurrence)
            except EVENT_ERRORS:
                quick = None  # read it the long way, which reports what is wrong
            if quick is not None:
                return quick
        item = normalise_in_zone(
            occurrence, self.owner, self.tz, series=self.recurring, limits=self.limits
        )
        if isinstance(item, Meeting) and _has_range(occurrence):
            move = self.moves.get(item.instance_start)
            if move is not None and item.start != item.instance_start + move:
                item = replace(item, original_start=item.start - move)
        return item

    def _quick(self, occurrence: icalendar.Component) -> Meeting | None:
        """The occurrence from its already-read component with new times, None if unsure."""
        start = _value(occurrence, "DTSTART")
        end = _value(occurrence, "DTEND")
        rid = _value(occurrence, "RECURRENCE-ID")
        if not (isinstance(start, date) and isinstance(end, date) and isinstance(rid, date)):
            return None
        series_id = self.uid if self.recurring else None
        original = props.to_utc(rid, self.tz)
        override = self.overrides.get(original)
        if override is not None:
            return replace(override, series_id=series_id)
        if self.core is None:
            return None
        return replace(
            self.core,
            start=props.to_utc(start, self.tz),
            end=props.to_utc(end, self.tz),
            original_start=original,
            series_id=series_id,
        )
