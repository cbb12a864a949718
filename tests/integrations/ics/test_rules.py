"""rules: which recurrence rules are refused before expansion, and the never-match probe."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from integrations.ics.rules import never_matches, recurrence_rules, spacing
from tests.integrations.ics.icsdata import calendar, vevent

START = datetime(2024, 1, 1, 9, tzinfo=UTC)


def rule(text: str) -> dict[str, list[object]]:
    event = icalendar.Calendar.from_ical(
        calendar(vevent("DTSTART:20240101T090000Z", f"RRULE:{text}"))
    ).walk("VEVENT")[0]
    (found,) = recurrence_rules(event)
    return dict(found)


@pytest.mark.parametrize(
    "text",
    [
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=WEEKLY;BYMONTH=4;BYMONTHDAY=31",
        "FREQ=MONTHLY;BYMONTH=2,4,6,9,11;BYMONTHDAY=31",
        "FREQ=YEARLY;BYMONTH=1;BYYEARDAY=366",
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=5",
    ],
)
def test_find_rule_never_matching(text: str) -> None:
    began = time.perf_counter()
    assert never_matches(rule(text), START)
    assert time.perf_counter() - began < 2.0


@pytest.mark.parametrize(
    "text",
    [
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",  # leap days only
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO",  # 29 February on a Monday: 2016, 2044
        "FREQ=YEARLY;BYWEEKNO=53",  # years with 53 ISO weeks
        "FREQ=MONTHLY;BYDAY=5FR",  # months with five Fridays
        "FREQ=MONTHLY;BYMONTHDAY=-31",  # 31-day months
        "FREQ=YEARLY;BYYEARDAY=366",
        "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=3",
        "FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20240301T000000Z",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "FREQ=DAILY",
    ],
)
def test_find_rule_matching_even_rarely(text: str) -> None:
    assert not never_matches(rule(text), START)


def test_find_rule_spacing_from_frequency_and_filters() -> None:
    def gap(text: str) -> timedelta:
        event = icalendar.Calendar.from_ical(
            calendar(vevent("DTSTART:20240101T090000Z", f"RRULE:{text}"))
        ).walk("VEVENT")[0]
        return spacing([event])

    assert gap("FREQ=SECONDLY;INTERVAL=5") == timedelta(seconds=5)
    assert gap("FREQ=WEEKLY;BYDAY=MO,WE") == timedelta(days=1)
    assert gap("FREQ=YEARLY;BYHOUR=9,10") == timedelta(hours=1)
    assert gap("FREQ=DAILY;INTERVAL=2") == timedelta(days=2)
