"""One person's caps: what was sent (history) plus what this run keeps, and what that allows.

A `Ledger` holds the person's sends as `SentNudge`s (history's, then this run's kept plans at
their due time) and answers, for one more nudge, why it would break a cap or None:

- one nudge per meeting;
- the series back-off: the first nudge of a series comes at its first occurrence; after the
  i-th unanswered one the series waits `KindPolicy.gap_days(i)`; after `max_unanswered`
  unanswered ones it gets no more; and never two within `series_cap_days` (local days);
- the daily cap (all kinds, per local day) and the kind's own daily cap;
- `min_gap_minutes` between two emails (a daily briefing's items are one email).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from service.domain.nudges.rules import Candidate, Hold
from service.domain.nudges.timing import Slot
from service.domain.nudges.types import Held, NudgeHistory, SentNudge
from service.domain.policy import Policy


@dataclass(slots=True)
class Ledger:
    """One person's sends and per-day counts, history first, then this run's kept plans."""

    person: str
    tz: ZoneInfo
    policy: Policy
    history: NudgeHistory
    sends: list[SentNudge] = field(default_factory=list)
    meetings: set[int] = field(default_factory=set)
    per_day: Counter[date] = field(default_factory=Counter)

    @classmethod
    def of(cls, person: str, tz: ZoneInfo, policy: Policy, history: NudgeHistory) -> Ledger:
        """The ledger of `person` from the history (addresses already normalised)."""
        sends = [s for s in history.recent if s.person == person]
        ledger = cls(person, tz, policy, history, sorted(sends, key=lambda s: s.at))
        # A meeting this person was already nudged about is taken: re-planning after a send
        # must not hand its slot to a lower-priority kind.
        ledger.meetings = {key for key, who, _kind in history.sent if who == person}
        ledger.meetings.update(s.meeting_key for s in sends)
        return ledger

    def _day(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def hold(self, candidate: Candidate, slot: Slot) -> Hold | None:
        """Why one more nudge would break a cap, or None."""
        if candidate.meeting.key in self.meetings:
            return Hold("another nudge is planned for this meeting", Held.CAPS)
        return self._series(candidate, slot) or self._daily(candidate, slot) or self._gap(slot)

    def _series(self, candidate: Candidate, slot: Slot) -> Hold | None:
        meeting, kind = candidate.meeting, candidate.kind
        settings = self.policy.kind(kind)
        series = [
            s
            for s in self.sends
            if s.series == meeting.series_key and s.kind == kind.value and s.at <= slot.due_at
        ]
        days = [self._day(s.at) for s in series]
        if meeting.series_id is not None:
            last = self.history.last_sent_by_series.get((self.person, meeting.series_id, kind))
            if last is not None:
                days.append(self._day(last))
        cap = settings.series_cap_days
        if cap and any(abs((slot.local_date - day).days) < cap for day in days):
            return Hold(f"already nudged for this series in the last {cap} days", Held.CAPS)
        acted = [i for i, s in enumerate(series) if s.acted]
        unanswered = series[acted[-1] + 1 :] if acted else series
        if not unanswered:
            return None
        count = len(unanswered)
        if settings.max_unanswered and count >= settings.max_unanswered:
            return Hold(f"no answer to {count} nudges for this series: no more", Held.CAPS)
        wait = settings.gap_days(count)
        since = (slot.local_date - self._day(unanswered[-1].at)).days
        if since < wait:
            return Hold(f"backing off: {wait} days between nudges for this series", Held.CAPS)
        return None

    def _daily(self, candidate: Candidate, slot: Slot) -> Hold | None:
        day = slot.local_date
        sent = self.history.sent_per_person_day.get((self.person, day), 0) + self.per_day[day]
        if sent >= self.policy.max_per_person_per_day:
            return Hold("daily cap", Held.CAPS)
        kind = candidate.kind
        same = sum(1 for s in self.sends if s.kind == kind.value and self._day(s.at) == day)
        if same >= self.policy.kind(kind).daily_cap:
            return Hold(f"daily cap for {kind.value} nudges", Held.CAPS)
        return None

    def _gap(self, slot: Slot) -> Hold | None:
        gap = timedelta(minutes=self.policy.min_gap_minutes)
        if not gap or slot.batch_key is not None:
            return None
        if any(abs(s.at - slot.due_at) < gap for s in self.sends):
            minutes = self.policy.min_gap_minutes
            return Hold(f"another note within {minutes} minutes", Held.CAPS)
        return None

    def keep(self, candidate: Candidate, slot: Slot, variant: int) -> None:
        """Count a kept plan (a briefing's items count one each against the daily cap)."""
        meeting = candidate.meeting
        self.sends.append(
            SentNudge(
                self.person, meeting.key, meeting.series_key, candidate.kind.value, variant,
                slot.due_at,
            )
        )  # fmt: skip
        self.meetings.add(meeting.key)
        self.per_day[slot.local_date] += 1
