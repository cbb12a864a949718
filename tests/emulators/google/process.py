"""The Google emulator in a process of its own (the benchmark), with control requests.

    python -m tests.emulators.google.process     # prints one JSON line: {"url", "key"}

Besides Google's API it answers `/_emulator/*` (not part of Google's API): `seed` makes users
with calendars of generated events, `touch` changes a fraction of them, `stats` counts the
requests served. The process ends when its stdin closes.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.emulators.google.app import EmulatorApp
from tests.emulators.google.keys import new_key
from tests.emulators.google.server import uvicorn_config
from tests.emulators.google.state import GoogleEmulator

# -- generated calendars (the benchmark) ------------------------------------------------------

BASE = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # a Monday


def seed_calendar(emulator: GoogleEmulator, email: str, events: int, people: list[str]) -> None:
    """`events` instances in the user's calendar: a tenth of them in weekly series, the rest
    single meetings with two or three colleagues, over four weeks from BASE."""
    rng = random.Random(email)
    series = max(events // 40, 1)  # each series has 4 weekly instances
    singles = events - series * 4
    for number in range(series):
        start = BASE + timedelta(days=number % 5, hours=1 + number % 8)
        emulator.calendar(email).put(
            {
                "id": f"s{abs(hash(email)) % 10**8:08d}{number:04d}",
                "summary": f"Weekly sync {number}",
                "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
                "end": {"dateTime": (start + timedelta(minutes=30)).isoformat(), "timeZone": "UTC"},
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"],
                "attendees": _guests(rng, email, people),
                "hangoutLink": "https://meet.google.com/abc-defg-hij",
            }
        )
    for number in range(singles):
        start = BASE + timedelta(days=number % 26, hours=number % 9, minutes=15 * (number % 4))
        emulator.calendar(email).put(single_event(rng, email, people, number, start))


def single_event(
    rng: random.Random, email: str, people: list[str], number: int, start: datetime
) -> dict[str, object]:
    """One generated single meeting."""
    return {
        "id": f"e{abs(hash(email)) % 10**8:08d}{number:05d}",
        "summary": f"Meeting {number}",
        "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
        "end": {"dateTime": (start + timedelta(minutes=30)).isoformat(), "timeZone": "UTC"},
        "attendees": _guests(rng, email, people),
        "location": "Room 4" if number % 3 == 0 else "",
    }


def _guests(rng: random.Random, owner: str, people: list[str]) -> list[dict[str, object]]:
    guests = {owner, *rng.sample(people, k=min(len(people), 2))}
    return [
        {"email": g, "responseStatus": "accepted", **({"self": True} if g == owner else {})}
        for g in sorted(guests)
    ]


def _control_routes(emulator: GoogleEmulator) -> list[Route]:
    async def seed(request: Request) -> Response:
        spec = await request.json()
        users, events = int(spec["users"]), int(spec["events"])
        emails = [f"user{n:05d}@{emulator.domain}" for n in range(users)]
        emulator.add_user(f"admin@{emulator.domain}", "Ada Admin", is_admin=True)
        for email in emails:
            emulator.add_user(email, email.split("@")[0].replace(".", " "))
        with emulator.lock:
            for email in emails:
                seed_calendar(emulator, email, events, emails)
        return JSONResponse({"users": users})

    async def touch(request: Request) -> Response:
        spec = await request.json()
        fraction = float(spec["fraction"])
        rng = random.Random(int(spec.get("seed", 1)))
        emails = sorted(e for e in emulator.calendars if e.startswith("user"))
        changed = 0
        with emulator.lock:
            for email in emails:
                calendar = emulator.calendar(email)
                singles = [e for e in calendar.events.values() if not e.resource.get("recurrence")]
                for stored in singles:
                    if rng.random() < fraction:
                        body = dict(stored.resource)
                        body["summary"] = f"{body.get('summary')} (moved)"
                        calendar.put(body)
                        changed += 1
        return JSONResponse({"changed": changed})

    async def stats(request: Request) -> Response:
        with emulator.lock:
            return JSONResponse(dict(emulator.requests))

    return [
        Route("/_emulator/seed", seed, methods=["POST"]),
        Route("/_emulator/touch", touch, methods=["POST"]),
        Route("/_emulator/stats", stats, methods=["GET"]),
    ]


def main() -> None:
    """Serve a fresh emulator until stdin closes; print its URL and key file first."""
    key = new_key()
    emulator = GoogleEmulator(key)
    routes = EmulatorApp(emulator)
    routes.app.router.routes.extend(_control_routes(emulator))
    server = uvicorn.Server(uvicorn_config(routes))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    emulator.base_url = f"http://127.0.0.1:{port}"
    line = {"url": emulator.base_url, "key": key.info(f"{emulator.base_url}/token")}
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()
    sys.stdin.read()  # until the parent goes
    server.should_exit = True
    thread.join(timeout=10)


if __name__ == "__main__":
    main()
