"""What every tenant-scoped repository shares: ONE scoped base statement per kind of query."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Delete, Select, Table, Update, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from service.errors import NotFound
from service.storage.models import Base, Person

T = TypeVar("T")
M = TypeVar("M", bound=Base)

CHUNK = 500
# Plain id lists (one parameter a value) go in bigger slices.
ID_CHUNK = 5_000


def utcnow() -> datetime:
    """The current time, tz-aware UTC."""
    return datetime.now(UTC)


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items."""
    for index in range(0, len(items), max(1, size)):
        yield items[index : index + size]


def rowcount(result: Result[Any]) -> int:
    """Rows matched by an UPDATE/DELETE/INSERT (the result of a DML statement has a cursor)."""
    return int(cast(CursorResult[Any], result).rowcount)


def clean_text(value: str) -> str:
    """Text PostgreSQL accepts: no NUL characters, no lone surrogates (both occur in feeds)."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def clean_optional(value: str | None, limit: int | None = None) -> str | None:
    """`clean_text` for an optional value, cut to `limit` characters."""
    if value is None:
        return None
    text = clean_text(value)
    return text[:limit] if limit is not None else text


def table(model: type[Base]) -> Table:
    """The Core table of a mapped class."""
    return cast(Table, model.__table__)


def upsert(session: AsyncSession, model: type[Base]) -> Any:
    """The dialect's Core INSERT (it has ON CONFLICT) for `model`'s table.

    Core, not ORM: executed with a list of rows it is compiled once and sent in multi-row
    batches by SQLAlchemy's "insertmanyvalues" (page size and parameter cap handled there).
    """
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table(model))
    return sqlite.insert(table(model))


class Scoped:
    """A repository bound to one session and one tenant.

    Every query starts from `_select`, `_update` or `_delete`, which add the tenant filter once
    here, so no method can forget it.
    """

    def __init__(self, session: AsyncSession, tenant_id: int) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def _tenant_column(self, model: type[Base]) -> InstrumentedAttribute[int]:
        column: InstrumentedAttribute[int] = model.tenant_id  # type: ignore[attr-defined]
        return column

    def _select(self, model: type[M]) -> Select[M]:
        # Rows are copied out of fresh results: never serve stale identity-map objects.
        statement = select(model).where(self._tenant_column(model) == self.tenant_id)
        return statement.execution_options(populate_existing=True)

    def _select_columns(self, model: type[Base], *columns: Any) -> Select[Any]:
        return select(*columns).where(self._tenant_column(model) == self.tenant_id)

    def _update(self, model: type[Base]) -> Update:
        return update(model).where(self._tenant_column(model) == self.tenant_id)

    def _delete(self, model: type[Base]) -> Delete:
        return delete(model).where(self._tenant_column(model) == self.tenant_id)

    def _upsert(self, model: type[Base]) -> Any:
        return upsert(self.session, model)

    async def _require_person(self, person_id: int) -> None:
        """Raise `NotFound` unless `person_id` is a person of this tenant."""
        statement = self._select_columns(Person, Person.id).where(Person.id == person_id)
        if await self.session.scalar(statement) is None:
            raise NotFound(f"person {person_id} not found in this tenant")

    def _owned(self, values: dict[str, Any]) -> dict[str, Any]:
        """`values` stamped with this repository's tenant (every inserted row goes through here)."""
        return {**values, "tenant_id": self.tenant_id}
