"""The pipeline on both backends: sync a feed, plan nudges, deliver them over real SMTP."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from integrations.ics import FetchPolicy, IcsConnector
from service.delivery import deliver_due
from service.domain.classify import ProviderPattern
from service.domain.policy import validate_policy
from service.domain.port import CalendarRef, SyncWindow
from service.email import EmailRenderer, SmtpConfig, SmtpMailer
from service.ingest import SyncOutcome, sync_calendar
from service.mailing import MailConfig
from service.planning import plan_upcoming
from service.storage import (
    CalendarRepository,
    Database,
    MeetingRepository,
    NudgeRepository,
    PeopleRepository,
    PersonIn,
)
from tests.email.test_email_smtp import Handler, free_port

NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # a Tuesday
WINDOW = SyncWindow(NOW - timedelta(days=30), NOW + timedelta(days=14))
ANA, BEN, CAT = "ana@example.com", "ben@example.com", "cat@example.com"
MAIL = MailConfig(sender="Rapport <rapport@example.com>", message_id_domain="example.com",
                  base_url="https://rapport.example.com")  # fmt: skip

VIDEO = """BEGIN:VEVENT
UID:video-1@example.com
DTSTAMP:20261101T000000Z
DTSTART:20261124T100000Z
DTEND:20261124T103000Z
SUMMARY:Roadmap <b>review</b>
DESCRIPTION:Join Zoom Meeting https://us02web.zoom.us/j/85512345678?pwd=abc
ORGANIZER;CN=Ben:mailto:ben@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ana@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ben@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:cat@example.com
END:VEVENT
"""
AUDIO = """BEGIN:VEVENT
UID:audio-1@example.com
DTSTAMP:20261101T000000Z
DTSTART:20261124T110000Z
DTEND:20261124T113000Z
SUMMARY:Supplier call
LOCATION:Dial-in: +1 555 0100 PIN: 4455#
ORGANIZER;CN=Ana:mailto:ana@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ana@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ben@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:cat@example.com
END:VEVENT
"""


def _feed(*events: str) -> bytes:
    body = "".join(events)
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{body}END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode()


async def _setup(database: Database, tenant_id: int, feed: Path) -> tuple[int, dict[str, int]]:
    async with database.session() as session:
        people = await PeopleRepository(session, tenant_id).upsert_many(
            [PersonIn(email=e, name=e.split("@")[0].title(), timezone="Europe/London")
             for e in (ANA, BEN, CAT)]
        )  # fmt: skip
        connection = await CalendarRepository(session, tenant_id).ensure(
            people[ANA], "ics", str(feed)
        )
        await session.commit()
    return connection, people


async def _sync(
    database: Database,
    tenant_id: int,
    connection: int,
    feed: Path,
    people: dict[str, int],
    patterns: tuple[ProviderPattern, ...] = (),
) -> SyncOutcome:
    calendar = CalendarRef(owner=ANA, source=str(feed), default_timezone="Europe/London")
    connector = IcsConnector(FetchPolicy(allow_files=True))
    return await sync_calendar(
        database, tenant_id, connection, calendar, connector, WINDOW, people, NOW, patterns
    )


async def test_sync_calendar_stores_skips_unchanged_and_prunes(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    feed = tmp_path / "ana.ics"
    feed.write_bytes(_feed(VIDEO, AUDIO))
    connection, people = await _setup(database, tenant_id, feed)
    first = await _sync(database, tenant_id, connection, feed, people)
    assert (first.meetings, first.error) == (2, None)
    again = await _sync(database, tenant_id, connection, feed, people)
    assert again.not_modified
    feed.write_bytes(_feed(VIDEO))
    pruned = await _sync(database, tenant_id, connection, feed, people)
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


@pytest.fixture
def smtp() -> Iterator[tuple[Handler, int]]:
    handler = Handler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


async def test_plan_and_deliver_over_smtp_sends_each_nudge_once(
    database: Database, tenant_id: int, tmp_path: Path, smtp: tuple[Handler, int]
) -> None:
    handler, port = smtp
    feed = tmp_path / "ana.ics"
    feed.write_bytes(_feed(VIDEO, AUDIO))
    connection, people = await _setup(database, tenant_id, feed)
    await _sync(database, tenant_id, connection, feed, people)
    planning = await plan_upcoming(database, tenant_id, NOW, NOW + timedelta(days=1))
    assert planning.planned >= 2
    mailer = SmtpMailer(SmtpConfig(host="127.0.0.1", port=port, security="none"))
    outcome = await deliver_due(
        database, tenant_id, NOW + timedelta(days=1), mailer, EmailRenderer(), MAIL, now=NOW
    )
    assert outcome.sent == planning.planned
    assert len(handler.envelopes) == outcome.emails
    assert {"camera_on", "switch_to_video"} <= set(outcome.sent_by_kind)
    for envelope in handler.envelopes:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        html = message.get_body(("html",))
        assert html is not None
        assert "<b>review</b>" not in html.get_content()
    again = await deliver_due(
        database, tenant_id, NOW + timedelta(days=1), mailer, EmailRenderer(), MAIL, now=NOW
    )
    assert again.sent == 0
    assert len(handler.envelopes) == outcome.emails


@pytest.mark.parametrize(
    ("reply", "state"), [("550 5.1.1 No such user", "failed"), ("451 4.3.0 Try later", "planned")]
)
async def test_deliver_smtp_refusal_fails_or_retries(
    database: Database,
    tenant_id: int,
    tmp_path: Path,
    smtp: tuple[Handler, int],
    reply: str,
    state: str,
) -> None:
    handler, port = smtp
    handler.rcpt_reply = reply
    feed = tmp_path / "ana.ics"
    feed.write_bytes(_feed(AUDIO))
    connection, people = await _setup(database, tenant_id, feed)
    await _sync(database, tenant_id, connection, feed, people)
    await plan_upcoming(database, tenant_id, NOW, NOW + timedelta(days=1))
    mailer = SmtpMailer(SmtpConfig(host="127.0.0.1", port=port, security="none"))
    outcome = await deliver_due(
        database, tenant_id, NOW + timedelta(days=1), mailer, EmailRenderer(), MAIL, now=NOW
    )
    assert outcome.sent == 0
    async with database.session() as session:
        states = await NudgeRepository(session, tenant_id).count_by_kind_and_state()
    assert {s for (_kind, s) in states} == {state}
    await asyncio.sleep(0)


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
    feed = tmp_path / "ana.ics"
    feed.write_bytes(_feed(SELF_HOSTED))
    connection, people = await _setup(database, tenant_id, feed)
    await _sync(database, tenant_id, connection, feed, people, policy.link_patterns())
    async with database.session() as session:
        rows = [
            r
            async for r in MeetingRepository(session, tenant_id).iter_upcoming(
                NOW, NOW + timedelta(days=1)
            )
        ]
    assert [(r.modality, r.provider) for r in rows] == [("video", "other")]


WEEKLY = """BEGIN:VEVENT
UID:weekly-1@example.com
DTSTAMP:20261101T000000Z
DTSTART:20261117T100000Z
DTEND:20261117T103000Z
RRULE:FREQ=WEEKLY;COUNT=6
SUMMARY:Team sync
DESCRIPTION:Join Zoom Meeting https://us02web.zoom.us/j/85512345678
ORGANIZER:mailto:ben@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ana@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ben@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:cat@example.com
END:VEVENT
"""
MOVED = """BEGIN:VEVENT
UID:weekly-1@example.com
DTSTAMP:20261102T000000Z
RECURRENCE-ID:20261124T100000Z
DTSTART:20261125T160000Z
DTEND:20261125T163000Z
SUMMARY:Team sync
DESCRIPTION:Join Zoom Meeting https://us02web.zoom.us/j/85512345678
ORGANIZER:mailto:ben@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ana@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ben@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:cat@example.com
END:VEVENT
"""


async def test_deliver_after_instance_moved_out_of_window_sends_nothing_stale(
    database: Database, tenant_id: int, tmp_path: Path, smtp: tuple[Handler, int]
) -> None:
    handler, port = smtp
    feed = tmp_path / "ana.ics"
    feed.write_bytes(_feed(WEEKLY))
    connection, people = await _setup(database, tenant_id, feed)
    await _sync(database, tenant_id, connection, feed, people)
    day = NOW + timedelta(days=1)
    assert (await plan_upcoming(database, tenant_id, NOW, day)).planned > 0
    # Today's instance moves to tomorrow afternoon, outside the planning window.
    feed.write_bytes(_feed(WEEKLY, MOVED))
    await _sync(database, tenant_id, connection, feed, people)
    await plan_upcoming(database, tenant_id, NOW, day)
    mailer = SmtpMailer(SmtpConfig(host="127.0.0.1", port=port, security="none"))
    outcome = await deliver_due(database, tenant_id, day, mailer, EmailRenderer(), MAIL, now=NOW)
    assert (outcome.sent, handler.envelopes) == (0, [])
    # When the window reaches the moved instance, its nudges are planned (again) and sent.
    later = NOW + timedelta(days=2)
    replanned = await plan_upcoming(database, tenant_id, NOW, later)
    assert replanned.planned > 0
    outcome = await deliver_due(database, tenant_id, later, mailer, EmailRenderer(), MAIL, now=NOW)
    assert outcome.sent == replanned.planned


async def test_deliver_tries_every_due_nudge_when_retries_fill_a_batch(
    database: Database, tenant_id: int, tmp_path: Path, smtp: tuple[Handler, int]
) -> None:
    # A nudge handed back after a transient refusal is due again 5 minutes later: when such
    # retries fill a whole batch, the nudges due after them must still be tried in this run.
    handler, port = smtp
    handler.rcpt_reply = "451 4.3.0 Try later"
    feed = tmp_path / "ana.ics"
    feed.write_bytes(_feed(VIDEO, AUDIO))
    connection, people = await _setup(database, tenant_id, feed)
    await _sync(database, tenant_id, connection, feed, people)
    planning = await plan_upcoming(database, tenant_id, NOW, NOW + timedelta(days=1))
    assert planning.planned >= 2
    mailer = SmtpMailer(SmtpConfig(host="127.0.0.1", port=port, security="none"))
    outcome = await deliver_due(
        database, tenant_id, NOW + timedelta(days=1), mailer, EmailRenderer(), MAIL, now=NOW,
        batch=1,
    )  # fmt: skip
    assert (outcome.sent, outcome.retried) == (0, planning.planned)
    async with database.session() as session:
        states = await NudgeRepository(session, tenant_id).count_by_kind_and_state()
    assert {s for (_kind, s) in states} == {"planned"}
