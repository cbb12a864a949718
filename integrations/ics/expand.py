"""Expand a feed's recurrences inside a sync window into meeting instances, within a budget.

In order: components past the budget and costly time zones are left out before parsing
(`rawfeed`); each VEVENT is read on its own (a broken one is a SkippedEvent), its attendee
list cut to the budget; the VEVENTs are grouped by UID and each series is expanded on its
own (`series`), in feed order, given the room the feed's budget has left (`budget.Keeper`).
What a series cannot give (a bad rule, an error, too long) is a SkippedEvent; what the
budget left out is said in `ParsedFeed.warnings`.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import icalendar

from integrations.ics import props, rawfeed
from integrations.ics.budget import DEFAULT_BUDGET, FeedBudget, Keeper
from integrations.ics.errors import clip
from integrations.ics.normalise import (
    EVENT_ERRORS,
    calendar_zone,
    check_owner,
    default_zone,
    normalise_in_zone,
    parse_calendars,
)
from integrations.ics.series import Expansion, Series
from integrations.ics.timelimit import OutOfTime, time_limit
from service.domain.model import Meeting
from service.domain.port import SkippedEvent, SyncWindow

OUT_OF_TIME = "not read: the feed's time budget ran out"
# Properties that may appear once; some producers repeat them (two DTSTARTs): keep the first.
_SINGLETONS = (
    "UID",
    "DTSTART",
    "DTEND",
    "DURATION",
    "RECURRENCE-ID",
    "SUMMARY",
    "STATUS",
    "SEQUENCE",
    "TRANSP",
    "ORGANIZER",
    "LOCATION",
    "DESCRIPTION",
    "URL",
)


@dataclass(slots=True)
class ParsedFeed:
    """A feed expanded over a window: meeting instances and skipped events in feed order,
    and what the budget left out, in words (empty when everything fit)."""

    items: list[Meeting | SkippedEvent] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def meetings(self) -> list[Meeting]:
        """The meeting instances."""
        return [item for item in self.items if isinstance(item, Meeting)]

    @property
    def skipped(self) -> list[SkippedEvent]:
        """The events (or series) that could not be read, each with its reason."""
        return [item for item in self.items if isinstance(item, SkippedEvent)]


@dataclass(slots=True)
class _Tally:
    """What was cut or left out along the way, for the warnings."""

    budget: FeedBudget
    counts: Counter[str] = field(default_factory=Counter)

    def warnings(self) -> list[str]:
        budget, counts = self.budget, self.counts
        texts = {
            "titles": f"{{}} titles cut to {budget.max_title_chars} characters",
            "attendees": f"{{}} events had their attendees cut to {budget.max_attendees_per_event}",
            "series": (
                f"over budget: {{}} recurring series left out "
                f"(a feed may have at most {budget.max_series_per_feed})"
            ),
            "capped": (
                f"over budget: {{}} series had more than {budget.max_instances_per_series} "
                "instances in the window; their later instances were left out"
            ),
            "late": "out of time: {} events or series left out unread",
        }
        return [text.format(counts[key]) for key, text in texts.items() if counts[key]]


def expand_feed(
    data: bytes,
    owner: str,
    window: SyncWindow,
    default_tz: str = "UTC",
    *,
    budget: FeedBudget = DEFAULT_BUDGET,
    deadline: float | None = None,
    interruptible: bool = False,
) -> ParsedFeed:
    """Expand every series of the feed inside `window` into meetings (UTC), within `budget`.

    `deadline` (a `time.monotonic()` value): past it, what is left is skipped as unread.
    `interruptible`: a series running longer than `budget.max_seconds_per_series` is
    interrupted (SIGALRM: only in a process's main thread; the feed reader's child).
    Raises InvalidFeed when the bytes are not iCalendar, ValueError for a bad owner or zone.
    """
    owner = check_owner(owner)
    default = default_zone(default_tz)
    data, warnings = rawfeed.trim(data, budget)
    keeper = Keeper(budget)
    tally = _Tally(budget)
    reader = _Reader(owner, window, budget, keeper, tally, deadline, interruptible)
    for calendar in parse_calendars(data):
        reader.read(calendar, calendar_zone(calendar, default))
    items, left_out = keeper.result()
    return ParsedFeed(items, [*warnings, *tally.warnings(), *left_out])


class _Reader:
    """Reads one calendar after another into the keeper."""

    def __init__(
        self,
        owner: str,
        window: SyncWindow,
        budget: FeedBudget,
        keeper: Keeper,
        tally: _Tally,
        deadline: float | None,
        interruptible: bool,
    ) -> None:
        self.owner = owner
        self.window = window
        self.budget = budget
        self.keeper = keeper
        self.tally = tally
        self.deadline = deadline
        self.series_seconds = budget.max_seconds_per_series if interruptible else None
        self.recurring = 0

    def late(self) -> bool:
        """True once the deadline has passed."""
        return self.deadline is not None and time.monotonic() >= self.deadline

    def read(self, calendar: icalendar.Calendar, tz: ZoneInfo) -> None:
        """Read one calendar's events and expand its series, in feed order."""
        groups = self._events(calendar, tz)
        calscale = props.text(calendar, "CALSCALE")
        for uid, members in groups.items():
            series = Series(uid, members, self.owner, tz, self.budget)
            found = self._expand(series, calscale)
            meetings: list[Meeting] = []
            for item in found.items:
                if isinstance(item, Meeting):
                    meetings.append(item)
                else:
                    self.keeper.skip(item)
            if meetings:
                self.keeper.add(meetings, cut_short=found.cut_short)

    def _events(
        self, calendar: icalendar.Calendar, tz: ZoneInfo
    ) -> dict[str, list[tuple[icalendar.Component, Meeting]]]:
        """Each VEVENT read on its own (a broken one is reported, not its whole series),
        grouped by UID in feed order."""
        groups: dict[str, list[tuple[icalendar.Component, Meeting]]] = {}
        budget = self.budget
        for event in calendar.walk("VEVENT"):
            if self.late():
                self.tally.counts["late"] += 1
                self.keeper.skip(SkippedEvent(props.text(event, "UID"), OUT_OF_TIME))
                continue
            try:
                _keep_first_values(event)
                if props.limit_attendees(event, self.owner, budget.max_attendees_per_event):
                    self.tally.counts["attendees"] += 1
                if len(props.text(event, "SUMMARY") or "") > budget.max_title_chars:
                    self.tally.counts["titles"] += 1
            except EVENT_ERRORS as exc:
                reason = clip(f"unreadable event: {type(exc).__name__}: {exc}")
                self.keeper.skip(SkippedEvent(props.text(event, "UID"), reason))
                continue
            checked = normalise_in_zone(event, self.owner, tz, series=None, limits=budget)
            if isinstance(checked, SkippedEvent):
                self.keeper.skip(checked)
                continue
            if props.text(event, "UID") is None:
                event["UID"] = icalendar.vText(checked.uid)
            groups.setdefault(checked.uid, []).append((event, checked))
        return groups

    def _expand(self, series: Series, calscale: str | None) -> Expansion:
        if self.late():
            self.tally.counts["late"] += 1
            return Expansion([SkippedEvent(series.uid, OUT_OF_TIME)])
        if series.recurring:
            self.recurring += 1
            if self.recurring > self.budget.max_series_per_feed:
                self.tally.counts["series"] += 1
                reason = (
                    f"not expanded: the feed has more than {self.budget.max_series_per_feed} "
                    "recurring series"
                )
                return Expansion([SkippedEvent(series.uid, reason)])
        try:
            with time_limit(self.series_seconds):
                found = series.expand(calscale, self.window, self.keeper.room())
        except OutOfTime:
            reason = f"took longer than {self.series_seconds:g} s to expand; left out"
            return Expansion([SkippedEvent(series.uid, reason)])
        if found.capped:
            self.tally.counts["capped"] += 1
        return found


def _keep_first_values(event: icalendar.Component) -> None:
    for name in _SINGLETONS:
        value = event.get(name)
        if isinstance(value, list) and value:
            event[name] = value[0]
