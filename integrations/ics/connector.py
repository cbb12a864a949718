"""The iCalendar connector: fetch a feed, expand it over the window, yield pages of meetings."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

import structlog

from integrations.ics.expand import iter_feed
from integrations.ics.fetch import FetchPolicy, fetch_feed
from integrations.ics.isolate import expand_in_child
from integrations.ics.normalise import InvalidFeed
from integrations.ics.props import zone
from service.domain.model import Meeting
from service.domain.port import (
    CalendarRef,
    Feature,
    ProviderUnavailable,
    PullPage,
    SkippedEvent,
    SyncWindow,
)

log = structlog.get_logger(__name__)
PAGE_SIZE = 500
PARSE_TIMEOUT_S = 60.0
# One feed is parsed at a time: the GIL serialises the work anyway, and the parser's
# warnings.catch_warnings() is not safe when two threads enter it at once.
_PARSE_LOCK = threading.Lock()


def _take(items: Iterator[Meeting | SkippedEvent], count: int) -> list[Meeting | SkippedEvent]:
    with _PARSE_LOCK:
        return list(itertools.islice(items, count))


@dataclass(frozen=True, slots=True)
class IcsCursor:
    """What we remember about a feed between pulls: validators, the body's hash, and the
    span the last full sync expanded recurrences over (`window_start`/`window_end`, ISO 8601)."""

    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
    window_start: str | None = None
    window_end: str | None = None

    def covers(self, window: SyncWindow) -> bool:
        """True when the last full sync expanded over at least all of `window`."""
        if self.window_start is None or self.window_end is None:
            return False
        try:
            start = datetime.fromisoformat(self.window_start)
            end = datetime.fromisoformat(self.window_end)
            return start <= window.start and window.end <= end
        except (ValueError, TypeError):
            return False

    @classmethod
    def parse(cls, text: str | None) -> IcsCursor:
        """Read a cursor; a missing or unreadable one means start afresh."""
        if not text:
            return cls()
        try:
            raw = json.loads(text)
        except ValueError:
            return cls()
        if not isinstance(raw, dict):
            return cls()

        def pick(key: str) -> str | None:
            value = raw.get(key)
            return value if isinstance(value, str) and value else None

        return cls(
            pick("etag"),
            pick("last_modified"),
            pick("sha256"),
            pick("window_start"),
            pick("window_end"),
        )

    def dump(self) -> str:
        """The cursor as the JSON string stored with the calendar."""
        fields = {
            "etag": self.etag,
            "last_modified": self.last_modified,
            "sha256": self.sha256,
            "window_start": self.window_start,
            "window_end": self.window_end,
        }
        return json.dumps(fields, sort_keys=True)


class IcsConnector:
    """Pull an iCalendar feed (URL or, when allowed, a file) as full-sync pages of meetings."""

    provider: ClassVar[str] = "ics"
    features: ClassVar[Feature] = Feature.NONE

    def __init__(
        self,
        policy: FetchPolicy,
        page_size: int = PAGE_SIZE,
        parse_timeout_s: float | None = PARSE_TIMEOUT_S,
    ) -> None:
        """Keep the fetch policy and limits (passed in: integrations never read settings).

        `parse_timeout_s`: read each feed in a child process killed after that long (hostile
        recurrence rules can burn minutes of CPU); None reads it in a thread of this process.
        """
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        if parse_timeout_s is not None and parse_timeout_s <= 0:
            raise ValueError("parse_timeout_s must be positive (or None)")
        self.policy = policy
        self.page_size = page_size
        self.parse_timeout_s = parse_timeout_s

    async def pull(
        self, calendar: CalendarRef, cursor: str | None, window: SyncWindow
    ) -> AsyncIterator[PullPage]:
        """Yield the feed's meetings in `window`; one not_modified page when nothing changed."""
        previous = IcsCursor.parse(cursor)
        # An unchanged feed still has new instances when the window reaches further than the
        # last expansion did: only then may "not modified" skip the work.
        may_skip = previous.covers(window)
        fetched = await fetch_feed(
            calendar.source,
            etag=previous.etag if may_skip else None,
            last_modified=previous.last_modified if may_skip else None,
            policy=self.policy,
        )
        if fetched.body is None:
            log.info("ics.not_modified", calendar_id=calendar.calendar_id, reason="http_304")
            yield PullPage(cursor=cursor, last=True, not_modified=True)
            return
        digest = hashlib.sha256(fetched.body).hexdigest()
        if may_skip and digest == previous.sha256:
            kept = IcsCursor(
                fetched.etag,
                fetched.last_modified,
                digest,
                previous.window_start,
                previous.window_end,
            )
            log.info("ics.not_modified", calendar_id=calendar.calendar_id, reason="same_body")
            yield PullPage(cursor=kept.dump(), last=True, not_modified=True)
            return
        new_cursor = IcsCursor(
            fetched.etag,
            fetched.last_modified,
            digest,
            window.start.isoformat(),
            window.end.isoformat(),
        ).dump()
        page = PullPage()
        count = 0
        async for chunk in self._read(fetched.body, calendar, window):
            for item in chunk:
                if isinstance(item, SkippedEvent):
                    self._log_skip(calendar, item)
                    page.skipped.append(item)
                    continue
                if len(page.meetings) >= self.page_size:
                    yield page
                    page = PullPage()
                page.meetings.append(item)
                count += 1
        page.cursor = new_cursor
        page.last = True
        log.info("ics.pulled", calendar_id=calendar.calendar_id, meetings=count)
        yield page

    async def _read(
        self, body: bytes, calendar: CalendarRef, window: SyncWindow
    ) -> AsyncIterator[list[Meeting | SkippedEvent]]:
        """The feed's items in chunks, read off the event loop (big feeds take CPU seconds)."""
        zone_name = self._zone(calendar)
        try:
            if self.parse_timeout_s is not None:
                yield await expand_in_child(
                    body, calendar.owner, window, zone_name, timeout_s=self.parse_timeout_s
                )
                return
            items = iter_feed(body, calendar.owner, window, zone_name)
            while chunk := await asyncio.to_thread(_take, items, self.page_size):
                yield chunk
        except InvalidFeed as exc:
            # Not iCalendar (an error or login page, a truncated body): never a sync that
            # empties the calendar; retried later like any other transient failure.
            raise ProviderUnavailable(f"the calendar source is not iCalendar: {exc}") from exc

    @staticmethod
    def _zone(calendar: CalendarRef) -> str:
        if zone(calendar.default_timezone) is None:
            log.warning(
                "ics.bad_default_timezone",
                calendar_id=calendar.calendar_id,
                timezone=calendar.default_timezone,
            )
            return "UTC"
        return calendar.default_timezone

    @staticmethod
    def _log_skip(calendar: CalendarRef, item: SkippedEvent) -> None:
        log.warning(
            "ics.event_skipped",
            calendar_id=calendar.calendar_id,
            source_id=item.source_id,
            reason=item.reason,
        )
