"""Moving the sample to the run's week keeps weekdays, local times and series intact."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from service.sample import SampleOrganisation, load_sample
from service.sample.shift import shift_calendar, week_shift
from tests.service.sample.instances import Instance, expand

ANCHOR_NOW = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
# Late March 2026: New York is on summer time (since 8 March), London changes on 29 March.
# Late October 2026: London is back on GMT (25 October), New York changes on 1 November.
DST_NOWS = (
    datetime(2026, 3, 26, 12, 0, tzinfo=UTC),
    datetime(2026, 10, 29, 12, 0, tzinfo=UTC),
    datetime(2025, 6, 18, 12, 0, tzinfo=UTC),
)
FEED = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:series@test\r
DTSTAMP:20260105T060000Z\r
DTSTART;TZID=America/New_York:20260105T090000\r
DTEND;TZID=America/New_York:20260105T093000\r
RRULE:FREQ=DAILY;UNTIL=20260109T140000Z\r
EXDATE:20260106T140000Z\r
RDATE;VALUE=PERIOD:20260110T140000Z/20260110T143000Z\r
SUMMARY:Series\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:series@test\r
DTSTAMP:20260105T060000Z\r
RECURRENCE-ID:20260107T140000Z\r
DTSTART;TZID=America/New_York:20260107T110000\r
DTEND;TZID=America/New_York:20260107T113000\r
SUMMARY:Series (moved)\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:allday@test\r
DTSTAMP:20260105T060000Z\r
DTSTART;VALUE=DATE:20260108\r
DTEND;VALUE=DATE:20260110\r
SUMMARY:Away\r
END:VEVENT\r
END:VCALENDAR\r
"""


def _wall(value: datetime) -> tuple[str, datetime]:
    return (str(getattr(value.tzinfo, "key", value.tzinfo)), value.replace(tzinfo=None))


def _signature(instances: list[Instance], by: timedelta) -> list[tuple[object, ...]]:
    return sorted(
        (item.uid, item.title, item.status, *_wall(item.start + by if item.all_day else item.start))
        for item in instances
    )


def _moved(instances: list[Instance], by: timedelta) -> list[tuple[object, ...]]:
    return sorted(
        (item.uid, item.title, item.status, _wall(item.start)[0], _wall(item.start)[1] + by)
        for item in instances
    )


def _ny(item: Instance) -> tuple[str, datetime]:
    start = item.start if item.all_day else item.start.astimezone(ZoneInfo("America/New_York"))
    return (item.title, start.replace(tzinfo=None))


def test_compute_week_shift_zero_in_anchor_week() -> None:
    for hours in (-7, 0, 24 * 3, 24 * 6 + 16):
        assert week_shift(ANCHOR_NOW + timedelta(hours=hours), ANCHOR_NOW) == timedelta(0)
    assert load_sample(ANCHOR_NOW).shift == timedelta(0)


def test_compute_week_shift_whole_weeks() -> None:
    assert week_shift(datetime(2026, 1, 12, 0, 0, tzinfo=UTC), ANCHOR_NOW) == timedelta(weeks=1)
    assert week_shift(datetime(2026, 1, 4, 23, 59, tzinfo=UTC), ANCHOR_NOW) == timedelta(weeks=-1)
    for now in DST_NOWS:
        shift = week_shift(now, ANCHOR_NOW)
        assert shift % timedelta(weeks=1) == timedelta(0)
        assert (
            (ANCHOR_NOW + shift).date() <= now.date() < (ANCHOR_NOW + shift).date() + timedelta(7)
        )


def test_compute_week_shift_naive_now_refused() -> None:
    with pytest.raises(ValueError, match="tz-aware"):
        week_shift(datetime(2026, 1, 5), ANCHOR_NOW)  # noqa: DTZ001


def test_load_sample_anchor_week_feeds_unchanged() -> None:
    sample = load_sample(ANCHOR_NOW + timedelta(days=2))
    person = sample.people[0]
    raw = Path(__file__).resolve().parents[3] / "service/sample/data/feeds" / person.feed_name
    assert sample.feed(person.email) == raw.read_bytes()
    assert sample.now == ANCHOR_NOW


@pytest.mark.parametrize("now", DST_NOWS)
def test_shift_sample_keeps_weekdays_and_local_times(now: datetime) -> None:
    original, shifted = load_sample(ANCHOR_NOW), load_sample(now)
    by = shifted.shift
    assert by != timedelta(0)
    start, end = ANCHOR_NOW - timedelta(days=35), ANCHOR_NOW + timedelta(days=35)
    for person in original.people:
        before = expand(original.feed(person.email), start, end)
        after = expand(shifted.feed(person.email), start + by, end + by)
        assert len(before) == len(after) > 0, person.email
        assert _moved(before, by) == _signature(after, timedelta(0)), person.email
        for item in after:
            assert item.start.weekday() == (item.start - by).weekday()


@pytest.mark.parametrize("now", DST_NOWS)
def test_shift_feed_moves_until_exdate_rdate_recurrence_id(now: datetime) -> None:
    by = week_shift(now, ANCHOR_NOW)
    moved = shift_calendar(FEED, by)
    window = (date(2026, 1, 1), date(2026, 1, 20))
    before = expand(FEED, *window)
    after = expand(moved, window[0] + by, window[1] + by)
    # Instances given in UTC (the RDATE) belong to the series' zone: compare New York wall times.
    assert [(t, s.time()) for t, s in map(_ny, before)] == [
        (t, s.time()) for t, s in map(_ny, after)
    ]
    assert [_ny(i)[1] + by for i in before] == [_ny(i)[1] for i in after]
    titles = [item.title for item in after]
    assert titles.count("Series (moved)") == 1
    assert len(titles) == 6  # 5, 7 (moved), 8, 9, 10 (RDATE), and the all-day event


def test_shift_feed_stamps_move_as_instants() -> None:
    by = timedelta(weeks=12)
    event = icalendar.Calendar.from_ical(shift_calendar(FEED, by)).walk("VEVENT")[0]
    assert isinstance(event, icalendar.Event)
    stamp, start = event.DTSTAMP, event.start
    assert stamp == datetime(2026, 1, 5, 6, 0, tzinfo=UTC) + by
    assert isinstance(start, datetime)
    # 09:00 in New York before and after the change to summer time (8 March 2026).
    assert start == datetime(2026, 3, 30, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    assert start.utcoffset() == timedelta(hours=-4)


def test_shift_feed_part_day_refused() -> None:
    with pytest.raises(ValueError, match="whole number of days"):
        shift_calendar(FEED, timedelta(hours=1))


def test_load_sample_unknown_person_named_in_error() -> None:
    with pytest.raises(KeyError, match=r"nobody@northwind\.example"):
        load_sample(ANCHOR_NOW).feed("nobody@northwind.example")


def test_write_feeds_one_file_per_person(tmp_path: Path) -> None:
    sample: SampleOrganisation = load_sample(DST_NOWS[0])
    written = sample.write_feeds(tmp_path / "feeds")
    assert sorted(written) == sorted(person.email for person in sample.people)
    for email, path in written.items():
        assert path.read_bytes() == sample.feed(email)
    assert sample.person("Priya.Shah@northwind.example").timezone == "Europe/London"
