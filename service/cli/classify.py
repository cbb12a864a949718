"""`rapport classify FILE...`: read calendar files (ICS, Google or Graph JSON), print one JSON
line per event with its classification.

Exit 0 when every file was read (skipped events are reported on their own line), 2 when a file
could not be read at all (missing, not a calendar, unknown format); other files still run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Literal, TextIO

from integrations.google import normalise_event as google_event
from integrations.ics.normalise import InvalidFeed, read_events
from integrations.microsoft import normalise_event as graph_event
from service.domain.classify import classify
from service.domain.model import Classification, Meeting, normalise_email
from service.domain.port import SkippedEvent

Format = Literal["ics", "google", "graph"]
FORMATS: tuple[Format, ...] = ("ics", "google", "graph")
UNKNOWN_OWNER = "unknown@invalid"
MAX_FILE_BYTES = 50 * 1024 * 1024
_GOOGLE_KEYS = frozenset({"htmlLink", "iCalUID", "summary", "hangoutLink", "conferenceData"})
_GRAPH_KEYS = frozenset({"subject", "isOnlineMeeting", "iCalUId", "bodyPreview", "showAs"})


class UnreadableFile(Exception):
    """A file that is missing, not a calendar, or of a format we cannot tell."""


def _sniff_json(data: object) -> Format | None:
    """google or graph from the shape of parsed JSON; None when neither fits."""
    if isinstance(data, list):
        first = next((item for item in data if isinstance(item, Mapping)), None)
        return _sniff_json(first) if first is not None else None
    if not isinstance(data, Mapping):
        return None
    kind = data.get("kind")
    if kind in ("calendar#event", "calendar#events") or isinstance(data.get("items"), list):
        return "google"
    if "@odata.context" in data or isinstance(data.get("value"), list):
        return "graph"
    keys = set(data)
    google, graph = len(keys & _GOOGLE_KEYS), len(keys & _GRAPH_KEYS)
    if google or graph:
        return "google" if google > graph else "graph"
    return None


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise UnreadableFile("no such file") from None
    except IsADirectoryError:
        raise UnreadableFile("is a directory, not a file") from None
    except OSError as exc:
        raise UnreadableFile(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFile(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    return data


def _parse_json(data: bytes) -> object:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise UnreadableFile(f"not an iCalendar file and not valid JSON ({exc})") from None


def _events(data: object) -> list[object]:
    """The events of a single event, a JSON list, or an API page (`items` / `value`)."""
    if isinstance(data, list):
        return list(data)
    if isinstance(data, Mapping):
        for key in ("items", "value"):
            if isinstance(data.get(key), list):
                return list(data[key])
        return [data]
    raise UnreadableFile(f"JSON {type(data).__name__} is not an event, a list or an API page")


def _google_owner(events: Iterable[object]) -> str | None:
    for event in events:
        if not isinstance(event, Mapping):
            continue
        attendees = event.get("attendees")
        for attendee in attendees if isinstance(attendees, list) else ():
            if isinstance(attendee, Mapping) and attendee.get("self") is True:
                found = normalise_email(_str(attendee.get("email")))
                if found:
                    return found
        for role in ("organizer", "creator"):
            who = event.get(role)
            if isinstance(who, Mapping) and who.get("self") is True:
                found = normalise_email(_str(who.get("email")))
                if found:
                    return found
    return None


def _graph_owner(events: Iterable[object]) -> str | None:
    for event in events:
        if isinstance(event, Mapping) and event.get("isOrganizer") is True:
            organizer = event.get("organizer")
            address = organizer.get("emailAddress") if isinstance(organizer, Mapping) else None
            if isinstance(address, Mapping):
                found = normalise_email(_str(address.get("address")))
                if found:
                    return found
    return None


def _ics_owner(data: bytes) -> str | None:
    """The first ORGANIZER's address, read from the unfolded text (cheap; no full parse)."""
    text = data.decode("utf-8", "replace").replace("\r\n ", "").replace("\n ", "")
    for line in text.splitlines():
        if line[:9].upper() == "ORGANIZER":
            _, _, value = line.partition(":")
            rest = value.strip()
            if rest.lower().startswith("mailto:"):
                return normalise_email(rest)
    return None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _results(path: Path, fmt: Format | None, owner: str | None) -> Iterator[Meeting | SkippedEvent]:
    data = _read(path)
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper()
    if fmt == "ics" or (fmt is None and head.startswith(b"BEGIN:VCALENDAR")):
        who = owner or _ics_owner(data) or UNKNOWN_OWNER
        try:
            yield from read_events(data, who)
        except InvalidFeed as exc:
            raise UnreadableFile(f"not a readable iCalendar file: {exc}") from None
        return
    parsed = _parse_json(data)
    found = fmt or _sniff_json(parsed)
    if found is None:
        raise UnreadableFile("unknown format: neither iCalendar, Google nor Graph events")
    events = _events(parsed)
    normalise: Callable[[Mapping[str, object], str], Meeting | SkippedEvent]
    if found == "google":
        detected, normalise = _google_owner(events), google_event
    else:
        detected, normalise = _graph_owner(events), graph_event
    for event in events:
        if isinstance(event, Mapping):
            yield normalise(event, owner or detected or UNKNOWN_OWNER)
        else:
            yield SkippedEvent(None, f"event is not a JSON object but {type(event).__name__}")


def classification_fields(got: Classification) -> dict[str, object]:
    """A classification as `rapport classify` prints it (`rapport meetings` prints the same)."""
    return {
        "modality": got.modality.value,
        "provider": got.provider,
        "hybrid": got.hybrid,
        "one_on_one": got.one_on_one,
        "is_meeting": got.is_meeting,
        "reasons": list(got.reasons),
    }


def _line(path: Path, result: Meeting | SkippedEvent) -> dict[str, object]:
    if isinstance(result, SkippedEvent):
        return {"file": str(path), "id": result.source_id, "modality": None, "error": result.reason}
    line: dict[str, object] = {
        "file": str(path),
        "id": result.uid,
        **classification_fields(classify(result)),
    }
    if result.recurring:
        line["instance"] = result.instance_start.isoformat()
    return line


def classify_files(
    paths: Sequence[Path],
    fmt: Format | None,
    out: TextIO,
    err: TextIO,
    owner: str | None = None,
) -> int:
    """Classify every event of every file, one JSON line each; 2 if any file was unreadable."""
    who = normalise_email(owner) if owner else None
    if owner is not None and (who is None or "@" not in who):
        err.write(f"rapport classify: --owner {owner!r} is not an email address\n")
        return 2
    code = 0
    for path in paths:
        try:
            for result in _results(path, fmt, who):
                out.write(json.dumps(_line(path, result), ensure_ascii=False) + "\n")
        except UnreadableFile as exc:
            err.write(f"rapport classify: {path}: {exc}\n")
            code = 2
    return code
