"""What the operator commands share: settings, the runtime, the tenant, JSON lines, exit codes.

Views print one JSON object per line on stdout; messages go to stderr; the structured log goes
to `DATA_DIR/rapport.log` (at `RAPPORT_LOG_LEVEL`), so neither stream carries log lines. Bad
input (an unknown tenant or person, a bad file, a bad date, a wrong setting, an invalid policy,
keys that open no stored secret) ends a command with ONE line on stderr and exit code 2, never a
traceback; a database that cannot be reached ends it with one line and exit code 1.

Heavy modules are imported inside the functions: every `rapport` command (the fast `classify`
too) imports the command modules to register them.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from service.config import Settings
    from service.runtime import Runtime

Work = Callable[["Runtime"], Awaitable[int]]
# The `--tenant` option of the commands that work on one tenant.
TenantOption = Annotated[
    str,
    typer.Option(
        "--tenant", help="The tenant's slug or name (see `rapport admin tenants`).",
        show_default=False,
    ),
]  # fmt: skip


class BadInput(Exception):
    """Operator input that cannot be used; its message is the one line shown."""


def say(command: str, message: str) -> None:
    """One line on stderr (whitespace, newlines included, collapsed), prefixed with the command."""
    typer.echo(f"rapport {command}: {' '.join(message.split())}", err=True)


def fail(command: str, message: str, code: int = 2) -> NoReturn:
    """Say what is wrong in one line on stderr and exit (2: bad input)."""
    say(command, message)
    raise typer.Exit(code)


@contextmanager
def reported(command: str) -> Iterator[None]:
    """Turn `BadInput` raised before a command opens its runtime into one line and exit 2."""
    try:
        yield
    except BadInput as exc:
        fail(command, str(exc))


def emit(record: Mapping[str, object]) -> None:
    """One JSON object on one line of stdout."""
    typer.echo(json.dumps(record, ensure_ascii=False))


def iso(value: datetime | None) -> str | None:
    """A timestamp as ISO 8601 in UTC (`2026-11-24T10:00:00+00:00`), or None."""
    return None if value is None else value.astimezone(UTC).isoformat()


def parse_instant(value: str, option: str) -> datetime:
    """An ISO 8601 date or date-time (no zone: UTC) as tz-aware UTC; `BadInput` names the option."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(text), time(0))
        except ValueError:
            raise BadInput(
                f"{option} {value!r} is not an ISO 8601 date or date-time "
                "(e.g. 2026-11-24 or 2026-11-24T09:30Z)"
            ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def load_settings(command: str) -> Settings:
    """The settings, or one line naming the wrong variable and exit 2."""
    from service.config import SettingsError, get_settings

    try:
        return get_settings()
    except SettingsError as exc:
        fail(command, str(exc))


async def tenant_id_of(rt: Runtime, name: str) -> int:
    """The id of the tenant named `name` (slug or name); `NotFound` says how to list them."""
    from service.pipeline.tenants import find_tenant

    return (await find_tenant(rt, name)).id


async def _in_runtime(settings: Settings, work: Work, migrate_first: bool) -> int:
    from service.storage import migrate
    from workers.context import open_runtime

    if migrate_first:
        await migrate(settings.effective_database_url)
    async with open_runtime(settings) as rt:
        return await work(rt)


def _problem(exc: Exception, settings: Settings) -> tuple[int, str]:
    """Exit code and one line for a database error (the driver's first line, never the SQL)."""
    from sqlalchemy.exc import DBAPIError

    from service.storage import redacted_url

    if isinstance(exc, DBAPIError):
        first = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else "error"
        if "no such table" in first or ("relation" in first and "does not exist" in first):
            return 2, (
                "the database has no Rapport tables yet: run `rapport migrate` "
                "(or `rapport admin create-tenant`, which creates them)"
            )
        return 1, f"database error: {first[:300]}"
    if isinstance(exc, (ConnectionError, TimeoutError, socket.gaierror)):
        where = redacted_url(settings.effective_database_url)
        return 1, f"cannot reach the database {where}: {exc.strerror or type(exc).__name__}"
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
    where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
    return 1, f"{reason}{where}"


def run(
    command: str, work: Work, *, migrate_first: bool = False, settings: Settings | None = None
) -> None:
    """Run `work` on a runtime built from the settings (read here unless given) and exit with
    the code it returns.

    `BadInput`, the business errors (`NotFound`, `Conflict`, ...), `PolicyError` and
    `SecretKeyError` are bad input: one line, exit 2.
    """
    from sqlalchemy.exc import DBAPIError

    from service.domain.policy import PolicyError
    from service.errors import RapportError
    from service.logs import logging_to
    from service.secrets import SecretKeyError

    settings = settings or load_settings(command)
    bad_input = (BadInput, RapportError, PolicyError, SecretKeyError)
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        log_file = (settings.data_dir / "rapport.log").open("a", encoding="utf-8")
    except OSError as exc:
        fail(command, f"cannot use the data dir {settings.data_dir}: {exc.strerror or exc}")
    with log_file, logging_to(settings.log_level, log_file):
        try:
            code = asyncio.run(_in_runtime(settings, work, migrate_first))
        except bad_input as exc:
            fail(command, str(exc))
        except BrokenPipeError:
            raise  # stdout closed (`| head`): click ends quietly
        except (DBAPIError, OSError) as exc:
            code, message = _problem(exc, settings)
            fail(command, message, code)
    raise typer.Exit(code)


@dataclass(frozen=True, slots=True)
class Install:
    """A provider install to store and try: what `connect google|microsoft` differ in."""

    save: Callable[[Runtime, int], Awaitable[object]]  # store it for the tenant id
    probe: Callable[[Runtime], Awaitable[str | None]]  # the provider's refusal, or None
    refused: str  # what is said before the refusal
    facts: Mapping[str, object]  # the emitted record's provider facts


async def connect_install(rt: Runtime, command: str, tenant: str, install: Install) -> int:
    """Store the tenant's install, try it, say and emit the outcome; the exit code."""
    from service.pipeline.connections import check_secrets

    tenant_id = await tenant_id_of(rt, tenant)
    await check_secrets(rt, tenant_id)
    await install.save(rt, tenant_id)
    problem = await install.probe(rt)
    if problem is None:
        say(command, f"connected; now run `rapport sync --tenant {tenant}`")
    else:
        say(command, f"{install.refused}: {problem}")
    emit(
        {
            "tenant": tenant,
            **install.facts,
            "status": "ok" if problem is None else "needs_attention",
            "message": problem,
        }
    )
    return 0 if problem is None else 1
