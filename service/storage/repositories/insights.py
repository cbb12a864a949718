"""Read-only questions about a tenant's meetings: when two people last met, counts by label."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.orm import aliased

from service.domain.model import normalise_email
from service.storage.models import MeetingRecord, Participation
from service.storage.repositories.base import Scoped


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
        """The start of the last meeting before `before` that both addresses attended."""
        person_email, contact_email = normalise_email(person), normalise_email(contact)
        if person_email is None or contact_email is None:
            return None
        other = aliased(Participation)
        statement = (
            self._select_columns(MeetingRecord, func.max(MeetingRecord.start))
            .join(Participation, Participation.meeting_id == MeetingRecord.id)
            .join(other, other.meeting_id == MeetingRecord.id)
            .where(
                Participation.email == person_email,
                other.email == contact_email,
                Participation.response != "declined",
                other.response != "declined",
                MeetingRecord.start < before,
                MeetingRecord.status != "cancelled",
                MeetingRecord.is_meeting,
            )
        )
        found: datetime | None = await self.session.scalar(statement)
        return found

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
