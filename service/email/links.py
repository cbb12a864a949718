"""One-click "schedule a catch-up" links: Google Calendar and Outlook on the web compose pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote, urlencode

from service.domain.policy import WorkingHours
from service.domain.zones import known_zone
from service.email.context import LapsedContact, require_timezone

GOOGLE_COMPOSE = "https://calendar.google.com/calendar/render"
OUTLOOK_COMPOSE = "https://outlook.office.com/calendar/0/deeplink/compose"


def _query(params: list[tuple[str, str]]) -> str:
    # %20 rather than "+" for spaces: Outlook deeplinks show a literal "+" otherwise.
    return urlencode(params, quote_via=quote, safe="")


def schedule_links(
    contact_email: str,
    contact_name: str | None,
    subject: str,
    duration_minutes: int = 30,
    *,
    start: datetime | None = None,
) -> tuple[str, str]:
    """Return (Google Calendar, Outlook web) links that open a new event with the contact."""
    if "@" not in contact_email or any(ch.isspace() for ch in contact_email):
        raise ValueError(f"contact_email must be an email address, got {contact_email!r}")
    if duration_minutes < 1:
        raise ValueError(f"duration_minutes must be at least 1, got {duration_minutes}")
    who = contact_name or contact_email
    details = f"A {duration_minutes}-minute catch-up with {who}."
    google: list[tuple[str, str]] = [
        ("action", "TEMPLATE"),
        ("text", subject),
        ("add", contact_email),
        ("details", details),
    ]
    outlook: list[tuple[str, str]] = [
        ("subject", subject),
        ("to", contact_email),
        ("body", details),
    ]
    if start is not None:
        if start.tzinfo is None:
            raise ValueError(f"start must be a tz-aware datetime, got {start!r}")
        begin = start.astimezone(UTC)
        end = begin + timedelta(minutes=duration_minutes)
        stamp = "%Y%m%dT%H%M%SZ"
        google.append(("dates", f"{begin.strftime(stamp)}/{end.strftime(stamp)}"))
        outlook += [("startdt", begin.isoformat()), ("enddt", end.isoformat())]
    return f"{GOOGLE_COMPOSE}?{_query(google)}", f"{OUTLOOK_COMPOSE}?{_query(outlook)}"


@dataclass(frozen=True, slots=True)
class Availability:
    """When one person works: their time zone (IANA name) and working hours."""

    timezone: str
    hours: WorkingHours

    def __post_init__(self) -> None:
        require_timezone("timezone", self.timezone)

    def free(self, start: datetime, end: datetime) -> bool:
        """True when [start, end) lies inside one of this person's working days and hours."""
        zone = known_zone(self.timezone) or UTC
        begin, finish = start.astimezone(zone), end.astimezone(zone)
        hours = self.hours
        return (
            begin.isoweekday() in hours.days
            and begin.date() == finish.date()
            and hours.start_time <= begin.time()
            and finish.time() <= hours.end_time
        )


SLOT = timedelta(minutes=30)
SEARCH_DAYS = 14


def catch_up_start(
    now: datetime, mine: Availability, theirs: Availability, duration_minutes: int = 30
) -> datetime | None:
    """The first half hour from tomorrow (in `mine`'s zone) inside both people's working hours.

    None when their hours do not overlap within the next two weeks (then the links propose no
    time and the person picks one).
    """
    zone = known_zone(mine.timezone) or UTC
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(0), zone).astimezone(UTC)
    length = timedelta(minutes=duration_minutes)
    for step in range(SEARCH_DAYS * 48):
        begin = start + step * SLOT
        if mine.free(begin, begin + length) and theirs.free(begin, begin + length):
            return begin
    return None


def lapsed_contact(
    *,
    contact_email: str,
    contact_name: str | None,
    last_met: date,
    cadence_days: float,
    days_since: int,
    subject: str | None = None,
    duration_minutes: int = 30,
    start: datetime | None = None,
) -> LapsedContact:
    """Build a `LapsedContact` with its two schedule links (proposing `start`, if given)."""
    who = contact_name or contact_email
    google, outlook = schedule_links(
        contact_email,
        contact_name,
        subject or f"Catch-up with {who}",
        duration_minutes,
        start=start,
    )
    return LapsedContact(
        contact_name=contact_name,
        contact_email=contact_email,
        last_met=last_met,
        cadence_days=cadence_days,
        days_since=days_since,
        schedule_google_url=google,
        schedule_outlook_url=outlook,
    )
