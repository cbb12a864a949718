"""The Google normaliser's fast path gives exactly what the careful path gives, or defers to it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.google._fast import Doubt, fast_meeting
from integrations.google._fields import _Skip
from integrations.google.normalise import _build, normalise_event
from service.domain.model import Meeting

CORPUS = sorted((Path(__file__).resolve().parents[2] / "corpus" / "google").glob("*.json"))
ZONE = ZoneInfo("Europe/Lisbon")
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from(
        ["", "  ", " x@y.com ", "2026-03-29T01:30:00", "2026-03-29T01:30:00+01:00", "2026-03-29",
         "Europe/Lisbon", "Mars/Base", "accepted", "declined", "video", "phone", "hangoutsMeet",
         "https://meet.google.com/abc-defg-hij", "transparent", "cancelled", "focusTime"]
    ),
    st.lists(st.just({"email": "a@b.com"}), max_size=2),
    st.dictionaries(st.sampled_from(["dateTime", "date", "timeZone", "email", "type"]),
                    st.sampled_from(["2026-03-29T10:00:00Z", "Europe/Lisbon", "", "a@b.com"]),
                    max_size=3),
)  # fmt: skip


def _careful(payload: dict[str, object], owner: str) -> object:
    try:
        return _build(payload, owner, ZONE)
    except (_Skip, ValueError) as exc:
        return exc


def _same_or_doubt(payload: dict[str, object], owner: str) -> None:
    try:
        fast = fast_meeting(payload, owner, ZONE)
    except (Doubt, ValueError):
        return
    assert fast == _careful(payload, owner)
    assert isinstance(fast, Meeting)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_normalise_google_fast_path_corpus_same_as_careful(path: Path) -> None:
    """Every corpus event: the fast path's Meeting equals the careful one, field by field."""
    case = json.loads(path.read_text(encoding="utf-8"))
    _same_or_doubt(case["payload"], case["owner"])
    careful = _careful(case["payload"], case["owner"])
    if isinstance(careful, Meeting):
        assert normalise_event(case["payload"], case["owner"], "Europe/Lisbon") == careful


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(
    index=st.integers(0, len(CORPUS) - 1),
    edits=st.lists(
        st.tuples(
            st.sampled_from(["", "start", "end", "organizer", "conferenceData", "attendees"]),
            st.sampled_from(
                ["id", "iCalUID", "summary", "status", "start", "end", "dateTime", "timeZone",
                 "attendees", "attendeesOmitted", "organizer", "email", "hangoutLink",
                 "conferenceData", "entryPoints", "recurrence", "recurringEventId", "eventType",
                 "transparency", "originalStartTime", "endTimeUnspecified", "location"]
            ),
            VALUES,
        ),
        max_size=4,
    ),
)  # fmt: skip
def test_normalise_google_fast_path_mutated_same_as_careful(
    index: int, edits: list[tuple[str, str, object]]
) -> None:
    """Mutated corpus events: the fast path agrees with the careful path or hands over."""
    case = json.loads(CORPUS[index].read_text(encoding="utf-8"))
    payload = copy.deepcopy(case["payload"])
    for where, key, value in edits:
        target = payload.get(where) if where else payload
        if isinstance(target, dict):
            target[key] = value
    _same_or_doubt(payload, case["owner"])
