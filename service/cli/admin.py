"""`rapport admin ...`: tenants and the secret store.

rapport admin create-tenant NAME [--domain example.com]...   one JSON line: the tenant
rapport admin tenants                                       JSON lines: id, slug, name, domains
rapport admin rotate-secrets                                re-encrypt every stored secret
rapport admin new-secret-key                                a fresh key for RAPPORT_SECRET_KEYS
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated

import typer

from service.cli.running import BadInput, emit, reported, run, say

if TYPE_CHECKING:
    from service.runtime import Runtime
    from service.storage.rows import TenantRow

admin_app = typer.Typer(
    help="Tenants and the secret store.", no_args_is_help=True, add_completion=False
)

_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}")


def tenant_record(tenant: TenantRow) -> dict[str, object]:
    """A tenant as `rapport admin tenants` prints it."""
    return {
        "id": tenant.id,
        "slug": tenant.slug,
        "name": tenant.name,
        "domains": list(tenant.internal_domains),
    }


def clean_domains(domains: list[str]) -> list[str]:
    """Internal domains, lower-case, without a leading `@`; `BadInput` names a bad one."""
    cleaned: list[str] = []
    for domain in domains:
        value = domain.strip().lower().removeprefix("@").rstrip(".")
        if len(value) > 253 or _DOMAIN.fullmatch(value) is None:
            raise BadInput(f"--domain {domain!r} is not a domain name (e.g. example.com)")
        cleaned.append(value)
    return list(dict.fromkeys(cleaned))


@admin_app.command("create-tenant")
def create_tenant(
    name: Annotated[
        str, typer.Argument(help="The organisation's name (its slug is made from it).")
    ],
    domains: Annotated[
        list[str] | None,
        typer.Option(
            "--domain",
            help="An internal email domain (repeat for several): its people count as colleagues.",
        ),
    ] = None,
) -> None:
    """Create a tenant; prints it as one JSON line (id, slug, name, domains).

    Applies the database migrations first (so it is the first command on a fresh install).
    Running it again for the same name changes nothing but adding new --domain values.
    """
    from service.pipeline.tenants import slugify

    command = "admin create-tenant"
    title = name.strip()
    slug = slugify(title)
    with reported(command):
        if not title or not slug or len(title) > 200:
            raise BadInput(f"tenant name {name!r} needs letters or digits (at most 200 characters)")
        wanted = clean_domains(domains or [])

    async def work(rt: Runtime) -> int:
        from service.storage import TenantRepository

        async with rt.db.session() as session:
            tenants = TenantRepository(session)
            existing = await tenants.by_slug(slug)
            tenant = await tenants.get_or_create(slug, title, wanted)
            if existing is not None:
                tenant = await tenants.add_domains(tenant.id, wanted) or tenant
            await session.commit()
        if existing is not None:
            say(command, f"tenant {slug!r} already exists; kept it (new domains added)")
        emit(tenant_record(tenant))
        return 0

    run(command, work, migrate_first=True)


@admin_app.command("tenants")
def tenants() -> None:
    """List the tenants, one JSON line each: id, slug, name, domains."""

    async def work(rt: Runtime) -> int:
        from service.storage import TenantRepository

        async with rt.db.session() as session:
            found = await TenantRepository(session).all()
        for tenant in found:
            emit(tenant_record(tenant))
        return 0

    run("admin tenants", work)


@admin_app.command("rotate-secrets")
def rotate_secrets() -> None:
    """Re-encrypt every stored secret with the first key of RAPPORT_SECRET_KEYS.

    To change keys: put a new key first in RAPPORT_SECRET_KEYS (keep the old ones after it),
    run this, then drop the old keys. Stops without changing anything when a stored secret
    opens with none of the keys. Safe to run again.
    """
    command = "admin rotate-secrets"

    async def work(rt: Runtime) -> int:
        from service.pipeline.connections import rotate_secrets as rotate

        count = await rotate(rt)
        say(command, f"re-encrypted {count} stored secret(s) with the first key")
        emit({"rotated": count})
        return 0

    run(command, work)


@admin_app.command("new-secret-key")
def new_secret_key() -> None:
    """Print a fresh secret key, to put first in RAPPORT_SECRET_KEYS (comma-separated)."""
    from service.secrets import new_key

    typer.echo(new_key())
