"""Expand a feed's recurrences inside a sync window into meeting instances (pure).

Each series (all VEVENTs sharing a UID) is expanded on its own, lazily and in time order,
so one broken or runaway series is skipped with a reason while the rest of the feed goes on.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta, tzinfo

import icalendar
import recurring_ical_events

from integrations.ics import props
from integrations.ics.normalise import (
    EVENT_ERRORS,
    SERIES_PROPERTIES,
    calendar_zone,
    check_owner,
    default_zone,
    normalise_in_zone,
    parse_calendars,
)
from service.domain.model import Meeting
from service.domain.port import SkippedEvent, SyncWindow

# A daily meeting over 27 years; more than this in one window is a runaway rule (FREQ=SECONDLY).
MAX_OCCURRENCES_PER_SERIES = 10_000
# Expansion slices: start small, grow fourfold while sparse, halve while dense.
_FIRST_SLICE = timedelta(minutes=15)
_SMALLEST_SLICE = timedelta(minutes=1)
_SPARSE, _DENSE = 256, 1024
# Properties that may appear once; some producers repeat them (two DTSTARTs): keep the first.
_SINGLETONS = (
    "UID",
    "DTSTART",
    "DTEND",
    "DURATION",
    "RECURRENCE-ID",
    "SUMMARY",
    "STATUS",
    "SEQUENCE",
    "TRANSP",
    "ORGANIZER",
    "LOCATION",
    "DESCRIPTION",
    "URL",
)


@dataclass(slots=True)
class ParsedFeed:
    """A feed expanded over a window: the meeting instances and the events that were skipped."""

    meetings: list[Meeting] = field(default_factory=list)
    skipped: list[SkippedEvent] = field(default_factory=list)


def expand_feed(
    data: bytes,
    owner: str,
    window: SyncWindow,
    default_tz: str = "UTC",
    *,
    max_per_series: int = MAX_OCCURRENCES_PER_SERIES,
) -> ParsedFeed:
    """Expand every series of the feed inside `window` into meetings (UTC), skipping bad ones."""
    feed = ParsedFeed()
    for item in iter_feed(data, owner, window, default_tz, max_per_series=max_per_series):
        if isinstance(item, Meeting):
            feed.meetings.append(item)
        else:
            feed.skipped.append(item)
    return feed


def iter_feed(
    data: bytes,
    owner: str,
    window: SyncWindow,
    default_tz: str = "UTC",
    *,
    max_per_series: int = MAX_OCCURRENCES_PER_SERIES,
) -> Iterator[Meeting | SkippedEvent]:
    """Like `expand_feed`, one item at a time (one series in memory at once)."""
    owner = check_owner(owner)
    default = default_zone(default_tz)
    for calendar in parse_calendars(data):
        tz = calendar_zone(calendar, default)
        groups: dict[str, list[tuple[icalendar.Component, Meeting]]] = {}
        for event in calendar.walk("VEVENT"):
            _keep_first_values(event)
            # Read each VEVENT once on its own so a broken one is reported and left out,
            # instead of breaking the expansion of its whole series.
            checked = normalise_in_zone(event, owner, tz, series=None)
            if isinstance(checked, SkippedEvent):
                yield checked
                continue
            if props.text(event, "UID") is None:
                event["UID"] = icalendar.vText(checked.uid)
            groups.setdefault(checked.uid, []).append((event, checked))
        calscale = props.text(calendar, "CALSCALE")
        for uid, members in groups.items():
            series = _Series(uid, members, owner, tz)
            yield from series.expand(calscale, window, max_per_series)


def _keep_first_values(event: icalendar.Component) -> None:
    for name in _SINGLETONS:
        value = event.get(name)
        if isinstance(value, list) and value:
            event[name] = value[0]


def _value(component: icalendar.Component, name: str) -> object:
    return getattr(props.first(component, name), "dt", None)


def _occurrences(
    query: recurring_ical_events.CalendarQuery, window: SyncWindow
) -> Iterator[icalendar.Component]:
    """Occurrences in the window, in adaptive time slices: memory stays bounded for runaway
    rules (FREQ=SECONDLY), and each rule is walked a few dozen times, not once per instance
    as `after()` does (quadratic for a daily series over a year)."""
    span = _FIRST_SLICE
    start = window.start
    while start < window.end:
        stop = min(start + span, window.end)
        found = query.between(start, stop)
        yield from found
        start = stop
        if len(found) < _SPARSE:
            span *= 4
        elif len(found) > _DENSE and span > _SMALLEST_SLICE:
            span /= 2


def _has_range(event: icalendar.Component) -> bool:
    params = getattr(props.first(event, "RECURRENCE-ID"), "params", None)
    return bool(params is not None and params.get("RANGE"))


class _Series:
    """All VEVENTs of one UID, with each one already normalised on its own."""

    def __init__(
        self,
        uid: str,
        members: list[tuple[icalendar.Component, Meeting]],
        owner: str,
        tz: tzinfo,
    ) -> None:
        self.uid = uid
        self.members = members
        self.owner = owner
        self.tz = tz
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

    def expand(
        self, calscale: str | None, window: SyncWindow, max_per_series: int
    ) -> list[Meeting | SkippedEvent]:
        """The instances inside the window, or one SkippedEvent saying why there are none."""
        problem = self._rule_problem()
        if problem is not None:
            return [SkippedEvent(source_id=self.uid, reason=problem)]
        holder = icalendar.Calendar()
        if calscale:
            # recurring_ical_events refuses non-Gregorian calendars: keep that per series.
            holder["CALSCALE"] = calscale
        for event, _ in self.members:
            holder.add_component(event)
        results: list[Meeting | SkippedEvent] = []
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                seen: set[tuple[object, object]] = set()
                for occurrence in _occurrences(recurring_ical_events.of(holder), window):
                    key = (_value(occurrence, "RECURRENCE-ID"), _value(occurrence, "DTSTART"))
                    if key in seen:
                        continue  # a long instance overlaps two slices
                    seen.add(key)
                    item = self.instance(occurrence)
                    if isinstance(item, Meeting) and item.start >= window.end:
                        continue
                    if len(results) >= max_per_series:
                        reason = (
                            f"series has more than {max_per_series} occurrences in the "
                            "window; the later ones are left out"
                        )
                        results.append(SkippedEvent(source_id=self.uid, reason=reason))
                        break
                    results.append(item)
        # Third-party expansion raises many kinds of error on hostile input (ValueError,
        # TypeError, OverflowError, RecursionError ...): one series must not stop the feed.
        except Exception as exc:
            reason = f"recurring series cannot be expanded: {type(exc).__name__}: {exc}"
            return [SkippedEvent(source_id=self.uid, reason=reason)]
        return results

    def _rule_problem(self) -> str | None:
        """Why a rule may not be expanded (dateutil loops forever on INTERVAL=0), or None."""
        for event, _ in self.members:
            rules = event.get("RRULE")
            for rule in rules if isinstance(rules, list) else [rules]:
                if not isinstance(rule, dict):
                    continue
                for interval in rule.get("INTERVAL") or []:
                    if not isinstance(interval, int) or interval < 1:
                        return f"RRULE INTERVAL must be a positive integer, got {interval!r}"
        return None

    def instance(self, occurrence: icalendar.Component) -> Meeting | SkippedEvent:
        """One expanded occurrence as a Meeting."""
        if self.fast:
            try:
                quick = self._quick(occurrence)
            except EVENT_ERRORS:
                quick = None  # read it the long way, which reports what is wrong
            if quick is not None:
                return quick
        item = normalise_in_zone(occurrence, self.owner, self.tz, series=self.recurring)
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
