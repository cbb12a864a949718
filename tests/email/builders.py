"""Builders for email contexts shared by the email tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from service.email import LapsedContact, NudgeEmail, WeekAtAGlance, WeeklyReport, lapsed_contact

PREFERENCES = "https://rapport.example.com/me/preferences?t=abc"
UNSUBSCRIBE = "https://rapport.example.com/unsubscribe/tok_0123456789abcdef0123456789abcdef"


def nudge(**overrides: Any) -> NudgeEmail:
    """A valid nudge with sensible defaults; any field can be overridden."""
    values: dict[str, Any] = {
        "nudge_id": 42,
        "revision": 1,
        "kind": "camera_on",
        "variant": 0,
        "role": "attendee",
        "recipient_email": "ana@example.com",
        "recipient_name": "Ana Silva",
        "meeting_title": "Design review",
        "meeting_start": datetime(2026, 11, 24, 14, 30, tzinfo=UTC),
        "timezone": "Europe/London",
        "modality": "video",
        "provider": "google_meet",
        "human_count": 6,
        "contact_name": None,
        "last_met": None,
        "reason": "you accepted a video meeting that starts soon",
        "preferences_url": PREFERENCES,
        "unsubscribe_url": UNSUBSCRIBE,
    }
    values.update(overrides)
    return NudgeEmail(**values)


def contact(name: str | None = "Ben Okafor", email: str = "ben@example.com") -> LapsedContact:
    """A lapsed relationship with real schedule links."""
    return lapsed_contact(
        contact_email=email,
        contact_name=name,
        last_met=date(2026, 10, 2),
        cadence_days=14.0,
        days_since=53,
    )


def report(**overrides: Any) -> WeeklyReport:
    """A valid weekly report with sensible defaults."""
    values: dict[str, Any] = {
        "report_id": 7,
        "recipient_email": "ana@example.com",
        "recipient_name": "Ana Silva",
        "timezone": "Europe/London",
        "week_start": date(2026, 11, 16),
        "lapsed": (contact(),),
        "week": WeekAtAGlance(
            meetings_by_modality={"video": 12, "in_person": 3, "audio": 1},
            one_on_ones=4,
            nudges_sent=5,
            nudges_acted=2,
            hours_in_meetings=14.5,
        ),
        "preferences_url": PREFERENCES,
        "unsubscribe_url": UNSUBSCRIBE,
    }
    values.update(overrides)
    return WeeklyReport(**values)
