"""How the sample's meetings are described before they become iCalendar events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scripts.samplegen.conferencing import Join
from service.sample.organisation import ANCHOR


@dataclass(frozen=True, slots=True)
class Invite:
    """One invitee: a person's key or a `PARTIES` key, with their answer and role."""

    who: str
    partstat: str = "ACCEPTED"
    role: str = "REQ-PARTICIPANT"


@dataclass(frozen=True, slots=True)
class Override:
    """A changed instance of a series (RECURRENCE-ID): moved, cancelled or answered differently."""

    day: int
    new_day: int | None = None
    new_time: str | None = None
    cancelled: bool = False
    partstats: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Spec:
    """One event (or series): days count from the anchor Monday, times are local to `tz`."""

    key: str
    title: str
    organizer: str
    tz: str
    day: int
    time: str
    minutes: int
    invites: tuple[Invite, ...] = ()
    join: Join | None = None
    location: str | None = None
    weekdays: tuple[str, ...] = ()
    until_day: int | None = None
    exdays: tuple[int, ...] = ()
    rdays: tuple[int, ...] = ()
    overrides: tuple[Override, ...] = ()
    transparent: bool = False
    all_day: int = 0
    busy_status: str | None = None
    status: str = "CONFIRMED"
    extra: tuple[tuple[str, str], ...] = field(default=())

    def at(self, day: int, hhmm: str | None = None) -> datetime:
        """The local start on a day offset (default: the series' own time)."""
        hours, minutes = (int(part) for part in (hhmm or self.time).split(":"))
        return datetime.combine(on_day(day), time(hours, minutes), tzinfo=ZoneInfo(self.tz))

    @property
    def start(self) -> datetime:
        """The first start."""
        return self.at(self.day)

    @property
    def duration(self) -> timedelta:
        """How long each instance lasts."""
        return timedelta(minutes=self.minutes)


def on_day(day: int) -> date:
    """The date `day` days after the anchor Monday."""
    return ANCHOR.date() + timedelta(days=day)


def people(*keys: str, partstat: str = "ACCEPTED") -> tuple[Invite, ...]:
    """Invites for several people with the same answer."""
    return tuple(Invite(key, partstat) for key in keys)
