"""Benchmark: how many emails people get, and how varied they read, over simulated weeks.

The bundled sample organisation (12 people in London, New York and Kolkata, plus a private
one-on-one, a sensitive one-on-one and a declined instance that must stay silent) is stepped
through the real pipeline every 6 hours (`tests/service/pipeline/simulation.py`): a daily
sync through the iCalendar connector, planning, delivery to a Maildir outbox, the weekly reports
at each person's local report time. Then each email is read back as its recipient gets it.

Printed: emails per person per local ISO week (nudges and reports; p50 and max over the
person-weeks of people who got any email), and per nudge kind the emails and the distinct
bodies once names, titles, dates, times and links are masked. The last line is
machine-readable: RESULT {"emails_per_person_week_max": ..., "emails_per_person_week_p50": ...,
"distinct_body_ratio": ...} (distinct masked bodies over nudge emails, all kinds).

    .venv/bin/python bench/nudge_quality.py            # four weeks
    .venv/bin/python bench/nudge_quality.py --quick    # two weeks (well under 2 min)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.service.pipeline.simulation import Simulation, masked_body, simulate

START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # a Monday


def _week_counts(sim: Simulation) -> list[int]:
    """Emails per (person, local ISO week), for people who got any email."""
    counts: Counter[tuple[str, tuple[int, int]]] = Counter()
    for mail in sim.mails:
        local = mail.sent.astimezone(ZoneInfo(sim.zone(mail.to))).date()
        counts[(mail.to, local.isocalendar()[:2])] += 1
    return sorted(counts.values())


def _by_kind(sim: Simulation) -> dict[str, tuple[int, int]]:
    """(emails, distinct masked bodies) per nudge kind."""
    names = sim.names()
    bodies: defaultdict[str, list[str]] = defaultdict(list)
    for mail in sim.mails:
        if mail.kind != "report":
            bodies[mail.kind].append(masked_body(mail, names))
    return {kind: (len(found), len(set(found))) for kind, found in sorted(bodies.items())}


def main() -> None:
    """Simulate, print the table and the RESULT line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="two weeks instead of four")
    parser.add_argument("--days", type=int, default=None, help="simulate this many days")
    args = parser.parse_args()
    days = args.days or (14 if args.quick else 28)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rapport-quality-") as folder:
        sim = asyncio.run(simulate(Path(folder), START, days))
    seconds = time.perf_counter() - started
    weeks = _week_counts(sim)
    kinds = _by_kind(sim)
    nudges = sum(total for total, _ in kinds.values())
    distinct = sum(unique for _, unique in kinds.values())
    print(f"{days} days from {START:%A %d %B %Y}, {len(sim.sample.people)} people, "
          f"{len(sim.mails)} emails, {seconds:.1f} s")  # fmt: skip
    print(f"emails per person per week: p50 {statistics.median(weeks):g}, max {max(weeks)}")
    print(f"{'kind':<18}{'emails':>8}{'distinct bodies':>18}")
    for kind, (total, unique) in kinds.items():
        print(f"{kind:<18}{total:>8}{unique:>18}")
    print(f"{'reports':<18}{sum(1 for m in sim.mails if m.kind == 'report'):>8}")
    result = {
        "emails_per_person_week_max": max(weeks),
        "emails_per_person_week_p50": statistics.median(weeks),
        "distinct_body_ratio": round(distinct / nudges, 3) if nudges else 1.0,
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
