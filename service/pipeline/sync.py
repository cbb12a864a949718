"""Sync: pull a calendar through its connector, classify each meeting, store it.

The sync itself is always the connector's pull from the stored cursor; a full sync (no cursor,
or an expired one) ends by pruning what the calendar no longer shows in the window. Every
calendar is untrusted input:

- what it says is stored as its owner's own copy (see `MeetingRepository`), never as anyone
  else's view;
- one sync writes at most `SyncScope.max_rows` rows: a feed over that keeps what fits, the rest
  is left out, the prune still runs (so a feed that renames every event cannot pile up rows)
  and the connection records why; so it does when the connector left something out to stay
  within its own budget (`PullPage.warnings`). An over-budget sync stores no cursor, so the
  next one reads the calendar whole again and the error stays until the feed fits;
- any exception from the connector, a full resync after an expired cursor included, becomes a
  short error recorded on the connection (never with the feed's secret URL in it), so a loop
  over calendars always goes on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.classify import ProviderPattern, classify
from service.domain.model import Classification, Meeting
from service.domain.port import (
    AuthRevoked,
    CalendarRef,
    Connector,
    ConnectorError,
    CursorExpired,
    PullPage,
    SyncWindow,
)
from service.errors import NotFound
from service.pipeline.connections import scrub_secret
from service.pipeline.policies import tenant_policy
from service.pipeline.reasons import stored_classification
from service.runtime import Runtime, SyncLimits
from service.storage import CalendarRepository, MeetingRepository, PeopleRepository
from service.storage.repositories.meetings import rows_written

log = structlog.get_logger(__name__)

# The longest error recorded on a connection (a feed can make an exception's text megabytes).
MAX_ERROR = 500


@dataclass(slots=True)
class SyncOutcome:
    """What one calendar sync did; `rows` counts the rows it wrote."""

    connection_id: int
    meetings: int = 0
    removed: int = 0
    skipped: int = 0
    pruned: int = 0
    rows: int = 0
    over_budget: bool = False
    not_modified: bool = False
    error: str | None = None
    seen_ids: set[int] = field(default_factory=set)
    # What was left out to stay within a budget (the connector's, and the rows per sync).
    left_out: list[str] = field(default_factory=list)


def classify_page(
    meetings: Sequence[Meeting], patterns: Sequence[ProviderPattern] = ()
) -> list[tuple[Meeting, Classification]]:
    """Classify every meeting of a page (the classifier never raises); reasons as stored."""
    return [(meeting, stored_classification(classify(meeting, patterns))) for meeting in meetings]


async def store_page(
    session: AsyncSession, tenant_id: int, person_id: int, page: PullPage, scope: SyncScope
) -> tuple[set[int], int]:
    """Classify and upsert one page; apply its removals. Returns (stored meeting ids, removed).

    On an incremental page a single (non-recurring) event names only its new time: the
    person's copy of it at any other start is dropped first (a moved event leaves no ghost).
    """
    meetings = MeetingRepository(session, tenant_id)
    moved = 0
    if not page.full_sync:
        singles = [(m.uid, m.instance_start) for m in page.meetings if not m.recurring]
        if singles:
            moved = len((await meetings.drop_moved(person_id, singles)).dropped)
    stored = await meetings.upsert_many(
        classify_page(page.meetings, scope.patterns),
        seen_by_person_id=person_id,
        people_ids=scope.people_ids,
    )
    removed = 0
    if page.removed:
        result = await meetings.remove(
            [(item.uid, item.original_start) for item in page.removed],
            seen_by_person_id=person_id,
        )
        removed = len(result.dropped)
    return set(stored.values()), removed + moved


@dataclass(frozen=True, slots=True)
class SyncScope:
    """What every calendar sync of one tenant's round shares (and the rows one sync may write)."""

    tenant_id: int
    window: SyncWindow
    people_ids: Mapping[str, int]
    patterns: Sequence[ProviderPattern] = ()
    max_rows: int = SyncLimits().max_rows_per_sync


