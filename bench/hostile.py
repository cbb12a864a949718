"""Benchmark: hostile calendars through the iCalendar connector's pull, one process per case.

Each attack is served by a real HTTP server on loopback (the test suite's feed server) and
pulled by `IcsConnector` with its defaults (fetch policy caps, `FeedBudget()`, the feed read
in a child process) from a fresh interpreter, which reports the outcome, the wall and CPU
time of the sync and its peak memory: its own high-water mark and its children's (the feed
reader), native buffers included. The attacks and the server come from
`tests/integrations/ics` (`attacks.py`, `feedserver.py`, `measure.py`).

The last line is machine-readable: RESULT {"worst_peak_mb": ..., "worst_sync_s": ...}.

    .venv/bin/python bench/hostile.py            # every attack at full size
    .venv/bin/python bench/hostile.py --quick    # smaller sizes (well under 2 min)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integrations.ics import attacks
from tests.integrations.ics.feedserver import Raw, RunningServer, run_server
from tests.integrations.ics.icsdata import calendar, vevent
from tests.integrations.ics.measure import Measured, run_measured

Body = bytes | Callable[[], Iterable[bytes]]


@dataclass(frozen=True)
class Case:
    """One attack: what is served, with which Content-Encoding, and what should come of it."""

    name: str
    body: Body
    encoding: bytes | None = None
    expect: str = "ok"


def cases(quick: bool) -> list[Case]:
    """The attacks, smaller with --quick."""
    scale = 1 if quick else 4
    return [
        Case("gzip bomb, 4 GiB in one layer", attacks.gzip_zeros, b"gzip", "FetchRefused"),
        Case(
            "gzip, gzip, gzip bomb",
            attacks.stacked_gzip_bomb(),
            b"gzip, gzip, gzip",
            "FetchRefused",
        ),
        Case("SECONDLY runaway inside the window", attacks.runaway_secondly()),
        Case("SECONDLY/MINUTELY with BY-filters", attacks.fine_with_filters()),
        Case(f"never-matching DAILY x{20 * scale}", attacks.never_matching(20 * scale)),
        Case(f"never-matching HOURLY x{20 * scale}", attacks.never_matching(20 * scale, "HOURLY")),
        Case(f"{2_500 * scale} daily series", attacks.many_series(2_500 * scale)),
        Case(f"{20_000 * scale} attendees, daily", attacks.many_attendees(20_000 * scale)),
        Case(f"{1_000 * scale} VTIMEZONEs", attacks.many_vtimezones(1_000 * scale)),
        Case("SECONDLY VTIMEZONE", attacks.secondly_vtimezone()),
        Case(f"{20_000 * scale} RDATEs", attacks.rdate_flood(20_000 * scale)),
        Case("1,000,000-character title", attacks.long_title()),
        Case(f"{10_000 * scale} plain events", _plain_events(10_000 * scale)),
        Case(f"{_fat(quick) // 1000}k ordinary events, to the 10 MiB cap", _ordinary(_fat(quick))),
    ]


def _fat(quick: bool) -> int:
    return 7_000 if quick else 15_000  # about 680 bytes each: 15,000 is just under 10 MiB


def _ordinary(count: int) -> bytes:
    """Events as calendars hold them: a description and a few attendees each."""
    description = "DESCRIPTION:" + "word " * 90
    people = [f"ATTENDEE;CN=Person {j}:mailto:p{j}@example.org" for j in range(3)]
    return calendar(
        *(
            vevent(
                f"DTSTART:20240301T{i % 24:02d}0000Z",
                f"SUMMARY:Meeting {i}",
                description,
                *people,
                uid=f"o{i}",
            )
            for i in range(count)
        ),
        *attacks.real(),
    )


def _plain_events(count: int) -> bytes:
    return calendar(
        *(
            vevent(f"DTSTART:20240301T{i % 24:02d}0000Z", f"SUMMARY:Meeting {i}", uid=f"e{i}")
            for i in range(count)
        ),
        *attacks.real(),
    )


_PULL = """
from datetime import UTC, datetime
from integrations.ics import FetchPolicy, IcsConnector
from service.domain.port import CalendarRef, SyncWindow

async def main():
    window = SyncWindow(datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
    policy = FetchPolicy(allow_hosts_or_networks=("127.0.0.0/8",))
    source = CalendarRef(owner="owner@example.com", source={url!r})
    pages = [page async for page in IcsConnector(policy).pull(source, None, window)]
    return (
        sum(len(p.meetings) for p in pages),
        sum(len(p.skipped) for p in pages),
        len(pages[-1].warnings),
    )
"""


def run_case(server: RunningServer, case: Case, index: int) -> Measured:
    """Serve the case and pull it from a fresh interpreter."""
    headers = [(b"content-type", b"text/calendar")]
    if case.encoding is not None:
        headers.append((b"content-encoding", case.encoding))
    server.app.raw[f"case{index}"] = Raw(headers=headers, body=case.body)
    return run_measured(_PULL.format(url=f"{server.base}/raw/case{index}"), timeout_s=300)


def main() -> int:
    """Run every case, print the table and the RESULT line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller attacks (under 2 min)")
    args = parser.parse_args()
    server_run = run_server()
    server = next(server_run)
    rows: list[tuple[Case, Measured]] = []
    print(f"{'attack':38} {'outcome':14} {'meetings/skipped/warnings':>26} "
          f"{'sync s':>7} {'cpu s':>7} {'peak MB':>8}")  # fmt: skip
    try:
        for index, case in enumerate(cases(args.quick)):
            rows.append((case, run_case(server, case, index)))
            _print_row(*rows[-1])
    finally:
        server_run.close()
    failed = [case.name for case, got in rows if got.outcome != case.expect]
    worst_peak = max(got.peak_mb for _, got in rows)
    worst_sync = max(got.seconds for _, got in rows)
    print(f"\n{len(rows)} attacks, {len(failed)} not as expected{': ' if failed else ''}"
          + "; ".join(failed))  # fmt: skip
    print("RESULT " + json.dumps({"worst_peak_mb": round(worst_peak, 1),
                                  "worst_sync_s": round(worst_sync, 2)}))  # fmt: skip
    return 1 if failed else 0


def _print_row(case: Case, got: Measured) -> None:
    counts = got.message.strip("()") if got.outcome == "ok" else "-"
    outcome = got.outcome if got.outcome == case.expect else f"{got.outcome}!"
    print(f"{case.name:38} {outcome:14} {counts:>26} {got.seconds:7.2f} {got.cpu_s:7.2f} "
          f"{got.peak_mb:8.1f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
