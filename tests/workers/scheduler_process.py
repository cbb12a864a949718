"""The in-process scheduler alone in a process of its own, configured by `RAPPORT_*` settings
as `rapport serve` configures it (no web app): for tests of two processes on one database.

    python -m tests.workers.scheduler_process      # until SIGTERM or SIGINT
"""

from __future__ import annotations

import asyncio
import signal
import sys

from service.config import get_settings
from service.logs import configure_logging
from workers.context import mailer_for, open_runtime, schedule
from workers.inprocess import Scheduler, SendGate


async def main() -> None:
    """Run the scheduler until a signal stops it."""
    settings = get_settings()
    configure_logging("info", sys.stderr)
    gate = SendGate(mailer_for(settings))
    async with open_runtime(settings, mailer=gate) as rt:
        scheduler = Scheduler(rt, schedule(settings.scheduler), gate)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, scheduler.stop)
        await scheduler.run()


if __name__ == "__main__":
    asyncio.run(main())
