"""What the worker tests share: a loopback feed server, a runtime over the test database with
a real secret store, SMTP sink and iCalendar connector, and a small team whose feeds it serves."""

from __future__ import annotations

import asyncio
import email
import shutil
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog

from integrations.ics import FetchPolicy, IcsConnector
from service.email import EmailRenderer, Mailer, SmtpConfig, SmtpMailer
from service.pipeline.connections import add_ics_connection
from service.runtime import Clock, Runtime, fixed_clock
from service.secrets import load_secret_box, new_key
from service.storage import Database, PeopleRepository, PersonIn, PolicyRepository
from tests.fixtures.pipeline import MAIL, feed_bytes
from tests.fixtures.smtp import Handler
from tests.integrations.ics.feedserver import Feed, RunningServer, run_server
from workers.inprocess import Scheduler
from workers.nudges import nudge_ids

NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # a Tuesday
TOKEN = "s3cretT0kenInTheFeedUrl0123"
# Nudges at any hour of any day, one minute ahead, for any meeting with internal people, as
# many as the meetings (no hourly gap, kind cap or series back-off): the jobs are under test.
ALWAYS = {
    "lead_minutes": 1,
    "working_hours": {"start": "00:00", "end": "23:59", "days": [1, 2, 3, 4, 5, 6, 7]},
    "quiet_hours": {"enabled": False},
    "max_per_person_per_day": 20,
    "min_gap_minutes": 0,
    "kinds": {
        kind: {"daily_cap": 20, "series_cap_days": 0, "backoff_weeks": [0], "max_unanswered": 0}
        for kind in ("camera_on", "switch_to_video", "social_minute", "one_on_one")
    },
}


def event(uid: str, start: datetime, title: str = "Design review", minutes: int = 30) -> str:
    """A VEVENT of a video meeting organised by its owner's colleague, everyone accepted."""
    end = start + timedelta(minutes=minutes)
    return (
        f"BEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20261101T000000Z\n"
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}\nDTEND:{end:%Y%m%dT%H%M%SZ}\nSUMMARY:{title}\n"
        "DESCRIPTION:Join Zoom Meeting https://us02web.zoom.us/j/85512345678\n"
        "ORGANIZER;CN=Lee:mailto:lee@example.com\n"
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:lee@example.com\n"
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:kim@example.com\n"
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:{owner}\n"
        "END:VEVENT\n"
    )


def calendar(owner: str, *events: str) -> bytes:
    """An iCalendar feed of `events` in which `owner` is an attendee."""
    return feed_bytes(*(e.replace("{owner}", owner) for e in events))


@pytest.fixture(autouse=True)
def _fresh_logging() -> None:
    """Log to the test's own stdout: a test before may have left structlog writing to a stream
    that is closed now (a CLI runner's), and the jobs log as they work."""
    structlog.reset_defaults()


@pytest.fixture
def feeds() -> Iterator[RunningServer]:
    """A real HTTP server on loopback serving `app.feeds[name]` at /feeds/<name>."""
    yield from run_server()


def feed_url(server: RunningServer, name: str) -> str:
    """The secret-looking URL of a served feed."""
    return f"{server.base}/feeds/{name}?token={TOKEN}"


def smtp_mailer(port: int) -> SmtpMailer:
    """A mailer that delivers to the loopback SMTP sink."""
    return SmtpMailer(SmtpConfig(host="127.0.0.1", port=port, security="none", timeout=10))


def worker_runtime(
    database: Database,
    mailer: Mailer,
    tmp_path: Path,
    clock: Clock | None = None,
    keys: str | None = None,
) -> Runtime:
    """A runtime over the test database: real secret store, loopback feeds allowed."""
    connector = IcsConnector(
        FetchPolicy(allow_hosts_or_networks=("127.0.0.1",)), parse_timeout_s=None
    )
    return Runtime(
        db=database, mailer=mailer, renderer=EmailRenderer(), mail=MAIL,
        reports_dir=tmp_path / "reports", clock=clock or fixed_clock(NOW),
        connectors={"ics": connector},
        secrets=load_secret_box(keys or new_key(), tmp_path),
    )  # fmt: skip


@dataclass(frozen=True)
class Team:
    """People of a tenant by email, and each one's connection id (feeds named by local part)."""

    people: dict[str, int]
    connections: dict[str, int]


async def make_team(
    rt: Runtime,
    tenant_id: int,
    server: RunningServer,
    emails: Sequence[str],
    *,
    timezone: str = "Europe/London",
    policy: dict[str, object] | None = None,
) -> Team:
    """Store these people (in `timezone`), the policy, and one served feed per person."""
    async with rt.db.session() as session:
        people = await PeopleRepository(session, tenant_id).upsert_many(
            [PersonIn(email=e, name=e.split("@")[0].title(), timezone=timezone) for e in emails]
        )
        await PolicyRepository(session, tenant_id).save(None, policy or ALWAYS, "test")
        await session.commit()
    connections: dict[str, int] = {}
    for address in emails:
        name = address.split("@")[0]
        server.app.feeds.setdefault(name, Feed(calendar(address)))
        connections[address] = await add_ics_connection(
            rt, tenant_id, address, feed_url(server, name)
        )
    return Team(people, connections)


@dataclass
class TimedHandler(Handler):
    """An SMTP sink handler that notes when each message arrived, and can answer slowly."""

    delay_s: float = 0.0
    received: list[tuple[float, str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Wait `delay_s`, keep the message, note (wall-clock time, Message-ID)."""
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        reply = await super().handle_DATA(server, session, envelope)
        message = email.message_from_bytes(envelope.content)
        self.received.append((time.time(), str(message.get("Message-ID", ""))))
        return reply

    def nudges(self) -> list[tuple[float, str]]:
        """(arrival time, Message-ID) of every nudge email received (weekly reports left out)."""
        return [(at, mid) for at, mid in self.received if ".nudge." in mid]

    def nudge_ids(self) -> list[int]:
        """The nudge id of every nudge email received, in order (duplicates kept)."""
        return nudge_ids(mid for _, mid in self.nudges())


@asynccontextmanager
async def running(scheduler: Scheduler) -> AsyncIterator[Scheduler]:
    """Run the scheduler in a task for the block; stop it and wait for it on the way out."""
    task = asyncio.create_task(scheduler.run())
    try:
        yield scheduler
    finally:
        scheduler.stop()
        await asyncio.wait_for(task, 30)


def midday_zone(now: datetime) -> str:
    """A fixed-offset zone where it is about noon at `now` (nudges pass any working hours)."""
    offset = 12 - now.astimezone(UTC).hour
    if offset == 0:
        return "Etc/GMT"
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated SQLite file of this test (for tests that run on SQLite only)."""
    path = tmp_path / "rapport.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


async def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll `condition` every 50 ms; fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        await asyncio.sleep(0.05)
