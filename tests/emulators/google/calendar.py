"""One emulated Google calendar: events, recurring series expanded, change sequence, sync tokens.

Written from the Calendar API v3 reference (events.list, the Event resource, the sync guide):

- `singleEvents=true` expands a series into instances with id `<series id>_<UTC stamp>`,
  `recurringEventId` and `originalStartTime`; an edited instance keeps its original start;
- every change bumps the calendar's sequence; an incremental list (`syncToken`) returns what
  changed after the token, deleted entries included, at any time (no `timeMin`/`timeMax`);
- deleted entries carry only what the reference guarantees: a cancelled instance its `id`,
  `recurringEventId` and `originalStartTime`; any other deleted event its `id`;
  `events.get` still returns a deleted event whole (the reference: "the get method always
  returns them");
- `nextSyncToken` comes on the last page only; a token the calendar no longer honours is 410.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rruleset, rrulestr

Json = dict[str, object]
# How far a series without an end is expanded (Google does not document its own bound).
EXPANSION_YEARS = 2


@dataclass
class Entry:
    """One item an `events.list` can return: live (its payload) or deleted (a tombstone)."""

    payload: Json
    seq: int
    owner: str  # the stored event it came from (a single event, or the series master)
    start: datetime
    end: datetime
    live: bool = True


@dataclass
class StoredEvent:
    """A single event or a series master as created, with a series' per-instance overrides."""

    resource: Json
    overrides: dict[str, Json] = field(default_factory=dict)  # instance id -> changed fields
    deleted: bool = False


def parse_when(when: Mapping[str, object]) -> tuple[datetime, bool]:
    """(UTC instant, all-day) of an EventDateTime."""
    zone = ZoneInfo(str(when.get("timeZone") or "UTC"))
    if "dateTime" in when:
        moment = datetime.fromisoformat(str(when["dateTime"]))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return moment.astimezone(UTC), False
    day = date.fromisoformat(str(when["date"]))
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC), True


def format_when(moment: datetime, zone: str, all_day: bool) -> Json:
    """An EventDateTime as the API writes it: the local time with its offset, and the zone."""
    if all_day:
        return {"date": moment.astimezone(ZoneInfo(zone)).date().isoformat()}
    local = moment.astimezone(ZoneInfo(zone))
    return {"dateTime": local.isoformat(), "timeZone": zone}


def instance_id(series_id: str, original: datetime, all_day: bool) -> str:
    """The id of one instance: the series id and the original start's UTC stamp."""
    stamp = original.strftime("%Y%m%d") if all_day else original.strftime("%Y%m%dT%H%M%SZ")
    return f"{series_id}_{stamp}"


def _etag(payload: Mapping[str, object], seq: int) -> str:
    digest = hashlib.sha256(f"{seq}:{payload.get('id')}".encode()).hexdigest()[:16]
    return f'"{int(digest, 16) % 10**16}"'


def _stamp(seq: int, base: datetime) -> str:
    return (base + timedelta(milliseconds=seq)).isoformat(timespec="milliseconds")[:-6] + "Z"


