"""Logging: one JSON line per event, and no value longer than the cap (a feed's 5 MB error)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
import structlog

from service.logs import MAX_VALUE_CHARS, configure_logging, logging_to


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("info", stream)
    try:
        yield stream
    finally:
        structlog.reset_defaults()


def test_log_long_values_are_capped(lines: io.StringIO) -> None:
    huge = "x" * 5_000_000
    structlog.get_logger("t").warning(
        "sync.failed", error=huge, nested={"detail": [huge]}, connection_id=7
    )
    (line,) = lines.getvalue().splitlines()
    assert len(line) < 4 * MAX_VALUE_CHARS
    event = json.loads(line)
    assert event["connection_id"] == 7
    assert event["error"].startswith("x" * 100)
    assert len(event["error"]) <= MAX_VALUE_CHARS + 40
    assert "more characters" in event["error"]
    assert len(event["nested"]["detail"][0]) <= MAX_VALUE_CHARS + 40


def test_log_short_values_unchanged(lines: io.StringIO) -> None:
    structlog.get_logger("t").info("sync.done", meetings=3, error="short")
    event = json.loads(lines.getvalue())
    assert (event["event"], event["meetings"], event["error"]) == ("sync.done", 3, "short")


def test_logging_to_closed_file_restores_previous_destination() -> None:
    outer = io.StringIO()
    configure_logging("info", outer)
    log = structlog.get_logger("test")
    inner = io.StringIO()
    with logging_to("info", inner):
        log.info("inside.block", n=1)
    inner.close()
    log.info("after.block", n=2)  # raised "I/O operation on closed file" before
    assert [json.loads(line)["event"] for line in outer.getvalue().splitlines()] == ["after.block"]
