"""Sensitive topics: words that, in a meeting's title, mean no one gets a nudge for it.

Matched in the title only, as whole words in any case: any spacing or hyphen between the words
of a phrase ("performance-improvement"), an English plural allowed ("layoffs"), and
lookarounds rather than \\b so a word like "1:1" works too.
"""

from __future__ import annotations

import re
from functools import lru_cache

# The built-in sensitive topics (English); a tenant adds its own words, in any language.
SENSITIVE_TOPICS: tuple[str, ...] = (
    "interview",
    "offer",
    "salary",
    "compensation",
    "performance review",
    "PIP",
    "performance improvement",
    "disciplinary",
    "grievance",
    "investigation",
    "redundancy",
    "layoff",
    "termination",
    "resignation",
    "exit",
    "HR",
    "medical",
    "health",
    "legal",
    "confidential",
)
_GAP = r"[\s\-_/]+"


@lru_cache(maxsize=64)
def _patterns(words: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """One pattern per word: whole words in any case, any spacing or hyphen between the words
    of a phrase, an English plural allowed ("layoffs"); lookarounds, so "1:1" works too."""
    found = []
    for word in words:
        body = _GAP.join(re.escape(part) for part in word.split())
        plural = "(?:e?s)?" if word[-1].isalpha() else ""
        pattern = re.compile(rf"(?<!\w){body}{plural}(?!\w)", re.IGNORECASE)
        found.append((word, pattern))
    return tuple(found)


def matched_topic(words: tuple[str, ...], title: str) -> str | None:
    """The first of `words` found in `title`, or None."""
    for word, pattern in _patterns(words):
        if pattern.search(title):
            return word
    return None
