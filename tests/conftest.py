"""Shared pytest configuration."""

from __future__ import annotations

pytest_plugins = ["tests.fixtures.services", "tests.fixtures.db", "tests.fixtures.smtp"]
