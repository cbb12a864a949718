"""People of a tenant and their preferences."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime

import structlog
from sqlalchemy import or_

from service.domain.model import normalise_email
from service.domain.zones import known_zone
from service.storage.models import Participation, Person
from service.storage.repositories.base import (
    ID_CHUNK,
    Scoped,
    chunks,
    clean_optional,
    rowcount,
    table,
    utcnow,
)
from service.storage.rows import PersonIn, PersonRow

log = structlog.get_logger(__name__)

PAGE = 500
PEOPLE = table(Person)


def person_row(person: Person) -> PersonRow:
    """The row type of a stored person."""
    return PersonRow(
        id=person.id,
        email=person.email,
        name=person.name,
        timezone=person.timezone,
        team=person.team,
        opted_out=person.opted_out,
        opted_out_kinds=tuple(person.opted_out_kinds),
        snoozed_until=person.snoozed_until,
        muted_contacts=tuple(person.muted_contacts),
        unsubscribe_token=person.unsubscribe_token,
        created_at=person.created_at,
        active=person.active,
        aliases=tuple(person.aliases),
        manager_email=person.manager_email,
        groups=tuple(person.groups),
        working_hours=person.working_hours,
        delivery_mode=person.delivery_mode,
        paused_kinds=dict(person.paused_kinds),
        muted_series=tuple(person.muted_series),
        directory_working_hours=person.directory_working_hours,
    )


def _problem(email: str | None, person: PersonIn) -> str | None:
    if email is None or "@" not in email:
        return "invalid email address"
    if known_zone(person.timezone) is None:
        return "unknown time zone (an IANA name such as Europe/Berlin is needed)"
    return None


def _clean(people: Iterable[PersonIn], tenant_id: int) -> dict[str, PersonIn]:
    """Valid people by normalised email; the others are skipped and reported by position."""
    unique: dict[str, PersonIn] = {}
    for index, person in enumerate(people):
        email = normalise_email(person.email)
        problem = _problem(email, person)
        if problem is not None or email is None:
            log.warning("storage.person.skipped", tenant_id=tenant_id, index=index, reason=problem)
            continue
        unique[email] = person
    return unique


class PeopleRepository(Scoped):
    """People of one tenant."""

    async def upsert_many(self, people: Sequence[PersonIn]) -> dict[str, int]:
        """Create or update people by email; returns email -> id.

        Name, time zone and team follow the input. An import can opt someone out but never
        undo their own opt-out; opted-out kinds are only set on creation.
        """
        unique = _clean(people, self.tenant_id)
        ids: dict[str, int] = {}
        now = utcnow()
        for part in chunks(sorted(unique.items()), PAGE):
            values = [
                self._owned(
                    {
                        "email": email,
                        "name": clean_optional(person.name, 200),
                        "timezone": person.timezone,
                        "team": clean_optional(person.team, 100),
                        "opted_out": person.opted_out,
                        "opted_out_kinds": sorted(set(person.opted_out_kinds)),
                        "muted_contacts": [],
                        "unsubscribe_token": secrets.token_urlsafe(24),
                        "created_at": now,
                        "active": person.active,
                        "aliases": sorted(
                            {a for a in map(normalise_email, person.aliases) if a and a != email}
                        ),
                        "manager_email": normalise_email(person.manager_email),
                        "groups": list(dict.fromkeys(g for g in person.groups if g)),
                    }
                )
                for email, person in part
            ]
            insert = self._upsert(Person)
            statement = insert.on_conflict_do_update(
                index_elements=["tenant_id", "email"],
                set_={
                    "name": insert.excluded.name,
                    "timezone": insert.excluded.timezone,
                    "team": insert.excluded.team,
                    "opted_out": or_(PEOPLE.c.opted_out, insert.excluded.opted_out),
                    "active": insert.excluded.active,
                    "aliases": insert.excluded.aliases,
                    "manager_email": insert.excluded.manager_email,
                    "groups": insert.excluded.groups,
                },
            ).returning(PEOPLE.c.email, PEOPLE.c.id)
            for email, person_id in await self.session.execute(statement, values):
                ids[email] = person_id
        return ids

    async def set_directory_hours(self, hours: Mapping[str, Mapping[str, object] | None]) -> None:
        """Keep the directory's working hours (email -> hours, None: none given); the
        person's own `working_hours` are never touched."""
        for email, value in hours.items():
            await self.session.execute(
                self._update(Person)
                .where(Person.email == email)
                .values(directory_working_hours=None if value is None else dict(value))
            )

    async def get(self, person_id: int) -> PersonRow | None:
        """The person with `person_id` in this tenant, or None."""
        person = await self.session.scalar(self._select(Person).where(Person.id == person_id))
        return None if person is None else person_row(person)

    async def by_email(self, email: str) -> PersonRow | None:
        """The person with `email` (normalised), or None."""
        address = normalise_email(email)
        if address is None:
            return None
        person = await self.session.scalar(self._select(Person).where(Person.email == address))
        return None if person is None else person_row(person)

    async def ids_for(self, emails: Iterable[str]) -> dict[str, int]:
        """Email -> id for those of `emails` that are people of this tenant."""
        wanted = sorted({e for e in (normalise_email(x) for x in emails) if e is not None})
        found: dict[str, int] = {}
        for part in chunks(wanted, ID_CHUNK):
            statement = self._select_columns(Person, Person.email, Person.id).where(
                Person.email.in_(part)
            )
            for email, person_id in await self.session.execute(statement):
                found[email] = person_id
        return found

    async def by_emails(self, emails: Iterable[str]) -> dict[str, PersonRow]:
        """Email -> person for those of `emails` (normalised) that are people of this tenant."""
        wanted = sorted({e for e in (normalise_email(x) for x in emails) if e is not None})
        found: dict[str, PersonRow] = {}
        for part in chunks(wanted, ID_CHUNK):
            statement = self._select(Person).where(Person.email.in_(part))
            for person in await self.session.scalars(statement):
                found[person.email] = person_row(person)
        return found

    async def active_ids(self) -> dict[str, int]:
        """Email -> id of every active person of this tenant."""
        statement = self._select_columns(Person, Person.email, Person.id).where(
            Person.active.is_(True)
        )
        rows = await self.session.execute(statement)
        return {str(email): int(person_id) for email, person_id in rows}

    async def set_active(self, person_ids: Iterable[int], active: bool) -> int:
        """Make these people active or inactive (kept, with their history); returns how many
        changed."""
        changed = 0
        for part in chunks(sorted(set(person_ids)), ID_CHUNK):
            statement = (
                self._update(Person)
                .where(Person.id.in_(part), Person.active != active)
                .values(active=active)
            )
            changed += rowcount(await self.session.execute(statement))
        return changed

    async def iter_all(self, page: int = PAGE) -> AsyncIterator[PersonRow]:
        """Every person of this tenant by id, read in pages (keyset pagination)."""
        after = 0
        while True:
            statement = (
                self._select(Person).where(Person.id > after).order_by(Person.id).limit(page)
            )
            batch = [person_row(p) for p in await self.session.scalars(statement)]
            for row in batch:
                yield row
            if len(batch) < page:
                return
            after = batch[-1].id

    async def set_opted_out(
        self, person_id: int, opted_out: bool, kinds: Sequence[str] | None = None
    ) -> bool:
        """Opt a person out (or back in) entirely; `kinds` replaces their opted-out kinds."""
        values: dict[str, object] = {"opted_out": opted_out}
        if kinds is not None:
            values["opted_out_kinds"] = sorted(set(kinds))
        statement = self._update(Person).where(Person.id == person_id).values(**values)
        result = await self.session.execute(statement)
        return rowcount(result) > 0

    async def set_preferences(
        self,
        person_id: int,
        *,
        snoozed_until: datetime | None,
        muted_contacts: Sequence[str],
        opted_out_kinds: Sequence[str],
    ) -> bool:
        """Replace a person's snooze, muted contacts and opted-out kinds."""
        muted = sorted({m for m in (normalise_email(x) for x in muted_contacts) if m})
        statement = (
            self._update(Person)
            .where(Person.id == person_id)
            .values(
                snoozed_until=snoozed_until,
                muted_contacts=muted,
                opted_out_kinds=sorted(set(opted_out_kinds)),
            )
        )
        result = await self.session.execute(statement)
        return rowcount(result) > 0

    async def by_unsubscribe_token(self, token: str) -> PersonRow | None:
        """The person whose one-click unsubscribe token is `token`, or None."""
        if not token:
            return None
        statement = self._select(Person).where(Person.unsubscribe_token == token)
        person = await self.session.scalar(statement)
        return None if person is None else person_row(person)

    async def forget(self, person_id: int) -> bool:
        """Delete a person and every trace of their address in this tenant (erasure on request).

        Their calendars, nudges and reports go with them (cascade); their participations in
        other people's meetings are deleted too, so the address is not kept anywhere.
        """
        person = await self.get(person_id)
        if person is None:
            return False
        await self.session.execute(
            self._delete(Participation).where(
                or_(Participation.person_id == person_id, Participation.email == person.email)
            )
        )
        await self.session.execute(self._delete(Person).where(Person.id == person_id))
        log.info("storage.person.forgotten", tenant_id=self.tenant_id, person_id=person_id)
        return True
