"""Plain words for emails: dates in the reader's zone, cadences, providers, safe one-line text.

Names of days and months are spelt out here rather than taken from the process locale, so an
email reads the same on every server.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

from service.domain.classify import display_name

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

MODALITY_WORDS = {
    "video": "video call",
    "audio": "phone call",
    "in_person": "in-person meeting",
    "unknown": "meeting",
}
# Bidirectional overrides and invisible format characters can disguise text; drop them.
_INVISIBLE = {"Cf", "Co", "Cs", "Cn"}
_SPACE = re.compile(r"\s+")


def one_line(text: str, limit: int | None = None) -> str:
    """Collapse text to a single safe line: no control or invisible characters, capped."""
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc" or category in ("Zl", "Zp"):
            kept.append(" ")
        elif category not in _INVISIBLE:
            kept.append(ch)
    line = _SPACE.sub(" ", "".join(kept)).strip()
    if limit is not None and len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return line


def day_words(value: date, *, year_if_not: int | None = None) -> str:
    """`Tuesday 24 November` (with the year when it differs from `year_if_not`)."""
    text = f"{DAYS[value.weekday()]} {value.day} {MONTHS[value.month - 1]}"
    if year_if_not is not None and value.year != year_if_not:
        text += f" {value.year}"
    return text


def local(moment: datetime, timezone: str) -> datetime:
    """The moment in the reader's time zone."""
    return moment.astimezone(ZoneInfo(timezone))


def time_words(moment: datetime, timezone: str) -> str:
    """`14:30` in the reader's zone."""
    return f"{local(moment, timezone):%H:%M}"


def ago_words(days: int) -> str:
    """`3 days ago`, `about 2 weeks ago`, `about 3 months ago`."""
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 12:
        return f"{days} days ago"
    if days < 45:
        weeks = round(days / 7)
        return f"about {weeks} weeks ago"
    months = round(days / 30.4)
    return "about a month ago" if months <= 1 else f"about {months} months ago"


def cadence_words(days: float) -> str:
    """A usual gap in words: `about every 2 weeks`."""
    if days < 1.5:
        return "about every day"
    if days < 5:
        return "every few days"
    if days < 10.5:
        return "about every week"
    if days < 24.5:
        return f"about every {round(days / 7)} weeks"
    if days < 45:
        return "about every month"
    return f"about every {round(days / 30.4)} months"


def provider_words(provider: str | None) -> str | None:
    """A provider key as people say it (`google_meet` -> `Google Meet`)."""
    if not provider:
        return None
    return display_name(provider)  # the domain's provider table is the one source of names


def modality_words(modality: str) -> str:
    """A modality as people say it (`audio` -> `phone call`)."""
    return MODALITY_WORDS.get(modality, "meeting")


def first_name(name: str | None) -> str | None:
    """The name a greeting uses: `Ana` of `Ana Silva`, `Ana` of `Silva, Ana`; None if none."""
    cleaned = one_line(name or "", 80)
    if not cleaned:
        return None
    if "," in cleaned:
        before, after = cleaned.split(",", 1)
        cleaned = after.strip() or before
    words = cleaned.split()
    return words[0] if words else None


def upfirst(text: str) -> str:
    """The text with its first letter in capitals (the rest untouched), for a sentence start."""
    return text[:1].upper() + text[1:]


def calendar_days(earlier: datetime, later: datetime, timezone: str) -> int:
    """Whole calendar days between two moments in the reader's zone (yesterday is 1)."""
    return (local(later, timezone).date() - local(earlier, timezone).date()).days


def relative_day(day: date, today: date) -> str:
    """A past day as the reader says it: `today`, `yesterday`, `on Monday` (this week),
    `last Friday` (within the week before), else `on Tuesday 10 November`."""
    days = (today - day).days
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    name = DAYS[day.weekday()]
    if 1 < days < 7:
        same_week = day.isocalendar()[:2] == today.isocalendar()[:2]
        return f"on {name}" if same_week else f"last {name}"
    return f"on {day_words(day, year_if_not=today.year)}"


def coming_day(day: date, today: date) -> str:
    """A coming day as the reader says it: `today`, `tomorrow`, `on Monday` (within a week),
    else `on Tuesday 24 November`."""
    days = (day - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if 1 < days < 7:
        return f"on {DAYS[day.weekday()]}"
    return f"on {day_words(day, year_if_not=today.year)}"


def wrap(text: str, width: int = 72) -> str:
    """Plain-text wrapping that never breaks a word: not at a hyphen, not inside a link."""
    return textwrap.fill(text, width=width, break_long_words=False, break_on_hyphens=False)
