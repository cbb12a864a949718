"""A provider's install and directory rounds, the database side (Google and Microsoft alike).

Each use case is one transaction, parameterised by the provider's `DirectoryKind` (its install
repository, the source its connections show):

- `save_install`: the install's secret encrypted through the secret store; every connection of
  the provider gets it too (its calendar source), and one that needed attention is tried again;
- `apply_directory`: people upserted from the directory (a full list: everybody it no longer
  lists becomes inactive, kept with their history), directory working hours kept when the round
  brings them, and each active person's calendar connected (`pending` until its first sync).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import structlog

from service.runtime import Runtime
from service.storage import CalendarRepository, PeopleRepository, PersonIn, PersonRow
from service.storage.repositories.installs import ConnectionRow, InstallRepository

log = structlog.get_logger(__name__)

R = TypeVar("R", bound=InstallRepository)


@dataclass(frozen=True, slots=True)
class DirectoryKind(Generic[R]):
    """A provider's facts for these use cases."""

    provider: str  # also the log events' prefix
    source: str  # what a person's connection shows
    installs: type[R]
    counts_updated: bool = True  # whether `DirectoryApplied.updated` is counted


@dataclass(slots=True)
class DirectoryApplied:
    """What applying a directory round changed."""

    created: int = 0
    updated: int = 0
    deactivated: int = 0
    connected: int = 0
    people: int = 0
    leavers: list[int] = field(default_factory=list)  # person ids made inactive


@dataclass(frozen=True, slots=True)
class DirectoryListing:
    """What a directory round listed: its people, and working hours when it brings them."""

    people: Sequence[PersonIn]
    working_hours: Mapping[str, Mapping[str, object] | None] | None = None  # email -> hours


async def save_install(
    rt: Runtime,
    tenant_id: int,
    kind: DirectoryKind[R],
    secret: str,
    save: Callable[[R, bytes], Awaitable[int]],
) -> int:
    """Store the install (`save` writes its row) with its secret encrypted; returns its id.

    Every existing connection of the provider gets the new secret, and those that needed
    attention (a revoked or refused credential) are pending again: the next sync tries them.
    """
    box = rt.secret_box()
    async with rt.db.session() as session:
        installs = kind.installs(session, tenant_id)
        install_id = await save(installs, box.encrypt(secret))
        calendars = CalendarRepository(session, tenant_id)
        for connection in await installs.connections():
            await calendars.set_credentials(connection.connection_id, box.encrypt(secret))
            if connection.status != "ok":
                await installs.retry_connection(connection.connection_id)
        await session.commit()
    log.info(f"{kind.provider}.install_saved", tenant_id=tenant_id, install_id=install_id)
    return install_id


async def record_round(
    rt: Runtime, tenant_id: int, kind: DirectoryKind[R], error: str | None, status: str = "ok"
) -> None:
    """The outcome of a directory round on the install (`error` None: it succeeded)."""
    async with rt.db.session() as session:
        await kind.installs(session, tenant_id).record(
            status if error is not None else "ok", error, None if error else rt.now()
        )
        await session.commit()


async def connections(rt: Runtime, tenant_id: int, kind: DirectoryKind[R]) -> list[ConnectionRow]:
    """The tenant's connections of the provider with their people."""
    async with rt.db.session() as session:
        return await kind.installs(session, tenant_id).connections()


async def apply_directory(
    rt: Runtime, tenant_id: int, kind: DirectoryKind[R], listed: DirectoryListing, secret: str
) -> DirectoryApplied:
    """Upsert the directory's people, make the unlisted inactive, connect the active ones."""
    people = listed.people
    outcome = DirectoryApplied(people=len(people))
    emails = {person.email for person in people}
    box = rt.secret_box()
    async with rt.db.session() as session:
        repo = PeopleRepository(session, tenant_id)
        before = await repo.by_emails(emails)
        outcome.created = sum(1 for p in people if p.email not in before)
        if kind.counts_updated:
            outcome.updated = sum(
                1 for p in people if p.email in before and _changed(p, before[p.email])
            )
        ids = await repo.upsert_many(people)
        if listed.working_hours is not None:
            hours = listed.working_hours
            await repo.set_directory_hours({p.email: hours.get(p.email) for p in people})
        active = await repo.active_ids()
        gone = {pid for email, pid in active.items() if email not in emails}
        gone |= {ids[p.email] for p in people if not p.active and p.email in ids}
        outcome.deactivated = await repo.set_active(gone, False)
        outcome.leavers = sorted(gone)
        installs = kind.installs(session, tenant_id)
        have = {c.person_id for c in await installs.connections() if c.has_secret}
        calendars = CalendarRepository(session, tenant_id)
        for person in people:
            person_id = ids.get(person.email)
            if person_id is None or not person.active or person_id in have:
                continue
            connection_id = await calendars.ensure(person_id, kind.provider, kind.source)
            await calendars.set_credentials(connection_id, box.encrypt(secret))
            await calendars.mark_pending(connection_id)
            outcome.connected += 1
        await session.commit()
    counts = {"updated": outcome.updated} if kind.counts_updated else {}
    log.info(
        f"{kind.provider}.directory_applied", tenant_id=tenant_id, people=outcome.people,
        created=outcome.created, **counts, deactivated=outcome.deactivated,
        connected=outcome.connected,
    )  # fmt: skip
    return outcome


def _changed(new: PersonIn, stored: PersonRow) -> bool:
    return (
        new.name != stored.name
        or new.timezone != stored.timezone
        or sorted(new.aliases) != sorted(stored.aliases)
        or new.manager_email != stored.manager_email
        or tuple(new.groups) != tuple(stored.groups)
        or new.active != stored.active
    )
