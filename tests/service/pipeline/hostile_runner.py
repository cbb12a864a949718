"""Run calendar syncs in a fresh interpreter and measure each: wall time and peak memory.

`python -m tests.service.pipeline.hostile_runner` reads a `Plan` as JSON on stdin and prints one
JSON list: per sync, its seconds, its peak resident memory in MB (this interpreter's high-water
mark, reset before each sync, or the largest feed-reader child so far, whichever is higher), the
error it recorded, and what it stored. A fresh interpreter keeps other tests' memory out.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from integrations.ics import FetchPolicy, IcsConnector
from service.domain.port import CalendarRef, SyncWindow
from service.email import EmailRenderer, MaildirOutbox
from service.pipeline.sync import sync_calendar, sync_scope
from service.runtime import Runtime, SyncLimits, fixed_clock
from service.storage import Database
from tests.fixtures.pipeline import MAIL


@dataclass(frozen=True)
class Sync:
    """One calendar to sync: its connection, owner and feed file."""

    connection_id: int
    owner: str
    source: str


@dataclass(frozen=True)
class Measured:
    """What one measured sync did."""

    seconds: float
    peak_mb: float
    error: str | None
    meetings: int
    rows: int
    over_budget: bool


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (Linux)


def _peak_mb() -> float:
    try:
        status = Path("/proc/self/status").read_text().splitlines()
        own = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


async def _run(plan: dict[str, object]) -> list[Measured]:
    db = Database.connect(str(plan["db_url"]))
    work = Path(str(plan["work_dir"]))
    now = datetime.fromisoformat(str(plan["now"]))
    rt = Runtime(
        db=db, mailer=MaildirOutbox(work / "outbox"), renderer=EmailRenderer(), mail=MAIL,
        reports_dir=work / "reports", clock=fixed_clock(now),
        connectors={"ics": IcsConnector(FetchPolicy(allow_files=True))},
        sync_limits=SyncLimits(max_rows_per_sync=int(str(plan["max_rows"]))),
    )  # fmt: skip
    window = SyncWindow(
        datetime.fromisoformat(str(plan["window_start"])),
        datetime.fromisoformat(str(plan["window_end"])),
    )
    results: list[Measured] = []
    try:
        scope = await sync_scope(rt, int(str(plan["tenant_id"])), window)
        for raw in plan["syncs"]:  # type: ignore[attr-defined]
            item = Sync(**raw)
            calendar = CalendarRef(item.owner, item.source, default_timezone="Europe/London")
            _reset_peak()
            began = time.perf_counter()
            outcome = await sync_calendar(
                rt, scope, item.connection_id, calendar, rt.connector("ics")
            )
            results.append(
                Measured(
                    time.perf_counter() - began, _peak_mb(), outcome.error, outcome.meetings,
                    outcome.rows, outcome.over_budget,
                )
            )  # fmt: skip
    finally:
        await db.dispose()
    return results


def main() -> int:
    """Read the plan on stdin, run it, print the measurements."""
    plan = json.loads(sys.stdin.read())
    results = asyncio.run(_run(plan))
    sys.stdout.write(json.dumps([asdict(result) for result in results]) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
