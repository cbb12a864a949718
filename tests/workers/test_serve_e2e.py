"""`rapport serve` end to end, as a subprocess on a free port: calendar feeds on a loopback HTTP
server, mail into a real SMTP sink, a real clock. A meeting's nudge comes at its lead time and
moves with the meeting; a one-click unsubscribe stops the next nudge; SIGTERM in the middle of a
delivery round loses and duplicates nothing. On SQLite and on a fresh PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from service.email import MaildirOutbox
from service.secrets import new_key
from service.storage import (
    Database,
    MeetingRepository,
    NudgeRepository,
    TenantRepository,
    migrate_sync,
)
from tests.fixtures.db import create_database, drop_database
from tests.fixtures.smtp import StartServer, free_port
from tests.integrations.ics.feedserver import Feed, RunningServer
from tests.workers.conftest import (
    ALWAYS,
    TOKEN,
    TimedHandler,
    calendar,
    event,
    make_team,
    midday_zone,
    wait_for,
    worker_runtime,
)

ANA = "ana@example.com"
ROOT = Path(__file__).resolve().parents[2]
HOUR = timedelta(hours=1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database: an SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'rapport.db'}"
        migrate_sync(url)
        yield url
        return
    server: str = request.getfixturevalue("postgres_url")
    url = asyncio.run(create_database(server, "rapport_e2e"))
    try:
        migrate_sync(url)
        yield url
    finally:
        asyncio.run(drop_database(server, url))


class Serve:
    """`rapport serve` in a subprocess with the given settings."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env, self.port = env, port
        self.process: subprocess.Popen[str] | None = None
        self.stderr = ""

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def launch(self) -> None:
        """Start the process."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(self.port)],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    async def ready(self) -> None:
        """Wait until /healthz answers (at most 30 s)."""
        assert self.process is not None
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient() as client:
            while True:
                assert self.process.poll() is None, self.process.communicate()[1]
                try:
                    if (await client.get(f"{self.base}/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "rapport serve did not come up in 30 s"
                await asyncio.sleep(0.1)

    def terminate(self, timeout_s: float = 40) -> int:
        """SIGTERM, then wait for the exit; returns the exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            _, self.stderr = self.process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, self.stderr = self.process.communicate()
            raise AssertionError("rapport serve did not stop within the grace period") from None
        return self.process.returncode


@asynccontextmanager
async def serving(env: dict[str, str], port: int) -> AsyncIterator[Serve]:
    """Start `rapport serve`; stop it with SIGTERM on the way out (a clean exit expected)."""
    serve = Serve(env, port)
    serve.launch()
    try:
        await serve.ready()
        yield serve
    finally:
        code = serve.terminate()
        assert code == 0, serve.stderr
    assert TOKEN not in serve.stderr  # the secret feed URL is never logged


async def _team(url: str, tmp_path: Path, feeds: RunningServer, policy: dict[str, object]) -> str:
    """Tenant, Ana (in a zone where it is midday), her served feed; returns the keys."""
    keys = new_key()
    db = Database.connect(url)
    try:
        async with db.transaction() as session:
            tenant = await TenantRepository(session).get_or_create("acme", "Acme", ["example.com"])
        rt = worker_runtime(db, MaildirOutbox(tmp_path / "unused"), tmp_path, keys=keys)
        zone = midday_zone(datetime.now(UTC))
        await make_team(rt, tenant.id, feeds, [ANA], timezone=zone, policy=policy)
    finally:
        await db.dispose()
    return keys


