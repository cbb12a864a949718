"""`rapport people --tenant NAME` (JSON lines) and `rapport people import --tenant NAME FILE.csv`.

The CSV format and the import rules are in `service.pipeline.people_import`: header
`email,name,time_zone,manager_email,groups,aliases`, lists separated by `;`, the first group is
the person's policy group; a bad row is reported with its line number and the others imported;
people a full import does not mention become inactive (never deleted).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from service.cli.running import BadInput, emit, fail, load_settings, run, say, tenant_id_of

if TYPE_CHECKING:
    from service.runtime import Runtime
    from service.storage.rows import PersonRow

TENANT_HELP = "The tenant's slug or name (see `rapport admin tenants`)."

people_app = typer.Typer(
    help="The people of a tenant: list them (JSON lines), or import them from a CSV file.",
    add_completion=False,
)


def person_record(person: PersonRow) -> dict[str, object]:
    """A person as `rapport people` prints them."""
    return {
        "email": person.email,
        "aliases": list(person.aliases),
        "name": person.name,
        "time_zone": person.timezone,
        "manager": person.manager_email,
        "groups": list(person.groups),
        "active": person.active,
    }


@people_app.callback(invoke_without_command=True)
def people(
    ctx: typer.Context,
    tenant: Annotated[str | None, typer.Option("--tenant", help=TENANT_HELP)] = None,
) -> None:
    """List the tenant's people (JSON lines), or import them (`rapport people import`).

    Fields: email, aliases, name, time_zone, manager, groups, active (inactive people, whom a
    full import no longer lists, are shown too).
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = tenant
        return
    if tenant is None:
        fail("people", "--tenant NAME is needed (see `rapport admin tenants`)")

    async def work(rt: Runtime) -> int:
        from service.storage import PeopleRepository

        tenant_id = await tenant_id_of(rt, tenant)
        async with rt.db.session() as session:
            async for person in PeopleRepository(session, tenant_id).iter_all():
                emit(person_record(person))
        return 0

    run("people", work)


def _read(path: Path) -> bytes:
    from service.pipeline.people_import import MAX_FILE_BYTES

    try:
        with path.open("rb") as handle:
            return handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BadInput(f"{path}: is a directory, not a CSV file") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot read it ({exc.strerror or exc})") from None


@people_app.command("import")
def import_people(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV with a header row: email,name,time_zone,manager_email,groups,aliases "
            "(lists separated by ';'; only email is required).",
            show_default=False,
        ),
    ],
    tenant: Annotated[str | None, typer.Option("--tenant", help=TENANT_HELP)] = None,
    partial: Annotated[
        bool,
        typer.Option(
            "--partial",
            help="Only add and update the people in FILE; nobody is made inactive.",
        ),
    ] = False,
) -> None:
    """Import people from a CSV file (an idempotent upsert by email).

    The first group is the person's policy group (`rapport policy set --group`). An empty
    name or time_zone keeps the stored one (new people get RAPPORT_DEFAULT_TIMEZONE). A bad row
    (invalid address, unknown time zone, duplicate, an alias that is someone else's address) is
    reported on stderr as `line N: reason` and the other rows are imported. Unless --partial,
    people FILE does not mention become inactive (no nudges; kept, never deleted).
    Summary fields: created, updated, unchanged, deactivated, rejected. Exit code 0 when every
    row was imported, 1 when some were rejected, 2 when the file or the tenant is unusable.
    """
    from service.pipeline.people_import import (
        PeopleFileError,
        decode_people_file,
        import_people,
        parse_people_csv,
    )

    command = "people import"
    name = tenant or (ctx.obj if isinstance(ctx.obj, str) else None)
    if name is None:
        fail(command, "--tenant NAME is needed (see `rapport admin tenants`)")
    try:
        parsed = parse_people_csv(decode_people_file(_read(file)))
    except (BadInput, PeopleFileError) as exc:
        fail(command, f"{exc}" if isinstance(exc, BadInput) else f"{file}: {exc}")
    settings = load_settings(command)

    async def work(rt: Runtime) -> int:
        tenant_id = await tenant_id_of(rt, name)
        outcome = await import_people(
            rt, tenant_id, parsed, settings.default_timezone, full=not partial
        )
        for rejected in outcome.rejected:
            typer.echo(f"{file}: line {rejected.line}: {rejected.reason}", err=True)
        summary = outcome.summary()
        say(command, ", ".join(f"{count} {what}" for what, count in summary.items()))
        emit(summary)
        return 1 if outcome.rejected else 0

    run(command, work, settings=settings)
