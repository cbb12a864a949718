"""One-click "schedule a catch-up" links: Google Calendar and Outlook on the web compose pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote, urlencode

from service.email.context import LapsedContact

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


def lapsed_contact(
    *,
    contact_email: str,
    contact_name: str | None,
    last_met: date,
    cadence_days: float,
    days_since: int,
    subject: str | None = None,
    duration_minutes: int = 30,
) -> LapsedContact:
    """Build a `LapsedContact` with its two schedule links filled in."""
    who = contact_name or contact_email
    google, outlook = schedule_links(
        contact_email, contact_name, subject or f"Catch-up with {who}", duration_minutes
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
