"""The Microsoft Graph connector: calendarView/delta rounds per mailbox.

- baseline (no cursor, one this code cannot use, or a window past the cursor's span):
  `calendarView/delta?startDateTime&endDateTime` over the window plus some slack (spread per
  mailbox, so thousands of mailboxes do not re-baseline on the same day), every page
  `full_sync`, so the pipeline sweeps what the mailbox no longer shows once the last page is
  stored (a 410 recovery is such a baseline: mark and sweep, nothing wiped first);
- incremental: the stored `@odata.deltaLink`; `@removed` items become removals of the meeting
  the cursor says that id stood for (an unknown id changes nothing).

`@odata.nextLink` is followed until `@odata.deltaLink`; a last page without it is an error.
Occurrences may come with only id/type/seriesMasterId/start/end: they are filled from their
series master (fetched once per round). Every instance takes its master's iCalUId and its own
original start, so a moved occurrence stays the same meeting. Masters are never meetings.
A page that repeats an item keeps its last copy (Graph may replay changes).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar
from urllib.parse import quote

import structlog

from integrations import span as spans
from integrations.accounts import ParsedAccounts
from integrations.microsoft.account import InvalidAccount, MicrosoftAccount
from integrations.microsoft.client import GraphClient, MailboxUnavailable, Request, Response
from integrations.microsoft.cursor import GraphCursor, id_key
from integrations.microsoft.normalise import normalise_event
from integrations.microsoft.push import SubscriptionConfig
from integrations.payload import mapping, text
from service.domain.port import (
    CalendarRef,
    ConnectorError,
    Feature,
    ProviderUnavailable,
    PullPage,
    RemovedEvent,
    SkippedEvent,
    SyncWindow,
)

log = structlog.get_logger(__name__)
MAX_PAGES = 10_000
INSTANCE_TYPES = ("occurrence", "exception")


@dataclass(frozen=True, slots=True)
class SyncConfig:
    """How mailboxes are read (passed in: integrations never read settings)."""

    page_size: int = 50  # Prefer: odata.maxpagesize (small pages bound latency and memory)
    slack_days: int = 7  # a baseline reads this much past the window (plus a spread)

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= 1000:
            raise ValueError("page_size must be within 1..1000")
        if self.slack_days < 1:
            raise ValueError("slack_days must be at least 1")


def span_end(owner: str, window: SyncWindow, slack_days: int) -> datetime:
    """How far a baseline of this mailbox reads (see `integrations.span.span_end`)."""
    return spans.span_end("graph-span", owner, window, slack_days)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class MicrosoftConnector:
    """Pull a mailbox's calendar (the source is the install's stored JSON, decrypted)."""

    provider: ClassVar[str] = "microsoft"
    features: ClassVar[Feature] = Feature.INCREMENTAL | Feature.PUSH | Feature.BATCH

    def __init__(
        self,
        client: GraphClient | None = None,
        config: SyncConfig | None = None,
        push: SubscriptionConfig | None = None,
    ) -> None:
        """Use `client` for the calls (one per process: it holds the limits and token caches)."""
        self.client = client or GraphClient()
        self.config = config or SyncConfig()
        self.push = push or SubscriptionConfig()
        self._accounts = ParsedAccounts(MicrosoftAccount.parse, InvalidAccount, "Microsoft")
        self.prefetched: dict[str, tuple[str, Response | ConnectorError]] = {}

    async def aclose(self) -> None:
        """Close the client's connections."""
        await self.client.aclose()

    def account(self, source: str) -> MicrosoftAccount:
        """The install a calendar source names (parsed once per distinct source)."""
        return self._accounts.get(source)

    def headers(self) -> dict[str, str]:
        """The Prefer headers of every delta request."""
        return {"Prefer": f'odata.maxpagesize={self.config.page_size}, outlook.timezone="UTC"'}

    async def prefetch(
        self, calendars: Sequence[CalendarRef], cursors: Mapping[str, str | None]
    ) -> int:
        """Steady-state rounds: ask every usable cursor's first delta page through `$batch`
        (20 mailboxes a request); `pull` then starts from the page already here. Returns how
        many first pages were fetched."""
        by_source: dict[str, list[tuple[str, CalendarRef, str]]] = {}
        for calendar in calendars:
            cursor = GraphCursor.parse(cursors.get(self.cache_key(calendar)))
            if cursor is None:
                continue
            by_source.setdefault(calendar.source, []).append(
                (self.cache_key(calendar), calendar, cursor.link)
            )
        fetched = 0
        for source, group in by_source.items():
            account = self.account(source)
            requests_ = [Request(link, headers=self.headers()) for _, _, link in group]
            answers = await self.client.batch(account, requests_)
            for (key, _, link), answer in zip(group, answers, strict=True):
                self.prefetched[key] = (link, answer)
                fetched += 1
            if len(self.prefetched) > 100_000:  # never pulled: keep memory bounded
                self.prefetched.clear()
        return fetched

    @staticmethod
    def cache_key(calendar: CalendarRef) -> str:
        """Which mailbox of which install a calendar is (prefetched pages are kept by it)."""
        return f"{calendar.source[-40:]}|{calendar.calendar_id or calendar.owner}"

    async def pull(
        self, calendar: CalendarRef, cursor: str | None, window: SyncWindow
    ) -> AsyncIterator[PullPage]:
        """Yield the mailbox's changes since `cursor` (a baseline without a usable one)."""
        account = self.account(calendar.source)
        previous = GraphCursor.parse(cursor)
        mailbox = calendar.calendar_id or calendar.owner
        held = self.prefetched.pop(self.cache_key(calendar), None)
        # A page fetched for another cursor (synced meanwhile) is not this round's.
        first = held[1] if held is not None and previous and held[0] == previous.link else None
        if previous is not None and previous.covers(window):
            reader = _Reader(self, account, calendar, mailbox, previous, full=False)
            link = previous.link
        else:
            if cursor is not None:
                log.info("microsoft.baseline", owner_hash=_hash(calendar.owner), reason="span")
            first = None
            end = span_end(calendar.owner, window, self.config.slack_days)
            span = GraphCursor("", window.start, end)
            reader = _Reader(self, account, calendar, mailbox, span, full=True)
            link = (
                f"users/{quote(mailbox)}/calendarView/delta?startDateTime={_stamp(window.start)}"
                f"&endDateTime={_stamp(end)}"
            )
        async for page in reader.pages(link, first):
            yield page


