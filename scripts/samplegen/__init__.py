"""Generate the bundled sample organisation deterministically (run `scripts/make_sample.py`)."""

from __future__ import annotations

import json
from pathlib import Path

from scripts.samplegen.catalog import catalog
from scripts.samplegen.ical import feed
from scripts.samplegen.people import PEOPLE

__all__ = ["build_sample", "write_sample"]


def _people_json() -> bytes:
    rows = [
        {
            "email": person.email,
            "name": person.name,
            "timezone": person.timezone,
            "team": person.team,
            "opted_out": person.opted_out,
            "opted_out_kinds": list(person.opted_out_kinds),
        }
        for person in PEOPLE
    ]
    return (json.dumps(rows, indent=2, ensure_ascii=False) + "\n").encode()


def build_sample() -> dict[str, bytes]:
    """Every data file of the sample by path under the data directory; same bytes every run."""
    specs = catalog()
    files = {"people.json": _people_json()}
    for person in PEOPLE:
        files[f"feeds/{person.key}.ics"] = feed(person, specs)
    return files


def write_sample(directory: Path) -> list[Path]:
    """Write the sample into `directory` (feeds no longer generated are removed); return paths."""
    feeds = directory / "feeds"
    feeds.mkdir(parents=True, exist_ok=True)
    files = build_sample()
    for stale in sorted(feeds.glob("*.ics")):
        if f"feeds/{stale.name}" not in files:
            stale.unlink()
    written = []
    for relative, data in files.items():
        path = directory / relative
        path.write_bytes(data)
        written.append(path)
    return written
