"""Nudge policy: every number a setting, validated, with errors that name the field.

A tenant has a default policy; a group may override parts of it. `merge_policy` deep-merges the
override onto the default and validates the result; `validate_policy` validates one mapping.
Both raise `PolicyError`, whose `.errors` lists `{"field": "working_hours.start", "message": ...}`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from service.domain.classify import ProviderPattern
from service.domain.topics import SENSITIVE_TOPICS, matched_topic
from service.domain.vocabulary import NudgeKind

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


DEFAULT_SERIES_CAP_DAYS: Mapping[NudgeKind, int] = {
    NudgeKind.CAMERA_ON: 7,
    NudgeKind.SWITCH_TO_VIDEO: 7,
    NudgeKind.SOCIAL_MINUTE: 28,
    NudgeKind.ONE_ON_ONE: 7,
}

# Kinds that reach a series only once: the organiser hears about an audio-only series once.
DEFAULT_MAX_UNANSWERED: Mapping[NudgeKind, int] = {NudgeKind.SWITCH_TO_VIDEO: 1}


def parse_hhmm(value: str) -> time:
    """Parse "HH:MM" (00:00..23:59) into a `time`; raise ValueError naming the bad value."""
    match = _HHMM.match(value)
    if match is None:
        raise ValueError(f'must be a time as "HH:MM" (00:00 to 23:59), got {value!r}')
    return time(int(match.group(1)), int(match.group(2)))


def _check_hhmm(value: str) -> str:
    parse_hhmm(value)
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkingHours(_Strict):
    """When a person may receive nudges: local times and ISO weekdays (1 = Monday)."""

    start: str = "08:00"
    end: str = "18:00"
    days: tuple[int, ...] = (1, 2, 3, 4, 5)

    _hhmm = field_validator("start", "end")(_check_hhmm)

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, value: str, info: Any) -> str:
        start = info.data.get("start")
        if start is not None and parse_hhmm(value) <= parse_hhmm(start):
            raise ValueError(f"must be after start ({start}), got {value}")
        return value

    @field_validator("days")
    @classmethod
    def _valid_days(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value:
            raise ValueError("must list at least one ISO weekday (1 = Monday .. 7 = Sunday)")
        bad = [day for day in value if not 1 <= day <= 7]
        if bad:
            raise ValueError(f"ISO weekdays are 1 (Monday) to 7 (Sunday), got {bad}")
        if len(set(value)) != len(value):
            raise ValueError(f"must not repeat a day, got {list(value)}")
        return tuple(sorted(value))

    @property
    def start_time(self) -> time:
        """The start as a `time`."""
        return parse_hhmm(self.start)

    @property
    def end_time(self) -> time:
        """The end as a `time`."""
        return parse_hhmm(self.end)

    def contains(self, local: time, iso_weekday: int) -> bool:
        """True when a local time on a weekday is inside working hours (end excluded)."""
        return iso_weekday in self.days and self.start_time <= local < self.end_time


class QuietHours(_Strict):
    """Local hours with no nudges at all; may wrap midnight (start "20:00", end "07:00")."""

    enabled: bool = True
    start: str = "20:00"
    end: str = "07:00"

    _hhmm = field_validator("start", "end")(_check_hhmm)

    @field_validator("end")
    @classmethod
    def _end_differs(cls, value: str, info: Any) -> str:
        if info.data.get("start") == value:
            raise ValueError(
                "must differ from start (set enabled to false to turn quiet hours off)"
            )
        return value

    def contains(self, local: time) -> bool:
        """True when a local time is inside quiet hours (start included, end excluded)."""
        if not self.enabled:
            return False
        start, end = parse_hhmm(self.start), parse_hhmm(self.end)
        if start < end:
            return start <= local < end
        return local >= start or local < end


class KindPolicy(_Strict):
    """Settings of one nudge kind.

    Per series (a one-off meeting is a series of one), the first nudge comes at the first
    occurrence; each next one waits `backoff_weeks[i]` weeks after the i-th (the last gap
    repeats) and at least `series_cap_days`; after `max_unanswered` nudges nobody acted on
    ("helpful") the series gets no more (0: never stop). `daily_cap`: per person per local day.
    """

    enabled: bool = True
    series_cap_days: int = Field(7, ge=0, le=365)
    backoff_weeks: tuple[int, ...] = Field((2, 4, 8), min_length=1, max_length=12)
    max_unanswered: int = Field(3, ge=0, le=100)
    daily_cap: int = Field(1, ge=0, le=20)

    @field_validator("backoff_weeks")
    @classmethod
    def _weeks_in_range(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 0 <= weeks <= 52 for weeks in value):
            raise ValueError(f"each gap is 0 to 52 weeks, got {list(value)}")
        return value

    def gap_days(self, sent: int) -> int:
        """Days a series waits after its `sent`-th unanswered nudge (`sent` >= 1)."""
        weeks = self.backoff_weeks[min(sent, len(self.backoff_weeks)) - 1]
        return max(self.series_cap_days, 7 * weeks)


class SocialMinutePolicy(_Strict):
    """How many humans a recurring meeting needs for a social-minute nudge."""

    min_people: int = Field(3, ge=2, le=500)
    max_people: int = Field(15, ge=2, le=500)

    @field_validator("max_people")
    @classmethod
    def _max_not_below_min(cls, value: int, info: Any) -> int:
        low = info.data.get("min_people")
        if low is not None and value < low:
            raise ValueError(f"must be at least min_people ({low}), got {value}")
        return value


class Exclusions(_Strict):
    """Meetings that get no nudges at all (for anyone in them).

    `private_meetings`: a meeting the calendar marks private, personal or confidential.
    Sensitive topics are matched in the title only, as whole words in any case: the built-in
    English list `SENSITIVE_TOPICS` (unless `builtin_topics` is false) plus the tenant's own
    `keywords`, in any language.
    """

    external_attendees: bool = True
    private_meetings: bool = True
    builtin_topics: bool = True
    keywords: tuple[str, ...] = Field((), max_length=500)
    max_people: int = Field(25, ge=2, le=10_000)

    @field_validator("keywords")
    @classmethod
    def _clean_keywords(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(" ".join(word.split()) for word in value)
        if any(not word for word in cleaned):
            raise ValueError("keywords must not be empty or blank")
        if any(len(word) > 100 for word in cleaned):
            raise ValueError("each keyword is at most 100 characters")
        return cleaned

    def sensitive_words(self) -> tuple[str, ...]:
        """Every word that marks a sensitive topic: the built-in list, then the tenant's."""
        builtin = SENSITIVE_TOPICS if self.builtin_topics else ()
        return tuple(dict.fromkeys((*builtin, *self.keywords)))

    def matched_keyword(self, title: str) -> str | None:
        """The first sensitive word found in a title (whole words, any case), or None."""
        return matched_topic(self.sensitive_words(), title)


