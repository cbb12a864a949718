"""A tenant's Google Workspace install and its push channels (tenant-scoped, never commit).

A channel's id starts with its tenant's id (`channel_prefix`), so a notification, which names
only the channel, is looked up inside one tenant like every other query.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from service.storage.models import (
    CalendarConnection,
    GoogleInstall,
    Person,
    PushChannel,
)
from service.storage.repositories.base import Scoped, rowcount, utcnow
from service.storage.repositories.installs import ConnectionRow, InstallRepository

GoogleConnectionRow = ConnectionRow  # a Google connection and its person


@dataclass(frozen=True, slots=True)
class GoogleInstallRow:
    """A stored install: its encrypted secret and health."""

    id: int
    admin_email: str
    credentials_encrypted: bytes
    status: str
    last_error: str | None
    directory_synced_at: datetime | None


@dataclass(frozen=True, slots=True)
class ChannelRow:
    """A stored push channel (the token only as its hash)."""

    id: int
    connection_id: int
    channel_id: str
    token_hash: str
    resource_id: str
    expires_at: datetime


def channel_prefix(tenant_id: int) -> str:
    """How every channel id of a tenant starts."""
    return f"r{tenant_id}-"


def tenant_of_channel(channel_id: str) -> int | None:
    """The tenant id a channel id names, or None when it is not one of ours."""
    head, dash, _ = channel_id.partition("-")
    if not dash or not head.startswith("r") or not head[1:].isdigit() or len(head) > 20:
        return None
    return int(head[1:])


def _install(row: GoogleInstall) -> GoogleInstallRow:
    return GoogleInstallRow(
        row.id,
        row.admin_email,
        bytes(row.credentials_encrypted),
        row.status,
        row.last_error,
        row.directory_synced_at,
    )


def _channel(row: PushChannel) -> ChannelRow:
    return ChannelRow(
        row.id, row.connection_id, row.channel_id, row.token_hash, row.resource_id, row.expires_at
    )


class GoogleInstallRepository(InstallRepository):
    """The tenant's one Google install."""

    model = GoogleInstall
    provider = "google"

    async def save(self, admin_email: str, encrypted: bytes) -> int:
        """Store (or replace) the install's secret; it is `pending` until its first round."""
        values = self._owned(
            {
                "admin_email": admin_email,
                "credentials_encrypted": encrypted,
                "status": "pending",
                "last_error": None,
                "created_at": utcnow(),
            }
        )
        statement = self._upsert(GoogleInstall).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=["tenant_id"],
            set_={
                k: statement.excluded[k]
                for k in ("admin_email", "credentials_encrypted", "status", "last_error")
            },
        )
        await self.session.execute(statement)
        found = await self.get()
        assert found is not None
        return found.id

    async def get(self) -> GoogleInstallRow | None:
        """The install, or None when the tenant has none."""
        row = await self.session.scalar(self._select(GoogleInstall))
        return None if row is None else _install(row)

    async def set_credentials(self, encrypted: bytes) -> None:
        """Store the secret encrypted anew (key rotation)."""
        await self.session.execute(
            self._update(GoogleInstall).values(credentials_encrypted=encrypted)
        )


class PushChannelRepository(Scoped):
    """Push channels of the tenant's connections."""

    async def add(
        self,
        connection_id: int,
        channel_id: str,
        token_hash: str,
        resource_id: str,
        expires_at: datetime,
    ) -> None:
        """Record a channel the provider opened."""
        self.session.add(
            PushChannel(
                **self._owned(
                    {
                        "connection_id": connection_id,
                        "channel_id": channel_id,
                        "token_hash": token_hash,
                        "resource_id": resource_id,
                        "expires_at": expires_at,
                        "created_at": utcnow(),
                    }
                )
            )
        )
        await self.session.flush()

    async def get(self, channel_id: str) -> ChannelRow | None:
        """The channel with this id in this tenant."""
        row = await self.session.scalar(
            self._select(PushChannel).where(PushChannel.channel_id == channel_id)
        )
        return None if row is None else _channel(row)

    async def all(self) -> AsyncIterator[tuple[ChannelRow, bool]]:
        """Every channel, with whether its connection's person is still active."""
        statement = (
            self._select_columns(PushChannel, PushChannel, Person.active)
            .join(CalendarConnection, CalendarConnection.id == PushChannel.connection_id)
            .join(Person, Person.id == CalendarConnection.person_id)
            .order_by(PushChannel.id)
        )
        for row, active in (await self.session.execute(statement)).all():
            yield _channel(row), bool(active)

    async def delete(self, channel_id: str) -> bool:
        """Forget a channel (stopped, or gone at the provider)."""
        result = await self.session.execute(
            self._delete(PushChannel).where(PushChannel.channel_id == channel_id)
        )
        return rowcount(result) > 0
