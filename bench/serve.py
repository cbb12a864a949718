"""Benchmark: `rapport serve` on SQLite with N people (500) whose feeds are served locally, and
N nudges due in the same minute.

    .venv/bin/python bench/serve.py            # 500 people
    .venv/bin/python bench/serve.py --quick    # 40 people (under 2 minutes)

What runs is the real thing: `rapport serve` as a subprocess (web app, in-process scheduler,
iCalendar connector with its child-process parser, SMTP to an aiosmtpd sink on loopback), on an
SQLite file, with every feed served by a loopback HTTP server and allowed through
`RAPPORT_FETCH__ALLOW_LIST`. Each person's feed holds a weekly series, a few dozen past
meetings with colleagues, later meetings, and one video meeting X.

1. **First sync round**: serve starts with default settings; every connection is new, so all
   are synced at once. Its duration is the scheduler's own `sync.round` figure.
2. **Nudges due in the same minute**: serve is stopped (SIGTERM) and every feed moves its X so
   that X's nudge (lead time 10 minutes) is due at the same instant T, a little more than one
   sync interval ahead; serve restarts with that interval (1.5 times the first round), so each
   connection is synced again at its own moment (spread over the interval, as in production),
   the moved meetings are planned again, and at T all N nudges are due. The sink notes when
   each arrives.

Send lag = arrival at the sink minus T; nudges/s = N / (last arrival - T).
Last line: RESULT {"sync_round_s": ..., "nudges_per_s": ..., "send_lag_p99_s": ...}.
Target (docs/performance.md): send lag p99 under 30 s on this 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import uvicorn
from aiosmtpd.controller import Controller

from service.config import FetchSettings, get_settings
from service.pipeline.connections import add_ics_connection
from service.secrets import new_key
from service.storage import (
    Database,
    NudgeRepository,
    PeopleRepository,
    PersonIn,
    PolicyRepository,
    TenantRepository,
    migrate,
)
from workers.context import open_runtime

ROOT = Path(__file__).resolve().parents[1]
LEAD = timedelta(minutes=10)
POLICY = {
    "lead_minutes": 10,
    "working_hours": {"start": "00:00", "end": "23:59", "days": [1, 2, 3, 4, 5, 6, 7]},
    "quiet_hours": {"enabled": False},
    "max_per_person_per_day": 20,
}
Scope = MutableMapping[str, Any]


class FeedApp:
    """ASGI: /feeds/<name> serves `feeds[name]` (ETag = a hash of the body)."""

    def __init__(self) -> None:
        self.feeds: dict[str, bytes] = {}
        self.requests = 0

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Scope]],
        send: Callable[[Scope], Awaitable[None]],
    ) -> None:
        """Serve one request."""
        if scope["type"] != "http":
            return
        self.requests += 1
        body = self.feeds.get(str(scope["path"]).removeprefix("/feeds/"))
        status, headers = (200, [(b"content-type", b"text/calendar")]) if body else (404, [])
        body = body or b"not found"
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@contextlib.contextmanager
def feed_server(app: FeedApp) -> Iterator[int]:
    """uvicorn on a free loopback port in a thread; yields the port."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="off", log_level="error", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        thread.join()


