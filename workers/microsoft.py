"""Microsoft 365 jobs: the directory round, the probe `rapport connect microsoft` runs.

- `microsoft_directory_round`: the people of the organisation from Graph (users with a mailbox,
  proxyAddresses as aliases, groups, manager, mailboxSettings time zone), then
  `pipeline.microsoft.apply_microsoft_directory`. A refused app credential (AADSTS…, or 401
  after one token refresh) marks the install (and the round) as needing attention.
- `steady_round_prefetch`: before a tenant's syncs, the first delta page of every Microsoft
  connection with a cursor is asked through `$batch` (20 mailboxes a request).
"""

from __future__ import annotations

import structlog

from integrations.microsoft import MicrosoftConnector
from integrations.microsoft.account import InvalidAccount, MicrosoftAccount
from integrations.microsoft.client import Request
from integrations.microsoft.directory import read_directory
from service.domain.port import AuthRevoked, ConnectorError
from service.pipeline.microsoft import (
    apply_microsoft_directory,
    microsoft_install,
    record_microsoft_round,
)
from service.pipeline.sync import error_message
from service.runtime import Runtime
from service.storage import PersonIn
from workers.google import DirectoryRound

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
        try:
            account = MicrosoftAccount.parse(secret)
        except InvalidAccount as exc:
            raise AuthRevoked(f"the stored Microsoft install cannot be used: {exc}") from None
        directory = await read_directory(connector.client, account)
    except ConnectorError as exc:
        outcome.error = error_message(exc)
        status = "auth_revoked" if isinstance(exc, AuthRevoked) else "error"
        log.warning("microsoft.directory_failed", tenant_id=tenant_id, status=status)
        await record_microsoft_round(rt, tenant_id, outcome.error, status)
        return outcome
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
    applied = await apply_microsoft_directory(rt, tenant_id, people, secret)
    outcome.people, outcome.created, outcome.updated = (
        applied.people,
        applied.created,
        applied.updated,
    )
    outcome.deactivated, outcome.connected = applied.deactivated, applied.connected
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
