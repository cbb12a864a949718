"""Policies (versioned, tenant default + group overrides) and the audit log."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from service.errors import Conflict
from service.storage.models import AuditEntry, PolicyVersion
from service.storage.repositories.base import Scoped, utcnow
from service.storage.rows import AuditRow, PolicyRow


class PolicyConflict(Conflict):
    """Another save of the same policy won the race for this version."""

    def __init__(self, group_key: str | None, version: int) -> None:
        where = "the tenant default" if group_key is None else f"group {group_key!r}"
        super().__init__(f"policy version {version} of {where} was saved concurrently")
        self.group_key = group_key
        self.version = version


def _policy_row(policy: PolicyVersion) -> PolicyRow:
    return PolicyRow(
        id=policy.id,
        group_key=policy.group_key,
        version=policy.version,
        body=dict(policy.body),
        created_by=policy.created_by,
        created_at=policy.created_at,
    )


class AuditRepository(Scoped):
    """The audit log of one tenant: who changed what, when, before and after."""

    async def record(
        self,
        actor: str,
        action: str,
        entity: str,
        entity_id: str | int | None = None,
        before: Any = None,
        after: Any = None,
    ) -> int:
        """Append one entry (in the caller's transaction); returns its id."""
        entry = AuditEntry(
            tenant_id=self.tenant_id,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            before=before,
            after=after,
            at=utcnow(),
        )
        self.session.add(entry)
        await self.session.flush()
        return entry.id

    async def list(
        self,
        entity: str | None = None,
        entity_id: str | int | None = None,
        limit: int = 100,
    ) -> builtins.list[AuditRow]:
        """The newest entries first, optionally for one entity (and one id of it)."""
        statement = self._select(AuditEntry)
        if entity is not None:
            statement = statement.where(AuditEntry.entity == entity)
        if entity_id is not None:
            statement = statement.where(AuditEntry.entity_id == str(entity_id))
        statement = statement.order_by(AuditEntry.id.desc()).limit(limit)
        return [
            AuditRow(
                id=e.id,
                actor=e.actor,
                action=e.action,
                entity=e.entity,
                entity_id=e.entity_id,
                before=e.before,
                after=e.after,
                at=e.at,
            )
            for e in await self.session.scalars(statement)
        ]


class PolicyRepository(Scoped):
    """Policy versions of one tenant; `group_key` None is the tenant default."""

    def _for_group(self, group_key: str | None) -> Any:
        statement = self._select(PolicyVersion)
        if group_key is None:
            return statement.where(PolicyVersion.group_key.is_(None))
        return statement.where(PolicyVersion.group_key == group_key)

    async def current(self, group_key: str | None = None) -> PolicyRow | None:
        """The newest version for `group_key` (None: the tenant default), or None."""
        statement = self._for_group(group_key).order_by(PolicyVersion.version.desc()).limit(1)
        policy = await self.session.scalar(statement)
        return None if policy is None else _policy_row(policy)

    async def history(self, group_key: str | None = None) -> builtins.list[PolicyRow]:
        """Every version for `group_key`, newest first."""
        statement = self._for_group(group_key).order_by(PolicyVersion.version.desc())
        return [_policy_row(p) for p in await self.session.scalars(statement)]

    async def groups(self) -> builtins.list[str]:
        """The group keys that have an override."""
        statement = (
            self._select_columns(PolicyVersion, PolicyVersion.group_key)
            .where(PolicyVersion.group_key.is_not(None))
            .distinct()
            .order_by(PolicyVersion.group_key)
        )
        return [key for key in await self.session.scalars(statement) if key is not None]

    async def save(self, group_key: str | None, body: Mapping[str, Any], actor: str) -> int:
        """Store `body` as the next version and audit it (before/after) in the same transaction.

        Returns the new version number. Two concurrent saves of one group cannot both win: the
        loser gets `PolicyConflict` and must roll back (and may retry on the new version).
        """
        before = await self.current(group_key)
        version = 1 if before is None else before.version + 1
        policy = PolicyVersion(
            tenant_id=self.tenant_id,
            group_key=group_key,
            version=version,
            body=dict(body),
            created_by=actor,
            created_at=utcnow(),
        )
        self.session.add(policy)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise PolicyConflict(group_key, version) from exc
        await AuditRepository(self.session, self.tenant_id).record(
            actor,
            "policy.save",
            "policy",
            group_key or "default",
            before=None if before is None else {"version": before.version, "body": before.body},
            after={"version": version, "body": dict(body)},
        )
        return version
