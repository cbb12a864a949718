"""`rapport connect ics --tenant NAME --person EMAIL --url URL`: connect a person's calendar.

The URL often carries a secret token (published Outlook, Google, iCloud and Proton calendars),
so it is stored encrypted and never printed or logged: the command shows the redacted source
(`https://host/…/name.ics #fingerprint`). The Google and Microsoft connectors add their own
`rapport connect google|microsoft` with their issues.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from service.cli.running import emit, fail, run, say, tenant_id_of

if TYPE_CHECKING:
    from service.runtime import Runtime

connect_app = typer.Typer(
    help="Connect a person's calendar (the feed URL is stored encrypted).",
    no_args_is_help=True,
    add_completion=False,
)


def _url(value: str) -> str:
    """The URL given, or read from stdin for `--url -` (out of shell history and `ps`)."""
    if value != "-":
        return value
    return sys.stdin.readline().strip()


@connect_app.command("ics")
def ics(
    tenant: Annotated[
        str, typer.Option("--tenant", help="The tenant's slug or name.", show_default=False)
    ],
    person: Annotated[
        str,
        typer.Option("--person", help="The person's email (imported already).", show_default=False),
    ],
    url: Annotated[
        str,
        typer.Option(
            "--url",
            help="The feed: https://, http:// or webcal:// (stored as https://), a local file "
            "path (for tests and trusted files), or - to read it from stdin.",
            show_default=False,
        ),
    ],
) -> None:
    """Connect a person's iCalendar feed (the URL is stored encrypted, shown redacted).

    Prints one JSON line: id, provider, person, source (redacted), status (`pending` until its
    first sync). Connecting the same URL again changes nothing. The URL is never printed.
    """
    from service.pipeline.connections import InvalidFeedUrl, feed_source

    command = "connect ics"
    try:
        source = feed_source(_url(url))
    except InvalidFeedUrl as exc:
        fail(command, str(exc))
    if "://" not in source and not Path(source).is_file():
        fail(command, f"{source}: no such file (a local feed must be an existing file)")

    async def work(rt: Runtime) -> int:
        from service.pipeline.connections import add_ics_connection, check_secrets, display_source
        from service.storage import CalendarRepository

        tenant_id = await tenant_id_of(rt, tenant)
        await check_secrets(rt, tenant_id)
        connection_id = await add_ics_connection(rt, tenant_id, person, source)
        async with rt.db.session() as session:
            row = await CalendarRepository(session, tenant_id).get(connection_id)
        status = row.status if row is not None else "pending"
        say(command, f"connected {person}'s calendar as connection {connection_id}")
        emit(
            {
                "id": connection_id,
                "provider": "ics",
                "person": person.strip().lower(),
                "source": display_source(source),
                "status": status,
            }
        )
        return 0

    run(command, work)
