"""Google Workspace jobs: the directory round, push channels, syncs a notification asks for.

- `directory_round`: the people of the organisation from the Directory API (as the install's
  admin), each new person's time zone from their Calendar settings (all of them once a day),
  then `pipeline.google.apply_directory`; a leaver's channels are stopped. A refused admin
  credential marks the install (and the round) as needing attention.
- `keep_channels`: one `events.watch` channel per active calendar when the base URL is public
  https (else: poll only, said once in the log), opened again before the `expiration` Google
  returned, the old one stopped; a refused watch never fails anything.
- `PushSyncs`: a notification syncs its one calendar; notifications for a calendar that is
  being synced coalesce into one more sync after it (never lost, never piled up).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog

from integrations.google import GoogleConnector
from integrations.google.account import GoogleAccount
from integrations.google.client import calendar_timezone, stop_channel, watch_events
from integrations.google.directory import DirectoryPerson, read_directory
from service.domain.port import AuthRevoked, ConnectorError
from service.domain.zones import known_zone
from service.pipeline.google import (
    GOOGLE,
    apply_directory,
    channel_for_notification,
    channels,
    forget_channel,
    google_connections,
    google_install,
    record_channel,
    record_directory_round,
)
from service.pipeline.sync import error_message
from service.runtime import Runtime
from service.storage import PeopleRepository, PersonIn
from service.storage.repositories.google import ChannelRow, GoogleConnectionRow, channel_prefix
from workers.directory import DirectoryRound, round_failed
from workers.google_probe import reprobe_refused
from workers.google_quota import record_requests
from workers.sync import sync_connection

log = structlog.get_logger(__name__)

TIMEZONE_REFRESH = timedelta(days=1)
TIMEZONE_CONCURRENCY = 8
_said_poll_only: set[int] = set()


def google_connector(rt: Runtime) -> GoogleConnector | None:
    """The runtime's Google connector, when one is configured."""
    connector = rt.connectors.get("google")
    return connector if isinstance(connector, GoogleConnector) else None


async def directory_round(rt: Runtime, tenant_id: int) -> DirectoryRound | None:
    """Read the directory and apply it; None when the tenant has no Google install."""
    try:
        return await _directory_round(rt, tenant_id)
    finally:
        await record_requests(rt)  # the project's daily count


async def _directory_round(rt: Runtime, tenant_id: int) -> DirectoryRound | None:
    loaded = await google_install(rt, tenant_id)
    if loaded is None:
        return None
    install, secret = loaded
    connector = google_connector(rt)
    outcome = DirectoryRound()
    try:
        if connector is None:
            raise ConnectorError("no Google connector is configured in this process")
        account = connector.account(secret)  # AuthRevoked when it cannot be used
        directory = await read_directory(connector.api, account)
    except ConnectorError as exc:
        return await round_failed(rt, tenant_id, GOOGLE, exc)
    daily = install.directory_synced_at is None or (
        rt.now() - install.directory_synced_at >= TIMEZONE_REFRESH
    )
    people = await _with_zones(rt, tenant_id, connector, account, directory.people, daily, outcome)
    applied = await apply_directory(rt, tenant_id, people, secret)
    outcome.take(applied)
    outcome.channels_stopped = await _stop_inactive(rt, tenant_id, connector, account)
    await record_directory_round(rt, tenant_id, None)
    return outcome


async def _with_zones(
    rt: Runtime,
    tenant_id: int,
    connector: GoogleConnector,
    account: GoogleAccount,
    listed: Sequence[DirectoryPerson],
    daily: bool,
    outcome: DirectoryRound,
) -> list[PersonIn]:
    """PersonIn for each listed person: the Calendar time zone of new people (of everyone
    active once a day), else the stored one; a refused lookup keeps what is known."""
    async with rt.db.session() as session:
        stored = await PeopleRepository(session, tenant_id).by_emails(p.email for p in listed)
    gate = asyncio.Semaphore(TIMEZONE_CONCURRENCY)
    default = "UTC"  # no Calendar setting and nothing stored: the zone of last resort

    async def zone_of(person: DirectoryPerson) -> str:
        known = stored.get(person.email)
        if not person.active or (known is not None and not daily):
            return known.timezone if known is not None else default
        async with gate:
            try:
                found = await calendar_timezone(connector.api, account, person.email)
            except ConnectorError as exc:
                log.info("google.timezone_unknown", tenant_id=tenant_id, error=type(exc).__name__)
                found = None
        if found is not None and known_zone(found) is not None:
            outcome.timezones += 1
            return found
        return known.timezone if known is not None else default

    zones = await asyncio.gather(*(zone_of(p) for p in listed))
    return [
        PersonIn(
            email=p.email,
            name=p.name,
            timezone=zone,
            team=p.groups[0] if p.groups else None,
            aliases=p.aliases,
            manager_email=p.manager_email,
            groups=p.groups,
            active=p.active,
        )
        for p, zone in zip(listed, zones, strict=True)
    ]


