"""End to end: `rapport demo` as a user runs it, on SQLite (the default) and on PostgreSQL."""

from __future__ import annotations

import asyncio
import email
import email.policy
import mailbox
import os
import subprocess
import sys
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from service.sample import load_sample
from tests.fixtures.db import create_database, drop_database

NOW = "2026-11-24T07:00"  # a Tuesday morning: the coming working day is today
KINDS = {"camera_on", "switch_to_video", "social_minute", "one_on_one"}
SAMPLE_NOW = datetime.fromisoformat(NOW + "+00:00")
NASTY_TITLE = 'Q1 plan <b>&</b> "budget"'


def _run_demo(data_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env["COLUMNS"] = "120"
    return subprocess.run(
        [sys.executable, "-m", "service.cli", "demo", "--data-dir", str(data_dir), "--now", NOW,
         *extra],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip


def _messages(data_dir: Path) -> list[EmailMessage]:
    box = mailbox.Maildir(data_dir / "outbox", create=False)
    parsed = []
    for key in sorted(box.keys()):
        message = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        parsed.append(message)
    return parsed


def _html(message: EmailMessage) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no HTML part")


async def _counts(url: str) -> dict[str, int]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return {
                table: int(
                    (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
                )
                for table in ("meetings", "participations", "nudges", "reports", "people")
            }
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def sqlite_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The demo run twice in one data dir; yields the dir and both runs' stdout+stderr."""
    data_dir = tmp_path_factory.mktemp("demo")
    outputs = []
    for _ in range(2):
        run = _run_demo(data_dir)
        assert run.returncode == 0, run.stderr
        outputs.append(run.stdout + run.stderr)
    return data_dir, outputs


async def _sent_nudges(url: str) -> list[tuple[str, str]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT kind, message_id FROM nudges WHERE state = 'sent'")
            )
            return [(str(kind), str(message_id)) for kind, message_id in rows]
    finally:
        await engine.dispose()


def test_run_demo_sqlite_delivers_every_nudge_kind(sqlite_demo: tuple[Path, list[str]]) -> None:
    data_dir, _ = sqlite_demo
    sent = asyncio.run(_sent_nudges(f"sqlite+aiosqlite:///{data_dir / 'rapport.db'}"))
    assert {kind for kind, _ in sent} == KINDS
    by_id = {str(m["Message-ID"]): m for m in _messages(data_dir)}
    for _kind, message_id in sent:
        message = by_id[message_id]
        assert str(message["List-Unsubscribe"]).startswith("<http")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "unsubscribe" in _html(message).lower()


def test_run_demo_sqlite_writes_reports_for_people_not_opted_out(
    sqlite_demo: tuple[Path, list[str]],
) -> None:
    data_dir, outputs = sqlite_demo
    sample = load_sample(SAMPLE_NOW)
    opted_out = {p.email for p in sample.people if p.opted_out}
    reports = sorted((data_dir / "reports").glob("tenant-*/*.html"))
    assert len(reports) == len(sample.people) - len(opted_out)
    recipients = {str(m["To"]) for m in _messages(data_dir)}
    assert not recipients & opted_out, "an opted-out person was emailed"
    report_mail = [m for m in _messages(data_dir) if ".report." in str(m["Message-ID"])]
    assert len(report_mail) == len(reports)
    assert "lapsed relationships found" in outputs[0]
    assert any("Catch-up" in _html(m) or "catch-up" in _html(m) for m in report_mail)


def test_run_demo_sqlite_escapes_meeting_titles(sqlite_demo: tuple[Path, list[str]]) -> None:
    data_dir, _ = sqlite_demo
    for message in _messages(data_dir):
        html = _html(message)
        assert NASTY_TITLE not in html
        assert "<b>&</b>" not in html
        assert "\n" not in str(message["Subject"])


def test_run_demo_twice_changes_nothing(sqlite_demo: tuple[Path, list[str]]) -> None:
    data_dir, _ = sqlite_demo
    first_count = len(_messages(data_dir))
    run = _run_demo(data_dir)
    assert run.returncode == 0, run.stderr
    assert len(_messages(data_dir)) == first_count
    assert "new in this run" in run.stdout + run.stderr
    counts = asyncio.run(_counts(f"sqlite+aiosqlite:///{data_dir / 'rapport.db'}"))
    assert counts["people"] == len(load_sample(SAMPLE_NOW).people)
    assert counts["reports"] == len(list((data_dir / "reports").glob("tenant-*/*.html")))


@pytest.mark.postgres
def test_run_demo_postgresql_same_result_as_sqlite(
    postgres_url: str, sqlite_demo: tuple[Path, list[str]], tmp_path: Path
) -> None:
    url = asyncio.run(create_database(postgres_url, "rapport_demo"))
    # The test server trusts local connections, so any password works; none may be printed.
    with_password = make_url(url).set(password="demo-secret-pw").render_as_string(False)
    try:
        for _ in range(2):
            run = _run_demo(tmp_path, "--database-url", with_password)
            assert run.returncode == 0, run.stderr
            assert "demo-secret-pw" not in run.stdout + run.stderr
        sqlite_dir, _ = sqlite_demo
        on_pg = asyncio.run(_counts(url))
        on_sqlite = asyncio.run(_counts(f"sqlite+aiosqlite:///{sqlite_dir / 'rapport.db'}"))
        assert on_pg == on_sqlite
        assert len(_messages(tmp_path)) == len(_messages(sqlite_dir))
    finally:
        asyncio.run(drop_database(postgres_url, url))
