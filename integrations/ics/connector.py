"""The iCalendar connector: fetch a feed, expand it over the window, yield pages of meetings.

Every failure comes out as a connector error with a bounded message (`errors`); a feed over
its budget keeps what fits and says what it left out in the last page's `warnings`.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import AsyncIterator, Iterator
from typing import ClassVar

import structlog

from integrations.ics.budget import DEFAULT_BUDGET, FeedBudget
from integrations.ics.cursor import IcsCursor
from integrations.ics.errors import bounded, clip, unexpected
from integrations.ics.expand import ParsedFeed, expand_feed
from integrations.ics.fetch import FetchPolicy, FetchResult, fetch_feed
from integrations.ics.isolate import expand_in_child
from integrations.ics.normalise import InvalidFeed
from integrations.ics.props import zone
from service.domain.port import (
    CalendarRef,
    ConnectorError,
    Feature,
    ProviderUnavailable,
    PullPage,
    SkippedEvent,
    SyncWindow,
)

__all__ = ["IcsConnector", "IcsCursor"]

log = structlog.get_logger(__name__)
PAGE_SIZE = 500
PARSE_TIMEOUT_S = 60.0
# One feed is parsed at a time: the GIL serialises the work anyway, icalendar's time zone
# cache is process-wide, and warnings.catch_warnings() is not safe in two threads at once.
_PARSE_LOCK = threading.Lock()


class IcsConnector:
    """Pull an iCalendar feed (URL or, when allowed, a file) as full-sync pages of meetings."""

    provider: ClassVar[str] = "ics"
    features: ClassVar[Feature] = Feature.NONE

    def __init__(
        self,
        policy: FetchPolicy,
        page_size: int = PAGE_SIZE,
        parse_timeout_s: float | None = PARSE_TIMEOUT_S,
        budget: FeedBudget = DEFAULT_BUDGET,
    ) -> None:
        """Keep the fetch policy, the feed budget and limits (passed in: integrations never
        read settings).

        `parse_timeout_s`: read each feed in a child process killed after that long (hostile
        recurrence rules can burn minutes of CPU); None reads it in a thread of this process
        (trusted feeds only: nothing can stop a thread).
        """
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        if parse_timeout_s is not None and parse_timeout_s <= 0:
            raise ValueError("parse_timeout_s must be positive (or None)")
        self.policy = policy
        self.page_size = page_size
        self.parse_timeout_s = parse_timeout_s
        self.budget = budget

    async def pull(
        self, calendar: CalendarRef, cursor: str | None, window: SyncWindow
    ) -> AsyncIterator[PullPage]:
        """Yield the feed's meetings in `window`; one not_modified page when nothing changed.

        Raises only ConnectorErrors, each with a message of at most 500 characters.
        """
        try:
            async for page in self._pull(calendar, cursor, window):
                yield page
        except ConnectorError as exc:
            raise bounded(exc) from exc.__cause__
        except Exception as exc:
            raise unexpected(exc, "reading the calendar") from exc

    async def _pull(
        self, calendar: CalendarRef, cursor: str | None, window: SyncWindow
    ) -> AsyncIterator[PullPage]:
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
        unchanged = self._unchanged(calendar, cursor, previous, fetched, may_skip)
        if unchanged is not None:
            yield unchanged
            return
        assert fetched.body is not None  # a 304 is always "unchanged"
        new_cursor = IcsCursor(
            fetched.etag,
            fetched.last_modified,
            hashlib.sha256(fetched.body).hexdigest(),
            window.start.isoformat(),
            window.end.isoformat(),
        ).dump()
        feed = await self._read(fetched.body, calendar, window)
        for page in self._pages(feed, calendar):
            if page.last:
                page.cursor = new_cursor
            yield page

    @staticmethod
    def _unchanged(
        calendar: CalendarRef,
        cursor: str | None,
        previous: IcsCursor,
        fetched: FetchResult,
        may_skip: bool,
    ) -> PullPage | None:
        """The one not_modified page when the feed is unchanged since the cursor, else None."""
        if fetched.body is None:
            log.info("ics.not_modified", calendar_id=calendar.calendar_id, reason="http_304")
            return PullPage(cursor=cursor, last=True, not_modified=True)
        digest = hashlib.sha256(fetched.body).hexdigest()
        if not may_skip or digest != previous.sha256:
            return None
        kept = IcsCursor(
            fetched.etag,
            fetched.last_modified,
            digest,
            previous.window_start,
            previous.window_end,
        )
        log.info("ics.not_modified", calendar_id=calendar.calendar_id, reason="same_body")
        return PullPage(cursor=kept.dump(), last=True, not_modified=True)

    async def _read(self, body: bytes, calendar: CalendarRef, window: SyncWindow) -> ParsedFeed:
        """The feed expanded, off the event loop (big feeds take CPU seconds)."""
        zone_name = self._zone(calendar)
        try:
            if self.parse_timeout_s is not None:
                return await expand_in_child(
                    body,
                    calendar.owner,
                    window,
                    zone_name,
                    timeout_s=self.parse_timeout_s,
                    budget=self.budget,
                )
            return await asyncio.to_thread(self._expand, body, calendar.owner, window, zone_name)
        except InvalidFeed as exc:
            # Not iCalendar (an error or login page, a truncated body): never a sync that
            # empties the calendar; retried later like any other transient failure.
            raise ProviderUnavailable(clip(f"the calendar source is not iCalendar: {exc}")) from exc

    def _expand(self, body: bytes, owner: str, window: SyncWindow, zone_name: str) -> ParsedFeed:
        with _PARSE_LOCK:
            return expand_feed(body, owner, window, zone_name, budget=self.budget)

    def _pages(self, feed: ParsedFeed, calendar: CalendarRef) -> Iterator[PullPage]:
        """The feed's items in pages of at most `page_size` meetings; skips go with the page
        they were met in; the last page carries the warnings (the cursor is set by the caller)."""
        page = PullPage()
        count = 0
        for item in feed.items:
            if isinstance(item, SkippedEvent):
                self._log_skip(calendar, item)
                page.skipped.append(item)
                continue
            if len(page.meetings) >= self.page_size:
                yield page
                page = PullPage()
            page.meetings.append(item)
            count += 1
        page.last = True
        page.warnings = tuple(feed.warnings)
        if feed.warnings:
            log.warning(
                "ics.over_budget", calendar_id=calendar.calendar_id, warnings=list(feed.warnings)
            )
        log.info("ics.pulled", calendar_id=calendar.calendar_id, meetings=count)
        yield page

    @staticmethod
    def _zone(calendar: CalendarRef) -> str:
        if zone(calendar.default_timezone) is None:
            log.warning(
                "ics.bad_default_timezone",
                calendar_id=calendar.calendar_id,
                timezone=clip(calendar.default_timezone, 100),
            )
            return "UTC"
        return calendar.default_timezone

    @staticmethod
    def _log_skip(calendar: CalendarRef, item: SkippedEvent) -> None:
        log.warning(
            "ics.event_skipped",
            calendar_id=calendar.calendar_id,
            source_id=clip(item.source_id or "", 200) or None,
            reason=clip(item.reason),
        )
