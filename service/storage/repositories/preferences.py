"""A person's own choices from their page, and what they were sent lately (and why)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select

from service.domain.model import normalise_email
from service.storage.models import MeetingRecord, Nudge, Person
from service.storage.repositories.base import Scoped, rowcount, utcnow
from service.storage.state import NudgeState

SENT = NudgeState.SENT.value
PLANNED = NudgeState.PLANNED.value
RECENT_LIMIT = 200


@dataclass(frozen=True, slots=True)
class SentNudge:
    """A nudge one person was sent, with its meeting's title, time and series."""

    nudge_id: int
    kind: str
    reason: str
    sent_at: datetime | None
    meeting_title: str
    meeting_start: datetime
    meeting_uid: str
    series_id: str | None


class PreferencesRepository(Scoped):
    """One tenant's people's own choices (each method changes one person, by id, in the tenant)."""

    async def _set(self, person_id: int, **values: Any) -> bool:
        statement = self._update(Person).where(Person.id == person_id).values(**values)
        return rowcount(await self.session.execute(statement)) > 0

    async def set_delivery(
        self,
        person_id: int,
        *,
        timezone: str,
        working_hours: Mapping[str, Any] | None,
        delivery_mode: str | None,
    ) -> bool:
        """Set a person's time zone, own working hours and delivery mode (None: the policy's)."""
        hours = None if working_hours is None else dict(working_hours)
        return await self._set(
            person_id, timezone=timezone, working_hours=hours, delivery_mode=delivery_mode
        )

    async def set_snooze(self, person_id: int, until: datetime | None) -> bool:
        """Snooze every nudge until `until` (None: not snoozed)."""
        return await self._set(person_id, snoozed_until=until)

    async def set_opted_out_kinds(self, person_id: int, kinds: Collection[str]) -> bool:
        """Replace the kinds the person opted out of."""
        return await self._set(person_id, opted_out_kinds=sorted(set(kinds)))

    async def set_muted_contacts(self, person_id: int, contacts: Collection[str]) -> bool:
        """Replace the person's muted contacts (addresses normalised, invalid ones dropped)."""
        muted = sorted({m for m in (normalise_email(c) for c in contacts) if m and "@" in m})
        return await self._set(person_id, muted_contacts=muted)

    async def set_muted_series(self, person_id: int, series: Collection[str]) -> bool:
        """Replace the series (or one-off meeting UIDs) the person muted."""
        return await self._set(person_id, muted_series=sorted(set(series)))

    async def set_paused_kinds(self, person_id: int, paused: Mapping[str, datetime]) -> bool:
        """Replace the kinds paused by feedback: kind -> end of the pause (stored ISO UTC)."""
        stored = {kind: until.isoformat() for kind, until in sorted(paused.items())}
        return await self._set(person_id, paused_kinds=stored)

    def _sent_nudges(self, person_id: int) -> Select[Any]:
        """This person's nudges joined to their meetings, as `SentNudge` columns."""
        return (
            self._select_columns(
                Nudge,
                Nudge.id,
                Nudge.kind,
                Nudge.reason,
                Nudge.sent_at,
                MeetingRecord.title,
                MeetingRecord.start,
                MeetingRecord.ical_uid,
                MeetingRecord.series_id,
            )
            .join(MeetingRecord, MeetingRecord.id == Nudge.meeting_id)
            .where(Nudge.person_id == person_id, MeetingRecord.tenant_id == self.tenant_id)
        )

    async def sent_since(self, person_id: int, since: datetime) -> list[SentNudge]:
        """Nudges sent to a person at or after `since`, newest first (at most RECENT_LIMIT)."""
        statement = (
            self._sent_nudges(person_id)
            .where(Nudge.state == SENT, Nudge.sent_at >= since)
            .order_by(Nudge.sent_at.desc(), Nudge.id.desc())
            .limit(RECENT_LIMIT)
        )
        return [SentNudge(*values) for values in await self.session.execute(statement)]

    async def nudge_of(self, person_id: int, nudge_id: int) -> SentNudge | None:
        """One nudge of this person (any state), with its meeting; None if not theirs."""
        statement = self._sent_nudges(person_id).where(Nudge.id == nudge_id)
        found = (await self.session.execute(statement)).first()
        return None if found is None else SentNudge(*found)

    async def cancel_planned(
        self, person_id: int, kinds: Sequence[str] | None = None, before: datetime | None = None
    ) -> int:
        """Cancel a person's planned nudges (of these kinds; due before `before`); the count."""
        statement = self._update(Nudge).where(Nudge.person_id == person_id, Nudge.state == PLANNED)
        if kinds is not None:
            statement = statement.where(Nudge.kind.in_(list(kinds)))
        if before is not None:
            statement = statement.where(Nudge.due_at < before)
        statement = statement.values(state=NudgeState.CANCELLED.value, updated_at=utcnow())
        return rowcount(await self.session.execute(statement))
