"""`rapport sync` and `rapport tick` as an operator runs them, against loopback feeds and SMTP."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from service.email import MaildirOutbox
from service.secrets import new_key
from service.storage import Database, TenantRepository
from tests.fixtures.smtp import Handler
from tests.integrations.ics.feedserver import Feed, RunningServer, run_server
from tests.workers.conftest import NOW, TOKEN, calendar, event, make_team, worker_runtime

ANA, BEN = "ana@example.com", "ben@example.com"


def _rapport(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    clean.update(env, COLUMNS="120")
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        capture_output=True, text=True, env=clean, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture
def feeds() -> Iterator[RunningServer]:
    """A real HTTP server on loopback serving the feeds."""
    yield from run_server()


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated SQLite file of this test."""
    path = tmp_path / "rapport.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def team_env(
    sqlite_url: str, tmp_path: Path, feeds: RunningServer, smtp: tuple[Handler, int]
) -> dict[str, str]:
    """Tenant `acme` with Ana and Ben, each with a served feed; the settings that reach them."""
    keys = new_key()
    db = Database.connect(sqlite_url)
    try:
        async with db.transaction() as session:
            tenant = await TenantRepository(session).get_or_create("acme", "Acme", ["example.com"])
        rt = worker_runtime(db, MaildirOutbox(tmp_path / "out"), tmp_path, keys=keys)
        feeds.app.feeds["ana"] = Feed(calendar(ANA, event("m1@x", NOW + timedelta(minutes=30))))
        await make_team(rt, tenant.id, feeds, [ANA, BEN])
    finally:
        await db.dispose()
    return {
        "RAPPORT_DATABASE_URL": sqlite_url,
        "RAPPORT_DATA_DIR": str(tmp_path / "data"),
        "RAPPORT_SECRET_KEYS": keys,
        "RAPPORT_FETCH__ALLOW_LIST": '["127.0.0.1"]',
        "RAPPORT_SMTP__HOST": "127.0.0.1",
        "RAPPORT_SMTP__PORT": str(smtp[1]),
        "RAPPORT_SMTP__SECURITY": "none",
    }


def test_run_sync_every_connection_ok_exits_0(team_env: dict[str, str]) -> None:
    run = _rapport(team_env, "sync", "--tenant", "Acme")
    assert run.returncode == 0, run.stderr
    assert "connections" in run.stderr
    assert "needs attention:" not in run.stderr
    assert TOKEN not in run.stdout + run.stderr


def test_run_sync_failing_connection_exits_1_with_its_message(
    team_env: dict[str, str], feeds: RunningServer
) -> None:
    del feeds.app.feeds["ben"]
    run = _rapport(team_env, "sync", "--tenant", "acme")
    assert run.returncode == 1, run.stderr
    attention = [line for line in run.stderr.splitlines() if "needs attention:" in line]
    assert len(attention) == 1
    assert BEN in attention[0]
    assert "404" in attention[0]
    assert TOKEN not in run.stdout + run.stderr


def test_run_sync_unknown_tenant_exits_2_in_one_line(team_env: dict[str, str]) -> None:
    run = _rapport(team_env, "sync", "--tenant", "nobody")
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0
    assert "nobody" in run.stderr


def test_run_tick_bad_now_exits_2(team_env: dict[str, str]) -> None:
    run = _rapport(team_env, "tick", "--now", "next tuesday")
    assert run.returncode == 2
    assert "ISO 8601" in run.stderr


def test_run_tick_steps_through_time(team_env: dict[str, str], smtp: tuple[Handler, int]) -> None:
    handler, _ = smtp
    first = _rapport(team_env, "tick", "--now", NOW.isoformat())
    assert first.returncode == 0, first.stderr
    reports = len(handler.envelopes)  # last week's reports are due on a Tuesday
    due = (NOW + timedelta(minutes=29)).isoformat()
    second = _rapport(team_env, "tick", "--tenant", "acme", "--now", due)
    assert second.returncode == 0, second.stderr
    assert len(handler.envelopes) == reports + 1
    assert handler.envelopes[-1].rcpt_tos == [ANA]
    again = _rapport(team_env, "tick", "--now", due)
    assert again.returncode == 0, again.stderr
    assert len(handler.envelopes) == reports + 1
