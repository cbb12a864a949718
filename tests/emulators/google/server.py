"""Run the Google emulator under uvicorn on loopback in a thread (tests); `process.py` runs
it in a process of its own (the benchmark)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from tests.emulators.google.app import EmulatorApp
from tests.emulators.google.state import GoogleEmulator


def uvicorn_config(app: Any, port: int = 0) -> uvicorn.Config:
    """uvicorn on 127.0.0.1 (a free port by default), quiet, h11, no lifespan."""
    return uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="error",
        ws="none",
        http="h11",
        loop="asyncio",
        access_log=False,
    )


@contextmanager
def running_emulator(emulator: GoogleEmulator) -> Iterator[str]:
    """Serve `emulator` on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    server = uvicorn.Server(uvicorn_config(EmulatorApp(emulator)))
    thread = threading.Thread(target=server.run, name="google-emulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the Google emulator did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    emulator.base_url = f"http://127.0.0.1:{port}"
    try:
        yield emulator.base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        emulator.close()
