"""Dial-in numbers: the cheap digit count never hides a number the full reading would find."""

from __future__ import annotations

import pytest

from service.domain.classify.phone import dial_in, is_phone_only


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Dial-in: +44 20 3855 4748\nPIN: 8812 4490#", "+44 20 3855 4748"),
        ("Conference call 030 1234567, PIN 1234", "030 1234567"),
        ("電話会議 03-1234-5678 パスコード 1234", "03-1234-5678"),
    ],
)
def test_read_dial_in_number_found(text: str, number: str) -> None:
    """Bridge numbers are found, in non-ASCII text too (which skips the digit count)."""
    assert dial_in(text) == (number, True)


@pytest.mark.parametrize(
    "text",
    ["Lunch and a walk through the plan.", "Dial-in: +44 20 38", "PIN 123456", ""],
)
def test_read_dial_in_too_few_digits_none(text: str) -> None:
    """Text with fewer than seven digits holds no bridge number."""
    assert dial_in(text) is None
    assert is_phone_only(text) is None


def test_read_phone_only_location_number() -> None:
    """A location that is just a number with a word is a phone bridge."""
    assert is_phone_only("Dial-in +1 415 555 0100") == "+1 415 555 0100"
