"""Reading meetings: by id, streamed by time window in batches (no N+1), counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime

from sqlalchemy import and_, exists, func, or_

from service.domain.model import EventStatus
from service.storage.models import MeetingRecord, Participation
from service.storage.repositories.base import CHUNK, ID_CHUNK, Scoped, chunks
from service.storage.rows import MeetingRow, ParticipationRow

CANCELLED = EventStatus.CANCELLED.value


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


class MeetingReads(Scoped):
    """The read side of `MeetingRepository`."""

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

    async def count(self) -> int:
        """How many meetings this tenant has stored."""
        statement = self._select_columns(MeetingRecord, func.count(MeetingRecord.id))
        return int(await self.session.scalar(statement) or 0)
