"""Microsoft 365 jobs: the directory round, the probe `rapport connect microsoft` runs.

- `microsoft_directory_round`: the people of the organisation from Graph (users with a mailbox,
  proxyAddresses as aliases, groups, manager, mailboxSettings time zone and working hours), then
  `pipeline.microsoft.apply_microsoft_directory`. A refused app credential (AADSTS…, or 401
  after one token refresh) marks the install (and the round) as needing attention.
- `prefetch_round`: before a round of syncs (`workers.sync.sync_tenant`: `rapport sync`,
  `rapport tick` and the scheduler of `rapport serve`), the first delta page of every Microsoft
  connection of the round with a cursor is asked through `$batch` (20 mailboxes a request).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from integrations.microsoft import MicrosoftConnector
from integrations.microsoft.account import MicrosoftAccount
from integrations.microsoft.client import Request
from integrations.microsoft.directory import read_directory
from integrations.microsoft.push import renew, subscribe, unsubscribe
from integrations.payload import text
from service.domain.port import CalendarRef, ConnectorError
from service.pipeline.google import channels, forget_channel, record_channel
from service.pipeline.microsoft import (
    MICROSOFT,
    apply_microsoft_directory,
    microsoft_connections,
    microsoft_install,
    record_microsoft_round,
    subscription_for_notification,
)
from service.pipeline.sync import error_message
from service.runtime import Runtime
from service.storage import CalendarRepository, PersonIn
from service.storage.repositories.google import ChannelRow, PushChannelRepository, channel_prefix
from service.storage.repositories.microsoft import ConnectionRow
from workers.directory import DirectoryRound, round_failed
from workers.google import PushSyncs

log = structlog.get_logger(__name__)


def microsoft_connector(rt: Runtime) -> MicrosoftConnector | None:
    """The runtime's Microsoft connector, when one is configured."""
    connector = rt.connectors.get("microsoft")
    return connector if isinstance(connector, MicrosoftConnector) else None


async def microsoft_directory_round(rt: Runtime, tenant_id: int) -> DirectoryRound | None:
    """Read the directory and apply it; None when the tenant has no Microsoft install."""
    loaded = await microsoft_install(rt, tenant_id)
    if loaded is None:
        return None
    _, secret = loaded
    connector = microsoft_connector(rt)
    outcome = DirectoryRound()
    try:
        if connector is None:
            raise ConnectorError("no Microsoft connector is configured in this process")
        account = connector.account(secret)  # AuthRevoked when it cannot be used
        directory = await read_directory(connector.client, account, rt.now().date())
    except ConnectorError as exc:
        return await round_failed(rt, tenant_id, MICROSOFT, exc)
    people = [
        PersonIn(
            email=p.email,
            name=p.name,
            timezone=directory.zones.get(p.email, "UTC"),
            team=p.groups[0] if p.groups else None,
            aliases=p.aliases,
            manager_email=p.manager_email,
            groups=p.groups,
            active=p.active,
        )
        for p in directory.people
    ]
    outcome.timezones = len(directory.zones)
    applied = await apply_microsoft_directory(
        rt, tenant_id, people, secret, directory.working_hours
    )
    outcome.take(applied)
    await record_microsoft_round(rt, tenant_id, None)
    return outcome


async def probe_microsoft(rt: Runtime, account: MicrosoftAccount) -> str | None:
    """One token and one `/users?$top=1` read; None when they work, else the refusal."""
    connector = microsoft_connector(rt)
    if connector is None:
        return "no Microsoft connector is configured in this process"
    try:
        await connector.client.call(account, Request("users?$select=id&$top=1"), what="users")
    except ConnectorError as exc:
        return error_message(exc)
    return None


# -- change notifications -----------------------------------------------------------------------

POLL_ONLY = (
    "poll only: RAPPORT_BASE_URL is not a public https URL, so Graph cannot deliver change "
    "notifications"
)
_said_poll_only: set[int] = set()
_background: set[asyncio.Task[None]] = set()  # renewals a lifecycle notification asked for


async def drain_background() -> None:
    """Wait for the renewals started so far (tests, shutdown)."""
    while _background:
        await asyncio.gather(*list(_background), return_exceptions=True)


