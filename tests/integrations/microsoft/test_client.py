"""GraphClient against the emulator: msal's real token flow, trust, errors by kind, $batch."""

from __future__ import annotations

import time

import pytest

from integrations.microsoft.client import (
    ClientConfig,
    GraphClient,
    MailboxUnavailable,
    Request,
    retry_after_s,
)
from service.domain.port import AuthRevoked, CursorExpired
from tests.emulators.microsoft.fixtures import Graph

FAST = ClientConfig(min_retry_after_s=0.05, backoff_base_s=0.05)


def client_for(graph: Graph, config: ClientConfig = FAST) -> GraphClient:
    from dataclasses import replace

    return GraphClient(replace(config, extra_ca=str(graph.running.ca_file)))


async def test_call_graph_token_cached_across_calls(graph: Graph) -> None:
    mock_id = graph.state.add_user("ada@example.com")
    client = client_for(graph)
    try:
        for _ in range(3):
            answer = await client.call(graph.account, Request("users?$select=id,mail"))
            assert answer.body["value"] == [{"id": mock_id, "mail": "ada@example.com"}]
    finally:
        await client.aclose()
    assert graph.state.token_requests == 1


async def test_call_graph_ca_bundle_kept_despite_requests_ca_bundle(
    graph: Graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The machine's REQUESTS_CA_BUNDLE lacks the test CA: requests would let it win.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    client = client_for(graph)
    try:
        assert await client.token(graph.account)
    finally:
        await client.aclose()


async def test_call_graph_untrusted_without_ca_bundle(graph: Graph) -> None:
    client = GraphClient(FAST)
    try:
        with pytest.raises(Exception, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
            await client.token(graph.account)
    finally:
        await client.aclose()


async def test_call_graph_wrong_secret_auth_revoked_with_aadsts(graph: Graph) -> None:
    from dataclasses import replace

    client = client_for(graph)
    try:
        with pytest.raises(AuthRevoked, match="AADSTS7000215"):
            await client.token(replace(graph.account, client_secret="wrong"))
    finally:
        await client.aclose()


async def test_call_graph_401_refreshes_once_then_auth_revoked(graph: Graph) -> None:
    user = graph.state.add_user("ada@example.com")
    graph.state.fail(f"/users/{user}", 401)
    client = client_for(graph)
    try:
        await client.call(graph.account, Request(f"users/{user}"))  # one refresh heals it
        graph.state.fail(f"/users/{user}", 401, times=2)
        with pytest.raises(AuthRevoked, match="InvalidAuthenticationToken") as caught:
            await client.call(graph.account, Request(f"users/{user}"))
        assert not isinstance(caught.value, MailboxUnavailable)
    finally:
        await client.aclose()
    assert graph.state.token_requests == 3


async def test_call_graph_403_mailbox_unavailable(graph: Graph) -> None:
    user = graph.state.add_user("ada@example.com")
    graph.state.mailboxes[user].status = 403
    client = client_for(graph)
    try:
        with pytest.raises(MailboxUnavailable, match="ErrorAccessDenied"):
            await client.call(graph.account, Request(f"users/{user}/events/x"))
    finally:
        await client.aclose()


async def test_call_graph_429_waits_full_retry_after(graph: Graph) -> None:
    user = graph.state.add_user("ada@example.com")
    graph.state.fail(f"/users/{user}", 429, retry_after="0.3")
    client = client_for(graph)
    try:
        began = time.monotonic()
        await client.call(graph.account, Request(f"users/{user}"))
        assert time.monotonic() - began >= 0.3
    finally:
        await client.aclose()


async def test_call_graph_410_cursor_expired(graph: Graph) -> None:
    user = graph.state.add_user("ada@example.com")
    graph.state.fail(f"/users/{user}", 410)
    client = client_for(graph)
    try:
        with pytest.raises(CursorExpired, match="syncStateNotFound"):
            await client.call(graph.account, Request(f"users/{user}"))
    finally:
        await client.aclose()


async def test_batch_graph_throttled_part_retried_alone(graph: Graph) -> None:
    users = [graph.state.add_user(f"p{n}@example.com") for n in range(25)]
    graph.state.fail(f"/users/{users[3]}/mailboxSettings", 429, retry_after="0.2", times=2)
    client = client_for(graph)
    try:
        answers = await client.batch(
            graph.account, [Request(f"users/{u}/mailboxSettings") for u in users]
        )
    finally:
        await client.aclose()
    assert all(not isinstance(a, Exception) for a in answers)
    assert graph.state.calls("/$batch") == 0  # parts are counted by their own path
    assert graph.state.calls(f"/users/{users[3]}/mailboxSettings") == 3
    assert graph.state.calls(f"/users/{users[4]}/mailboxSettings") == 1


def test_retry_after_decimal_and_http_date() -> None:
    assert retry_after_s("0.249") == pytest.approx(0.249)
    assert retry_after_s("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_s(None) is None
    assert retry_after_s("soon") is None


async def test_call_graph_certificate_credential_signs_client_assertion(graph: Graph) -> None:
    from dataclasses import replace

    pem = graph.state.add_certificate(graph.account.client_id)
    account = replace(graph.account, client_secret=None, certificate_pem=pem)
    client = client_for(graph)
    try:
        assert await client.token(account)
        other = graph.state.add_certificate("someone-else")  # not this app's certificate
        with pytest.raises(AuthRevoked, match="AADSTS700027"):
            await client.token(replace(account, certificate_pem=other))
    finally:
        await client.aclose()
