"""Email contexts validate themselves: each bad field named, stored strings made members."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from service.domain.vocabulary import NudgeKind, Role
from service.email import DailyBriefing, WeekAtAGlance
from tests.fixtures.email_builders import PREFERENCES, UNSUBSCRIBE, nudge


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "pep_talk"}, "kind"),
        ({"role": "boss"}, "role"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"meeting_start": datetime(2026, 11, 24, 14, 30)}, "meeting_start"),  # noqa: DTZ001
        ({"unsubscribe_url": "javascript:alert(1)"}, "unsubscribe_url"),
        ({"preferences_url": "https://x.example/a b"}, "preferences_url"),
        ({"recipient_email": "not an address"}, "recipient_email"),
        ({"variant": -1}, "variant"),
    ],
)
def test_build_nudge_rejects_bad_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        nudge(**overrides)


def test_build_week_rejects_negative_counts() -> None:
    with pytest.raises(ValueError, match="video"):
        WeekAtAGlance(meetings_by_modality={"video": -1})


def test_build_nudge_stored_strings_become_members() -> None:
    n = nudge(kind="one_on_one", role="organizer")
    assert (n.kind, n.role) == (NudgeKind.ONE_ON_ONE, Role.ORGANIZER)
    assert (type(n.kind), type(n.role)) == (NudgeKind, Role)


def test_build_nudge_unknown_kind_lists_the_kinds() -> None:
    with pytest.raises(ValueError, match="kind must be one of camera_on, switch_to_video"):
        nudge(kind="pep_talk")


def test_build_briefing_refuses_other_recipients_items() -> None:
    with pytest.raises(ValueError, match="recipient"):
        DailyBriefing(
            briefing_id=3,
            recipient_email="ana@example.com",
            recipient_name="Ana",
            timezone="UTC",
            date=date(2026, 11, 24),
            items=(nudge(recipient_email="ben@example.com"),),
            reason="x",
            preferences_url=PREFERENCES,
            unsubscribe_url=UNSUBSCRIBE,
        )


def test_build_briefing_compares_recipients_case_insensitively() -> None:
    briefing = DailyBriefing(
        briefing_id=3,
        recipient_email="Ana@Example.com",
        recipient_name="Ana",
        timezone="UTC",
        date=date(2026, 11, 24),
        items=(nudge(recipient_email="ana@example.COM"),),
        reason="x",
        preferences_url=PREFERENCES,
        unsubscribe_url=UNSUBSCRIBE,
    )
    assert len(briefing.items) == 1
