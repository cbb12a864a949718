"""Google `visibility`: a private event keeps its times and people, never its summary."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.google import normalise_event
from service.domain.model import PRIVATE_TITLE, Meeting, Sensitivity

OWNER = "me@example.com"
SUMMARY = "Grievance hearing: Ben"


def _event(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "evt1",
        "iCalUID": "evt1@google.com",
        "summary": SUMMARY,
        "location": "HR room 2",
        "description": "https://meet.google.com/abc-defg-hij",
        "transparency": "opaque",
        "start": {"dateTime": "2026-04-16T10:00:00Z"},
        "end": {"dateTime": "2026-04-16T10:30:00Z"},
        "attendees": [
            {"email": OWNER, "self": True, "responseStatus": "accepted"},
            {"email": "ben@example.com", "responseStatus": "accepted"},
        ],
    }
    base.update(fields)
    return base


def _meeting(**fields: object) -> Meeting:
    result = normalise_event(_event(**fields), OWNER)
    assert isinstance(result, Meeting), result
    return result


@pytest.mark.parametrize(
    ("visibility", "expected"),
    [
        ("private", Sensitivity.PRIVATE),
        ("confidential", Sensitivity.CONFIDENTIAL),
        ("Private", Sensitivity.PRIVATE),
        ("secret-new-value", Sensitivity.PRIVATE),  # unknown: private, to be safe
        (7, Sensitivity.PRIVATE),
    ],
)
def test_normalise_google_private_visibility_hides_summary(
    visibility: object, expected: Sensitivity
) -> None:
    meeting = _meeting(visibility=visibility)
    assert meeting.sensitivity is expected
    assert meeting.title == PRIVATE_TITLE
    # Times, busy/free and people stay; location and description stay in memory to classify.
    assert meeting.end > meeting.start
    assert not meeting.transparent
    assert meeting.attendees is not None
    assert {a.email for a in meeting.attendees} == {OWNER, "ben@example.com"}
    assert meeting.location == "HR room 2"
    assert SUMMARY not in repr(meeting)


@pytest.mark.parametrize("visibility", [None, "default", "public", ""])
def test_normalise_google_normal_visibility_keeps_summary(visibility: object) -> None:
    fields = {} if visibility is None else {"visibility": visibility}
    meeting = _meeting(**fields)
    assert meeting.sensitivity is Sensitivity.NORMAL
    assert meeting.title == SUMMARY


@given(st.one_of(st.none(), st.text(max_size=30), st.integers(), st.booleans()))
def test_normalise_google_any_visibility_is_read(visibility: object) -> None:
    """Whatever `visibility` holds, the event is read, and only a normal one keeps its title."""
    meeting = _meeting(visibility=visibility)
    assert (meeting.title == SUMMARY) is (meeting.sensitivity is Sensitivity.NORMAL)