@dataclass(slots=True)
class SubscriptionRound:
    """What keeping a tenant's subscriptions did."""

    poll_only: bool = False
    created: int = 0
    renewed: int = 0
    deleted: int = 0
    refused: int = 0


async def keep_subscriptions(rt: Runtime, tenant_id: int) -> SubscriptionRound:
    """Create, renew and delete the tenant's Graph subscriptions (one per active mailbox).

    Only for a public https base URL; renewed from the expiry Graph returned, `renew_before_s`
    ahead; a leaver's subscription deleted. A refusal is logged and never fails anything."""
    connector = microsoft_connector(rt)
    outcome = SubscriptionRound()
    loaded = await microsoft_install(rt, tenant_id)
    if connector is None or loaded is None:
        return outcome
    account = MicrosoftAccount.parse(loaded[1])
    config = connector.push
    connections = await microsoft_connections(rt, tenant_id)
    ours = {c.connection_id: c for c in connections}
    held: dict[int, list[ChannelRow]] = {}
    for channel, _ in await channels(rt, tenant_id):
        if channel.connection_id in ours:
            held.setdefault(channel.connection_id, []).append(channel)
    if config.address is None:
        outcome.poll_only = True
        if tenant_id not in _said_poll_only:
            _said_poll_only.add(tenant_id)
            log.warning("microsoft.poll_only", tenant_id=tenant_id, reason=POLL_ONLY)
    for connection in connections:
        mine = held.get(connection.connection_id, [])
        wanted = connection.active and connection.status != "auth_revoked"
        try:
            if not wanted or config.address is None:
                for old in mine:
                    await _delete(rt, tenant_id, connector, account, old)
                    outcome.deleted += 1
                continue
            await _keep_one(rt, tenant_id, (connector, account), connection, mine, outcome)
        except ConnectorError as exc:  # a refused subscription never fails a sync
            outcome.refused += 1
            log.warning(
                "microsoft.subscription_refused", tenant_id=tenant_id,
                connection_id=connection.connection_id, error=error_message(exc),
            )  # fmt: skip
    return outcome


async def _keep_one(
    rt: Runtime,
    tenant_id: int,
    using: tuple[MicrosoftConnector, MicrosoftAccount],
    connection: ConnectionRow,
    mine: list[ChannelRow],
    outcome: SubscriptionRound,
) -> None:
    """Renew a live subscription near its expiry, or create one."""
    connector, account = using
    config = connector.push
    now = rt.now()
    margin = timedelta(seconds=config.renew_before_s)
    live = [c for c in mine if c.expires_at > now]
    for old in [c for c in mine if c.expires_at <= now]:
        await forget_channel(rt, tenant_id, old.channel_id)
    if live:
        for channel in live:
            if channel.expires_at <= now + margin:
                until = await renew(connector.client, account, channel.channel_id, config, now)
                await _store(rt, tenant_id, connection.connection_id, channel, until)
                outcome.renewed += 1
        return
    state = channel_prefix(tenant_id) + secrets.token_urlsafe(32)
    sub_id, resource, until = await subscribe(
        connector.client, account, connection.email, state, config, now
    )
    await record_channel(rt, tenant_id, connection.connection_id, (sub_id, state, resource, until))
    outcome.created += 1


async def _store(
    rt: Runtime, tenant_id: int, connection_id: int, channel: ChannelRow, until: datetime
) -> None:
    """Keep the renewed expiry (the row is replaced: the clientState hash is kept)."""
    async with rt.db.session() as session:
        repo = PushChannelRepository(session, tenant_id)
        await repo.delete(channel.channel_id)
        await repo.add(
            connection_id, channel.channel_id, channel.token_hash, channel.resource_id, until
        )
        await session.commit()


async def _delete(
    rt: Runtime, tenant_id: int, connector: MicrosoftConnector, account: MicrosoftAccount,
    channel: ChannelRow,
) -> None:  # fmt: skip
    try:
        await unsubscribe(connector.client, account, channel.channel_id)
    except ConnectorError as exc:  # it expires on its own; notifications are checked
        log.info("microsoft.unsubscribe_failed", tenant_id=tenant_id, error=type(exc).__name__)
    await forget_channel(rt, tenant_id, channel.channel_id)


