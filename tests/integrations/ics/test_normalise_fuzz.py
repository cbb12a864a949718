"""Hypothesis: any mix of sloppy VEVENT lines never crashes read_events or expand_feed."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.ics import FeedBudget, InvalidFeed, expand_feed, read_events
from service.domain.model import Meeting
from service.domain.port import SkippedEvent, SyncWindow
from tests.integrations.ics.icsdata import OWNER, calendar, vevent

WINDOW = SyncWindow(datetime(2023, 6, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC))

TIMES = st.sampled_from(
    [
        "20240301T120000Z",
        "20240301T120000",
        "20240301",
        "garbage",
        "",
        "20241303T250000Z",
        "99991231T235959Z",
        "00010101T000000",
        "20240310T023000",
    ]
)
TZIDS = st.sampled_from(
    [
        "",
        ";TZID=Europe/Berlin",
        ";TZID=W. Europe Standard Time",
        ";TZID=Nowhere/Land",
        ';TZID="(UTC-03:00) Brasília"',
        ";TZID=/mozilla.org/20070129_1/America/New_York",
        ";VALUE=DATE",
        ";VALUE=PERIOD",
    ]
)
RULES = st.sampled_from(
    [
        "FREQ=DAILY;COUNT=3",
        "FREQ=WEEKLY",
        "FREQ=SOMETIMES",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=YEARLY;UNTIL=20200101",
        "FREQ=DAILY;UNTIL=20240305T000000Z;COUNT=2",
        "",
        "FREQ=HOURLY;INTERVAL=0",
        "RSCALE=CHINESE;FREQ=YEARLY",
    ]
)
PEOPLE = st.sampled_from(
    [
        "ATTENDEE;CUTYPE=ROOM:mailto:room@example.com",
        "ATTENDEE:invalid:nomail",
        "ATTENDEE;PARTSTAT=WHATEVER;ROLE=CHAIR:mailto:a@example.com",
        "ORGANIZER:mailto:",
        "ORGANIZER;CN=X:mailto:owner@example.com",
        'ATTENDEE;CN="Q, R":MAILTO:Q@EXAMPLE.COM',
        "CONFERENCE;VALUE=URI;FEATURE=AUDIO:tel:+1",
        "CONFERENCE:",
        "URL:javascript:alert(1)",
        "X-MICROSOFT-CDO-BUSYSTATUS:OOF",
        "STATUS:CANCELLED",
        "TRANSP:TRANSPARENT",
        "DURATION:-PT1H",
        "DURATION:P1W",
        "DURATION:nonsense",
        "EXDATE:20240302T120000Z",
        "RDATE:20240320T120000Z",
        "RDATE;VALUE=PERIOD:20240320T120000Z/PT1H",
        "SUMMARY:",
    ]
)


@st.composite
def events(draw: st.DrawFn) -> str:
    lines = [f"DTSTART{draw(TZIDS)}:{draw(TIMES)}"]
    if draw(st.booleans()):
        lines.append(f"DTEND{draw(TZIDS)}:{draw(TIMES)}")
    if rule := draw(RULES):
        lines.append(f"RRULE:{rule}")
    if draw(st.booleans()):
        lines.append(f"RECURRENCE-ID{draw(TZIDS)}:{draw(TIMES)}")
    lines.extend(draw(st.lists(PEOPLE, max_size=4)))
    uid = draw(st.sampled_from(["a", "b", "same", None]))
    return vevent(*lines, uid=uid)


@settings(
    max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.lists(events(), min_size=1, max_size=5),
    st.sampled_from([(), ("X-WR-TIMEZONE:America/New_York",), ("X-WR-TIMEZONE:Bad/Zone",)]),
)
def test_read_and_expand_any_sloppy_feed_never_crash(
    components: list[str], header: tuple[str, ...]
) -> None:
    data = calendar(*components, header=header)
    try:
        items = list(read_events(data, OWNER))
        feed = expand_feed(data, OWNER, WINDOW, budget=FeedBudget(max_instances_per_series=500))
    except InvalidFeed:
        return
    assert len(items) == len(components)
    assert all(isinstance(i, Meeting | SkippedEvent) for i in items)
    for meeting in feed.meetings:
        assert meeting.end >= meeting.start
        assert meeting.start < WINDOW.end
    assert all(s.reason for s in feed.skipped)
