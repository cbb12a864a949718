"""Small builders for iCalendar test data, and where the shared real-world calendars live."""

from __future__ import annotations

from pathlib import Path

OWNER = "owner@example.com"
# The shared real-world calendars, read in place (never copied into the repository).
REALWORLD_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "realworld-ics"


def vevent(*lines: str, uid: str | None = "ev-1") -> str:
    """One VEVENT from property lines (a UID line first unless uid is None)."""
    head = [f"UID:{uid}"] if uid is not None else []
    return "\r\n".join(["BEGIN:VEVENT", *head, *lines, "END:VEVENT"])


def calendar(*components: str, header: tuple[str, ...] = ()) -> bytes:
    """A VCALENDAR around the components, CRLF line ends, as bytes."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Rapport tests//EN",
        *header,
        *components,
        "END:VCALENDAR",
        "",
    ]
    return "\r\n".join(lines).encode("utf-8")
