"""Schedule-a-catch-up links: Google Calendar and Outlook compose URLs, properly encoded."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from service.email import schedule_links


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)


def test_build_schedule_links_google_compose() -> None:
    google, _ = schedule_links("ben+work@example.com", "Ben & Co", "Catch-up: Ana / Ben?")
    parts = urlsplit(google)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "calendar.google.com",
        "/calendar/render",
    )
    assert _query(google) == {
        "action": ["TEMPLATE"],
        "text": ["Catch-up: Ana / Ben?"],
        "add": ["ben+work@example.com"],
        "details": ["A 30-minute catch-up with Ben & Co."],
    }
    assert " " not in google
    assert "+" not in parts.query  # a "+" would read as a space; the one in the address is %2B


def test_build_schedule_links_outlook_compose() -> None:
    _, outlook = schedule_links("ben@example.com", None, "Catch-up", duration_minutes=45)
    assert outlook.startswith("https://outlook.office.com/calendar/0/deeplink/compose?")
    assert _query(outlook) == {
        "subject": ["Catch-up"],
        "to": ["ben@example.com"],
        "body": ["A 45-minute catch-up with ben@example.com."],
    }


def test_build_schedule_links_with_start_sets_times() -> None:
    start = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    google, outlook = schedule_links("ben@example.com", "Ben", "Catch-up", 30, start=start)
    assert _query(google)["dates"] == ["20261201T100000Z/20261201T103000Z"]
    assert _query(outlook)["startdt"] == ["2026-12-01T10:00:00+00:00"]
    assert _query(outlook)["enddt"] == ["2026-12-01T10:30:00+00:00"]


@pytest.mark.parametrize(
    ("email", "minutes", "field"),
    [("not-an-address", 30, "contact_email"), ("a b@example.com", 30, "contact_email"),
     ("ben@example.com", 0, "duration_minutes")],
)  # fmt: skip
def test_build_schedule_links_rejects_bad_input(email: str, minutes: int, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        schedule_links(email, None, "Catch-up", minutes)
