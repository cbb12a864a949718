"""What an email says, as typed values: one nudge, a daily briefing, a weekly report.

Frozen dataclasses that validate themselves, so a template never meets a naive datetime,
an unknown time zone, an unknown kind or a link that is not http(s).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar
from urllib.parse import urlsplit

from service.domain.model import email_key
from service.domain.vocabulary import NudgeKind, Role
from service.domain.zones import known_zone

DEFAULT_DAILY_CAP = 3

E = TypeVar("E", bound=StrEnum)


def require_timezone(name: str, value: str) -> zoneinfo.ZoneInfo:
    """Return the IANA zone `value`; a clear ValueError naming the field when it is unknown."""
    found = known_zone(value)
    if found is None:
        raise ValueError(
            f"{name}: unknown time zone {value!r} (use an IANA name like Europe/London)"
        )
    return found


def require_http_url(name: str, value: str) -> None:
    """Refuse anything but an absolute http(s) URL without whitespace or control characters."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{name} must be an absolute http(s) URL, got {value!r}")
    if any(ch.isspace() or ord(ch) < 0x20 or ch in "<>\"'" or ord(ch) == 0x7F for ch in value):
        raise ValueError(f"{name} must not contain whitespace, quotes, <, > or control characters")
    if not value.isascii():
        raise ValueError(f"{name} must be ASCII (percent-encode it), got {value!r}")


def _require_member(name: str, enum: type[E], value: str) -> E:
    # A member, or the string a row stores for it; anything else is named in the error.
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}") from None


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a tz-aware datetime, got {value!r}")


def _require_address(name: str, value: str) -> None:
    if "@" not in value or any(ch.isspace() or ord(ch) < 0x20 for ch in value):
        raise ValueError(f"{name} must be an email address, got {value!r}")


def _require_non_negative(name: str, value: float) -> None:
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value!r}")


def _require_delivery(
    timezone: str, recipient_email: str, preferences: str, unsubscribe: str
) -> None:
    # The fields every email shares, checked in this order so the first error stays the same.
    require_timezone("timezone", timezone)
    _require_address("recipient_email", recipient_email)
    require_http_url("preferences_url", preferences)
    require_http_url("unsubscribe_url", unsubscribe)


def _require_optional_urls(**urls: str | None) -> None:
    for name, value in urls.items():
        if value is not None:
            require_http_url(name, value)


def _require_notice(value: str | None) -> None:
    if value is not None and (not value.strip() or any(ord(ch) < 0x20 for ch in value)):
        raise ValueError("pause_notice must be one non-empty line of text")


@dataclass(frozen=True, slots=True, kw_only=True)
class Welcome:
    """What a person's first email from Rapport tells them: who turned it on, who to ask."""

    organisation: str
    contact: str | None = None

    def __post_init__(self) -> None:
        for name, value in (("organisation", self.organisation), ("contact", self.contact)):
            if value is not None and (not value.strip() or any(ord(ch) < 0x20 for ch in value)):
                raise ValueError(f"welcome {name} must be one non-empty line of text")


@dataclass(frozen=True, slots=True, kw_only=True)
class NudgeEmail:
    """One nudge for one person about one meeting (and why it was sent).

    `private`: the calendar marks the meeting private, so its title is never shown (it is "a
    private meeting"). `last_met` is the start of the two people's last one-on-one, or, with
    `last_met_one_on_one` false, of their last longer meeting with few people. `due_at` is
    when the note is meant to arrive (so "tomorrow" reads right). `welcome`: this is the
    person's first email from Rapport.
    """

    nudge_id: int
    revision: int
    kind: NudgeKind
    variant: int
    role: Role
    recipient_email: str
    recipient_name: str | None
    meeting_title: str
    meeting_start: datetime
    timezone: str
    modality: str
    provider: str | None = None
    human_count: int = 0
    contact_name: str | None = None
    last_met: datetime | None = None
    last_met_one_on_one: bool = True
    private: bool = False
    due_at: datetime | None = None
    reason: str
    preferences_url: str
    unsubscribe_url: str
    daily_cap: int = DEFAULT_DAILY_CAP
    # "Was this useful?": signed per-nudge links; None leaves the line out.
    helpful_url: str | None = None
    not_for_me_url: str | None = None
    not_for_this_meeting_url: str | None = None
    snooze_url: str | None = None
    # The footer line saying which kinds "not for me" answers paused, while they are paused.
    pause_notice: str | None = None
    welcome: Welcome | None = None

    def __post_init__(self) -> None:
        # A stored row's strings become members here, so templates and callers see one type.
        object.__setattr__(self, "kind", _require_member("kind", NudgeKind, self.kind))
        object.__setattr__(self, "role", _require_member("role", Role, self.role))
        _require_non_negative("variant", self.variant)
        _require_non_negative("human_count", self.human_count)
        _require_aware("meeting_start", self.meeting_start)
        if self.last_met is not None:
            _require_aware("last_met", self.last_met)
        if self.due_at is not None:
            _require_aware("due_at", self.due_at)
        _require_delivery(
            self.timezone, self.recipient_email, self.preferences_url, self.unsubscribe_url
        )
        if self.daily_cap < 1:
            raise ValueError(f"daily_cap must be at least 1, got {self.daily_cap}")
        _require_optional_urls(
            helpful_url=self.helpful_url,
            not_for_me_url=self.not_for_me_url,
            not_for_this_meeting_url=self.not_for_this_meeting_url,
            snooze_url=self.snooze_url,
        )
        _require_notice(self.pause_notice)


