"""Plain words: one safe line of any text, cadences and ages that read naturally."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.email.words import ago_words, cadence_words, first_name, one_line, relative_day, wrap
from tests.fixtures.email_builders import TRICKY


@given(text=TRICKY, limit=st.integers(1, 200))
def test_clean_one_line_has_no_controls_and_respects_limit(text: str, limit: int) -> None:
    line = one_line(text, limit)
    assert len(line) <= limit
    assert not any(ch in line for ch in "\r\n\x00\x0b\x1b\u2028\u2029\u202e\u200b")
    assert line == line.strip()


@given(days=st.floats(0, 3650, allow_nan=False))
def test_describe_cadence_always_reads_as_about_every(days: float) -> None:
    words = cadence_words(days)
    assert words.startswith(("about every", "every few days"))
    assert "0" not in words.split()


@given(days=st.integers(-5, 5000))
def test_describe_ago_reads_naturally(days: int) -> None:
    words = ago_words(days)
    assert words in ("today", "yesterday") or words.endswith("ago")
    assert "about 1 weeks" not in words
    assert "about 0" not in words


@given(TRICKY)
def test_describe_first_name_is_one_word_or_none(name: str) -> None:
    first = first_name(name)
    assert first is None or (first and " " not in first and "\n" not in first)


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (date(2026, 11, 25), "today"),
        (date(2026, 11, 24), "yesterday"),
        (date(2026, 11, 23), "on Monday"),
        (date(2026, 11, 20), "last Friday"),
        (date(2026, 11, 19), "last Thursday"),
        (date(2026, 11, 18), "on Wednesday 18 November"),
        (date(2025, 11, 18), "on Tuesday 18 November 2025"),
    ],
)
def test_describe_relative_day_in_calendar_days(day: date, words: str) -> None:
    assert relative_day(day, date(2026, 11, 25)) == words  # a Wednesday


def test_describe_wrap_never_breaks_a_hyphenated_word() -> None:
    text = "open with a one-minute, agenda-free check-in " * 5
    assert all(not line.endswith("-") for line in wrap(text, 30).splitlines())
