"""Tenants: the one repository that is not scoped by a tenant."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.storage.models import Tenant
from service.storage.repositories.base import upsert, utcnow
from service.storage.rows import TenantRow


def _row(tenant: Tenant) -> TenantRow:
    return TenantRow(
        id=tenant.id,
        slug=tenant.slug,
        name=tenant.name,
        internal_domains=tuple(tenant.internal_domains),
        created_at=tenant.created_at,
    )


class TenantRepository:
    """Create and find tenants (organisations)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_or_create(
        self, slug: str, name: str, internal_domains: Sequence[str] = ()
    ) -> TenantRow:
        """The tenant with `slug`, created with `name` and `internal_domains` when missing."""
        if not slug.strip():
            raise ValueError("tenant slug must not be empty")
        domains = sorted({domain.strip().lower() for domain in internal_domains if domain.strip()})
        statement = (
            upsert(self.session, Tenant)
            .values(slug=slug, name=name, internal_domains=domains, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["slug"])
        )
        await self.session.execute(statement)
        found = await self.by_slug(slug)
        assert found is not None  # inserted or already there
        return found

    async def add_domains(self, tenant_id: int, domains: Sequence[str]) -> TenantRow | None:
        """Add internal domains to a tenant (none is removed); the updated tenant, or None."""
        tenant = await self.get(tenant_id)
        if tenant is None:
            return None
        wanted = {domain.strip().lower() for domain in domains if domain.strip()}
        merged = sorted(set(tenant.internal_domains) | wanted)
        if merged == sorted(tenant.internal_domains):
            return tenant
        statement = update(Tenant).where(Tenant.id == tenant_id).values(internal_domains=merged)
        await self.session.execute(statement)
        fresh = select(Tenant).where(Tenant.id == tenant_id)
        updated = await self.session.scalar(fresh.execution_options(populate_existing=True))
        return None if updated is None else _row(updated)

    async def by_slug(self, slug: str) -> TenantRow | None:
        """The tenant with `slug`, or None."""
        tenant = await self.session.scalar(select(Tenant).where(Tenant.slug == slug))
        return None if tenant is None else _row(tenant)

    async def get(self, tenant_id: int) -> TenantRow | None:
        """The tenant with `tenant_id`, or None."""
        tenant = await self.session.get(Tenant, tenant_id)
        return None if tenant is None else _row(tenant)

    async def all(self) -> list[TenantRow]:
        """Every tenant, by id."""
        result = await self.session.scalars(select(Tenant).order_by(Tenant.id))
        return [_row(tenant) for tenant in result]