@dataclass(frozen=True, slots=True, kw_only=True)
class DailyBriefing:
    """One email that gathers the nudges of one day for one person."""

    briefing_id: int
    revision: int = 0
    recipient_email: str
    recipient_name: str | None
    timezone: str
    date: date
    items: tuple[NudgeEmail, ...]
    reason: str
    preferences_url: str
    unsubscribe_url: str
    daily_cap: int = DEFAULT_DAILY_CAP
    snooze_url: str | None = None
    pause_notice: str | None = None
    welcome: Welcome | None = None

    def __post_init__(self) -> None:
        _require_optional_urls(snooze_url=self.snooze_url)
        _require_notice(self.pause_notice)
        if not self.items:
            raise ValueError("items must hold at least one nudge")
        _require_delivery(
            self.timezone, self.recipient_email, self.preferences_url, self.unsubscribe_url
        )
        others = {email_key(i.recipient_email) for i in self.items} - {
            email_key(self.recipient_email)
        }
        if others:
            raise ValueError("items must all be addressed to the briefing's recipient")


@dataclass(frozen=True, slots=True, kw_only=True)
class LapsedContact:
    """A working relationship that has gone quiet, with links to schedule a catch-up."""

    contact_name: str | None
    contact_email: str
    last_met: date
    cadence_days: float
    days_since: int
    schedule_google_url: str
    schedule_outlook_url: str

    def __post_init__(self) -> None:
        _require_address("contact_email", self.contact_email)
        _require_non_negative("cadence_days", self.cadence_days)
        _require_non_negative("days_since", self.days_since)
        require_http_url("schedule_google_url", self.schedule_google_url)
        require_http_url("schedule_outlook_url", self.schedule_outlook_url)


@dataclass(frozen=True, slots=True, kw_only=True)
class WeekAtAGlance:
    """The person's own week (only theirs: nobody else's behaviour).

    `one_on_one_with` names the people they had a one-on-one with that week.
    """

    meetings_by_modality: Mapping[str, int] = field(default_factory=dict)
    one_on_ones: int = 0
    one_on_one_with: tuple[str, ...] = ()
    nudges_sent: int = 0
    nudges_acted: int | None = None  # None: not tracked, so not shown
    hours_in_meetings: float = 0.0

    def __post_init__(self) -> None:
        for key, count in self.meetings_by_modality.items():
            _require_non_negative(f"meetings_by_modality[{key!r}]", count)
        _require_non_negative("one_on_ones", self.one_on_ones)
        _require_non_negative("nudges_sent", self.nudges_sent)
        if self.nudges_acted is not None:
            _require_non_negative("nudges_acted", self.nudges_acted)
        _require_non_negative("hours_in_meetings", self.hours_in_meetings)
        # A read-only copy: the caller's dict may change after this value is built.
        object.__setattr__(
            self, "meetings_by_modality", MappingProxyType(dict(self.meetings_by_modality))
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class WeeklyReport:
    """Once a week: the person's week at a glance and the relationships that lapsed."""

    report_id: int
    revision: int = 0
    recipient_email: str
    recipient_name: str | None
    timezone: str
    week_start: date
    lapsed: tuple[LapsedContact, ...] = ()
    week: WeekAtAGlance
    preferences_url: str
    unsubscribe_url: str
    reason: str = (
        "your organisation turned on Rapport's weekly summary for you; it is built from your "
        "own calendar, for you alone"
    )
    snooze_url: str | None = None
    pause_notice: str | None = None
    welcome: Welcome | None = None

    def __post_init__(self) -> None:
        _require_optional_urls(snooze_url=self.snooze_url)
        _require_notice(self.pause_notice)
        _require_delivery(
            self.timezone, self.recipient_email, self.preferences_url, self.unsubscribe_url
        )
