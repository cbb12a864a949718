"""The Google cursor: the sync token and the span of time its full sync covered.

An incremental list (`syncToken`) reports changes at any time, but only for events the full
sync saw: events that were beyond its `timeMax` and never changed would never come. So a cursor
is good only while the wanted window lies inside the span it was made for, and only for the
normaliser version that made it (a fix to the reader re-reads every calendar once).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from integrations.span import within
from service.domain.port import SyncWindow

# Bump to make every Google calendar's next sync a full one (a normaliser fix to apply).
NORMALISER_VERSION = 1


@dataclass(frozen=True, slots=True)
class GoogleCursor:
    """A sync token, the [start, end) its full sync read, and the normaliser version."""

    token: str
    start: datetime
    end: datetime
    version: int = NORMALISER_VERSION

    def covers(self, window: SyncWindow) -> bool:
        """True when an incremental sync from this cursor sees everything in `window`."""
        return self.version == NORMALISER_VERSION and within(self.start, self.end, window)

    def contains(self, start: datetime, end: datetime) -> bool:
        """True when an event [start, end) overlaps the span (the full sync would list it)."""
        return start < self.end and (end > self.start or start == end == self.start)

    def dump(self) -> str:
        """The cursor as stored."""
        return json.dumps(
            {
                "v": self.version,
                "t": self.token,
                "s": self.start.isoformat(),
                "e": self.end.isoformat(),
            },
            separators=(",", ":"),
        )

    @classmethod
    def parse(cls, text: str | None) -> GoogleCursor | None:
        """The cursor stored, or None for no cursor or one this code cannot read."""
        if not text:
            return None
        try:
            data = json.loads(text)
            cursor = cls(
                token=str(data["t"]),
                start=datetime.fromisoformat(data["s"]),
                end=datetime.fromisoformat(data["e"]),
                version=int(data["v"]),
            )
        except (ValueError, KeyError, TypeError):
            return None
        if not cursor.token or cursor.start.tzinfo is None or cursor.end.tzinfo is None:
            return None
        return cursor
