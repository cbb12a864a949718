"""Ingest: pull a calendar through its connector, classify each meeting, store it.

The sync itself is always the connector's pull from the stored cursor; a full sync (no cursor,
or an expired one) ends by pruning what the calendar no longer shows in the window.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

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
from service.storage import CalendarRepository, Database, MeetingRepository

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class SyncOutcome:
    """What one calendar sync did."""

    connection_id: int
    meetings: int = 0
    removed: int = 0
    skipped: int = 0
    pruned: int = 0
    not_modified: bool = False
    error: str | None = None
    seen_ids: set[int] = field(default_factory=set)


def classify_page(
    meetings: Sequence[Meeting], patterns: Sequence[ProviderPattern] = ()
) -> list[tuple[Meeting, Classification]]:
    """Classify every meeting of a page (the classifier never raises)."""
    return [(meeting, classify(meeting, patterns)) for meeting in meetings]


async def store_page(
    session: AsyncSession,
    tenant_id: int,
    person_id: int,
    page: PullPage,
    people_ids: Mapping[str, int],
    patterns: Sequence[ProviderPattern] = (),
) -> tuple[set[int], int]:
    """Classify and upsert one page; apply its removals. Returns (stored meeting ids, removed)."""
    meetings = MeetingRepository(session, tenant_id)
    stored = await meetings.upsert_many(
        classify_page(page.meetings, patterns),
        seen_by_person_id=person_id,
        people_ids=people_ids,
    )
    removed = 0
    if page.removed:
        result = await meetings.remove(
            [(item.uid, item.original_start) for item in page.removed],
            seen_by_person_id=person_id,
        )
        removed = len(result.dropped)
    return set(stored.values()), removed


async def sync_calendar(
    db: Database,
    tenant_id: int,
    connection_id: int,
    calendar: CalendarRef,
    connector: Connector,
    window: SyncWindow,
    people_ids: Mapping[str, int],
    now: datetime,
    patterns: Sequence[ProviderPattern] = (),
) -> SyncOutcome:
    """Pull one calendar from its cursor and store what changed; commit page by page."""
    async with db.session() as session:
        row = await CalendarRepository(session, tenant_id).get(connection_id)
    if row is None:
        raise LookupError(f"calendar connection {connection_id} not found in tenant {tenant_id}")
    pull = functools.partial(
        _pull, db=db, tenant_id=tenant_id, person_id=row.person_id, calendar=calendar,
        connector=connector, window=window, people_ids=people_ids, now=now, patterns=patterns,
    )  # fmt: skip
    outcome = SyncOutcome(connection_id)
    try:
        await pull(row.cursor, outcome)
    except CursorExpired:
        log.info("sync.cursor_expired", connection_id=connection_id)
        outcome = SyncOutcome(connection_id)
        await pull(None, outcome)
    except AuthRevoked as exc:
        await _record_error(db, tenant_id, connection_id, "auth_revoked", str(exc), outcome)
    except ConnectorError as exc:
        await _record_error(db, tenant_id, connection_id, "error", str(exc), outcome)
    return outcome


async def _record_error(
    db: Database,
    tenant_id: int,
    connection_id: int,
    status: str,
    message: str,
    outcome: SyncOutcome,
) -> None:
    log.warning("sync.failed", connection_id=connection_id, status=status, error=message)
    outcome.error = message
    async with db.session() as session:
        await CalendarRepository(session, tenant_id).mark_error(connection_id, status, message)
        await session.commit()


async def _pull(
    cursor: str | None,
    outcome: SyncOutcome,
    *,
    db: Database,
    tenant_id: int,
    person_id: int,
    calendar: CalendarRef,
    connector: Connector,
    window: SyncWindow,
    people_ids: Mapping[str, int],
    now: datetime,
    patterns: Sequence[ProviderPattern],
) -> None:
    async for page in connector.pull(calendar, cursor, window):
        async with db.session() as session:
            if page.not_modified:
                outcome.not_modified = True
            else:
                ids, removed = await store_page(
                    session, tenant_id, person_id, page, people_ids, patterns
                )
                outcome.seen_ids |= ids
                outcome.meetings += len(page.meetings)
                outcome.removed += removed
                outcome.skipped += len(page.skipped)
            if page.last:
                if page.full_sync and not page.not_modified:
                    pruned = await MeetingRepository(session, tenant_id).prune_unseen(
                        person_id, window.start, window.end, outcome.seen_ids
                    )
                    outcome.pruned = len(pruned.dropped)
                await CalendarRepository(session, tenant_id).set_cursor(
                    outcome.connection_id, page.cursor, now
                )
            await session.commit()
    log.info(
        "sync.done",
        connection_id=outcome.connection_id,
        meetings=outcome.meetings,
        skipped=outcome.skipped,
        removed=outcome.removed,
        pruned=outcome.pruned,
        not_modified=outcome.not_modified,
    )
