"""What the iCalendar connector remembers about a feed between pulls (the sync cursor)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from integrations.ics.fetch import safe_validator
from service.domain.port import SyncWindow


@dataclass(frozen=True, slots=True)
class IcsCursor:
    """Validators, the body's hash, and the span the last full sync expanded recurrences
    over (`window_start`/`window_end`, ISO 8601).

    Validators that are not plain visible ASCII are never kept (a cursor written before they
    were checked is cleaned when read): a request could not carry them.
    """

    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
    window_start: str | None = None
    window_end: str | None = None

    def covers(self, window: SyncWindow) -> bool:
        """True when the last full sync expanded over at least all of `window`."""
        if self.window_start is None or self.window_end is None:
            return False
        try:
            start = datetime.fromisoformat(self.window_start)
            end = datetime.fromisoformat(self.window_end)
            return start <= window.start and window.end <= end
        except (ValueError, TypeError):
            return False

    @classmethod
    def parse(cls, text: str | None) -> IcsCursor:
        """Read a cursor; a missing or unreadable one means start afresh."""
        if not text:
            return cls()
        try:
            raw = json.loads(text)
        except (ValueError, RecursionError):
            return cls()
        if not isinstance(raw, dict):
            return cls()

        def pick(key: str) -> str | None:
            value = raw.get(key)
            return value if isinstance(value, str) and value else None

        return cls(
            safe_validator(pick("etag")),
            safe_validator(pick("last_modified")),
            pick("sha256"),
            pick("window_start"),
            pick("window_end"),
        )

    def dump(self) -> str:
        """The cursor as the JSON string stored with the calendar."""
        fields = {
            "etag": safe_validator(self.etag),
            "last_modified": safe_validator(self.last_modified),
            "sha256": self.sha256,
            "window_start": self.window_start,
            "window_end": self.window_end,
        }
        return json.dumps(fields, sort_keys=True)
