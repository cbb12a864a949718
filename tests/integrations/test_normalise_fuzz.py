"""Fuzzing the three normalisers and the classifier with random, mutated and truncated input.

Whatever a calendar sends, a normaliser returns a Meeting or a SkippedEvent with a reason (the
ICS reader may instead refuse a whole feed with InvalidFeed, a clear error), and classify()
never raises on a Meeting.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.google import normalise_event as google_event
from integrations.ics.normalise import InvalidFeed, read_events
from integrations.microsoft import normalise_event as graph_event
from service.domain.classify import classify
from service.domain.model import Classification, Meeting
from service.domain.port import SkippedEvent

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
OWNER = "owner@example.com"
# RAPPORT_FUZZ_EXAMPLES=5000 makes a soak of it (docs/performance.md); the suite runs 150 each.
FUZZ = settings(
    max_examples=int(os.environ.get("RAPPORT_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
JsonNormaliser = Callable[[Mapping[str, object], str, str], Meeting | SkippedEvent]
NORMALISERS: dict[str, JsonNormaliser] = {"google": google_event, "graph": graph_event}

GOOGLE_KEYS = [
    "kind",
    "id",
    "iCalUID",
    "status",
    "summary",
    "location",
    "description",
    "hangoutLink",
    "conferenceData",
    "attendees",
    "attendeesOmitted",
    "organizer",
    "creator",
    "eventType",
    "transparency",
    "start",
    "end",
    "originalStartTime",
    "recurringEventId",
    "recurrence",
    "endTimeUnspecified",
]
GRAPH_KEYS = [
    "id",
    "iCalUId",
    "subject",
    "body",
    "bodyPreview",
    "isOnlineMeeting",
    "onlineMeetingProvider",
    "onlineMeeting",
    "onlineMeetingUrl",
    "location",
    "locations",
    "attendees",
    "organizer",
    "isOrganizer",
    "responseStatus",
    "showAs",
    "isCancelled",
    "isAllDay",
    "type",
    "seriesMasterId",
    "originalStart",
    "start",
    "end",
    "@removed",
]
INNER_KEYS = [
    "dateTime",
    "date",
    "timeZone",
    "email",
    "displayName",
    "self",
    "resource",
    "organizer",
    "optional",
    "responseStatus",
    "entryPoints",
    "entryPointType",
    "uri",
    "label",
    "pin",
    "passcode",
    "conferenceSolution",
    "key",
    "type",
    "name",
    "joinUrl",
    "conferenceId",
    "tollNumber",
    "tollFreeNumbers",
    "phones",
    "number",
    "emailAddress",
    "address",
    "status",
    "response",
    "locationType",
    "displayName",
    "uniqueId",
    "locationEmailAddress",
    "content",
    "contentType",
]
PLAUSIBLE_TEXT = st.sampled_from(
    [
        "2024-04-16T10:00:00-07:00",
        "2024-04-16T17:00:00.0000000",
        "2024-04-16",
        "9999-12-31T23:59:59.9999999",
        "0001-01-01T00:00:00Z",
        "Pacific Standard Time",
        "America/Los_Angeles",
        "Customized Time Zone",
        "hangoutsMeet",
        "addOn",
        "video",
        "phone",
        "resource",
        "conferenceRoom",
        "teamsForBusiness",
        "cancelled",
        "transparent",
        "outOfOffice",
        "oof",
        "free",
        "https://meet.google.com/abc-defg-hij",
        "https://us02web.zoom.us/j/123?pwd=x",
        "tel:+1-555-0100",
        "a@example.com",
        OWNER,
        "",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    PLAUSIBLE_TEXT,
)
JSONISH = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(
            st.one_of(st.sampled_from(INNER_KEYS), st.text(max_size=8)), inner, max_size=6
        ),
    ),
    max_leaves=30,
)


def _payloads(keys: list[str]) -> st.SearchStrategy[dict[str, object]]:
    return st.dictionaries(st.sampled_from(keys), JSONISH, max_size=len(keys))


@cache
def _corpus_texts(fmt: str) -> tuple[str, ...]:
    """The payloads of the labelled corpus, serialised: real shapes to truncate and mutate."""
    texts = []
    for path in sorted((CORPUS / fmt).glob("*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))["payload"]
        texts.append(json.dumps(payload))
    return tuple(texts)


@cache
def _ics_texts() -> tuple[bytes, ...]:
    return tuple(path.read_bytes() for path in sorted((CORPUS / "ics").glob("*.ics")))


def _check(result: object) -> None:
    assert isinstance(result, Meeting | SkippedEvent), result
    if isinstance(result, SkippedEvent):
        assert result.reason.strip()
    else:
        assert isinstance(classify(result), Classification)


def _check_json(fmt: str, payload: Mapping[str, object]) -> None:
    _check(NORMALISERS[fmt](payload, OWNER, "UTC"))


@FUZZ
@given(payload=_payloads(GOOGLE_KEYS))
def test_fuzz_google_random_payload_never_raises(payload: dict[str, object]) -> None:
    _check_json("google", payload)


@FUZZ
@given(payload=_payloads(GRAPH_KEYS))
def test_fuzz_graph_random_payload_never_raises(payload: dict[str, object]) -> None:
    _check_json("graph", payload)


SKELETONS: dict[str, dict[str, object]] = {
    "google": {
        "id": "fuzz",
        "start": {"dateTime": "2024-04-16T10:00:00-07:00"},
        "end": {"dateTime": "2024-04-16T11:00:00-07:00"},
    },
    "graph": {
        "id": "fuzz",
        "start": {"dateTime": "2024-04-16T17:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2024-04-16T18:00:00.0000000", "timeZone": "UTC"},
    },
}


@FUZZ
@given(data=st.data(), fmt=st.sampled_from(["google", "graph"]))
def test_fuzz_json_valid_times_random_fields_make_meetings(data: st.DataObject, fmt: str) -> None:
    """Valid times and random everything else: people, conference and places paths all run."""
    keys = GOOGLE_KEYS if fmt == "google" else GRAPH_KEYS
    extra = data.draw(_payloads([k for k in keys if k not in ("start", "end", "@removed")]))
    payload = {**extra, **SKELETONS[fmt]}
    result = NORMALISERS[fmt](payload, OWNER, "UTC")
    _check(result)
    if not {"iCalUID", "iCalUId", "status", "originalStartTime"} & set(extra):
        assert isinstance(result, Meeting), result


@FUZZ
@given(data=st.data(), fmt=st.sampled_from(["google", "graph"]))
def test_fuzz_json_mutated_corpus_payload_never_raises(data: st.DataObject, fmt: str) -> None:
    """A real payload with some fields replaced by values of the wrong type, or dropped."""
    payload = json.loads(data.draw(st.sampled_from(_corpus_texts(fmt))))
    for key in data.draw(st.lists(st.sampled_from(sorted(payload)), max_size=4, unique=True)):
        if data.draw(st.booleans()):
            del payload[key]
        else:
            payload[key] = data.draw(JSONISH)
    _check_json(fmt, payload)


def _prefixes(text: str) -> Iterator[object]:
    """Truncations of a JSON text that still parse, after closing what was left open."""
    for tail in ("", '"', "}", '"}', "]}", '"]}', "}]}", "}}", '"}}', "}}}"):
        try:
            yield json.loads(text + tail)
        except ValueError:
            continue


@FUZZ
@given(data=st.data(), fmt=st.sampled_from(["google", "graph"]))
def test_fuzz_json_truncated_corpus_payload_never_raises(data: st.DataObject, fmt: str) -> None:
    text = data.draw(st.sampled_from(_corpus_texts(fmt)))
    cut = data.draw(st.integers(min_value=0, max_value=len(text)))
    for parsed in _prefixes(text[:cut]):
        if isinstance(parsed, Mapping):
            _check_json(fmt, parsed)
        else:
            result = NORMALISERS[fmt](parsed, OWNER, "UTC")  # type: ignore[arg-type]  # on purpose
            assert isinstance(result, SkippedEvent)


def _check_ics(data: bytes) -> None:
    try:
        results = list(read_events(data, OWNER))
    except InvalidFeed as exc:  # a clear, named refusal of the whole feed
        refusal = str(exc)
        results = []
        assert refusal.strip()
    for result in results:
        _check(result)


@FUZZ
@given(data=st.binary(max_size=2000))
def test_fuzz_ics_random_bytes_never_crash(data: bytes) -> None:
    _check_ics(data)


@FUZZ
@given(data=st.data())
def test_fuzz_ics_truncated_corpus_never_crash(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(_ics_texts()))
    cut = data.draw(st.integers(min_value=0, max_value=len(text)))
    end = b"" if data.draw(st.booleans()) else b"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    _check_ics(text[:cut] + end)


PATHOLOGICAL = (
    "1" * 200_000
    + " " * 200_000
    + "http://" * 30_000
    + '<a href="' * 20_000
    + "+1 (555) 0" * 10_000
    + "https://zoom.us/j/" * 10_000
)


def _finishes(work: Callable[[], object], limit: float = 300.0) -> bool:
    """Run `work` in a thread; True when it ends within a generous bound (not a benchmark)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    if errors:
        raise errors[0]
    return not thread.is_alive()


