"""Meeting.sensitivity: a private meeting keeps its times and people, never its title."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain.model import PRIVATE_TITLE, Attendee, Meeting, Sensitivity

START = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def _meeting(**kw: object) -> Meeting:
    fields: dict[str, object] = {
        "uid": "u1",
        "start": START,
        "end": START + timedelta(minutes=30),
        "owner": "ana@example.com",
        "title": "Redundancy consultation: Ben",
        "attendees": (Attendee("ana@example.com", is_owner=True), Attendee("ben@example.com")),
    }
    fields.update(kw)
    return Meeting(**fields)  # type: ignore[arg-type]  # test builder


def test_create_meeting_default_is_normal_and_keeps_title() -> None:
    meeting = _meeting()
    assert meeting.sensitivity is Sensitivity.NORMAL
    assert not meeting.private
    assert meeting.title == "Redundancy consultation: Ben"


@pytest.mark.parametrize(
    "sensitivity", [Sensitivity.PRIVATE, Sensitivity.CONFIDENTIAL, Sensitivity.PERSONAL]
)
def test_create_meeting_private_title_replaced_rest_kept(sensitivity: Sensitivity) -> None:
    meeting = _meeting(sensitivity=sensitivity)
    assert meeting.private
    assert meeting.title == PRIVATE_TITLE
    assert meeting.start == START
    assert meeting.attendees is not None
    assert len(meeting.attendees) == 2


def test_replace_meeting_made_private_loses_title() -> None:
    """A copy marked private afterwards cannot keep the old title either."""
    private = replace(_meeting(), sensitivity=Sensitivity.PRIVATE)
    assert private.title == PRIVATE_TITLE
    assert replace(private, title="Salary review").title == PRIVATE_TITLE


def test_create_meeting_sensitivity_not_an_enum_refused() -> None:
    with pytest.raises(ValueError, match="sensitivity must be a Sensitivity"):
        _meeting(sensitivity="secret")


@given(st.text(max_size=200), st.sampled_from(list(Sensitivity)))
def test_create_meeting_title_only_kept_when_normal(title: str, sensitivity: Sensitivity) -> None:
    meeting = _meeting(title=title, sensitivity=sensitivity)
    assert meeting.title == (title if sensitivity is Sensitivity.NORMAL else PRIVATE_TITLE)
