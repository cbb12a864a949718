"""normalise_email: the one form addresses take in connectors, storage and email."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain.model import MAX_EMAIL, email_key, normalise_email


@pytest.mark.parametrize(
    ("given_address", "expected"),
    [
        (" Ana@Example.COM ", "ana@example.com"),
        ("MAILTO:ana@example.com", "ana@example.com"),
        ("mailto: mailto:Ana@example.com", "ana@example.com"),
        ("\x00 ana@exa\x00mple.com", "ana@example.com"),
        ("ana\ud800@example.com", "ana?@example.com"),
        ("Zoë@Example.com", "zoë@example.com"),
        ("", None),
        (None, None),
        ("  mailto:  ", None),
        ("\x00", None),
        ("a" * (MAX_EMAIL - 12) + "@example.com", "a" * (MAX_EMAIL - 12) + "@example.com"),
        ("a" * (MAX_EMAIL - 11) + "@example.com", None),
    ],
)
def test_normalise_email_cases(given_address: str | None, expected: str | None) -> None:
    assert normalise_email(given_address) == expected


@given(st.text(alphabet=st.one_of(st.sampled_from(" \x00\t:mailtoMAILTO@"), st.characters())))
def test_normalise_email_is_stable_clean_and_bounded(text: str) -> None:
    found = normalise_email(text)
    if found is None:
        return
    assert normalise_email(found) == found
    assert email_key(found) == found
    assert "\x00" not in found
    assert 0 < len(found) <= MAX_EMAIL
    found.encode("utf-8")
