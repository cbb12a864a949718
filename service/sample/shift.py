"""Move an iCalendar feed in time by whole weeks, keeping weekdays and local wall-clock times.

Times with a TZID (or floating) move on the wall clock of their own zone, so a 09:00 London
meeting stays at 09:00 London across a DST change. UTC values that name an instance of a series
(RECURRENCE-ID, EXDATE, RDATE, RRULE UNTIL) move on the wall clock of the event's DTSTART zone,
so they keep matching the instances they name. Stamps (DTSTAMP, CREATED, LAST-MODIFIED) move
as plain instants. VTIMEZONE rules are left alone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

import icalendar

_INSTANTS = ("DTSTAMP", "CREATED", "LAST-MODIFIED")
_TIMES = ("DTSTART", "DTEND", "DUE", "RECURRENCE-ID")
_LISTS = ("EXDATE", "RDATE")

DDDValue = date | timedelta | time | tuple[datetime, datetime] | tuple[datetime, timedelta]


def week_shift(now: datetime, anchor: datetime) -> timedelta:
    """Whole weeks from the Monday of `anchor`'s week to the Monday of `now`'s week (UTC dates)."""
    if now.tzinfo is None or anchor.tzinfo is None:
        raise ValueError("now and anchor must be tz-aware datetimes")
    now_day, anchor_day = now.astimezone(UTC).date(), anchor.astimezone(UTC).date()
    now_monday = now_day - timedelta(days=now_day.weekday())
    anchor_monday = anchor_day - timedelta(days=anchor_day.weekday())
    return now_monday - anchor_monday


def _is_utc(value: datetime) -> bool:
    return (
        value.tzinfo is not None
        and value.utcoffset() == timedelta(0)
        and (getattr(value.tzinfo, "key", None) in ("UTC", "Etc/UTC") or value.tzinfo is UTC)
    )


def _shift_time(value: date, by: timedelta, zone: tzinfo | None) -> date:
    if isinstance(value, datetime):
        if zone is not None and _is_utc(value):
            local = value.astimezone(zone)
            return (local + by).astimezone(value.tzinfo)
        # Aware arithmetic in Python is wall-clock arithmetic in the value's own zone.
        return value + by
    return value + timedelta(days=by.days)


def shift_value(value: DDDValue, by: timedelta, zone: tzinfo | None) -> DDDValue:
    """Shift a DATE, DATE-TIME or PERIOD; a UTC time moves on `zone`'s wall clock when given."""
    if isinstance(value, tuple):
        start, end_or_length = value
        moved_start = _shift_time(start, by, zone)
        assert isinstance(moved_start, datetime)  # a period starts at a date-time
        if isinstance(end_or_length, timedelta):
            return (moved_start, end_or_length)
        moved_end = _shift_time(end_or_length, by, zone)
        assert isinstance(moved_end, datetime)
        return (moved_start, moved_end)
    if isinstance(value, date):
        return _shift_time(value, by, zone)
    return value


def _start_zone(component: icalendar.cal.Component) -> tzinfo | None:
    start = component.get("DTSTART")
    value = getattr(start, "dt", None)
    if isinstance(value, datetime) and value.tzinfo is not None and not _is_utc(value):
        return value.tzinfo
    return None


def _props(component: icalendar.cal.Component, name: str) -> list[object]:
    found = component.get(name)
    if found is None:
        return []
    return list(found) if isinstance(found, list) else [found]


def _shift_props(component: icalendar.cal.Component, by: timedelta, zone: tzinfo | None) -> None:
    for name in (*_INSTANTS, *_TIMES):
        for prop in _props(component, name):
            if isinstance(prop, icalendar.vDDDTypes):
                prop.dt = shift_value(prop.dt, by, None if name in _INSTANTS else zone)
    for name in _LISTS:
        for prop in _props(component, name):
            if isinstance(prop, icalendar.vDDDLists):
                for item in prop.dts:
                    item.dt = shift_value(item.dt, by, zone)


def _shift_component(component: icalendar.cal.Component, by: timedelta) -> None:
    zone = _start_zone(component)
    _shift_props(component, by, zone)
    for rule in _props(component, "RRULE"):
        if isinstance(rule, icalendar.vRecur) and "UNTIL" in rule:
            rule["UNTIL"] = [shift_value(until, by, zone) for until in rule["UNTIL"]]
    for child in component.subcomponents:
        if child.name == "VALARM":
            _shift_component(child, by)


def shift_calendar(data: bytes, by: timedelta) -> bytes:
    """Return the feed `data` with every event, to-do and journal moved by `by`."""
    if by % timedelta(days=1):
        raise ValueError(f"shift must be a whole number of days, got {by}")
    if not by:
        return data
    calendars = icalendar.Calendar.from_ical(data, multiple=True)
    out = []
    for calendar in calendars:
        for component in calendar.subcomponents:
            if component.name in ("VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY"):
                _shift_component(component, by)
        out.append(bytes(calendar.to_ical()))
    return b"".join(out)
