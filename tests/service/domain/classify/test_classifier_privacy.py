"""A private meeting's classification: the same labels, no place or room named in its reasons."""

from __future__ import annotations

from service.domain.classify import classify
from service.domain.model import Modality, Sensitivity
from tests.service.domain.classify.helpers import TEAM, meeting, room

PLACE = "Oncology clinic, 4 Hill Street"


def test_classify_private_meeting_labels_kept_places_unnamed() -> None:
    attendees = (*TEAM, room("HR Room 3"))
    normal = classify(meeting(location=PLACE, attendees=attendees))
    private = classify(
        meeting(location=PLACE, attendees=attendees, sensitivity=Sensitivity.PRIVATE)
    )
    assert (private.modality, private.one_on_one, private.is_meeting) == (
        normal.modality,
        normal.one_on_one,
        normal.is_meeting,
    )
    assert private.modality is Modality.IN_PERSON
    assert any("HR Room 3" in r for r in normal.reasons)
    assert private.reasons[0] == "private meeting: title and places not shown"
    assert "room resource" in private.reasons
    assert "physical location" in private.reasons
    assert not any("HR Room" in r or "Oncology" in r or "Hill" in r for r in private.reasons)


def test_classify_private_video_meeting_names_provider() -> None:
    got = classify(
        meeting(
            location="https://meet.google.com/abc-defg-hij",
            sensitivity=Sensitivity.CONFIDENTIAL,
        )
    )
    assert (got.modality, got.provider) == (Modality.VIDEO, "google_meet")
    assert "Google Meet join link in the location" in got.reasons
