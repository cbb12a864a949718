"""Microsoft Graph sync benchmark against the Graph emulator (a process of its own, HTTPS).

    .venv/bin/python bench/graph_sync.py            # 1,000 mailboxes x 200 events
    .venv/bin/python bench/graph_sync.py --quick    # 100 mailboxes x 200 events (< 2 min)

Measures the connector (msal token, httpx, paging, series masters, normalising; no database):
the initial round (baselines), then a steady round with 1 % of the mailboxes changed, once
with one delta request per mailbox and once with the first pages through `$batch` (20 a
request). The window is fixed in a delta token, so each mailbox re-baselines once per
`slack_days` (7) plus a spread of up to 7 more: its cost per round is the baseline's requests
spread over the rounds in between (15-minute rounds: ~1,000 of them), printed as
`rebaseline_calls_per_mailbox_round`.

Last line: RESULT {"http_calls_per_mailbox_round": ..., "events_per_s": ..., "peak_rss_mb": ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import structlog

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from integrations.microsoft import (  # noqa: E402 # after the path set-up
    ClientConfig,
    GraphClient,
    MicrosoftAccount,
    MicrosoftConnector,
    SyncConfig,
)
from service.domain.port import CalendarRef, SyncWindow  # noqa: E402

ROUNDS_PER_REBASELINE = 7 * 24 * 4  # 15-minute rounds in the shortest re-baseline period


def peak_rss_mb() -> float:
    """This process's peak resident memory."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(mailboxes: int, events: int, concurrency: int, budget: float) -> dict[str, object]:
    """Start the emulator, seed it, time the rounds."""
    with tempfile.TemporaryDirectory() as directory:
        process = subprocess.Popen(  # noqa: ASYNC220 # the emulator's own process, started once
            [sys.executable, "-m", "tests.emulators.microsoft.process", directory],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert process.stdout is not None
            info = json.loads(process.stdout.readline())
            return await _measure(info, (mailboxes, events), concurrency, budget)
        finally:
            assert process.stdin is not None
            process.stdin.close()
            process.wait(timeout=30)


async def _measure(
    info: dict[str, str], size: tuple[int, int], concurrency: int, budget: float
) -> dict[str, object]:
    mailboxes, events = size
    base = info["base"]
    control = httpx.AsyncClient(verify=info["ca"], timeout=600)
    asked = {"mailboxes": mailboxes, "events": events}
    seeded = (await control.post(f"{base}/_emulator/seed", params=asked)).json()
    account = MicrosoftAccount(
        info["tenant"], info["client_id"], info["secret"], None, base, f"{base}/v1.0"
    )
    connector = MicrosoftConnector(
        GraphClient(ClientConfig(extra_ca=info["ca"], tenant_per_minute=budget)),
        SyncConfig(page_size=50),
    )
    now = datetime.now(UTC)
    window = SyncWindow(now - timedelta(days=7), now + timedelta(days=28))
    calendars = [CalendarRef(email, account.dump(), None, "UTC") for email in seeded["mailboxes"]]
    cursors: dict[str, str | None] = {}
    gate = asyncio.Semaphore(concurrency)

    async def pull(calendar: CalendarRef) -> int:
        async with gate:
            count = 0
            async for page in connector.pull(
                calendar, cursors.get(connector.cache_key(calendar)), window
            ):
                count += len(page.meetings)
                if page.last:
                    cursors[connector.cache_key(calendar)] = page.cursor
            return count

    async def http() -> int:
        return int((await control.get(f"{base}/_emulator/stats")).json()["http"])

    await connector.client.token(account)
    before = await http()
    started = time.perf_counter()
    read = sum(await asyncio.gather(*(pull(c) for c in calendars)))
    initial_s = time.perf_counter() - started
    initial_calls = await http() - before

    await control.post(f"{base}/_emulator/touch", params={"fraction": 0.01})
    before = await http()
    started = time.perf_counter()
    await asyncio.gather(*(pull(c) for c in calendars))
    plain_s = time.perf_counter() - started
    plain_calls = await http() - before

    await control.post(f"{base}/_emulator/touch", params={"fraction": 0.01})
    before = await http()
    started = time.perf_counter()
    await connector.prefetch(calendars, cursors)
    await asyncio.gather(*(pull(c) for c in calendars))
    batch_s = time.perf_counter() - started
    batch_calls = await http() - before
    await connector.aclose()
    await control.aclose()
    rebaseline = initial_calls / mailboxes / ROUNDS_PER_REBASELINE
    return {
        "mailboxes": mailboxes,
        "events_per_mailbox": events,
        "meetings_read": read,
        "initial_s": round(initial_s, 2),
        "mailboxes_per_s": round(mailboxes / initial_s, 1),
        "events_per_s": round(read / initial_s, 1),
        "initial_calls_per_mailbox": round(initial_calls / mailboxes, 2),
        "steady_plain_calls_per_mailbox_round": round(plain_calls / mailboxes, 3),
        "steady_plain_s": round(plain_s, 2),
        "http_calls_per_mailbox_round": round(batch_calls / mailboxes, 3),
        "steady_batch_s": round(batch_s, 2),
        "rebaseline_calls_per_mailbox_round": round(rebaseline, 4),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def main() -> None:
    """Parse the arguments, run, print a table and the RESULT line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 mailboxes (under 2 minutes)")
    parser.add_argument("--mailboxes", type=int, default=None)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--tenant-per-minute", type=float, default=ClientConfig().tenant_per_minute,
        help="the per-tenant request budget (default: Rapport's); it bounds a round's speed",
    )  # fmt: skip
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))  # warnings
    mailboxes = args.mailboxes or (100 if args.quick else 1000)
    result = asyncio.run(run(mailboxes, args.events, args.concurrency, args.tenant_per_minute))
    result["tenant_per_minute"] = args.tenant_per_minute
    for key, value in result.items():
        print(f"{key:40} {value}")
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
