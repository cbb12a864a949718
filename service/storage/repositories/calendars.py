"""Calendar connections: one per person, provider and source, with cursor and health."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from sqlalchemy import or_

from service.errors import Conflict, NotFound
from service.storage.models import CONNECTION_STATUSES, PROVIDERS, CalendarConnection, Person
from service.storage.repositories.base import Scoped, rowcount
from service.storage.rows import CalendarRow

MAX_ERROR = 2_000
PAGE = 500


def _row(connection: CalendarConnection) -> CalendarRow:
    return CalendarRow(
        id=connection.id,
        person_id=connection.person_id,
        provider=connection.provider,
        source=connection.source,
        cursor=connection.cursor,
        status=connection.status,
        last_synced_at=connection.last_synced_at,
        last_error=connection.last_error,
        credentials_encrypted=connection.credentials_encrypted,
        probed_at=connection.probed_at,
    )


class CalendarRepository(Scoped):
    """Calendar connections of one tenant."""

    async def ensure(self, person_id: int, provider: str, source: str) -> int:
        """The id of the connection (person, provider, source), created when missing."""
        if provider not in PROVIDERS:
            raise ValueError(f"provider must be one of {', '.join(PROVIDERS)}, got {provider!r}")
        await self._require_person(person_id)
        statement = (
            self._upsert(CalendarConnection)
            .values(
                self._owned(
                    {"person_id": person_id, "provider": provider, "source": source, "status": "ok"}
                )
            )
            .on_conflict_do_nothing(index_elements=["tenant_id", "person_id", "provider", "source"])
        )
        await self.session.execute(statement)
        found = await self.session.scalar(
            self._select_columns(CalendarConnection, CalendarConnection.id).where(
                CalendarConnection.person_id == person_id,
                CalendarConnection.provider == provider,
                CalendarConnection.source == source,
            )
        )
        if found is None:
            raise Conflict(f"calendar of person {person_id} could not be stored")
        return int(found)

    async def get(self, connection_id: int) -> CalendarRow | None:
        """The connection with `connection_id` in this tenant, or None."""
        statement = self._select(CalendarConnection).where(CalendarConnection.id == connection_id)
        connection = await self.session.scalar(statement)
        return None if connection is None else _row(connection)

    async def iter_with_owner(self, page: int = PAGE) -> AsyncIterator[tuple[CalendarRow, str]]:
        """Every connection of this tenant by id, with its person's email (keyset pages)."""
        after = 0
        while True:
            statement = (
                self._select_columns(CalendarConnection, CalendarConnection, Person.email)
                .join(Person, Person.id == CalendarConnection.person_id)
                .where(CalendarConnection.id > after)
                .order_by(CalendarConnection.id)
                .limit(page)
                .execution_options(populate_existing=True)
            )
            batch = [(_row(c), email) for c, email in await self.session.execute(statement)]
            for item in batch:
                yield item
            if len(batch) < page:
                return
            after = batch[-1][0].id

    async def iter_encrypted(self, page: int = PAGE) -> AsyncIterator[tuple[int, bytes]]:
        """(id, encrypted credentials) of every connection that stores a secret, by id."""
        after = 0
        while True:
            statement = (
                self._select_columns(
                    CalendarConnection,
                    CalendarConnection.id,
                    CalendarConnection.credentials_encrypted,
                )
                .where(
                    CalendarConnection.id > after,
                    CalendarConnection.credentials_encrypted.is_not(None),
                )
                .order_by(CalendarConnection.id)
                .limit(page)
            )
            batch = [(int(i), bytes(token)) for i, token in await self.session.execute(statement)]
            for item in batch:
                yield item
            if len(batch) < page:
                return
            after = batch[-1][0]

    async def mark_pending(self, connection_id: int) -> bool:
        """A connection never synced yet shows `pending` (not `ok`); True when it changed."""
        statement = (
            self._update(CalendarConnection)
            .where(
                CalendarConnection.id == connection_id,
                CalendarConnection.last_synced_at.is_(None),
                CalendarConnection.status == "ok",
            )
            .values(status="pending")
        )
        return rowcount(await self.session.execute(statement)) > 0

    async def due_for_sync(self, synced_before: datetime, limit: int = 500) -> list[CalendarRow]:
        """Connections last synced before `synced_before` (never synced first), not revoked."""
        statement = (
            self._select(CalendarConnection)
            .where(
                CalendarConnection.status != "auth_revoked",
                or_(
                    CalendarConnection.last_synced_at.is_(None),
                    CalendarConnection.last_synced_at < synced_before,
                ),
            )
            .order_by(CalendarConnection.last_synced_at.is_not(None), CalendarConnection.id)
            .limit(limit)
        )
        return [_row(c) for c in await self.session.scalars(statement)]

    async def for_sync(self) -> list[CalendarRow]:
        """Connections to sync: those of active people, not revoked, by id."""
        statement = (
            self._select(CalendarConnection)
            .join(Person, Person.id == CalendarConnection.person_id)
            .where(CalendarConnection.status != "auth_revoked", Person.active)
            .order_by(CalendarConnection.id)
        )
        return [_row(c) for c in await self.session.scalars(statement)]

    async def refused(self, provider: str) -> list[tuple[CalendarRow, str]]:
        """The provider's connections of active people held back (`auth_revoked` or
        `needs_attention`), with the person's email, by id."""
        statement = (
            self._select_columns(CalendarConnection, CalendarConnection, Person.email)
            .join(Person, Person.id == CalendarConnection.person_id)
            .where(
                CalendarConnection.provider == provider,
                CalendarConnection.status.in_(("auth_revoked", "needs_attention")),
                Person.active,
            )
            .order_by(CalendarConnection.id)
            .execution_options(populate_existing=True)
        )
        return [(_row(c), email) for c, email in await self.session.execute(statement)]

    async def record_probe(self, connection_id: int, probed_at: datetime, *, cleared: bool) -> None:
        """A re-probe of a held-back connection; `cleared`: it works again, so it is `pending`
        (the next round syncs it from its cursor)."""
        if cleared:
            await self._set(connection_id, probed_at=probed_at, status="pending", last_error=None)
        else:
            await self._set(connection_id, probed_at=probed_at)

    async def set_cursor(self, connection_id: int, cursor: str | None, synced_at: datetime) -> None:
        """Record a successful sync: the new cursor (None to force a full sync), status ok."""
        await self._set(
            connection_id, cursor=cursor, last_synced_at=synced_at, status="ok", last_error=None
        )

    async def mark_error(self, connection_id: int, status: str, message: str) -> None:
        """Record a failed sync: 'error' (will retry) or 'auth_revoked' (a person must act)."""
        if status not in CONNECTION_STATUSES or status == "ok":
            raise ValueError(f"status must be 'error' or 'auth_revoked', got {status!r}")
        await self._set(connection_id, status=status, last_error=message[:MAX_ERROR])

    async def set_credentials(self, connection_id: int, encrypted: bytes | None) -> None:
        """Store already-encrypted provider credentials (never plain text)."""
        await self._set(connection_id, credentials_encrypted=encrypted)

    async def _set(self, connection_id: int, **values: object) -> None:
        statement = (
            self._update(CalendarConnection)
            .where(CalendarConnection.id == connection_id)
            .values(**values)
        )
        result = await self.session.execute(statement)
        if not rowcount(result):
            raise NotFound(f"calendar connection {connection_id} not found in this tenant")
