"""The connector port: what every calendar connector implements, and the errors it raises.

Errors, as a tree::

    ConnectorError
    ├── AuthRevoked          credentials no longer work: a person or admin must act
    ├── RateLimited          slow down; retry after `retry_after` seconds
    ├── CursorExpired        the sync cursor is gone (410 Gone): resync fully
    ├── ProviderUnavailable  transient failure (5xx, network): retry with backoff
    ├── FetchRefused         the source may not be fetched (SSRF rules, size, scheme)
    └── MalformedEvent       one event could not be read (connectors report it as a
                             `SkippedEvent` and go on; none raises this today)
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Protocol

from service.domain.model import Meeting


class Feature(enum.Flag):
    """Optional capabilities a connector declares."""

    NONE = 0
    INCREMENTAL = enum.auto()
    PUSH = enum.auto()
    BATCH = enum.auto()


@dataclass(frozen=True, slots=True)
class CalendarRef:
    """Which calendar to pull: whose it is and where it lives (URL, path or provider id)."""

    owner: str
    source: str
    calendar_id: str | None = None
    default_timezone: str = "UTC"


@dataclass(frozen=True, slots=True)
class SyncWindow:
    """The span of time a full sync covers (connectors expand recurrences inside it)."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class RemovedEvent:
    """An event the provider says is gone (deleted or no longer visible)."""

    uid: str
    original_start: datetime | None = None
    source_id: str | None = None


@dataclass(frozen=True, slots=True)
class SkippedEvent:
    """An event that could not be read, with a reason a person can act on."""

    source_id: str | None
    reason: str


@dataclass(slots=True)
class PullPage:
    """One page of changes from a calendar.

    `full_sync` marks a page of a full (not incremental) sync: when the last page of a full sync
    arrives, meetings of this calendar in the window that no page mentioned are gone.
    `cursor` is set on the last page only; None on earlier pages.
    `warnings` (last page only): what the connector left out to stay within its budget (a feed
    over budget keeps what fits), in words, for the caller to record on the connection.
    """

    meetings: list[Meeting] = field(default_factory=list)
    removed: list[RemovedEvent] = field(default_factory=list)
    skipped: list[SkippedEvent] = field(default_factory=list)
    cursor: str | None = None
    last: bool = False
    full_sync: bool = True
    not_modified: bool = False
    warnings: tuple[str, ...] = ()


class Connector(Protocol):
    """A calendar connector: pull changes since a cursor as pages of normalised meetings."""

    provider: ClassVar[str]
    features: ClassVar[Feature]

    def pull(
        self, calendar: CalendarRef, cursor: str | None, window: SyncWindow
    ) -> AsyncIterator[PullPage]:
        """Yield pages of changes since `cursor` (None: full sync over `window`)."""
        ...


class ConnectorError(Exception):
    """Base of every error a connector raises."""


class AuthRevoked(ConnectorError):
    """The credentials no longer work; a person or admin must act."""


class RateLimited(ConnectorError):
    """The provider asks us to slow down."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CursorExpired(ConnectorError):
    """The sync cursor is no longer valid: drop it and sync fully."""


class ProviderUnavailable(ConnectorError):
    """A transient failure: retry with backoff."""


class FetchRefused(ConnectorError):
    """The source may not be fetched: a disallowed address, scheme, size or time."""


class MalformedEvent(ConnectorError):
    """One event could not be read.

    Connectors do not raise it for a single bad event: they yield a `SkippedEvent` with the
    reason and carry on with the batch. It is kept for a connector that cannot go on.
    """
