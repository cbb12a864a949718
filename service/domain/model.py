"""The provider-agnostic meeting: what every connector yields and everything else reads.

Frozen, slotted dataclasses: they validate themselves (tz-aware UTC times, end >= start)
and are cheap to build by the hundred thousand.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


class AttendeeKind(enum.StrEnum):
    """What an attendee is: only persons count as humans."""

    PERSON = "person"
    ROOM = "room"
    RESOURCE = "resource"
    GROUP = "group"
    UNKNOWN = "unknown"


class Response(enum.StrEnum):
    """An attendee's answer to the invitation."""

    ACCEPTED = "accepted"
    TENTATIVE = "tentative"
    DECLINED = "declined"
    NEEDS_ACTION = "needs_action"
    UNKNOWN = "unknown"


class EventStatus(enum.StrEnum):
    """The event's own status (iCalendar STATUS, Google status, Graph isCancelled)."""

    CONFIRMED = "confirmed"
    TENTATIVE = "tentative"
    CANCELLED = "cancelled"


class EventType(enum.StrEnum):
    """Special event types that are not meetings even with attendees."""

    DEFAULT = "default"
    OUT_OF_OFFICE = "out_of_office"
    FOCUS_TIME = "focus_time"
    WORKING_LOCATION = "working_location"


class EntryPointKind(enum.StrEnum):
    """Kinds of conference entry point (Google conferenceData.entryPoints[].entryPointType)."""

    VIDEO = "video"
    PHONE = "phone"
    SIP = "sip"
    MORE = "more"


class Sensitivity(enum.StrEnum):
    """How private the calendar marks a meeting: iCalendar CLASS, Google visibility, Graph
    sensitivity. Anything but NORMAL is a private meeting (see `Meeting.private`)."""

    NORMAL = "normal"
    PERSONAL = "personal"
    PRIVATE = "private"
    CONFIDENTIAL = "confidential"


# The only title a private meeting carries: its real title never leaves the connector.
PRIVATE_TITLE = "Private meeting"


class Modality(enum.StrEnum):
    """How people meet."""

    VIDEO = "video"
    AUDIO = "audio"
    IN_PERSON = "in_person"
    UNKNOWN = "unknown"


_NORMAL = Sensitivity.NORMAL


def _require_utc(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() != timedelta(0):
        raise ValueError(f"{name} must be a tz-aware UTC datetime, got {value!r}")


# The longest address kept (and the column size); RFC 5321 allows 254 characters in a path.
MAX_EMAIL = 320


def email_key(address: str) -> str:
    """The form addresses are compared in: stripped and lower-case."""
    return address.strip().lower()


def normalise_email(address: str | None) -> str | None:
    """An address as every layer keeps it, or None when there is none or it cannot be one.

    Stripped and lower-case, without a `mailto:` prefix; NUL characters dropped and lone
    surrogates replaced (feeds carry both, and a database refuses them); None when empty or
    longer than `MAX_EMAIL` characters. Normalising a normalised address changes nothing.
    """
    if not address:
        return None
    text = (address.replace("\x00", "") if "\x00" in address else address).strip().lower()
    while text.startswith("mailto:"):
        text = text[7:].strip()
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "replace").decode("utf-8")
    return text if 0 < len(text) <= MAX_EMAIL else None


@dataclass(frozen=True, slots=True)
class Attendee:
    """One invited party: a person, a room or resource, or a group/list."""

    email: str | None
    name: str | None = None
    kind: AttendeeKind = AttendeeKind.PERSON
    response: Response = Response.UNKNOWN
    optional: bool = False
    organizer: bool = False
    is_owner: bool = False


@dataclass(frozen=True, slots=True)
class EntryPoint:
    """A structured way to join: a video URL, a phone number with its PIN, a SIP address."""

    kind: EntryPointKind
    uri: str
    label: str | None = None
    pin: str | None = None


@dataclass(frozen=True, slots=True)
class Conference:
    """Structured conference data attached by the provider (not guessed from text).

    `solution` is the provider's own key ("hangoutsMeet", "teamsForBusiness", "addOn", ...),
    kept as given; the classifier maps it to a provider key.
    """

    solution: str | None = None
    name: str | None = None
    entry_points: tuple[EntryPoint, ...] = ()


@dataclass(frozen=True, slots=True)
class Meeting:
    """One meeting instance as seen in one owner's calendar.

    Identity inside a tenant is (`uid`, `original_start`): the iCalendar UID and the original
    start of the instance (RECURRENCE-ID, or the start for a single event). `description` is
    read by the classifier and never stored. A private meeting (`sensitivity` other than
    NORMAL) keeps its times, busy/free and people, but its title is always `PRIVATE_TITLE`,
    whatever was passed in, so the real one is never stored, logged, rendered or sent.
    """

    uid: str
    start: datetime
    end: datetime
    owner: str
    title: str = ""
    original_start: datetime | None = None
    source_id: str | None = None
    organizer: str | None = None
    attendees: tuple[Attendee, ...] | None = None
    location: str | None = None
    description: str | None = None
    conference: Conference | None = None
    links: tuple[str, ...] = ()
    status: EventStatus = EventStatus.CONFIRMED
    event_type: EventType = EventType.DEFAULT
    transparent: bool = False
    all_day: bool = False
    series_id: str | None = None
    timezone: str | None = None
    online_provider_hint: str | None = None
    sensitivity: Sensitivity = Sensitivity.NORMAL

    def __post_init__(self) -> None:
        if not self.uid:
            raise ValueError("uid must not be empty")
        if self.sensitivity is not _NORMAL:
            if not isinstance(self.sensitivity, Sensitivity):
                raise ValueError(f"sensitivity must be a Sensitivity, got {self.sensitivity!r}")
            if self.title != PRIVATE_TITLE:
                object.__setattr__(self, "title", PRIVATE_TITLE)
        _require_utc("start", self.start)
        _require_utc("end", self.end)
        if self.end < self.start:
            raise ValueError(f"end {self.end.isoformat()} is before start {self.start.isoformat()}")
        if self.original_start is None:
            object.__setattr__(self, "original_start", self.start)
        else:
            _require_utc("original_start", self.original_start)

    @property
    def instance_start(self) -> datetime:
        """The original start of this instance: half of the meeting's identity."""
        assert self.original_start is not None  # set in __post_init__
        return self.original_start

    @property
    def private(self) -> bool:
        """True when the calendar marks the meeting private, personal or confidential."""
        return self.sensitivity is not _NORMAL

    @property
    def recurring(self) -> bool:
        """True when the meeting is an instance of a series."""
        return self.series_id is not None

    @property
    def duration(self) -> timedelta:
        """How long the meeting lasts."""
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Classification:
    """What a meeting is, with the signals that decided it in plain words."""

    modality: Modality
    provider: str | None = None
    hybrid: bool = False
    one_on_one: bool | None = None
    is_meeting: bool = True
    join_url: str | None = None
    reasons: tuple[str, ...] = field(default=())


def utc(value: datetime) -> datetime:
    """Convert a tz-aware datetime to UTC; refuse a naive one."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: a time zone is required")
    return value.astimezone(UTC)
