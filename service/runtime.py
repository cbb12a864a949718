"""The runtime object: everything a pipeline function or a job needs, built once per entry point.

Like arq's `ctx` or a FastAPI lifespan state, but frozen and typed. The entry points (the CLI,
the API, the workers) build it from the settings (`workers.context.open_runtime`), and every
application service in `service.pipeline` takes it as its first argument instead of a database,
a mailer, a renderer, mail settings and a clock one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from service.domain.port import Connector
from service.email import EmailRenderer, Mailer
from service.email.addressing import MailConfig
from service.secrets import SecretBox
from service.storage import Database

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, tz-aware UTC."""
    return datetime.now(UTC)


def fixed_clock(now: datetime) -> Clock:
    """A clock that always says `now` (the demo and `--now`: a simulated moment)."""
    return lambda: now


class JobQueue(Protocol):
    """Where a job is handed to be run later: arq on Redis, or the in-process scheduler."""

    async def enqueue(
        self,
        job: str,
        *args: object,
        job_id: str | None = None,
        defer_until: datetime | None = None,
    ) -> bool:
        """Queue `job(*args)`; False when a job with `job_id` is already queued or kept."""
        ...


@dataclass(frozen=True, slots=True)
class SyncLimits:
    """What one calendar sync may write (`RAPPORT_SYNC__*`): a feed over it keeps what fits."""

    max_rows_per_sync: int = 100_000


@dataclass(frozen=True, slots=True)
class Runtime:
    """The shared, long-lived parts of one running Rapport process."""

    db: Database
    mailer: Mailer
    renderer: EmailRenderer
    mail: MailConfig
    reports_dir: Path
    clock: Clock = system_clock
    connectors: Mapping[str, Connector] = field(default_factory=dict)
    queue: JobQueue | None = None
    secrets: SecretBox | None = None
    sync_limits: SyncLimits = SyncLimits()

    def now(self) -> datetime:
        """The current time by this runtime's clock (tz-aware UTC)."""
        return self.clock()

    def secret_box(self) -> SecretBox:
        """The secret store; an entry point that reads or writes secrets must have built one."""
        if self.secrets is None:
            raise RuntimeError("this runtime was built without a secret store")
        return self.secrets

    def connector(self, provider: str) -> Connector:
        """The connector for a provider (`ics`, `google`, `microsoft`); KeyError names it."""
        try:
            return self.connectors[provider]
        except KeyError:
            raise KeyError(f"no connector configured for provider {provider!r}") from None
