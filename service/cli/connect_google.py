"""`rapport connect google`: install Rapport for a Google Workspace organisation.

    rapport connect google --tenant NAME --key-file SA.json --admin-email EMAIL
                           [--customer ID] [--api-url URL]

The service account key is read into memory, checked, and stored only through the secret store
(encrypted with the other provider credentials); it is never printed, logged or written to
another file. `--admin-email` is the Workspace admin the Directory API is read as;
`--customer` defaults to `my_customer` (the admin's own account). `--api-url` replaces
`https://www.googleapis.com/` for Calendar and the Directory (plain http only for a loopback
address): how tests, and any other Google-compatible endpoint, are reached. The key's own
`token_uri` is honoured.

After storing, one `users.list` call as the admin checks that domain-wide delegation works.
Exit 0 when it does; 1 when Google refused (the install is kept: a new grant can take hours to
apply, `rapport sync` tries again); 2 for bad input. Then `rapport sync --tenant NAME` reads
the directory and every person's calendar.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from service.cli.running import Install, connect_install, fail, run

if TYPE_CHECKING:
    from service.runtime import Runtime

MAX_KEY_FILE = 64 * 1024


def _key_bytes(path: str) -> bytes:
    """The key file's bytes (`-`: stdin), read whole into memory and nowhere else."""
    if path == "-":
        return sys.stdin.buffer.read(MAX_KEY_FILE + 1)
    with Path(path).expanduser().open("rb") as handle:
        return handle.read(MAX_KEY_FILE + 1)


def google(
    tenant: Annotated[
        str, typer.Option("--tenant", help="The tenant's slug or name.", show_default=False)
    ],
    key_file: Annotated[
        str,
        typer.Option(
            "--key-file",
            help="The service account's JSON key (- reads it from stdin).",
            show_default=False,
        ),
    ],
    admin_email: Annotated[
        str,
        typer.Option(
            "--admin-email",
            help="A Workspace admin to read the directory as (domain-wide delegation).",
            show_default=False,
        ),
    ],
    customer: Annotated[
        str, typer.Option("--customer", help="The Workspace customer id.")
    ] = "my_customer",
    api_url: Annotated[
        str | None,
        typer.Option(
            "--api-url",
            help="Replace https://www.googleapis.com/ (http only for a loopback address).",
        ),
    ] = None,
) -> None:
    """Connect a Google Workspace organisation (service account with domain-wide delegation).

    Prints one JSON line: tenant, provider, admin, client_id (what the admin authorises),
    scopes, status (`ok`, or `needs_attention` with Google's message).
    """
    from integrations.google import GoogleAccount, InvalidAccount, read_key
    from integrations.google.account import CALENDAR_SCOPES, DIRECTORY_SCOPES

    command = "connect google"
    try:
        key = read_key(_key_bytes(key_file))
        account = GoogleAccount(key, admin_email.strip().lower(), customer.strip(), api_url)
    except OSError as exc:
        fail(command, f"cannot read the key file: {exc.strerror or exc}")
    except InvalidAccount as exc:
        fail(command, str(exc))

    async def save(rt: Runtime, tenant_id: int) -> int:
        from service.pipeline.google import save_google_install

        return await save_google_install(rt, tenant_id, account.admin_email, account.dump())

    async def probe(rt: Runtime) -> str | None:
        from workers.google import probe_directory

        return await probe_directory(rt, account)

    install = Install(
        save,
        probe,
        "stored, but Google refused the admin's directory read",
        {
            "provider": "google",
            "admin": account.admin_email,
            "client_id": account.client_id,
            "scopes": [*CALENDAR_SCOPES, *DIRECTORY_SCOPES],
        },
    )

    async def work(rt: Runtime) -> int:
        return await connect_install(rt, command, tenant, install)

    run(command, work)
