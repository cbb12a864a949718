"""The tables: every row carries `tenant_id`; meetings keep derived fields only (no bodies)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from service.storage.types import BigId, JsonValue, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

NUDGE_STATES = ("planned", "sending", "sent", "cancelled", "failed")
CONNECTION_STATUSES = ("pending", "ok", "error", "auth_revoked", "needs_attention")
FEEDBACK_VERDICTS = ("helpful", "not_for_me", "not_for_this_meeting")
PROVIDERS = ("ics", "google", "microsoft")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({listed})"


class Base(DeclarativeBase):
    """Declarative base with the constraint naming convention Alembic relies on."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _owned_by(table: str) -> Mapped[int]:
    """A required reference to `table`'s row; the row goes when that one does."""
    return mapped_column(BigId, ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=False)


def _tenant_fk() -> Mapped[int]:
    return _owned_by("tenants")


def _created() -> Mapped[datetime]:
    return mapped_column(UTCDateTime, nullable=False)


class Tenant(Base):
    """An organisation."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    internal_domains: Mapped[list[str]] = mapped_column(JsonValue, nullable=False)
    created_at: Mapped[datetime] = _created()


class Person(Base):
    """A person of a tenant, with their own preferences."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    name: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    team: Mapped[str | None] = mapped_column(String(100))
    opted_out: Mapped[bool] = mapped_column(Boolean, nullable=False)
    opted_out_kinds: Mapped[list[str]] = mapped_column(JsonValue, nullable=False)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    muted_contacts: Mapped[list[str]] = mapped_column(JsonValue, nullable=False)
    unsubscribe_token: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = _created()
    # Directory facts (a people import or a provider's directory).
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    aliases: Mapped[list[str]] = mapped_column(JsonValue, nullable=False, server_default="[]")
    manager_email: Mapped[str | None] = mapped_column(String(320))
    groups: Mapped[list[str]] = mapped_column(JsonValue, nullable=False, server_default="[]")
    # Working hours as the provider's directory says (Graph mailboxSettings), in the person's
    # zone: {"start", "end", "days"}. Kept apart from `working_hours` so a directory round
    # never overrides the person's own choice; the planner uses theirs first.
    directory_working_hours: Mapped[dict[str, Any] | None] = mapped_column(JsonValue)
    # The person's own choices; None means "as the policy says".
    working_hours: Mapped[dict[str, Any] | None] = mapped_column(JsonValue)
    delivery_mode: Mapped[str | None] = mapped_column(String(16))
    # kind -> ISO 8601 UTC time until which "not for me" feedback pauses that kind.
    paused_kinds: Mapped[dict[str, str]] = mapped_column(
        JsonValue, nullable=False, server_default="{}"
    )
    muted_series: Mapped[list[str]] = mapped_column(JsonValue, nullable=False, server_default="[]")


