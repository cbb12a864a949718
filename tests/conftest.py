"""Shared pytest configuration."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog

pytest_plugins = ["tests.fixtures.services", "tests.fixtures.db", "tests.fixtures.smtp"]


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """Each test starts from, and leaves behind, structlog's own defaults."""
    yield
    structlog.reset_defaults()
