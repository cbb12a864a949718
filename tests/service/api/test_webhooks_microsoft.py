"""POST /webhooks/microsoft through the real app: the validation handshake Graph makes when a
subscription is created, change and lifecycle notifications as the emulator builds them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from integrations.microsoft import ClientConfig, GraphClient, MicrosoftConnector
from integrations.microsoft.push import SubscriptionConfig
from service.api import create_app
from service.config import Settings
from service.email import EmailRenderer, MaildirOutbox
from service.pipeline.google import channels
from service.pipeline.microsoft import save_microsoft_install
from service.runtime import Runtime, fixed_clock
from service.secrets import SecretBox, new_key
from service.storage import Database
from tests.emulators.microsoft.fixtures import Graph, graph, graph_server
from tests.fixtures.pipeline import MAIL
from workers.google import PushSyncs
from workers.microsoft import drain_background, keep_subscriptions, microsoft_directory_round
from workers.sync import sync_tenant

__all__ = ["graph", "graph_server"]
BASE = "https://rapport.example.com"
URL = "/webhooks/microsoft"
ANA = "ana@example.com"
NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass
class Setup:
    rt: Runtime
    tenant_id: int
    graph: Graph
    client: httpx.AsyncClient


@pytest.fixture
async def setup(
    database: Database, tenant_id: int, tmp_path: Path, graph: Graph
) -> AsyncIterator[Setup]:
    graph.state.add_user(ANA, "Ana")
    graph.state.add_event(ANA, "Soon", NOW + timedelta(days=1))
    config = ClientConfig(
        min_retry_after_s=0.05, backoff_base_s=0.05, extra_ca=str(graph.running.ca_file)
    )
    connector = MicrosoftConnector(GraphClient(config), push=SubscriptionConfig(address=BASE + URL))
    rt = Runtime(
        db=database, mailer=MaildirOutbox(tmp_path / "outbox"), renderer=EmailRenderer(),
        mail=MAIL, reports_dir=tmp_path / "reports", clock=fixed_clock(NOW),
        connectors={"microsoft": connector}, secrets=SecretBox([new_key().encode()]),
    )  # fmt: skip
    account = graph.account
    await save_microsoft_install(
        rt, tenant_id, (account.directory_tenant, account.client_id), account.dump()
    )
    app = create_app(Settings(base_url=BASE), rt)
    graph.state.webhook_transport = httpx.ASGITransport(app=app)
    found = await microsoft_directory_round(rt, tenant_id)
    assert found is not None
    assert found.error is None
    assert (await sync_tenant(rt, tenant_id)).ok
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        client.app = app  # type: ignore[attr-defined]
        yield Setup(rt, tenant_id, graph, client)
    await connector.aclose()


def _syncs(setup: Setup) -> PushSyncs | None:
    return getattr(setup.client.app.state, "google_push", None)  # type: ignore[attr-defined]


async def test_webhook_microsoft_validation_token_echoed_as_plain_text(setup: Setup) -> None:
    token = "Validation: Testing client application reachability <&> 1"
    answer = await setup.client.post(URL, params={"validationToken": token})
    assert answer.status_code == 200
    assert answer.text == token
    assert answer.headers["content-type"].startswith("text/plain")


async def test_keep_subscriptions_microsoft_handshake_then_notification_syncs(
    setup: Setup,
) -> None:
    kept = await keep_subscriptions(setup.rt, setup.tenant_id)
    assert kept.created == 1
    assert kept.refused == 0
    (sub_id,) = setup.graph.state.subscriptions
    stored = [c for c, _ in await channels(setup.rt, setup.tenant_id)]
    assert [c.channel_id for c in stored] == [sub_id]
    assert stored[0].expires_at > NOW + timedelta(minutes=4000)

    event = setup.graph.state.add_event(ANA, "Pushed", NOW + timedelta(days=2))
    calls = setup.graph.state.calls("/calendarView/delta")
    answer = await setup.client.post(
        URL, json=setup.graph.state.notification(sub_id, event, "created")
    )
    assert answer.status_code == 202
    syncs = _syncs(setup)
    assert syncs is not None
    await syncs.drain()
    assert setup.graph.state.calls("/calendarView/delta") == calls + 1

    # Renewed from the expiry Graph returned, only near it.
    again = await keep_subscriptions(setup.rt, setup.tenant_id)
    assert (again.created, again.renewed) == (0, 0)


async def test_webhook_microsoft_forged_client_state_changes_nothing(setup: Setup) -> None:
    await keep_subscriptions(setup.rt, setup.tenant_id)
    (sub_id,) = setup.graph.state.subscriptions
    calls = setup.graph.state.calls("/calendarView/delta")
    for forged in (f"r{setup.tenant_id}-forged", "not-ours", ""):
        note = setup.graph.state.notification(sub_id, "x", "updated", client_state=forged)
        answer = await setup.client.post(URL, json=note)
        assert answer.status_code == 403
    assert (await setup.client.post(URL, content=b"{not json")).status_code == 400
    syncs = _syncs(setup)
    assert syncs is None or not syncs.running
    assert setup.graph.state.calls("/calendarView/delta") == calls


async def test_webhook_microsoft_lifecycle_notifications(setup: Setup) -> None:
    await keep_subscriptions(setup.rt, setup.tenant_id)
    (sub_id,) = setup.graph.state.subscriptions
    state = setup.graph.state
    patches = state.calls(f"/subscriptions/{sub_id}")
    answer = await setup.client.post(URL, json=state.lifecycle(sub_id, "reauthorizationRequired"))
    assert answer.status_code == 202
    await drain_background()
    assert state.calls(f"/subscriptions/{sub_id}") == patches + 1  # renewed (PATCH)

    answer = await setup.client.post(URL, json=state.lifecycle(sub_id, "missed"))
    assert answer.status_code == 202
    syncs = _syncs(setup)
    assert syncs is not None
    await syncs.drain()

    answer = await setup.client.post(URL, json=state.lifecycle(sub_id, "subscriptionRemoved"))
    assert answer.status_code == 202
    await syncs.drain()
    assert await channels(setup.rt, setup.tenant_id) == []
    kept = await keep_subscriptions(setup.rt, setup.tenant_id)
    assert kept.created == 1  # made again on the next round


async def test_keep_subscriptions_microsoft_poll_only_without_public_https(
    setup: Setup,
) -> None:
    connector = setup.rt.connectors["microsoft"]
    assert isinstance(connector, MicrosoftConnector)
    connector.push = SubscriptionConfig(address=None)
    kept = await keep_subscriptions(setup.rt, setup.tenant_id)
    assert kept.poll_only
    assert kept.created == 0
    assert setup.graph.state.subscriptions == {}
