"""Microsoft 365 installs: store the install, apply a directory round (the database side).

The Graph calls happen in `workers.microsoft`; these use cases each run one transaction (the
install and directory ones are `service.pipeline.directory`'s, with Microsoft's facts):

- `save_microsoft_install`: the app registration (JSON) encrypted through the secret store;
  every Microsoft connection of the tenant gets it too (its calendar source), and one that
  needed attention is tried again;
- `apply_microsoft_directory`: people upserted from Graph (a full list: the unlisted become
  inactive, kept with their history) and each active person's mailbox calendar connected
  (`pending` until its first sync); mailboxSettings working hours kept apart from the
  person's own (`people.directory_working_hours`).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence

import structlog

from service.pipeline import directory
from service.pipeline.directory import DirectoryApplied, DirectoryKind
from service.pipeline.google import token_hash
from service.runtime import Runtime
from service.storage import PersonIn
from service.storage.repositories.google import (
    ChannelRow,
    PushChannelRepository,
    tenant_of_channel,
)
from service.storage.repositories.microsoft import (
    ConnectionRow,
    MicrosoftInstallRepository,
    MicrosoftInstallRow,
)

log = structlog.get_logger(__name__)

PROVIDER = "microsoft"
MAILBOX = "mailbox calendar"  # the source a person's Microsoft connection shows
# counts_updated False: Microsoft rounds never counted changed people (kept as it was)
MICROSOFT = DirectoryKind(PROVIDER, MAILBOX, MicrosoftInstallRepository, counts_updated=False)


async def save_microsoft_install(
    rt: Runtime, tenant_id: int, ids: tuple[str, str], secret: str
) -> int:
    """Store the install (`ids`: directory tenant, client id) encrypted; returns its id."""

    async def save(installs: MicrosoftInstallRepository, encrypted: bytes) -> int:
        return await installs.save(ids[0], ids[1], encrypted)

    return await directory.save_install(rt, tenant_id, MICROSOFT, secret, save)


async def microsoft_install(rt: Runtime, tenant_id: int) -> tuple[MicrosoftInstallRow, str] | None:
    """The tenant's install and its decrypted secret, or None without one."""
    async with rt.db.session() as session:
        row = await MicrosoftInstallRepository(session, tenant_id).get()
    if row is None:
        return None
    return row, rt.secret_box().decrypt(row.credentials_encrypted)


async def record_microsoft_round(
    rt: Runtime, tenant_id: int, error: str | None, status: str = "ok"
) -> None:
    """The outcome of a directory round on the install (`error` None: it succeeded)."""
    await directory.record_round(rt, tenant_id, MICROSOFT, error, status)


async def microsoft_connections(rt: Runtime, tenant_id: int) -> list[ConnectionRow]:
    """The tenant's Microsoft connections with their people."""
    return await directory.connections(rt, tenant_id, MICROSOFT)


async def apply_microsoft_directory(
    rt: Runtime,
    tenant_id: int,
    people: Sequence[PersonIn],
    secret: str,
    working_hours: Mapping[str, Mapping[str, object]] | None = None,
) -> DirectoryApplied:
    """Upsert the directory's people, make the unlisted inactive, connect the active ones.

    `working_hours` (email -> mailboxSettings hours) are kept as each listed person's directory
    hours (none given clears them); the person's own working hours are never changed."""
    listed = directory.DirectoryListing(people, working_hours or {})
    return await directory.apply_directory(rt, tenant_id, MICROSOFT, listed, secret)


async def subscription_for_notification(
    rt: Runtime, subscription_id: str, client_state: str | None
) -> tuple[int, ChannelRow] | None:
    """The (tenant id, subscription) a Graph notification is for, when its clientState matches.

    Our clientState starts with the tenant's prefix (`r<id>-`), so the subscription is looked
    up inside that tenant only; the clientState is compared by its hash in constant time.
    None for anything that does not match: the caller changes nothing.
    """
    if not client_state or not subscription_id or len(client_state) > 128:
        return None
    tenant_id = tenant_of_channel(client_state)
    if tenant_id is None:
        return None
    async with rt.db.session() as session:
        row = await PushChannelRepository(session, tenant_id).get(subscription_id)
    if row is None:
        return None
    return (
        (tenant_id, row) if hmac.compare_digest(row.token_hash, token_hash(client_state)) else None
    )
