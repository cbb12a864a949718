"""The planner's inputs and outputs: plain frozen values, built by the pipeline from stored rows."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType

from service.domain.model import AttendeeKind, Classification, EventStatus, Response
from service.domain.policy import parse_hhmm
from service.domain.vocabulary import NudgeKind, Role

DELIVERY_MODES = ("per_meeting", "daily_briefing")

# A stored variant is `idea * VARIANT_STRIDE + line`: the line picks the phrasing (modulo the
# template's variants), the idea the rotating suggestion; IDEAS is how many ideas rotate.
VARIANT_STRIDE = 64
IDEAS = 8


def split_variant(variant: int) -> tuple[int, int]:
    """(line, idea) of a stored variant."""
    return variant % VARIANT_STRIDE, variant // VARIANT_STRIDE


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
    # A tenant person who opted out of Rapport: never the subject of anyone's nudge.
    opted_out: bool = False


@dataclass(frozen=True, slots=True)
class ScheduledMeeting:
    """An upcoming meeting as stored: times in UTC, its classification and its participants.

    `key` is the stored meeting id; `series_id` is set for instances of a recurring series.
    `private`: the calendar marks it private (its title is then never shown); `recurrence`
    says how often the series meets ("weekly"), when known.
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
    private: bool = False
    recurrence: str | None = None

    def __post_init__(self) -> None:
        _require_aware("start", self.start)
        _require_aware("end", self.end)
        if self.end < self.start:
            raise ValueError(f"meeting {self.key}: end is before start")

    @property
    def series_key(self) -> str:
        """The series a nudge counts against: the series id, or the UID of a one-off meeting."""
        return self.series_id or self.uid


@dataclass(frozen=True, slots=True)
class PersonalHours:
    """A person's own working hours (local "HH:MM"); `days` None keeps the policy's days."""

    start: str
    end: str
    days: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        try:
            start, end = parse_hhmm(self.start), parse_hhmm(self.end)
        except ValueError as exc:
            raise ValueError(f"working_hours: {exc}") from None
        if end <= start:
            raise ValueError(f"working_hours: end {self.end} must be after start {self.start}")
        if self.days is not None and (not self.days or any(not 1 <= day <= 7 for day in self.days)):
            raise ValueError(f"working_hours: days are ISO weekdays 1 to 7, got {self.days}")


@dataclass(frozen=True, slots=True)
class PersonPrefs:
    """A tenant person's own settings: time zone (IANA name), opt-outs, snooze and mutes.

    `working_hours` and `delivery_mode` None mean "as the policy says"; `paused_kinds` maps a
    kind to the moment its pause ends ("not for me" feedback); `muted_series` holds series ids
    (or, for a one-off meeting, its iCalendar UID) the person asked to hear no more about.
    """

    email: str
    timezone: str = "UTC"
    opted_out: bool = False
    opted_out_kinds: frozenset[str] = frozenset()
    snoozed_until: datetime | None = None
    muted_contacts: frozenset[str] = frozenset()
    paused_kinds: Mapping[str, datetime] = field(default_factory=dict)
    muted_series: frozenset[str] = frozenset()
    working_hours: PersonalHours | None = None
    delivery_mode: str | None = None

    def __post_init__(self) -> None:
        if self.snoozed_until is not None:
            _require_aware("snoozed_until", self.snoozed_until)
        for kind, until in self.paused_kinds.items():
            _require_aware(f"paused_kinds[{kind!r}]", until)
        if self.delivery_mode is not None and self.delivery_mode not in DELIVERY_MODES:
            raise ValueError(
                f"delivery_mode must be one of {', '.join(DELIVERY_MODES)} or None, "
                f"got {self.delivery_mode!r}"
            )
        # A read-only copy: the caller's dict may change after these preferences are built.
        object.__setattr__(self, "paused_kinds", MappingProxyType(dict(self.paused_kinds)))

    def paused_until(self, kind: str, now: datetime) -> datetime | None:
        """When the pause of `kind` ends, if it is paused at `now`; else None."""
        until = self.paused_kinds.get(kind)
        return until if until is not None and until > now else None


@dataclass(frozen=True, slots=True)
class SentNudge:
    """One nudge already sent (or being sent), as the caps, back-off and rotation count it.

    `series` is the meeting's series id (a one-off: its UID); `at` its due time; `acted` is
    true when the person answered "helpful" to it.
    """

    person: str
    meeting_key: int
    series: str
    kind: str
    variant: int
    at: datetime
    acted: bool = False

    def __post_init__(self) -> None:
        _require_aware("at", self.at)


@dataclass(frozen=True, slots=True)
class NudgeHistory:
    """What was already sent, so caps hold across runs.

    `sent_per_person_day` counts nudges sent per (person email, LOCAL date of its due time);
    `last_sent_by_series` is the last send per (person email, series id, kind value);
    `sent` lists (meeting key, person email, kind value) already sent: they are not planned
    again (and not counted twice). `recent` lists the sends of the look-back (the planner's
    back-off per series, the hourly gap, the per-kind daily cap and the phrasing rotation
    read it).
    """

    sent_per_person_day: Mapping[tuple[str, date], int] = field(default_factory=dict)
    last_sent_by_series: Mapping[tuple[str, str, str], datetime] = field(default_factory=dict)
    sent: frozenset[tuple[int, str, str]] = frozenset()
    recent: tuple[SentNudge, ...] = ()


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


class Held(enum.StrEnum):
    """Why a nudge was held back, grouped as a summary tells it."""

    OPTED_OUT = "opted out, paused or muted"
    PRIVATE = "private meeting"
    SENSITIVE = "sensitive topic"
    NOT_ACCEPTED = "not accepted or declined"
    SUBJECT = "the other person said no (or no name)"
    CAPS = "caps and back-off"
    HOURS = "outside hours, or too late"
    ALREADY = "already nudged"
    NOT_FOR_NUDGES = "not a fit (cancelled, too big, guests)"


@dataclass(frozen=True, slots=True)
class Suppressed:
    """A nudge the rules would send but did not, with the reason in plain words."""

    meeting_key: int
    person: str
    kind: NudgeKind
    reason: str
    category: Held = Held.NOT_FOR_NUDGES


@dataclass(frozen=True, slots=True)
class PlanResult:
    """The planner's answer: the nudges to send and the ones held back, in a stable order."""

    plans: tuple[NudgePlan, ...] = ()
    suppressed: tuple[Suppressed, ...] = ()
