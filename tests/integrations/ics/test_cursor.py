"""IcsCursor: read back what was stored, never keeping a validator a request could not send."""

from __future__ import annotations

import json

import pytest

from integrations.ics.cursor import IcsCursor


def test_read_cursor_round_trip() -> None:
    cursor = IcsCursor(
        '"v1"', "Wed, 01 May 2024 10:00:00 GMT", "0" * 64, "2024-01-01", "2025-01-01"
    )
    assert IcsCursor.parse(cursor.dump()) == cursor


@pytest.mark.parametrize("text", [None, "", "{not json", "[1, 2]", "1" * 5000, "[" * 100_000])
def test_read_cursor_unreadable_starts_afresh(text: str | None) -> None:
    assert IcsCursor.parse(text) == IcsCursor()


@pytest.mark.parametrize("value", ['"caf\u00e9"', "a\r\nX-Evil: 1", " padded ", "x" * 600, 42])
def test_read_cursor_unsafe_validators_dropped(value: object) -> None:
    cursor = IcsCursor.parse(json.dumps({"etag": value, "last_modified": value, "sha256": "ab"}))
    assert cursor.etag is None
    assert cursor.last_modified is None
    assert cursor.sha256 == "ab"
    assert json.loads(IcsCursor(etag="\u00e9").dump())["etag"] is None
