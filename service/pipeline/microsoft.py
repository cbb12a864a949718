"""Microsoft 365 installs: store the install, apply a directory round (the database side).

The Graph calls happen in `workers.microsoft`; these use cases each run one transaction:

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

from service.pipeline.google import DirectoryApplied, token_hash
from service.runtime import Runtime
from service.storage import CalendarRepository, PeopleRepository, PersonIn
from service.storage.repositories.google import (
    ChannelRow,
    GoogleInstallRepository,
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


async def save_microsoft_install(
    rt: Runtime, tenant_id: int, ids: tuple[str, str], secret: str
) -> int:
    """Store the install (`ids`: directory tenant, client id) encrypted; returns its id."""
    box = rt.secret_box()
    async with rt.db.session() as session:
        installs = MicrosoftInstallRepository(session, tenant_id)
        install_id = await installs.save(ids[0], ids[1], box.encrypt(secret))
        calendars = CalendarRepository(session, tenant_id)
        retry = GoogleInstallRepository(session, tenant_id)  # retry_connection is provider-free
        for connection in await installs.connections():
            await calendars.set_credentials(connection.connection_id, box.encrypt(secret))
            if connection.status != "ok":
                await retry.retry_connection(connection.connection_id)
        await session.commit()
    log.info("microsoft.install_saved", tenant_id=tenant_id, install_id=install_id)
    return install_id


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
    async with rt.db.session() as session:
        await MicrosoftInstallRepository(session, tenant_id).record(
            status if error is not None else "ok", error, None if error else rt.now()
        )
        await session.commit()


async def microsoft_connections(rt: Runtime, tenant_id: int) -> list[ConnectionRow]:
    """The tenant's Microsoft connections with their people."""
    async with rt.db.session() as session:
        return await MicrosoftInstallRepository(session, tenant_id).connections()


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
    outcome = DirectoryApplied(people=len(people))
    listed = {person.email for person in people}
    box = rt.secret_box()
    async with rt.db.session() as session:
        repo = PeopleRepository(session, tenant_id)
        before = await repo.by_emails(listed)
        outcome.created = sum(1 for p in people if p.email not in before)
        ids = await repo.upsert_many(people)
        hours = working_hours or {}
        await repo.set_directory_hours({p.email: hours.get(p.email) for p in people})
        active = await repo.active_ids()
        gone = {pid for email, pid in active.items() if email not in listed}
        gone |= {ids[p.email] for p in people if not p.active and p.email in ids}
        outcome.deactivated = await repo.set_active(gone, False)
        outcome.leavers = sorted(gone)
        installs = MicrosoftInstallRepository(session, tenant_id)
        have = {c.person_id for c in await installs.connections() if c.has_secret}
        calendars = CalendarRepository(session, tenant_id)
        for person in people:
            person_id = ids.get(person.email)
            if person_id is None or not person.active or person_id in have:
                continue
            connection_id = await calendars.ensure(person_id, PROVIDER, MAILBOX)
            await calendars.set_credentials(connection_id, box.encrypt(secret))
            await calendars.mark_pending(connection_id)
            outcome.connected += 1
        await session.commit()
    log.info(
        "microsoft.directory_applied", tenant_id=tenant_id, people=outcome.people,
        created=outcome.created, deactivated=outcome.deactivated, connected=outcome.connected,
    )  # fmt: skip
    return outcome


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