async def handle_graph_notifications(
    rt: Runtime, body: object, syncs: PushSyncs
) -> tuple[int, int]:
    """Act on a notification collection; returns (accepted, rejected).

    A change or a `missed` lifecycle event syncs that one calendar in the background;
    `reauthorizationRequired` renews the subscription; `subscriptionRemoved` forgets it (the
    next round creates a new one) and syncs. A wrong clientState changes nothing."""
    value = body.get("value") if isinstance(body, Mapping) else None
    accepted = rejected = 0
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, Mapping):
            rejected += 1
            continue
        found = await subscription_for_notification(
            rt, str(item.get("subscriptionId") or ""), text(item, "clientState")
        )
        if found is None:
            rejected += 1
            continue
        accepted += 1
        tenant_id, channel = found
        lifecycle = text(item, "lifecycleEvent")
        if lifecycle == "reauthorizationRequired":
            task = asyncio.create_task(_reauthorize(rt, tenant_id, channel))
            _background.add(task)
            task.add_done_callback(_background.discard)
            continue
        if lifecycle == "subscriptionRemoved":
            await forget_channel(rt, tenant_id, channel.channel_id)
        syncs.trigger(tenant_id, channel.connection_id)
    if rejected:
        log.warning("microsoft.notification_rejected", rejected=rejected, accepted=accepted)
    return accepted, rejected


async def _reauthorize(rt: Runtime, tenant_id: int, channel: ChannelRow) -> None:
    connector = microsoft_connector(rt)
    loaded = await microsoft_install(rt, tenant_id)
    if connector is None or loaded is None:
        return
    account = MicrosoftAccount.parse(loaded[1])
    try:
        until = await renew(connector.client, account, channel.channel_id, connector.push, rt.now())
    except ConnectorError as exc:
        log.warning("microsoft.reauthorize_failed", tenant_id=tenant_id, error=type(exc).__name__)
        await forget_channel(rt, tenant_id, channel.channel_id)
        return
    await _store(rt, tenant_id, channel.connection_id, channel, until)


# -- steady-state rounds ------------------------------------------------------------------------


async def prefetch_round(
    rt: Runtime, tenant_id: int, connection_ids: Collection[int] | None = None
) -> int:
    """Before a tenant's syncs: every Microsoft connection with a cursor (of `connection_ids`,
    the round's, when given) has its first delta page asked through `$batch` (20 mailboxes a
    request), so a quiet mailbox costs 1/20 of a request; each `pull` then starts from its
    page. Returns how many were fetched."""
    connector = microsoft_connector(rt)
    if connector is None:
        return 0
    box = rt.secret_box()
    calendars: list[CalendarRef] = []
    cursors: dict[str, str | None] = {}
    async with rt.db.session() as session:
        async for row, email in CalendarRepository(session, tenant_id).iter_with_owner():
            if (
                row.provider != "microsoft"
                or row.cursor is None
                or row.credentials_encrypted is None
                or row.status == "auth_revoked"
                or (connection_ids is not None and row.id not in connection_ids)
            ):
                continue
            calendar = CalendarRef(email, box.decrypt(row.credentials_encrypted))
            calendars.append(calendar)
            cursors[connector.cache_key(calendar)] = row.cursor
    if not calendars:
        return 0
    try:
        return await connector.prefetch(calendars, cursors)
    except ConnectorError as exc:  # each pull then asks on its own and records its error
        log.info("microsoft.prefetch_failed", tenant_id=tenant_id, error=type(exc).__name__)
        return 0


async def microsoft_housekeeping(rt: Runtime, tenant_id: int) -> DirectoryRound | None:
    """The periodic Microsoft work of a tenant (hourly in `rapport serve`): a directory round,
    then the subscriptions kept; None when the tenant has no Microsoft install."""
    if await microsoft_install(rt, tenant_id) is None:
        return None
    found = await microsoft_directory_round(rt, tenant_id)
    await keep_subscriptions(rt, tenant_id)
    return found


def poll_only_reason(rt: Runtime) -> str | None:
    """Why Microsoft mailboxes are polled only (no notifications), or None when subscribed."""
    connector = microsoft_connector(rt)
    if connector is None or connector.push.address is None:
        return POLL_ONLY
    return None
