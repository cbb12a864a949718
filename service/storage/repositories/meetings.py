"""Meetings: one shared row per meeting, one copy per calendar showing it, batched writes.

Each calendar speaks only for its owner. A sync of person P's calendar writes the shared row
(the meeting's identity; its fields only when P's copy is the organiser's, or while no
organiser's copy was seen), P's own copy and that copy's participations, and removes only
P's copies. Nothing it writes changes what another person sees (their own copy).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import case, exists, func, or_

from service.domain.classify.people import read_people
from service.domain.model import Classification, Meeting, normalise_email
from service.errors import NotFound
from service.storage.models import MeetingCopy, MeetingRecord, Nudge, Participation, Person
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
from service.storage.repositories.participants import Party, is_organizer_copy, parties
from service.storage.rows import PruneResult

log = structlog.get_logger(__name__)

Key = tuple[str, datetime]
MEETINGS = table(MeetingRecord)
COPIES = table(MeetingCopy)
_MEETING_KEY = ("tenant_id", "ical_uid", "original_start")
# A copy without attendees (a bare feed) must not erase what an earlier copy told the shared row.
_KEPT_WHEN_MISSING = ("organizer_email", "human_count", "one_on_one")
# Nudges in these states are history (caps count them): their meeting is kept, as cancelled.
_SENT_STATES = ("sent", "sending")


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


def _view_values(meeting: Meeting, classification: Classification, now: datetime) -> dict[str, Any]:
    """What one calendar says about the meeting (the columns a copy and the shared row share)."""
    people = read_people(meeting)
    return {
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


def rows_written(meeting: Meeting, person_id: int, people_ids: Mapping[str, int]) -> int:
    """The rows one calendar's copy of `meeting` writes: the meeting, the copy, its parties."""
    return 2 + len(parties(meeting, person_id, people_ids))


