"""`rapport classify` reads every real-world calendar in ../shared/realworld-ics (in place).

Every VEVENT with a DTSTART comes out with valid labels; SOURCES.md gives the expected counts.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

REALWORLD = Path(__file__).resolve().parents[4] / "shared" / "realworld-ics"
MODALITIES = {"video", "audio", "in_person", "unknown"}
ROW = re.compile(r"^\| (?P<file>[^|]+\.ics) \|(?:[^|]*\|){4} (?P<all>\d+) \((?P<timed>\d+)\) \|")


def _expected() -> dict[str, tuple[int, int]]:
    """Per file: (VEVENTs, VEVENTs with DTSTART) from the table in SOURCES.md."""
    rows = {}
    for line in (REALWORLD / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        if match := ROW.match(line):
            rows[match["file"].strip()] = (int(match["all"]), int(match["timed"]))
    return rows


@pytest.fixture(scope="module")
def classified() -> list[dict[str, object]]:
    files = sorted(str(p) for p in REALWORLD.glob("*.ics"))
    run = subprocess.run(
        [sys.executable, "-m", "service.cli", "classify", *files],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return [json.loads(line) for line in run.stdout.splitlines()]


def test_classify_realworld_reads_all_49_calendars(classified: list[dict[str, object]]) -> None:
    expected = _expected()
    assert len(expected) == len(list(REALWORLD.glob("*.ics"))) == 49
    labelled = Counter(Path(str(row["file"])).name for row in classified if not row.get("error"))
    assert {name: labelled[name] for name in expected} == {
        name: timed for name, (_all, timed) in expected.items()
    }


def test_classify_realworld_labels_are_valid(classified: list[dict[str, object]]) -> None:
    for row in classified:
        if row.get("error"):
            assert row["error"] == "no DTSTART", row
            continue
        assert row["modality"] in MODALITIES, row
        assert isinstance(row["is_meeting"], bool)
        assert row["one_on_one"] in (True, False, None)
        assert row["hybrid"] is False or row["modality"] == "video"
        reasons = row["reasons"]
        assert isinstance(reasons, list)
        assert reasons
        assert all(isinstance(r, str) and r for r in reasons)


def test_classify_realworld_meetingbar_sample_finds_links(
    classified: list[dict[str, object]],
) -> None:
    rows = [r for r in classified if "meetingbar" in str(r["file"])]
    assert len(rows) == 25
    # Every sample event with a link is video; only "No Onlinesession Test" has none.
    assert sum(1 for r in rows if r["modality"] == "video") == 24
