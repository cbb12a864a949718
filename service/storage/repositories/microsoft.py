"""A tenant's Microsoft 365 install (tenant-scoped, never commit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from service.storage.models import CalendarConnection, MicrosoftInstall, Person
from service.storage.repositories.base import Scoped, utcnow
from service.storage.repositories.google import MAX_ERROR, GoogleConnectionRow

ConnectionRow = GoogleConnectionRow  # the same facts of a provider's connection and its person


@dataclass(frozen=True, slots=True)
class MicrosoftInstallRow:
    """A stored install: the app registration (encrypted) and health."""

    id: int
    directory_tenant: str
    client_id: str
    credentials_encrypted: bytes
    status: str
    last_error: str | None
    directory_synced_at: datetime | None


class MicrosoftInstallRepository(Scoped):
    """The tenant's one Microsoft 365 install."""

    async def save(self, directory_tenant: str, client_id: str, encrypted: bytes) -> int:
        """Store (or replace) the install; it is `pending` until its first directory round."""
        values = self._owned(
            {
                "directory_tenant": directory_tenant,
                "client_id": client_id,
                "credentials_encrypted": encrypted,
                "status": "pending",
                "last_error": None,
                "created_at": utcnow(),
            }
        )
        statement = self._upsert(MicrosoftInstall).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=["tenant_id"],
            set_={
                k: statement.excluded[k]
                for k in (
                    "directory_tenant", "client_id", "credentials_encrypted", "status",
                    "last_error",
                )
            },
        )  # fmt: skip
        await self.session.execute(statement)
        found = await self.get()
        assert found is not None
        return found.id

    async def get(self) -> MicrosoftInstallRow | None:
        """The install, or None when the tenant has none."""
        row = await self.session.scalar(self._select(MicrosoftInstall))
        if row is None:
            return None
        return MicrosoftInstallRow(
            row.id, row.directory_tenant, row.client_id, bytes(row.credentials_encrypted),
            row.status, row.last_error, row.directory_synced_at,
        )  # fmt: skip

    async def record(self, status: str, error: str | None, synced_at: datetime | None) -> None:
        """The outcome of a directory round (`synced_at` only when it succeeded)."""
        values: dict[str, object] = {
            "status": status,
            "last_error": (error or None) and error[:MAX_ERROR],
        }
        if synced_at is not None:
            values["directory_synced_at"] = synced_at
        await self.session.execute(self._update(MicrosoftInstall).values(**values))

    async def connections(self) -> list[ConnectionRow]:
        """The tenant's Microsoft calendar connections with their people, by id."""
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
            .where(CalendarConnection.provider == "microsoft")
            .order_by(CalendarConnection.id)
        )
        return [ConnectionRow(*row) for row in (await self.session.execute(statement)).all()]