# -- push channels ------------------------------------------------------------------------------


@dataclass(slots=True)
class ChannelRound:
    """What keeping a tenant's channels did."""

    poll_only: bool = False
    opened: int = 0
    stopped: int = 0
    refused: int = 0


POLL_ONLY = (
    "poll only: RAPPORT_BASE_URL is not a public https URL, so Google cannot deliver push "
    "notifications"
)


def poll_only_reason(rt: Runtime) -> str | None:
    """Why Google calendars are polled only (no push), or None when channels are opened."""
    connector = google_connector(rt)
    if connector is None or connector.push.address is None:
        return POLL_ONLY
    return None


async def keep_channels(rt: Runtime, tenant_id: int) -> ChannelRound:
    """Open, renew and stop the tenant's channels (see the module docstring)."""
    try:
        return await _keep_channels(rt, tenant_id)
    finally:
        await record_requests(rt)  # the project's daily count


async def _keep_channels(rt: Runtime, tenant_id: int) -> ChannelRound:
    connector = google_connector(rt)
    outcome = ChannelRound()
    loaded = await google_install(rt, tenant_id)
    if connector is None or loaded is None:
        return outcome
    account = GoogleAccount.parse(loaded[1])
    address = connector.push.address
    if address is None:
        outcome.poll_only = True
        if tenant_id not in _said_poll_only:
            _said_poll_only.add(tenant_id)
            log.warning("google.poll_only", tenant_id=tenant_id, reason=poll_only_reason(rt))
        outcome.stopped = await _stop_inactive(rt, tenant_id, connector, account)
        return outcome
    now = rt.now()
    margin = timedelta(seconds=connector.push.renew_before_s)
    held: dict[int, list[ChannelRow]] = {}
    for channel, _active in await channels(rt, tenant_id):
        held.setdefault(channel.connection_id, []).append(channel)
    for connection in await google_connections(rt, tenant_id):
        if not connection.active or connection.status == "auth_revoked":
            continue
        mine = held.get(connection.connection_id, [])
        if any(c.expires_at > now + margin for c in mine):
            continue
        opened = await _open(rt, tenant_id, connector, account, connection, address)
        if opened:
            outcome.opened += 1
            for old in mine:  # replaced: stop the one about to expire
                await _stop(rt, tenant_id, connector, account, connection.email, old)
                outcome.stopped += 1
        else:
            outcome.refused += 1
    outcome.stopped += await _stop_inactive(rt, tenant_id, connector, account)
    return outcome


async def _open(
    rt: Runtime,
    tenant_id: int,
    connector: GoogleConnector,
    account: GoogleAccount,
    connection: GoogleConnectionRow,
    address: str,
) -> bool:
    token = secrets.token_urlsafe(32)
    channel_id = channel_prefix(tenant_id) + secrets.token_hex(16)
    expires = rt.now() + timedelta(seconds=connector.push.ttl_s)
    body = {
        "id": channel_id,
        "type": "web_hook",
        "address": address,
        "token": token,
        "expiration": str(int(expires.timestamp() * 1000)),
    }
    try:
        answer = await watch_events(connector.api, account, connection.email, body)
    except ConnectorError as exc:  # a refused watch never fails a sync: polling goes on
        log.warning(
            "google.watch_refused", tenant_id=tenant_id, connection_id=connection.connection_id,
            error=error_message(exc),
        )  # fmt: skip
        return False
    resource_id = answer.get("resourceId")
    expiration = answer.get("expiration")
    try:
        until = datetime.fromtimestamp(int(str(expiration)) / 1000, UTC)
    except ValueError:
        until = expires  # Google always returns it; keep what we asked for otherwise
    if not isinstance(resource_id, str):
        return False
    await record_channel(
        rt, tenant_id, connection.connection_id, (channel_id, token, resource_id, until)
    )
    log.info("google.channel_opened", tenant_id=tenant_id, connection_id=connection.connection_id)
    return True