class CalendarConnection(Base):
    """One calendar of one person at one provider, with its sync cursor and health."""

    __tablename__ = "calendar_connections"
    __table_args__ = (
        UniqueConstraint("tenant_id", "person_id", "provider", "source"),
        CheckConstraint(_one_of("provider", PROVIDERS), name="provider"),
        CheckConstraint(_one_of("status", CONNECTION_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    person_id: Mapped[int] = _owned_by("people")
    provider: Mapped[str] = mapped_column(String(16), nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    cursor: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    credentials_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The last slow re-probe of a refused connection (auth_revoked / needs_attention).
    probed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Feedback(Base):
    """What a person said about one nudge: helpful, not for me, not for this meeting."""

    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint(_one_of("verdict", FEEDBACK_VERDICTS), name="verdict"),
        Index(None, "tenant_id", "person_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    person_id: Mapped[int] = _owned_by("people")
    nudge_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("nudges.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    verdict: Mapped[str] = mapped_column(String(24), nullable=False)
    series_id: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class _MeetingView:
    """The fields of one view of a meeting: a calendar's copy, or the shared row."""

    start: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    end: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    organizer_email: Mapped[str | None] = mapped_column(String(320))
    series_id: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    event_type: Mapped[str] = mapped_column(String(32), nullable=False)
    all_day: Mapped[bool] = mapped_column(Boolean, nullable=False)
    transparent: Mapped[bool] = mapped_column(Boolean, nullable=False)
    modality: Mapped[str] = mapped_column(String(16), nullable=False)
    provider: Mapped[str | None] = mapped_column(String(64))
    hybrid: Mapped[bool] = mapped_column(Boolean, nullable=False)
    one_on_one: Mapped[bool | None] = mapped_column(Boolean)
    is_meeting: Mapped[bool] = mapped_column(Boolean, nullable=False)
    reasons: Mapped[list[str]] = mapped_column(JsonValue, nullable=False)
    # None when the attendees are unknown (a feed without ATTENDEE lines).
    human_count: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class MeetingRecord(_MeetingView, Base):
    """One meeting instance of a tenant, however many calendars show it (derived fields only).

    The row is the meeting's identity (UID, original start) and the organiser's view of it
    (`from_organizer`), or the latest copy's while the organiser's calendar has not shown it.
    What each person sees is their own `MeetingCopy`; no one is nudged or reported on from this
    shared row.
    """

    __tablename__ = "meetings"
    __table_args__ = (
        UniqueConstraint("tenant_id", "ical_uid", "original_start"),
        Index(None, "tenant_id", "start"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    ical_uid: Mapped[str] = mapped_column(Text, nullable=False)
    original_start: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    from_organizer: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )

    participations: Mapped[list[Participation]] = relationship(
        back_populates="meeting", lazy="raise", passive_deletes=True
    )


class MeetingCopy(_MeetingView, Base):
    """A meeting as one person's own calendar shows it: what that person sees, and only them.

    One per (meeting, calendar owner). Only that person's syncs write it, so another person's
    feed can neither add them to a meeting nor rename, move or cancel it for them.
    `organizer_copy` marks the copy of the person the copy names as organiser;
    `attendees_known` is false for a bare feed (no ATTENDEE lines): readers then take the
    attendees from the organiser's copy.
    """

    __tablename__ = "meeting_copies"
    __table_args__ = (
        UniqueConstraint("meeting_id", "person_id"),
        Index(None, "tenant_id", "start"),
        Index(None, "person_id", "start"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    meeting_id: Mapped[int] = _owned_by("meetings")
    person_id: Mapped[int] = _owned_by("people")
    organizer_copy: Mapped[bool] = mapped_column(Boolean, nullable=False)
    attendees_known: Mapped[bool] = mapped_column(Boolean, nullable=False)


class Participation(Base):
    """One party of a meeting as one copy lists it: their answer, role, and whether it is theirs.

    `in_calendar` marks the copy owner's own row (their calendar shows the meeting).
    """

    __tablename__ = "participations"
    __table_args__ = (
        UniqueConstraint("copy_id", "email"),
        Index(None, "meeting_id"),
        Index(None, "person_id"),
        Index(None, "email"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    meeting_id: Mapped[int] = _owned_by("meetings")
    copy_id: Mapped[int] = _owned_by("meeting_copies")
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    person_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("people.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    response: Mapped[str] = mapped_column(String(16), nullable=False)
    organizer: Mapped[bool] = mapped_column(Boolean, nullable=False)
    optional: Mapped[bool] = mapped_column(Boolean, nullable=False)
    in_calendar: Mapped[bool] = mapped_column(Boolean, nullable=False)

    meeting: Mapped[MeetingRecord] = relationship(back_populates="participations", lazy="raise")


class Nudge(Base):
    """One nudge to one person about one meeting; the unique key stops double planning."""

    __tablename__ = "nudges"
    __table_args__ = (
        UniqueConstraint("tenant_id", "meeting_id", "person_id", "kind"),
        CheckConstraint(_one_of("state", NUDGE_STATES), name="state"),
        Index(None, "state", "due_at"),
        Index(None, "person_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    meeting_id: Mapped[int] = _owned_by("meetings")
    person_id: Mapped[int] = _owned_by("people")
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    variant: Mapped[int] = mapped_column(Integer, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    batch_key: Mapped[str | None] = mapped_column(String(200))
    message_id: Mapped[str | None] = mapped_column(String(320))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PolicyVersion(Base):
    """One saved version of a tenant's default policy (group_key NULL) or a group override."""

    __tablename__ = "policies"
    __table_args__ = (
        UniqueConstraint("tenant_id", "group_key", "version"),
        # NULLs are distinct in a unique constraint: the tenant default needs its own index.
        Index(
            "uq_policies_default_version",
            "tenant_id",
            "version",
            unique=True,
            postgresql_where=text("group_key IS NULL"),
            sqlite_where=text("group_key IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    group_key: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    body: Mapped[dict[str, Any]] = mapped_column(JsonValue, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = _created()


class AuditEntry(Base):
    """Who changed what, when, with the state before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "tenant_id", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    entity: Mapped[str] = mapped_column(String(64), nullable=False)
    entity_id: Mapped[str | None] = mapped_column(String(200))
    before: Mapped[Any | None] = mapped_column(JsonValue)
    after: Mapped[Any | None] = mapped_column(JsonValue)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class WeeklyReport(Base):
    """The weekly report of one person for one week: claimed once, then sent."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("tenant_id", "person_id", "week_start"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    person_id: Mapped[int] = _owned_by("people")
    week_start: Mapped[date] = mapped_column(Date, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    message_id: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = _created()


class GoogleInstall(Base):
    """A tenant's Google Workspace install: its stored secret (the service account key, the
    admin to impersonate for the directory, the customer and API URL), and its health."""

    __tablename__ = "google_installs"
    __table_args__ = (
        UniqueConstraint("tenant_id"),
        CheckConstraint(_one_of("status", CONNECTION_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    admin_email: Mapped[str] = mapped_column(String(320), nullable=False)
    credentials_encrypted: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    directory_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = _created()


class MicrosoftInstall(Base):
    """A tenant's Microsoft 365 install: its stored secret (directory tenant, client id, client
    secret or certificate, authority and Graph URLs), and its health."""

    __tablename__ = "microsoft_installs"
    __table_args__ = (
        UniqueConstraint("tenant_id"),
        CheckConstraint(_one_of("status", CONNECTION_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    directory_tenant: Mapped[str] = mapped_column(String(200), nullable=False)
    client_id: Mapped[str] = mapped_column(String(200), nullable=False)
    credentials_encrypted: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    directory_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = _created()


class PushChannel(Base):
    """A provider's push channel on one calendar connection (Google `events.watch`).

    The channel token is kept only as a SHA-256 hash (a notification's token is hashed and
    compared in constant time); `expires_at` is what the provider returned, renewed before.
    """

    __tablename__ = "push_channels"
    __table_args__ = (UniqueConstraint("channel_id"), Index(None, "tenant_id", "connection_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    connection_id: Mapped[int] = _owned_by("calendar_connections")
    channel_id: Mapped[str] = mapped_column(String(64), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    resource_id: Mapped[str] = mapped_column(String(200), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_at: Mapped[datetime] = _created()


class GoogleRequestDay(Base):
    """Google API requests made with one Cloud project's keys on one UTC day.

    The daily quota is the project's, so the count is shared by every process and every tenant
    whose key belongs to it (not tenant-scoped); rows of past days are kept as a record.
    """

    __tablename__ = "google_request_days"

    project: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    requests: Mapped[int] = mapped_column(BigId, nullable=False)
