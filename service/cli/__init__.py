"""The `rapport` command line: the composition root for the embedded default and operators.

Commands: `demo`, `classify`, `migrate`, `serve`, `worker`, the operator commands `admin`,
`people`, `connect`, `connections`, `meetings`, `nudges`, `policy`, and the jobs `sync`, `tick`
(registered below).
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from typer.exceptions import TyperException

from service.cli import connect_google, connect_microsoft, jobs, views
from service.cli import serve as serve_command
from service.cli.admin import admin_app
from service.cli.connect import connect_app
from service.cli.people import people_app
from service.cli.policy import policy_app
from service.config import Settings, SettingsError, get_settings
from service.logs import configure_logging, logging_to

app = typer.Typer(
    name="rapport",
    help="Rapport: meeting nudges that help people connect.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)


@app.callback()
def _setup() -> None:
    """Logs go to stderr (warnings and errors) unless a command sends them elsewhere."""
    configure_logging("warning", sys.stderr, json=False)


def _settings(**overrides: object) -> Settings:
    try:
        return get_settings(**overrides)
    except SettingsError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


def _parse_now(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not an ISO 8601 date-time", param_hint="--now"
        ) from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@app.command()
def demo(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Where the database, outbox and reports go.")
    ] = None,
    now: Annotated[
        str | None, typer.Option("--now", help="Pretend it is this time (ISO 8601; default: now).")
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="Run on this database instead of the SQLite file in the data dir.",
        ),
    ] = None,
) -> None:
    """Load the sample organisation, plan and deliver nudges to a Maildir outbox, write reports."""
    from service.cli.demo import run_demo

    overrides: dict[str, object] = {"database_url": database_url}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    # The demo never touches RAPPORT_DATABASE_URL: only an explicit --database-url.
    settings = _settings(**overrides)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.data_dir / "rapport.log"
    with log_path.open("a", encoding="utf-8") as log_file, logging_to(settings.log_level, log_file):
        asyncio.run(run_demo(settings, _parse_now(now), console))
    console.print(f"log:              {log_path.resolve()}")


@app.command("classify")
def classify_command(
    files: Annotated[list[Path], typer.Argument(help=".ics files, Google or Graph event JSON.")],
    format_: Annotated[
        str | None,
        typer.Option("--format", help="ics, google or graph (default: detected from the content)."),
    ] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="Whose calendar this is (email address).")
    ] = None,
) -> None:
    """Classify every event in FILES and print one JSON line per event."""
    from service.cli.classify import FORMATS, classify_files

    if format_ is not None and format_ not in FORMATS:
        raise typer.BadParameter(f"must be one of {', '.join(FORMATS)}", param_hint="--format")
    code = classify_files(files, format_, sys.stdout, sys.stderr, owner=owner)
    raise typer.Exit(code)


@app.command()
def migrate() -> None:
    """Apply the database migrations (Alembic `upgrade head`) to RAPPORT_DATABASE_URL."""
    from service.storage import migrate as run_migrations
    from service.storage import redacted_url

    settings = _settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(run_migrations(settings.effective_database_url))
    console.print(f"database is up to date: {redacted_url(settings.effective_database_url)}")


@app.command()
def worker() -> None:
    """Run the arq workers (not yet: arrives with the workers issue)."""
    console.print("rapport worker: not yet available in this version (a later issue).")
    raise typer.Exit(1)


# Operator commands (one module each; their JSON fields are a contract, see README "Commands").
app.add_typer(admin_app, name="admin")
app.add_typer(people_app, name="people")
connect_app.command("google")(connect_google.google)
connect_app.command("microsoft")(connect_microsoft.microsoft)
app.add_typer(connect_app, name="connect")
app.command("connections")(views.connections)
app.command("meetings")(views.meetings)
app.command("nudges")(views.nudges)
app.add_typer(policy_app, name="policy")
# Jobs run once (`sync`, `tick`) and the long-running service (`serve`).
app.command("sync")(jobs.sync)
app.command("tick")(jobs.tick)
app.command("serve")(serve_command.serve)


def main() -> None:
    """Console-script entry point: a usage error is one line on stderr and exit code 2."""
    try:
        code = app(standalone_mode=False)
    except TyperException as exc:
        context = getattr(exc, "ctx", None)
        command = getattr(context, "command_path", None) or "rapport"
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        if not message.strip():  # no arguments: the help was printed already
            pass
        elif "\n" in message.strip():
            sys.stderr.write(message.rstrip() + "\n")
        else:
            sys.stderr.write(f"{command}: {message} (see '{command} --help')\n")
        sys.exit(2)
    except typer.Abort:
        sys.stderr.write("rapport: interrupted\n")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
