"""Lapsed working relationships: who someone used to meet regularly and has not met lately.

For each pair of people, from past meetings both attended (not cancelled, real meetings):
a meeting weighs by its number of humans (`RelationshipPolicy.weights`: a one-on-one 1.0,
large meetings nothing). A pair is a relationship when it met at least `min_meetings` times in
the look-back window; its cadence is the median gap in days between its distinct meeting days
(UTC dates; with one gap, that gap; all on one day: 0, so the threshold is `min_lapse_days`).
It has lapsed when the days since the last meeting exceed
`threshold = max(min_lapse_days, cadence_multiplier x cadence)` and no meeting of the pair is
already scheduled. Rank by `strength x overdue` (strength: the sum of weights in the window;
overdue: days since / threshold).

A "no" is respected: a meeting of the two that either of them declined (`add_decline`) keeps
the pair out of both people's lists for `decline_quiet_days` after that meeting's start.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import combinations, pairwise

from service.domain.model import email_key
from service.domain.policy import RelationshipPolicy

_DAY = timedelta(days=1)

Scheduled = Collection[frozenset[str]] | Callable[[frozenset[str]], bool]


@dataclass(frozen=True, slots=True)
class PastMeeting:
    """A past meeting: its start and the humans who attended (did not decline), by email.

    `external` lists which of `people` are from outside the tenant. `seen_by`, when set, is
    the person whose own calendar this is: only their pairs count (one calendar speaks only
    for its owner), still weighed by the meeting's size.
    """

    start: datetime
    people: tuple[str, ...]
    cancelled: bool = False
    is_meeting: bool = True
    external: frozenset[str] = frozenset()
    seen_by: str | None = None


@dataclass(frozen=True, slots=True)
class LapsedRelationship:
    """One lapsed relationship as `person` sees it, with the numbers that ranked it."""

    person: str
    contact: str
    last_met: datetime
    meetings: int
    strength: float
    cadence_days: float
    days_since: float
    threshold_days: float
    overdue: float
    score: float


class RelationshipTracker:
    """Collects past meetings one at a time (any order) and reports lapsed relationships.

    Each pair is stored once with one (start, weight) entry per meeting: memory grows with
    pairs x meetings per pair. `internal_people`, when given, says who is in the tenant
    (anyone else is external); otherwise people are internal unless a meeting lists them in
    `external`. Only internal people get lists; external contacts only with `include_external`.
    """

    def __init__(
        self, policy: RelationshipPolicy, internal_people: frozenset[str] | None = None
    ) -> None:
        self.policy = policy
        self._internal = (
            None if internal_people is None else frozenset(email_key(p) for p in internal_people)
        )
        self._external: set[str] = set()
        self._pairs: defaultdict[tuple[str, str], dict[datetime, float]] = defaultdict(dict)
        self._declined: dict[tuple[str, str], datetime] = {}

    def _is_external(self, person: str) -> bool:
        if self._internal is not None:
            return person not in self._internal
        return person in self._external

    def add(self, meeting: PastMeeting) -> bool:
        """Count one past meeting; False when it is ignored (cancelled, not a meeting, weight 0)."""
        if meeting.cancelled or not meeting.is_meeting:
            return False
        if meeting.start.tzinfo is None:
            raise ValueError(f"PastMeeting.start must be tz-aware, got {meeting.start!r}")
        people = sorted({email_key(p) for p in meeting.people if p.strip()})
        weight = self.policy.weight_for(len(people))
        if weight <= 0.0:
            return False
        flagged = {email_key(p) for p in meeting.external}
        self._external.update(flagged)
        outside = {p for p in people if p in flagged or self._is_external(p)}
        owner = None if meeting.seen_by is None else email_key(meeting.seen_by)
        for first, second in combinations(people, 2):
            if owner is not None and owner not in (first, second):
                continue
            external = (first in outside) + (second in outside)
            if external == 2 or (external == 1 and not self.policy.include_external):
                continue
            entries = self._pairs[(first, second)]
            # The same meeting fed twice (seen in two calendars) counts once.
            entries[meeting.start] = max(weight, entries.get(meeting.start, 0.0))
        return True

    def add_decline(self, first: str, second: str, start: datetime) -> None:
        """A meeting of these two, starting at `start`, that one of them declined."""
        if start.tzinfo is None:
            raise ValueError(f"start must be tz-aware, got {start!r}")
        a, b = sorted((email_key(first), email_key(second)))
        if a == b:
            return
        known = self._declined.get((a, b))
        self._declined[(a, b)] = start if known is None else max(known, start)

    def _quiet(self, pair: tuple[str, str], now: datetime) -> bool:
        """True while a decline between the two keeps them out of each other's lists."""
        declined = self._declined.get(pair)
        quiet = timedelta(days=self.policy.decline_quiet_days)
        return declined is not None and now < declined + quiet

    def prune(self, before: datetime) -> None:
        """Forget meetings that started before `before` (past any look-back window in use)."""
        for pair in list(self._pairs):
            kept = {start: w for start, w in self._pairs[pair].items() if start >= before}
            if kept:
                self._pairs[pair] = kept
            else:
                del self._pairs[pair]

    def _measure(
        self, pair: tuple[str, str], now: datetime
    ) -> tuple[datetime, int, float, float, float, float] | None:
        """(last met, meetings, strength, cadence, days since, threshold) of a relationship."""
        policy = self.policy
        since = now - timedelta(days=policy.lookback_days)
        window = sorted((s, w) for s, w in self._pairs[pair].items() if since <= s <= now)
        if len(window) < policy.min_meetings:
            return None
        days = sorted({start.astimezone(UTC).date() for start, _ in window})
        gaps = [(later - earlier).days for earlier, later in pairwise(days)]
        cadence = float(statistics.median(gaps)) if gaps else 0.0
        last = window[-1][0]
        strength = sum(weight for _, weight in window)
        threshold = max(float(policy.min_lapse_days), policy.cadence_multiplier * cadence)
        return last, len(window), strength, cadence, (now - last) / _DAY, threshold

    def _directions(self, pair: tuple[str, str], person: str | None) -> Iterable[tuple[str, str]]:
        for who, contact in (pair, pair[::-1]):
            if person is not None and who != person:
                continue
            if self._is_external(who):
                continue
            if self._is_external(contact) and not self.policy.include_external:
                continue
            yield who, contact

    def lapsed(
        self, now: datetime, scheduled_pairs: Scheduled = frozenset(), person: str | None = None
    ) -> list[LapsedRelationship]:
        """Lapsed relationships, top `top_n` per person by score, sorted by person then rank.

        `scheduled_pairs` holds pairs (frozensets of two emails) with a meeting already on the
        calendar, or is a function answering that for a pair; those are never lapsed.
        """
        if now.tzinfo is None:
            raise ValueError(f"now must be a tz-aware datetime, got {now!r}")
        is_scheduled = _scheduled_test(scheduled_pairs)
        wanted = None if person is None else email_key(person)
        found: defaultdict[str, list[LapsedRelationship]] = defaultdict(list)
        for pair in self._pairs:
            directions = list(self._directions(pair, wanted))
            if not directions or self._quiet(pair, now):
                continue
            measured = self._measure(pair, now)
            if measured is None:
                continue
            last, count, strength, cadence, days_since, threshold = measured
            if days_since <= threshold or is_scheduled(frozenset(pair)):
                continue
            overdue = days_since / threshold
            for who, contact in directions:
                found[who].append(
                    LapsedRelationship(
                        who, contact, last, count, strength, cadence, days_since, threshold,
                        overdue, strength * overdue,
                    )
                )  # fmt: skip
        result: list[LapsedRelationship] = []
        for who in sorted(found):
            ranked = sorted(found[who], key=lambda r: (-r.score, r.contact))
            result.extend(ranked[: self.policy.top_n])
        return result


def _scheduled_test(scheduled: Scheduled) -> Callable[[frozenset[str]], bool]:
    if callable(scheduled):
        return scheduled
    normalised = {frozenset(email_key(p) for p in pair) for pair in scheduled}
    return normalised.__contains__
