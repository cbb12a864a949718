"""The planner's inputs and outputs: plain frozen values, built by the pipeline from stored rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from service.domain.model import AttendeeKind, Classification, EventStatus, Response
from service.domain.vocabulary import NudgeKind, Role


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a tz-aware datetime, got {value!r}")


@dataclass(frozen=True, slots=True)
class Participant:
    """One party of a scheduled meeting, with their answer and whether they are in the tenant."""

    email: str
    name: str | None = None
    kind: AttendeeKind = AttendeeKind.PERSON
    response: Response = Response.UNKNOWN
    organizer: bool = False
    optional: bool = False
    internal: bool = True


@dataclass(frozen=True, slots=True)
class ScheduledMeeting:
    """An upcoming meeting as stored: times in UTC, its classification and its participants.

    `key` is the stored meeting id; `series_id` is set for instances of a recurring series.
    """

    key: int
    uid: str
    series_id: str | None
    title: str
    start: datetime
    end: datetime
    status: EventStatus
    classification: Classification
    participants: tuple[Participant, ...]

    def __post_init__(self) -> None:
        _require_aware("start", self.start)
        _require_aware("end", self.end)
        if self.end < self.start:
            raise ValueError(f"meeting {self.key}: end is before start")


@dataclass(frozen=True, slots=True)
class PersonPrefs:
    """A tenant person's own settings: time zone (IANA name), opt-outs, snooze and mutes."""

    email: str
    timezone: str = "UTC"
    opted_out: bool = False
    opted_out_kinds: frozenset[str] = frozenset()
    snoozed_until: datetime | None = None
    muted_contacts: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.snoozed_until is not None:
            _require_aware("snoozed_until", self.snoozed_until)


@dataclass(frozen=True, slots=True)
class NudgeHistory:
    """What was already sent, so caps hold across runs.

    `sent_per_person_day` counts nudges sent per (person email, LOCAL date of its due time);
    `last_sent_by_series` is the last send per (person email, series id, kind value);
    `sent` lists (meeting key, person email, kind value) already sent: they are not planned
    again (and not counted twice).
    """

    sent_per_person_day: Mapping[tuple[str, date], int] = field(default_factory=dict)
    last_sent_by_series: Mapping[tuple[str, str, str], datetime] = field(default_factory=dict)
    sent: frozenset[tuple[int, str, str]] = frozenset()


@dataclass(frozen=True, slots=True)
class NudgePlan:
    """One nudge to send: to whom, about which meeting, when (UTC) and why."""

    meeting_key: int
    person: str
    kind: NudgeKind
    role: Role
    due_at: datetime
    variant: int
    reason: str
    batch_key: str | None = None


@dataclass(frozen=True, slots=True)
class Suppressed:
    """A nudge the rules would send but did not, with the reason in plain words."""

    meeting_key: int
    person: str
    kind: NudgeKind
    reason: str


@dataclass(frozen=True, slots=True)
class PlanResult:
    """The planner's answer: the nudges to send and the ones held back, in a stable order."""

    plans: tuple[NudgePlan, ...] = ()
    suppressed: tuple[Suppressed, ...] = ()