async def sync_scope(rt: Runtime, tenant_id: int, window: SyncWindow) -> SyncScope:
    """Load what a round of syncs needs once: the tenant's people and its own link patterns."""
    async with rt.db.session() as session:
        people = PeopleRepository(session, tenant_id)
        people_ids = {p.email: p.id async for p in people.iter_all()}
    policy = await tenant_policy(rt, tenant_id)
    return SyncScope(
        tenant_id,
        window,
        people_ids,
        tuple(policy.link_patterns()),
        max_rows=rt.sync_limits.max_rows_per_sync,
    )


def internal_error(error: BaseException, secret: str | None = None) -> str:
    """What to record for an error outside the connector vocabulary: its class only.

    Its text may carry SQL, paths or payloads, so it goes to the log (cut short), never to a
    connection's message.
    """
    name = type(error).__name__
    detail = str(error)[: MAX_ERROR * 4]
    if secret:
        detail = scrub_secret(detail, secret)
    detail = " ".join(detail.split())[:MAX_ERROR]
    log.error("sync.internal_error", error=name, detail=detail)
    return f"internal error ({name}); see the log"


def error_message(error: BaseException, secret: str | None = None) -> str:
    """A failure as one short line to record and show: never the secret, at most `MAX_ERROR`.

    A connector error says what went wrong in its own words; anything else is named by its
    type only (`internal_error`: it escaped the connector's error vocabulary).
    """
    if not isinstance(error, ConnectorError):
        return internal_error(error, secret)
    text = str(error) or type(error).__name__
    if secret:
        text = scrub_secret(text, secret)
    line = " ".join(text[: MAX_ERROR * 4].split())
    return line if len(line) <= MAX_ERROR else line[: MAX_ERROR - 1] + "…"


async def sync_calendar(
    rt: Runtime, scope: SyncScope, connection_id: int, calendar: CalendarRef, connector: Connector
) -> SyncOutcome:
    """Pull one calendar from its cursor and store what changed; commit page by page.

    Never raises for the calendar's own failures: they are recorded on the connection and in
    `SyncOutcome.error`. NotFound when the connection is not in this tenant.
    """
    async with rt.db.session() as session:
        row = await CalendarRepository(session, scope.tenant_id).get(connection_id)
    if row is None:
        raise NotFound(f"calendar connection {connection_id} not found in this tenant")
    pull = _Pull(rt, scope, row.person_id, calendar, connector)
    outcome = SyncOutcome(connection_id)
    try:
        try:
            await pull.run(row.cursor, outcome)
        except CursorExpired:
            if row.cursor is None:
                raise
            log.info("sync.cursor_expired", connection_id=connection_id)
            expired = True
        else:
            expired = False
        # Outside the handler above: an error of the full resync is recorded like any other.
        if expired:
            outcome = SyncOutcome(connection_id)
            await pull.run(None, outcome)
    except Exception as exc:  # every failure of one calendar is recorded; a loop goes on
        status = "auth_revoked" if isinstance(exc, AuthRevoked) else "error"
        message = error_message(exc, calendar.source)
        await _record_error(rt, scope.tenant_id, status, message, outcome)
    return outcome


async def _record_error(
    rt: Runtime, tenant_id: int, status: str, message: str, outcome: SyncOutcome
) -> None:
    log.warning("sync.failed", connection_id=outcome.connection_id, status=status, error=message)
    outcome.error = message
    async with rt.db.session() as session:
        await CalendarRepository(session, tenant_id).mark_error(
            outcome.connection_id, status, message
        )
        await session.commit()


