"""Weekly reports: claimed once per person and week, so a report is never sent twice."""

from __future__ import annotations

from datetime import date

from service.errors import Conflict
from service.storage.models import WeeklyReport
from service.storage.repositories.base import Scoped, rowcount, utcnow
from service.storage.rows import ReportRow


class ReportRepository(Scoped):
    """Weekly report records of one tenant."""

    async def claim(self, person_id: int, week_start: date) -> bool:
        """True for the one caller that may send this person's report for this week.

        A report that failed before can be claimed again; one being sent or sent cannot.
        """
        await self._require_person(person_id)
        insert = self._upsert(WeeklyReport).values(
            self._owned(
                {
                    "person_id": person_id,
                    "week_start": week_start,
                    "state": "sending",
                    "created_at": utcnow(),
                }
            )
        )
        statement = insert.on_conflict_do_update(
            index_elements=["tenant_id", "person_id", "week_start"],
            set_={"state": "sending"},
            where=WeeklyReport.state == "failed",
        )
        result = await self.session.execute(statement)
        return rowcount(result) == 1

    async def mark_sent(self, person_id: int, week_start: date, message_id: str) -> None:
        """sending -> sent."""
        await self._set(person_id, week_start, "sent", message_id)

    async def mark_failed(self, person_id: int, week_start: date) -> None:
        """sending -> failed (it may be claimed again)."""
        await self._set(person_id, week_start, "failed", None)

    async def _set(
        self, person_id: int, week_start: date, state: str, message_id: str | None
    ) -> None:
        statement = (
            self._update(WeeklyReport)
            .where(
                WeeklyReport.person_id == person_id,
                WeeklyReport.week_start == week_start,
                WeeklyReport.state == "sending",
            )
            .values(state=state, message_id=message_id)
        )
        result = await self.session.execute(statement)
        if rowcount(result) != 1:
            raise Conflict(
                f"no report being sent for person {person_id}, week of {week_start.isoformat()}"
            )

    async def get(self, person_id: int, week_start: date) -> ReportRow | None:
        """The report record of a person for a week, or None."""
        statement = self._select(WeeklyReport).where(
            WeeklyReport.person_id == person_id, WeeklyReport.week_start == week_start
        )
        report = await self.session.scalar(statement)
        if report is None:
            return None
        return ReportRow(
            id=report.id,
            person_id=report.person_id,
            week_start=report.week_start,
            state=report.state,
            message_id=report.message_id,
            created_at=report.created_at,
        )
