"""Benchmark: Google Workspace sync of N calendars x 200 events against the emulator.

    .venv/bin/python bench/google_sync.py            # 1,000 calendars
    .venv/bin/python bench/google_sync.py --quick    # 100 calendars (under 2 minutes)

What runs is the real thing on this side: the Google connector and client (google-auth's JWT
grant, google-api-python-client from the static discovery documents, the thread pool, the rate
limiter), the directory round and the sync pipeline on an SQLite file. Google is the emulator
(tests/emulators/google) in a child process on loopback, so its CPU and memory are not ours.

1. **Directory round**: users.list, groups, each person's Calendar time zone; N connections.
2. **Initial sync**: every calendar fully (200 events each: weekly series and single meetings
   with two colleagues), `sync_tenant` with 2 calendars at a time (the scheduler's default).
3. **Steady state**: 1 % of the events change in the emulator, then one more round; every
   calendar is read incrementally with its sync token.
4. **Connector alone**: full pulls of up to 200 calendars, nothing stored (the Google side's
   own cost, without the database).

Requests are counted by the emulator (token grants included). Rate limits: the defaults
(9,000/min for the project, 600/min per user) with the tenant share at 1 (the only tenant).
Peak RSS is this process's (ru_maxrss).
Last line: RESULT {"requests_per_calendar_round": ..., "events_per_s": ..., "peak_rss_mb": ...}.
Targets (docs/performance.md): steady state <= 1 request per calendar per round; memory flat
as N grows (pages are streamed, never accumulated).
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
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from integrations.google import (  # noqa: E402
    ClientConfig,
    GoogleAccount,
    GoogleApi,
    GoogleConnector,
    RateLimits,
    SyncConfig,
)
from service.domain.port import CalendarRef, SyncWindow  # noqa: E402
from service.email import EmailRenderer, MaildirOutbox  # noqa: E402
from service.pipeline.google import save_google_install  # noqa: E402
from service.runtime import Runtime  # noqa: E402
from service.secrets import SecretBox, new_key  # noqa: E402
from service.storage import Database, TenantRepository, migrate  # noqa: E402
from tests.fixtures.pipeline import MAIL  # noqa: E402
from workers.google import directory_round  # noqa: E402
from workers.sync import sync_tenant  # noqa: E402

EVENTS = 200
CONCURRENCY = (
    2  # the scheduler's default (RAPPORT_SCHEDULER__SYNC_CONCURRENCY): SQLite has one writer
)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _start_emulator() -> tuple[subprocess.Popen[str], str, dict[str, str]]:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.emulators.google.process"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = json.loads(child.stdout.readline())
    return child, line["url"], line["key"]


async def _stats(client: httpx.AsyncClient) -> dict[str, int]:
    found: dict[str, int] = (await client.get("/_emulator/stats")).json()
    return found


def _requests(before: dict[str, int], after: dict[str, int]) -> int:
    """HTTP requests between two stats (token requests counted once, not their grants)."""
    keys = [k for k in after if k != "token.granted"]
    return sum(after.get(k, 0) - before.get(k, 0) for k in keys)


async def _pull_only(
    connector: GoogleConnector, account: GoogleAccount, calendars: int
) -> tuple[float, int, int]:
    """Full pulls of up to 200 calendars through the connector alone (nothing stored): what
    the Google side costs without the database."""
    window = SyncWindow(
        datetime.now(UTC) - timedelta(days=60), datetime.now(UTC) + timedelta(days=15)
    )
    owners = [f"user{n:05d}@example.com" for n in range(min(calendars, 200))]
    gate = asyncio.Semaphore(CONCURRENCY)
    pulled = 0

    async def one(owner: str) -> None:
        nonlocal pulled
        ref = CalendarRef(owner=owner, source=account.dump())
        async with gate:
            async for page in connector.pull(ref, None, window):
                pulled += len(page.meetings)

    t0 = time.perf_counter()
    await asyncio.gather(*(one(owner) for owner in owners))
    return time.perf_counter() - t0, pulled, len(owners)


async def _run(calendars: int, url: str, key: dict[str, str], data: Path) -> dict[str, Any]:
    client = httpx.AsyncClient(base_url=url, timeout=600)
    started = time.perf_counter()
    await client.post("/_emulator/seed", json={"users": calendars, "events": EVENTS})
    seeded_s = time.perf_counter() - started
    db_url = f"sqlite+aiosqlite:///{data / 'rapport.db'}"
    await migrate(db_url)
    db = Database.connect(db_url)
    limits = RateLimits(tenant_share=1.0)
    connector = GoogleConnector(GoogleApi(ClientConfig(limits=limits)), SyncConfig())
    rt = Runtime(
        db=db,
        mailer=MaildirOutbox(data / "outbox"),
        renderer=EmailRenderer(),
        mail=MAIL,
        reports_dir=data / "reports",
        connectors={"google": connector},
        secrets=SecretBox([new_key().encode()]),
    )
    try:
        async with db.transaction() as session:
            tenant = await TenantRepository(session).get_or_create(
                "bench", "Bench", ["example.com"]
            )
        account = GoogleAccount(key, "admin@example.com", api_url=url)
        await save_google_install(rt, tenant.id, account.admin_email, account.dump())

        before = await _stats(client)
        t0 = time.perf_counter()
        directory = await directory_round(rt, tenant.id)
        directory_s = time.perf_counter() - t0
        assert directory is not None
        assert directory.error is None, directory.error
        after_directory = await _stats(client)

        t0 = time.perf_counter()
        first = await sync_tenant(rt, tenant.id, concurrency=CONCURRENCY)
        initial_s = time.perf_counter() - t0
        after_initial = await _stats(client)
        assert first.ok, first.needs_attention[:3]
        rss_initial = _peak_rss_mb()

        touched = await client.post("/_emulator/touch", json={"fraction": 0.01})
        changed = touched.json()["changed"]
        t0 = time.perf_counter()
        steady = await sync_tenant(rt, tenant.id, concurrency=CONCURRENCY)
        steady_s = time.perf_counter() - t0
        after_steady = await _stats(client)
        assert steady.ok, steady.needs_attention[:3]
        pull_s, pulled, pulled_calendars = await _pull_only(connector, account, calendars)
    finally:
        connector.close()
        await db.dispose()
        await client.aclose()
    count = len(first.results)
    return {
        "calendars": count,
        "seed_s": seeded_s,
        "directory_s": directory_s,
        "directory_requests": _requests(before, after_directory),
        "initial_s": initial_s,
        "initial_events": first.meetings,
        "initial_requests": _requests(after_directory, after_initial),
        "rss_after_initial_mb": rss_initial,
        "changed": changed,
        "steady_s": steady_s,
        "steady_events": steady.meetings,
        "steady_requests": _requests(after_initial, after_steady),
        "steady_lists": after_steady["events.list"] - after_initial["events.list"],
        "waited_s": connector.api.limiter.waited_s,
        "pull_s": pull_s,
        "pulled": pulled,
        "pulled_calendars": pulled_calendars,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calendars", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="100 calendars")
    args = parser.parse_args()
    calendars = 100 if args.quick else args.calendars
    child, url, key = _start_emulator()
    try:
        with tempfile.TemporaryDirectory(prefix="rapport-google-bench-") as tmp:
            found = asyncio.run(_run(calendars, url, key, Path(tmp)))
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)
    n = found["calendars"]
    print(f"calendars: {n} x {EVENTS} events (emulator seeded in {found['seed_s']:.1f} s)")
    print(f"directory round: {found['directory_s']:.1f} s, {found['directory_requests']} requests")
    print(
        f"initial sync: {found['initial_s']:.1f} s, {n / found['initial_s']:.1f} calendars/s, "
        f"{found['initial_events'] / found['initial_s']:.0f} events/s, "
        f"{found['initial_requests'] / n:.2f} requests per calendar"
    )
    print(
        f"steady round ({found['changed']} events changed): {found['steady_s']:.1f} s, "
        f"{n / found['steady_s']:.1f} calendars/s, {found['steady_events']} events read, "
        f"{found['steady_requests'] / n:.2f} requests per calendar "
        f"({found['steady_lists']} events.list)"
    )
    print(
        f"connector alone (full pulls, nothing stored): {found['pulled_calendars']} calendars "
        f"in {found['pull_s']:.1f} s, {found['pulled'] / found['pull_s']:.0f} events/s"
    )
    print(f"rate limiter waits: {found['waited_s']:.1f} s in total")
    print(
        f"peak RSS: {found['rss_after_initial_mb']:.0f} MB after the initial sync, "
        f"{_peak_rss_mb():.0f} MB at the end"
    )
    result = {
        "calendars": n,
        "requests_per_calendar_round": round(found["steady_requests"] / n, 3),
        "initial_requests_per_calendar": round(found["initial_requests"] / n, 3),
        "calendars_per_s": round(n / found["initial_s"], 1),
        "events_per_s": round(found["initial_events"] / found["initial_s"]),
        "peak_rss_mb": round(_peak_rss_mb()),
        "connector_events_per_s": round(found["pulled"] / found["pull_s"]),
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
