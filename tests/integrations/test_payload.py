"""The shared readers of Google and Graph payload fields: wrong types read as absent."""

from __future__ import annotations

from collections import OrderedDict

import pytest

from integrations.payload import EMPTY, SkipEvent, flag, mapping, mappings, text, texts


@pytest.mark.parametrize(
    ("value", "expected"),
    [(" Weekly sync ", "Weekly sync"), ("   ", None), ("", None), (3, None), (None, None)],
)
def test_text_field_stripped_or_none(value: object, expected: str | None) -> None:
    """A string is stripped; empty, blank and non-strings read as None."""
    assert text({"summary": value}, "summary") == expected
    assert text({}, "summary") is None


def test_mapping_object_or_empty() -> None:
    """A JSON object is returned as is; absent or any other type reads as the empty mapping."""
    inner = {"dateTime": "2026-03-29T10:00:00Z"}
    assert mapping({"start": inner}, "start") is inner
    ordered = OrderedDict(inner)
    assert mapping({"start": ordered}, "start") is ordered
    for value in (None, "2026-03-29", ["a"], 1, True):
        assert mapping({"start": value}, "start") is EMPTY
    assert mapping({}, "start") is EMPTY
    assert text(mapping(mapping({}, "organizer"), "emailAddress"), "address") is None


def test_mapping_empty_is_read_only() -> None:
    """The shared empty mapping cannot be changed by a caller."""
    with pytest.raises(TypeError):
        EMPTY["x"] = 1  # type: ignore[index]  # the point of the test


def test_mappings_keeps_objects_up_to_limit() -> None:
    """Only the objects of a list are kept, and only the first `limit` items are read."""
    items = [{"email": "a@x.com"}, "b@x.com", None, {"email": "c@x.com"}, {"email": "d@x.com"}]
    assert mappings({"attendees": items}, "attendees", 4) == [items[0], items[3]]
    assert mappings({"attendees": ({"email": "a@x.com"},)}, "attendees", 4) == [items[0]]
    for value in ("abc", b"abc", {"email": "a@x.com"}, None, 7):
        assert mappings({"attendees": value}, "attendees", 4) == []


def test_texts_keeps_non_empty_strings() -> None:
    """A list of strings is stripped, blanks and other types dropped, up to `limit` items."""
    value = [" +1 555 0100 ", "", 5, "+44 20 7946 0000", "+33 1 00 00 00 00"]
    assert texts({"n": value}, "n", 4) == ["+1 555 0100", "+44 20 7946 0000"]
    assert texts({"n": "+1 555 0100"}, "n", 4) == []


@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False), ("true", False)])
def test_flag_only_json_true(value: object, expected: bool) -> None:
    """Only a JSON `true` sets a flag (not "true", not 1)."""
    assert flag({"self": value}, "self") is expected
    assert flag({"self": 1}, "self") is False


def test_skip_carries_reason() -> None:
    """A SkipEvent says why the event was skipped."""
    assert str(SkipEvent("no start time")) == "no start time"
