"""The Google Calendar connector: full sync over a span, then incremental with the sync token.

A pull reads the owner's primary calendar as the owner (domain-wide delegation), always with
`singleEvents=true` (series come as instances: identity is iCalUID + originalStartTime, so a
moved instance stays the same meeting) and `showDeleted=true` (cancellations arrive):

- full (no cursor, one this code cannot use, or a window past the cursor's span):
  `timeMin`/`timeMax` over the window plus some slack (spread per calendar, so that thousands
  of calendars do not all re-read on the same day), every page `full_sync` so the pipeline
  sweeps what the calendar no longer shows once the last page is stored;
- incremental: `syncToken` and nothing the API forbids with it; changes come from any time, so
  an event now outside the span becomes a removal, and a series master (which `singleEvents`
  should never send) is passed over.

A deleted event may carry only its `id` (a cancelled instance its `recurringEventId` and
`originalStartTime`): its iCalUID comes from another item of the pull or from `events.get`
(which still returns deleted events); one that cannot be placed at all makes the pull a full
resync (`CursorExpired`), which sweeps it. `nextSyncToken` arrives on the last page only; a
last page without one is an error, never an empty cursor. 410 on the token is CursorExpired.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import ClassVar
from zoneinfo import ZoneInfo

import structlog

from integrations import span as spans
from integrations.accounts import ParsedAccounts
from integrations.google.account import GoogleAccount, InvalidAccount
from integrations.google.client import GoogleApi, get_event, list_events
from integrations.google.cursor import GoogleCursor
from integrations.google.fields import is_master, moment
from integrations.google.normalise import normalise_event
from integrations.google.push import PushConfig
from integrations.payload import SkipEvent, mapping, text
from service.domain.model import Meeting
from service.domain.port import (
    CalendarRef,
    CursorExpired,
    Feature,
    ProviderUnavailable,
    PullPage,
    RemovedEvent,
    SkippedEvent,
    SyncWindow,
)
from service.domain.zones import known_zone

log = structlog.get_logger(__name__)

# `<series id>_<original start>`: 20261124T100000Z for timed instances, 20261124 all-day ones.
_INSTANCE_ID = re.compile(r"^(?P<series>.+)_(?P<stamp>\d{8}(?:T\d{6}Z)?)$")
MAX_PAGES = 10_000


@dataclass(frozen=True, slots=True)
class SyncConfig:
    """How calendars are read (passed in: integrations never read settings)."""

    page_size: int = 500  # events.list maxResults (the API allows at most 2,500)
    slack_days: int = 7  # a full sync reads this much past the window (plus a spread)

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= 2500:
            raise ValueError("page_size must be within 1..2500 (the API's maxResults)")
        if self.slack_days < 1:
            raise ValueError("slack_days must be at least 1")


def span_end(owner: str, window: SyncWindow, slack_days: int) -> datetime:
    """How far a full sync of this calendar reads (see `integrations.span.span_end`)."""
    return spans.span_end("google-span", owner, window, slack_days)


class GoogleConnector:
    """Pull a Google calendar (the source is the install's stored JSON, decrypted)."""

    provider: ClassVar[str] = "google"
    features: ClassVar[Feature] = Feature.INCREMENTAL | Feature.PUSH

    def __init__(
        self,
        api: GoogleApi | None = None,
        config: SyncConfig | None = None,
        push: PushConfig | None = None,
    ) -> None:
        """Use `api` for the calls (one per process: it holds the rate limiter)."""
        self.api = api or GoogleApi()
        self.config = config or SyncConfig()
        self.push = push or PushConfig()
        self._accounts = ParsedAccounts(GoogleAccount.parse, InvalidAccount, "Google")

    def close(self) -> None:
        """Close the client's threads and connections."""
        self.api.close()

    def account(self, source: str) -> GoogleAccount:
        """The install a calendar source names (parsed once per distinct source)."""
        return self._accounts.get(source)

    async def pull(
        self, calendar: CalendarRef, cursor: str | None, window: SyncWindow
    ) -> AsyncIterator[PullPage]:
        """Yield the calendar's changes since `cursor` (a full sync without a usable one)."""
        account = self.account(calendar.source)
        previous = GoogleCursor.parse(cursor)
        reader = _Reader(self, account, calendar)
        if previous is not None and previous.covers(window):
            span = previous
            params: dict[str, object] = {"syncToken": previous.token}
            full = False
        else:
            if cursor is not None:
                log.info("google.full_sync", owner_hash=_hash(calendar.owner), reason="span")
            span = GoogleCursor(
                "", window.start, span_end(calendar.owner, window, self.config.slack_days)
            )
            params = {"timeMin": _rfc3339(span.start), "timeMax": _rfc3339(span.end)}
            full = True
        params.update(singleEvents=True, showDeleted=True, maxResults=self.config.page_size)
        async for page in reader.pages(params, span, full):
            yield page


@dataclass
class _Reader:
    connector: GoogleConnector
    account: GoogleAccount
    calendar: CalendarRef

    def __post_init__(self) -> None:
        self.series_uids: dict[str, str] = {}
        self.zone = (
            self.calendar.default_timezone if known_zone(self.calendar.default_timezone) else "UTC"
        )

    async def pages(
        self, params: Mapping[str, object], span: GoogleCursor, full: bool
    ) -> AsyncIterator[PullPage]:
        page_token: str | None = None
        counts = [0, 0, 0]
        for _ in range(MAX_PAGES):
            asked = dict(params)
            if page_token is not None:
                asked["pageToken"] = page_token
            answer = await list_events(self.connector.api, self.account, self.calendar.owner, asked)
            page = PullPage(full_sync=full)
            items = answer.get("items")
            for item in items if isinstance(items, list) else []:
                if isinstance(item, Mapping):
                    await self._item(item, page, span, full)
            counts[0] += len(page.meetings)
            counts[1] += len(page.removed)
            counts[2] += len(page.skipped)
            page_token = text(answer, "nextPageToken")
            if page_token is not None:
                yield page
                continue
            token = text(answer, "nextSyncToken")
            if token is None:
                raise ProviderUnavailable("Google's last page of events carried no nextSyncToken")
            page.last = True
            page.cursor = GoogleCursor(token, span.start, span.end).dump()
            log.info(
                "google.pulled", owner_hash=_hash(self.calendar.owner), full=full,
                meetings=counts[0], removed=counts[1], skipped=counts[2],
            )  # fmt: skip
            yield page
            return
        raise ProviderUnavailable(f"more than {MAX_PAGES} pages of events: stopped reading")

    async def _item(
        self, item: Mapping[str, object], page: PullPage, span: GoogleCursor, full: bool
    ) -> None:
        if text(item, "status") == "cancelled":
            removed = await self._removal(item)
            if removed is not None:
                page.removed.append(removed)
            elif not full:
                # Nothing tells which stored meeting this was: a full sync sweeps it.
                raise CursorExpired("a deleted Google event could not be placed; resyncing fully")
            return
        if is_master(item):
            return  # singleEvents never lists masters; tolerate one rather than store it
        found = normalise_event(item, self.calendar.owner, self.zone)
        if isinstance(found, SkippedEvent):
            page.skipped.append(found)
            return
        if found.series_id is not None:
            self.series_uids.setdefault(found.series_id, found.uid)
        if full or span.contains(found.start, found.end):
            page.meetings.append(found)
        else:
            # Changed to a time outside the span we keep: no longer ours to show.
            page.removed.append(_removal_of(found))

    async def _removal(self, item: Mapping[str, object]) -> RemovedEvent | None:
        """What a deleted entry removes: (iCalUID, original start), or every instance of a uid."""
        event_id = text(item, "id")
        uid = text(item, "iCalUID")
        series = text(item, "recurringEventId")
        original = self._original(item)
        if series is None and event_id is not None:
            matched = _INSTANCE_ID.match(event_id)
            if matched is not None:
                series = matched["series"]
                original = original or self._from_stamp(matched["stamp"])
        if series is not None:
            uid = uid or await self._series_uid(series)
            if uid is None or original is None:
                return None
            return RemovedEvent(uid, original, event_id)
        if uid is None and event_id is not None:
            got = await get_event(self.connector.api, self.account, self.calendar.owner, event_id)
            uid = None if got is None else text(got, "iCalUID")
        return None if uid is None else RemovedEvent(uid, None, event_id)

    def _original(self, item: Mapping[str, object]) -> datetime | None:
        try:
            found = moment(
                mapping(item, "originalStartTime"), "originalStartTime", _zone(self.zone)
            )
        except SkipEvent:
            return None
        return None if found is None else found[0]

    def _from_stamp(self, stamp: str) -> datetime | None:
        try:
            if "T" in stamp:
                return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            day = date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:8]))
        except ValueError:
            return None
        return datetime.combine(day, time(), tzinfo=_zone(self.zone)).astimezone(UTC)

    async def _series_uid(self, series: str) -> str | None:
        found = self.series_uids.get(series)
        if found is None:
            got = await get_event(self.connector.api, self.account, self.calendar.owner, series)
            found = None if got is None else text(got, "iCalUID")
            if found is not None:
                self.series_uids[series] = found
        return found


def _removal_of(meeting: Meeting) -> RemovedEvent:
    """The removal of a meeting we may hold: its instance, or every instance of a single uid."""
    original = meeting.original_start if meeting.recurring else None
    return RemovedEvent(meeting.uid, original, meeting.source_id)


def _zone(name: str) -> ZoneInfo:
    return known_zone(name) or ZoneInfo("UTC")


def _rfc3339(moment_: datetime) -> str:
    return moment_.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hash(owner: str) -> str:
    """A short tag of an address for logs (logs never carry an address)."""
    return hashlib.sha256(owner.encode()).hexdigest()[:10]
