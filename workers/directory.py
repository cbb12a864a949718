"""What a provider's directory round shares in a worker (Google and Microsoft alike)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import structlog

from service.domain.port import AuthRevoked, ConnectorError
from service.pipeline import directory
from service.pipeline.directory import DirectoryApplied, DirectoryKind
from service.pipeline.sync import error_message
from service.runtime import Runtime
from service.storage.repositories.installs import InstallRepository

log = structlog.get_logger(__name__)

R = TypeVar("R", bound=InstallRepository)


@dataclass(slots=True)
class DirectoryRound:
    """What one directory round did; `error` set when it could not run."""

    people: int = 0
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    connected: int = 0
    timezones: int = 0
    channels_stopped: int = 0
    error: str | None = None

    def take(self, applied: DirectoryApplied) -> None:
        """Count what applying the directory changed."""
        self.people, self.created, self.updated = applied.people, applied.created, applied.updated
        self.deactivated, self.connected = applied.deactivated, applied.connected


async def round_failed(
    rt: Runtime,
    tenant_id: int,
    kind: DirectoryKind[R],
    error: ConnectorError,
) -> DirectoryRound:
    """Record a round that could not read the directory on the install; its outcome."""
    outcome = DirectoryRound(error=error_message(error))
    status = "auth_revoked" if isinstance(error, AuthRevoked) else "error"
    log.warning(f"{kind.provider}.directory_failed", tenant_id=tenant_id, status=status)
    await directory.record_round(rt, tenant_id, kind, outcome.error, status)
    return outcome
