"""Expand sample feeds into plain instances and judge them naively (independent of the product)."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import combinations, pairwise

import icalendar
import recurring_ical_events

INTERNAL = "@northwind.example"
VIDEO_MARKERS = ("zoom.us/j/", "meet.google.com/", "teams.microsoft.com/", ".webex.com/")
KEYWORDS = ("interview",)


@dataclass(frozen=True, slots=True)
class Party:
    """One ATTENDEE line."""

    email: str
    cutype: str
    partstat: str
    role: str


@dataclass(frozen=True, slots=True)
class Instance:
    """One occurrence of an event, with what a naive reader can tell about it."""

    uid: str
    start: datetime
    end: datetime
    title: str
    status: str
    transparent: bool
    all_day: bool
    recurring: bool
    organizer: str | None
    parties: tuple[Party, ...]
    text: str

    @property
    def humans(self) -> frozenset[str]:
        """Individuals invited (organizer included), whatever they answered."""
        found = {p.email for p in self.parties if p.cutype == "INDIVIDUAL"}
        if self.organizer:
            found.add(self.organizer)
        return frozenset(found)

    @property
    def attending(self) -> frozenset[str]:
        """Internal individuals who did not decline."""
        declined = {p.email for p in self.parties if p.partstat == "DECLINED"}
        return frozenset(e for e in self.humans if e.endswith(INTERNAL) and e not in declined)

    @property
    def video(self) -> bool:
        """A join link of a video service is present."""
        return any(marker in self.text for marker in VIDEO_MARKERS)

    @property
    def audio(self) -> bool:
        """Only a phone bridge: tel: link or dial-in with PIN, no video link."""
        lowered = self.text.lower()
        return not self.video and ("tel:" in lowered or "dial-in" in lowered)

    @property
    def in_person(self) -> bool:
        """A room or a place, and no way to join remotely."""
        has_room = any(p.cutype == "ROOM" for p in self.parties)
        return not self.video and not self.audio and (has_room or "LOCATION:" in self.text)

    @property
    def is_meeting(self) -> bool:
        """Not cancelled, not a hold or all-day block, and with someone besides the owner."""
        return (
            self.status != "CANCELLED"
            and not self.transparent
            and not self.all_day
            and len(self.humans) >= 2
        )

    @property
    def excluded(self) -> bool:
        """External people or a sensitive keyword: no nudges."""
        external = any(not email.endswith(INTERNAL) for email in self.humans)
        return external or any(word in self.title.lower() for word in KEYWORDS)


def _email(value: object) -> str:
    return str(value).removeprefix("mailto:").lower()


def _text(event: icalendar.Event) -> str:
    parts = [f"LOCATION:{event['LOCATION']}" if event.get("LOCATION") else ""]
    parts.append(str(event.get("DESCRIPTION", "")))
    parts.extend(str(value) for key, value in event.items() if key.startswith("X-"))
    return "\n".join(parts)


def _parties(event: icalendar.Event) -> tuple[Party, ...]:
    found = event.get("ATTENDEE", [])
    lines = found if isinstance(found, list) else [found]
    return tuple(
        Party(
            _email(line),
            str(line.params.get("CUTYPE", "INDIVIDUAL")),
            str(line.params.get("PARTSTAT", "NEEDS-ACTION")),
            str(line.params.get("ROLE", "REQ-PARTICIPANT")),
        )
        for line in lines
    )


def expand(feed: bytes, start: date | datetime, end: date | datetime) -> list[Instance]:
    """Every occurrence in a feed between `start` and `end`, in time order."""
    calendar = icalendar.Calendar.from_ical(feed)
    series = {str(e["UID"]) for e in calendar.walk("VEVENT") if "RRULE" in e or "RDATE" in e}
    found = []
    for event in recurring_ical_events.of(calendar).between(start, end):
        begin, finish = event["DTSTART"].dt, event["DTEND"].dt
        all_day = not isinstance(begin, datetime)
        organizer = event.get("ORGANIZER")
        found.append(
            Instance(
                uid=str(event["UID"]),
                start=begin if not all_day else datetime.combine(begin, datetime.min.time()),
                end=finish if not all_day else datetime.combine(finish, datetime.min.time()),
                title=str(event.get("SUMMARY", "")),
                status=str(event.get("STATUS", "CONFIRMED")),
                transparent=str(event.get("TRANSP", "OPAQUE")) == "TRANSPARENT",
                all_day=all_day,
                recurring=str(event["UID"]) in series,
                organizer=_email(organizer) if organizer else None,
                parties=_parties(event),
                text=_text(event),
            )
        )
    return found


def merged(feeds: Iterable[bytes], start: datetime, end: datetime) -> list[Instance]:
    """Occurrences of several feeds, each meeting once (keyed by UID and start)."""
    seen: dict[tuple[str, datetime], Instance] = {}
    for feed in feeds:
        for instance in expand(feed, start, end):
            if not instance.all_day:
                seen.setdefault((instance.uid, instance.start), instance)
    return sorted(seen.values(), key=lambda item: (item.start, item.uid))


def lapsed_pairs(
    instances: Iterable[Instance],
    now: datetime,
    min_meetings: int = 3,
    min_lapse_days: float = 10,
    multiplier: float = 2.0,
) -> set[tuple[str, str]]:
    """Pairs (local parts, sorted) that met often enough, not lately, with nothing booked ahead."""
    past: dict[tuple[str, str], list[datetime]] = {}
    ahead: set[tuple[str, str]] = set()
    for instance in instances:
        if not instance.is_meeting:
            continue
        for pair in combinations(sorted(e.split("@")[0] for e in instance.attending), 2):
            if instance.start >= now:
                ahead.add(pair)
            else:
                past.setdefault(pair, []).append(instance.start)
    lapsed = set()
    for pair, starts in past.items():
        if len(starts) < min_meetings or pair in ahead:
            continue
        starts.sort()
        gaps = [(b - a) / timedelta(days=1) for a, b in pairwise(starts)]
        since = (now - starts[-1]) / timedelta(days=1)
        if since > max(min_lapse_days, multiplier * statistics.median(gaps)):
            lapsed.add(pair)
    return lapsed
