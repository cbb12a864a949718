"""Every shared real-world calendar loads through read_events and expand_feed; spot checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from integrations.ics import expand_feed, read_events
from service.domain.model import Attendee, EventStatus, Meeting
from service.domain.port import SkippedEvent, SyncWindow
from tests.integrations.ics.icsdata import OWNER, REALWORLD_DIR

FILES = sorted(REALWORLD_DIR.glob("*.ics"))
WIDE = SyncWindow(datetime(2000, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC))


def check_meeting(meeting: Meeting) -> None:
    assert meeting.uid
    assert meeting.owner == OWNER
    for moment in (meeting.start, meeting.end, meeting.instance_start):
        assert moment.utcoffset() == timedelta(0)
    assert meeting.end >= meeting.start
    assert isinstance(meeting.title, str)
    if meeting.attendees is not None:
        assert all(isinstance(a, Attendee) for a in meeting.attendees)
        assert sum(a.is_owner for a in meeting.attendees) <= 1


def test_find_realworld_calendars_present() -> None:
    assert len(FILES) >= 40, f"expected the shared calendars in {REALWORLD_DIR}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_read_events_realworld_calendar_loads(path: Path) -> None:
    items = list(read_events(path.read_bytes(), OWNER))
    assert items
    for item in items:
        if isinstance(item, Meeting):
            check_meeting(item)
        else:
            assert isinstance(item, SkippedEvent)
            assert item.reason


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_expand_feed_realworld_calendar_loads(path: Path) -> None:
    feed = expand_feed(path.read_bytes(), OWNER, WIDE)
    for meeting in feed.meetings:
        check_meeting(meeting)
        assert meeting.end >= WIDE.start
        assert meeting.start <= WIDE.end
    assert all(s.reason for s in feed.skipped)
    keys = [(m.uid, m.instance_start) for m in feed.meetings]
    assert len(keys) == len(set(keys)), "an instance came out twice"


def load(name: str, window: SyncWindow = WIDE) -> list[Meeting]:
    feed = expand_feed((REALWORLD_DIR / name).read_bytes(), OWNER, window)
    assert feed.skipped == []
    return sorted(feed.meetings, key=lambda m: m.start)


def test_expand_feed_realworld_windows_tzid_exchange() -> None:
    (meeting,) = load("icalendar__issue_836_do_not_quote_tzid.ics")
    assert meeting.start == datetime(2024, 10, 28, 21, tzinfo=UTC)  # 17:00 EDT


def test_expand_feed_realworld_cancelled_instance_thunderbird() -> None:
    meetings = load("rie__issue_18_cancel_status.ics")
    assert [(m.start, m.status) for m in meetings] == [
        (datetime(2020, 1, 28, 21, tzinfo=UTC), EventStatus.CONFIRMED),
        (datetime(2020, 1, 29, 21, tzinfo=UTC), EventStatus.CANCELLED),
        (datetime(2020, 1, 30, 21, tzinfo=UTC), EventStatus.CONFIRMED),
    ]
    assert {m.series_id for m in meetings} == {"b65c2b5b-b785-4edc-9560-e0379036d1f2"}


def test_expand_feed_realworld_moved_instance_google() -> None:
    window = SyncWindow(datetime(2021, 11, 1, tzinfo=UTC), datetime(2022, 1, 15, tzinfo=UTC))
    meetings = load("rie__issue_62_moved_event.ics", window)
    moved = [m for m in meetings if m.instance_start == datetime(2021, 12, 31, 20, 30, tzinfo=UTC)]
    assert [m.start for m in moved] == [datetime(2021, 12, 17, 20, 30, tzinfo=UTC)]
    assert all(m.transparent for m in meetings)
    assert datetime(2021, 12, 31, 20, 30, tzinfo=UTC) not in {m.start for m in meetings}


def test_expand_feed_realworld_exdate_davx5() -> None:
    window = SyncWindow(datetime(2019, 10, 1, tzinfo=UTC), datetime(2020, 3, 1, tzinfo=UTC))
    meetings = load("rie__issue_20_exdate_ignored.ics", window)
    excluded = {
        datetime(2019, 10, 15, 14, 15, tzinfo=UTC),
        datetime(2019, 12, 31, 15, 15, tzinfo=UTC),
    }
    assert not excluded & {m.start for m in meetings}
    # 16 Tuesdays from 15 Oct 2019 until 4 Feb 2020 (UNTIL excludes that day), 9 excluded.
    assert len(meetings) == 7


def test_expand_feed_realworld_x_wr_timezone_dst() -> None:
    window = SyncWindow(datetime(2024, 3, 25, tzinfo=UTC), datetime(2024, 4, 3, tzinfo=UTC))
    meetings = load("icalendar__x_location.ics", window)
    hours = {m.start.date().isoformat(): m.start.hour for m in meetings}
    # 14:00 Zurich: 13:00 UTC before the 31 March 2024 change, 12:00 UTC after it.
    assert hours["2024-03-25"] == 13
    assert hours["2024-04-02"] == 12
