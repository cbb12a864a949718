"""Graph change notifications: where they go, how long subscriptions live, the Graph calls.

Graph delivers only to a public https address, so subscriptions are created only when
Rapport's base URL is one (the same rule as Google's: `public_https`); otherwise Rapport polls
alone. The lifetime asked for is a setting (4,230 minutes for events by the docs table; some
sources say 10,080): Rapport stores and renews from the `expirationDateTime` Graph returns, and
retries once at 4,230 when a longer value is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from integrations.google.push import public_https
from integrations.microsoft.account import MicrosoftAccount
from integrations.microsoft.client import GraphBadRequest, GraphClient, Request
from integrations.payload import text
from service.domain.port import ProviderUnavailable

WEBHOOK_PATH = "/webhooks/microsoft"
EVENTS_MAX_MINUTES = 4230


@dataclass(frozen=True, slots=True)
class SubscriptionConfig:
    """The webhook address (None: poll only), the lifetime asked for, the renewal margin."""

    address: str | None = None
    ttl_minutes: int = EVENTS_MAX_MINUTES
    renew_before_s: int = 12 * 3600


def graph_webhook_address(base_url: str) -> str | None:
    """The notification address under `base_url`, or None when Graph could not reach it."""
    if not public_https(base_url):
        return None
    return base_url.rstrip("/") + WEBHOOK_PATH


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def expiry_of(body: object, fallback: datetime) -> datetime:
    """The `expirationDateTime` Graph returned (what is stored and renewed from)."""
    stamp = text(body, "expirationDateTime") if isinstance(body, dict) else None
    if stamp is None:
        return fallback
    try:
        found = datetime.fromisoformat(stamp)  # 3.11 reads "Z" and Graph's 7 digits
    except ValueError:
        return fallback
    return found if found.tzinfo else found.replace(tzinfo=UTC)


async def subscribe(
    client: GraphClient,
    account: MicrosoftAccount,
    mailbox: str,
    client_state: str,
    config: SubscriptionConfig,
    now: datetime,
) -> tuple[str, str, datetime]:
    """Create a subscription on the mailbox's events: (id, resource, expiry Graph returned).

    Graph calls our webhook with a validationToken before answering (the handshake)."""
    assert config.address is not None
    resource = f"/users/{mailbox}/events"
    minutes = config.ttl_minutes
    for attempt in range(2):
        body = {
            "changeType": "created,updated,deleted",
            "notificationUrl": config.address,
            "lifecycleNotificationUrl": config.address,
            "resource": resource,
            "expirationDateTime": _iso(now + timedelta(minutes=minutes)),
            "clientState": client_state,
            "latestSupportedTlsVersion": "v1_2",
        }
        try:
            answer = await client.call(
                account, Request("subscriptions", "POST", {}, body), mailbox=mailbox,
                what="subscriptions",
            )  # fmt: skip
        except GraphBadRequest:
            if attempt == 0 and minutes > EVENTS_MAX_MINUTES:
                minutes = EVENTS_MAX_MINUTES  # a longer lifetime refused: the documented cap
                continue
            raise
        sub_id = text(answer.body, "id")
        if sub_id is None:
            raise ProviderUnavailable("Graph created a subscription without an id")
        return sub_id, resource, expiry_of(dict(answer.body), now + timedelta(minutes=minutes))
    raise ProviderUnavailable("Graph refused the subscription")


async def renew(
    client: GraphClient, account: MicrosoftAccount, sub_id: str, config: SubscriptionConfig,
    now: datetime,
) -> datetime:  # fmt: skip
    """PATCH a subscription's expiry; returns what Graph stored."""
    wanted = now + timedelta(minutes=min(config.ttl_minutes, EVENTS_MAX_MINUTES))
    body = {"expirationDateTime": _iso(wanted)}
    request = Request(f"subscriptions/{sub_id}", "PATCH", {}, body)
    answer = await client.call(account, request, what="subscriptions")
    return expiry_of(dict(answer.body), wanted)


async def unsubscribe(client: GraphClient, account: MicrosoftAccount, sub_id: str) -> None:
    """DELETE a subscription (a 404 means it is gone already)."""
    await client.call(account, Request(f"subscriptions/{sub_id}", "DELETE"), what="subscriptions")
