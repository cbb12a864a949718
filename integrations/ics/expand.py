"""Expand a feed's recurrences inside a sync window into meeting instances (pure).

Each series (all VEVENTs sharing a UID) is expanded on its own, lazily and in time order,
so one broken or runaway series is skipped with a reason while the rest of the feed goes on.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import tzinfo

import icalendar
import recurring_ical_events

from integrations.ics import _props
from integrations.ics.normalise import (
    calendar_zone,
    default_zone,
    derived_uid,
    normalise_in_zone,
    parse_calendars,
)
from service.domain.model import Meeting
from service.domain.port import SkippedEvent, SyncWindow

# A daily meeting over 27 years; more than this in one window is a runaway rule (FREQ=SECONDLY).
MAX_OCCURRENCES_PER_SERIES = 10_000
_SERIES_PROPERTIES = ("RRULE", "RDATE", "RECURRENCE-ID")
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


def expand_feed(data: bytes, owner: str, window: SyncWindow, default_tz: str = "UTC") -> ParsedFeed:
    """Expand every series of the feed inside `window` into meetings (UTC), skipping bad ones."""
    feed = ParsedFeed()
    for item in iter_feed(data, owner, window, default_tz):
        if isinstance(item, Meeting):
            feed.meetings.append(item)
        else:
            feed.skipped.append(item)
    return feed


def iter_feed(
    data: bytes, owner: str, window: SyncWindow, default_tz: str = "UTC"
) -> Iterator[Meeting | SkippedEvent]:
    """Like `expand_feed`, one item at a time (one series in memory at once)."""
    default = default_zone(default_tz)
    for calendar in parse_calendars(data):
        tz = calendar_zone(calendar, default)
        groups: dict[str, list[icalendar.Component]] = {}
        for event in calendar.walk("VEVENT"):
            _keep_first_values(event)
            # Read each VEVENT once on its own so a broken one is reported and left out,
            # instead of breaking the expansion of its whole series.
            checked = normalise_in_zone(event, owner, tz, series=None)
            if isinstance(checked, SkippedEvent):
                yield checked
                continue
            uid = _props.text(event, "UID")
            if uid is None:
                uid = derived_uid(event)
                event["UID"] = icalendar.vText(uid)
            groups.setdefault(uid, []).append(event)
        calscale = _props.text(calendar, "CALSCALE")
        for uid, events in groups.items():
            yield from _expand_series(uid, events, calscale, owner, tz, window)


def _keep_first_values(event: icalendar.Component) -> None:
    for name in _SINGLETONS:
        value = event.get(name)
        if isinstance(value, list) and value:
            event[name] = value[0]


def _expand_series(
    uid: str,
    events: list[icalendar.Component],
    calscale: str | None,
    owner: str,
    tz: tzinfo,
    window: SyncWindow,
) -> list[Meeting | SkippedEvent]:
    series = len(events) > 1 or any(
        event.get(name) is not None for event in events for name in _SERIES_PROPERTIES
    )
    holder = icalendar.Calendar()
    if calscale:
        # recurring_ical_events refuses non-Gregorian calendars: keep that per series.
        holder["CALSCALE"] = calscale
    for event in events:
        holder.add_component(event)
    results: list[Meeting | SkippedEvent] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            occurrences = recurring_ical_events.of(holder).after(window.start)
            for occurrence in occurrences:
                item = normalise_in_zone(occurrence, owner, tz, series=series)
                if isinstance(item, Meeting) and item.start >= window.end:
                    break
                if len(results) >= MAX_OCCURRENCES_PER_SERIES:
                    results.append(
                        SkippedEvent(
                            source_id=uid,
                            reason=f"series has more than {MAX_OCCURRENCES_PER_SERIES} occurrences "
                            "in the window; the later ones are left out",
                        )
                    )
                    break
                results.append(item)
    # Third-party expansion raises many kinds of error on hostile input (ValueError, TypeError,
    # OverflowError, RecursionError ...); one series must never stop the rest of the feed.
    except Exception as exc:
        return [
            SkippedEvent(
                source_id=uid,
                reason=f"recurring series cannot be expanded: {type(exc).__name__}: {exc}",
            )
        ]
    return results
