"""expand_feed: recurrences expanded inside the sync window, bad series skipped with a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from integrations.ics import FeedBudget, expand_feed
from service.domain.model import EventStatus
from service.domain.port import SyncWindow
from tests.integrations.ics.icsdata import OWNER, calendar, vevent

WINDOW = SyncWindow(datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))


def starts(data: bytes, window: SyncWindow = WINDOW, default_tz: str = "UTC") -> list[datetime]:
    feed = expand_feed(data, OWNER, window, default_tz)
    assert feed.skipped == []
    return sorted(m.start for m in feed.meetings)


def test_expand_feed_rrule_count() -> None:
    data = calendar(
        vevent(
            "DTSTART:20240101T090000Z",
            "DTEND:20240101T093000Z",
            "RRULE:FREQ=DAILY;COUNT=3",
            uid="daily",
        )
    )
    feed = expand_feed(data, OWNER, WINDOW)
    assert [m.start.day for m in feed.meetings] == [1, 2, 3]
    assert all(m.series_id == "daily" and m.recurring for m in feed.meetings)
    assert all(m.original_start == m.start for m in feed.meetings)
    assert all(m.duration == timedelta(minutes=30) for m in feed.meetings)


def test_expand_feed_only_window_occurrences() -> None:
    data = calendar(vevent("DTSTART:20231201T090000Z", "RRULE:FREQ=WEEKLY", uid="weekly"))
    window = SyncWindow(datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 3, 29, tzinfo=UTC))
    found = starts(data, window)
    assert found == [datetime(2024, 3, d, 9, tzinfo=UTC) for d in (1, 8, 15, 22)]


def test_expand_feed_exdate_removes_instance() -> None:
    data = calendar(
        vevent(
            "DTSTART:20240101T090000Z",
            "RRULE:FREQ=DAILY;COUNT=4",
            "EXDATE:20240102T090000Z,20240104T090000Z",
        )
    )
    assert [s.day for s in starts(data)] == [1, 3]


def test_expand_feed_override_moves_instance() -> None:
    data = calendar(
        vevent(
            "DTSTART;TZID=Europe/Berlin:20240108T100000",
            "DTEND;TZID=Europe/Berlin:20240108T110000",
            "RRULE:FREQ=WEEKLY;COUNT=3",
            "SUMMARY:Team",
            uid="team",
        ),
        vevent(
            "RECURRENCE-ID;TZID=Europe/Berlin:20240115T100000",
            "DTSTART;TZID=Europe/Berlin:20240116T140000",
            "DTEND;TZID=Europe/Berlin:20240116T150000",
            "SUMMARY:Team (moved)",
            uid="team",
        ),
    )
    feed = expand_feed(data, OWNER, WINDOW)
    by_original = {m.original_start: m for m in feed.meetings}
    assert len(feed.meetings) == 3
    moved = by_original[datetime(2024, 1, 15, 9, tzinfo=UTC)]
    assert moved.start == datetime(2024, 1, 16, 13, tzinfo=UTC)
    assert moved.title == "Team (moved)"
    assert moved.series_id == "team"


def test_expand_feed_cancelled_instance_kept_as_cancelled() -> None:
    data = calendar(
        vevent("DTSTART:20240101T090000Z", "RRULE:FREQ=DAILY;COUNT=3", uid="s"),
        vevent(
            "RECURRENCE-ID:20240102T090000Z",
            "DTSTART:20240102T090000Z",
            "STATUS:CANCELLED",
            uid="s",
        ),
    )
    feed = expand_feed(data, OWNER, WINDOW)
    statuses = {m.start.day: m.status for m in feed.meetings}
    assert statuses == {
        1: EventStatus.CONFIRMED,
        2: EventStatus.CANCELLED,
        3: EventStatus.CONFIRMED,
    }


def test_expand_feed_x_wr_timezone_keeps_local_time_across_dst() -> None:
    # Google writes UTC times and the calendar's zone in X-WR-TIMEZONE: 09:00 New York
    # stays 09:00 local after the March DST change (13:00 UTC instead of 14:00).
    data = calendar(
        vevent("DTSTART:20240305T140000Z", "DTEND:20240305T150000Z", "RRULE:FREQ=WEEKLY;COUNT=2"),
        header=("X-WR-TIMEZONE:America/New_York",),
    )
    assert starts(data) == [
        datetime(2024, 3, 5, 14, tzinfo=UTC),
        datetime(2024, 3, 12, 13, tzinfo=UTC),
    ]


def test_expand_feed_dst_change_keeps_local_wall_time() -> None:
    data = calendar(
        vevent(
            "DTSTART;TZID=Europe/Berlin:20240325T090000",
            "DTEND;TZID=Europe/Berlin:20240325T100000",
            "RRULE:FREQ=WEEKLY;COUNT=2",
            uid="cet",
        )
    )
    # Berlin moves to summer time on 31 March 2024: 09:00 CET, then 09:00 CEST.
    assert starts(data) == [
        datetime(2024, 3, 25, 8, tzinfo=UTC),
        datetime(2024, 4, 1, 7, tzinfo=UTC),
    ]


def test_expand_feed_windows_tzid_series() -> None:
    data = calendar(
        vevent(
            "DTSTART;TZID=Pacific Standard Time:20241028T090000",
            "DTEND;TZID=Pacific Standard Time:20241028T093000",
            "RRULE:FREQ=WEEKLY;COUNT=2",
        )
    )
    # US DST ends on 3 November 2024: 09:00 PDT then 09:00 PST.
    assert starts(data) == [
        datetime(2024, 10, 28, 16, tzinfo=UTC),
        datetime(2024, 11, 4, 17, tzinfo=UTC),
    ]


def test_expand_feed_all_day_series_in_calendar_zone() -> None:
    data = calendar(vevent("DTSTART;VALUE=DATE:20240101", "RRULE:FREQ=YEARLY;COUNT=2"))
    window = SyncWindow(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC))
    feed = expand_feed(data, OWNER, window, "Europe/Berlin")
    assert [(m.all_day, m.start) for m in feed.meetings] == [
        (True, datetime(2023, 12, 31, 23, tzinfo=UTC))
    ]


def test_expand_feed_rdate_adds_instance() -> None:
    data = calendar(vevent("DTSTART:20240101T090000Z", "RDATE:20240110T120000Z"))
    assert starts(data) == [
        datetime(2024, 1, 1, 9, tzinfo=UTC),
        datetime(2024, 1, 10, 12, tzinfo=UTC),
    ]


def test_expand_feed_single_events_not_series() -> None:
    feed = expand_feed(calendar(vevent("DTSTART:20240101T090000Z")), OWNER, WINDOW)
    assert [m.series_id for m in feed.meetings] == [None]


def test_expand_feed_broken_series_skipped_rest_loads() -> None:
    data = calendar(
        vevent("DTSTART:20240101T090000Z", uid="good"),
        vevent("DTSTART:20240101T090000Z", "RRULE:FREQ=SOMETIMES", uid="bad-rule"),
        vevent("DTSTART:nonsense", uid="bad-start"),
        vevent("DTSTART:20240105T090000Z", "DTEND:20240105T080000Z", uid="backwards"),
        vevent("DTSTART:20240102T090000Z", "RRULE:FREQ=DAILY;COUNT=2", uid="good-series"),
    )
    feed = expand_feed(data, OWNER, WINDOW)
    assert sorted(m.uid for m in feed.meetings) == ["good", "good-series", "good-series"]
    reasons = {s.source_id: s.reason for s in feed.skipped}
    assert set(reasons) == {"bad-rule", "bad-start", "backwards"}
    assert "RRULE" in reasons["bad-rule"]
    assert "DTSTART" in reasons["bad-start"]
    assert "ends before it starts" in reasons["backwards"]


def test_expand_feed_unexpandable_series_skipped_with_reason() -> None:
    # Seen in the wild: an RDATE holding a bare time, which the recurrence engine cannot mix.
    data = calendar(
        vevent("DTSTART:20240302T000000Z", "RDATE;VALUE=TIME:133000Z", uid="t"),
        vevent("DTSTART:20240101T090000Z", uid="fine"),
    )
    feed = expand_feed(data, OWNER, WINDOW)
    assert [m.uid for m in feed.meetings] == ["fine"]
    assert [s.source_id for s in feed.skipped] == ["t"]
    assert "cannot be expanded" in feed.skipped[0].reason


def test_expand_feed_broken_override_skipped_series_loads() -> None:
    data = calendar(
        vevent("DTSTART:20240101T090000Z", "RRULE:FREQ=DAILY;COUNT=2", uid="s"),
        vevent(
            "RECURRENCE-ID:20240102T090000Z",
            "DTSTART:20240102T100000Z",
            "DTEND:20240102T090000Z",
            uid="s",
        ),
    )
    feed = expand_feed(data, OWNER, WINDOW)
    assert len(feed.meetings) == 2
    assert [s.source_id for s in feed.skipped] == ["s"]


def test_expand_feed_runaway_series_capped_with_reason() -> None:
    data = calendar(vevent("DTSTART:20240101T000000Z", "RRULE:FREQ=MINUTELY", uid="runaway"))
    feed = expand_feed(data, OWNER, WINDOW, budget=FeedBudget(max_instances_per_series=50))
    assert len(feed.meetings) == 50
    assert [s.source_id for s in feed.skipped] == ["runaway"]
    assert "more than" in feed.skipped[0].reason


def test_expand_feed_duplicate_dtstart_uses_first() -> None:
    data = calendar(vevent("DTSTART:20240101T090000Z", "DTSTART:20240101T100000Z"))
    assert starts(data) == [datetime(2024, 1, 1, 9, tzinfo=UTC)]


def test_expand_feed_instances_carry_their_own_component_fields() -> None:
    data = calendar(
        vevent(
            "DTSTART:20240101T090000Z",
            "DURATION:PT30M",
            "RRULE:FREQ=DAILY;COUNT=3",
            "SUMMARY:Core",
            "X-GOOGLE-CONFERENCE:https://meet.google.com/aaa-bbbb-ccc",
            "ATTENDEE;PARTSTAT=ACCEPTED:mailto:owner@example.com",
            "ATTENDEE;PARTSTAT=ACCEPTED:mailto:peer@example.com",
            uid="s",
        ),
        vevent(
            "RECURRENCE-ID:20240102T090000Z",
            "DTSTART:20240102T100000Z",
            "DTEND:20240102T110000Z",
            "SUMMARY:Override",
            "LOCATION:Room 7",
            "ATTENDEE;PARTSTAT=DECLINED:mailto:owner@example.com",
            uid="s",
        ),
    )
    feed = expand_feed(data, OWNER, WINDOW)
    by_day = {m.instance_start.day: m for m in feed.meetings}
    assert sorted(by_day) == [1, 2, 3]
    core_like = by_day[3]
    assert core_like.title == "Core"
    assert core_like.links == ("https://meet.google.com/aaa-bbbb-ccc",)
    assert core_like.start == datetime(2024, 1, 3, 9, tzinfo=UTC)
    assert core_like.duration == timedelta(minutes=30)
    override = by_day[2]
    assert override.title == "Override"
    assert override.location == "Room 7"
    assert override.links == ()
    assert override.attendees is not None
    assert [a.email for a in override.attendees] == ["owner@example.com"]
    assert all(m.series_id == "s" for m in feed.meetings)


def test_expand_feed_this_and_future_instances_keep_unique_identity() -> None:
    data = calendar(
        vevent(
            "DTSTART:20240101T120000Z",
            "DTEND:20240101T130000Z",
            "RRULE:FREQ=DAILY;COUNT=6",
            uid="r",
        ),
        vevent(
            "RECURRENCE-ID;RANGE=THISANDFUTURE:20240103T120000Z",
            "DTSTART:20240103T150000Z",
            "DTEND:20240103T160000Z",
            "SUMMARY:Later",
            uid="r",
        ),
    )
    feed = expand_feed(data, OWNER, WINDOW)
    keys = [(m.uid, m.instance_start) for m in feed.meetings]
    assert len(feed.meetings) == 6
    assert len(set(keys)) == 6


def test_expand_feed_zero_interval_rule_skipped_not_hung() -> None:
    # dateutil never finishes FREQ=HOURLY;INTERVAL=0: refuse it before expanding.
    data = calendar(
        vevent("DTSTART:20240101T090000Z", "RRULE:FREQ=HOURLY;INTERVAL=0", uid="z"),
        vevent("DTSTART:20240101T090000Z", uid="fine"),
    )
    feed = expand_feed(data, OWNER, WINDOW)
    assert [m.uid for m in feed.meetings] == ["fine"]
    assert [s.source_id for s in feed.skipped] == ["z"]
    assert "INTERVAL" in feed.skipped[0].reason
