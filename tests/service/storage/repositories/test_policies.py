"""Policies: versions per group, the tenant default, and an audit row per change."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from service.storage import AuditRepository, Database, PolicyConflict, PolicyRepository
from service.storage.models import PolicyVersion
from service.storage.repositories.base import utcnow


async def test_save_policy_versions_and_audit(database: Database, tenant_id: int) -> None:
    async with database.transaction() as session:
        repo = PolicyRepository(session, tenant_id)
        assert await repo.current() is None
        assert await repo.save(None, {"lead_minutes": 10}, "admin@example.com") == 1
        assert await repo.save(None, {"lead_minutes": 15}, "admin@example.com") == 2
        assert await repo.save("design", {"lead_minutes": 5}, "lead@example.com") == 1
    async with database.session() as session:
        repo = PolicyRepository(session, tenant_id)
        default = await repo.current()
        design = await repo.current("design")
        history = await repo.history()
        groups = await repo.groups()
        audit = await AuditRepository(session, tenant_id).list(entity="policy")
        default_audit = await AuditRepository(session, tenant_id).list("policy", "default")
    assert default is not None
    assert (default.version, default.body, default.group_key) == (2, {"lead_minutes": 15}, None)
    assert design is not None
    assert (design.version, design.created_by) == (1, "lead@example.com")
    assert [p.version for p in history] == [2, 1]
    assert groups == ["design"]
    assert [a.entity_id for a in audit] == ["design", "default", "default"]
    latest = default_audit[0]
    assert latest.actor == "admin@example.com"
    assert latest.action == "policy.save"
    assert latest.before == {"version": 1, "body": {"lead_minutes": 10}}
    assert latest.after == {"version": 2, "body": {"lead_minutes": 15}}
    assert default_audit[1].before is None


async def test_save_policy_rolled_back_with_audit(database: Database, tenant_id: int) -> None:
    async with database.session() as session:
        await PolicyRepository(session, tenant_id).save(None, {"x": 1}, "admin")
        await session.rollback()
    async with database.session() as session:
        assert await PolicyRepository(session, tenant_id).current() is None
        assert await AuditRepository(session, tenant_id).list() == []


@pytest.mark.parametrize("group_key", [None, "design"])
async def test_save_policy_duplicate_version_refused(
    database: Database, tenant_id: int, group_key: str | None
) -> None:
    async with database.transaction() as session:
        await PolicyRepository(session, tenant_id).save(group_key, {"x": 1}, "admin")
    async with database.session() as session:
        session.add(
            PolicyVersion(
                tenant_id=tenant_id,
                group_key=group_key,
                version=1,
                body={"x": 2},
                created_by="racer",
                created_at=utcnow(),
            )
        )
        with pytest.raises(IntegrityError):
            await session.flush()


async def test_save_policy_concurrent_loser_conflicts(
    db_url: str, database: Database, tenant_id: int
) -> None:
    other = Database.connect(db_url)
    inserting = asyncio.Event()

    def watch(_c: Any, _cur: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT INTO policies"):
            inserting.set()

    event.listen(other.engine.sync_engine, "before_cursor_execute", watch)
    try:
        async with database.session() as first, other.session() as second:
            assert await PolicyRepository(first, tenant_id).save(None, {"v": 1}, "a") == 1
            racer = asyncio.create_task(PolicyRepository(second, tenant_id).save(None, {}, "b"))
            await inserting.wait()  # the loser has read the version before the winner commits
            await first.commit()
            with pytest.raises(PolicyConflict, match="version 1 of the tenant default"):
                await racer
            await second.rollback()
            assert await PolicyRepository(second, tenant_id).save(None, {}, "b") == 2
            await second.commit()
    finally:
        await other.dispose()