@dataclass
class _Reader:
    connector: MicrosoftConnector
    account: MicrosoftAccount
    calendar: CalendarRef
    mailbox: str
    cursor: GraphCursor
    full: bool
    masters: dict[str, Mapping[str, object] | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ids: dict[str, tuple[str, str | None]] = {} if self.full else dict(self.cursor.ids)

    async def fetch(self, link: str) -> Response:
        return await self.connector.client.call(
            self.account, Request(link, headers=self.connector.headers()),
            mailbox=self.mailbox, what="calendarView/delta",
        )  # fmt: skip

    async def pages(
        self, link: str, first: Response | ConnectorError | None
    ) -> AsyncIterator[PullPage]:
        counts = [0, 0, 0]
        for number in range(MAX_PAGES):
            if number == 0 and first is not None:
                if isinstance(first, ConnectorError):
                    raise first
                answer = first
            else:
                answer = await self.fetch(link)
            body = answer.body
            items = body.get("value")
            page = PullPage(full_sync=self.full)
            unique: dict[str, Mapping[str, object]] = {}
            for item in items if isinstance(items, list) else []:
                if isinstance(item, Mapping):
                    unique[str(item.get("id"))] = item  # a repeated item: its last copy
            await self._masters_for(unique.values())
            for item in unique.values():
                self._item(item, page)
            counts[0] += len(page.meetings)
            counts[1] += len(page.removed)
            counts[2] += len(page.skipped)
            next_link = text(body, "@odata.nextLink")
            if next_link is not None:
                link = next_link
                yield page
                continue
            delta = text(body, "@odata.deltaLink")
            if delta is None:
                raise ProviderUnavailable("Graph's last delta page carried no @odata.deltaLink")
            page.last = True
            page.cursor = GraphCursor(delta, self.cursor.start, self.cursor.end, self.ids).dump()
            log.info(
                "microsoft.pulled", owner_hash=_hash(self.calendar.owner), full=self.full,
                meetings=counts[0], removed=counts[1], skipped=counts[2],
            )  # fmt: skip
            yield page
            return
        raise ProviderUnavailable(f"more than {MAX_PAGES} pages of events: stopped reading")

    async def _masters_for(self, items: object) -> None:
        """Fetch (in one $batch) the series masters this page's instances need."""
        wanted = sorted(
            {
                master
                for item in items  # type: ignore[attr-defined]
                if "@removed" not in item
                and text(item, "type") in INSTANCE_TYPES
                and (master := text(item, "seriesMasterId")) is not None
                and master not in self.masters
            }
        )
        if not wanted:
            return
        box = quote(self.mailbox)
        answers = await self.connector.client.batch(
            self.account, [Request(f"users/{box}/events/{quote(m)}") for m in wanted]
        )
        for master, answer in zip(wanted, answers, strict=True):
            if isinstance(answer, MailboxUnavailable):
                self.masters[master] = None  # deleted meanwhile: its instances are skipped
            elif isinstance(answer, ConnectorError):
                raise answer
            else:
                self.masters[master] = answer.body

    def _item(self, item: Mapping[str, object], page: PullPage) -> None:
        event_id = text(item, "id")
        if event_id is None:
            page.skipped.append(SkippedEvent(None, "an item without an id"))
            return
        if "@removed" in item:
            known = self.ids.pop(id_key(event_id), None)
            if known is not None:  # an id we never stored changes nothing (not an error)
                original = None if known[1] is None else datetime.fromisoformat(known[1])
                page.removed.append(RemovedEvent(known[0], original, event_id))
            return
        kind = text(item, "type")
        if kind == "seriesMaster":
            return  # a master is never a meeting: its instances are
        payload: Mapping[str, object] = item
        master_id = text(item, "seriesMasterId")
        if kind in INSTANCE_TYPES and master_id is not None:
            master = self.masters.get(master_id)
            if master is None:
                page.skipped.append(SkippedEvent(event_id, "its series master is gone"))
                return
            payload = _instance(master, item)
            self.ids[id_key(master_id)] = (str(text(master, "iCalUId") or master_id), None)
        found = normalise_event(payload, self.calendar.owner, self.calendar.default_timezone)
        if isinstance(found, SkippedEvent):
            page.skipped.append(found)
            return
        stored_start = found.original_start if found.recurring else None
        self.ids[id_key(event_id)] = (
            found.uid,
            None if stored_start is None else stored_start.isoformat(),
        )
        page.meetings.append(found)


def _instance(master: Mapping[str, object], item: Mapping[str, object]) -> dict[str, object]:
    """An occurrence or exception as a whole event: the master's fields, the item's own, the
    master's iCalUId (Graph gives instances their own) and the original start."""
    merged = {k: v for k, v in master.items() if k not in ("recurrence", "@odata.etag")}
    merged.update(item)
    merged["iCalUId"] = master.get("iCalUId") or merged.get("iCalUId")
    if "originalStart" not in item or not text(item, "originalStart"):
        start = mapping(item, "start")
        stamp = text(start, "dateTime")
        if stamp is not None and text(start, "timeZone") in ("UTC", None):
            merged["originalStart"] = stamp[:19] + "Z"
    return merged


def _hash(owner: str) -> str:
    """A short tag of an address for logs (logs never carry an address)."""
    return hashlib.sha256(owner.encode()).hexdigest()[:10]
