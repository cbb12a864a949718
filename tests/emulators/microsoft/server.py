"""Serve the Graph emulator over HTTPS on loopback (a certificate from a CA the test makes:
msal refuses a plain-http authority)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from tests.emulators.microsoft.app import GraphApp
from tests.emulators.microsoft.state import GraphEmulator
from tests.integrations.ics.tlscerts import make_tls_files


@dataclass(frozen=True)
class RunningGraph:
    """Where the emulator answers: authority (login) and Graph base URLs, and its CA file."""

    authority_host: str
    graph_url: str
    ca_file: Path

    def authority(self, tenant_id: str) -> str:
        """The authority URL msal is given for a tenant."""
        return f"{self.authority_host}/{tenant_id}"


@contextmanager
def running_graph(emulator: GraphEmulator, directory: Path) -> Iterator[RunningGraph]:
    """Serve `emulator` on https://localhost:<free port> in a thread."""
    files = make_tls_files(directory, "localhost")
    config = uvicorn.Config(
        GraphApp(emulator), host="127.0.0.1", port=0, lifespan="off", log_level="error",
        ws="none", http="h11", loop="asyncio", access_log=False,
        ssl_certfile=str(files.server_cert), ssl_keyfile=str(files.server_key),
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="graph-emulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the Graph emulator did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    emulator.base_url = f"https://localhost:{port}"
    emulator.verify = str(files.ca_cert)
    try:
        yield RunningGraph(emulator.base_url, f"{emulator.base_url}/v1.0", files.ca_cert)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
