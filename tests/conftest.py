"""Shared pytest configuration."""

from __future__ import annotations

import os

import pytest

from service.build_info import build_state

pytest_plugins = ["tests.fixtures.services", "tests.fixtures.db", "tests.fixtures.smtp"]


def pytest_report_header() -> str:
    """Say which build the suite runs on: pure Python or the mypyc-compiled hot path."""
    return f"rapport build: {build_state().describe()}"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse a stale compiled build, and a build other than the one CI asked for."""
    state = build_state()
    if state.stale:
        pytest.exit(state.describe(), returncode=3)
    expected = os.environ.get("RAPPORT_EXPECT_BUILD")
    if expected and state.label != expected:
        pytest.exit(
            f"RAPPORT_EXPECT_BUILD={expected} but the build is {state.describe()}", returncode=3
        )
