"""Sync jobs: one connection and a tenant's round, against feeds on a real loopback server."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

from sqlalchemy.exc import OperationalError

from service.domain.policy import Policy
from service.domain.port import CalendarRef, Feature, PullPage, SyncWindow
from service.email import MaildirOutbox
from service.secrets import load_secret_box, new_key
from service.storage import (
    CalendarRepository,
    Database,
    MeetingRepository,
    PeopleRepository,
    PersonIn,
)
from tests.integrations.ics.feedserver import Feed, Raw, RunningServer
from tests.workers.conftest import NOW, TOKEN, calendar, event, make_team, worker_runtime
from workers.sync import (
    ConnectionSync,
    last_slot,
    sync_connection,
    sync_due,
    sync_phase,
    sync_tenant,
    sync_window,
    unexpected,
)

ANA, BEN, CAT = "ana@example.com", "ben@example.com", "cat@example.com"


class Recorder:
    """A `SyncProgress` that remembers what it was told."""

    def __init__(self) -> None:
        self.total: int | None = None
        self.done: list[ConnectionSync] = []

    def started(self, total: int) -> None:
        self.total = total

    def synced(self, result: ConnectionSync) -> None:
        self.done.append(result)


def test_sync_window_whole_days_around_now() -> None:
    window = sync_window(datetime(2026, 11, 24, 7, 30, tzinfo=UTC), Policy())
    assert window.start == datetime(2026, 8, 26, tzinfo=UTC)  # 90 days back, midnight
    assert window.end == datetime(2026, 12, 10, tzinfo=UTC)  # 15 days ahead, next midnight


def test_sync_phase_spreads_connections_over_the_interval() -> None:
    interval = timedelta(minutes=15)
    phases = [sync_phase(i, interval) for i in range(1, 3001)]
    assert all(timedelta(0) <= p < interval for p in phases)
    assert phases == [sync_phase(i, interval) for i in range(1, 3001)]  # stable
    per_minute = [0] * 15
    for phase in phases:
        per_minute[int(phase / timedelta(minutes=1))] += 1
    assert min(per_minute) > 150  # about 200 a minute, never all at once


def test_sync_due_once_per_interval_at_the_connection_moment() -> None:
    interval = timedelta(minutes=15)
    slot = last_slot(7, NOW, interval)
    assert NOW - interval < slot <= NOW
    assert sync_due(7, None, NOW, interval)
    assert sync_due(7, slot - timedelta(seconds=1), NOW, interval)
    assert not sync_due(7, slot, NOW, interval)
    assert not sync_due(7, slot, slot + interval - timedelta(seconds=1), interval)
    assert sync_due(7, slot, slot + interval, interval)


async def test_sync_tenant_pulls_every_active_connection(
    database: Database, tenant_id: int, tmp_path: Path, feeds: RunningServer
) -> None:
    rt = worker_runtime(database, MaildirOutbox(tmp_path / "out"), tmp_path)
    feeds.app.feeds["ana"] = Feed(calendar(ANA, event("m1@x", NOW + timedelta(hours=3))))
    team = await make_team(rt, tenant_id, feeds, [ANA, BEN, CAT])
    async with database.session() as session:
        await PeopleRepository(session, tenant_id).upsert_many(
            [PersonIn(email=CAT, timezone="Europe/London", active=False)]
        )
        await session.commit()
    progress = Recorder()
    round_ = await sync_tenant(rt, tenant_id, progress=progress)
    assert round_.ok
    assert [r.person for r in round_.results] == [ANA, BEN]  # Cat is inactive: not synced
    assert progress.total == 2
    assert sorted(r.connection_id for r in progress.done) == sorted(
        team.connections[p] for p in (ANA, BEN)
    )
    assert round_.meetings == 1
    assert all(TOKEN not in r.source for r in round_.results)
    async with database.session() as session:
        assert await MeetingRepository(session, tenant_id).count() == 1
        cat = await CalendarRepository(session, tenant_id).get(team.connections[CAT])
    assert cat is not None
    assert cat.last_synced_at is None


async def test_sync_tenant_records_failures_and_goes_on(
    database: Database, tenant_id: int, tmp_path: Path, feeds: RunningServer
) -> None:
    rt = worker_runtime(database, MaildirOutbox(tmp_path / "out"), tmp_path)
    feeds.app.feeds["ben"] = Feed(calendar(BEN, event("m2@x", NOW + timedelta(hours=2))))
    # Ana's feed answers an HTML error page, Cat's is gone: both fail, Ben's still syncs.
    feeds.app.raw["ana"] = Raw(200, [(b"content-type", b"text/html")], b"<html>oops</html>")
    team = await make_team(rt, tenant_id, feeds, [ANA, BEN, CAT])
    async with database.session() as session:
        calendars = CalendarRepository(session, tenant_id)
        # Ana's URL points at the broken reply, Cat's at a feed that does not exist.
        box = rt.secret_box()
        await calendars.set_credentials(
            team.connections[ANA], box.encrypt(f"{feeds.base}/raw/ana?token={TOKEN}")
        )
        await calendars.set_credentials(
            team.connections[CAT], box.encrypt(f"{feeds.base}/feeds/nobody?token={TOKEN}")
        )
        await session.commit()
    round_ = await sync_tenant(rt, tenant_id, concurrency=2)
    by_person = {r.person: r for r in round_.results}
    assert not round_.ok
    assert by_person[BEN].ok
    assert by_person[BEN].meetings == 1
    assert {r.person for r in round_.needs_attention} == {ANA, CAT}
    for failed in round_.needs_attention:
        assert failed.status == "error"
        assert failed.message
        assert TOKEN not in failed.message
    async with database.session() as session:
        rows = {
            c: await CalendarRepository(session, tenant_id).get(i)
            for c, i in team.connections.items()
        }
    assert rows[ANA] is not None
    assert rows[ANA].status == "error"
    assert rows[ANA].last_error
    assert TOKEN not in rows[ANA].last_error
    assert rows[BEN] is not None
    assert rows[BEN].status == "ok"


async def test_sync_connection_undecryptable_secret_needs_attention(
    database: Database, tenant_id: int, tmp_path: Path, feeds: RunningServer
) -> None:
    rt = worker_runtime(database, MaildirOutbox(tmp_path / "out"), tmp_path)
    team = await make_team(rt, tenant_id, feeds, [ANA])
    other_keys = dataclasses.replace(rt, secrets=load_secret_box(new_key(), tmp_path / "k2"))
    result = await sync_connection(other_keys, tenant_id, team.connections[ANA])
    assert result.status == "needs_attention"
    assert result.message is not None
    assert "secret keys" in result.message
    async with database.session() as session:
        row = await CalendarRepository(session, tenant_id).get(team.connections[ANA])
    assert row is not None
    assert row.status == "needs_attention"


async def test_sync_connection_unknown_provider_needs_attention(
    database: Database, tenant_id: int, tmp_path: Path, feeds: RunningServer
) -> None:
    rt = worker_runtime(database, MaildirOutbox(tmp_path / "out"), tmp_path)
    team = await make_team(rt, tenant_id, feeds, [ANA])
    no_connectors = dataclasses.replace(rt, connectors={})
    result = await sync_connection(no_connectors, tenant_id, team.connections[ANA])
    assert result.status == "needs_attention"
    assert result.message == "no connector is configured for provider 'ics'"


async def test_sync_tenant_due_every_syncs_only_due_connections(
    database: Database, tenant_id: int, tmp_path: Path, feeds: RunningServer
) -> None:
    rt = worker_runtime(database, MaildirOutbox(tmp_path / "out"), tmp_path)
    await make_team(rt, tenant_id, feeds, [ANA, BEN])
    interval = timedelta(minutes=15)
    first = await sync_tenant(rt, tenant_id, interval)
    assert len(first.results) == 2  # never synced: due at once
    again = await sync_tenant(rt, tenant_id, interval)
    assert again.results == []
    later = dataclasses.replace(rt, clock=lambda: NOW + interval)
    assert len((await sync_tenant(later, tenant_id, interval)).results) == 2


class _DatabaseBroke:
    """A connector whose pull fails the way a database driver does: SQL text in the message."""

    provider: ClassVar[str] = "ics"
    features: ClassVar[Feature] = Feature(0)

    def pull(
        self, calendar: CalendarRef, cursor: str | None, window: SyncWindow
    ) -> AsyncIterator[PullPage]:
        raise OperationalError(
            "UPDATE calendar_connections SET credentials_encrypted=? WHERE id=?",
            {},
            Exception("locked"),
        )


async def test_sync_connection_unexpected_error_stores_no_internals(
    database: Database, tenant_id: int, tmp_path: Path, feeds: RunningServer
) -> None:
    rt = worker_runtime(database, MaildirOutbox(tmp_path / "out"), tmp_path)
    team = await make_team(rt, tenant_id, feeds, [ANA])
    broken = dataclasses.replace(rt, connectors={"ics": _DatabaseBroke()})
    result = await sync_connection(broken, tenant_id, team.connections[ANA])
    assert result.status == "error"
    assert result.message == "internal error (OperationalError); see the log"
    async with database.session() as session:
        row = await CalendarRepository(session, tenant_id).get(team.connections[ANA])
    assert row is not None
    assert row.last_error == "internal error (OperationalError); see the log"


def test_unexpected_names_only_the_class() -> None:
    error = ValueError("SELECT * FROM people WHERE email = 'ana@example.com'")
    assert unexpected(error) == "internal error (ValueError); see the log"
