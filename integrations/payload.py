"""Readers of JSON payload fields, shared by the Google and Graph normalisers; `SkipEvent`, for all.

A provider payload is `Mapping[str, object]` until normalised: every reader checks the type of
what it reads and answers `None`, `False` or an empty value when the field is absent or of the
wrong type, so one bad field never stops the event (or the page) it is in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

MAX_TIME_TEXT = 64  # an RFC 3339 timestamp is ~30 characters: longer text is not a time
MAX_ATTENDEES = 5000
EMPTY: Mapping[str, object] = MappingProxyType({})


class SkipEvent(Exception):
    """Raised while reading one event; it becomes a SkippedEvent with this message as reason."""


def text(payload: Mapping[str, object], key: str) -> str | None:
    """The stripped string at `key`; None when absent, empty or not a string."""
    value = payload.get(key)
    if type(value) is str or isinstance(value, str):  # the exact type first: the common case
        return value.strip() or None
    return None


def mapping(payload: Mapping[str, object], key: str) -> Mapping[str, object]:
    """The JSON object at `key`; an empty mapping when absent or not an object."""
    value = payload.get(key)
    if type(value) is dict:  # what json.loads makes: skip the slower ABC check
        return value
    return value if value is not None and isinstance(value, Mapping) else EMPTY


def mappings(payload: Mapping[str, object], key: str, limit: int) -> list[Mapping[str, object]]:
    """The JSON objects of the list at `key` (at most `limit` items read); others are dropped."""
    value = payload.get(key)
    if type(value) is not list and (
        not isinstance(value, Sequence) or isinstance(value, str | bytes)
    ):
        return []
    return [item for item in value[:limit] if type(item) is dict or isinstance(item, Mapping)]


def texts(payload: Mapping[str, object], key: str, limit: int) -> list[str]:
    """The non-empty, stripped strings of the list at `key` (at most `limit` items read)."""
    value = payload.get(key)
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        return []
    return [item.strip() for item in value[:limit] if isinstance(item, str) and item.strip()]


def flag(payload: Mapping[str, object], key: str) -> bool:
    """True only for a JSON `true` at `key`."""
    return payload.get(key) is True