class WeightBand(_Strict):
    """Meetings with up to `max_people` humans (and more than the band before) weigh `weight`."""

    max_people: int = Field(ge=2, le=10_000)
    weight: float = Field(ge=0.0, le=1.0)


DEFAULT_WEIGHTS: tuple[WeightBand, ...] = (
    WeightBand(max_people=2, weight=1.0),
    WeightBand(max_people=4, weight=0.6),
    WeightBand(max_people=8, weight=0.3),
    WeightBand(max_people=15, weight=0.1),
)


class RelationshipPolicy(_Strict):
    """How lapsed working relationships are found; meetings larger than the last band weigh 0."""

    lookback_days: int = Field(90, ge=1, le=3650)
    min_meetings: int = Field(3, ge=2, le=1000)
    min_lapse_days: int = Field(10, ge=1, le=3650)
    cadence_multiplier: float = Field(2.0, gt=0.0, le=100.0)
    include_external: bool = False
    top_n: int = Field(5, ge=1, le=100)
    weights: tuple[WeightBand, ...] = DEFAULT_WEIGHTS
    # A meeting of the two that either declined keeps the contact out of both reports this long.
    decline_quiet_days: int = Field(56, ge=0, le=3650)

    @field_validator("weights")
    @classmethod
    def _bands_increase(cls, value: tuple[WeightBand, ...]) -> tuple[WeightBand, ...]:
        sizes = [band.max_people for band in value]
        if sizes != sorted(set(sizes)):
            raise ValueError(f"max_people must strictly increase from band to band, got {sizes}")
        return value

    def weight_for(self, humans: int) -> float:
        """The weight of a meeting with this many humans (0.0 below 2 or beyond the last band)."""
        if humans < 2:
            return 0.0
        for band in self.weights:
            if humans <= band.max_people:
                return band.weight
        return 0.0


def _kind_defaults(kind: NudgeKind) -> dict[str, object]:
    defaults: dict[str, object] = {"series_cap_days": DEFAULT_SERIES_CAP_DAYS[kind]}
    if kind in DEFAULT_MAX_UNANSWERED:
        defaults["max_unanswered"] = DEFAULT_MAX_UNANSWERED[kind]
    return defaults


def _default_kinds() -> dict[NudgeKind, KindPolicy]:
    return {
        kind: KindPolicy.model_validate(_kind_defaults(kind)) for kind in DEFAULT_SERIES_CAP_DAYS
    }


class MeetingLink(_Strict):
    """A tenant's own online-meeting URL pattern (a self-hosted Jitsi, a vanity domain)."""

    host: str = Field(min_length=3, max_length=253)
    path_prefix: str = Field("", max_length=200)
    provider: str = Field("other", max_length=40)
    name: str | None = Field(None, max_length=80)

    @model_validator(mode="after")
    def _valid_pattern(self) -> MeetingLink:
        self.pattern()  # raises ValueError with a message naming what is wrong
        return self

    def pattern(self) -> ProviderPattern:
        """The classifier's form of this pattern."""
        return ProviderPattern(self.host, self.path_prefix, self.provider, self.name)


