"""Planning and delivery respect a "no": inactive people, private meetings, the subject of a
one-on-one who opted out; a person's first email welcomes them, once."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from service.email import MaildirOutbox
from service.pipeline.delivery import deliver_due
from service.pipeline.planning import plan_upcoming
from service.runtime import Runtime
from service.storage import Database, NudgeRepository, PeopleRepository, PersonIn, PolicyRepository
from tests.fixtures.pipeline import (
    ANA,
    BEN,
    CAT,
    NOW,
    VIDEO,
    feed_bytes,
    runtime,
    sync_ana,
    three_people,
)

PRIVATE_ONE_ON_ONE = """BEGIN:VEVENT
UID:private-1@example.com
DTSTAMP:20261101T000000Z
DTSTART:20261124T120000Z
DTEND:20261124T123000Z
SUMMARY:Redundancy consultation - Ben
CLASS:PRIVATE
LOCATION:https://us02web.zoom.us/j/85512345678
ORGANIZER:mailto:ana@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ana@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ben@example.com
END:VEVENT
"""
ONE_ON_ONE = """BEGIN:VEVENT
UID:one-1@example.com
DTSTAMP:20261101T000000Z
DTSTART:20261124T150000Z
DTEND:20261124T153000Z
SUMMARY:Ana / Ben
LOCATION:https://us02web.zoom.us/j/85512345678
ORGANIZER:mailto:ana@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ana@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ben@example.com
END:VEVENT
"""


async def _setup(database: Database, tenant_id: int, tmp_path: Path, *events: str) -> Runtime:
    rt = runtime(database, MaildirOutbox(tmp_path / "outbox"), tmp_path)
    feed = tmp_path / "ana.ics"
    feed.write_bytes(feed_bytes(*events))
    connection, _ = await three_people(database, tenant_id, feed)
    await sync_ana(rt, tenant_id, connection, feed)
    return rt


def _outbox(tmp_path: Path) -> list[EmailMessage]:
    folder = tmp_path / "outbox" / "new"
    found = []
    for path in sorted(folder.iterdir()) if folder.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def _text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return " ".join(str(part.get_content()).split())


async def _set(database: Database, tenant_id: int, **changes: object) -> None:
    async with database.transaction() as session:
        await PeopleRepository(session, tenant_id).upsert_many(
            [PersonIn(email=ANA, name="Ana", timezone="Europe/London", **changes)]  # type: ignore[arg-type]
        )


async def test_plan_inactive_person_gets_no_nudge(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    rt = await _setup(database, tenant_id, tmp_path, VIDEO)
    await _set(database, tenant_id, active=False)
    outcome = await plan_upcoming(rt, tenant_id, NOW + timedelta(days=1))
    assert outcome.planned == 0
    async with database.session() as session:
        assert await NudgeRepository(session, tenant_id).due(NOW + timedelta(days=2), 10) == []


async def test_plan_private_meeting_no_nudge_and_its_title_goes_nowhere(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    rt = await _setup(database, tenant_id, tmp_path, PRIVATE_ONE_ON_ONE)
    held = await plan_upcoming(rt, tenant_id, NOW + timedelta(days=1))
    assert (held.planned, held.held_back) == (0, {"private meeting": 1})
    # A tenant that allows nudges for private meetings: "a private meeting", never the title.
    async with database.transaction() as session:
        body = {"exclusions": {"private_meetings": False, "builtin_topics": False}}
        await PolicyRepository(session, tenant_id).save(None, body, "test")
    allowed = await plan_upcoming(rt, tenant_id, NOW + timedelta(days=1))
    assert allowed.planned == 1
    await deliver_due(rt, tenant_id, NOW + timedelta(days=1))
    (message,) = _outbox(tmp_path)
    words = str(message["Subject"]) + _text(message)
    assert "a private meeting" in words.lower() or "one-on-one with Ben" in words
    assert "Redundancy" not in words
    assert "consultation" not in words


async def test_plan_one_on_one_with_someone_who_opted_out_is_not_sent(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    rt = await _setup(database, tenant_id, tmp_path, ONE_ON_ONE)
    async with database.transaction() as session:
        await PeopleRepository(session, tenant_id).upsert_many(
            [PersonIn(email=BEN, name="Ben", timezone="Europe/London", opted_out=True)]
        )
    outcome = await plan_upcoming(rt, tenant_id, NOW + timedelta(days=1))
    assert outcome.planned == 0
    assert outcome.suppressed_reasons == {"the other person opted out of Rapport": 1}


async def test_deliver_first_email_welcomes_once(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    later = VIDEO.replace("video-1@", "video-2@").replace("20261124T10", "20261125T10")
    rt = await _setup(database, tenant_id, tmp_path, VIDEO, later)
    await plan_upcoming(rt, tenant_id, NOW + timedelta(days=2))
    await deliver_due(rt, tenant_id, NOW + timedelta(days=2))
    first, second = sorted(_outbox(tmp_path), key=lambda m: parsedate_to_datetime(m["Date"]))
    assert str(first["Subject"]).startswith("Welcome to Rapport")
    assert "has turned it on for its people" in _text(first)
    assert "Welcome" not in str(second["Subject"]) + _text(second)
    assert first["X-Auto-Response-Suppress"] == "All"
    # The Message-ID tells this installation and this database's row apart from any other.
    assert str(first["Message-ID"]).startswith("<rapport.nudge.")
    assert str(first["Message-ID"]).count(".") >= 5
    assert CAT not in _text(first)
