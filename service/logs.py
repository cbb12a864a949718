"""Structured logging setup (structlog): dotted event names with ids, JSON lines or console.

Every string value is capped at `MAX_VALUE_CHARS` (nested in lists and dicts too): an error
message can carry a feed's text, megabytes of it, and must not be written in full on every sync.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, TextIO

import structlog

MAX_VALUE_CHARS = 1_000

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def _capped(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        if len(value) <= MAX_VALUE_CHARS:
            return value
        return f"{value[:MAX_VALUE_CHARS]}… ({len(value) - MAX_VALUE_CHARS} more characters)"
    if depth >= 3:
        return value
    if isinstance(value, dict):
        return {key: _capped(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_capped(item, depth + 1) for item in value]
    return value


def cap_values(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> Any:
    """A structlog processor: every string value cut to `MAX_VALUE_CHARS` characters."""
    return {key: _capped(value) for key, value in event.items()}


def configure_logging(level: str, stream: TextIO, *, json: bool = True) -> None:
    """Send structlog events at or above `level` to `stream` (JSON lines by default)."""
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            cap_values,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(LEVELS.get(level, logging.INFO)),
        logger_factory=structlog.WriteLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )


@contextmanager
def logging_to(level: str, stream: TextIO, *, json: bool = True) -> Iterator[None]:
    """Log to `stream` inside the block, then put the previous configuration back.

    A command that logs to a file it opened must not leave logging pointed at the closed file:
    whatever runs next in the process (a test, another command) would fail to log.
    """
    previous = structlog.get_config()
    configure_logging(level, stream, json=json)
    try:
        yield
    finally:
        structlog.configure(**previous)
