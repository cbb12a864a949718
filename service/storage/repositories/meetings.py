"""Meetings and their participations: batched upserts, pruning, streaming reads, purge."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import and_, case, exists, func, or_

from service.domain.classify.people import read_people
from service.domain.model import Classification, Meeting, normalise_email
from service.errors import NotFound
from service.storage.models import MeetingRecord, Participation, Person
from service.storage.repositories.base import (
    CHUNK,
    ID_CHUNK,
    chunks,
    clean_optional,
    clean_text,
    rowcount,
    table,
    utcnow,
)
from service.storage.repositories.meeting_reads import CANCELLED, MeetingReads
from service.storage.repositories.participants import Party, parties
from service.storage.rows import PruneResult

log = structlog.get_logger(__name__)

Key = tuple[str, datetime]
MEETINGS = table(MeetingRecord)
PARTICIPATIONS = table(Participation)
_MEETING_KEY = ("tenant_id", "ical_uid", "original_start")


# Index entries have a size limit (about 2.7 kB on PostgreSQL): longer UIDs are stored hashed.
MAX_UID = 512


def stored_uid(uid: str) -> str:
    """The UID as stored: cleaned, and replaced by a stable hash when it is too long to index."""
    text = clean_text(uid)
    if len(text) <= MAX_UID:
        return text
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _key(meeting: Meeting) -> Key:
    """The stored identity of a meeting: its stored UID and original start."""
    return (stored_uid(meeting.uid), meeting.instance_start)


def _emails(items: Sequence[tuple[Meeting, Classification]]) -> set[str]:
    found: set[str] = set()
    for meeting, _ in items:
        found.update(
            e
            for e in (
                normalise_email(meeting.owner),
                normalise_email(meeting.organizer),
                *(normalise_email(a.email) for a in meeting.attendees or ()),
            )
            if e is not None
        )
    return found


def _meeting_values(
    meeting: Meeting, classification: Classification, now: datetime
) -> dict[str, Any]:
    people = read_people(meeting)
    return {
        "ical_uid": stored_uid(meeting.uid),
        "original_start": meeting.instance_start,
        "start": meeting.start,
        "end": meeting.end,
        "title": clean_text(meeting.title),
        "organizer_email": normalise_email(meeting.organizer),
        "series_id": clean_optional(meeting.series_id),
        "status": meeting.status.value,
        "event_type": meeting.event_type.value,
        "all_day": meeting.all_day,
        "transparent": meeting.transparent,
        "modality": classification.modality.value,
        "provider": clean_optional(classification.provider, 64),
        "hybrid": classification.hybrid,
        "one_on_one": classification.one_on_one,
        "is_meeting": classification.is_meeting,
        "reasons": [clean_text(reason) for reason in classification.reasons],
        "human_count": None if people is None else len(people.humans),
        "updated_at": now,
    }


class MeetingRepository(MeetingReads):
    """Meetings of one tenant: one row per (UID, original start), one participation per party."""

    async def upsert_many(
        self,
        items: Sequence[tuple[Meeting, Classification]],
        seen_by_person_id: int | None,
        people_ids: Mapping[str, int],
    ) -> dict[Key, int]:
        """Store meetings seen in one person's calendar; returns ids by (uid, original start).

        Batched: per chunk of ~500 meetings, one upsert of the meetings, one read of their
        participations and one upsert of the new participations (SQLAlchemy splits a statement
        only past its page size or the parameter cap). When a copy's attendee list is known,
        parties it no longer lists are deleted (see `_delete_unlisted`).
        """
        latest: dict[Key, tuple[Meeting, Classification]] = {}
        for meeting, classification in items:
            latest[_key(meeting)] = (meeting, classification)
        # One lock order for every writer: concurrent syncs of shared meetings cannot deadlock.
        ordered = [latest[key] for key in sorted(latest)]
        people = await self._own_people(_emails(ordered), people_ids, seen_by_person_id)
        ids: dict[Key, int] = {}
        now = utcnow()
        for part in chunks(ordered, CHUNK):
            stored = await self._upsert_meetings(part, now)
            await self._store_parties(part, stored, seen_by_person_id, people)
            ids.update({(m.uid, m.instance_start): stored[_key(m)] for m, _ in part})
        log.debug("storage.meetings.upserted", tenant_id=self.tenant_id, meetings=len(ids))
        return ids

    async def _own_people(
        self, emails: set[str], people_ids: Mapping[str, int], seen_by_person_id: int | None
    ) -> dict[str, int]:
        """`people_ids` for `emails`, checked to be people of this tenant (never a wrong link)."""
        used = {email: people_ids[email] for email in emails if email in people_ids}
        wanted = sorted(set(used.values()) | ({seen_by_person_id} if seen_by_person_id else set()))
        own: set[int] = set()
        for part in chunks(wanted, ID_CHUNK):
            statement = self._select_columns(Person, Person.id).where(Person.id.in_(part))
            own.update((await self.session.scalars(statement)).all())
        if seen_by_person_id is not None and seen_by_person_id not in own:
            raise NotFound(f"person {seen_by_person_id} not found in this tenant")
        stray = len(set(used.values()) - own)
        if stray:
            log.warning("storage.meetings.foreign_people", tenant_id=self.tenant_id, ids=stray)
        return {email: pid for email, pid in used.items() if pid in own}

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
        listed: dict[int, tuple[str, set[str]]] = {}
        for meeting, _ in part:
            meeting_id = ids[_key(meeting)]
            found, known = parties(meeting, seen_by_person_id, people_ids)
            if known:
                owner = normalise_email(meeting.owner) or meeting.owner
                listed[meeting_id] = (owner, set(found))
            rows.extend(self._party_values(meeting_id, party) for party in found.values())
        await self._delete_unlisted(listed)
        if rows:
            rows.sort(key=lambda row: (row["meeting_id"], row["email"]))
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

    async def _delete_unlisted(self, listed: Mapping[int, tuple[str, set[str]]]) -> None:
        """Delete parties a copy no longer lists, unless the copy is not the authority.

        The organizer's own copy is the authority on who is invited: when the organizer's
        calendar shows the meeting, another person's copy (which may hide the guest list)
        removes no one. Parties whose own calendar shows the meeting are never removed here.
        """
        if not listed:
            return
        statement = self._select_columns(
            Participation,
            Participation.id,
            Participation.meeting_id,
            Participation.email,
            Participation.organizer,
            Participation.in_calendar,
        ).where(Participation.meeting_id.in_(sorted(listed)))
        rows = (await self.session.execute(statement)).all()
        deferred = {
            meeting_id
            for _, meeting_id, email, organizer, in_calendar in rows
            if organizer and in_calendar and email != listed[meeting_id][0]
        }
        stale = [
            pid
            for pid, meeting_id, email, _, in_calendar in rows
            if not in_calendar and meeting_id not in deferred and email not in listed[meeting_id][1]
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
        exact = {(stored_uid(uid), start) for uid, start in keys if start is not None}
        whole = {stored_uid(uid) for uid, start in keys if start is None}
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

    async def purge_before(self, cutoff: datetime) -> int:
        """Delete meetings that ended before `cutoff` (participations and nudges go with them)."""
        result = await self.session.execute(
            self._delete(MeetingRecord).where(MeetingRecord.end < cutoff)
        )
        return rowcount(result)
