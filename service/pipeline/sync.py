"""Sync: pull a calendar through its connector, classify each meeting, store it.

The sync itself is always the connector's pull from the stored cursor; a full sync (no cursor,
or an expired one) ends by pruning what the calendar no longer shows in the window.
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
from service.pipeline.policies import tenant_policy
from service.runtime import Runtime
from service.storage import CalendarRepository, MeetingRepository, PeopleRepository

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
    session: AsyncSession, tenant_id: int, person_id: int, page: PullPage, scope: SyncScope
) -> tuple[set[int], int]:
    """Classify and upsert one page; apply its removals. Returns (stored meeting ids, removed)."""
    meetings = MeetingRepository(session, tenant_id)
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
    return set(stored.values()), removed


@dataclass(frozen=True, slots=True)
class SyncScope:
    """What every calendar sync of one tenant's round shares."""

    tenant_id: int
    window: SyncWindow
    people_ids: Mapping[str, int]
    patterns: Sequence[ProviderPattern] = ()


async def sync_scope(rt: Runtime, tenant_id: int, window: SyncWindow) -> SyncScope:
    """Load what a round of syncs needs once: the tenant's people and its own link patterns."""
    async with rt.db.session() as session:
        people = PeopleRepository(session, tenant_id)
        people_ids = {p.email: p.id async for p in people.iter_all()}
    policy = await tenant_policy(rt, tenant_id)
    return SyncScope(tenant_id, window, people_ids, tuple(policy.link_patterns()))


async def sync_calendar(
    rt: Runtime, scope: SyncScope, connection_id: int, calendar: CalendarRef, connector: Connector
) -> SyncOutcome:
    """Pull one calendar from its cursor and store what changed; commit page by page."""
    async with rt.db.session() as session:
        row = await CalendarRepository(session, scope.tenant_id).get(connection_id)
    if row is None:
        raise NotFound(f"calendar connection {connection_id} not found in this tenant")
    pull = _Pull(rt, scope, row.person_id, calendar, connector)
    outcome = SyncOutcome(connection_id)
    try:
        await pull.run(row.cursor, outcome)
    except CursorExpired:
        log.info("sync.cursor_expired", connection_id=connection_id)
        outcome = SyncOutcome(connection_id)
        await pull.run(None, outcome)
    except AuthRevoked as exc:
        await _record_error(rt, scope.tenant_id, "auth_revoked", str(exc), outcome)
    except ConnectorError as exc:
        await _record_error(rt, scope.tenant_id, "error", str(exc), outcome)
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
    """One calendar's pull: every page stored and committed as it arrives."""

    rt: Runtime
    scope: SyncScope
    person_id: int
    calendar: CalendarRef
    connector: Connector

    async def run(self, cursor: str | None, outcome: SyncOutcome) -> None:
        """Pull from `cursor` (None: a full sync) to the last page; the cursor is stored last."""
        tenant_id = self.scope.tenant_id
        async for page in self.connector.pull(self.calendar, cursor, self.scope.window):
            async with self.rt.db.session() as session:
                if page.not_modified:
                    outcome.not_modified = True
                else:
                    ids, removed = await store_page(
                        session, tenant_id, self.person_id, page, self.scope
                    )
                    outcome.seen_ids |= ids
                    outcome.meetings += len(page.meetings)
                    outcome.removed += removed
                    outcome.skipped += len(page.skipped)
                if page.last:
                    await self._finish(session, page, outcome)
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

    async def _finish(self, session: AsyncSession, page: PullPage, outcome: SyncOutcome) -> None:
        """After the last page: prune what a full sync no longer shows, store the new cursor."""
        tenant_id, window = self.scope.tenant_id, self.scope.window
        if page.full_sync and not page.not_modified:
            pruned = await MeetingRepository(session, tenant_id).prune_unseen(
                self.person_id, window.start, window.end, outcome.seen_ids
            )
            outcome.pruned = len(pruned.dropped)
        await CalendarRepository(session, tenant_id).set_cursor(
            outcome.connection_id, page.cursor, self.rt.now()
        )