def test_fuzz_pathological_megabyte_body_normalises_and_classifies() -> None:
    """1 MB of digits, spaces, repeated 'http://' and '<a href=': linear work, no blow-up."""
    assert len(PATHOLOGICAL) >= 1_000_000
    google = {
        "id": "big",
        "start": {"dateTime": "2024-04-16T10:00:00Z"},
        "end": {"dateTime": "2024-04-16T11:00:00Z"},
        "description": PATHOLOGICAL,
        "location": PATHOLOGICAL[:100_000],
        "attendees": [{"email": OWNER, "self": True}, {"email": "b@example.com"}],
    }
    graph = {
        "id": "big",
        "start": {"dateTime": "2024-04-16T10:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2024-04-16T11:00:00.0000000", "timeZone": "UTC"},
        "body": {"contentType": "html", "content": PATHOLOGICAL},
        "location": {"displayName": PATHOLOGICAL[:100_000]},
        "attendees": [{"type": "required", "emailAddress": {"address": OWNER}}],
    }
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:big\r\n"
        "DTSTART:20240416T100000Z\r\nDTEND:20240416T110000Z\r\nDESCRIPTION:"
        + PATHOLOGICAL.replace("\\", "")
        + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()

    def work() -> None:
        _check_json("google", google)
        _check_json("graph", graph)
        _check_ics(ics)

    assert _finishes(work), "normalise + classify of a 1 MB body did not finish"
