"""Reading meetings: shared rows, or each person's own view; streamed in batches (no N+1).

A person's view of a meeting is their own copy (what their calendar shows), with the
organiser's copy filling what theirs lacks (a bare feed has no attendees, no organiser, maybe no
title). Its participations say, per party, whether that party's own calendar shows the meeting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, tuple_

from service.domain.model import EventStatus
from service.storage.models import MeetingCopy, MeetingRecord, Participation, Person
from service.storage.repositories.base import CHUNK, ID_CHUNK, Scoped, chunks
from service.storage.rows import MeetingRow, ParticipationRow

CANCELLED = EventStatus.CANCELLED.value
ViewKey = tuple[int, int]  # (meeting id, person id)


@dataclass(frozen=True, slots=True)
class _Holder:
    """One copy of a meeting, as far as choosing the organiser's copy needs it."""

    copy_id: int
    person_id: int
    email: str
    organizer_copy: bool
    attendees_known: bool


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


def _fields(view: MeetingRecord | MeetingCopy) -> dict[str, Any]:
    return {
        "start": view.start,
        "end": view.end,
        "title": view.title,
        "organizer_email": view.organizer_email,
        "series_id": view.series_id,
        "status": view.status,
        "event_type": view.event_type,
        "all_day": view.all_day,
        "transparent": view.transparent,
        "modality": view.modality,
        "provider": view.provider,
        "hybrid": view.hybrid,
        "one_on_one": view.one_on_one,
        "is_meeting": view.is_meeting,
        "reasons": tuple(view.reasons),
        "human_count": view.human_count,
        "updated_at": view.updated_at,
    }


def _meeting_row(m: MeetingRecord, participations: Sequence[ParticipationRow]) -> MeetingRow:
    return MeetingRow(
        id=m.id,
        ical_uid=m.ical_uid,
        original_start=m.original_start,
        participations=tuple(participations),
        **_fields(m),
    )


def _organizer_copy(
    holders: Iterable[_Holder], organizer_email: str | None, excluded: int | None = None
) -> _Holder | None:
    """The organiser's copy with attendees: the one `organizer_email` names, else the oldest."""
    found = sorted(
        (h for h in holders if h.organizer_copy and h.attendees_known and h.copy_id != excluded),
        key=lambda h: h.copy_id,
    )
    named = [h for h in found if organizer_email is not None and h.email == organizer_email]
    chosen = named or found
    return chosen[0] if chosen else None


def _merge_parties(rows: Iterable[ParticipationRow]) -> list[ParticipationRow]:
    """One row per address: the party's own row (in their calendar) first, flags combined."""
    merged: dict[str, ParticipationRow] = {}
    for row in rows:
        old = merged.get(row.email)
        if old is None:
            merged[row.email] = row
        elif row.in_calendar and not old.in_calendar:
            merged[row.email] = replace(row, organizer=row.organizer or old.organizer)
        else:
            merged[row.email] = replace(old, organizer=old.organizer or row.organizer)
    return list(merged.values())


def _page(
    base: Select[Any],
    model: type[MeetingRecord | MeetingCopy],
    after: tuple[datetime, int] | None,
    batch: int,
) -> Select[Any]:
    """The next `batch` rows of `base` by (start, id), after the (start, id) of the last page."""
    statement = base
    if after is not None:
        statement = statement.where(
            or_(model.start > after[0], and_(model.start == after[0], model.id > after[1]))
        )
    return statement.order_by(model.start, model.id).limit(batch)