class Sink:
    """aiosmtpd handler: (arrival time, Message-ID) of each message."""

    def __init__(self) -> None:
        self.received: list[tuple[float, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the arrival time and Message-ID."""
        message = email.message_from_bytes(envelope.content)
        self.received.append((time.time(), str(message.get("Message-ID", ""))))
        return "250 OK"

    def nudges(self) -> list[float]:
        """Arrival times of the nudge emails."""
        return [at for at, mid in self.received if ".nudge." in mid]


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def midday_zone(now: datetime) -> str:
    """A fixed-offset zone where it is about noon now (any policy hours pass)."""
    offset = 12 - now.astimezone(UTC).hour
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def _event(uid: str, start: datetime, title: str, attendees: list[str], extra: str = "") -> str:
    end = start + timedelta(minutes=30)
    lines = "".join(f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{a}\r\n" for a in attendees)
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\nDTEND:{end:%Y%m%dT%H%M%SZ}\r\n{extra}"
        f"SUMMARY:{title}\r\nDESCRIPTION:Join Zoom Meeting https://us02web.zoom.us/j/85512345678\r\n"
        f"ORGANIZER:mailto:{attendees[0]}\r\n{lines}END:VEVENT\r\n"
    )


def feed(n: int, people: list[str], now: datetime, x_start: datetime) -> bytes:
    """Person n's feed: a weekly series, past meetings with colleagues, later ones, and X."""
    me, total = people[n], len(people)
    mates = [people[(n + k) % total] for k in (1, 2, 3)]
    day = now.replace(hour=9, minute=0, second=0, microsecond=0)
    events = [
        _event(f"series-{n}", day - timedelta(days=120), "Team sync", [me, *mates[:2]],
               "RRULE:FREQ=WEEKLY;COUNT=30\r\n"),
    ]  # fmt: skip
    for k in range(30):  # past meetings with colleagues: what relationships are made of
        mate = mates[k % 3]
        events.append(_event(f"past-{n}-{k}", day - timedelta(days=3 + 2 * k), "1:1", [me, mate]))
    for k in range(10):  # later meetings (past the planning window: no nudges yet)
        events.append(_event(f"later-{n}-{k}", day + timedelta(days=4 + k), "Review", [me, *mates]))
    # X: organised by outsiders' colleagues (lee, kim: internal, not people): one nudge, to me.
    events.append(
        _event(f"x-{n}", x_start, "Design review", ["lee@example.com", "kim@example.com", me])
    )
    body = "".join(events)
    return (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n{body}END:VCALENDAR\r\n".encode()
    )


async def setup(url: str, data_dir: Path, keys: str, people: list[str], feeds_base: str) -> None:
    """Tenant, people (in a zone where it is midday), the policy, one connection each."""
    await migrate(url)
    settings = get_settings(
        database_url=url, data_dir=data_dir, secret_keys=keys,
        fetch=FetchSettings(allow_list=("127.0.0.1",)),
    )  # fmt: skip
    zone = midday_zone(datetime.now(UTC))
    async with open_runtime(settings) as rt:
        async with rt.db.transaction() as session:
            tenant = await TenantRepository(session).get_or_create(
                "bench", "Bench", ["example.com"]
            )
            await PeopleRepository(session, tenant.id).upsert_many(
                [PersonIn(email=p, name=p.split("@")[0], timezone=zone) for p in people]
            )
            await PolicyRepository(session, tenant.id).save(None, POLICY, "bench")
        for n, person in enumerate(people):
            url_n = f"{feeds_base}/feeds/p{n}?token=s3cret{n:06d}"
            await add_ics_connection(rt, tenant.id, person, url_n)


async def planned_at(url: str, due: datetime) -> int:
    """How many nudges are planned for exactly `due`."""
    db = Database.connect(url)
    try:
        async with db.session() as session:
            tenant = await TenantRepository(session).by_slug("bench")
            assert tenant is not None
            rows = await NudgeRepository(session, tenant.id).due(due, 100_000)
    finally:
        await db.dispose()
    return sum(1 for row in rows if row.due_at == due)


class Serve:
    """`rapport serve` as a subprocess, its JSON log lines in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "service.cli", "serve", "--port", "0"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=out,
            )  # fmt: skip

    def events(self, name: str) -> list[dict[str, Any]]:
        """The log events called `name` so far."""
        found = []
        for line in self.log.read_text().splitlines():
            if f'"{name}"' in line and line.startswith("{"):
                with contextlib.suppress(ValueError):
                    found.append(json.loads(line))
        return found

    def stop(self) -> None:
        """SIGTERM and wait."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=120)


def _env(url: str, data_dir: Path, keys: str, smtp_port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env.update(
        RAPPORT_DATABASE_URL=url, RAPPORT_DATA_DIR=str(data_dir), RAPPORT_SECRET_KEYS=keys,
        RAPPORT_SMTP__HOST="127.0.0.1", RAPPORT_SMTP__PORT=str(smtp_port),
        RAPPORT_SMTP__SECURITY="none", RAPPORT_FETCH__ALLOW_LIST='["127.0.0.1"]',
        RAPPORT_BASE_URL="http://127.0.0.1:8000", RAPPORT_LOG_LEVEL="info", **extra,
    )  # fmt: skip
    return env


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll every 0.2 s; stop the benchmark with a message after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.2)


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="40 people")
    parser.add_argument("--keep", action="store_true", help="keep the data dir")
    args = parser.parse_args()
    count = 40 if args.quick else args.people
    people = [f"person{n:04d}@example.com" for n in range(count)]
    work = Path(tempfile.mkdtemp(prefix="rapport-bench-serve-"))
    url = f"sqlite+aiosqlite:///{work / 'rapport.db'}"
    keys = new_key()
    app, sink = FeedApp(), Sink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    started = time.monotonic()
    try:
        with feed_server(app) as feeds_port:
            now = datetime.now(UTC).replace(microsecond=0)
            far = now + timedelta(hours=3)
            for n in range(count):
                app.feeds[f"p{n}"] = feed(n, people, now, far)
            asyncio.run(setup(url, work, keys, people, f"http://127.0.0.1:{feeds_port}"))
            print(f"{count} people, feeds on :{feeds_port}, SMTP sink on :{smtp_port}, {work}")

            # 1. The first sync round: every connection is new.
            serve = Serve(_env(url, work, keys, smtp_port), work / "serve-1.log")
            wait_until(lambda: bool(serve.events("sync.round")), 1800, "the first sync round")
            round_ = serve.events("sync.round")[0]
            sync_round_s = float(round_["seconds"])
            print(f"first sync round: {round_['connections']} connections in {sync_round_s:.1f} s"
                  f" ({round_['needs_attention']} need attention)")  # fmt: skip
            serve.stop()

            # 2. Every X moves so that all N nudges are due at the same instant.
            # Long enough that the re-syncs of the moved feeds never pile up (whole seconds:
            # the feeds carry whole-second times).
            interval = max(30, math.ceil(1.5 * sync_round_s))
            due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=interval + 15)
            for n in range(count):
                app.feeds[f"p{n}"] = feed(n, people, now, due + LEAD)
            env = _env(url, work, keys, smtp_port, RAPPORT_SCHEDULER__SYNC_INTERVAL_S=str(interval))
            serve = Serve(env, work / "serve-2.log")
            print(f"restarted with a sync interval of {interval} s; all nudges due at "
                  f"{due:%H:%M:%S} UTC")  # fmt: skip
            wait_until(lambda: time.time() >= due.timestamp() - 1, interval + 60, "the due time")
            planned = asyncio.run(planned_at(url, due))
            print(f"planned for the due time when it came: {planned} of {count}")
            wait_until(lambda: len(sink.nudges()) >= count, 300, "every nudge at the sink")
            time.sleep(2)  # a duplicate would arrive by now
            serve.stop()
    finally:
        controller.stop()
    arrivals = sink.nudges()
    lags = [at - due.timestamp() for at in arrivals]
    per_s = len(arrivals) / max(max(arrivals) - due.timestamp(), 1e-6)
    p50, p99 = statistics.median(lags), percentile(lags, 0.99)
    unique = len({mid for _, mid in sink.received if ".nudge." in mid})
    print(
        f"nudges received: {len(arrivals)} (expected {count}), duplicates: {len(arrivals) - unique}"
    )
    print(f"send lag: p50 {p50:.2f} s, p99 {p99:.2f} s, max {max(lags):.2f} s; "
          f"{per_s:.1f} nudges/s (N / (last arrival - due time))")  # fmt: skip
    print(f"total benchmark time {time.monotonic() - started:.0f} s")
    if not args.keep:
        for path in sorted(work.rglob("*"), reverse=True):
            path.unlink() if path.is_file() or path.is_symlink() else path.rmdir()
        work.rmdir()
    result = {
        "people": count, "sync_round_s": round(sync_round_s, 2),
        "nudges_per_s": round(per_s, 1), "send_lag_p50_s": round(p50, 2),
        "send_lag_p99_s": round(p99, 2),
    }  # fmt: skip
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
