"""The `rapport` command as a user runs it: settings errors, migrate, the commands not yet here."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


def _rapport(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        capture_output=True, text=True, env=clean, cwd=cwd, timeout=300, check=False,
    )  # fmt: skip


def test_run_cli_wrong_setting_names_variable(tmp_path: Path) -> None:
    run = _rapport("migrate", env={"RAPPORT_SMTP__PORT": "not-a-port"}, cwd=tmp_path)
    assert run.returncode == 2
    assert "RAPPORT_SMTP__PORT" in run.stderr


def test_run_cli_migrate_creates_schema(tmp_path: Path) -> None:
    database = tmp_path / "rapport.db"
    run = _rapport("migrate", env={"RAPPORT_DATABASE_URL": f"sqlite:///{database}"}, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"tenants", "people", "meetings", "participations", "nudges", "policies"} <= tables


def test_run_cli_demo_bad_now_is_clear(tmp_path: Path) -> None:
    run = _rapport("demo", "--data-dir", str(tmp_path), "--now", "next tuesday")
    assert run.returncode == 2
    assert "ISO 8601" in run.stderr


def test_run_cli_worker_says_not_yet() -> None:
    run = _rapport("worker")
    assert run.returncode == 1
    assert "not yet" in run.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("people", "import"), "Missing argument"),
        (("admin", "tenants", "--bogus"), "No such option: --bogus"),
        (("nosuch",), "No such command 'nosuch'"),
        (("meetings",), "Missing option '--tenant'"),
    ],
)
def test_run_cli_usage_error_is_one_line_exit_2(
    tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    run = _rapport(*args, cwd=tmp_path)
    assert run.returncode == 2
    assert expected in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "Traceback" not in run.stderr


def test_run_cli_without_arguments_shows_help(tmp_path: Path) -> None:
    run = _rapport(cwd=tmp_path)
    assert run.returncode == 2
    assert "Usage:" in run.stdout + run.stderr
