"""Finding and unwrapping URLs in text and HTML."""

from __future__ import annotations

import pytest

from service.domain.classify.links import clean, find_urls, unwrap


def _urls(text: str) -> list[str]:
    return [url for _, url in find_urls(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('<a href="https://zoom.us/j/1?pwd=a&amp;x=1">Join</a>', "https://zoom.us/j/1?pwd=a&x=1"),
        (
            "Click here<https://teams.microsoft.com/l/meetup-join/19>",
            "https://teams.microsoft.com/l/meetup-join/19",
        ),
        ("Join at https://meet.google.com/abc-defg-hij.", "https://meet.google.com/abc-defg-hij"),
        ("(see https://whereby.com/acme)", "https://whereby.com/acme"),
        ("https://en.wikipedia.org/wiki/Foo_(bar)", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("link:'https://8x8.vc/acme'", "https://8x8.vc/acme"),
    ],
)
def test_find_urls_in_text_and_html(text: str, expected: str) -> None:
    """URLs end at quotes, angle brackets and sentence punctuation; entities are decoded."""
    assert _urls(text) == [expected]


def test_find_urls_none_without_scheme() -> None:
    """Text without '://' yields nothing (and is not scanned)."""
    assert _urls("meet.google.com/abc-defg-hij and zoom.us") == []


def test_unwrap_safelinks_target() -> None:
    """Microsoft SafeLinks give back the wrapped URL."""
    wrapped = (
        "https://nam02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fzoom.us%2Fj%2F123"
        "%3Fpwd%3Dab&data=05%7C01&reserved=0"
    )
    assert unwrap(wrapped) == "https://zoom.us/j/123?pwd=ab"


def test_unwrap_google_redirect_target() -> None:
    """Google's /url?q= redirect gives back its target."""
    wrapped = "https://www.google.com/url?q=https://meet.google.com/abc-defg-hij&sa=D&ust=1"
    assert unwrap(wrapped) == "https://meet.google.com/abc-defg-hij"


def test_unwrap_proofpoint_v3_target() -> None:
    """Proofpoint URL Defense v3 gives back its target."""
    wrapped = "https://urldefense.com/v3/__https://acme.zoom.us/j/1__;!!Abc!def$"
    assert unwrap(wrapped) == "https://acme.zoom.us/j/1"


def test_unwrap_nested_redirects() -> None:
    """A SafeLink around a Google redirect unwraps both."""
    inner = "https%3A%2F%2Fwww.google.com%2Furl%3Fq%3Dhttps%253A%252F%252Fzoom.us%252Fj%252F9"
    wrapped = f"https://eur01.safelinks.protection.outlook.com/?url={inner}&data=1"
    assert clean(wrapped) == "https://zoom.us/j/9"


def test_unwrap_plain_url_unchanged() -> None:
    """A URL that is not a wrapper stays as it is."""
    assert unwrap("https://zoom.us/j/1") == "https://zoom.us/j/1"
