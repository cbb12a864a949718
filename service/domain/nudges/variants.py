"""Which phrasing and idea a nudge gets: the least recently sent, never a repeat too soon.

A variant is `idea * VARIANT_STRIDE + line` (`types.split_variant`). For one person and kind,
a variant sent within `repeat_days` is not used again while another is free; among the free
ones the planner takes the line least recently sent, then the idea least recently sent, then a
stable hash of the meeting, so the choice is deterministic. In a one-on-one the two people draw
from different lines (even and odd), so they never read the same sentence at the same minute,
and lean to ideas of their own parity, so they are rarely handed the same question.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from service.domain.model import AttendeeKind, email_key
from service.domain.nudges.types import (
    IDEAS,
    VARIANT_STRIDE,
    ScheduledMeeting,
    SentNudge,
    split_variant,
)
from service.domain.vocabulary import NudgeKind

_NEVER = float("-inf")


def _side(meeting: ScheduledMeeting, person: str, kind: NudgeKind) -> int | None:
    """In a one-on-one, which of the two the person is (0 or 1, by address); else None."""
    if kind is not NudgeKind.ONE_ON_ONE:
        return None
    pair = sorted(
        {email_key(p.email) for p in meeting.participants if p.kind is AttendeeKind.PERSON}
    )
    return pair.index(person) if len(pair) == 2 and person in pair else None


def _lines(side: int | None, lines: int) -> list[int]:
    """The lines this person may read: in a one-on-one, one parity each."""
    every = list(range(lines))
    if side is None or lines < 2:
        return every
    return [line for line in every if line % 2 == side]


def choose_variant(
    meeting: ScheduledMeeting,
    person: str,
    kind: NudgeKind,
    due: datetime,
    sends: Iterable[SentNudge],
    lines: int,
    repeat_days: int,
) -> int:
    """The variant for this nudge given the person's earlier sends (any kind; filtered here)."""
    since = due - timedelta(days=repeat_days)
    window = [s for s in sends if s.kind == kind.value and since <= s.at <= due]
    used = {s.variant for s in window}
    line_last: dict[int, float] = {}
    idea_last: dict[int, float] = {}
    for sent in window:
        line, idea = split_variant(sent.variant)
        stamp = sent.at.timestamp()
        line_last[line] = max(stamp, line_last.get(line, _NEVER))
        idea_last[idea] = max(stamp, idea_last.get(idea, _NEVER))
    seed = zlib.crc32(f"{meeting.uid}|{meeting.start.isoformat()}|{person}|{kind}".encode())
    side = _side(meeting, person, kind)
    options = [
        idea * VARIANT_STRIDE + line for line in _lines(side, lines) for idea in range(IDEAS)
    ]
    fresh = [v for v in options if v not in used] or options

    def rank(variant: int) -> tuple[float, float, bool, int]:
        line, idea = split_variant(variant)
        # The two of a one-on-one lean to ideas of their own parity too: different questions.
        other_side = side is not None and idea % 2 != side
        shuffled = zlib.crc32(variant.to_bytes(4, "big"), seed)
        return line_last.get(line, _NEVER), idea_last.get(idea, _NEVER), other_side, shuffled

    return min(fresh, key=rank)
