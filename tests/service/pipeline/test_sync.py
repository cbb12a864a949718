"""Sync: a feed pulled through the real iCalendar connector, classified and stored."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from service.domain.policy import validate_policy
from service.email import MaildirOutbox
from service.storage import Database, MeetingRepository
from tests.fixtures.pipeline import (
    AUDIO,
    NOW,
    VIDEO,
    feed_bytes,
    runtime,
    sync_ana,
    three_people,
)


async def test_sync_calendar_stores_skips_unchanged_and_prunes(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    rt = runtime(database, MaildirOutbox(tmp_path / "outbox"), tmp_path)
    feed = tmp_path / "ana.ics"
    feed.write_bytes(feed_bytes(VIDEO, AUDIO))
    connection, _ = await three_people(database, tenant_id, feed)
    first = await sync_ana(rt, tenant_id, connection, feed)
    assert (first.meetings, first.error) == (2, None)
    again = await sync_ana(rt, tenant_id, connection, feed)
    assert again.not_modified
    feed.write_bytes(feed_bytes(VIDEO))
    pruned = await sync_ana(rt, tenant_id, connection, feed)
    assert pruned.pruned == 1
    async with database.session() as session:
        rows = [
            r
            async for r in MeetingRepository(session, tenant_id).iter_upcoming(
                NOW, NOW + timedelta(days=1)
            )
        ]
    assert {(r.ical_uid, r.status, r.modality) for r in rows} == {
        ("video-1@example.com", "confirmed", "video"),
        ("audio-1@example.com", "cancelled", "audio"),
    }


SELF_HOSTED = """BEGIN:VEVENT
UID:own-1@example.com
DTSTAMP:20261101T000000Z
DTSTART:20261124T120000Z
DTEND:20261124T123000Z
SUMMARY:Design crit
LOCATION:https://talk.acme-intern.example/rooms/design-crit
ORGANIZER:mailto:ana@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ana@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ben@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:cat@example.com
END:VEVENT
"""


async def test_sync_calendar_uses_tenant_meeting_links(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    policy = validate_policy(
        {"meeting_links": [{"host": "talk.acme-intern.example", "path_prefix": "/rooms/"}]}
    )
    rt = runtime(database, MaildirOutbox(tmp_path / "outbox"), tmp_path)
    feed = tmp_path / "ana.ics"
    feed.write_bytes(feed_bytes(SELF_HOSTED))
    connection, _ = await three_people(database, tenant_id, feed)
    await sync_ana(rt, tenant_id, connection, feed, policy.link_patterns())
    async with database.session() as session:
        rows = [
            r
            async for r in MeetingRepository(session, tenant_id).iter_upcoming(
                NOW, NOW + timedelta(days=1)
            )
        ]
    assert [(r.modality, r.provider) for r in rows] == [("video", "other")]
