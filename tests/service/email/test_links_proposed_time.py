"""A catch-up link proposes a time inside both people's working hours, in their own zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from service.domain.policy import WorkingHours
from service.email import lapsed_contact
from service.email.links import Availability, catch_up_start

NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # a Tuesday
OFFICE = WorkingHours()  # 08:00-18:00, Monday to Friday


def _inside(start: datetime, minutes: int, who: Availability) -> bool:
    zone = ZoneInfo(who.timezone)
    begin, end = start.astimezone(zone), (start + timedelta(minutes=minutes)).astimezone(zone)
    hours = who.hours
    return (
        begin.isoweekday() in hours.days
        and begin.date() == end.date()
        and hours.start_time <= begin.time()
        and end.time() <= hours.end_time
    )


@pytest.mark.parametrize(
    ("mine", "theirs"),
    [
        (Availability("Europe/London", OFFICE), Availability("Europe/London", OFFICE)),
        (Availability("America/New_York", OFFICE), Availability("Europe/London", OFFICE)),
        (
            Availability("Asia/Kolkata", OFFICE),
            Availability("Europe/London", WorkingHours(start="10:00", end="15:00")),
        ),
        (
            Availability("Europe/London", WorkingHours(days=(6, 7))),
            Availability("Europe/Berlin", WorkingHours(days=(1, 7))),
        ),
    ],
)
def test_propose_catch_up_inside_both_working_hours(
    mine: Availability, theirs: Availability
) -> None:
    start = catch_up_start(NOW, mine, theirs, 30)
    assert start is not None
    assert start > NOW + timedelta(hours=12)
    assert start.minute in (0, 30)
    assert _inside(start, 30, mine)
    assert _inside(start, 30, theirs)


def test_propose_catch_up_no_overlap_is_none() -> None:
    india = Availability("Asia/Kolkata", WorkingHours(start="09:00", end="17:00"))
    west = Availability("America/Los_Angeles", WorkingHours(start="09:00", end="17:00"))
    assert catch_up_start(NOW, india, west, 30) is None


def test_build_lapsed_contact_links_carry_the_proposed_time() -> None:
    start = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    contact = lapsed_contact(
        contact_email="ben@example.com",
        contact_name="Ben",
        last_met=NOW.date(),
        cadence_days=7.0,
        days_since=20,
        start=start,
    )
    google = parse_qs(urlsplit(contact.schedule_google_url).query)
    outlook = parse_qs(urlsplit(contact.schedule_outlook_url).query)
    assert google["dates"] == ["20261125T130000Z/20261125T133000Z"]
    assert google["add"] == ["ben@example.com"]
    assert outlook["startdt"] == ["2026-11-25T13:00:00+00:00"]
