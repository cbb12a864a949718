"""Defang: link schemes cut, host dots broken, ordinary text left alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.email.defang import defang, defang_optional
from tests.service.email.test_render_links import HOSTILE, foreign_links


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://evil.example/x", "evil[.]example/x"),
        ("Join www.evil.example now", "Join www[.]evil[.]example now"),
        ("mailto:eve@evil.example", "eve@evil[.]example"),
        ("hthttps://tps://evil.example", "evil[.]example"),
        ("g\u043e\u043egle.com/login", "g\u043e\u043egle[.]com/login"),
        ("evil\u3002example", "evil[.]example"),
        ("evil\u200b.example", "evil[.]example"),
        ("10.0.0.1/admin", "10[.]0[.]0[.]1/admin"),
        ("javascript:alert(1)", "alert(1)"),
    ],
)
def test_defang_hostile_text(text: str, expected: str) -> None:
    assert defang(text) == expected


@pytest.mark.parametrize(
    "text",
    ["Q4 planning, e.g. budget v2.1", "St. Louis offsite 10:30", "Re: hiring", "Café ☕ 1:1", ""],
)
def test_defang_ordinary_text_unchanged(text: str) -> None:
    assert defang(text) == text


def test_defang_optional_none() -> None:
    assert defang_optional(None) is None


@pytest.mark.parametrize("text", HOSTILE)
def test_defang_hostile_leaves_no_link(text: str) -> None:
    assert foreign_links(defang(text)) == []


@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["https://", "http:/", "www.", "mailto:", "@", ".", "\u3002", "/", "evil",
                 "example", "com", "xn--p1ai", "\u200b", " ", "10", ":", "g\u043e\u043egle"]
            ),
            st.text(max_size=4),
        ),
        max_size=12,
    ).map("".join)
)  # fmt: skip
def test_defang_never_leaves_a_link(text: str) -> None:
    assert foreign_links(defang(text)) == []
