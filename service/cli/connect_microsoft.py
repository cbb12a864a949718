"""`rapport connect microsoft`: install Rapport for a Microsoft 365 organisation.

    rapport connect microsoft --tenant NAME --directory-tenant TENANT_ID --client-id APP_ID
                              --client-secret-file FILE [--certificate-file PEM]
                              [--authority URL] [--graph-url URL]

The secret (or the PEM holding the certificate and its private key) is read into memory and
stored only through the secret store; never printed, logged or written elsewhere.
`--authority` replaces `https://login.microsoftonline.com` (msal then neither validates nor
discovers it) and `--graph-url` replaces `https://graph.microsoft.com/v1.0`: national clouds,
tests. `RAPPORT_CA_BUNDLE` adds CA certificates to the default store for both msal and Graph.

After storing, one token and one `/users` read check the app. Exit 0 when they work; 1 when
the identity platform or Graph refused (the install is kept: admin consent can take minutes
to apply, `rapport sync` tries again); 2 for bad input.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from service.cli.running import Install, connect_install, fail, run

if TYPE_CHECKING:
    from service.runtime import Runtime

MAX_FILE = 64 * 1024
PERMISSIONS = ("Calendars.Read", "User.Read.All", "GroupMember.Read.All", "MailboxSettings.Read")


def _read(path: str) -> str:
    """A secret file's text (`-`: stdin), read whole into memory and nowhere else."""
    if path == "-":
        return sys.stdin.read(MAX_FILE + 1)
    with Path(path).expanduser().open("r", encoding="utf-8") as handle:
        return handle.read(MAX_FILE + 1)


def microsoft(
    tenant: Annotated[
        str, typer.Option("--tenant", help="The tenant's slug or name.", show_default=False)
    ],
    directory_tenant: Annotated[
        str,
        typer.Option(
            "--directory-tenant", help="The Entra directory (tenant) id.", show_default=False
        ),
    ],
    client_id: Annotated[
        str,
        typer.Option("--client-id", help="The app registration's client id.", show_default=False),
    ],
    client_secret_file: Annotated[
        str | None,
        typer.Option("--client-secret-file", help="A file holding the client secret (- stdin)."),
    ] = None,
    certificate_file: Annotated[
        str | None,
        typer.Option(
            "--certificate-file", help="A PEM with the app's certificate and its private key."
        ),
    ] = None,
    authority: Annotated[
        str | None,
        typer.Option("--authority", help="Replace https://login.microsoftonline.com."),
    ] = None,
    graph_url: Annotated[
        str | None,
        typer.Option("--graph-url", help="Replace https://graph.microsoft.com/v1.0."),
    ] = None,
) -> None:
    """Connect a Microsoft 365 organisation (application permissions, admin consent).

    Prints one JSON line: tenant, provider, directory_tenant, client_id, permissions, status
    (`ok`, or `needs_attention` with the AADSTS or Graph code and message).
    """
    from integrations.microsoft.account import (
        GRAPH_URL,
        LOGIN_URL,
        InvalidAccount,
        MicrosoftAccount,
    )

    command = "connect microsoft"
    if client_secret_file is None and certificate_file is None:
        fail(command, "give --client-secret-file or --certificate-file")
    try:
        secret = _read(client_secret_file).strip() if client_secret_file else None
        pem = _read(certificate_file) if certificate_file else None
        if (secret is not None and len(secret) > MAX_FILE) or (pem and len(pem) > MAX_FILE):
            fail(command, "the secret file is too large")
        account = MicrosoftAccount(
            directory_tenant.strip(), client_id.strip(), secret or None, pem,
            (authority or LOGIN_URL).rstrip("/"), (graph_url or GRAPH_URL).rstrip("/"),
        )  # fmt: skip
    except OSError as exc:
        fail(command, f"cannot read the secret file: {exc.strerror or exc}")
    except InvalidAccount as exc:
        fail(command, str(exc))

    async def save(rt: Runtime, tenant_id: int) -> int:
        from service.pipeline.microsoft import save_microsoft_install

        ids = (account.directory_tenant, account.client_id)
        return await save_microsoft_install(rt, tenant_id, ids, account.dump())

    async def probe(rt: Runtime) -> str | None:
        from workers.microsoft import probe_microsoft

        return await probe_microsoft(rt, account)

    install = Install(
        save,
        probe,
        "stored, but the app was refused",
        {
            "provider": "microsoft",
            "directory_tenant": account.directory_tenant,
            "client_id": account.client_id,
            "permissions": list(PERMISSIONS),
        },
    )

    async def work(rt: Runtime) -> int:
        return await connect_install(rt, command, tenant, install)

    run(command, work)
