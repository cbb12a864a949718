"""expand_feed against hostile calendars: runaway and never-matching rules, too many series,
attendees, time zones or RDATEs. Each keeps the ordinary meetings, says what it left out,
and stays within time and memory (the costly ones run in a fresh interpreter, measured)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from integrations.ics import FeedBudget, expand_feed
from integrations.ics.expand import ParsedFeed
from service.domain.port import SyncWindow
from tests.integrations.ics import attacks
from tests.integrations.ics.attacks import REAL_UIDS
from tests.integrations.ics.icsdata import OWNER, calendar, vevent
from tests.integrations.ics.measure import run_measured

WINDOW = SyncWindow(datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
PEAK_LIMIT_MB = 150
SECONDS_LIMIT = 20.0


def real_kept(feed: ParsedFeed) -> None:
    uids = {m.uid for m in feed.meetings}
    assert uids >= REAL_UIDS
    assert sum(m.uid == "real-2" for m in feed.meetings) == 4


def reasons(feed: ParsedFeed) -> dict[str | None, str]:
    return {s.source_id: s.reason for s in feed.skipped}


@pytest.mark.parametrize(
    ("builder", "expected"),
    [
        ("runaway_secondly()", "runaway"),
        ("never_matching(20)", None),
        ("never_matching(3, 'HOURLY')", None),
        ("many_series(5000)", None),
        ("many_attendees(20000)", None),
        ("many_vtimezones(3000)", None),
        ("secondly_vtimezone()", None),
        ("rdate_flood(20000)", "rdates"),
    ],
)
def test_expand_feed_attack_bounded_in_time_and_memory(builder: str, expected: str | None) -> None:
    measured = run_measured(
        f"""
        from datetime import UTC, datetime
        from integrations.ics import expand_feed
        from service.domain.port import SyncWindow
        from tests.integrations.ics import attacks

        async def main():
            window = SyncWindow(datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
            feed = expand_feed(attacks.{builder}, "owner@example.com", window)
            uids = {{m.uid for m in feed.meetings}}
            assert uids >= attacks.REAL_UIDS, "ordinary meetings lost"
            return (len(feed.meetings), sorted({{s.source_id for s in feed.skipped}})[:3])
        """,
        timeout_s=60,
    )
    assert measured.outcome == "ok", measured
    assert measured.peak_mb < PEAK_LIMIT_MB, measured
    assert measured.cpu_s < SECONDS_LIMIT, measured
    if expected is not None:
        assert repr(expected) in measured.message


def test_expand_feed_fine_rules_with_filters_skipped_with_reason() -> None:
    feed = expand_feed(attacks.fine_with_filters(), OWNER, WINDOW)
    real_kept(feed)
    found = reasons(feed)
    assert "finer than hourly" in found["s"]
    assert "finer than hourly" in found["m"]


def test_expand_feed_secondly_without_filters_bounded_by_count() -> None:
    feed = expand_feed(
        attacks.runaway_secondly(), OWNER, WINDOW, budget=FeedBudget(max_instances_per_series=100)
    )
    real_kept(feed)
    assert sum(m.uid == "runaway" for m in feed.meetings) == 100
    assert "more than 100" in reasons(feed)["runaway"]
    assert any("runaway" in w or "series" in w for w in feed.warnings)


def test_expand_feed_rule_walking_too_far_to_the_window_skipped() -> None:
    data = calendar(
        vevent("DTSTART:19000101T000000Z", "RRULE:FREQ=HOURLY;BYHOUR=9", uid="far"),
        vevent("DTSTART:00010101T000000Z", "RRULE:FREQ=MINUTELY", uid="older"),
        *attacks.real(),
    )
    began = time.perf_counter()
    feed = expand_feed(data, OWNER, WINDOW)
    assert time.perf_counter() - began < SECONDS_LIMIT
    real_kept(feed)
    found = reasons(feed)
    assert "steps" in found["far"]
    assert "steps" in found["older"]


def test_expand_feed_never_matching_rule_leaves_its_start() -> None:
    # 30 February never comes: the engine would search until the year 9999 (UNTIL does not
    # stop it). The rule is dropped; the series is its start alone, as the engine would say.
    data = calendar(
        vevent("DTSTART:20240101T090000Z", "RRULE:FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30", uid="n"),
        *attacks.real(),
    )
    began = time.perf_counter()
    feed = expand_feed(data, OWNER, WINDOW)
    assert time.perf_counter() - began < 2.0
    real_kept(feed)
    (never,) = [m for m in feed.meetings if m.uid == "n"]
    assert never.start == datetime(2024, 1, 1, 9, tzinfo=UTC)
    assert never.series_id == "n"


def test_expand_feed_never_matching_rule_with_count_bounded() -> None:
    data = calendar(
        vevent("DTSTART:20240101T000000Z", "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=5"),
        *attacks.real(),
    )
    began = time.perf_counter()
    feed = expand_feed(data, OWNER, WINDOW)
    assert time.perf_counter() - began < 2.0
    real_kept(feed)


def test_expand_feed_feed_instance_budget_keeps_small_series_whole() -> None:
    data = calendar(
        *attacks.real(),
        vevent("DTSTART:20240101T000000Z", "RRULE:FREQ=MINUTELY", uid="minutely"),
        vevent("DTSTART:20240101T090000Z", "RRULE:FREQ=DAILY", uid="daily"),
    )
    feed = expand_feed(data, OWNER, WINDOW, budget=FeedBudget(max_instances_per_feed=300))
    real_kept(feed)
    counts = {uid: sum(m.uid == uid for m in feed.meetings) for uid in ("minutely", "daily")}
    assert len(feed.meetings) == 300
    assert counts["minutely"] == counts["daily"] or abs(counts["minutely"] - counts["daily"]) == 1
    minutely = sorted(m.start for m in feed.meetings if m.uid == "minutely")
    assert minutely[0] == datetime(2024, 1, 1, tzinfo=UTC)  # earliest instances kept
    assert any("300" in w and "instances" in w for w in feed.warnings)


def test_expand_feed_feed_budget_deterministic() -> None:
    data = attacks.many_series(300)
    budget = FeedBudget(max_instances_per_feed=1000, max_series_per_feed=100)
    first = expand_feed(data, OWNER, WINDOW, budget=budget)
    second = expand_feed(data, OWNER, WINDOW, budget=budget)
    assert first.meetings == second.meetings
    assert first.warnings == second.warnings
    assert len(first.meetings) <= 1000
    assert len({m.uid for m in first.meetings if m.series_id}) <= 100
    assert any("series" in w for w in first.warnings)


def test_expand_feed_many_attendees_cut_keeping_organizer_and_owner() -> None:
    feed = expand_feed(attacks.many_attendees(2000, days=30), OWNER, WINDOW)
    crowd = [m for m in feed.meetings if m.uid == "crowd"]
    assert len(crowd) == 30
    for meeting in crowd:
        assert meeting.attendees is not None
        assert len(meeting.attendees) == 500
        emails = {a.email for a in meeting.attendees}
        assert {"boss@example.org", OWNER} <= emails
    assert any("attendee" in w for w in feed.warnings)


def test_expand_feed_attendance_budget_cuts_instances() -> None:
    budget = FeedBudget(max_attendances_per_feed=10_000)
    feed = expand_feed(attacks.many_attendees(2000, days=100), OWNER, WINDOW, budget=budget)
    real_kept(feed)
    rows = sum(len(m.attendees or ()) for m in feed.meetings)
    assert rows <= 10_000
    assert sum(m.uid == "crowd" for m in feed.meetings) >= 10
    assert any("attend" in w for w in feed.warnings)


def test_expand_feed_long_title_cut() -> None:
    feed = expand_feed(attacks.long_title(100_000), OWNER, WINDOW)
    (meeting,) = feed.meetings
    assert meeting.title == "A" * 500
    assert any("title" in w for w in feed.warnings)


def test_expand_feed_within_budget_has_no_warnings() -> None:
    feed = expand_feed(calendar(*attacks.real()), OWNER, WINDOW)
    real_kept(feed)
    assert feed.warnings == []
    assert feed.skipped == []


def test_expand_feed_vtimezone_finer_than_yearly_dropped_with_warning() -> None:
    feed = expand_feed(attacks.secondly_vtimezone(), OWNER, WINDOW, "Europe/Berlin")
    real_kept(feed)
    (fast,) = [m for m in feed.meetings if m.uid == "fast-zone"]
    assert fast.start == datetime(2024, 3, 1, 9, tzinfo=UTC)  # read in the default zone
    assert any("Custom/Fast" in w for w in feed.warnings)


def test_expand_feed_too_many_vtimezones_capped() -> None:
    feed = expand_feed(attacks.many_vtimezones(80), OWNER, WINDOW)
    real_kept(feed)
    assert sum(m.uid.startswith("z") for m in feed.meetings) == 80
    assert any("time zone" in w for w in feed.warnings)


def test_expand_feed_too_many_events_capped() -> None:
    events = [vevent(f"DTSTART:20240301T{i % 24:02d}0000Z", uid=f"e{i}") for i in range(60)]
    feed = expand_feed(
        calendar(*attacks.real(), *events), OWNER, WINDOW, budget=FeedBudget(max_events_per_feed=50)
    )
    real_kept(feed)
    assert len({m.uid for m in feed.meetings}) == 50
    assert any("events" in w for w in feed.warnings)


def test_expand_feed_rdate_flood_skipped_with_reason() -> None:
    budget = FeedBudget(max_instances_per_series=100)
    feed = expand_feed(attacks.rdate_flood(500), OWNER, WINDOW, budget=budget)
    real_kept(feed)
    assert "RDATE" in reasons(feed)["rdates"]


def test_expand_feed_past_deadline_returns_what_it_has() -> None:
    feed = expand_feed(calendar(*attacks.real()), OWNER, WINDOW, deadline=time.monotonic())
    assert feed.meetings == []
    assert {s.source_id for s in feed.skipped} == REAL_UIDS
    assert all("time" in s.reason for s in feed.skipped)
    assert any("time" in w for w in feed.warnings)


def test_expand_feed_slow_series_interrupted_rest_kept() -> None:
    # A per-series time limit interrupts one series (here: a daily series from the year 1,
    # allowed 10 million steps, walks 740,000 days) and the feed goes on. Signals: only in
    # a fresh interpreter.
    measured = run_measured(
        """
        from datetime import UTC, datetime
        from integrations.ics import FeedBudget, expand_feed
        from service.domain.port import SyncWindow
        from tests.integrations.ics import attacks
        from tests.integrations.ics.icsdata import calendar, vevent

        async def main():
            window = SyncWindow(datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
            slow = vevent("DTSTART:00010101T000000Z", "RRULE:FREQ=DAILY", uid="slow")
            budget = FeedBudget(max_seconds_per_series=0.05, max_rule_steps=10_000_000)
            feed = expand_feed(calendar(slow, *attacks.real()), "owner@example.com", window,
                               budget=budget, interruptible=True)
            assert {m.uid for m in feed.meetings} >= attacks.REAL_UIDS
            return [s.reason for s in feed.skipped if s.source_id == "slow"]
        """,
        timeout_s=60,
    )
    assert measured.outcome == "ok", measured
    assert "longer than" in measured.message
