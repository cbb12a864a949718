"""expand_feed's quick path agrees with reading every expanded occurrence in full."""

from __future__ import annotations

import warnings
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events

from integrations.ics import expand_feed, read_events
from integrations.ics.normalise import calendar_zone, normalise_in_zone, parse_calendars
from service.domain.model import Meeting
from service.domain.port import SyncWindow
from tests.integrations.ics.icsdata import OWNER, REALWORLD_DIR

FILES = sorted(REALWORLD_DIR.glob("*.ics"))
WINDOW = SyncWindow(datetime(2019, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))


def shape(meeting: Meeting) -> tuple[object, ...]:
    return (
        meeting.uid,
        meeting.start,
        meeting.end,
        meeting.title,
        meeting.attendees,
        meeting.organizer,
        meeting.status,
        meeting.links,
        meeting.location,
        meeting.transparent,
        meeting.all_day,
        meeting.event_type,
        meeting.conference,
    )


def full_reading(data: bytes) -> Counter[tuple[object, ...]]:
    found: Counter[tuple[object, ...]] = Counter()
    for cal in parse_calendars(data):
        tz = calendar_zone(cal, ZoneInfo("UTC"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            occurrences = recurring_ical_events.of(cal).between(WINDOW.start, WINDOW.end)
        for occurrence in occurrences:
            item = normalise_in_zone(occurrence, OWNER, tz, series=None)
            if isinstance(item, Meeting) and item.start < WINDOW.end:
                found[shape(item)] += 1
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_expand_feed_matches_full_reading(path: Path) -> None:
    data = path.read_bytes()
    feed = expand_feed(data, OWNER, WINDOW)
    if feed.skipped:
        # Broken series are reported instead; the whole-calendar reference cannot run.
        assert all(s.reason for s in feed.skipped)
        return
    try:
        reference = full_reading(data)
    except (AttributeError, TypeError, ValueError):
        # The library alone cannot read it (a repeated DTSTART); we repair and read it.
        assert all(isinstance(item, Meeting) for item in read_events(data, OWNER))
        return
    assert Counter(shape(m) for m in feed.meetings) == reference
