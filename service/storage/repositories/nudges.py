"""Nudges: idempotent planning and the state machine as atomic conditional UPDATEs."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import and_, exists, func, null, or_

from service.domain.model import normalise_email
from service.domain.nudges.types import NudgePlan
from service.domain.vocabulary import NudgeKind, Role
from service.domain.zones import known_zone
from service.storage.models import Feedback, MeetingRecord, Nudge, Person
from service.storage.repositories.base import (
    CHUNK,
    ID_CHUNK,
    Scoped,
    chunks,
    clean_optional,
    clean_text,
    rowcount,
    table,
    utcnow,
)
from service.storage.repositories.people import PeopleRepository
from service.storage.rows import NudgeRow
from service.storage.state import (
    IllegalTransition,
    NudgeNotFound,
    NudgeState,
    check_transition,
    sources_of,
)

log = structlog.get_logger(__name__)

PLANNED = NudgeState.PLANNED.value
MAX_ERROR = 2_000
NUDGES = table(Nudge)
COLUMNS = tuple(c for c in NUDGES.columns if c.name != "tenant_id")
NudgeKey = tuple[int, int, str]
PAGE = 500


@dataclass(frozen=True, slots=True)
class NudgeListing:
    """A nudge with what a listing shows beside it: its person and its meeting."""

    nudge: NudgeRow
    person_email: str
    meeting_uid: str
    meeting_title: str


@dataclass(frozen=True, slots=True)
class SentRecord:
    """A nudge sent (or being sent), as the planner's history counts it.

    `series` is its meeting's series id, or the meeting's UID for a one-off; `at` its due time;
    `helpful` true when the person answered "helpful" to it.
    """

    person_id: int
    meeting_id: int
    series: str
    kind: str
    variant: int
    at: datetime
    helpful: bool


def _row(values: Mapping[Any, Any]) -> NudgeRow:
    fields = {c.name: values[c.name] for c in COLUMNS}
    return NudgeRow(**{**fields, "kind": NudgeKind(fields["kind"]), "role": Role(fields["role"])})


def _zone(name: str) -> ZoneInfo:
    return known_zone(name) or ZoneInfo("UTC")


class NudgeRepository(Scoped):
    """Nudges of one tenant."""

    async def plan_many(self, plans: Sequence[NudgePlan]) -> list[NudgeRow]:
        """Upsert plans on (meeting, person, kind); returns the rows that need (re)enqueueing.

        New plans become `planned` at revision 1. A `planned` nudge whose due time, variant or
        batch changed is updated with revision + 1, and so is a `cancelled` one (its reason
        holds again). Anything else (unchanged, or sending, sent, failed) is left alone and not
        returned.
        """
        people = await PeopleRepository(self.session, self.tenant_id).ids_for(
            p.person for p in plans
        )
        meetings = await self._own_meetings({p.meeting_key for p in plans})
        now = utcnow()
        unique: dict[NudgeKey, dict[str, Any]] = {}
        for plan in plans:
            person_id = people.get(normalise_email(plan.person) or "")
            if person_id is None or plan.meeting_key not in meetings:
                log.warning(
                    "storage.nudge.skipped",
                    tenant_id=self.tenant_id,
                    meeting_id=plan.meeting_key,
                    reason="unknown person" if person_id is None else "unknown meeting",
                )
                continue
            unique[(plan.meeting_key, person_id, plan.kind.value)] = self._owned(
                {
                    "meeting_id": plan.meeting_key,
                    "person_id": person_id,
                    "kind": plan.kind.value,
                    "role": plan.role.value,
                    "state": PLANNED,
                    "due_at": plan.due_at,
                    "revision": 1,
                    "variant": plan.variant,
                    "reason": clean_text(plan.reason),
                    "batch_key": clean_optional(plan.batch_key, 200),
                    "attempts": 0,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        changed: list[NudgeRow] = []
        # Sorted: one lock order for concurrent planners.
        for part in chunks([unique[key] for key in sorted(unique)], CHUNK):
            changed.extend(await self._plan_chunk(part))
        return changed

    async def _plan_chunk(self, values: Sequence[dict[str, Any]]) -> list[NudgeRow]:
        insert = self._upsert(Nudge)
        new, old = insert.excluded, NUDGES.c
        statement = insert.on_conflict_do_update(
            index_elements=["tenant_id", "meeting_id", "person_id", "kind"],
            set_={
                "due_at": new.due_at,
                "variant": new.variant,
                "reason": new.reason,
                "role": new.role,
                "batch_key": new.batch_key,
                "revision": old.revision + 1,
                "updated_at": new.updated_at,
                "state": PLANNED,
                "attempts": 0,
                "error": null(),  # a literal: a bound None would stop statement batching
            },
            where=(
                (old.state == PLANNED)
                & (
                    (old.due_at != new.due_at)
                    | (old.variant != new.variant)
                    | old.batch_key.is_distinct_from(new.batch_key)
                )
            )
            | (old.state == NudgeState.CANCELLED.value),
        ).returning(*COLUMNS)
        result = await self.session.execute(statement, list(values))
        return [_row(mapping) for mapping in result.mappings()]

    async def _own_meetings(self, meeting_ids: set[int]) -> set[int]:
        found: set[int] = set()
        for part in chunks(sorted(meeting_ids), ID_CHUNK):
            statement = self._select_columns(MeetingRecord, MeetingRecord.id).where(
                MeetingRecord.id.in_(part)
            )
            found.update((await self.session.scalars(statement)).all())
        return found

    async def get(self, nudge_id: int) -> NudgeRow | None:
        """The nudge with `nudge_id` in this tenant, or None."""
        statement = self._select_columns(Nudge, *COLUMNS).where(Nudge.id == nudge_id)
        mapping = (await self.session.execute(statement)).mappings().first()
        return None if mapping is None else _row(mapping)

    async def for_meetings(self, meeting_ids: Collection[int]) -> list[NudgeRow]:
        """Every nudge of these meetings, by id."""
        rows: list[NudgeRow] = []
        for part in chunks(sorted(set(meeting_ids)), ID_CHUNK):
            statement = (
                self._select_columns(Nudge, *COLUMNS)
                .where(Nudge.meeting_id.in_(part))
                .order_by(Nudge.id)
            )
            rows.extend(_row(m) for m in (await self.session.execute(statement)).mappings())
        return sorted(rows, key=lambda row: row.id)

    async def cancel_stale(
        self, meeting_ids: Collection[int], keep: Collection[NudgeKey]
    ) -> list[int]:
        """Cancel planned nudges of these meetings unless (meeting, person, kind) is in `keep`."""
        kept = set(keep)
        stale: list[int] = []
        for part in chunks(sorted(set(meeting_ids)), ID_CHUNK):
            statement = self._select_columns(
                Nudge, Nudge.id, Nudge.meeting_id, Nudge.person_id, Nudge.kind
            ).where(Nudge.meeting_id.in_(part), Nudge.state == PLANNED)
            for nudge_id, meeting_id, person_id, kind in await self.session.execute(statement):
                if (meeting_id, person_id, kind) not in kept:
                    stale.append(nudge_id)
        cancelled: list[int] = []
        for part in chunks(stale, ID_CHUNK):
            cancel = (
                self._update(Nudge)
                .where(Nudge.id.in_(part), Nudge.state == PLANNED)
                .values(state=NudgeState.CANCELLED.value, updated_at=utcnow())
                .returning(Nudge.id)
            )
            cancelled.extend((await self.session.scalars(cancel)).all())
        return sorted(cancelled)

    async def due(
        self, now: datetime, limit: int = 100, after: tuple[datetime, int] | None = None
    ) -> list[NudgeRow]:
        """Planned nudges due at or before `now`, earliest first (by due time, then id).

        `after` is the (due_at, id) of the last nudge of the previous page: paging this way
        always moves on, even when nudges of earlier pages are planned again at a later time.
        """
        statement = (
            self._select_columns(Nudge, *COLUMNS)
            .where(Nudge.state == PLANNED, Nudge.due_at <= now)
            .order_by(Nudge.due_at, Nudge.id)
            .limit(limit)
        )
        if after is not None:
            due_at, nudge_id = after
            statement = statement.where(
                or_(Nudge.due_at > due_at, and_(Nudge.due_at == due_at, Nudge.id > nudge_id))
            )
        return [_row(m) for m in (await self.session.execute(statement)).mappings()]

    async def _move(
        self,
        nudge_id: int,
        target: NudgeState,
        sources: Collection[NudgeState] | None = None,
        **values: Any,
    ) -> None:
        """Move one nudge to `target` iff it is in one of `sources` (default: every state the
        machine allows to reach `target`), in one atomic UPDATE."""
        allowed = sources_of(target) if sources is None else sources
        statement = (
            self._update(Nudge)
            .where(Nudge.id == nudge_id, Nudge.state.in_([state.value for state in allowed]))
            .values(state=target.value, updated_at=utcnow(), **values)
        )
        result = await self.session.execute(statement)
        if rowcount(result) == 1:
            return
        current = await self.session.scalar(
            self._select_columns(Nudge, Nudge.state).where(Nudge.id == nudge_id)
        )
        if current is None:
            raise NudgeNotFound(nudge_id)
        check_transition(current, target, nudge_id)
        # Allowed but nothing changed: another worker moved it between our read and write.
        raise IllegalTransition(nudge_id, current, target.value)

    async def claim(self, nudge_id: int) -> bool:
        """planned -> sending; True for the one caller that won (a lost race, or a nudge that is
        no longer planned or no longer exists, is False: nothing to send)."""
        statement = (
            self._update(Nudge)
            .where(Nudge.id == nudge_id, Nudge.state == PLANNED)
            .values(
                state=NudgeState.SENDING.value, attempts=Nudge.attempts + 1, updated_at=utcnow()
            )
        )
        result = await self.session.execute(statement)
        return rowcount(result) == 1

    async def mark_sent(self, nudge_id: int, message_id: str, sent_at: datetime) -> None:
        """sending -> sent, with the delivered Message-ID."""
        await self._move(
            nudge_id, NudgeState.SENT, message_id=message_id, sent_at=sent_at, error=None
        )

    async def mark_failed(self, nudge_id: int, error: str) -> None:
        """sending -> failed, with the reason."""
        await self._move(nudge_id, NudgeState.FAILED, error=error[:MAX_ERROR])

    async def cancel(self, nudge_id: int) -> None:
        """planned -> cancelled."""
        await self._move(nudge_id, NudgeState.CANCELLED)

    async def retry(self, nudge_id: int, due_at: datetime) -> None:
        """failed -> planned at `due_at`, as a new revision (a new job id)."""
        await self._move(
            nudge_id,
            NudgeState.PLANNED,
            sources=[NudgeState.FAILED],
            due_at=due_at,
            revision=Nudge.revision + 1,
        )

    async def release(self, nudge_id: int, due_at: datetime) -> None:
        """sending -> planned: hand back a nudge whose send could not start (a new revision)."""
        await self._move(
            nudge_id,
            NudgeState.PLANNED,
            sources=[NudgeState.SENDING],
            due_at=due_at,
            revision=Nudge.revision + 1,
        )

    async def reclaim_stuck(self, stuck_before: datetime, due_at: datetime) -> list[NudgeRow]:
        """sending -> planned for sends that started before `stuck_before` (a worker died)."""
        statement = (
            self._update(Nudge)
            .where(Nudge.state == NudgeState.SENDING.value, Nudge.updated_at < stuck_before)
            .values(state=PLANNED, due_at=due_at, revision=Nudge.revision + 1, updated_at=utcnow())
            .returning(*COLUMNS)
        )
        return [_row(m) for m in (await self.session.execute(statement)).mappings()]

    async def sent_keys(self, meeting_ids: Collection[int]) -> set[NudgeKey]:
        """(meeting, person, kind) already sent or being sent, for these meetings."""
        found: set[NudgeKey] = set()
        for part in chunks(sorted(set(meeting_ids)), ID_CHUNK):
            statement = self._select_columns(
                Nudge, Nudge.meeting_id, Nudge.person_id, Nudge.kind
            ).where(
                Nudge.meeting_id.in_(part),
                Nudge.state.in_([NudgeState.SENT.value, NudgeState.SENDING.value]),
            )
            rows = await self.session.execute(statement)
            found.update((meeting_id, person_id, kind) for meeting_id, person_id, kind in rows)
        return found

    async def sent_counts_by_person_day(
        self, since: datetime, zones: Mapping[int, str]
    ) -> dict[tuple[int, date], int]:
        """Nudges sent (or sending) per (person id, LOCAL date of the due time) since `since`.

        `zones` maps person id -> IANA zone (UTC when missing or unknown).
        """
        statement = self._select_columns(Nudge, Nudge.person_id, Nudge.due_at).where(
            Nudge.state.in_([NudgeState.SENT.value, NudgeState.SENDING.value]),
            Nudge.due_at >= since,
        )
        counts: Counter[tuple[int, date]] = Counter()
        for person_id, due_at in await self.session.execute(statement):
            local = due_at.astimezone(_zone(zones.get(person_id, "UTC")))
            counts[(person_id, local.date())] += 1
        return dict(counts)

    async def last_sent_by_series(self, since: datetime) -> dict[tuple[int, str, str], datetime]:
        """The last send per (person id, series id, kind) since `since`."""
        statement = (
            self._select_columns(
                Nudge, Nudge.person_id, MeetingRecord.series_id, Nudge.kind, func.max(Nudge.sent_at)
            )
            .join(MeetingRecord, MeetingRecord.id == Nudge.meeting_id)
            .where(
                Nudge.state == NudgeState.SENT.value,
                Nudge.sent_at >= since,
                MeetingRecord.series_id.is_not(None),
            )
            .group_by(Nudge.person_id, MeetingRecord.series_id, Nudge.kind)
        )
        rows = await self.session.execute(statement)
        return {(pid, series, kind): last for pid, series, kind, last in rows}

    async def sent_history(
        self, since: datetime, series: Collection[str] | None = None
    ) -> list[SentRecord]:
        """Nudges sent (or sending) due since `since`, of these series only when given."""
        key = func.coalesce(MeetingRecord.series_id, MeetingRecord.ical_uid)
        helpful = exists().where(Feedback.nudge_id == Nudge.id, Feedback.verdict == "helpful")
        base = (
            self._select_columns(
                Nudge, Nudge.person_id, Nudge.meeting_id, key, Nudge.kind, Nudge.variant,
                Nudge.due_at, helpful,
            )
            .join(MeetingRecord, MeetingRecord.id == Nudge.meeting_id)
            .where(
                Nudge.state.in_([NudgeState.SENT.value, NudgeState.SENDING.value]),
                Nudge.due_at >= since,
            )
        )  # fmt: skip
        parts = [None] if series is None else list(chunks(sorted(set(series)), ID_CHUNK))
        found: list[SentRecord] = []
        for part in parts:
            statement = base if part is None else base.where(key.in_(part))
            rows = await self.session.execute(statement)
            found.extend(SentRecord(*values) for values in rows)
        return sorted(found, key=lambda r: (r.at, r.person_id, r.meeting_id, r.kind))

    async def iter_listing(
        self, state: str | None = None, page: int = PAGE
    ) -> AsyncIterator[NudgeListing]:
        """Every nudge (in `state`, when given) by due time then id, with its person's email and
        its meeting's UID and title: one joined query per page (keyset pagination)."""
        base = (
            self._select_columns(
                Nudge, *COLUMNS, Person.email, MeetingRecord.ical_uid, MeetingRecord.title
            )
            .join(Person, Person.id == Nudge.person_id)
            .join(MeetingRecord, MeetingRecord.id == Nudge.meeting_id)
            .order_by(Nudge.due_at, Nudge.id)
            .limit(page)
        )
        if state is not None:
            base = base.where(Nudge.state == state)
        after: tuple[datetime, int] | None = None
        while True:
            statement = base
            if after is not None:
                due_at, nudge_id = after
                statement = statement.where(
                    or_(Nudge.due_at > due_at, and_(Nudge.due_at == due_at, Nudge.id > nudge_id))
                )
            batch = [
                NudgeListing(_row(m), m["email"], m["ical_uid"], m["title"])
                for m in (await self.session.execute(statement)).mappings()
            ]
            for item in batch:
                yield item
            if len(batch) < page:
                return
            after = (batch[-1].nudge.due_at, batch[-1].nudge.id)

    async def count_by_kind_and_state(self) -> dict[tuple[str, str], int]:
        """How many nudges per (kind, state)."""
        statement = self._select_columns(
            Nudge, Nudge.kind, Nudge.state, func.count(Nudge.id)
        ).group_by(Nudge.kind, Nudge.state)
        rows = await self.session.execute(statement)
        return {(kind, state): int(n) for kind, state, n in rows}
