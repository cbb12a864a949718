"""iCalendar CLASS: a private event keeps its times and people, never its SUMMARY."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.ics import read_events
from integrations.ics.expand import expand_feed
from service.domain.model import PRIVATE_TITLE, Meeting, Sensitivity
from service.domain.port import SyncWindow
from tests.integrations.ics.icsdata import OWNER, calendar, vevent

SUMMARY = "PIP review with Ben"
LINES = (
    "DTSTART:20260416T100000Z",
    "DTEND:20260416T103000Z",
    f"SUMMARY:{SUMMARY}",
    f"ORGANIZER:mailto:{OWNER}",
    "ATTENDEE;PARTSTAT=ACCEPTED:mailto:ben@example.com",
    "LOCATION:https://meet.google.com/abc-defg-hij",
)


def _one(*extra: str) -> Meeting:
    items = list(read_events(calendar(vevent(*LINES, *extra)), OWNER))
    assert len(items) == 1
    assert isinstance(items[0], Meeting), items[0]
    return items[0]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("CLASS:PRIVATE", Sensitivity.PRIVATE),
        ("CLASS:CONFIDENTIAL", Sensitivity.CONFIDENTIAL),
        ("CLASS:private", Sensitivity.PRIVATE),
        ("CLASS:X-SECRET", Sensitivity.PRIVATE),  # RFC 5545: an unknown CLASS is PRIVATE
    ],
)
def test_read_events_private_class_hides_summary(line: str, expected: Sensitivity) -> None:
    meeting = _one(line)
    assert meeting.sensitivity is expected
    assert meeting.title == PRIVATE_TITLE
    assert meeting.start == datetime(2026, 4, 16, 10, tzinfo=UTC)
    assert meeting.attendees is not None
    assert {a.email for a in meeting.attendees} == {OWNER, "ben@example.com"}
    assert meeting.location == "https://meet.google.com/abc-defg-hij"
    assert SUMMARY not in repr(meeting)


@pytest.mark.parametrize("extra", [(), ("CLASS:PUBLIC",)])
def test_read_events_public_class_keeps_summary(extra: tuple[str, ...]) -> None:
    meeting = _one(*extra)
    assert meeting.sensitivity is Sensitivity.NORMAL
    assert meeting.title == SUMMARY


def test_expand_feed_private_series_every_instance_hides_summary() -> None:
    """Expanded instances and an overriding instance are private too."""
    data = calendar(
        vevent(*LINES, "RRULE:FREQ=WEEKLY;COUNT=3", "CLASS:PRIVATE", uid="s1"),
        vevent(
            "RECURRENCE-ID:20260423T100000Z",
            "DTSTART:20260423T110000Z",
            "DTEND:20260423T113000Z",
            f"SUMMARY:{SUMMARY} (moved)",
            "CLASS:CONFIDENTIAL",
            uid="s1",
        ),
    )
    window = SyncWindow(datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
    meetings = [m for m in expand_feed(data, OWNER, window).items if isinstance(m, Meeting)]
    assert len(meetings) == 3
    assert {m.title for m in meetings} == {PRIVATE_TITLE}
    assert all(m.private for m in meetings)


@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=20))
def test_read_events_any_class_is_read(value: str) -> None:
    """Whatever CLASS holds, the event is read; only PUBLIC (or none) keeps the title."""
    meeting = _one(*([f"CLASS:{value}"] if value else []))
    public = value.strip().upper() in ("", "PUBLIC")
    assert (meeting.title == SUMMARY) is public


def test_read_private_event_without_uid_id_does_not_hash_its_title() -> None:
    # A derived UID built from the SUMMARY would let anyone confirm a guessed private title.
    def uid_for(summary: str) -> str:
        lines = [line for line in LINES if not line.startswith("SUMMARY")]
        feed = calendar(vevent(*lines, f"SUMMARY:{summary}", "CLASS:PRIVATE", uid=None))
        items = list(read_events(feed, OWNER))
        assert len(items) == 1
        assert isinstance(items[0], Meeting)
        return items[0].uid

    assert uid_for(SUMMARY) == uid_for("Something else entirely")
