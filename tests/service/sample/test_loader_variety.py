"""The sample has the promised variety: zones, opt-outs, rooms, bridges, nudge kinds, lapses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest

from scripts.samplegen.catalog import LAPSED_PAIRS, NOT_LAPSED_PAIRS
from service.sample import SampleOrganisation, load_sample
from tests.service.sample.instances import Instance, lapsed_pairs, merged

ANCHOR_NOW = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
# Working days after "now": the rest of the anchor week and all of the next.
WORKING_DAYS = (0, 1, 2, 3, 4, 7, 8, 9, 10, 11)


@cache
def _sample() -> SampleOrganisation:
    return load_sample(ANCHOR_NOW)


@cache
def _instances() -> tuple[Instance, ...]:
    sample = _sample()
    feeds = [sample.feed(person.email) for person in sample.people]
    window = (ANCHOR_NOW - timedelta(days=90), ANCHOR_NOW + timedelta(days=14))
    return tuple(merged(feeds, *window))


def _text() -> str:
    sample = _sample()
    text = "\n".join(sample.feed(p.email).decode() for p in sample.people)
    return text.replace("\r\n ", "")  # unfold long lines


def _triggers(day: int) -> dict[str, list[str]]:
    """Naive trigger check per nudge kind for meetings starting on a London day after now."""
    wanted = (ANCHOR_NOW + timedelta(days=day)).date()
    london = ZoneInfo("Europe/London")
    todays = [
        item
        for item in _instances()
        if item.start >= ANCHOR_NOW
        and item.start.astimezone(london).date() == wanted
        and item.is_meeting
        and not item.excluded
    ]
    return {
        "camera_on": [
            item.title
            for item in todays
            if item.video
            and any(p.partstat == "ACCEPTED" and p.email != item.organizer for p in item.parties)
        ],
        "switch_to_video": [item.title for item in todays if item.audio],
        "social_minute": [
            item.title
            for item in todays
            if item.recurring and 3 <= len(item.humans) <= 15 and (item.video or item.in_person)
        ],
        "one_on_one": [item.title for item in todays if len(item.humans) == 2],
    }


def test_load_sample_three_time_zones_and_teams() -> None:
    sample = _sample()
    assert sample.tenant_slug == "northwind"
    assert sample.tenant_name == "Northwind Studio"
    assert sample.internal_domains == ("northwind.example",)
    assert 10 <= len(sample.people) <= 14
    assert len({person.timezone for person in sample.people}) >= 3
    assert {person.team for person in sample.people} == {"design", "engineering", "ops"}


def test_load_sample_opted_out_people() -> None:
    people = _sample().people
    assert 1 <= sum(person.opted_out for person in people) <= 2
    assert [person.opted_out_kinds for person in people if person.opted_out_kinds] == [
        ("camera_on",)
    ]


def test_read_feeds_rooms_bridges_and_providers_present() -> None:
    text = _text()
    for marker in (
        "CUTYPE=ROOM",
        "CUTYPE=RESOURCE",
        "CUTYPE=GROUP",
        "ROLE=OPT-PARTICIPANT",
        "PARTSTAT=DECLINED",
        "PARTSTAT=TENTATIVE",
        "PARTSTAT=NEEDS-ACTION",
        "tel:",
        "Dial-in: +1 555 0100",
        "zoom.us/j/",
        "Join with Google Meet: https://meet.google.com/",
        "X-GOOGLE-CONFERENCE",
        "Microsoft Teams meeting",
        "X-MICROSOFT-SKYPETEAMSMEETINGURL",
        "webex.com",
        "12 Exmouth Market\\, London EC1R 4QE",
        "TRANSP:TRANSPARENT",
        "X-MICROSOFT-CDO-BUSYSTATUS:OOF",
        "STATUS:CANCELLED",
        "RECURRENCE-ID",
        "EXDATE",
        "RDATE",
        "UNTIL=",
        "@acme-logistics.example",
        'Q1 plan <b>&</b> "budget"',
    ):
        assert marker in text, marker


def test_expand_sample_interview_and_external_meetings_excluded() -> None:
    excluded = {item.title for item in _instances() if item.is_meeting and item.excluded}
    assert any("Interview" in title for title in excluded)
    assert any("Acme" in title for title in excluded)


@pytest.mark.parametrize("day", WORKING_DAYS)
def test_expand_sample_every_nudge_kind_triggered_each_working_day(day: int) -> None:
    found = _triggers(day)
    assert all(found.values()), {kind: titles for kind, titles in found.items() if not titles}


def test_expand_sample_hybrid_meeting_present() -> None:
    hybrid = [
        item
        for item in _instances()
        if item.video and any(p.cutype == "ROOM" for p in item.parties) and item.recurring
    ]
    assert hybrid


def test_expand_sample_meetings_inside_everyones_working_hours() -> None:
    zones = {person.email: ZoneInfo(person.timezone) for person in _sample().people}
    outside = []
    for item in _instances():
        if not item.is_meeting:
            continue
        for email in item.attending:
            start, end = item.start.astimezone(zones[email]), item.end.astimezone(zones[email])
            if start.weekday() > 4 or start.hour < 8 or (end.hour, end.minute) > (18, 30):
                outside.append((item.title, email, start.isoformat()))
    assert outside == []


def test_compute_lapsed_pairs_naively_from_feeds() -> None:
    lapsed = lapsed_pairs(_instances(), ANCHOR_NOW)
    assert len(lapsed) >= 4
    assert set(LAPSED_PAIRS) <= lapsed
    assert not set(NOT_LAPSED_PAIRS) & lapsed


def test_compute_lapsed_pairs_later_in_week_still_lapsed() -> None:
    sample = load_sample(datetime(2026, 5, 14, 15, 0, tzinfo=UTC))
    feeds = [sample.feed(person.email) for person in sample.people]
    now = datetime(2026, 5, 14, 15, 0, tzinfo=UTC)
    instances = merged(feeds, now - timedelta(days=90), now + timedelta(days=14))
    assert set(LAPSED_PAIRS) <= lapsed_pairs(instances, now)
