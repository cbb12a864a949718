"""iCalendar VEVENT -> domain `Meeting` (pure: bytes in, meetings or typed skips out).

`read_events` reads a feed without expanding recurrences (one item per VEVENT);
`normalise_vevent` reads one VEVENT or one expanded occurrence. Neither raises for a bad
event: it comes out as a `SkippedEvent` with a reason, and the rest of the feed goes on.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import icalendar
import x_wr_timezone
from icalendar.prop.broken import vBroken
from icalendar.timezone import tzp

from integrations.ics import props, rawfeed
from integrations.ics.budget import DEFAULT_BUDGET, FeedBudget
from integrations.ics.errors import clip
from integrations.payload import SkipEvent
from service.domain.model import EventStatus, EventType, Meeting, Sensitivity, normalise_email
from service.domain.port import SkippedEvent

_TIME_PROPERTIES = ("DTSTART", "DTEND", "DURATION", "RECURRENCE-ID", "RRULE", "RDATE", "EXDATE")
SERIES_PROPERTIES = ("RRULE", "RDATE", "RECURRENCE-ID")  # any one: the VEVENT is in a series
_STATUSES = {"CANCELLED": EventStatus.CANCELLED, "TENTATIVE": EventStatus.TENTATIVE}
# Errors a hostile or sloppy VEVENT can provoke inside icalendar/zoneinfo/datetime arithmetic.
EVENT_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError)


class InvalidFeed(ValueError):
    """The data is not an iCalendar feed at all (no VCALENDAR could be read)."""


def default_zone(default_tz: str) -> ZoneInfo:
    """The ZoneInfo for `default_tz`; a clear ValueError when it is not an IANA zone name."""
    tz = props.zone(default_tz)
    if tz is None:
        raise ValueError(f"default_tz {default_tz!r} is not an IANA time zone name")
    return tz


def check_owner(owner: str) -> str:
    """The owner's normalised address; a clear ValueError when it is not an email address."""
    email = normalise_email(owner)
    if email is None or "@" not in email:
        raise ValueError(f"owner {owner!r} is not an email address")
    return email


def parse_calendars(data: bytes) -> list[icalendar.Calendar]:
    """Parse feed bytes into calendars repaired for X-WR-TIMEZONE; InvalidFeed if unreadable."""
    if not isinstance(data, bytes):
        # icalendar 7 reads a str without line breaks as a *file path*: only ever pass bytes.
        raise TypeError("iCalendar data must be bytes")
    data = data.removeprefix(b"\xef\xbb\xbf")
    # icalendar caches each custom VTIMEZONE process-wide by its TZID, first one wins: start
    # every feed with an empty cache so no feed decides what another feed's times mean.
    tzp.use_zoneinfo()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            calendars = icalendar.Calendar.from_ical(data, multiple=True)
    except EVENT_ERRORS as exc:
        raise InvalidFeed(f"not an iCalendar feed: {exc}") from exc
    found = [c for c in calendars if isinstance(c, icalendar.Calendar)]
    if not found:
        raise InvalidFeed("not an iCalendar feed: no VCALENDAR component")
    return [_repair(calendar) for calendar in found]


def _repair(calendar: icalendar.Calendar) -> icalendar.Calendar:
    """Apply X-WR-TIMEZONE (Google's calendar-wide zone) the RFC 5545 way, if it is valid."""
    if props.zone(props.text(calendar, "X-WR-TIMEZONE")) is None:
        return calendar
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            repaired: icalendar.Calendar = x_wr_timezone.to_standard(calendar)
    except EVENT_ERRORS:
        return calendar
    return repaired


def calendar_zone(calendar: icalendar.Calendar, default: ZoneInfo) -> ZoneInfo:
    """The zone for all-day and floating times: X-WR-TIMEZONE when valid, else the default."""
    return props.zone(props.text(calendar, "X-WR-TIMEZONE")) or default


def read_events(
    data: bytes, owner: str, default_tz: str = "UTC", *, budget: FeedBudget = DEFAULT_BUDGET
) -> Iterator[Meeting | SkippedEvent]:
    """Yield one Meeting or SkippedEvent per VEVENT of the feed, recurrences not expanded.

    Within `budget`: events and time zones past its caps are not read, titles and attendee
    lists are cut (`expand_feed` also says what it left out).
    """
    owner = check_owner(owner)
    default = default_zone(default_tz)
    data, _warnings = rawfeed.trim(data, budget)
    for calendar in parse_calendars(data):
        tz = calendar_zone(calendar, default)
        for event in calendar.walk("VEVENT"):
            yield normalise_in_zone(event, owner, tz, series=None, limits=budget)


def normalise_vevent(
    event: icalendar.Event, owner: str, default_tz: str, *, budget: FeedBudget = DEFAULT_BUDGET
) -> Meeting | SkippedEvent:
    """Normalise one VEVENT (or one expanded occurrence) to a Meeting, or say why not."""
    owner = check_owner(owner)
    return normalise_in_zone(event, owner, default_zone(default_tz), series=None, limits=budget)