class MeetingReads(Scoped):
    """The read side of `MeetingRepository`."""

    async def get_many(self, meeting_ids: Collection[int]) -> list[MeetingRow]:
        """The shared rows of these meetings (with their parties), by start."""
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
        """Shared rows starting in [start, end), by start (cancelled included).

        With `person_id`: only meetings that person's own calendar shows. A person's own view
        of each is `iter_views`.
        """
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
        """Shared rows starting in [start, end), by start (not cancelled); see `iter_upcoming`."""
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
                    MeetingCopy.meeting_id == MeetingRecord.id, MeetingCopy.person_id == person_id
                )
            )
        after: tuple[datetime, int] | None = None
        while True:
            statement = _page(base, MeetingRecord, after, batch)
            meetings = list(await self.session.scalars(statement))
            for row in await self._with_parties(meetings):
                yield row
            if len(meetings) < batch:
                return
            after = (meetings[-1].start, meetings[-1].id)

    async def _holders(self, meeting_ids: Collection[int]) -> dict[int, list[_Holder]]:
        """Every copy of these meetings, by meeting: whose it is, and is it the organiser's."""
        found: defaultdict[int, list[_Holder]] = defaultdict(list)
        for part in chunks(sorted(set(meeting_ids)), ID_CHUNK):
            statement = (
                self._select_columns(
                    MeetingCopy,
                    MeetingCopy.meeting_id,
                    MeetingCopy.id,
                    MeetingCopy.person_id,
                    Person.email,
                    MeetingCopy.organizer_copy,
                    MeetingCopy.attendees_known,
                )
                .join(Person, Person.id == MeetingCopy.person_id)
                .where(MeetingCopy.meeting_id.in_(part))
            )
            for (
                meeting_id,
                copy_id,
                person_id,
                email,
                organizer,
                known,
            ) in await self.session.execute(statement):
                found[meeting_id].append(_Holder(copy_id, person_id, email, organizer, known))
        return found

    async def _listed(self, copy_ids: Collection[int]) -> dict[int, list[ParticipationRow]]:
        """The participations of these copies, by copy, in the order they were stored."""
        found: defaultdict[int, list[ParticipationRow]] = defaultdict(list)
        for part in chunks(sorted(set(copy_ids)), ID_CHUNK):
            statement = (
                self._select(Participation)
                .where(Participation.copy_id.in_(part))
                .order_by(Participation.copy_id, Participation.id)
            )
            for participation in await self.session.scalars(statement):
                found[participation.copy_id].append(_participation_row(participation))
        return found

    async def _with_parties(self, meetings: Sequence[MeetingRecord]) -> list[MeetingRow]:
        """Shared rows with the parties the organiser's copy lists (every copy's, without one).

        Each person whose own calendar shows the meeting is listed too, with their own answer.
        """
        if not meetings:
            return []
        holders = await self._holders([m.id for m in meetings])
        listed = await self._listed([h.copy_id for hs in holders.values() for h in hs])
        rows: list[MeetingRow] = []
        for m in meetings:
            copies = holders.get(m.id, [])
            organizer = _organizer_copy(copies, m.organizer_email)
            base = [organizer] if organizer is not None else copies
            parties = [p for h in base for p in listed.get(h.copy_id, [])]
            parties += [p for h in copies for p in listed.get(h.copy_id, []) if p.in_calendar]
            rows.append(_meeting_row(m, _merge_parties(parties)))
        return rows

    async def iter_views(
        self,
        start: datetime,
        end: datetime,
        *,
        person_id: int | None = None,
        include_cancelled: bool = True,
        batch: int = CHUNK,
    ) -> AsyncIterator[MeetingRow]:
        """Each person's own view of the meetings their calendar shows starting in [start, end).

        One row per (meeting, person) with `seen_by` set, by the view's start; with
        `person_id`, only that person's views.
        """
        base = (
            self._select_columns(MeetingCopy, MeetingCopy, MeetingRecord)
            .join(MeetingRecord, MeetingRecord.id == MeetingCopy.meeting_id)
            .where(MeetingCopy.start >= start, MeetingCopy.start < end)
            .execution_options(populate_existing=True)
        )
        if not include_cancelled:
            base = base.where(MeetingCopy.status != CANCELLED)
        if person_id is not None:
            base = base.where(MeetingCopy.person_id == person_id)
        after: tuple[datetime, int] | None = None
        while True:
            statement = _page(base, MeetingCopy, after, batch)
            pairs = [(c, m) for c, m in await self.session.execute(statement)]
            for row in await self._views(pairs):
                yield row
            if len(pairs) < batch:
                return
            after = (pairs[-1][0].start, pairs[-1][0].id)

    async def get_views(self, keys: Collection[ViewKey]) -> dict[ViewKey, MeetingRow]:
        """The views of these (meeting id, person id) pairs that exist (a calendar shows them)."""
        found: dict[ViewKey, MeetingRow] = {}
        for part in chunks(sorted(set(keys)), ID_CHUNK // 2):
            statement = (
                self._select_columns(MeetingCopy, MeetingCopy, MeetingRecord)
                .join(MeetingRecord, MeetingRecord.id == MeetingCopy.meeting_id)
                .where(tuple_(MeetingCopy.meeting_id, MeetingCopy.person_id).in_(part))
                .execution_options(populate_existing=True)
            )
            pairs = [(c, m) for c, m in await self.session.execute(statement)]
            for row in await self._views(pairs):
                assert row.seen_by is not None
                found[(row.id, row.seen_by)] = row
        return found

    async def _views(self, pairs: Sequence[tuple[MeetingCopy, MeetingRecord]]) -> list[MeetingRow]:
        if not pairs:
            return []
        holders = await self._holders({m.id for _, m in pairs})
        organizers: dict[int, _Holder] = {}
        for copy, meeting in pairs:
            if copy.attendees_known and copy.title and copy.organizer_email is not None:
                continue
            organizer = _organizer_copy(
                holders.get(meeting.id, []),
                copy.organizer_email or meeting.organizer_email,
                excluded=copy.id,
            )
            if organizer is not None:
                organizers[copy.id] = organizer
        fallback = await self._copies([h.copy_id for h in organizers.values()])
        listed = await self._listed(
            [c.id for c, _ in pairs] + [h.copy_id for h in organizers.values()]
        )
        rows: list[MeetingRow] = []
        for copy, meeting in pairs:
            shown = {h.person_id for h in holders.get(meeting.id, [])}
            holder = organizers.get(copy.id)
            other = None if holder is None else fallback.get(holder.copy_id)
            rows.append(_view_row(copy, meeting, other, listed, shown))
        return rows

    async def _copies(self, copy_ids: Collection[int]) -> dict[int, MeetingCopy]:
        found: dict[int, MeetingCopy] = {}
        for part in chunks(sorted(set(copy_ids)), ID_CHUNK):
            statement = self._select(MeetingCopy).where(MeetingCopy.id.in_(part))
            found.update({c.id: c for c in await self.session.scalars(statement)})
        return found

    async def series_starts(
        self, series_ids: Collection[str], start: datetime, end: datetime
    ) -> dict[str, list[datetime]]:
        """The starts of these series' instances in [start, end) (not cancelled), by series."""
        found: defaultdict[str, list[datetime]] = defaultdict(list)
        for part in chunks(sorted(set(series_ids)), ID_CHUNK):
            statement = self._select_columns(
                MeetingRecord, MeetingRecord.series_id, MeetingRecord.start
            ).where(
                MeetingRecord.series_id.in_(part),
                MeetingRecord.start >= start,
                MeetingRecord.start < end,
                MeetingRecord.status != CANCELLED,
            )
            for series, when in await self.session.execute(statement):
                found[series].append(when)
        return {series: sorted(starts) for series, starts in found.items()}

    async def count(self) -> int:
        """How many meetings this tenant has stored."""
        statement = self._select_columns(MeetingRecord, func.count(MeetingRecord.id))
        return int(await self.session.scalar(statement) or 0)


def _view_row(
    copy: MeetingCopy,
    meeting: MeetingRecord,
    organizer: MeetingCopy | None,
    listed: Mapping[int, Sequence[ParticipationRow]],
    shown: Collection[int],
) -> MeetingRow:
    """One person's view: their copy, the organiser's copy for what theirs lacks."""
    fields = _fields(copy)
    own = list(listed.get(copy.id, []))
    if organizer is not None:
        fields["title"] = copy.title or organizer.title
        fields["organizer_email"] = copy.organizer_email or organizer.organizer_email
        if not copy.attendees_known:
            fields["human_count"] = organizer.human_count
            fields["one_on_one"] = organizer.one_on_one
            mine = {p.email for p in own}
            own = [p for p in listed.get(organizer.id, []) if p.email not in mine] + own
    parties = tuple(
        replace(p, in_calendar=p.person_id is not None and p.person_id in shown) for p in own
    )
    return MeetingRow(
        id=meeting.id,
        ical_uid=meeting.ical_uid,
        original_start=meeting.original_start,
        participations=parties,
        seen_by=copy.person_id,
        **fields,
    )
