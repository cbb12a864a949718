"""Sync jobs: one connection (`sync_connection`), or a tenant's round (`sync_tenant`).

Thin: load the connection and its person, decrypt the source (`calendar_ref`), pull through the
runtime's connector (`pipeline.sync.sync_calendar`), return what happened. Every failure of one
connection becomes a recorded error on that connection (its status and message, never a secret),
and a round always goes on to the next connection.

Each connection is synced once per interval at its own moment in it (`sync_phase`, a stable hash
of its id), so a tenant's calendars are spread over the interval rather than fetched at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import structlog

from service.domain.policy import Policy
from service.domain.port import SyncWindow
from service.errors import NotFound
from service.pipeline.connections import calendar_ref, scrub_secret
from service.pipeline.policies import tenant_policy
from service.pipeline.sync import SyncScope, internal_error, sync_calendar, sync_scope
from service.runtime import Runtime
from service.secrets import SecretKeyError
from service.storage import CalendarRepository, CalendarRow, PeopleRepository, PersonRow
from workers.google_quota import optional_polls_left, record_requests

log = structlog.get_logger(__name__)

# How far ahead calendars are read (the planner looks at most a day or two ahead).
FUTURE = timedelta(days=15)
DAY = timedelta(days=1)
EPOCH = datetime(2000, 1, 3, tzinfo=UTC)  # a Monday
OK, SKIPPED = "ok", "skipped"


def sync_window(now: datetime, policy: Policy) -> SyncWindow:
    """What a sync reads: the look-back window to 15 days ahead, in whole UTC days.

    Whole days keep the window the same all day, so an unchanged feed is recognised (HTTP 304
    or the same body) and not expanded again on every sync.
    """
    start = _day(now - timedelta(days=policy.relationships.lookback_days))
    return SyncWindow(start, _day(now + FUTURE) + DAY)


def _day(moment: datetime) -> datetime:
    utc = moment.astimezone(UTC)
    return datetime(utc.year, utc.month, utc.day, tzinfo=UTC)


def sync_phase(connection_id: int, interval: timedelta) -> timedelta:
    """The connection's own moment in every interval: stable across restarts and processes."""
    digest = hashlib.sha256(f"connection:{connection_id}".encode()).digest()
    micros = max(interval // timedelta(microseconds=1), 1)
    return timedelta(microseconds=int.from_bytes(digest[:8], "big") % micros)


def last_slot(connection_id: int, now: datetime, interval: timedelta) -> datetime:
    """The connection's latest sync moment at or before `now`."""
    phase = sync_phase(connection_id, interval)
    return EPOCH + phase + ((now - EPOCH - phase) // interval) * interval


def sync_due(
    connection_id: int, last_synced_at: datetime | None, now: datetime, interval: timedelta
) -> bool:
    """True when the connection was never synced, or not since its latest moment."""
    return last_synced_at is None or last_synced_at < last_slot(connection_id, now, interval)


@dataclass(frozen=True, slots=True)
class ConnectionSync:
    """What syncing one connection did; `message` is safe to show (never a secret)."""

    connection_id: int
    person: str
    source: str
    status: str
    message: str | None = None
    meetings: int = 0
    skipped_events: int = 0
    removed: int = 0
    not_modified: bool = False

    @property
    def ok(self) -> bool:
        """True when the connection synced (or was rightly left alone)."""
        return self.status in (OK, SKIPPED)


@dataclass(slots=True)
class SyncRound:
    """What a round of syncs of one tenant did, connection by connection."""

    tenant_id: int
    results: list[ConnectionSync] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every connection of the round synced."""
        return all(result.ok for result in self.results)

    @property
    def needs_attention(self) -> list[ConnectionSync]:
        """The connections that did not sync, with their message."""
        return [result for result in self.results if not result.ok]

    @property
    def meetings(self) -> int:
        """Meetings read in this round."""
        return sum(result.meetings for result in self.results)


class SyncProgress(Protocol):
    """Told how a round goes: its size once, then each connection as it finishes."""

    def started(self, total: int) -> None:
        """The round will sync `total` connections."""
        ...

    def synced(self, result: ConnectionSync) -> None:
        """One connection is done."""
        ...


async def round_scope(rt: Runtime, tenant_id: int) -> SyncScope:
    """What every sync of a tenant's round shares: the window, people and link patterns."""
    policy = await tenant_policy(rt, tenant_id)
    return await sync_scope(rt, tenant_id, sync_window(rt.now(), policy))


def unexpected(exc: BaseException) -> str:
    """A short message for an error nobody expected: its class only; the details are logged."""
    return internal_error(exc)


def _scrub(message: str, secret: str | None) -> str:
    """The message with the secret source (and token-like pieces of it) redacted."""
    return scrub_secret(message, secret) if secret else message


async def sync_connection(
    rt: Runtime, tenant_id: int, connection_id: int, scope: SyncScope | None = None
) -> ConnectionSync:
    """Sync one connection now; a failure is recorded on it and returned, never raised.

    NotFound when the connection is not in this tenant. A connection of an inactive person is
    left alone (`skipped`).
    """
    async with rt.db.session() as session:
        row = await CalendarRepository(session, tenant_id).get(connection_id)
        person = (
            None if row is None else await PeopleRepository(session, tenant_id).get(row.person_id)
        )
    if row is None or person is None:
        raise NotFound(f"calendar connection {connection_id} not found in this tenant")
    if not person.active:
        return _result(row, person, SKIPPED, "the person is inactive")
    try:
        calendar = calendar_ref(rt, row, person)
        connector = rt.connector(row.provider)
    except SecretKeyError:
        message = "the stored feed URL cannot be opened with the configured secret keys"
        return await _failed(rt, tenant_id, row, person, message)
    except KeyError:
        message = f"no connector is configured for provider {row.provider!r}"
        return await _failed(rt, tenant_id, row, person, message)
    secret = calendar.source if row.credentials_encrypted is not None else None
    try:
        if scope is None:
            scope = await round_scope(rt, tenant_id)
        outcome = await sync_calendar(rt, scope, connection_id, calendar, connector)
    except Exception as exc:  # every failure of one connection is recorded; the round goes on
        log.warning("sync.crashed", connection_id=connection_id, error=type(exc).__name__)
        message = _scrub(unexpected(exc), secret)
        return await _failed(rt, tenant_id, row, person, message, status="error")
    if outcome.error is None:
        return ConnectionSync(
            row.id, person.email, row.source, OK, meetings=outcome.meetings,
            skipped_events=outcome.skipped, removed=outcome.removed,
            not_modified=outcome.not_modified,
        )  # fmt: skip
    async with rt.db.session() as session:
        after = await CalendarRepository(session, tenant_id).get(connection_id)
    status = after.status if after is not None and after.status != OK else "error"
    message = _scrub(outcome.error, secret)
    if message != outcome.error:
        return await _failed(rt, tenant_id, row, person, message, status=status)
    return _result(row, person, status, message)


def _result(
    row: CalendarRow, person: PersonRow, status: str, message: str | None = None
) -> ConnectionSync:
    return ConnectionSync(row.id, person.email, row.source, status, message)


async def _failed(
    rt: Runtime,
    tenant_id: int,
    row: CalendarRow,
    person: PersonRow,
    message: str,
    status: str = "needs_attention",
) -> ConnectionSync:
    """Record a failure on the connection (best effort: a database failure is only logged)."""
    try:
        async with rt.db.session() as session:
            await CalendarRepository(session, tenant_id).mark_error(row.id, status, message)
            await session.commit()
    except Exception as exc:  # the round goes on even when the database hiccups
        log.warning("sync.record_failed", connection_id=row.id, error=type(exc).__name__)
    log.warning("sync.needs_attention", connection_id=row.id, status=status)
    return _result(row, person, status, message)


async def connections_due(
    rt: Runtime, tenant_id: int, interval: timedelta | None
) -> list[CalendarRow]:
    """The tenant's connections to sync now: those of active people (not revoked), and with
    `interval` only those whose moment has come (`sync_due`) and, near the Google project's
    daily request limit, not the Google calendars it stops (`workers.google_quota`)."""
    now = rt.now()
    async with rt.db.session() as session:
        rows = await CalendarRepository(session, tenant_id).for_sync()
    if interval is None:
        return rows
    due = [row for row in rows if sync_due(row.id, row.last_synced_at, now, interval)]
    if any(row.provider == "google" for row in due):
        # Near the project's daily request limit: push-triggered syncs only, until tomorrow.
        due = await optional_polls_left(rt, tenant_id, due)
    return due


async def sync_tenant(
    rt: Runtime,
    tenant_id: int,
    due_every: timedelta | None = None,
    concurrency: int = 1,
    progress: SyncProgress | None = None,
) -> SyncRound:
    """Sync the tenant's connections (every one, or with `due_every` the due ones), at most
    `concurrency` at a time; results in connection order."""
    started = time.perf_counter()
    rows = await connections_due(rt, tenant_id, due_every)
    round_ = SyncRound(tenant_id)
    if progress is not None:
        progress.started(len(rows))
    if rows:
        scope = await round_scope(rt, tenant_id)
        await _prefetch(rt, tenant_id, rows)
        round_.results = await _run(rt, scope, rows, max(concurrency, 1), progress)
        await record_requests(rt)
    round_.seconds = time.perf_counter() - started
    log.info(
        "sync.round", tenant_id=tenant_id, connections=len(rows),
        needs_attention=len(round_.needs_attention), seconds=round(round_.seconds, 3),
    )  # fmt: skip
    return round_


async def _prefetch(rt: Runtime, tenant_id: int, rows: Sequence[CalendarRow]) -> None:
    """Graph mailboxes of the round: their first delta pages through `$batch` (issue 14 item 5),
    for every round (`rapport sync`, `rapport tick`, the scheduler of `rapport serve`)."""
    ids = {row.id for row in rows if row.provider == "microsoft"}
    if ids:
        # Imported here: workers.microsoft imports workers.google, which imports this module.
        from workers.microsoft import prefetch_round

        await prefetch_round(rt, tenant_id, ids)


async def _run(
    rt: Runtime,
    scope: SyncScope,
    rows: Sequence[CalendarRow],
    concurrency: int,
    progress: SyncProgress | None,
) -> list[ConnectionSync]:
    gate = asyncio.Semaphore(concurrency)
    results: list[ConnectionSync] = []

    async def one(row: CalendarRow) -> None:
        async with gate:
            try:
                result = await sync_connection(rt, scope.tenant_id, row.id, scope)
            except NotFound:
                return  # deleted while the round ran
            except Exception as exc:  # loading it failed (the database): the round goes on
                log.warning("sync.crashed", connection_id=row.id, error=type(exc).__name__)
                result = ConnectionSync(row.id, "", row.source, "error", unexpected(exc))
        results.append(result)
        if progress is not None:
            progress.synced(result)

    if concurrency == 1:
        for row in rows:
            await one(row)
    else:
        async with asyncio.TaskGroup() as group:
            for row in rows:
                group.create_task(one(row))
    return sorted(results, key=lambda result: result.connection_id)