@dataclass(frozen=True, slots=True)
class _Pull:
    """One calendar's pull: every page stored and committed as it arrives, within the budget."""

    rt: Runtime
    scope: SyncScope
    person_id: int
    calendar: CalendarRef
    connector: Connector

    async def run(self, cursor: str | None, outcome: SyncOutcome) -> None:
        """Pull from `cursor` (None: a full sync) to the last page; the cursor is stored last."""
        pages = self.connector.pull(self.calendar, cursor, self.scope.window)
        try:
            async for page in pages:
                await self._page(page, outcome)
                if outcome.over_budget:
                    break
        finally:
            close = getattr(pages, "aclose", None)
            if close is not None:
                await close()
        if outcome.over_budget:
            message = error_message(
                ConnectorError(f"the calendar is over its budget: {'; '.join(outcome.left_out)}")
            )
            await _record_error(self.rt, self.scope.tenant_id, "error", message, outcome)
        log.info(
            "sync.done",
            connection_id=outcome.connection_id,
            meetings=outcome.meetings,
            skipped=outcome.skipped,
            removed=outcome.removed,
            pruned=outcome.pruned,
            rows=outcome.rows,
            over_budget=outcome.over_budget,
            not_modified=outcome.not_modified,
        )

    async def _page(self, page: PullPage, outcome: SyncOutcome) -> None:
        """Store one page (what fits the budget) and, after the last one, finish the sync."""
        async with self.rt.db.session() as session:
            if page.not_modified:
                outcome.not_modified = True
            else:
                fitting = self._fitting(page.meetings, outcome)
                if len(fitting) < len(page.meetings):
                    outcome.over_budget = True
                    outcome.left_out.append(
                        f"more than {self.scope.max_rows} rows in one sync "
                        f"({outcome.meetings + len(fitting)} meetings kept, the rest left out)"
                    )
                    page = PullPage(
                        meetings=fitting, removed=page.removed, skipped=page.skipped,
                        full_sync=page.full_sync,
                    )  # fmt: skip
                ids, removed = await store_page(
                    session, self.scope.tenant_id, self.person_id, page, self.scope
                )
                outcome.seen_ids |= ids
                outcome.meetings += len(page.meetings)
                outcome.removed += removed
                outcome.skipped += len(page.skipped)
                if page.last and page.warnings:
                    outcome.over_budget = True
                    outcome.left_out.extend(page.warnings)
            if outcome.over_budget:
                await self._stop(session, page, outcome)
            elif page.last:
                await self._finish(session, page, outcome)
            await session.commit()

    def _fitting(self, meetings: Sequence[Meeting], outcome: SyncOutcome) -> list[Meeting]:
        """The first meetings whose rows still fit the budget (counted into `outcome.rows`)."""
        kept: list[Meeting] = []
        for meeting in meetings:
            rows = rows_written(meeting, self.person_id, self.scope.people_ids)
            if outcome.rows + rows > self.scope.max_rows:
                break
            outcome.rows += rows
            kept.append(meeting)
        return kept

    async def _prune(self, session: AsyncSession, outcome: SyncOutcome) -> None:
        window = self.scope.window
        pruned = await MeetingRepository(session, self.scope.tenant_id).prune_unseen(
            self.person_id, window.start, window.end, outcome.seen_ids
        )
        outcome.pruned = len(pruned.dropped)

    async def _finish(self, session: AsyncSession, page: PullPage, outcome: SyncOutcome) -> None:
        """After the last page: prune what a full sync no longer shows, store the new cursor."""
        if page.full_sync and not page.not_modified:
            await self._prune(session, outcome)
        await CalendarRepository(session, self.scope.tenant_id).set_cursor(
            outcome.connection_id, page.cursor, self.rt.now()
        )

    async def _stop(self, session: AsyncSession, page: PullPage, outcome: SyncOutcome) -> None:
        """Over the budget: a full sync keeps only what fit this round; the next is a full one.

        The prune removes this calendar's older copies in the window that did not fit, so its
        rows never grow past one round's budget; the cursor is dropped so that the next sync
        reads the calendar whole again.
        """
        if page.full_sync:
            await self._prune(session, outcome)
        await CalendarRepository(session, self.scope.tenant_id).set_cursor(
            outcome.connection_id, None, self.rt.now()
        )
