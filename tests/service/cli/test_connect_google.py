"""`rapport connect google`, then `sync`, `people`, `meetings`, `connections`, as an operator
runs them, against the Google emulator on loopback (`--api-url`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.emulators.google.fixtures import ADMIN, ANA, BEN, CAT, meeting, weekly, workspace
from tests.emulators.google.keys import session_key
from tests.emulators.google.server import running_emulator
from tests.emulators.google.state import GoogleEmulator
from tests.fixtures.operator_cli import Operator

# Meetings around the real time: the CLI reads the window around now.
SOON = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)


@pytest.fixture
def google() -> Iterator[GoogleEmulator]:
    emulator = workspace()
    emulator.put_event(ANA, meeting("soon1", SOON))
    emulator.put_event(ANA, weekly("soonweekly", SOON - timedelta(days=14), 6))
    with running_emulator(emulator):
        yield emulator


def _operator(tmp_path: Path, url: str) -> tuple[Operator, Path]:
    rapport = Operator(tmp_path / "data")
    rapport.ok("admin", "create-tenant", "Acme")
    key = tmp_path / "sa.json"  # the operator's downloaded key file
    key.write_text(json.dumps(session_key().info(f"{url}/token")), encoding="utf-8")
    return rapport, key


def _connect(rapport: Operator, key: Path, url: str, *extra: str) -> list[str]:
    return [
        "connect", "google", "--tenant", "acme", "--key-file", str(key),
        "--admin-email", ADMIN, "--api-url", url, *extra,
    ]  # fmt: skip


def test_connect_google_then_sync_people_meetings_connections(
    tmp_path: Path, google: GoogleEmulator
) -> None:
    rapport, key = _operator(tmp_path, google.base_url)
    (shown,) = rapport.ok(*_connect(rapport, key, google.base_url))
    assert shown["status"] == "ok"
    assert shown["client_id"] == session_key().info("x")["client_id"]
    assert "https://www.googleapis.com/auth/calendar.events.readonly" in shown["scopes"]  # type: ignore[operator]
    sync = rapport("sync", "--tenant", "acme")
    assert sync.exit_code == 0, sync.stderr
    assert "Google directory: 4 people (4 new" in sync.stderr
    assert "poll only" in sync.stderr  # no public https base URL here
    people = {p["email"]: p for p in rapport.ok("people", "--tenant", "acme")}
    assert set(people) == {ADMIN, ANA, BEN, CAT}
    assert people[ANA]["manager"] == BEN
    assert people[CAT]["aliases"] == ["catherine@example.com"]
    assert people[BEN]["time_zone"] == "Europe/Berlin"
    meetings = rapport.ok("meetings", "--tenant", "acme", "--person", ANA)
    assert "soon1@google.com" in {m["ical_uid"] for m in meetings}
    lines = rapport.ok("connections", "--tenant", "acme")
    directory = [line for line in lines if line.get("kind") == "directory"]
    [daily] = [line for line in lines if line.get("kind") == "daily_requests"]
    calendars = [line for line in lines if line.get("id") is not None]
    assert directory[0]["status"] == "ok"
    assert daily["status"] == "ok"
    assert str(daily["message"]).endswith("of 900000 Google requests today")
    assert {c["person"] for c in calendars} == {ADMIN, ANA, BEN, CAT}
    assert all(c["status"] == "ok" for c in calendars)
    assert all(str(c["push"]).startswith("poll only") for c in calendars)
    private_key = session_key().private_pem.splitlines()[1]
    assert private_key not in rapport.log()
    assert private_key not in sync.stdout + sync.stderr


def test_connections_google_daily_limit_reached_says_polling_paused(
    tmp_path: Path, google: GoogleEmulator
) -> None:
    rapport, key = _operator(tmp_path, google.base_url)
    rapport.env["RAPPORT_GOOGLE__DAILY_REQUEST_LIMIT"] = "5"
    rapport.ok(*_connect(rapport, key, google.base_url))
    assert rapport("sync", "--tenant", "acme").exit_code == 0  # an explicit sync still runs
    lines = rapport.ok("connections", "--tenant", "acme")
    [daily] = [line for line in lines if line.get("kind") == "daily_requests"]
    assert daily["status"] == "paused"
    assert "polling paused until" in str(daily["message"])
    assert "push notifications still sync" in str(daily["message"])


def test_connections_google_refused_calendar_reprobed_and_cleared_by_sync(
    tmp_path: Path, google: GoogleEmulator
) -> None:
    rapport, key = _operator(tmp_path, google.base_url)
    rapport.ok(*_connect(rapport, key, google.base_url))
    google.fail("token", 400, "invalid_grant", message="Invalid email", subject=CAT, times=50)
    assert rapport("sync", "--tenant", "acme").exit_code == 1
    lines = {line["person"]: line for line in rapport.ok("connections", "--tenant", "acme")}
    assert (lines[CAT]["status"], lines[CAT]["reprobe"]) == ("auth_revoked", "not tried yet")
    assert "reprobe" not in lines[ANA]
    google.faults.clear()  # the admin fixed it: the next sync re-probes Cat, then syncs her
    sync = rapport("sync", "--tenant", "acme")
    assert sync.exit_code == 0, sync.stderr
    lines = {line["person"]: line for line in rapport.ok("connections", "--tenant", "acme")}
    assert lines[CAT]["status"] == "ok"


def test_connect_google_delegation_missing_is_stored_and_said(
    tmp_path: Path, google: GoogleEmulator
) -> None:
    google.delegation = False
    rapport, key = _operator(tmp_path, google.base_url)
    result = rapport(*_connect(rapport, key, google.base_url))
    assert result.exit_code == 1
    (shown,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert shown["status"] == "needs_attention"
    assert "unauthorized_client" in str(shown["message"])
    sync = rapport("sync", "--tenant", "acme")
    assert sync.exit_code == 1
    assert "needs attention: Google directory" in sync.stderr


def test_connect_google_refuses_plain_http_off_loopback(
    tmp_path: Path, google: GoogleEmulator
) -> None:
    rapport, key = _operator(tmp_path, google.base_url)
    line = rapport.fails(*_connect(rapport, key, "http://googleapis.example.com"))
    assert "plain http only on a loopback address" in line


def test_connect_google_refuses_a_file_that_is_not_a_key(
    tmp_path: Path, google: GoogleEmulator
) -> None:
    rapport, _ = _operator(tmp_path, google.base_url)
    other = tmp_path / "other.json"
    other.write_text('{"type": "authorized_user"}', encoding="utf-8")
    line = rapport.fails(*_connect(rapport, other, google.base_url))
    assert "not a service account key" in line
