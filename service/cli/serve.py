"""`rapport serve`: the web app under uvicorn and the in-process scheduler, in one process.

One runtime is shared by both: the app (`service.api.app.create_app(settings, runtime)`) and
the scheduler (`workers.inprocess.Scheduler`). SIGTERM or SIGINT stops both gracefully: uvicorn
stops accepting connections and finishes the requests in flight; the scheduler finishes or hands
back the send in flight (see `workers.inprocess`). A second SIGINT forces uvicorn out.

With `RAPPORT_REDIS_URL` set, the scheduler still runs in this process (the arq workers are a
later issue) and a warning says so: nudges keep going out, and nothing waits in Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated

import structlog
import typer
from rich.console import Console

if TYPE_CHECKING:
    import uvicorn

    from service.config import Settings
    from workers.inprocess import Scheduler

log = structlog.get_logger(__name__)

REDIS_WARNING = (
    "RAPPORT_REDIS_URL is set, but the arq workers arrive in a later version: the scheduler "
    "runs in this process (one `rapport serve` is enough; do not start `rapport worker`)."
)


class StartupRefused(Exception):
    """A setting the web app refuses to start with; the message names it."""


class PortInUse(Exception):
    """The address to listen on cannot be used; the message says which and why."""


def server(config: uvicorn.Config) -> uvicorn.Server:
    """A uvicorn server that leaves signals to `serve` (which stops both parts on one)."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return Server(config)


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port), or `PortInUse` saying why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise PortInUse(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.set_inheritable(True)
    return sock


async def run_serve(settings: Settings, host: str, port: int, console: Console) -> int:
    """Serve until a signal; returns the exit code."""
    import uvicorn

    from service.api.app import create_app
    from service.pipeline.connections import check_secrets
    from service.storage import migrate
    from workers.context import mailer_for, open_runtime, schedule
    from workers.inprocess import Scheduler, SendGate

    if settings.redis_url is not None:
        console.print(f"[yellow]warning:[/yellow] {REDIS_WARNING}")
        log.warning("serve.redis_ignored")
    await migrate(settings.effective_database_url)
    gate = SendGate(mailer_for(settings))
    async with open_runtime(settings, mailer=gate) as rt:
        await check_secrets(rt)
        try:
            app = create_app(settings, rt)
        except ValueError as exc:  # a setting the app refuses (a public non-https base URL)
            raise StartupRefused(str(exc)) from exc
        config = uvicorn.Config(
            app, log_level=settings.log_level, access_log=False, server_header=False,
            lifespan="on",
        )  # fmt: skip
        scheduler = Scheduler(rt, schedule(settings.scheduler), gate)
        with contextlib.closing(listening_socket(host, port)) as sock:
            bound = sock.getsockname()[1]
            console.print(f"rapport serve: listening on http://{host}:{bound}", highlight=False)
            log.info("serve.started", host=host, port=bound)
            failures = await _serve_both(server(config), scheduler, sock)
    for failure in failures:
        log.error("serve.failed", error=type(failure).__name__, message=str(failure)[:300])
    log.info("serve.stopped")
    console.print("rapport serve: stopped", highlight=False)
    return 1 if failures else 0


async def _serve_both(
    web: uvicorn.Server, scheduler: Scheduler, sock: socket.socket
) -> list[BaseException]:
    """Run the web server and the scheduler until either ends; stop the other; their errors."""
    stop = _signals(web, scheduler)
    serving = asyncio.create_task(web.serve(sockets=[sock]))
    scheduling = asyncio.create_task(scheduler.run())
    try:
        await asyncio.wait({serving, scheduling}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop()  # whichever part ended first (a signal, a crash), the other one stops too
        results = await asyncio.gather(serving, scheduling, return_exceptions=True)
    return [r for r in results if isinstance(r, BaseException)]


def _signals(web: uvicorn.Server, scheduler: Scheduler) -> Callable[[], None]:
    """Install SIGTERM/SIGINT handlers that stop both parts; returns the stop function."""
    loop = asyncio.get_running_loop()

    def stop() -> None:
        web.should_exit = True
        scheduler.stop()

    def on_signal(signum: int) -> None:
        if web.should_exit and signum == signal.SIGINT:
            web.force_exit = True
        log.info("serve.signal", signal=signal.Signals(signum).name)
        stop()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)
    return stop


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on.", min=0, max=65535)
    ] = 8000,
) -> None:
    """Run the web app and the scheduler in one process, until SIGTERM or Ctrl-C.

    The app serves people's pages and one-click unsubscribe; the scheduler syncs each calendar
    every RAPPORT_SCHEDULER__SYNC_INTERVAL_S, sends nudges at their due time and weekly
    reports. With RAPPORT_REDIS_URL set it still runs here (arq workers are a later version).
    Logs go to stderr as JSON lines.
    """
    import sys

    from service.cli.running import fail, load_settings
    from service.errors import RapportError
    from service.logs import configure_logging
    from service.secrets import SecretKeyError

    settings = load_settings("serve")
    configure_logging(settings.log_level, sys.stderr)
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        code = asyncio.run(run_serve(settings, host, port, Console(stderr=True)))
    except (SecretKeyError, RapportError, StartupRefused) as exc:
        fail("serve", str(exc))
    except PortInUse as exc:
        fail("serve", str(exc), 1)
    raise typer.Exit(code)
