"""What a series' recurrence rules would cost, decided before they are expanded.

- `prepare`: why a series may not be expanded at all: INTERVAL=0 (dateutil loops for ever),
  a rule finer than hourly with BY-filters, a walk of more than `max_rule_steps` from the
  rule's start to the window, or more RDATEs than a series may have instances. A rule whose
  BY-filters never match (30 February) is removed first: the engine would search for one
  until the year 9999 (UNTIL does not stop it: it is only checked against a match), and
  without it the series is what it really is, its start and its RDATEs.
- `spacing`: the shortest gap between instances of the series' densest rule; slices are at
  most `SLICE_INSTANCES` gaps wide, so that no expansion call materialises millions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta

import icalendar
from dateutil.rrule import rrulestr

from integrations.ics import props
from integrations.ics.budget import FeedBudget
from service.domain.model import Meeting
from service.domain.port import SyncWindow

DAY = 86_400
FREQ_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3_600,
    "DAILY": DAY,
    "WEEKLY": 7 * DAY,
    "MONTHLY": 28 * DAY,
    "YEARLY": 365 * DAY,
}
# The finest spacing each BY-part can produce: at most one instance per unit.
BY_SECONDS = {
    "BYSECOND": 1,
    "BYMINUTE": 60,
    "BYHOUR": 3_600,
    "BYDAY": DAY,
    "BYMONTHDAY": DAY,
    "BYYEARDAY": DAY,
    "BYWEEKNO": 7 * DAY,
    "BYMONTH": 28 * DAY,
}
FILTERS = (*BY_SECONDS, "BYSETPOS")
_DAY_PARTS = ("BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH")
# Days the engine scans per period when day-level filters are given (dateutil's day sets).
_DAYS_SCANNED = {"WEEKLY": 7, "MONTHLY": 31, "YEARLY": 366}
FINER_THAN_HOURLY = frozenset({"SECONDLY", "MINUTELY"})
SLICE_INSTANCES = 2048
UNTIL_MARGIN = timedelta(days=2)  # beyond any zone offset
_PROBE_YEAR = 9972


def recurrence_rules(event: icalendar.Component) -> list[Mapping[str, list[object]]]:
    """The event's RRULEs that could be read."""
    rules = event.get("RRULE")
    return [r for r in (rules if isinstance(rules, list) else [rules]) if isinstance(r, dict)]


def prepare(
    members: Iterable[tuple[icalendar.Component, Meeting]], window: SyncWindow, budget: FeedBudget
) -> str | None:
    """Why the series may not be expanded, or None; removes rules that never match."""
    rdates = 0
    for event, meeting in members:
        rdates += _count_rdates(event)
        kept: list[Mapping[str, list[object]]] = []
        for rule in recurrence_rules(event):
            reason = _rule_problem(rule, meeting.start, window, budget)
            if reason is not None:
                return reason
            if not never_matches(rule, getattr(props.first(event, "DTSTART"), "dt", None)):
                kept.append(rule)
        if len(kept) < len(recurrence_rules(event)):
            event.pop("RRULE", None)
            for rule in kept:
                event.add("RRULE", rule, encode=False)
    if rdates > budget.max_instances_per_series:
        return (
            f"series has {rdates} RDATE values, more than the {budget.max_instances_per_series} "
            "instances a series may have"
        )
    return None


def never_matches(rule: Mapping[str, list[object]], start: object) -> bool:
    """True when the rule's BY-filters match no time at all in any year.

    Probed with dateutil on the same rule without COUNT, UNTIL and INTERVAL (a superset of
    its candidates) from the rule's start moved to 9972: the 28 years up to datetime's last
    hold every kind of year (leap or not, each first weekday), and then dateutil stops.
    """
    if not any(rule.get(name) for name in FILTERS) or not isinstance(start, date):
        return False
    probe = icalendar.vRecur(
        {k: v for k, v in rule.items() if k.upper() not in ("COUNT", "UNTIL", "INTERVAL")}
    )
    if _freq(rule) == "HOURLY" and not rule.get("BYSETPOS"):
        probe["FREQ"] = ["DAILY"]  # the same days (the hours are not what never matches)
    anchor = start if isinstance(start, datetime) else datetime.combine(start, time(0))
    try:
        moved = anchor.replace(year=_PROBE_YEAR, tzinfo=None)
        text: bytes = probe.to_ical()  # type: ignore[no-untyped-call]  # icalendar: no annotation
        candidates = rrulestr(text.decode(), dtstart=moved)
        return next(iter(candidates), None) is None
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        return False  # the recurrence engine will say what is wrong


