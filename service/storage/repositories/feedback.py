"""Feedback on nudges: helpful, not for me, not for this meeting (one verdict per nudge)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func

from service.storage.models import FEEDBACK_VERDICTS, Feedback
from service.storage.repositories.base import Scoped, clean_optional


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    """One person's verdict on one nudge."""

    id: int
    person_id: int
    nudge_id: int | None
    kind: str
    verdict: str
    series_id: str | None
    at: datetime


def _row(item: Feedback) -> FeedbackRow:
    return FeedbackRow(
        id=item.id,
        person_id=item.person_id,
        nudge_id=item.nudge_id,
        kind=item.kind,
        verdict=item.verdict,
        series_id=item.series_id,
        at=item.at,
    )


@dataclass(frozen=True, slots=True)
class FeedbackIn:
    """A verdict to record: whose, on which nudge (and its kind and series), and when."""

    person_id: int
    nudge_id: int
    kind: str
    verdict: str
    at: datetime
    series_id: str | None = None


class FeedbackRepository(Scoped):
    """Feedback of one tenant."""

    async def record(self, given: FeedbackIn) -> tuple[FeedbackRow, bool]:
        """Record a verdict; a second verdict on the same nudge replaces the first.

        Returns the stored row and whether anything changed (the same verdict again is not a
        change, so a link followed twice counts once). `NotFound` for another tenant's person.
        """
        if given.verdict not in FEEDBACK_VERDICTS:
            raise ValueError(f"verdict must be one of {', '.join(FEEDBACK_VERDICTS)}")
        await self._require_person(given.person_id)
        existing = await self.session.scalar(
            self._select(Feedback).where(
                Feedback.person_id == given.person_id, Feedback.nudge_id == given.nudge_id
            )
        )
        if existing is not None and existing.verdict == given.verdict:
            return _row(existing), False
        if existing is None:
            existing = Feedback(**self._owned({"person_id": given.person_id}))
            existing.nudge_id = given.nudge_id
            self.session.add(existing)
        existing.kind = given.kind
        existing.verdict = given.verdict
        existing.series_id = clean_optional(given.series_id, 1000)
        existing.at = given.at
        await self.session.flush()
        return _row(existing), True

    async def count(self, person_id: int, kind: str, verdict: str, since: datetime) -> int:
        """How many nudges of `kind` the person gave `verdict` at or after `since`."""
        statement = self._select_columns(Feedback, func.count(Feedback.id)).where(
            Feedback.person_id == person_id,
            Feedback.kind == kind,
            Feedback.verdict == verdict,
            Feedback.at >= since,
        )
        return int(await self.session.scalar(statement) or 0)

    async def for_person(self, person_id: int) -> list[FeedbackRow]:
        """Every verdict of one person, oldest first (their data export)."""
        statement = (
            self._select(Feedback)
            .where(Feedback.person_id == person_id)
            .order_by(Feedback.at, Feedback.id)
        )
        return [_row(item) for item in await self.session.scalars(statement)]
