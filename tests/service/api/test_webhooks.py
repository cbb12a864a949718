"""POST /webhooks/google through the real app: Google's own notifications, replayed as sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from service.api import create_app
from service.config import Settings
from tests.emulators.google.fixtures import ANA, Setup, copies, google_setup, installed, meeting
from workers.google import PushSyncs, keep_channels

__all__ = ["google_setup"]  # the fixture, used by name
URL = "/webhooks/google"


@pytest.fixture
async def client(google_setup: Setup) -> AsyncIterator[httpx.AsyncClient]:
    await installed(google_setup)
    await keep_channels(google_setup.rt, google_setup.tenant_id)
    app = create_app(Settings(base_url="https://rapport.example.com"), google_setup.rt)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://rapport.example.com") as c:
        c.app = app  # type: ignore[attr-defined]
        yield c


def _syncs(client: httpx.AsyncClient) -> PushSyncs | None:
    return getattr(client.app.state, "google_push", None)  # type: ignore[attr-defined]


async def test_webhook_change_notification_syncs_that_calendar(
    client: httpx.AsyncClient, google_setup: Setup
) -> None:
    google_setup.google.put_event(ANA, meeting("pushed1", datetime(2026, 11, 27, 9, tzinfo=UTC)))
    note = google_setup.google.notifications[-1]
    lists = google_setup.google.requests["events.list"]
    answer = await client.post(URL, headers=note.headers)
    assert answer.status_code == 200
    syncs = _syncs(client)
    assert syncs is not None
    await syncs.drain()
    assert google_setup.google.requests["events.list"] == lists + 1
    assert "pushed1@google.com" in {row[1] for row in await copies(google_setup, ANA)}


async def test_webhook_sync_message_answers_and_starts_nothing(
    client: httpx.AsyncClient, google_setup: Setup
) -> None:
    hello = next(
        n for n in google_setup.google.notifications if n.headers["X-Goog-Resource-State"] == "sync"
    )
    answer = await client.post(URL, headers=hello.headers)
    assert answer.status_code == 200
    syncs = _syncs(client)
    assert syncs is None or not syncs.running


@pytest.mark.parametrize(
    "change",
    [
        {"X-Goog-Channel-Token": "forged-token"},
        {"X-Goog-Resource-ID": "someone-elses-resource"},
        {"X-Goog-Channel-ID": "r1-0000000000000000"},
        {"X-Goog-Channel-ID": "not-ours"},
    ],
)
async def test_webhook_forged_notification_rejected(
    client: httpx.AsyncClient, google_setup: Setup, change: dict[str, str]
) -> None:
    google_setup.google.put_event(ANA, meeting("pushed2", datetime(2026, 11, 27, 9, tzinfo=UTC)))
    headers = {**google_setup.google.notifications[-1].headers, **change}
    lists = google_setup.google.requests["events.list"]
    answer = await client.post(URL, headers=headers)
    assert answer.status_code == 403
    assert google_setup.google.requests["events.list"] == lists
    syncs = _syncs(client)
    assert syncs is None or not syncs.running


async def test_webhook_other_tenants_channel_rejected(
    client: httpx.AsyncClient, google_setup: Setup
) -> None:
    note = google_setup.google.notifications[-1].headers
    channel = note["X-Goog-Channel-ID"]
    other = f"r{google_setup.tenant_id + 1000}-" + channel.split("-", 1)[1]
    answer = await client.post(URL, headers={**note, "X-Goog-Channel-ID": other})
    assert answer.status_code == 403


async def test_webhook_without_channel_headers_is_bad_request(client: httpx.AsyncClient) -> None:
    answer = await client.post(URL, headers={"X-Goog-Resource-State": "exists"})
    assert answer.status_code == 400