async def _stop(
    rt: Runtime,
    tenant_id: int,
    connector: GoogleConnector,
    account: GoogleAccount,
    subject: str,
    channel: ChannelRow,
) -> None:
    for who in dict.fromkeys((subject, account.admin_email)):
        try:
            await stop_channel(connector.api, account, who, channel.channel_id, channel.resource_id)
            break
        except AuthRevoked:
            continue  # a leaver's own credentials are refused: stop it as the admin
        except ConnectorError as exc:  # it expires on its own; notifications are checked
            log.info("google.stop_failed", tenant_id=tenant_id, error=type(exc).__name__)
            break
    await forget_channel(rt, tenant_id, channel.channel_id)


async def _stop_inactive(
    rt: Runtime, tenant_id: int, connector: GoogleConnector, account: GoogleAccount
) -> int:
    """Stop the channels of people no longer active, and forget expired ones."""
    emails = {c.connection_id: c.email for c in await google_connections(rt, tenant_id)}
    stopped = 0
    now = rt.now()
    for channel, active in await channels(rt, tenant_id):
        if channel.connection_id not in emails:
            continue  # another provider's (a Graph subscription): not Google's to stop
        if channel.expires_at <= now:
            await forget_channel(rt, tenant_id, channel.channel_id)
        elif not active:
            subject = emails.get(channel.connection_id, account.admin_email)
            await _stop(rt, tenant_id, connector, account, subject, channel)
            stopped += 1
    return stopped


# -- notifications ----------------------------------------------------------------------------


class PushSyncs:
    """Syncs asked for by notifications: one at a time per connection, extra ones coalesced."""

    def __init__(self, rt: Runtime) -> None:
        """Run syncs on `rt`."""
        self.rt = rt
        self.running: dict[int, asyncio.Task[None]] = {}
        self.pending: set[int] = set()

    def trigger(self, tenant_id: int, connection_id: int) -> None:
        """Sync this connection soon (once more after the running sync, if one runs)."""
        if connection_id in self.running:
            self.pending.add(connection_id)
            return
        self.running[connection_id] = asyncio.create_task(self._run(tenant_id, connection_id))

    async def _run(self, tenant_id: int, connection_id: int) -> None:
        try:
            while True:
                self.pending.discard(connection_id)
                try:
                    await sync_connection(self.rt, tenant_id, connection_id)
                    await record_requests(self.rt)
                except Exception as exc:  # a failed sync is recorded; nothing to raise to
                    log.warning("google.push_sync_failed", error=type(exc).__name__)
                if connection_id not in self.pending:
                    return
        finally:
            self.running.pop(connection_id, None)

    async def drain(self) -> None:
        """Wait for every sync started so far (tests, shutdown)."""
        while self.running:
            await asyncio.gather(*list(self.running.values()), return_exceptions=True)


async def handle_notification(rt: Runtime, headers: Mapping[str, str], syncs: PushSyncs) -> str:
    """Act on one notification; returns `sync`, `started` or `rejected` (nothing done)."""
    channel_id = headers.get("x-goog-channel-id", "")
    state = headers.get("x-goog-resource-state", "")
    found = await channel_for_notification(
        rt, channel_id, headers.get("x-goog-channel-token"), headers.get("x-goog-resource-id")
    )
    if found is None:
        log.warning("google.notification_rejected", state=state[:20])
        return "rejected"
    tenant_id, channel = found
    if state == "sync":
        return "sync"  # the channel works; there is nothing to fetch yet
    if state not in ("exists", "not_exists"):
        return "rejected"
    syncs.trigger(tenant_id, channel.connection_id)
    return "started"


async def google_housekeeping(rt: Runtime, tenant_id: int) -> DirectoryRound | None:
    """The periodic Google work of a tenant (hourly in `rapport serve`): a directory round,
    the channels kept, the refused connections re-probed when due; None without an install."""
    if await google_install(rt, tenant_id) is None:
        return None
    found = await directory_round(rt, tenant_id)
    await keep_channels(rt, tenant_id)
    await reprobe_refused(rt, tenant_id)
    return found


async def probe_directory(rt: Runtime, account: GoogleAccount) -> str | None:
    """One `users.list` call as the install's admin: None when it works, else why not."""
    connector = google_connector(rt)
    if connector is None:
        return "no Google connector is configured in this process"
    try:
        await connector.api.execute(
            account,
            account.admin_email,
            lambda s: s.users().list(customer=account.customer, maxResults=1),
            "users.list",
            directory=True,
        )
    except ConnectorError as exc:
        return error_message(exc)
    return None