class Policy(_Strict):
    """A tenant's (or group's) nudge policy; defaults as in DESIGN.md."""

    lead_minutes: int = Field(10, ge=1, le=240)
    delivery_mode: Literal["per_meeting", "daily_briefing"] = "per_meeting"
    working_hours: WorkingHours = Field(default_factory=WorkingHours)
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    max_per_person_per_day: int = Field(3, ge=0, le=20)
    # At least this long between two nudge emails to one person (0: no limit).
    min_gap_minutes: int = Field(60, ge=0, le=720)
    kinds: dict[NudgeKind, KindPolicy] = Field(default_factory=_default_kinds)
    social_minute: SocialMinutePolicy = Field(default_factory=SocialMinutePolicy)
    exclusions: Exclusions = Field(default_factory=Exclusions)
    # Phrasings per kind and role; with the ideas that rotate, never the same body to one
    # person within `repeat_days`.
    variants: int = Field(8, ge=1, le=50)
    repeat_days: int = Field(30, ge=0, le=365)
    relationships: RelationshipPolicy = Field(default_factory=RelationshipPolicy)
    meeting_links: tuple[MeetingLink, ...] = Field((), max_length=200)
    # Who people ask about Rapport (a name, a team, an address): the welcome email says it.
    contact: str | None = Field(None, min_length=1, max_length=200)

    @field_validator("contact")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or any(ord(ch) < 0x20 for ch in value)):
            raise ValueError("must be one non-blank line of text")
        return value

    @field_validator("kinds", mode="before")
    @classmethod
    def _fill_kinds(cls, value: object) -> object:
        # A partial `kinds` mapping keeps each missing kind, and each missing setting, at its
        # own default (the series caps differ by kind).
        if not isinstance(value, Mapping):
            return value
        filled: dict[object, object] = {
            kind.value: _kind_defaults(kind) for kind in DEFAULT_SERIES_CAP_DAYS
        }
        for key, given in value.items():
            name = key.value if isinstance(key, NudgeKind) else key
            base = filled.get(name)
            if isinstance(base, dict) and isinstance(given, Mapping):
                filled[name] = {**base, **given}
            else:
                filled[name] = given
        return filled

    def kind(self, kind: NudgeKind) -> KindPolicy:
        """The settings of one kind."""
        return self.kinds[kind]

    def link_patterns(self) -> tuple[ProviderPattern, ...]:
        """The tenant's own meeting-link patterns, for the classifier."""
        return tuple(link.pattern() for link in self.meeting_links)


class PolicyError(ValueError):
    """A policy failed validation; `.errors` names each bad field with a message."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        self.errors = errors
        summary = "; ".join(f"{e['field'] or '(policy)'}: {e['message']}" for e in errors)
        super().__init__(f"invalid policy: {summary}")


def _field_path(loc: tuple[int | str, ...]) -> str:
    # pydantic marks a failing dict key with a trailing "[key]"; the key itself names the field.
    return ".".join(str(part) for part in loc if part != "[key]")


def _message(error: Mapping[str, Any]) -> str:
    if error.get("type") == "extra_forbidden":
        return "unknown setting"
    text = str(error.get("msg", "invalid value"))
    return text.removeprefix("Value error, ")


def _errors_of(exc: ValidationError) -> list[dict[str, str]]:
    return [{"field": _field_path(tuple(e["loc"])), "message": _message(e)} for e in exc.errors()]


def validate_policy(data: Mapping[str, object]) -> Policy:
    """Validate a policy mapping (missing settings take defaults); raise PolicyError."""
    if not isinstance(data, Mapping):
        raise PolicyError([{"field": "", "message": "a policy must be a mapping of settings"}])
    try:
        return Policy.model_validate(dict(data))
    except ValidationError as exc:
        raise PolicyError(_errors_of(exc)) from exc


def _deep_merge(base: Mapping[str, object], override: Mapping[str, object]) -> dict[str, object]:
    merged: dict[str, object] = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = _deep_merge(current, value)
        else:
            merged[key] = value
    return merged


def merge_policy(default: Mapping[str, object], override: Mapping[str, object] | None) -> Policy:
    """Deep-merge a group override onto the tenant default, then validate; raise PolicyError."""
    base = validate_policy(default)
    if override is None:
        return base
    if not isinstance(override, Mapping):
        raise PolicyError([{"field": "", "message": "an override must be a mapping of settings"}])
    # Merging keeps every key of the override, so the merged validation names its unknown keys;
    # the override is not validated alone because it may rely on the default (an end time
    # that is only after the default's start).
    return validate_policy(_deep_merge(default, override))
