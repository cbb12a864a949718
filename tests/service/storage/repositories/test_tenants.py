"""Tenants: created once per slug, internal domains cleaned."""

from __future__ import annotations

import pytest

from service.storage import Database, TenantRepository


async def test_get_or_create_tenant_idempotent(database: Database) -> None:
    async with database.transaction() as session:
        repo = TenantRepository(session)
        first = await repo.get_or_create("acme-x", "Acme", ["Acme.com", "acme.com", " "])
        second = await repo.get_or_create("acme-x", "Other name", [])
        assert await repo.get(first.id) == first
        assert await repo.by_slug("missing") is None
        with pytest.raises(ValueError, match="slug"):
            await repo.get_or_create(" ", "x")
    assert first == second
    assert first.internal_domains == ("acme.com",)
