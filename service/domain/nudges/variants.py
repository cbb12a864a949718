"""Which phrasing and idea a nudge gets: the least recently sent, never a repeat too soon.

A variant is `idea * VARIANT_STRIDE + line` (`types.split_variant`). For one person and kind,
a variant sent within `repeat_days` is not used again while another is free; among the free
ones the planner takes the line least recently sent, then the idea least recently sent, then a
stable hash of the meeting, so the choice is deterministic. In a one-on-one the two people draw
from different lines (even and odd), so they never read the same sentence at the same minute.
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


def _lines(meeting: ScheduledMeeting, person: str, kind: NudgeKind, lines: int) -> list[int]:
    """The lines this person may read: in a one-on-one, one parity each."""
    every = list(range(lines))
    if kind is not NudgeKind.ONE_ON_ONE or lines < 2:
        return every
    pair = sorted(
        {email_key(p.email) for p in meeting.participants if p.kind is AttendeeKind.PERSON}
    )
    if len(pair) != 2 or person not in pair:
        return every
    side = pair.index(person)
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
    options = [
        idea * VARIANT_STRIDE + line
        for line in _lines(meeting, person, kind, lines)
        for idea in range(IDEAS)
    ]
    fresh = [v for v in options if v not in used] or options

    def rank(variant: int) -> tuple[float, float, int]:
        line, idea = split_variant(variant)
        shuffled = zlib.crc32(variant.to_bytes(4, "big"), seed)
        return line_last.get(line, _NEVER), idea_last.get(idea, _NEVER), shuffled

    return min(fresh, key=rank)
