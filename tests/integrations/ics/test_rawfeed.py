"""rawfeed.trim: components left out before parsing, found the way the parser finds them."""

from __future__ import annotations

from integrations.ics.budget import FeedBudget
from integrations.ics.normalise import parse_calendars
from integrations.ics.rawfeed import trim
from tests.integrations.ics.attacks import many_vtimezones, secondly_vtimezone
from tests.integrations.ics.icsdata import calendar, vevent

EVENTS = calendar(*(vevent(f"DTSTART:20240301T{i:02d}0000Z", uid=f"e{i}") for i in range(6)))


def uids(data: bytes) -> list[str]:
    return [str(e["UID"]) for c in parse_calendars(data) for e in c.walk("VEVENT")]


def test_trim_within_budget_returns_the_same_bytes() -> None:
    data, warnings = trim(EVENTS, FeedBudget())
    assert data is EVENTS
    assert warnings == []


def test_trim_events_past_the_cap_first_ones_kept() -> None:
    data, warnings = trim(EVENTS, FeedBudget(max_events_per_feed=4))
    assert uids(data) == ["e0", "e1", "e2", "e3"]
    assert "2 of 6 events" in warnings[0]


def test_trim_counts_folded_and_parameterised_begin_lines() -> None:
    # The parser unfolds lines and reads "BEGIN;X=1:VEVENT" as a BEGIN: so must the count.
    folded = EVENTS.replace(b"BEGIN:VEVENT", b"BEGIN:VEV\r\n ENT", 3).replace(
        b"BEGIN:VEVENT", b"BEGIN;X-A=1:VEVENT"
    )
    assert len(uids(folded)) == 6
    data, _warnings = trim(folded, FeedBudget(max_events_per_feed=2))
    assert uids(data) == ["e0", "e1"]


def test_trim_time_zones_past_the_cap() -> None:
    data, warnings = trim(many_vtimezones(5), FeedBudget(max_timezones_per_feed=3))
    zones = [z for c in parse_calendars(data) for z in c.walk("VTIMEZONE")]
    assert len(zones) == 3
    assert "2 of 5 time zones" in warnings[0]


def test_trim_time_zone_finer_than_yearly_named() -> None:
    data, warnings = trim(secondly_vtimezone(), FeedBudget())
    assert not [z for c in parse_calendars(data) for z in c.walk("VTIMEZONE")]
    assert "Custom/Fast" in warnings[0]
    assert "SECONDLY" in warnings[0]