def derived_uid(event: icalendar.Component) -> str:
    """A stable UID for a VEVENT without one: a hash of its DTSTART and SUMMARY.

    A private event's summary stays out of the hash, so its id cannot confirm a guessed title.
    """
    start = props.first(event, "DTSTART")
    raw = start.to_ical() if hasattr(start, "to_ical") else b""
    private = props.sensitivity(event) is not Sensitivity.NORMAL
    summary = b"" if private else (props.text(event, "SUMMARY") or "").encode()
    digest = hashlib.sha256(raw + b"\x00" + summary).hexdigest()[:32]
    return f"rapport-derived-{digest}"


def normalise_in_zone(
    event: icalendar.Component,
    owner: str,
    tz: tzinfo,
    *,
    series: bool | None,
    limits: FeedBudget = DEFAULT_BUDGET,
) -> Meeting | SkippedEvent:
    """Normalise with a resolved fallback zone; `series` overrides series detection if given.

    `owner` must already be normalised by `check_owner` (the entry points do it once per feed).
    The title and the attendees are cut to `limits` (`max_title_chars`, `max_attendees_per_event`).
    """
    uid = props.text(event, "UID")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _build(event, uid, owner, tz, series, limits)
    except SkipEvent as skip:
        return SkippedEvent(source_id=uid, reason=clip(str(skip)))
    except EVENT_ERRORS as exc:
        reason = clip(f"unreadable event: {type(exc).__name__}: {exc}")
        return SkippedEvent(source_id=uid, reason=reason)


def broken_times(event: icalendar.Component) -> str | None:
    """Why the event's time properties cannot be read, or None when they can."""
    for name in _TIME_PROPERTIES:
        values = event.get(name)
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, vBroken):
                return f"{name} cannot be read: {getattr(value, 'expected_type', '')} {value}"
    return None


def _moment(event: icalendar.Component, name: str) -> date | datetime | None:
    value = props.first(event, name)
    if value is None:
        return None
    moment = getattr(value, "dt", None)
    if not isinstance(moment, date):
        raise SkipEvent(f"{name} is not a date or date-time")
    return moment


def _times(
    event: icalendar.Component, tz: tzinfo
) -> tuple[datetime, datetime, bool, date | datetime]:
    broken = broken_times(event)
    if broken:
        raise SkipEvent(broken)
    raw_start = _moment(event, "DTSTART")
    if raw_start is None:
        raise SkipEvent("no DTSTART")
    all_day = not isinstance(raw_start, datetime)
    start = props.to_utc(raw_start, tz)
    raw_end = _moment(event, "DTEND")
    if raw_end is not None:
        end = props.to_utc(raw_end, tz)
    elif (duration := props.first(event, "DURATION")) is not None:
        delta = getattr(duration, "dt", None)
        if not isinstance(delta, timedelta):
            raise SkipEvent("DURATION is not a duration")
        end = start + delta
    else:
        # RFC 5545 3.6.1: an all-day event without an end lasts the day; a timed one, no time.
        end = start + timedelta(days=1) if all_day else start
    if end < start:
        raise SkipEvent(f"ends before it starts ({end.isoformat()} < {start.isoformat()})")
    return start, end, all_day, raw_start


def _event_type(event: icalendar.Component) -> tuple[EventType, bool]:
    busy = (props.text(event, "X-MICROSOFT-CDO-BUSYSTATUS") or "").upper()
    intended = (props.text(event, "X-MICROSOFT-CDO-INTENDEDSTATUS") or "").upper()
    if "OOF" in (busy, intended):
        return EventType.OUT_OF_OFFICE, False
    # The owner's own busy status wins over what the organizer intended.
    free = (busy or intended) == "FREE"
    return EventType.DEFAULT, free


def _build(
    event: icalendar.Component,
    uid: str | None,
    owner: str,
    tz: tzinfo,
    series: bool | None,
    limits: FeedBudget,
) -> Meeting:
    start, end, all_day, raw_start = _times(event, tz)
    if uid is None:
        uid = derived_uid(event)
    raw_recurrence = _moment(event, "RECURRENCE-ID")
    original_start = props.to_utc(raw_recurrence, tz) if raw_recurrence is not None else None
    if series is None:
        series = any(event.get(name) is not None for name in SERIES_PROPERTIES)
    attendees, organizer = props.attendees(event, owner, limits.max_attendees_per_event)
    links, conference, hint = props.links_and_conference(event)
    event_type, free = _event_type(event)
    transp = (props.text(event, "TRANSP") or "").upper()
    start_param = getattr(props.first(event, "DTSTART"), "params", None)
    return Meeting(
        uid=uid,
        start=start,
        end=end,
        owner=owner,
        title=(props.text(event, "SUMMARY") or "")[: limits.max_title_chars],
        original_start=original_start,
        source_id=uid,
        organizer=organizer,
        attendees=attendees,
        location=props.text(event, "LOCATION"),
        description=props.text(event, "DESCRIPTION"),
        conference=conference,
        links=links,
        status=_STATUSES.get((props.text(event, "STATUS") or "").upper(), EventStatus.CONFIRMED),
        event_type=event_type,
        transparent=transp == "TRANSPARENT" or free,
        all_day=all_day,
        series_id=uid if series else None,
        timezone=props.zone_name(raw_start, start_param, str(tz)),
        online_provider_hint=hint,
        sensitivity=props.sensitivity(event),  # a private one's SUMMARY is replaced by the Meeting
    )
