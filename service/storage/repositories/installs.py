"""What a provider's install repository shares (tenant-scoped, never commit).

A Google Workspace or Microsoft 365 install is one row per tenant with an encrypted secret and
the health of its directory rounds; its connections are the tenant's calendar connections of
that provider. Each provider's repository names its table and provider and adds `save`/`get`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from service.storage.models import Base, CalendarConnection, Person
from service.storage.repositories.base import Scoped

MAX_ERROR = 2_000


@dataclass(frozen=True, slots=True)
class ConnectionRow:
    """A provider's calendar connection of the tenant, with its person."""

    connection_id: int
    person_id: int
    email: str
    active: bool
    status: str
    has_secret: bool


class InstallRepository(Scoped):
    """The tenant's one install of a provider: its round outcomes and connections."""

    model: ClassVar[type[Base]]  # the install table
    provider: ClassVar[str]  # calendar_connections.provider of its connections

    async def record(self, status: str, error: str | None, synced_at: datetime | None) -> None:
        """The outcome of a directory round (`synced_at` only when it succeeded)."""
        values: dict[str, object] = {
            "status": status,
            "last_error": (error or None) and error[:MAX_ERROR],
        }
        if synced_at is not None:
            values["directory_synced_at"] = synced_at
        await self.session.execute(self._update(self.model).values(**values))

    async def connections(self) -> list[ConnectionRow]:
        """The tenant's calendar connections of this provider with their people, by id."""
        statement = (
            self._select_columns(
                CalendarConnection,
                CalendarConnection.id,
                CalendarConnection.person_id,
                Person.email,
                Person.active,
                CalendarConnection.status,
                CalendarConnection.credentials_encrypted.is_not(None),
            )
            .join(Person, Person.id == CalendarConnection.person_id)
            .where(CalendarConnection.provider == self.provider)
            .order_by(CalendarConnection.id)
        )
        return [ConnectionRow(*row) for row in (await self.session.execute(statement)).all()]

    async def retry_connection(self, connection_id: int) -> None:
        """A connection that needed attention is pending again (its credentials changed)."""
        await self.session.execute(
            self._update(CalendarConnection)
            .where(CalendarConnection.id == connection_id)
            .values(status="pending", last_error=None)
        )
