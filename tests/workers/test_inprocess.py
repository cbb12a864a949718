"""The in-process scheduler on a real clock: nudges at their due time, a moved meeting's nudge
moves with it, a stop mid-delivery loses and duplicates nothing, and two processes on one
SQLite file never both send a nudge."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from service.runtime import Runtime, system_clock
from service.secrets import new_key
from service.storage import Database, NudgeRepository, TenantRepository
from tests.fixtures.smtp import StartServer
from tests.integrations.ics.feedserver import Feed, RunningServer
from tests.workers.conftest import (
    ALWAYS,
    TimedHandler,
    calendar,
    event,
    make_team,
    midday_zone,
    running,
    smtp_mailer,
    wait_for,
    worker_runtime,
)
from workers.cron import Schedule
from workers.inprocess import Scheduler, SendGate
from workers.nudges import plan
from workers.sync import sync_tenant

ANA = "ana@example.com"
FAST = Schedule(sync_interval=timedelta(seconds=2), poll=timedelta(seconds=0.5))
ROOT = Path(__file__).resolve().parents[2]


async def _tenant(db: Database) -> int:
    async with db.transaction() as session:
        return (await TenantRepository(session).get_or_create("acme", "Acme", ["example.com"])).id


async def _states(rt: Runtime, tenant_id: int) -> Counter[str]:
    async with rt.db.session() as session:
        counts = await NudgeRepository(session, tenant_id).count_by_kind_and_state()
    states: Counter[str] = Counter()
    for (_, state), n in counts.items():
        states[state] += n
    return states


async def test_scheduler_sends_at_due_time_and_follows_a_moved_meeting(
    sqlite_url: str, tmp_path: Path, feeds: RunningServer, smtp_server: StartServer
) -> None:
    handler = TimedHandler()
    gate = SendGate(smtp_mailer(smtp_server(handler)))
    db = Database.connect(sqlite_url)
    try:
        rt = worker_runtime(db, gate, tmp_path, clock=system_clock)
        tenant_id = await _tenant(db)
        t0 = datetime.now(UTC).replace(microsecond=0)
        first = t0 + timedelta(seconds=67)  # due (lead 1 minute) at t0 + 7 s
        feeds.app.feeds["ana"] = Feed(calendar(ANA, event("m@x", first)))
        await make_team(rt, tenant_id, feeds, [ANA], timezone=midday_zone(t0))
        async with running(Scheduler(rt, FAST, gate)):
            await wait_for(lambda: len(feeds.app.requests) >= 1, 5, "the first sync")
            moved = first + timedelta(seconds=7)  # due at t0 + 14 s
            feeds.app.feeds["ana"] = Feed(calendar(ANA, event("m@x", moved)))
            await wait_for(lambda: bool(handler.nudges()), 25, "the nudge")
            sent_at = handler.nudges()[0][0]
            due = (moved - timedelta(minutes=1)).timestamp()
            assert due - 0.5 <= sent_at <= due + 5, f"sent {sent_at - due:+.1f} s from due"
            await asyncio.sleep(1.5)
    finally:
        await db.dispose()
    assert len(handler.nudges()) == 1


async def test_scheduler_stop_mid_delivery_loses_and_duplicates_nothing(
    sqlite_url: str, tmp_path: Path, feeds: RunningServer, smtp_server: StartServer
) -> None:
    handler = TimedHandler(delay_s=0.3)
    port = smtp_server(handler)
    db = Database.connect(sqlite_url)
    try:
        gate = SendGate(smtp_mailer(port))
        rt = worker_runtime(db, gate, tmp_path, clock=system_clock)
        tenant_id = await _tenant(db)
        t0 = datetime.now(UTC).replace(microsecond=0)
        # Twelve meetings three minutes ahead, lead ten minutes: every nudge is due at once.
        starts = [t0 + timedelta(minutes=3, seconds=i) for i in range(12)]
        feeds.app.feeds["ana"] = Feed(
            calendar(ANA, *(event(f"m{i}@x", s) for i, s in enumerate(starts)))
        )
        policy = {**ALWAYS, "lead_minutes": 10}
        await make_team(rt, tenant_id, feeds, [ANA], timezone=midday_zone(t0), policy=policy)
        async with running(Scheduler(rt, FAST, gate)):  # leaving it stops it, as SIGTERM does
            await wait_for(lambda: len(handler.nudges()) >= 3, 20, "the first sends")
        first_run = len(handler.nudges())
        states = await _states(rt, tenant_id)
        assert first_run < 12
        assert states == {"sent": first_run, "planned": 12 - first_run}
        assert gate.refused  # the rest of the run was handed back, not sent

        again = SendGate(smtp_mailer(port))
        restarted = Scheduler(worker_runtime(db, again, tmp_path, clock=system_clock), FAST, again)
        async with running(restarted):
            await wait_for(lambda: len(handler.nudges()) >= 12, 20, "the rest after the restart")
            await asyncio.sleep(1)
        assert await _states(rt, tenant_id) == {"sent": 12}
    finally:
        await db.dispose()
    ids = handler.nudge_ids()
    assert len(ids) == 12
    assert len(set(ids)) == 12


def _scheduler_process(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.workers.scheduler_process"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


async def test_two_scheduler_processes_on_one_sqlite_file_send_each_nudge_once(
    sqlite_url: str, tmp_path: Path, feeds: RunningServer, smtp_server: StartServer
) -> None:
    handler = TimedHandler(delay_s=0.02)
    port = smtp_server(handler)
    keys = new_key()
    db = Database.connect(sqlite_url)
    # 120 nudges: more than one delivery page (100), so both processes claim from the same
    # pages at the same time rather than one claiming everything before the other starts.
    people = [f"p{i}@example.com" for i in range(6)]
    total = 20 * len(people)
    try:
        rt = worker_runtime(db, smtp_mailer(port), tmp_path, clock=system_clock, keys=keys)
        tenant_id = await _tenant(db)
        t0 = datetime.now(UTC).replace(microsecond=0)
        for n, person in enumerate(people):
            starts = [t0 + timedelta(minutes=4, seconds=20 * n + i) for i in range(20)]
            feeds.app.feeds[person.split("@")[0]] = Feed(
                calendar(person, *(event(f"m{n}-{i}@x", s) for i, s in enumerate(starts)))
            )
        policy = {**ALWAYS, "lead_minutes": 10}
        await make_team(rt, tenant_id, feeds, people, timezone=midday_zone(t0), policy=policy)
        await sync_tenant(rt, tenant_id)
        assert (await plan(rt, tenant_id)).planned == total  # all due now: both race for them
    finally:
        await db.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env.update(
        RAPPORT_DATABASE_URL=sqlite_url, RAPPORT_DATA_DIR=str(tmp_path / "data"),
        RAPPORT_SECRET_KEYS=keys, RAPPORT_SMTP__HOST="127.0.0.1", RAPPORT_SMTP__PORT=str(port),
        RAPPORT_SMTP__SECURITY="none", RAPPORT_FETCH__ALLOW_LIST='["127.0.0.1"]',
        RAPPORT_SCHEDULER__POLL_S="0.5", RAPPORT_MAIL__MESSAGE_ID_DOMAIN="example.com",
    )  # fmt: skip
    processes = [_scheduler_process(env), _scheduler_process(env)]
    try:
        deadline = time.monotonic() + 60
        while len(handler.nudges()) < total and time.monotonic() < deadline:
            assert all(p.poll() is None for p in processes), "a scheduler process died"
            await asyncio.sleep(0.1)
        await asyncio.sleep(2)  # anything sent twice would arrive by now
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        logs = [p.communicate(timeout=30)[1] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], logs
    per_process = [log.count('"delivery.sent"') for log in logs]
    ids = handler.nudge_ids()
    assert len(ids) == total, per_process
    assert len(set(ids)) == total
    assert sum(per_process) == total
