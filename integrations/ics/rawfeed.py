"""Components left out before parsing: events past the budget, and costly time zones.

The iCalendar parser turns every VTIMEZONE into a time zone object as it reads it, and each
use of one walks its rules from their start (a FREQ=SECONDLY rule never finishes; thousands
of zones take minutes), so these have to go before the parser sees them. The feed is read
as the parser reads it (lines unfolded, then split), components are found by their BEGIN
and END lines, and the bytes are rebuilt only when something is left out.
"""

from __future__ import annotations

import re

from integrations.ics.budget import FeedBudget
from integrations.ics.errors import clip

# As icalendar unfolds and splits (parser/content_line.py): the same lines, the same way.
_UNFOLD = re.compile(rb"(?:(?<!\n)\r\n|(?<![\r\n])\n)(?:\r?\n)*[ \t]")
_NEWLINE = re.compile(rb"\r?\n")
_FREQ = re.compile(rb"FREQ=([A-Za-z]*)", re.IGNORECASE)
MAX_ZONE_LINES = 1_000
_NAMED = 3  # zones named in a warning; the rest are counted


def trim(data: bytes, budget: FeedBudget) -> tuple[bytes, list[str]]:
    """The feed without the components it may not have, and what went, in words."""
    lines = _NEWLINE.split(_UNFOLD.sub(b"", data))
    dropped: list[tuple[int, int]] = []
    events = zones = 0
    events_over = zones_over = 0
    bad_zones: list[str] = []
    index = 0
    while index < len(lines):
        kind = _begins(lines[index])
        if kind is None:
            index += 1
            continue
        end = _end(lines, index, kind)
        if kind == b"VEVENT":
            events += 1
            if events > budget.max_events_per_feed:
                events_over += 1
                dropped.append((index, end))
        else:
            zones += 1
            reason = _zone_problem(lines[index : end + 1])
            if zones > budget.max_timezones_per_feed:
                zones_over += 1
                dropped.append((index, end))
            elif reason is not None:
                bad_zones.append(reason)
                dropped.append((index, end))
        index = end + 1
    if not dropped:
        return data, []
    warnings = _warnings(budget, events, events_over, zones, zones_over, bad_zones)
    return _without(lines, dropped), warnings


def _begins(line: bytes) -> bytes | None:
    """b"VEVENT" or b"VTIMEZONE" when the line begins one, else None."""
    return _component(line, b"BEGIN")


def _end(lines: list[bytes], start: int, kind: bytes) -> int:
    for index in range(start + 1, len(lines)):
        if _component(lines[index], b"END") == kind:
            return index
    return len(lines) - 1


def _component(line: bytes, marker: bytes) -> bytes | None:
    # A line names a component the way the parser reads it: the name up to ";" or ":",
    # the value after the last ":" (a component name has none), compared as it is.
    head = line[: len(marker) + 1].upper()
    if head not in (marker + b":", marker + b";"):
        return None
    value = line.rsplit(b":", 1)[-1].upper()
    return value if value in (b"VEVENT", b"VTIMEZONE") else None


def _zone_problem(block: list[bytes]) -> str | None:
    tzid = "?"
    for line in block:
        name = line.split(b":", 1)[0].split(b";", 1)[0].strip().upper()
        if name == b"TZID":
            tzid = clip(line.partition(b":")[2].decode("utf-8", "replace").strip(), 80)
            break
    if len(block) > MAX_ZONE_LINES:
        return f"time zone {tzid!r} has more than {MAX_ZONE_LINES} lines"
    for line in block:
        if line.split(b":", 1)[0].split(b";", 1)[0].strip().upper() != b"RRULE":
            continue
        for found in _FREQ.findall(line):
            if found.upper() != b"YEARLY":
                freq = clip(found.decode("ascii", "replace"), 20)
                return f"time zone {tzid!r} repeats more often than yearly (FREQ={freq})"
    return None


def _warnings(
    budget: FeedBudget,
    events: int,
    events_over: int,
    zones: int,
    zones_over: int,
    bad_zones: list[str],
) -> list[str]:
    warnings: list[str] = []
    if events_over:
        warnings.append(
            f"over budget: {events_over} of {events} events left out unread "
            f"(a feed may hold at most {budget.max_events_per_feed}; the first ones are read)"
        )
    if zones_over:
        warnings.append(
            f"over budget: {zones_over} of {zones} time zones (VTIMEZONE) left out "
            f"(a feed may define at most {budget.max_timezones_per_feed}); "
            "times in them are read in the calendar's zone"
        )
    if bad_zones:
        more = len(bad_zones) - _NAMED
        named = "; ".join(bad_zones[:_NAMED]) + (f"; and {more} more" if more > 0 else "")
        warnings.append(f"{named}: left out, times in them are read in the calendar's zone")
    return warnings


def _without(lines: list[bytes], dropped: list[tuple[int, int]]) -> bytes:
    kept: list[bytes] = []
    position = 0
    for start, end in dropped:
        kept.extend(lines[position:start])
        position = end + 1
    kept.extend(lines[position:])
    return b"\r\n".join(line for line in kept if line) + b"\r\n"
