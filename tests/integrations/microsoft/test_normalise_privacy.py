"""Graph `sensitivity`: a private event keeps its times and people, never its subject."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.microsoft import normalise_event
from service.domain.model import PRIVATE_TITLE, Meeting, Sensitivity

OWNER = "adele@contoso.example"
SUBJECT = "Salary review"


def _event(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "AAMkAGI=",
        "iCalUId": "040000008200E00074C5B7101A82E008",
        "subject": SUBJECT,
        "isOrganizer": True,
        "showAs": "busy",
        "organizer": {"emailAddress": {"name": "Adele", "address": OWNER}},
        "start": {"dateTime": "2026-04-16T17:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2026-04-16T17:30:00.0000000", "timeZone": "UTC"},
        "attendees": [
            {
                "type": "required",
                "status": {"response": "accepted"},
                "emailAddress": {"name": "Alex", "address": "alex@contoso.example"},
            }
        ],
    }
    base.update(fields)
    return base


def _meeting(**fields: object) -> Meeting:
    result = normalise_event(_event(**fields), OWNER)
    assert isinstance(result, Meeting), result
    return result


@pytest.mark.parametrize(
    ("sensitivity", "expected"),
    [
        ("private", Sensitivity.PRIVATE),
        ("personal", Sensitivity.PERSONAL),
        ("confidential", Sensitivity.CONFIDENTIAL),
        ("Confidential", Sensitivity.CONFIDENTIAL),
        ("topSecret", Sensitivity.PRIVATE),  # unknown: private, to be safe
        (["private"], Sensitivity.PRIVATE),
    ],
)
def test_normalise_graph_private_sensitivity_hides_subject(
    sensitivity: object, expected: Sensitivity
) -> None:
    meeting = _meeting(sensitivity=sensitivity)
    assert meeting.sensitivity is expected
    assert meeting.private
    assert meeting.title == PRIVATE_TITLE
    assert not meeting.transparent
    assert meeting.attendees is not None
    assert {a.email for a in meeting.attendees} == {OWNER, "alex@contoso.example"}
    assert SUBJECT not in repr(meeting)


@pytest.mark.parametrize("sensitivity", [None, "normal", ""])
def test_normalise_graph_normal_sensitivity_keeps_subject(sensitivity: object) -> None:
    fields = {} if sensitivity is None else {"sensitivity": sensitivity}
    meeting = _meeting(**fields)
    assert meeting.sensitivity is Sensitivity.NORMAL
    assert meeting.title == SUBJECT


@given(st.one_of(st.none(), st.text(max_size=30), st.integers(), st.booleans()))
def test_normalise_graph_any_sensitivity_is_read(sensitivity: object) -> None:
    """Whatever `sensitivity` holds, the event is read, and only a normal one keeps its title."""
    meeting = _meeting(sensitivity=sensitivity)
    assert (meeting.title == SUBJECT) is (meeting.sensitivity is Sensitivity.NORMAL)