class Calendar:
    """One user's primary calendar. Not thread-safe: the emulator holds its lock around it."""

    def __init__(self, owner: str, timezone: str = "UTC") -> None:
        """An empty calendar of `owner` in `timezone`."""
        self.owner = owner
        self.timezone = timezone
        self.events: dict[str, StoredEvent] = {}
        self.entries: dict[str, Entry] = {}
        self.seq = 0
        self.token_epoch = 0
        self.created = datetime(2026, 1, 1, tzinfo=UTC)

    # -- changes -------------------------------------------------------------------------

    def put(self, resource: Mapping[str, object]) -> None:
        """Create or replace a single event or a series master (its overrides are kept)."""
        body = copy.deepcopy(dict(resource))
        event_id = str(body["id"])
        body.setdefault("iCalUID", f"{event_id}@google.com")
        body.setdefault("status", "confirmed")
        body.setdefault("kind", "calendar#event")
        body.setdefault("organizer", {"email": self.owner, "self": True})
        body.setdefault("creator", {"email": self.owner, "self": True})
        old = self.events.get(event_id)
        overrides = old.overrides if old is not None and not old.deleted else {}
        self.events[event_id] = StoredEvent(body, overrides)
        self._materialise(event_id)

    def update_instance(self, series_id: str, original: datetime, **changes: object) -> str:
        """Change one instance of a series (e.g. `start`/`end` to move it); returns its id."""
        event = self.events[series_id]
        all_day = "date" in _mapping(event.resource["start"])
        iid = instance_id(series_id, original, all_day)
        event.overrides.setdefault(iid, {}).update(copy.deepcopy(changes))
        self._materialise(series_id)
        return iid

    def cancel_instance(self, series_id: str, original: datetime) -> str:
        """Cancel one instance of a series (the series goes on); returns its id."""
        return self.update_instance(series_id, original, status="cancelled")

    def delete(self, event_id: str) -> None:
        """Delete a single event, or a whole series."""
        event = self.events[event_id]
        event.deleted = True
        event.resource["status"] = "cancelled"
        self._materialise(event_id)

    def expire_tokens(self) -> None:
        """Every sync token issued so far becomes invalid (the next incremental list is a 410)."""
        self.token_epoch += 1

    # -- reading -------------------------------------------------------------------------

    def live_entries(self) -> Iterator[Entry]:
        """Live entries of the expanded view."""
        return (entry for entry in self.entries.values() if entry.live)

    def get(self, event_id: str) -> Json | None:
        """events.get: a stored event or instance by id, deleted ones included (whole)."""
        entry = self.entries.get(event_id)
        stored = self.events.get(event_id)
        if stored is not None:
            payload = copy.deepcopy(stored.resource)
            payload["updated"] = _stamp(self.seq, self.created)
            return payload
        if entry is None:
            return None
        if entry.live:
            return copy.deepcopy(entry.payload)
        master = self.events.get(entry.owner)
        if master is None:
            return copy.deepcopy(entry.payload)
        full = self._instance_payload(master, entry.payload)
        full["status"] = "cancelled"
        return full

    # -- expansion -----------------------------------------------------------------------

    def _materialise(self, event_id: str) -> None:
        """Recompute the entries of one stored event and record what changed."""
        stored = self.events[event_id]
        fresh = dict(self._expand(event_id, stored))
        self.seq += 1
        seq = self.seq
        for entry_id, entry in list(self.entries.items()):
            if entry.owner != event_id or entry_id in fresh:
                continue
            if entry.live:
                entry.live = False
                entry.seq = seq
                entry.payload = self._tombstone(entry.payload, stored)
        for entry_id, new in fresh.items():
            old = self.entries.get(entry_id)
            if old is not None and old.live == new.live and _same(old.payload, new.payload):
                continue
            new.seq = seq
            new.payload["etag"] = _etag(new.payload, seq)
            new.payload["updated"] = _stamp(seq, self.created)
            self.entries[entry_id] = new

    def _tombstone(self, payload: Mapping[str, object], stored: StoredEvent) -> Json:
        """What a deleted entry still says: only the fields the reference guarantees."""
        dead: Json = {
            "kind": "calendar#event",
            "etag": _etag(payload, self.seq),
            "id": payload["id"],
            "status": "cancelled",
        }
        if "recurringEventId" in payload and not stored.deleted:
            # A cancelled instance of a series that goes on.
            dead["recurringEventId"] = payload["recurringEventId"]
            dead["originalStartTime"] = payload["originalStartTime"]
        return dead

    def _expand(self, event_id: str, stored: StoredEvent) -> Iterator[tuple[str, Entry]]:
        resource = stored.resource
        if stored.deleted:
            return
        rules = resource.get("recurrence")
        if not rules:
            start, _ = parse_when(_mapping(resource["start"]))
            end, _ = parse_when(_mapping(resource["end"]))
            # A shallow copy: nested values are never changed in place (put() stores copies).
            yield event_id, Entry(dict(resource), 0, event_id, start, end)
            return
        for original in self._occurrences(resource):
            payload = self._instance(resource, original)
            iid = str(payload["id"])
            override = stored.overrides.get(iid)
            if override is not None:
                payload.update(copy.deepcopy(override))
            start, _ = parse_when(_mapping(payload["start"]))
            end, _ = parse_when(_mapping(payload["end"]))
            if payload.get("status") == "cancelled":
                tomb = self._tombstone(payload, stored)
                yield iid, Entry(tomb, 0, event_id, start, end, live=False)
            else:
                yield iid, Entry(payload, 0, event_id, start, end)

    def _occurrences(self, resource: Mapping[str, object]) -> list[datetime]:
        """The original starts (UTC) of a series, expanded in its own zone."""
        when = _mapping(resource["start"])
        first, _ = parse_when(when)
        zone = ZoneInfo(str(when.get("timeZone") or "UTC"))
        local = first.astimezone(zone).replace(tzinfo=None)
        lines = [str(rule) for rule in _list(resource.get("recurrence"))]
        rules = rrulestr("\n".join(lines), dtstart=local, forceset=True, ignoretz=True)
        assert isinstance(rules, rruleset)
        horizon = local.replace(year=local.year + EXPANSION_YEARS)
        found: list[datetime] = []
        for moment in rules.between(local, horizon, inc=True):
            found.append(moment.replace(tzinfo=zone).astimezone(UTC))
        return found

    def _instance(self, master: Mapping[str, object], original: datetime) -> Json:
        start_when = _mapping(master["start"])
        first, all_day = parse_when(start_when)
        end, _ = parse_when(_mapping(master["end"]))
        zone = str(start_when.get("timeZone") or "UTC")
        payload = {k: copy.deepcopy(v) for k, v in master.items() if k != "recurrence"}
        payload["id"] = instance_id(str(master["id"]), original, all_day)
        payload["recurringEventId"] = master["id"]
        payload["originalStartTime"] = format_when(original, zone, all_day)
        payload["start"] = format_when(original, zone, all_day)
        payload["end"] = format_when(original + (end - first), zone, all_day)
        return payload

    def _instance_payload(self, master: StoredEvent, tomb: Mapping[str, object]) -> Json:
        original, _ = parse_when(_mapping(tomb.get("originalStartTime") or {}))
        payload = self._instance(master.resource, original)
        payload.update(copy.deepcopy(master.overrides.get(str(tomb["id"]), {})))
        return payload


def _same(one: Mapping[str, object], other: Mapping[str, object]) -> bool:
    """The same payload, whatever its etag and update time."""
    skip = ("etag", "updated")
    return {k: v for k, v in one.items() if k not in skip} == {
        k: v for k, v in other.items() if k not in skip
    }


def _mapping(value: object) -> Mapping[str, object]:
    assert isinstance(value, Mapping)
    return value


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []
