"""`rapport classify FILE...`: read calendar files (ICS, Google or Graph JSON), print one JSON
line per event with its classification.

Exit 0 when every file was read (skipped events are reported on their own line), 2 when a file
could not be read at all (missing, not a calendar, unknown format, nested too deeply, over the
time or memory limit); other files still run.

Files are untrusted input: they are read in a child process (`python -m service.cli.classify`)
under a memory limit, each within a time limit (`Guard`). A file that breaks a limit, or crashes
the reader, is killed and reported; the next file goes on in a fresh child. An event that cannot
be read is reported on its own line; every string printed is valid UTF-8 (lone surrogates are
escaped) and cut to a readable length.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, TextIO

from integrations.google import normalise_event as google_event
from integrations.ics.normalise import InvalidFeed, read_events
from integrations.microsoft import normalise_event as graph_event
from service.cli.classify_owner import (
    Owner,
    given_owner,
    google_owner,
    graph_owner,
    ics_owner,
)
from service.domain.classify import classify
from service.domain.model import Classification, Meeting, normalise_email
from service.domain.port import SkippedEvent
from service.pipeline.reasons import scrub_reason

Format = Literal["ics", "google", "graph"]
FORMATS: tuple[Format, ...] = ("ics", "google", "graph")
MAX_FILE_BYTES = 50 * 1024 * 1024
# A printed id or error longer than this is cut: one hostile event must not print megabytes.
MAX_PRINTED = 1_000
# How long a reader may take to start (an interpreter and its imports) before its first file.
STARTUP_S = 60.0
_ROOT = str(Path(__file__).resolve().parents[2])  # the directory holding `service/`
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
    except RecursionError:
        raise UnreadableFile("JSON nested too deeply to be a calendar") from None
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


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


Result = tuple[Meeting | SkippedEvent, str | None]  # an event, and the owner guess to say


def _results(path: Path, fmt: Format | None, owner: str | None) -> Iterator[Result]:
    """Each event of a file, with the reason every line carries when its owner was guessed."""
    data = _read(path)
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper()
    if fmt == "ics" or (fmt is None and head.startswith(b"BEGIN:VCALENDAR")):
        calendar = given_owner(owner) if owner else ics_owner(data)
        try:
            for result in read_events(data, calendar.address):
                yield result, calendar.guessed
        except InvalidFeed as exc:
            raise UnreadableFile(f"not a readable iCalendar file: {exc}") from None
        return
    parsed = _parse_json(data)
    found = fmt or _sniff_json(parsed)
    if found is None:
        raise UnreadableFile("unknown format: neither iCalendar, Google nor Graph events")
    events = _events(parsed)
    normalise: Callable[[Mapping[str, object], str], Meeting | SkippedEvent]
    normalise = google_event if found == "google" else graph_event
    who: Owner
    if owner:
        who = given_owner(owner)
    else:  # the calendar's own markers, else a guess the lines say, else no one
        who = google_owner(events) if found == "google" else graph_owner(events)
    for event in events:
        if not isinstance(event, Mapping):
            skip = SkippedEvent(None, f"event is not a JSON object but {type(event).__name__}")
            yield skip, None
            continue
        try:
            yield normalise(event, who.address), who.guessed
        except (RecursionError, ValueError, TypeError, KeyError) as exc:
            yield SkippedEvent(_str(event.get("id")), f"could not read this event ({exc!r})"), None


def classification_fields(got: Classification) -> dict[str, object]:
    """A classification as `rapport classify` prints it (`rapport meetings` prints the same).

    The reasons are the stored ones (`scrub_reason`: no dial-in numbers), so both commands say
    the same thing of the same event.
    """
    return {
        "modality": got.modality.value,
        "provider": got.provider,
        "hybrid": got.hybrid,
        "one_on_one": got.one_on_one,
        "is_meeting": got.is_meeting,
        "reasons": [scrub_reason(reason) for reason in got.reasons],
    }


def _short(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_PRINTED:
        return text
    return text[:MAX_PRINTED] + "…"


def _line(
    path: Path, result: Meeting | SkippedEvent, guessed: str | None = None
) -> dict[str, object]:
    """One output line: the event's id and title (a private event's is never shown) and its
    classification; `guessed` (how the owner was guessed) is added to its reasons."""
    if isinstance(result, SkippedEvent):
        return {
            "file": str(path),
            "id": _short(result.source_id),
            "modality": None,
            "error": _short(result.reason),
        }
    got = classify(result)
    line: dict[str, object] = {
        "file": str(path),
        "id": _short(result.uid),
        "title": _short(result.title),
        **classification_fields(got),
    }
    if result.private:
        line["private"] = True
    if guessed is not None:
        line["reasons"] = [*got.reasons, guessed]
    if result.recurring:
        line["instance"] = result.instance_start.isoformat()
    return line


def _json_line(line: Mapping[str, object]) -> str:
    """One JSON line that any UTF-8 stream accepts (a lone surrogate is escaped, not written)."""
    text = json.dumps(line, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(line, ensure_ascii=True)
    return text


@dataclass(frozen=True, slots=True)
class Guard:
    """The limits each file is read under: seconds per file, bytes of memory for the reader."""

    timeout_s: float = 30.0
    memory_bytes: int = 1024**3


def _send(message: str) -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def _child_lines(paths: Sequence[str], fmt: Format | None, owner: str | None) -> None:
    """In the child: classify each file, framing its lines with start and end markers."""
    for index, name in enumerate(paths):
        _send(json.dumps({"start": index}))
        path = Path(name)
        try:
            for result, guessed in _results(path, fmt, owner):
                _send(json.dumps({"line": _json_line(_line(path, result, guessed))}))
        except UnreadableFile as exc:
            _send(json.dumps({"unreadable": _short(str(exc))}))
        except RecursionError:
            _send(json.dumps({"unreadable": "nested too deeply to be a calendar"}))
        except MemoryError:
            _send(json.dumps({"memory": True}))
            return
        _send(json.dumps({"done": index}))


def _child() -> int:
    """`python -m service.cli.classify`: the request on stdin, framed lines on stdout."""
    from integrations.ics.isolate import limit_memory

    request = json.loads(sys.stdin.read())
    limit_memory(int(request["memory_bytes"]))
    sys.setrecursionlimit(2_000)
    _child_lines(request["paths"], request["fmt"], request["owner"])
    return 0


class _Reader:
    """One child reading some files; its stdout lines arrive through a queue."""

    def __init__(self, paths: Sequence[Path], fmt: Format | None, owner: str | None, guard: Guard):
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": _ROOT if not path else _ROOT + os.pathsep + path}
        # A file, not a pipe: a chatty child can never block on a full stderr pipe.
        self.errors: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115  # closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "service.cli.classify"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            env=env,
        )
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        request = {"paths": [str(p) for p in paths], "fmt": fmt, "owner": owner,
                   "memory_bytes": guard.memory_bytes}  # fmt: skip
        self.process.stdin.write(json.dumps(request).encode("utf-8"))
        self.process.stdin.close()
        self.lines: queue.Queue[bytes] = queue.Queue()
        self.pump = threading.Thread(target=self._pump, args=(self.process.stdout,), daemon=True)
        self.pump.start()

    def _pump(self, stdout: IO[bytes]) -> None:
        for raw in stdout:
            self.lines.put(raw)
        self.lines.put(b"")

    def next(self, deadline: float) -> dict[str, object] | None:
        """The next framed message; None at the end or when the deadline passed (killed)."""
        left = deadline - time.monotonic()
        try:
            if left <= 0:
                raise queue.Empty
            raw = self.lines.get(timeout=left)
        except queue.Empty:
            self.stop()
            return None
        if not raw:
            return None
        message: dict[str, object] = json.loads(raw)
        return message

    def stop(self) -> None:
        """Kill the child (if it still runs) and wait for it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.pump.join()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.errors.close()


def _failure(guard: Guard, *, timed_out: bool) -> str:
    """Why a child stopped in the middle of a file, in words."""
    if timed_out:
        return f"took longer than {guard.timeout_s:g} s to read"
    mb = guard.memory_bytes // 1024**2
    return f"needed more than {mb} MB of memory to read, or crashed the reader"


def classify_files(
    paths: Sequence[Path],
    fmt: Format | None,
    out: TextIO,
    err: TextIO,
    owner: str | None = None,
    guard: Guard = Guard(),
) -> int:
    """Classify every event of every file, one JSON line each; 2 if any file was unreadable.

    Each file is read in a child process within `guard`'s limits (see the module docstring).
    """
    who = normalise_email(owner) if owner else None
    if owner is not None and (who is None or "@" not in who):
        err.write(f"rapport classify: --owner {owner!r} is not an email address\n")
        return 2
    code = 0
    todo = list(paths)
    while todo:
        reader = _Reader(todo, fmt, who, guard)
        index, failure, unreadable = _forward(reader, todo, out, err, guard)
        reader.stop()
        code = 2 if unreadable or failure else code
        if failure is None:
            break
        if index < 0:  # the reader did not even start: no file can be read
            for path in todo:
                err.write(f"rapport classify: {path}: {failure}\n")
            break
        err.write(f"rapport classify: {todo[index]}: {failure}\n")
        todo = todo[index + 1 :]
    return code


def _forward(
    reader: _Reader, todo: Sequence[Path], out: TextIO, err: TextIO, guard: Guard
) -> tuple[int, str | None, bool]:
    """Copy a reader's lines out until it finishes or fails.

    Returns (the index of the file it was on, why it failed or None, whether a file was
    unreadable). Each file gets `guard.timeout_s` from its start; the child's start-up gets
    `STARTUP_S`.
    """
    index, unreadable = -1, False
    deadline = time.monotonic() + max(guard.timeout_s, STARTUP_S)
    while True:
        message = reader.next(deadline)
        if message is None:
            if time.monotonic() >= deadline:
                return index, _failure(guard, timed_out=index >= 0), unreadable
            return index, _failure(guard, timed_out=False), unreadable
        if "start" in message:
            index = int(str(message["start"]))
            deadline = time.monotonic() + guard.timeout_s
        elif "line" in message:
            out.write(f"{message['line']}\n")
        elif "unreadable" in message:
            err.write(f"rapport classify: {todo[index]}: {message['unreadable']}\n")
            unreadable = True
        elif "memory" in message:
            return index, _failure(guard, timed_out=False), unreadable
        elif "done" in message and index == len(todo) - 1:
            return index, None, unreadable


if __name__ == "__main__":
    sys.exit(_child())
