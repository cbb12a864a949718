"""A tenant's Microsoft 365 install (tenant-scoped, never commit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from service.storage.models import MicrosoftInstall
from service.storage.repositories.base import utcnow
from service.storage.repositories.installs import ConnectionRow, InstallRepository

__all__ = ["ConnectionRow", "MicrosoftInstallRepository", "MicrosoftInstallRow"]


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


class MicrosoftInstallRepository(InstallRepository):
    """The tenant's one Microsoft 365 install."""

    model = MicrosoftInstall
    provider = "microsoft"

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
