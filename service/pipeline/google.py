"""Google Workspace installs: store the install, apply a directory round, keep push channels.

The provider calls happen in `workers.google` (pipeline code never imports integrations); these
use cases hold the database side, each one transaction (the install and directory ones are
`service.pipeline.directory`'s, with Google's facts):

- `save_google_install`: the install's secret (the service account key and settings, as JSON)
  encrypted through the secret store; every Google connection of the tenant gets it too (its
  calendar source), and one that needed attention is tried again;
- `apply_directory`: people upserted from the directory (a full list: everybody it no longer
  lists becomes inactive, kept with their history), and each active person's primary calendar
  connected (`pending` until its first sync);
- push channels: recorded with the token's hash only, looked up inside the tenant their id
  names, checked in constant time;
- the daily request count of each Cloud project (`record_google_requests`), shared by every
  process through the database.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import date, datetime

import structlog

from service.pipeline import directory
from service.pipeline.directory import DirectoryApplied, DirectoryKind
from service.runtime import Runtime
from service.storage import PersonIn
from service.storage.repositories.google import (
    ChannelRow,
    GoogleConnectionRow,
    GoogleInstallRepository,
    GoogleInstallRow,
    PushChannelRepository,
    tenant_of_channel,
)
from service.storage.repositories.google_requests import GoogleRequestRepository

log = structlog.get_logger(__name__)

PROVIDER = "google"
PRIMARY = "primary calendar"  # the source a person's Google connection shows
GOOGLE = DirectoryKind(PROVIDER, PRIMARY, GoogleInstallRepository)

__all__ = ["DirectoryApplied"]  # re-exported: callers of apply_directory name it from here


def token_hash(token: str) -> str:
    """The stored form of a channel token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def save_google_install(rt: Runtime, tenant_id: int, admin_email: str, secret: str) -> int:
    """Store the install's secret (encrypted); returns the install id.

    Every existing Google connection of the tenant gets the new secret, and those that needed
    attention (a revoked or refused credential) are pending again: the next sync tries them.
    """

    async def save(installs: GoogleInstallRepository, encrypted: bytes) -> int:
        return await installs.save(admin_email, encrypted)

    return await directory.save_install(rt, tenant_id, GOOGLE, secret, save)


async def google_install(rt: Runtime, tenant_id: int) -> tuple[GoogleInstallRow, str] | None:
    """The tenant's install and its decrypted secret, or None without one."""
    async with rt.db.session() as session:
        row = await GoogleInstallRepository(session, tenant_id).get()
    if row is None:
        return None
    return row, rt.secret_box().decrypt(row.credentials_encrypted)


async def record_directory_round(
    rt: Runtime, tenant_id: int, error: str | None, status: str = "ok"
) -> None:
    """The outcome of a directory round on the install (`error` None: it succeeded)."""
    await directory.record_round(rt, tenant_id, GOOGLE, error, status)


async def google_connections(rt: Runtime, tenant_id: int) -> list[GoogleConnectionRow]:
    """The tenant's Google connections with their people."""
    return await directory.connections(rt, tenant_id, GOOGLE)


async def apply_directory(
    rt: Runtime, tenant_id: int, people: Sequence[PersonIn], secret: str
) -> DirectoryApplied:
    """Upsert the directory's people, make the unlisted inactive, connect the active ones."""
    return await directory.apply_directory(
        rt, tenant_id, GOOGLE, directory.DirectoryListing(people), secret
    )


# -- push channels ------------------------------------------------------------------------------


async def record_channel(
    rt: Runtime,
    tenant_id: int,
    connection_id: int,
    channel: tuple[str, str, str, datetime],
) -> None:
    """Store a channel the provider opened: (channel id, token, resource id, expiry)."""
    channel_id, token, resource_id, expires_at = channel
    async with rt.db.session() as session:
        await PushChannelRepository(session, tenant_id).add(
            connection_id, channel_id, token_hash(token), resource_id, expires_at
        )
        await session.commit()


async def forget_channel(rt: Runtime, tenant_id: int, channel_id: str) -> None:
    """Drop a channel (stopped, or gone at the provider)."""
    async with rt.db.session() as session:
        await PushChannelRepository(session, tenant_id).delete(channel_id)
        await session.commit()


async def channels(rt: Runtime, tenant_id: int) -> list[tuple[ChannelRow, bool]]:
    """Every channel of the tenant, with whether its person is still active."""
    async with rt.db.session() as session:
        return [item async for item in PushChannelRepository(session, tenant_id).all()]


async def channel_for_notification(
    rt: Runtime, channel_id: str, token: str | None, resource_id: str | None
) -> tuple[int, ChannelRow] | None:
    """The (tenant id, channel) a notification is for, when its token and resource match.

    The token is compared by its hash in constant time; None for anything that does not match
    (an unknown channel, a wrong token or resource id): the caller changes nothing.
    """
    tenant_id = tenant_of_channel(channel_id)
    if tenant_id is None or not token:
        return None
    async with rt.db.session() as session:
        row = await PushChannelRepository(session, tenant_id).get(channel_id)
    if row is None:
        return None
    good_token = hmac.compare_digest(row.token_hash, token_hash(token))
    good_resource = resource_id is not None and hmac.compare_digest(
        row.resource_id.encode(), resource_id.encode()
    )
    return (tenant_id, row) if good_token and good_resource else None


async def record_google_requests(rt: Runtime, day: date, counts: dict[str, int]) -> None:
    """Add requests made per Cloud project to the count of the UTC `day`."""
    async with rt.db.transaction() as session:
        await GoogleRequestRepository(session).add(day, counts)


async def google_requests_on(rt: Runtime, project: str, day: date) -> int:
    """The requests counted for the Cloud project on the UTC `day`."""
    async with rt.db.session() as session:
        return await GoogleRequestRepository(session).on(project, day)
