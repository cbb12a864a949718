"""Fixtures for the iCalendar connector tests: a real feed server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integrations.ics.feedserver import RunningServer, run_server


@pytest.fixture(scope="session")
def feed_server() -> Iterator[RunningServer]:
    """A uvicorn server on 127.0.0.1 serving test feeds (shared by the session)."""
    yield from run_server()
