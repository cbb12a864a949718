"""IANA time zones by name, where a bad name is simply unknown."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def known_zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone of that name, or None when it is unknown, malformed or empty.

    ZoneInfo raises more than ZoneInfoNotFoundError: ValueError for a path-like key, and
    OSError (IsADirectoryError) for a tzdata folder such as "America".
    """
    if not name or name != name.strip():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
