"""Planning and delivery over real SMTP: each nudge once, refusals retried or failed."""

from __future__ import annotations

import asyncio
import email
import email.policy
from datetime import timedelta
from pathlib import Path

import pytest

from service.email import SmtpConfig, SmtpMailer
from service.pipeline.delivery import deliver_due
from service.pipeline.planning import plan_upcoming
from service.runtime import Runtime
from service.storage import Database, NudgeRepository
from tests.fixtures.pipeline import (
    AUDIO,
    NOW,
    VIDEO,
    feed_bytes,
    runtime,
    sync_ana,
    three_people,
)
from tests.fixtures.smtp import Handler

# An audio-only call tomorrow that Ana organises: her switch_to_video note comes today, the
# working day before, while the invite can still change.
AUDIO_TOMORROW = AUDIO.replace("audio-1@", "audio-2@").replace("20261124T11", "20261125T11")


def smtp_runtime(database: Database, tmp_path: Path, port: int) -> Runtime:
    """A runtime that delivers to the loopback SMTP sink."""
    mailer = SmtpMailer(SmtpConfig(host="127.0.0.1", port=port, security="none"))
    return runtime(database, mailer, tmp_path)


async def test_plan_and_deliver_over_smtp_sends_each_nudge_once(
    database: Database, tenant_id: int, tmp_path: Path, smtp: tuple[Handler, int]
) -> None:
    handler, port = smtp
    rt = smtp_runtime(database, tmp_path, port)
    feed = tmp_path / "ana.ics"
    feed.write_bytes(feed_bytes(VIDEO, AUDIO_TOMORROW))
    connection, _ = await three_people(database, tenant_id, feed)
    await sync_ana(rt, tenant_id, connection, feed)
    planning = await plan_upcoming(rt, tenant_id, NOW + timedelta(days=2))
    assert planning.planned >= 2
    outcome = await deliver_due(rt, tenant_id, NOW + timedelta(days=1))
    assert outcome.sent == planning.planned
    assert len(handler.envelopes) == outcome.emails
    assert {"camera_on", "switch_to_video"} <= set(outcome.sent_by_kind)
    for envelope in handler.envelopes:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        html = message.get_body(("html",))
        assert html is not None
        assert "<b>review</b>" not in html.get_content()
    again = await deliver_due(rt, tenant_id, NOW + timedelta(days=1))
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
    rt = smtp_runtime(database, tmp_path, port)
    handler.rcpt_reply = reply
    feed = tmp_path / "ana.ics"
    feed.write_bytes(feed_bytes(AUDIO_TOMORROW))
    connection, _ = await three_people(database, tenant_id, feed)
    await sync_ana(rt, tenant_id, connection, feed)
    await plan_upcoming(rt, tenant_id, NOW + timedelta(days=2))
    outcome = await deliver_due(rt, tenant_id, NOW + timedelta(days=1))
    assert outcome.sent == 0
    async with database.session() as session:
        states = await NudgeRepository(session, tenant_id).count_by_kind_and_state()
    assert {s for (_kind, s) in states} == {state}
    await asyncio.sleep(0)


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
    rt = smtp_runtime(database, tmp_path, port)
    feed = tmp_path / "ana.ics"
    feed.write_bytes(feed_bytes(WEEKLY))
    connection, _ = await three_people(database, tenant_id, feed)
    await sync_ana(rt, tenant_id, connection, feed)
    day = NOW + timedelta(days=1)
    assert (await plan_upcoming(rt, tenant_id, day)).planned > 0
    # Today's instance moves to tomorrow afternoon, outside the planning window.
    feed.write_bytes(feed_bytes(WEEKLY, MOVED))
    await sync_ana(rt, tenant_id, connection, feed)
    await plan_upcoming(rt, tenant_id, day)
    outcome = await deliver_due(rt, tenant_id, day)
    assert (outcome.sent, handler.envelopes) == (0, [])
    # When the window reaches the moved instance, its nudges are planned (again) and sent.
    later = NOW + timedelta(days=2)
    replanned = await plan_upcoming(rt, tenant_id, later)
    assert replanned.planned > 0
    outcome = await deliver_due(rt, tenant_id, later)
    assert outcome.sent == replanned.planned


async def test_deliver_tries_every_due_nudge_when_retries_fill_a_batch(
    database: Database, tenant_id: int, tmp_path: Path, smtp: tuple[Handler, int]
) -> None:
    # A nudge handed back after a transient refusal is due again 5 minutes later: when such
    # retries fill a whole batch, the nudges due after them must still be tried in this run.
    handler, port = smtp
    rt = smtp_runtime(database, tmp_path, port)
    handler.rcpt_reply = "451 4.3.0 Try later"
    feed = tmp_path / "ana.ics"
    feed.write_bytes(feed_bytes(VIDEO, AUDIO_TOMORROW))
    connection, _ = await three_people(database, tenant_id, feed)
    await sync_ana(rt, tenant_id, connection, feed)
    planning = await plan_upcoming(rt, tenant_id, NOW + timedelta(days=2))
    assert planning.planned >= 2
    outcome = await deliver_due(rt, tenant_id, NOW + timedelta(days=1), batch=1)
    assert (outcome.sent, outcome.retried) == (0, planning.planned)
    async with database.session() as session:
        states = await NudgeRepository(session, tenant_id).count_by_kind_and_state()
    assert {s for (_kind, s) in states} == {"planned"}
