"""The sample read the way the demo reads it: the real iCalendar connector and classifier."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from service.domain.classify import classify
from service.domain.model import Meeting, Modality
from service.sample import load_sample
from tests.service.sample.sample_meetings import meetings

NOWS = (datetime(2026, 1, 5, 7, 0, tzinfo=UTC), datetime(2026, 3, 26, 12, 0, tzinfo=UTC))


def _meetings(now: datetime) -> list[Meeting]:
    return meetings(load_sample(now), now - timedelta(days=30), now + timedelta(days=15))


@pytest.mark.parametrize("now", NOWS)
def test_read_sample_with_ics_connector_every_kind_classified(now: datetime) -> None:
    ahead = [meeting for meeting in _meetings(now) if meeting.start >= now]
    kinds = [(meeting, classify(meeting)) for meeting in ahead]
    meetings = [(meeting, found) for meeting, found in kinds if found.is_meeting]
    modalities = {found.modality for _, found in meetings}
    assert {Modality.VIDEO, Modality.AUDIO, Modality.IN_PERSON} <= modalities
    providers = {found.provider for _, found in meetings}
    assert {"zoom", "teams", "google_meet", "webex", "phone"} <= providers
    assert any(found.hybrid for _, found in meetings)
    assert any(found.one_on_one for _, found in meetings)
    assert any(meeting.recurring for meeting, _ in meetings)
    assert any(not found.is_meeting for _, found in kinds)


@pytest.mark.parametrize("now", NOWS)
def test_read_sample_with_ics_connector_local_times_kept(now: datetime) -> None:
    sample = load_sample(now)
    handovers = sorted(
        meeting.start
        for meeting in _meetings(now)
        if meeting.title == "Ops handover" and meeting.start >= sample.now
    )
    assert handovers
    for start in handovers:
        local = start.astimezone(ZoneInfo("Europe/London"))
        assert (local.hour, local.minute) == (9, 0)
        assert local.weekday() < 5
