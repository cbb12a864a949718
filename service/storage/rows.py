"""Small typed rows the repositories return (never ORM objects, never dicts)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from service.domain.vocabulary import NudgeKind, Role


@dataclass(frozen=True, slots=True)
class TenantRow:
    """An organisation."""

    id: int
    slug: str
    name: str
    internal_domains: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PersonIn:
    """A person to create or update (directory import, sample organisation, admin API)."""

    email: str
    name: str | None = None
    timezone: str = "UTC"
    team: str | None = None
    opted_out: bool = False
    opted_out_kinds: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    manager_email: str | None = None
    groups: tuple[str, ...] = ()
    active: bool = True


@dataclass(frozen=True, slots=True)
class PersonRow:
    """A stored person with their preferences."""

    id: int
    email: str
    name: str | None
    timezone: str
    team: str | None
    opted_out: bool
    opted_out_kinds: tuple[str, ...]
    snoozed_until: datetime | None
    muted_contacts: tuple[str, ...]
    unsubscribe_token: str
    created_at: datetime
    active: bool = True
    aliases: tuple[str, ...] = ()
    manager_email: str | None = None
    groups: tuple[str, ...] = ()
    working_hours: Mapping[str, Any] | None = None
    delivery_mode: str | None = None
    paused_kinds: Mapping[str, str] = field(default_factory=dict)
    muted_series: tuple[str, ...] = ()
    # The provider directory's hours ({"start", "end", "days"}); the person's own win.
    directory_working_hours: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class CalendarRow:
    """A calendar connection and its sync state (credentials stay encrypted)."""

    id: int
    person_id: int
    provider: str
    source: str
    cursor: str | None
    status: str
    last_synced_at: datetime | None
    last_error: str | None
    credentials_encrypted: bytes | None = field(default=None, repr=False)
    probed_at: datetime | None = None  # the last re-probe of a refused connection


@dataclass(frozen=True, slots=True)
class ParticipationRow:
    """One party of a stored meeting; `in_calendar`: their own calendar shows the meeting."""

    email: str
    person_id: int | None
    kind: str
    response: str
    organizer: bool
    optional: bool
    in_calendar: bool


@dataclass(frozen=True, slots=True)
class MeetingRow:
    """A stored meeting (derived fields only) with its participations.

    With `seen_by` None: the shared row (the organiser's view). With `seen_by` a person id: the
    meeting as that person's own calendar shows it (their copy; the organiser's copy for what
    theirs lacks), `participations` as their copy lists them.
    """

    id: int
    ical_uid: str
    original_start: datetime
    start: datetime
    end: datetime
    title: str
    organizer_email: str | None
    series_id: str | None
    status: str
    event_type: str
    all_day: bool
    transparent: bool
    modality: str
    provider: str | None
    hybrid: bool
    one_on_one: bool | None
    is_meeting: bool
    reasons: tuple[str, ...]
    human_count: int | None
    updated_at: datetime
    participations: tuple[ParticipationRow, ...] = ()
    seen_by: int | None = None


@dataclass(frozen=True, slots=True)
class PruneResult:
    """What a removal or full-sync prune changed.

    `dropped`: meetings whose copy of this person went; `cancelled`: meetings no calendar shows
    any more, kept as cancelled because nudges were sent for them; `deleted`: such meetings
    without sent nudges, deleted (a feed that renames every UID cannot pile up rows).
    """

    dropped: tuple[int, ...] = ()
    cancelled: tuple[int, ...] = ()
    deleted: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class NudgeRow:
    """A stored nudge."""

    id: int
    meeting_id: int
    person_id: int
    kind: NudgeKind
    role: Role
    state: str
    due_at: datetime
    revision: int
    variant: int
    reason: str
    batch_key: str | None
    message_id: str | None
    error: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class PolicyRow:
    """One saved policy version."""

    id: int
    group_key: str | None
    version: int
    body: dict[str, Any]
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One audit log entry."""

    id: int
    actor: str
    action: str
    entity: str
    entity_id: str | None
    before: Any
    after: Any
    at: datetime


@dataclass(frozen=True, slots=True)
class ReportRow:
    """A weekly report's delivery record."""

    id: int
    person_id: int
    week_start: date
    state: str
    message_id: str | None
    created_at: datetime
