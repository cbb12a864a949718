"""Horizontal bars for the weekly report, sized for HTML tables and plain text alike.

Bars are table cells with a fixed pixel width and a background colour: they render in every
email client (no images, no CSS flex or grid).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from service.email.context import WeekAtAGlance

BAR_MAX_PX = 160
BAR_MAX_CHARS = 24
REST_COLOUR = "#e5e7eb"
# One calm colour for every kind of meeting: the mix is information, not a score.
NEUTRAL = "#94a3b8"
MODALITY_BARS = (
    ("video", "Video", NEUTRAL),
    ("in_person", "In person", NEUTRAL),
    ("audio", "Phone", NEUTRAL),
    ("unknown", "Other", NEUTRAL),
)


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: a coloured part and an optional grey remainder (`rest`), in px and chars."""

    label: str
    display: str
    width: int
    chars: int
    color: str
    rest: int = 0
    rest_chars: int = 0
    rest_color: str = REST_COLOUR


def _scale(value: float, top: float) -> tuple[int, int]:
    if value <= 0 or top <= 0:
        return 0, 0
    share = min(value / top, 1.0)
    return max(4, round(share * BAR_MAX_PX)), max(1, round(share * BAR_MAX_CHARS))


def modality_bars(counts: Mapping[str, int]) -> list[Bar]:
    """Meetings by modality, longest bar = most meetings; "Other" only when non-empty."""
    known = {key for key, _, _ in MODALITY_BARS}
    values = {key: counts.get(key, 0) for key in known}
    values["unknown"] += sum(count for key, count in counts.items() if key not in known)
    top = max(values.values())
    bars = []
    for key, label, colour in MODALITY_BARS:
        if key == "unknown" and not values[key]:
            continue
        width, chars = _scale(values[key], top)
        bars.append(
            Bar(label=label, display=str(values[key]), width=width, chars=chars, color=colour)
        )
    return bars


def habit_bars(week: WeekAtAGlance) -> list[Bar]:
    """One-on-ones among all meetings, and the ideas tried among those sent."""
    total = sum(week.meetings_by_modality.values())
    width, chars = _scale(week.one_on_ones, max(total, week.one_on_ones))
    bars = [
        Bar(
            label="One-on-ones",
            display=f"{week.one_on_ones} of {total}",
            width=width,
            chars=chars,
            color="#0891b2",
            rest=BAR_MAX_PX - width if total else 0,
            rest_chars=BAR_MAX_CHARS - chars if total else 0,
        )
    ]
    if week.nudges_sent and week.nudges_acted is not None:
        acted = min(week.nudges_acted, week.nudges_sent)
        width, chars = _scale(acted, week.nudges_sent)
        bars.append(
            Bar(
                label="Ideas tried",
                display=f"{acted} of {week.nudges_sent}",
                width=width,
                chars=chars,
                color="#7c3aed",
                rest=BAR_MAX_PX - width,
                rest_chars=BAR_MAX_CHARS - chars,
            )
        )
    return bars
