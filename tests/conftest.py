"""Shared pytest configuration."""

pytest_plugins = ["tests.fixtures.services", "tests.fixtures.db"]
