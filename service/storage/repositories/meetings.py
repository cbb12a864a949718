"""Meetings and their participations: batched upserts, pruning, streaming reads, purge."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, or_

from service.domain.classify.people import read_people
from service.domain.model import Classification, EventStatus, Meeting, normalise_email
from service.storage.models import MeetingRecord, Participation
from service.storage.repositories.base import (
    CHUNK,
    Scoped,
    chunks,
    rowcount,
    table,
    utcnow,
)
from service.storage.repositories.participants import Party, parties
from service.storage.rows import MeetingRow, ParticipationRow, PruneResult

Key = tuple[str, datetime]
MEETINGS = table(MeetingRecord)
PARTICIPATIONS = table(Participation)
_MEETING_KEY = ("tenant_id", "ical_uid", "original_start")
CANCELLED = EventStatus.CANCELLED.value
ID_CHUNK = 5_000


def _meeting_values(
    meeting: Meeting, classification: Classification, now: datetime
) -> dict[str, Any]:
    people = read_people(meeting)
    return {
        "ical_uid": meeting.uid,
        "original_start": meeting.instance_start,
        "start": meeting.start,
        "end": meeting.end,
        "title": meeting.title,
        "organizer_email": normalise_email(meeting.organizer),
        "series_id": meeting.series_id,
        "status": meeting.status.value,
        "event_type": meeting.event_type.value,
        "all_day": meeting.all_day,
        "transparent": meeting.transparent,
        "modality": classification.modality.value,
        "provider": classification.provider,
        "hybrid": classification.hybrid,
        "one_on_one": classification.one_on_one,
        "is_meeting": classification.is_meeting,
        "reasons": list(classification.reasons),
        "human_count": None if people is None else len(people.humans),
        "updated_at": now,
    }


def _participation_row(p: Participation) -> ParticipationRow:
    return ParticipationRow(
        email=p.email,
        person_id=p.person_id,
        kind=p.kind,
        response=p.response,
        organizer=p.organizer,
        optional=p.optional,
        in_calendar=p.in_calendar,
    )


def _meeting_row(m: MeetingRecord, participations: Sequence[ParticipationRow]) -> MeetingRow:
    return MeetingRow(
        id=m.id,
        ical_uid=m.ical_uid,
        original_start=m.original_start,
        start=m.start,
        end=m.end,
        title=m.title,
        organizer_email=m.organizer_email,
        series_id=m.series_id,
        status=m.status,
        event_type=m.event_type,
        all_day=m.all_day,
        transparent=m.transparent,
        modality=m.modality,
        provider=m.provider,
        hybrid=m.hybrid,
        one_on_one=m.one_on_one,
        is_meeting=m.is_meeting,
        reasons=tuple(m.reasons),
        human_count=m.human_count,
        updated_at=m.updated_at,
        participations=tuple(participations),
    )


class MeetingRepository(Scoped):
    """Meetings of one tenant: one row per (UID, original start), one participation per party."""

    async def upsert_many(
        self,
        items: Sequence[tuple[Meeting, Classification]],
        seen_by_person_id: int | None,
        people_ids: Mapping[str, int],
    ) -> dict[Key, int]:
        """Store meetings seen in one person's calendar; returns ids by (uid, original start).

        Batched: per chunk of meetings, one upsert of the meetings and one (or a few, under the
        parameter cap) of their participations. When a meeting's attendee list is known, its
        parties no longer listed are deleted, except those whose own calendar shows it.
        """
        latest: dict[Key, tuple[Meeting, Classification]] = {}
        for meeting, classification in items:
            latest[(meeting.uid, meeting.instance_start)] = (meeting, classification)
        ids: dict[Key, int] = {}
        now = utcnow()
        for part in chunks(list(latest.values()), CHUNK):
            chunk_ids = await self._upsert_meetings(part, now)
            ids.update(chunk_ids)
            await self._store_parties(part, chunk_ids, seen_by_person_id, people_ids)
        return ids

    async def _upsert_meetings(
        self, part: Sequence[tuple[Meeting, Classification]], now: datetime
    ) -> dict[Key, int]:
        values = [self._owned(_meeting_values(m, c, now)) for m, c in part]
        insert = self._upsert(MeetingRecord)
        new = insert.excluded
        updated = {name: new[name] for name in values[0] if name not in _MEETING_KEY}
        # A copy without attendees (a bare feed) must not erase what another copy told us.
        for name in ("organizer_email", "human_count", "one_on_one"):
            updated[name] = func.coalesce(new[name], MEETINGS.c[name])
        statement = insert.on_conflict_do_update(
            index_elements=list(_MEETING_KEY), set_=updated
        ).returning(MEETINGS.c.id, MEETINGS.c.ical_uid, MEETINGS.c.original_start)
        result = await self.session.execute(statement, values)
        return {(uid, start): meeting_id for meeting_id, uid, start in result}

    async def _store_parties(
        self,
        part: Sequence[tuple[Meeting, Classification]],
        ids: Mapping[Key, int],
        seen_by_person_id: int | None,
        people_ids: Mapping[str, int],
    ) -> None:
        rows: list[dict[str, Any]] = []
        listed: dict[int, set[str]] = {}
        for meeting, _ in part:
            meeting_id = ids[(meeting.uid, meeting.instance_start)]
            found, known = parties(meeting, seen_by_person_id, people_ids)
            if known:
                listed[meeting_id] = set(found)
            rows.extend(self._party_values(meeting_id, party) for party in found.values())
        await self._delete_unlisted(listed)
        if rows:
            await self._upsert_parties(rows)

    def _party_values(self, meeting_id: int, party: Party) -> dict[str, Any]:
        return self._owned(
            {
                "meeting_id": meeting_id,
                "email": party.email,
                "person_id": party.person_id,
                "kind": party.kind,
                "response": party.response,
                "organizer": party.organizer,
                "optional": party.optional,
                "in_calendar": party.in_calendar,
            }
        )

    async def _upsert_parties(self, rows: Sequence[dict[str, Any]]) -> None:
        insert = self._upsert(Participation)
        new, old = insert.excluded, PARTICIPATIONS.c
        # A person's own calendar is the authority on their own answer.
        response = case(
            (new.response == "unknown", old.response),
            (and_(old.in_calendar, ~new.in_calendar), old.response),
            else_=new.response,
        )
        statement = insert.on_conflict_do_update(
            index_elements=["meeting_id", "email"],
            set_={
                "person_id": func.coalesce(new.person_id, old.person_id),
                "kind": new.kind,
                "response": response,
                "organizer": new.organizer,
                "optional": new.optional,
                "in_calendar": or_(old.in_calendar, new.in_calendar),
            },
        )
        await self.session.execute(statement, list(rows))

    async def _delete_unlisted(self, listed: Mapping[int, set[str]]) -> None:
        if not listed:
            return
        statement = self._select_columns(
            Participation, Participation.id, Participation.meeting_id, Participation.email
        ).where(Participation.meeting_id.in_(list(listed)), ~Participation.in_calendar)
        stale = [
            pid
            for pid, meeting_id, email in (await self.session.execute(statement))
            if email not in listed[meeting_id]
        ]
        for part in chunks(stale, ID_CHUNK):
            await self.session.execute(
                self._delete(Participation).where(Participation.id.in_(part))
            )

    async def remove(
        self, keys: Sequence[tuple[str, datetime | None]], seen_by_person_id: int | None = None
    ) -> PruneResult:
        """Provider deletions: (uid, original start), or (uid, None) for every instance.

        Without `seen_by_person_id` the meetings are marked cancelled. With it, only that
        person's calendar lost them: their participation is dropped, and a meeting no calendar
        shows any more is marked cancelled.
        """
        wanted = await self._ids_for_keys(keys)
        if seen_by_person_id is None:
            return PruneResult(cancelled=tuple(await self._cancel(wanted, only_orphans=False)))
        return await self._drop_person(seen_by_person_id, wanted)

    async def _ids_for_keys(self, keys: Sequence[tuple[str, datetime | None]]) -> list[int]:
        exact = {(uid, start) for uid, start in keys if start is not None}
        whole = {uid for uid, start in keys if start is None}
        uids = sorted(whole | {uid for uid, _ in exact})
        found: list[int] = []
        for part in chunks(uids, ID_CHUNK):
            statement = self._select_columns(
                MeetingRecord,
                MeetingRecord.id,
                MeetingRecord.ical_uid,
                MeetingRecord.original_start,
            ).where(MeetingRecord.ical_uid.in_(part))
            for meeting_id, uid, start in await self.session.execute(statement):
                if uid in whole or (uid, start) in exact:
                    found.append(meeting_id)
        return found

    async def _cancel(self, meeting_ids: Sequence[int], *, only_orphans: bool) -> list[int]:
        cancelled: list[int] = []
        for part in chunks(sorted(set(meeting_ids)), ID_CHUNK):
            statement = self._update(MeetingRecord).where(
                MeetingRecord.id.in_(part), MeetingRecord.status != CANCELLED
            )
            if only_orphans:
                shown = exists().where(
                    Participation.meeting_id == MeetingRecord.id, Participation.in_calendar
                )
                statement = statement.where(~shown)
            statement = statement.values(status=CANCELLED, updated_at=utcnow()).returning(
                MeetingRecord.id
            )
            cancelled.extend((await self.session.scalars(statement)).all())
        return sorted(cancelled)

    async def _drop_person(self, person_id: int, meeting_ids: Sequence[int]) -> PruneResult:
        dropped: list[int] = []
        for part in chunks(sorted(set(meeting_ids)), ID_CHUNK):
            statement = (
                self._delete(Participation)
                .where(
                    Participation.person_id == person_id,
                    Participation.in_calendar,
                    Participation.meeting_id.in_(part),
                )
                .returning(Participation.meeting_id)
            )
            dropped.extend((await self.session.scalars(statement)).all())
        cancelled = await self._cancel(dropped, only_orphans=True)
        return PruneResult(dropped=tuple(sorted(dropped)), cancelled=tuple(cancelled))

    async def prune_unseen(
        self,
        person_id: int,
        window_start: datetime,
        window_end: datetime,
        seen_ids: Collection[int],
    ) -> PruneResult:
        """After a full sync: drop the person's meetings in the window that the sync did not see.

        Their in-calendar participations starting in [window_start, window_end) whose meeting
        id is not in `seen_ids` are deleted; a meeting no calendar shows any more is cancelled.
        """
        statement = (
            self._select_columns(Participation, Participation.meeting_id)
            .join(MeetingRecord, MeetingRecord.id == Participation.meeting_id)
            .where(
                Participation.person_id == person_id,
                Participation.in_calendar,
                MeetingRecord.start >= window_start,
                MeetingRecord.start < window_end,
            )
        )
        seen = set(seen_ids)
        unseen = [m for m in (await self.session.scalars(statement)).all() if m not in seen]
        if not unseen:
            return PruneResult()
        return await self._drop_person(person_id, unseen)

    async def get_many(self, meeting_ids: Collection[int]) -> list[MeetingRow]:
        """The meetings with these ids (with participations), by start."""
        rows: list[MeetingRow] = []
        for part in chunks(sorted(set(meeting_ids)), ID_CHUNK):
            statement = (
                self._select(MeetingRecord)
                .where(MeetingRecord.id.in_(part))
                .order_by(MeetingRecord.start, MeetingRecord.id)
            )
            rows.extend(await self._with_parties(list(await self.session.scalars(statement))))
        return sorted(rows, key=lambda row: (row.start, row.id))

    async def iter_upcoming(
        self,
        start: datetime,
        end: datetime,
        *,
        person_id: int | None = None,
        include_cancelled: bool = True,
        batch: int = CHUNK,
    ) -> AsyncIterator[MeetingRow]:
        """Meetings starting in [start, end), by start, with participations (cancelled included)."""
        async for row in self._iter(start, end, person_id, include_cancelled, batch):
            yield row

    async def iter_past(
        self,
        start: datetime,
        end: datetime,
        *,
        person_id: int | None = None,
        include_cancelled: bool = False,
        batch: int = CHUNK,
    ) -> AsyncIterator[MeetingRow]:
        """Meetings starting in [start, end), by start, with participations (not cancelled)."""
        async for row in self._iter(start, end, person_id, include_cancelled, batch):
            yield row

    async def _iter(
        self,
        start: datetime,
        end: datetime,
        person_id: int | None,
        include_cancelled: bool,
        batch: int,
    ) -> AsyncIterator[MeetingRow]:
        base = self._select(MeetingRecord).where(
            MeetingRecord.start >= start, MeetingRecord.start < end
        )
        if not include_cancelled:
            base = base.where(MeetingRecord.status != CANCELLED)
        if person_id is not None:
            base = base.where(
                exists().where(
                    Participation.meeting_id == MeetingRecord.id,
                    Participation.person_id == person_id,
                )
            )
        after: tuple[datetime, int] | None = None
        while True:
            statement = base
            if after is not None:
                statement = statement.where(
                    or_(
                        MeetingRecord.start > after[0],
                        and_(MeetingRecord.start == after[0], MeetingRecord.id > after[1]),
                    )
                )
            statement = statement.order_by(MeetingRecord.start, MeetingRecord.id).limit(batch)
            meetings = list(await self.session.scalars(statement))
            for row in await self._with_parties(meetings):
                yield row
            if len(meetings) < batch:
                return
            after = (meetings[-1].start, meetings[-1].id)

    async def _with_parties(self, meetings: Sequence[MeetingRecord]) -> list[MeetingRow]:
        if not meetings:
            return []
        statement = (
            self._select(Participation)
            .where(Participation.meeting_id.in_([m.id for m in meetings]))
            .order_by(Participation.meeting_id, Participation.id)
        )
        by_meeting: dict[int, list[ParticipationRow]] = defaultdict(list)
        for participation in await self.session.scalars(statement):
            by_meeting[participation.meeting_id].append(_participation_row(participation))
        return [_meeting_row(m, by_meeting.get(m.id, [])) for m in meetings]

    async def purge_before(self, cutoff: datetime) -> int:
        """Delete meetings that ended before `cutoff` (participations and nudges go with them)."""
        result = await self.session.execute(
            self._delete(MeetingRecord).where(MeetingRecord.end < cutoff)
        )
        return rowcount(result)

    async def count(self) -> int:
        """How many meetings this tenant has stored."""
        statement = self._select_columns(MeetingRecord, func.count(MeetingRecord.id))
        return int(await self.session.scalar(statement) or 0)
