"""The Graph emulator in a process of its own (the benchmark), with control requests.

    python -m tests.emulators.microsoft.process DIR   # prints one JSON line, then serves

Besides Graph it answers `/_emulator/*` (not part of Graph): `seed?mailboxes=N&events=M` makes
users with calendars of generated events (a tenth in weekly series), `touch?fraction=F`
changes that fraction of the mailboxes (one event each), `stats` counts the HTTP requests.
The process ends when its stdin closes.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.emulators.microsoft.app import GraphApp
from tests.emulators.microsoft.state import GraphEmulator
from tests.integrations.ics.tlscerts import make_tls_files

BASE = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0)


def seed_mailbox(state: GraphEmulator, email: str, events: int, people: list[str]) -> None:
    """`events` items: a tenth of them in weekly series of 4, the rest single meetings."""
    rng = random.Random(email)
    series = max(events // 40, 1)
    for number in range(series):
        first = BASE - timedelta(days=7) + timedelta(days=rng.randrange(7), hours=rng.randrange(9))
        state.add_series(
            email, f"Weekly {number}", first, 4, attendees=tuple(rng.sample(people, 2))
        )
    for number in range(events - series * 4):
        start = BASE + timedelta(days=rng.randrange(-7, 28), hours=rng.randrange(9))
        state.add_event(email, f"Meeting {number}", start, attendees=tuple(rng.sample(people, 3)))


def control_routes(state: GraphEmulator) -> list[Route]:
    """The `/_emulator/*` routes."""

    async def seed(request: Request) -> Response:
        mailboxes = int(request.query_params["mailboxes"])
        events = int(request.query_params["events"])
        emails = [f"user{n:05d}@example.com" for n in range(mailboxes)]
        for email in emails:
            state.add_user(email)
        for email in emails:
            seed_mailbox(state, email, events, emails[:50] if len(emails) > 3 else emails * 3)
        return JSONResponse({"mailboxes": emails})

    async def touch(request: Request) -> Response:
        fraction = float(request.query_params["fraction"])
        rng = random.Random(7)
        changed = 0
        with state.lock:
            for user_id, mailbox in state.mailboxes.items():
                if rng.random() >= fraction:
                    continue
                singles = [
                    i
                    for i, item in mailbox.items.items()
                    if item.payload["type"] == "singleInstance" and not item.deleted
                ]
                if singles:
                    email = str(state.users[user_id]["mail"])
                    state.update_event(email, singles[0], subject="Moved meeting")
                    changed += 1
        return JSONResponse({"changed": changed})

    async def stats(request: Request) -> Response:
        return JSONResponse({"http": len(state.http), "parts": len(state.requests)})

    return [
        Route("/_emulator/seed", seed, methods=["POST"]),
        Route("/_emulator/touch", touch, methods=["POST"]),
        Route("/_emulator/stats", stats, methods=["GET"]),
    ]


def main() -> None:
    """Serve a fresh emulator over HTTPS until stdin closes; print how to reach it first."""
    directory = Path(sys.argv[1])
    files = make_tls_files(directory, "localhost")
    state = GraphEmulator()
    client_id, secret = state.add_client()
    app = GraphApp(state)
    app.app.router.routes.extend(control_routes(state))
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="off", log_level="error", ws="none",
        http="h11", loop="asyncio", access_log=False,
        ssl_certfile=str(files.server_cert), ssl_keyfile=str(files.server_key),
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    state.base_url = f"https://localhost:{port}"
    line = {
        "base": state.base_url, "ca": str(files.ca_cert), "tenant": state.tenant_id,
        "client_id": client_id, "secret": secret,
    }  # fmt: skip
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()
    sys.stdin.read()
    server.should_exit = True
    thread.join(timeout=10)


if __name__ == "__main__":
    main()
