"""The Google daily request counter against the emulator: a low limit stops periodic polling
until the next UTC day, push-triggered syncs go on, and the count lives in the database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete
from structlog.testing import capture_logs

from integrations.google import GoogleApi, GoogleConnector, PushConfig, SyncConfig
from service.pipeline.google import channels, forget_channel, google_connections
from service.runtime import Runtime, fixed_clock
from service.storage import Database
from service.storage.models import GoogleRequestDay
from tests.emulators.google.fixtures import (
    ANA,
    CAT,
    FAST,
    NOW,
    Setup,
    copies,
    google_setup,
    installed,
    meeting,
)
from tests.emulators.google.keys import PROJECT
from workers import google_quota
from workers.google import PushSyncs, keep_channels
from workers.google_quota import daily_quota
from workers.sync import sync_tenant

__all__ = ["google_setup"]  # the fixture, used by name

INTERVAL = timedelta(minutes=15)


def _at(rt: Runtime, now: datetime) -> Runtime:
    return dataclasses.replace(rt, clock=fixed_clock(now))


def _limit(rt: Runtime, limit: int) -> None:
    connector = rt.connectors["google"]
    assert isinstance(connector, GoogleConnector)
    connector.api.config = dataclasses.replace(connector.api.config, daily_request_limit=limit)


def _api_requests(setup: Setup) -> int:
    """Calls the emulator served, the OAuth token endpoint left out (not Calendar quota)."""
    return sum(n for name, n in setup.google.requests.items() if not name.startswith("token"))


@pytest.fixture(autouse=True)
async def _fresh_counts(monkeypatch: pytest.MonkeyPatch, database: Database) -> None:
    """The emulator's project starts the test with no requests counted (the table is
    project-wide, so a shared database keeps other tests' counts) and nothing logged."""
    monkeypatch.setattr(google_quota, "_said_paused", set())
    async with database.transaction() as session:
        await session.execute(delete(GoogleRequestDay).where(GoogleRequestDay.project == PROJECT))


async def test_count_google_requests_per_project_day_in_database(google_setup: Setup) -> None:
    await installed(google_setup)
    quota = await daily_quota(google_setup.rt, google_setup.tenant_id)
    assert quota is not None
    assert (quota.project, quota.day, quota.reached) == (PROJECT, NOW.date(), False)
    assert quota.requests == _api_requests(google_setup) > 0
    # Another process (its own client, nothing counted yet) reads the same count.
    other = GoogleConnector(GoogleApi(FAST), SyncConfig(), PushConfig())
    try:
        elsewhere = dataclasses.replace(google_setup.rt, connectors={"google": other})
        again = await daily_quota(elsewhere, google_setup.tenant_id)
    finally:
        other.close()
    assert again is not None
    assert again.requests == quota.requests
    tomorrow = await daily_quota(
        _at(google_setup.rt, NOW + timedelta(days=1)), google_setup.tenant_id
    )
    assert tomorrow is not None
    assert tomorrow.requests == 0


async def test_sync_daily_limit_stops_polling_until_next_utc_day_push_goes_on(
    google_setup: Setup,
) -> None:
    await installed(google_setup)
    _limit(google_setup.rt, 10)  # the directory round and first syncs made more than that
    later = _at(google_setup.rt, NOW + timedelta(hours=1))  # every calendar due again
    lists = google_setup.google.requests["events.list"]
    with capture_logs() as logs:
        first = await sync_tenant(later, google_setup.tenant_id, due_every=INTERVAL)
        second = await sync_tenant(
            _at(google_setup.rt, NOW + timedelta(hours=2)), google_setup.tenant_id, INTERVAL
        )
    assert (first.results, second.results) == ([], [])
    assert google_setup.google.requests["events.list"] == lists
    said = [entry for entry in logs if entry["event"] == "google.daily_limit_reached"]
    assert len(said) == 1
    assert (said[0]["project"], said[0]["limit"]) == (PROJECT, 10)
    quota = await daily_quota(later, google_setup.tenant_id)
    assert quota is not None
    assert quota.reached
    assert "polling paused until 2026-11-25T00:00:00+00:00" in quota.message
    # A notification still syncs its calendar.
    google_setup.google.put_event(ANA, meeting("pushed1", datetime(2026, 11, 27, 9, tzinfo=UTC)))
    [ana] = [c for c in await google_connections(later, google_setup.tenant_id) if c.email == ANA]
    syncs = PushSyncs(later)
    syncs.trigger(google_setup.tenant_id, ana.connection_id)
    await syncs.drain()
    assert google_setup.google.requests["events.list"] == lists + 1
    assert "pushed1@google.com" in {r[1] for r in await copies(google_setup, ANA)}
    # The next UTC day polling starts again.
    next_day = _at(google_setup.rt, datetime(2026, 11, 25, 0, 30, tzinfo=UTC))
    resumed = await sync_tenant(next_day, google_setup.tenant_id, due_every=INTERVAL)
    assert len(resumed.results) == 4
    assert resumed.ok
    assert google_setup.google.requests["events.list"] >= lists + 1 + 4


async def test_sync_near_daily_limit_stops_safety_net_of_pushed_calendars_first(
    google_setup: Setup,
) -> None:
    await installed(google_setup)
    await keep_channels(google_setup.rt, google_setup.tenant_id)  # every calendar has push
    cat_id = await _connection_of(google_setup, CAT)
    held = await channels(google_setup.rt, google_setup.tenant_id)
    [cat] = [channel for channel, _ in held if channel.connection_id == cat_id]
    await forget_channel(google_setup.rt, google_setup.tenant_id, cat.channel_id)  # poll only now
    quota = await daily_quota(google_setup.rt, google_setup.tenant_id)
    assert quota is not None
    _limit(google_setup.rt, quota.requests + 1)  # past 90 %, below the limit
    later = _at(google_setup.rt, NOW + timedelta(hours=1))
    first = await sync_tenant(later, google_setup.tenant_id, due_every=INTERVAL)
    assert [r.person for r in first.results] == [CAT]  # the poll-only calendar alone
    shown = await daily_quota(later, google_setup.tenant_id)
    assert shown is not None
    assert shown.status == "paused"  # Cat's sync used the last request
    again = _at(google_setup.rt, NOW + timedelta(hours=2))
    assert (await sync_tenant(again, google_setup.tenant_id, INTERVAL)).results == []


async def _connection_of(setup: Setup, email: str) -> int:
    [found] = [c for c in await google_connections(setup.rt, setup.tenant_id) if c.email == email]
    return found.connection_id


async def test_sync_daily_limit_leaves_explicit_sync_alone(google_setup: Setup) -> None:
    await installed(google_setup)
    _limit(google_setup.rt, 1)
    round_ = await sync_tenant(google_setup.rt, google_setup.tenant_id)  # `rapport sync`
    assert len(round_.results) == 4
