"""The Graph cursor: the deltaLink, the window its initial round was made for, and which
meeting each event id stands for (an `@removed` item carries only the id).

The window is fixed inside a delta token, so a cursor is good only while the wanted window lies
inside its span (and for the normaliser version that made it): past that the next round is a
planned re-baseline (a full round, swept like any full sync).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from integrations.span import within
from service.domain.port import SyncWindow

# Bump to make every Microsoft calendar's next round a baseline (a normaliser fix to apply).
NORMALISER_VERSION = 1


def id_key(event_id: str) -> str:
    """A short stable key of a Graph event id (ids are ~150 characters)."""
    return hashlib.sha256(event_id.encode()).hexdigest()[:20]


@dataclass(slots=True)
class GraphCursor:
    """deltaLink, [start, end) of its window, normaliser version, id -> (uid, original start)."""

    link: str
    start: datetime
    end: datetime
    ids: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    version: int = NORMALISER_VERSION

    def covers(self, window: SyncWindow) -> bool:
        """True when a round from this cursor sees everything in `window`."""
        return self.version == NORMALISER_VERSION and within(self.start, self.end, window)

    def dump(self) -> str:
        """The cursor as stored."""
        return json.dumps(
            {"v": self.version, "l": self.link, "s": self.start.isoformat(),
             "e": self.end.isoformat(), "i": {k: list(v) for k, v in self.ids.items()}},
            separators=(",", ":"),
        )  # fmt: skip

    @classmethod
    def parse(cls, text: str | None) -> GraphCursor | None:
        """The cursor stored, or None for no cursor or one this code cannot read."""
        if not text:
            return None
        try:
            data = json.loads(text)
            ids = {str(k): (str(v[0]), None if v[1] is None else str(v[1]))
                   for k, v in dict(data.get("i") or {}).items()}  # fmt: skip
            cursor = cls(
                link=str(data["l"]),
                start=datetime.fromisoformat(data["s"]),
                end=datetime.fromisoformat(data["e"]),
                ids=ids,
                version=int(data["v"]),
            )
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            return None
        if not cursor.link.startswith("https://") or cursor.start.tzinfo is None:
            return None
        return cursor
