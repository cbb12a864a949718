"""When a nudge is due, in the recipient's own time zone, and whether that time is allowed.

Due times are computed on absolute (UTC) instants and only then read in the person's zone, so
a meeting at 09:00 local the day after a DST change is still nudged at 08:50 local.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from service.domain.policy import Policy
from service.domain.zones import known_zone

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class Slot:
    """When a nudge is due (UTC), the recipient's local date of it, and its briefing batch."""

    due_at: datetime
    local_date: date
    batch_key: str | None = None


def local_date(when: datetime, timezone: str) -> date:
    """The person's local date of an instant (the key of `NudgeHistory.sent_per_person_day`)."""
    tz = known_zone(timezone)
    if tz is None:
        raise ValueError(f"unknown time zone {timezone!r}")
    return when.astimezone(tz).date()


def _allowed(local: datetime, policy: Policy) -> str | None:
    """Why a local due time is not allowed (working days/hours, quiet hours), or None."""
    hours, quiet = policy.working_hours, policy.quiet_hours
    clock = local.strftime("%H:%M")
    if local.isoweekday() not in hours.days:
        return f"due on a {_DAY_NAMES[local.weekday()]}, not one of your working days"
    if not hours.contains(local.time(), local.isoweekday()):
        return f"due at {clock} your time, outside your working hours ({hours.start}-{hours.end})"
    if quiet.contains(local.time()):
        return f"due at {clock} your time, inside your quiet hours ({quiet.start}-{quiet.end})"
    return None


def per_meeting_slot(start: datetime, tz: ZoneInfo, policy: Policy) -> Slot | str:
    """The slot `lead_minutes` before the start, or the reason it is not allowed."""
    due = start - timedelta(minutes=policy.lead_minutes)
    local = due.astimezone(tz)
    refused = _allowed(local, policy)
    if refused is not None:
        return refused
    return Slot(due_at=due.astimezone(UTC), local_date=local.date())


def briefing_slot(start: datetime, person: str, tz: ZoneInfo, policy: Policy) -> Slot | str:
    """The start of the person's working day on the meeting's local date, or why not."""
    meeting_day = start.astimezone(tz).date()
    hours = policy.working_hours
    if meeting_day.isoweekday() not in hours.days:
        day = _DAY_NAMES[meeting_day.weekday()]
        return f"the meeting is on a {day}, not one of your working days"
    # Through UTC and back so a wall time that does not exist (a DST gap) becomes a real instant.
    due = datetime.combine(meeting_day, hours.start_time, tzinfo=tz).astimezone(UTC)
    if due >= start:
        return f"the meeting starts before your daily briefing ({hours.start} your time)"
    local = due.astimezone(tz)
    if policy.quiet_hours.contains(local.time()):
        quiet = policy.quiet_hours
        return f"your daily briefing falls inside your quiet hours ({quiet.start}-{quiet.end})"
    batch = f"briefing:{person}:{meeting_day.isoformat()}"
    return Slot(due_at=due, local_date=meeting_day, batch_key=batch)


def _working_day_before(day: date, policy: Policy) -> date:
    """The last working day (the policy's days) before `day`."""
    before = day - timedelta(days=1)
    while before.isoweekday() not in policy.working_hours.days:
        before -= timedelta(days=1)
    return before


def day_before_slot(
    start: datetime, person: str, tz: ZoneInfo, policy: Policy, now: datetime
) -> Slot | str:
    """The start of the person's working hours on the working day before the meeting.

    For a change that needs time (editing an invite everyone already has): once that working
    day is over it is too late for this meeting. Planned during that day, it is due at once.
    In daily_briefing mode it joins that day's briefing.
    """
    hours = policy.working_hours
    day = _working_day_before(start.astimezone(tz).date(), policy)
    due = datetime.combine(day, hours.start_time, tzinfo=tz).astimezone(UTC)
    day_end = datetime.combine(day, hours.end_time, tzinfo=tz).astimezone(UTC)
    if now >= day_end:
        return "too late to change it before it starts (the working day before is over)"
    local = due.astimezone(tz)
    if policy.quiet_hours.contains(local.time()):
        quiet = policy.quiet_hours
        return f"your working day starts inside your quiet hours ({quiet.start}-{quiet.end})"
    batch = (
        f"briefing:{person}:{day.isoformat()}" if policy.delivery_mode == "daily_briefing" else None
    )
    return Slot(due_at=due, local_date=day, batch_key=batch)