def _env(url: str, keys: str, smtp_port: int, web_port: int, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env.update(
        RAPPORT_DATABASE_URL=url, RAPPORT_DATA_DIR=str(tmp_path / "data"),
        RAPPORT_SECRET_KEYS=keys, RAPPORT_BASE_URL=f"http://127.0.0.1:{web_port}",
        RAPPORT_SMTP__HOST="127.0.0.1", RAPPORT_SMTP__PORT=str(smtp_port),
        RAPPORT_SMTP__SECURITY="none", RAPPORT_FETCH__ALLOW_LIST='["127.0.0.1"]',
        RAPPORT_SCHEDULER__SYNC_INTERVAL_S="2", RAPPORT_SCHEDULER__POLL_S="0.5",
        RAPPORT_SCHEDULER__SHUTDOWN_GRACE_S="20", RAPPORT_MAIL__MESSAGE_ID_DOMAIN="example.com",
    )  # fmt: skip
    return env


def _nudge_messages(handler: TimedHandler) -> list[EmailMessage]:
    found = []
    for envelope in handler.envelopes:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if ".nudge." in str(message["Message-ID"]):
            found.append(message)
    return found


async def _nudge_states(url: str) -> dict[str, str]:
    """Each nudge's state by its meeting's UID."""
    now = datetime.now(UTC)
    db = Database.connect(url)
    try:
        async with db.session() as session:
            tenant = await TenantRepository(session).by_slug("acme")
            assert tenant is not None
            meetings = MeetingRepository(session, tenant.id)
            uid = {m.id: m.ical_uid async for m in meetings.iter_upcoming(now - HOUR, now + HOUR)}
            nudges = await NudgeRepository(session, tenant.id).for_meetings(uid)
    finally:
        await db.dispose()
    return {uid[n.meeting_id]: n.state for n in nudges}


async def test_serve_nudges_at_lead_time_follows_a_move_and_stops_after_unsubscribe(
    fresh_url: str, tmp_path: Path, feeds: RunningServer, smtp_server: StartServer
) -> None:
    handler = TimedHandler()
    smtp_port = smtp_server(handler)
    keys = await _team(fresh_url, tmp_path, feeds, ALWAYS)
    t0 = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    # Lead time one minute: "first" is due at t0 + 8 s, "second" at t0 + 26 s.
    first, second = t0 + timedelta(seconds=68), t0 + timedelta(seconds=86)
    feeds.app.feeds["ana"] = Feed(calendar(ANA, event("first@x", first), event("second@x", second)))
    port = free_port()
    async with serving(_env(fresh_url, keys, smtp_port, port, tmp_path), port) as serve:
        await wait_for(lambda: len(feeds.app.requests) >= 1, 20, "the first sync")
        # The calendar moves the first meeting 6 s later: its nudge must move with it.
        moved = first + timedelta(seconds=6)
        feeds.app.feeds["ana"] = Feed(
            calendar(ANA, event("first@x", moved), event("second@x", second))
        )
        await wait_for(lambda: bool(handler.nudges()), 40, "the first nudge")
        arrived = handler.nudges()[0][0] - (moved - timedelta(minutes=1)).timestamp()
        assert -0.5 <= arrived <= 5, f"the nudge came {arrived:+.1f} s from its due time"
        (message,) = _nudge_messages(handler)
        assert message["To"] == ANA
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsubscribe = str(message["List-Unsubscribe"]).strip("<>")
        assert unsubscribe.startswith(serve.base)
        async with httpx.AsyncClient() as client:
            answer = await client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
        assert answer.status_code == 200
        # Past the second meeting's due time: nothing more comes.
        await asyncio.sleep(max((second - timedelta(seconds=56)).timestamp() - time.time(), 0))
    assert len(handler.nudges()) == 1
    assert await _nudge_states(fresh_url) == {"first@x": "sent", "second@x": "cancelled"}


async def test_serve_sigterm_mid_round_loses_and_duplicates_nothing(
    fresh_url: str, tmp_path: Path, feeds: RunningServer, smtp_server: StartServer
) -> None:
    handler = TimedHandler(delay_s=0.3)  # a slow relay: the round takes seconds
    smtp_port = smtp_server(handler)
    keys = await _team(fresh_url, tmp_path, feeds, {**ALWAYS, "lead_minutes": 10})
    t0 = datetime.now(UTC).replace(microsecond=0)
    # Twelve meetings three minutes ahead, lead ten minutes: every nudge is due at once.
    feeds.app.feeds["ana"] = Feed(
        calendar(ANA, *(event(f"m{i}@x", t0 + timedelta(minutes=3, seconds=i)) for i in range(12)))
    )
    port = free_port()
    env = _env(fresh_url, keys, smtp_port, port, tmp_path)
    async with serving(env, port):
        await wait_for(lambda: len(handler.nudges()) >= 3, 30, "the first sends")
        # leaving the block sends SIGTERM in the middle of the round
    first_round = len(handler.nudges())
    states = Counter((await _nudge_states(fresh_url)).values())
    assert first_round < 12
    assert states == {"sent": first_round, "planned": 12 - first_round}
    async with serving(env, port):
        await wait_for(lambda: len(handler.nudges()) >= 12, 30, "the rest after a restart")
        await asyncio.sleep(1)
    ids = handler.nudge_ids()
    assert len(ids) == 12
    assert len(set(ids)) == 12
    assert Counter((await _nudge_states(fresh_url)).values()) == {"sent": 12}
