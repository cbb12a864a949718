"""Read-only questions about a tenant's meetings: when two people last met, counts, who is in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, exists, func, or_
from sqlalchemy.orm import aliased

from service.domain.model import EventStatus, Response, normalise_email
from service.storage.models import (
    CalendarConnection,
    MeetingCopy,
    MeetingRecord,
    Nudge,
    Participation,
    Person,
    WeeklyReport,
)
from service.storage.repositories.base import Scoped

CANCELLED = EventStatus.CANCELLED.value
DECLINED = Response.DECLINED.value


@dataclass(frozen=True, slots=True)
class SharedMeeting:
    """A meeting two people both attended: when, whether a one-on-one, how many people."""

    start: datetime
    end: datetime
    one_on_one: bool | None
    human_count: int | None


@dataclass(frozen=True, slots=True)
class MeetingStats:
    """How many meetings the tenant has stored, by label."""

    meetings: int = 0
    by_modality: dict[str, int] = field(default_factory=dict)
    one_on_ones: int = 0
    not_meetings: int = 0


class InsightRepository(Scoped):
    """Aggregate reads over meetings and participations of one tenant."""

    async def last_met(self, person: str, contact: str, before: datetime) -> datetime | None:
        """The start of the last meeting before `before` that both attended, in `person`'s view.

        Only the person's own calendar counts: their copy (not declined by them, not cancelled,
        a real meeting) must list the contact, not as declined (a copy without attendees: the
        organiser's copy must). A contact with a calendar of their own counts only where their
        calendar shows the meeting too.
        """
        found = await self.met_together(person, contact, before, limit=1)
        return found[0].start if found else None

    async def met_together(
        self, person: str, contact: str, before: datetime, limit: int = 20
    ) -> list[SharedMeeting]:
        """The last `limit` meetings before `before` both attended, latest first, as `last_met`
        counts them (the person's own view)."""
        person_email, contact_email = normalise_email(person), normalise_email(contact)
        if person_email is None or contact_email is None:
            return []
        contact_id = await self.session.scalar(
            self._select_columns(Person, Person.id).where(Person.email == contact_email)
        )
        own, other, organizer = aliased(Participation), aliased(Participation), aliased(MeetingCopy)
        by_organizer = and_(
            ~MeetingCopy.attendees_known,
            exists().where(
                organizer.id == other.copy_id,
                organizer.meeting_id == MeetingCopy.meeting_id,
                organizer.organizer_copy,
            ),
        )
        listed = exists().where(
            other.meeting_id == MeetingCopy.meeting_id,
            other.email == contact_email,
            other.response != DECLINED,
            or_(other.copy_id == MeetingCopy.id, by_organizer),
        )
        statement = (
            self._select_columns(
                MeetingCopy, MeetingCopy.start, MeetingCopy.end, MeetingCopy.one_on_one,
                MeetingCopy.human_count,
            )
            .join(Person, Person.id == MeetingCopy.person_id)
            .join(own, and_(own.copy_id == MeetingCopy.id, own.in_calendar))
            .where(
                Person.email == person_email,
                own.response != DECLINED,
                MeetingCopy.start < before,
                MeetingCopy.status != CANCELLED,
                MeetingCopy.is_meeting,
                listed,
            )
            .order_by(MeetingCopy.start.desc())
            .limit(limit)
        )  # fmt: skip
        if contact_id is not None and contact_id in await self.connected_people():
            theirs = aliased(MeetingCopy)
            statement = statement.where(
                exists().where(
                    theirs.meeting_id == MeetingCopy.meeting_id, theirs.person_id == contact_id
                )
            )
        rows = await self.session.execute(statement)
        return [SharedMeeting(*values) for values in rows]

    async def connected_people(self) -> frozenset[int]:
        """The people with at least one calendar connected: only they are ever recipients."""
        statement = self._select_columns(
            CalendarConnection, CalendarConnection.person_id
        ).distinct()
        return frozenset((await self.session.scalars(statement)).all())

    async def emailed_people(self) -> frozenset[int]:
        """The people Rapport has sent (or is sending) an email: a nudge or a weekly report."""
        sent = ("sent", "sending")
        nudges = self._select_columns(Nudge, Nudge.person_id).where(Nudge.state.in_(sent))
        reports = self._select_columns(WeeklyReport, WeeklyReport.person_id).where(
            WeeklyReport.state.in_(sent)
        )
        found = set((await self.session.scalars(nudges.distinct())).all())
        found.update((await self.session.scalars(reports.distinct())).all())
        return frozenset(found)

    async def meeting_stats(self) -> MeetingStats:
        """Counts of live meetings by modality, one-on-ones and non-meetings (OOO, focus, …)."""
        live = MeetingRecord.status != "cancelled"
        rows = await self.session.execute(
            self._select_columns(
                MeetingRecord, MeetingRecord.modality, MeetingRecord.is_meeting,
                MeetingRecord.one_on_one, func.count(MeetingRecord.id),
            )
            .where(live)
            .group_by(MeetingRecord.modality, MeetingRecord.is_meeting, MeetingRecord.one_on_one)
        )  # fmt: skip
        by_modality: dict[str, int] = {}
        total = one_on_ones = not_meetings = 0
        for modality, is_meeting, one_on_one, count in rows:
            total += count
            if not is_meeting:
                not_meetings += count
                continue
            by_modality[modality] = by_modality.get(modality, 0) + count
            one_on_ones += count if one_on_one else 0
        return MeetingStats(total, by_modality, one_on_ones, not_meetings)