def _rule_problem(
    rule: Mapping[str, list[object]], start: datetime, window: SyncWindow, budget: FeedBudget
) -> str | None:
    for interval in rule.get("INTERVAL") or []:
        if not isinstance(interval, int) or interval < 1:
            return f"RRULE INTERVAL must be a positive integer, got {interval!r}"
    freq = _freq(rule)
    if freq is None or freq not in FREQ_SECONDS:
        return None  # the recurrence engine says what is wrong
    filters = [name for name in FILTERS if rule.get(name)]
    if freq in FINER_THAN_HOURLY and filters:
        return (
            f"RRULE FREQ={freq} with BY-filters ({', '.join(filters)}) is finer than hourly "
            "and is not expanded"
        )
    steps = _steps(rule, freq, start, window, bool(filters))
    if steps > budget.max_rule_steps:
        return (
            f"RRULE FREQ={freq} from {start:%Y-%m-%d} takes about {steps:,.0f} steps to reach the "
            f"window (at most {budget.max_rule_steps:,}); not expanded"
        )
    return None


def _steps(
    rule: Mapping[str, list[object]], freq: str, start: datetime, window: SyncWindow, filters: bool
) -> float:
    """The engine's work from the rule's start to the window (to its end with filters, which
    may never match; without, the instance caps stop it inside the window)."""
    until = window.end + UNTIL_MARGIN if filters else window.start
    ends = (rule.get("UNTIL") or [None])[0]
    if isinstance(ends, date):
        until = min(until, props.to_utc(ends, UTC))
    periods = max((until - start).total_seconds(), 0) / (FREQ_SECONDS[freq] * _interval(rule))
    count = (rule.get("COUNT") or [None])[0]
    if isinstance(count, int) and not filters:
        periods = min(periods, count)
    per_period = 1
    if any(rule.get(name) for name in _DAY_PARTS):
        per_period = _DAYS_SCANNED.get(freq, 1)
    for name in ("BYHOUR", "BYMINUTE", "BYSECOND"):
        if BY_SECONDS[name] < FREQ_SECONDS[freq]:
            per_period *= max(len(rule.get(name) or ()), 1)
    return math.ceil(periods) * per_period


def spacing(events: Iterable[icalendar.Component]) -> timedelta:
    """The shortest time between two instances the events' rules can make (at most a year)."""
    finest = float(FREQ_SECONDS["YEARLY"])
    for event in events:
        for rule in recurrence_rules(event):
            freq = _freq(rule)
            if freq not in FREQ_SECONDS:
                continue
            gap = float(FREQ_SECONDS[freq] * _interval(rule))
            for name, unit in BY_SECONDS.items():
                if rule.get(name) and unit < FREQ_SECONDS[freq]:
                    gap = min(gap, unit)
            finest = min(finest, gap)
    return timedelta(seconds=finest)


def _freq(rule: Mapping[str, list[object]]) -> str | None:
    values = rule.get("FREQ") or []
    return str(values[0]).upper() if values else None


def _interval(rule: Mapping[str, list[object]]) -> int:
    values = rule.get("INTERVAL") or [1]
    value = values[0]
    return value if isinstance(value, int) and value >= 1 else 1


def _count_rdates(event: icalendar.Component) -> int:
    values = event.get("RDATE")
    total = 0
    for value in values if isinstance(values, list) else [values]:
        total += len(getattr(value, "dts", ()) or ())
    return total
