"""Hostile calendars, end to end: real feeds through the real iCalendar connector, real storage,
the planner and a real SMTP sink.

Each calendar speaks only for its owner (a colleague's feed cannot add you to a meeting,
rename, move or cancel it for you, nor put a link in your email), and every feed has a budget
(rows per sync, no pile-up of renamed events). Every sync runs in a fresh interpreter that
measures it: under `MAX_SYNC_S` seconds and `MAX_PEAK_MB` of peak memory, feed reader included.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import subprocess
import sys
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import text

from service.email import SmtpConfig, SmtpMailer
from service.pipeline.delivery import deliver_due
from service.pipeline.planning import plan_upcoming
from service.runtime import Runtime
from service.storage import (
    CalendarRepository,
    Database,
    PeopleRepository,
    PersonIn,
    PolicyRepository,
)
from tests.fixtures.pipeline import NOW, WINDOW, feed_bytes, runtime
from tests.fixtures.smtp import Handler

MAX_SYNC_S = 30.0
MAX_PEAK_MB = 300.0
ROOT = Path(__file__).resolve().parents[3]
ANA, BEN, EVE = "ana@example.com", "ben@example.com", "eve@example.com"
DAN = "dan@example.com"  # in the organisation, no calendar connected
PHISH = "https://evil.example/login"


def event(uid: str, summary: str, organizer: str, attendees: list[str], **extra: str) -> str:
    """One VEVENT today at 10:00 UTC with a Zoom link (extra properties override)."""
    props = {
        "UID": uid,
        "DTSTAMP": "20261101T000000Z",
        "DTSTART": "20261124T100000Z",
        "DTEND": "20261124T103000Z",
        "SUMMARY": summary,
        "LOCATION": "https://us02web.zoom.us/j/85512345678",
        "ORGANIZER": f"mailto:{organizer}",
        **extra,
    }
    lines = [f"{name}:{value}" for name, value in props.items()]
    lines += [f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{who}" for who in attendees]
    return "BEGIN:VEVENT\n" + "\n".join(lines) + "\nEND:VEVENT\n"


async def _people(database: Database, tenant_id: int, feeds: dict[str, Path]) -> dict[str, int]:
    """Ana, Ben, Eve and Dan in London; `feeds` are their calendars. Connection ids by email."""
    async with database.transaction() as session:
        people = await PeopleRepository(session, tenant_id).upsert_many(
            [
                PersonIn(email=e, name=e.split("@")[0].title(), timezone="Europe/London")
                for e in (ANA, BEN, EVE, DAN)
            ]
        )
        calendars = CalendarRepository(session, tenant_id)
        return {e: await calendars.ensure(people[e], "ics", str(p)) for e, p in feeds.items()}


def measured_syncs(
    db_url: str, tenant_id: int, tmp_path: Path, syncs: list[tuple[str, int, Path]],
    max_rows: int = 100_000,
) -> list[dict[str, object]]:  # fmt: skip
    """Run these (owner, connection, feed) syncs in a fresh interpreter; check every bound."""
    plan = {
        "db_url": db_url, "tenant_id": tenant_id, "work_dir": str(tmp_path),
        "now": NOW.isoformat(), "window_start": WINDOW.start.isoformat(),
        "window_end": WINDOW.end.isoformat(), "max_rows": max_rows,
        "syncs": [{"connection_id": c, "owner": o, "source": str(f)} for o, c, f in syncs],
    }  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "tests.service.pipeline.hostile_runner"],
        input=json.dumps(plan), capture_output=True, text=True, cwd=ROOT, env=env,
        timeout=MAX_SYNC_S * len(syncs) + 60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    results: list[dict[str, object]] = json.loads(done.stdout.strip().splitlines()[-1])
    for result in results:
        assert float(str(result["seconds"])) < MAX_SYNC_S, result
        assert float(str(result["peak_mb"])) < MAX_PEAK_MB, result
    return results


def _smtp_runtime(database: Database, tmp_path: Path, port: int) -> Runtime:
    mailer = SmtpMailer(SmtpConfig(host="127.0.0.1", port=port, security="none"))
    return runtime(database, mailer, tmp_path)


def _mail(handler: Handler) -> list[tuple[str, EmailMessage]]:
    found = []
    for envelope in handler.envelopes:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.extend((rcpt, message) for rcpt in envelope.rcpt_tos)
    return found


def _words(message: EmailMessage) -> str:
    parts = [str(message["Subject"])]
    parts += [
        part.get_content() for part in message.walk() if part.get_content_maintype() == "text"
    ]
    return "\n".join(parts)


async def test_hostile_colleague_feed_changes_nobody_else_email(
    db_url: str, database: Database, tenant_id: int, tmp_path: Path, smtp: tuple[Handler, int]
) -> None:
    group = ("review@example.com", "Roadmap review", ANA, [ANA, BEN, DAN])
    at_eleven = {"DTSTART": "20261124T110000Z", "DTEND": "20261124T113000Z"}
    pair = ("1on1@example.com", "Ana / Ben", ANA, [ANA, BEN])
    feeds = {
        # The organiser's own calendar: a team meeting at 10:00, a one-on-one at 11:00.
        ANA: feed_bytes(event(*group), event(*pair, **at_eleven)),
        # Ben's copy of the team meeting, renamed privately: shown to him only.
        BEN: feed_bytes(
            event("review@example.com", "PRIVATE: interviewing elsewhere", ANA, [ANA, BEN, DAN]),
            event(*pair, **at_eleven),
        ),
        # Eve was never invited: she cancels and moves the team meeting, adds herself to the
        # one-on-one, and makes up a meeting listing Ben as accepted, a phishing link for title.
        EVE: feed_bytes(
            event("review@example.com", "Cancelled: see " + PHISH, ANA, [ANA, BEN, DAN, EVE],
                  STATUS="CANCELLED", DTSTART="20261124T160000Z", DTEND="20261124T163000Z"),
            event("1on1@example.com", "Ana / Ben / Eve", ANA, [ANA, BEN, EVE], **at_eleven),
            event("forged@evil.example", "Payroll update " + PHISH, EVE, [EVE, BEN, DAN],
                  DTSTART="20261124T140000Z", DTEND="20261124T143000Z"),
        ),
    }  # fmt: skip
    paths = {who: tmp_path / f"{who.split('@')[0]}.ics" for who in feeds}
    for who, body in feeds.items():
        paths[who].write_bytes(body)
    connections = await _people(database, tenant_id, paths)
    # Eve's calendar syncs last: the order that used to let the last copy win.
    syncs = [(who, connections[who], paths[who]) for who in (ANA, BEN, EVE)]
    results = measured_syncs(db_url, tenant_id, tmp_path, syncs)
    assert [r["error"] for r in results] == [None, None, None]

    handler, port = smtp
    rt = _smtp_runtime(database, tmp_path, port)
    async with database.transaction() as session:
        # Eve's two meetings are on one day: let both camera notes through to read them.
        several = {"min_gap_minutes": 0, "kinds": {"camera_on": {"daily_cap": 3}}}
        await PolicyRepository(session, tenant_id).save(None, several, "test")
    await plan_upcoming(rt, tenant_id, NOW + timedelta(days=1))
    await deliver_due(rt, tenant_id, NOW + timedelta(days=1))
    mail: dict[str, list[str]] = {}
    for rcpt, message in _mail(handler):
        mail.setdefault(rcpt, []).append(_words(message))
    ana, ben, eve = ("\n".join(mail.get(who, [])) for who in (ANA, BEN, EVE))
    # Dan has no calendar here: a name on meetings, never a recipient.
    assert sorted(mail) == [ANA, BEN, EVE]
    # Ana, the organiser, reads her own copies: her title, her times, one-on-one with Ben.
    assert "Roadmap review" in ana
    assert "10:00" in ana
    assert "one-on-one with Ben" in ana
    for word in ("PRIVATE", "interviewing", "Eve", "Cancelled", "16:00", "Payroll"):
        assert word not in ana
    # Ben reads his own copies, and nothing of the meeting Eve made up for him.
    assert "PRIVATE: interviewing elsewhere" in ben
    assert "one-on-one with Ana" in ben
    for word in ("Eve", "Cancelled", "16:00", "Payroll"):
        assert word not in ben
    # Eve's own email, about her own meeting, carries no clickable link of hers.
    assert "evil[.]example/login" in eve
    for words in (ana, ben, eve):
        assert "https://evil" not in words
        assert "evil.example" not in words


async def _rows(database: Database, tenant_id: int) -> int:
    total = 0
    async with database.session() as session:
        for table in ("meetings", "meeting_copies", "participations"):
            sql = text(f"SELECT count(*) FROM {table} WHERE tenant_id = :t")
            total += int(await session.scalar(sql, {"t": tenant_id}) or 0)
    return total


def _crowded(prefix: str, attendees: int, days: int) -> bytes:
    """A daily series for `days` days with `attendees` people: rows = days x (attendees + 2)."""
    guests = [f"guest{i}@example.org" for i in range(attendees)]
    series = event(
        f"{prefix}@example.com", "All hands", ANA, [ANA, *guests],
        DTSTART="20261028T100000Z", DTEND="20261028T103000Z", RRULE=f"FREQ=DAILY;COUNT={days}",
    )  # fmt: skip
    return feed_bytes(series)


async def test_hostile_feed_over_budget_keeps_what_fits_and_never_piles_up(
    db_url: str, database: Database, tenant_id: int, tmp_path: Path
) -> None:
    connections = await _people(database, tenant_id, {ANA: tmp_path / "ana.ics"})
    budget = 2_000
    rounds = []
    for round_ in range(10):
        # 40 instances of 100 people each: 4,080 rows, over the budget; and every fetch
        # renames the event, the pattern that used to pile up rows.
        feed = tmp_path / f"ana-{round_}.ics"
        feed.write_bytes(_crowded(f"crowd-{round_}", attendees=99, days=40))
        rounds.append((ANA, connections[ANA], feed))
    results = measured_syncs(db_url, tenant_id, tmp_path, rounds, max_rows=budget)
    for result in results:
        assert result["over_budget"] is True
        assert 0 < int(str(result["rows"])) <= budget
        assert "over its budget: more than 2000 rows in one sync" in str(result["error"])
    async with database.session() as session:
        row = await CalendarRepository(session, tenant_id).get(connections[ANA])
    assert row is not None
    assert (row.status, row.last_error) == ("error", results[-1]["error"])
    # Ten rounds later the calendar holds one round's rows, what fit in the last one.
    assert await _rows(database, tenant_id) == results[-1]["rows"]


async def test_hostile_feed_over_connector_budget_recorded_on_connection(
    db_url: str, database: Database, tenant_id: int, tmp_path: Path
) -> None:
    feed = tmp_path / "ana.ics"
    # Thousands of attendees on one event: the connector keeps what its budget allows.
    guests = [f"guest{i}@example.org" for i in range(3_000)]
    feed.write_bytes(feed_bytes(event("crowd@example.com", "All hands", ANA, [ANA, *guests])))
    connections = await _people(database, tenant_id, {ANA: feed})
    (result,) = measured_syncs(db_url, tenant_id, tmp_path, [(ANA, connections[ANA], feed)])
    assert result["meetings"] == 1
    assert str(result["error"]).startswith("the calendar is over its budget: ")
    async with database.session() as session:
        row = await CalendarRepository(session, tenant_id).get(connections[ANA])
    assert row is not None
    assert (row.status, row.last_error, row.cursor) == ("error", result["error"], None)
    assert await _rows(database, tenant_id) < 3_000
