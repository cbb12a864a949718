"""Zone names that are not zones: a tzdata folder ("America"), a path, junk. Never a crash.

ZoneInfo("America") raises IsADirectoryError (an OSError, neither ZoneInfoNotFoundError nor
ValueError); every place that reads a zone name from a calendar, a setting or a row must
treat it as unknown.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from integrations.google import normalise_event as google_event
from integrations.ics.props import zone as ics_zone
from integrations.microsoft import normalise_event as graph_event
from service.config import Settings
from service.domain.model import Meeting
from service.domain.port import SkippedEvent
from service.domain.zones import known_zone
from service.email.context import require_timezone

NOT_ZONES = ["America", "Europe", "Etc", "America/", "../America", "/etc", "Mars/Olympus", " "]
OWNER = "maria.garcia@northwind.example"


@pytest.mark.parametrize("name", NOT_ZONES)
def test_domain_zone_is_none_for_names_that_are_not_zones(name: str) -> None:
    assert known_zone(name) is None
    assert ics_zone(name) is None


def test_domain_zone_reads_real_names() -> None:
    found = known_zone("Europe/London")
    assert found is not None
    assert str(found) == "Europe/London"


def _google(time_zone: str) -> dict[str, object]:
    return {
        "id": "evt1",
        "iCalUID": "evt1@google.com",
        "status": "confirmed",
        "start": {"dateTime": "2024-04-16T10:00:00", "timeZone": time_zone},
        "end": {"dateTime": "2024-04-16T10:30:00", "timeZone": time_zone},
    }


def _graph(time_zone: str) -> dict[str, object]:
    return {
        "id": "AAMk1",
        "iCalUId": "040000008200E00074C5B7101A82E008",
        "start": {"dateTime": "2024-04-16T10:00:00.0000000", "timeZone": time_zone},
        "end": {"dateTime": "2024-04-16T10:30:00.0000000", "timeZone": time_zone},
    }


@pytest.mark.parametrize("name", NOT_ZONES)
def test_normalisers_fall_back_to_the_default_zone(name: str) -> None:
    for normalise, payload in ((google_event, _google(name)), (graph_event, _graph(name))):
        meeting = normalise(payload, OWNER, "UTC")
        assert isinstance(meeting, Meeting), meeting
        assert meeting.start == datetime(2024, 4, 16, 10, tzinfo=UTC)


@pytest.mark.parametrize("name", NOT_ZONES)
def test_normalisers_skip_with_a_reason_when_the_default_zone_is_not_a_zone(name: str) -> None:
    for normalise, payload in ((google_event, _google("UTC")), (graph_event, _graph("UTC"))):
        result = normalise(payload, OWNER, name)
        assert isinstance(result, SkippedEvent), result
        assert "time zone" in result.reason


@pytest.mark.parametrize("name", ["America", "Europe"])
def test_settings_and_email_refuse_a_folder_name_clearly(name: str) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        Settings(default_timezone=name)
    with pytest.raises(ValueError, match="unknown time zone"):
        require_timezone("timezone", name)
