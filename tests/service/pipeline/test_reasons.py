"""Stored reasons keep the classifier's words, never a dial-in number from the event's text."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from service.email import MaildirOutbox
from service.pipeline.reasons import scrub_reason
from service.storage import Database, MeetingRepository
from tests.fixtures.pipeline import AUDIO, WINDOW, feed_bytes, runtime, sync_ana, three_people

DIAL_IN_IN_DESCRIPTION = """BEGIN:VEVENT
UID:bridge-1@example.com
DTSTAMP:20261101T000000Z
DTSTART:20261124T150000Z
DTEND:20261124T153000Z
SUMMARY:Supplier sync
DESCRIPTION:Join by phone: +44 20 7946 0958\\nConference ID: 5551 2345#
ORGANIZER:mailto:ana@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ana@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ben@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:cat@example.com
END:VEVENT
"""
DIGITS = re.compile(r"\d(?:[\s().\-/]*\d){4,}")


async def test_sync_stores_reasons_without_dial_in_numbers(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    rt = runtime(database, MaildirOutbox(tmp_path / "outbox"), tmp_path)
    feed = tmp_path / "ana.ics"
    feed.write_bytes(feed_bytes(AUDIO, DIAL_IN_IN_DESCRIPTION))
    connection, _ = await three_people(database, tenant_id, feed)
    await sync_ana(rt, tenant_id, connection, feed)
    async with database.session() as session:
        rows = [
            r
            async for r in MeetingRepository(session, tenant_id).iter_views(
                WINDOW.start, WINDOW.end
            )
        ]
    reasons = [reason for row in rows for reason in row.reasons]
    assert any(r.startswith("only a phone bridge: a number") for r in reasons), reasons
    for reason in reasons:
        assert not DIGITS.search(reason), reason
        for lifted in ("7946", "0958", "5551", "0100", "4455"):
            assert lifted not in reason


@given(st.text(alphabet="0123456789 +-().:/abc PIN", max_size=60))
def test_scrub_reason_leaves_no_phone_number(text: str) -> None:
    scrubbed = scrub_reason(f"only a phone bridge: {text} in the description")
    assert not DIGITS.search(scrubbed)


def test_scrub_reason_keeps_words_times_and_counts() -> None:
    for reason in (
        "2 people: one-on-one",
        "Zoom join link in the location",
        "5 people and 1 group(s)",
    ):
        assert scrub_reason(reason) == reason
    assert scrub_reason("only a phone bridge: +1 555 0100 PIN in the description") == (
        "only a phone bridge: a number with a PIN in the description"
    )