class MeetingRepository(MeetingReads):
    """Meetings of one tenant: one row per (UID, original start), one copy per calendar."""

    async def upsert_many(
        self,
        items: Sequence[tuple[Meeting, Classification]],
        seen_by_person_id: int,
        people_ids: Mapping[str, int],
    ) -> dict[Key, int]:
        """Store meetings seen in one person's calendar; returns ids by (uid, original start).

        Batched: per chunk of ~500 meetings, one upsert of the shared rows, one of the person's
        copies, one read of those copies' participations and one upsert of the new ones
        (SQLAlchemy splits a statement only past its page size or the parameter cap). Parties
        the copy no longer lists are deleted from it.
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
            copies = await self._upsert_copies(part, stored, seen_by_person_id, now)
            await self._store_parties(part, stored, copies, seen_by_person_id, people)
            ids.update({(m.uid, m.instance_start): stored[_key(m)] for m, _ in part})
        log.debug("storage.meetings.upserted", tenant_id=self.tenant_id, meetings=len(ids))
        return ids

    async def _own_people(
        self, emails: set[str], people_ids: Mapping[str, int], seen_by_person_id: int
    ) -> dict[str, int]:
        """`people_ids` for `emails`, checked to be people of this tenant (never a wrong link)."""
        used = {email: people_ids[email] for email in emails if email in people_ids}
        wanted = sorted(set(used.values()) | {seen_by_person_id})
        own: set[int] = set()
        for part in chunks(wanted, ID_CHUNK):
            statement = self._select_columns(Person, Person.id).where(Person.id.in_(part))
            own.update((await self.session.scalars(statement)).all())
        if seen_by_person_id not in own:
            raise NotFound(f"person {seen_by_person_id} not found in this tenant")
        stray = len(set(used.values()) - own)
        if stray:
            log.warning("storage.meetings.foreign_people", tenant_id=self.tenant_id, ids=stray)
        return {email: pid for email, pid in used.items() if pid in own}

    async def _upsert_meetings(
        self, part: Sequence[tuple[Meeting, Classification]], now: datetime
    ) -> dict[Key, int]:
        values = [
            self._owned(
                {
                    "ical_uid": stored_uid(m.uid),
                    "original_start": m.instance_start,
                    "from_organizer": is_organizer_copy(m),
                    **_view_values(m, c, now),
                }
            )
            for m, c in part
        ]
        insert = self._upsert(MeetingRecord)
        new, old = insert.excluded, MEETINGS.c
        # The organiser's copy decides the shared row; any copy may, until the organiser's came.
        wins = or_(new.from_organizer, ~old.from_organizer)
        updated: dict[str, Any] = {}
        for name in values[0]:
            if name in _MEETING_KEY or name == "from_organizer":
                continue
            value = new[name]
            if name in _KEPT_WHEN_MISSING:
                value = func.coalesce(new[name], old[name])
            updated[name] = case((wins, value), else_=old[name])
        updated["from_organizer"] = or_(old.from_organizer, new.from_organizer)
        statement = insert.on_conflict_do_update(
            index_elements=list(_MEETING_KEY), set_=updated
        ).returning(MEETINGS.c.id, MEETINGS.c.ical_uid, MEETINGS.c.original_start)
        result = await self.session.execute(statement, values)
        return {(uid, start): meeting_id for meeting_id, uid, start in result}

    async def _upsert_copies(
        self,
        part: Sequence[tuple[Meeting, Classification]],
        ids: Mapping[Key, int],
        person_id: int,
        now: datetime,
    ) -> dict[int, int]:
        """Upsert the person's copies; returns copy ids by meeting id."""
        values = [
            self._owned(
                {
                    "meeting_id": ids[_key(m)],
                    "person_id": person_id,
                    "organizer_copy": is_organizer_copy(m),
                    "attendees_known": m.attendees is not None,
                    **_view_values(m, c, now),
                }
            )
            for m, c in part
        ]
        insert = self._upsert(MeetingCopy)
        new = insert.excluded
        keys = ("tenant_id", "meeting_id", "person_id")
        statement = insert.on_conflict_do_update(
            index_elements=["meeting_id", "person_id"],
            set_={name: new[name] for name in values[0] if name not in keys},
        ).returning(COPIES.c.id, COPIES.c.meeting_id)
        result = await self.session.execute(statement, values)
        return {meeting_id: copy_id for copy_id, meeting_id in result}

    async def _store_parties(
        self,
        part: Sequence[tuple[Meeting, Classification]],
        ids: Mapping[Key, int],
        copies: Mapping[int, int],
        person_id: int,
        people_ids: Mapping[str, int],
    ) -> None:
        rows: list[dict[str, Any]] = []
        listed: dict[int, set[str]] = {}
        for meeting, _ in part:
            meeting_id = ids[_key(meeting)]
            copy_id = copies[meeting_id]
            found = parties(meeting, person_id, people_ids)
            listed[copy_id] = set(found)
            rows.extend(self._party_values(meeting_id, copy_id, p) for p in found.values())
        await self._delete_unlisted(listed)
        rows.sort(key=lambda row: (row["copy_id"], row["email"]))
        insert = self._upsert(Participation)
        new = insert.excluded
        names = ("person_id", "kind", "response", "organizer", "optional", "in_calendar")
        statement = insert.on_conflict_do_update(
            index_elements=["copy_id", "email"], set_={name: new[name] for name in names}
        )
        await self.session.execute(statement, rows)

    def _party_values(self, meeting_id: int, copy_id: int, party: Party) -> dict[str, Any]:
        return self._owned(
            {
                "meeting_id": meeting_id,
                "copy_id": copy_id,
                "email": party.email,
                "person_id": party.person_id,
                "kind": party.kind,
                "response": party.response,
                "organizer": party.organizer,
                "optional": party.optional,
                "in_calendar": party.in_calendar,
            }
        )

    async def _delete_unlisted(self, listed: Mapping[int, set[str]]) -> None:
        """Delete the parties these copies no longer list (each copy only its own)."""
        statement = self._select_columns(
            Participation, Participation.id, Participation.copy_id, Participation.email
        ).where(Participation.copy_id.in_(sorted(listed)))
        stale = [
            pid
            for pid, copy_id, email in await self.session.execute(statement)
            if email not in listed[copy_id]
        ]
        for part in chunks(stale, ID_CHUNK):
            await self.session.execute(
                self._delete(Participation).where(Participation.id.in_(part))
            )

    async def remove(
        self, keys: Sequence[tuple[str, datetime | None]], seen_by_person_id: int | None = None
    ) -> PruneResult:
        """Provider deletions: (uid, original start), or (uid, None) for every instance.

        With `seen_by_person_id` (a calendar sync), only that person's calendar lost them: their
        copy goes, and a meeting no calendar shows any more goes too (kept as cancelled when
        nudges were sent for it). Without it (an operator's removal), the meetings and every
        copy of them are marked cancelled.
        """
        wanted = await self._ids_for_keys(keys)
        if seen_by_person_id is None:
            return PruneResult(cancelled=tuple(await self._cancel(wanted, copies=True)))
        return await self._drop_copies(seen_by_person_id, wanted)

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

    async def _cancel(self, meeting_ids: Collection[int], *, copies: bool) -> list[int]:
        """Mark meetings cancelled (and every copy of them, with `copies`); returns the changed."""
        cancelled: list[int] = []
        now = utcnow()
        for part in chunks(sorted(set(meeting_ids)), ID_CHUNK):
            statement = (
                self._update(MeetingRecord)
                .where(MeetingRecord.id.in_(part), MeetingRecord.status != CANCELLED)
                .values(status=CANCELLED, updated_at=now)
                .returning(MeetingRecord.id)
            )
            cancelled.extend((await self.session.scalars(statement)).all())
            if copies:
                await self.session.execute(
                    self._update(MeetingCopy)
                    .where(MeetingCopy.meeting_id.in_(part))
                    .values(status=CANCELLED, updated_at=now)
                )
        return sorted(cancelled)

    async def _drop_copies(self, person_id: int, meeting_ids: Collection[int]) -> PruneResult:
        """Delete the person's copies of these meetings, then the meetings no calendar shows."""
        dropped: list[int] = []
        for part in chunks(sorted(set(meeting_ids)), ID_CHUNK):
            statement = (
                self._delete(MeetingCopy)
                .where(MeetingCopy.person_id == person_id, MeetingCopy.meeting_id.in_(part))
                .returning(MeetingCopy.meeting_id)
            )
            dropped.extend((await self.session.scalars(statement)).all())
        if not dropped:
            return PruneResult()
        orphans = set(dropped) - await self._shown(dropped)
        kept = await self._with_sent_nudges(orphans)
        deleted: list[int] = []
        for part in chunks(sorted(orphans - kept), ID_CHUNK):
            statement = (
                self._delete(MeetingRecord)
                .where(MeetingRecord.id.in_(part))
                .returning(MeetingRecord.id)
            )
            deleted.extend((await self.session.scalars(statement)).all())
        cancelled = await self._cancel(kept, copies=False)
        await self._release_organizer(set(dropped) - orphans)
        return PruneResult(
            dropped=tuple(sorted(dropped)),
            cancelled=tuple(cancelled),
            deleted=tuple(sorted(deleted)),
        )

    async def _shown(self, meeting_ids: Collection[int]) -> set[int]:
        """Which of these meetings some calendar still shows (a copy exists)."""
        shown: set[int] = set()
        for part in chunks(sorted(set(meeting_ids)), ID_CHUNK):
            statement = self._select_columns(MeetingCopy, MeetingCopy.meeting_id).where(
                MeetingCopy.meeting_id.in_(part)
            )
            shown.update((await self.session.scalars(statement)).all())
        return shown

    async def _with_sent_nudges(self, meeting_ids: Collection[int]) -> set[int]:
        found: set[int] = set()
        for part in chunks(sorted(meeting_ids), ID_CHUNK):
            statement = self._select_columns(Nudge, Nudge.meeting_id).where(
                Nudge.meeting_id.in_(part), Nudge.state.in_(_SENT_STATES)
            )
            found.update((await self.session.scalars(statement)).all())
        return found

    async def _release_organizer(self, meeting_ids: Collection[int]) -> None:
        """The shared row of a meeting whose organiser's copy went is open to the others' again."""
        organizer = exists().where(
            MeetingCopy.meeting_id == MeetingRecord.id, MeetingCopy.organizer_copy
        )
        for part in chunks(sorted(meeting_ids), ID_CHUNK):
            await self.session.execute(
                self._update(MeetingRecord)
                .where(MeetingRecord.id.in_(part), MeetingRecord.from_organizer, ~organizer)
                .values(from_organizer=False)
            )

    async def drop_moved(self, person_id: int, keys: Sequence[tuple[str, datetime]]) -> PruneResult:
        """Single events (uid, start) as the person's calendar now shows them: drop the
        person's copies of those uids at any other original start (the event moved)."""
        wanted = {stored_uid(uid): start for uid, start in keys}
        stale: list[int] = []
        for part in chunks(sorted(wanted), ID_CHUNK):
            statement = (
                self._select_columns(
                    MeetingRecord,
                    MeetingRecord.id,
                    MeetingRecord.ical_uid,
                    MeetingRecord.original_start,
                )
                .join(MeetingCopy, MeetingCopy.meeting_id == MeetingRecord.id)
                .where(MeetingRecord.ical_uid.in_(part), MeetingCopy.person_id == person_id)
            )
            for meeting_id, uid, start in await self.session.execute(statement):
                if start != wanted[uid]:
                    stale.append(meeting_id)
        if not stale:
            return PruneResult()
        return await self._drop_copies(person_id, stale)

    async def prune_unseen(
        self,
        person_id: int,
        window_start: datetime,
        window_end: datetime,
        seen_ids: Collection[int],
    ) -> PruneResult:
        """After a full sync: drop the person's copies in the window that the sync did not see.

        Their copies starting in [window_start, window_end) whose meeting id is not in
        `seen_ids` are deleted; so is a meeting no calendar shows any more (see `remove`).
        """
        statement = self._select_columns(MeetingCopy, MeetingCopy.meeting_id).where(
            MeetingCopy.person_id == person_id,
            MeetingCopy.start >= window_start,
            MeetingCopy.start < window_end,
        )
        seen = set(seen_ids)
        unseen = [m for m in (await self.session.scalars(statement)).all() if m not in seen]
        if not unseen:
            return PruneResult()
        return await self._drop_copies(person_id, unseen)

    async def purge_before(self, cutoff: datetime) -> int:
        """Delete meetings that ended before `cutoff` (copies, participations, nudges go too)."""
        result = await self.session.execute(
            self._delete(MeetingRecord).where(MeetingRecord.end < cutoff)
        )
        return rowcount(result)
