"""Fixtures for the iCalendar connector tests: a real feed server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integrations.ics.feedserver import RunningServer, run_server
from tests.integrations.ics.tlscerts import TlsFiles, make_tls_files


@pytest.fixture(scope="session")
def feed_server() -> Iterator[RunningServer]:
    """A uvicorn server on 127.0.0.1 serving test feeds (shared by the session)."""
    yield from run_server()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A test CA and a certificate for the host name calendar.test."""
    return make_tls_files(tmp_path_factory.mktemp("tls"), "calendar.test")


@pytest.fixture(scope="session")
def tls_server(tls_files: TlsFiles) -> Iterator[RunningServer]:
    """An HTTPS feed server on 127.0.0.1 presenting the calendar.test certificate."""
    yield from run_server(str(tls_files.server_cert), str(tls_files.server_key))
