"""Tenants as operators name them: `--tenant NAME` finds a tenant by its slug or its name."""

from __future__ import annotations

import re
import unicodedata

from service.errors import NotFound
from service.runtime import Runtime
from service.storage import TenantRepository
from service.storage.rows import TenantRow


def slugify(name: str) -> str:
    """The slug of a tenant name: lower-case ASCII letters, digits and dashes."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:64]


async def find_tenant(rt: Runtime, name: str) -> TenantRow:
    """The tenant whose slug is `name` or the slug of `name`, or whose name is `name`."""
    async with rt.db.session() as session:
        tenants = TenantRepository(session)
        for slug in dict.fromkeys((name, slugify(name))):
            found = await tenants.by_slug(slug)
            if found is not None:
                return found
        for tenant in await tenants.all():
            if tenant.name.casefold() == name.casefold():
                return tenant
    raise NotFound(f"no tenant named {name!r} (see `rapport admin tenants`)")
