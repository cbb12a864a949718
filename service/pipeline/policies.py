"""Policies as the pipeline reads them: the tenant's default and each group's override."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from service.domain.policy import Policy, merge_policy, validate_policy
from service.runtime import Runtime
from service.storage import PolicyRepository


@dataclass(frozen=True, slots=True)
class TenantPolicies:
    """The tenant's default policy and the merged policy of each group that overrides it."""

    default: Policy
    groups: dict[str, Policy] = field(default_factory=dict)

    def for_group(self, group: str | None) -> Policy:
        """The policy that applies to a member of `group` (the default when it has none)."""
        return self.groups.get(group, self.default) if group is not None else self.default

    @property
    def longest_series_cap_days(self) -> int:
        """The longest per-series cap of any kind in any of these policies, in days."""
        return max(
            kind.series_cap_days
            for policy in (self.default, *self.groups.values())
            for kind in policy.kinds.values()
        )


async def load_policies(session: AsyncSession, tenant_id: int) -> TenantPolicies:
    """Read the tenant's current default and group policies (validated, groups merged)."""
    policies = PolicyRepository(session, tenant_id)
    default_row = await policies.current(None)
    default_body = {} if default_row is None else default_row.body
    groups: dict[str, Policy] = {}
    for group in await policies.groups():
        override = await policies.current(group)
        if override is not None:
            groups[group] = merge_policy(default_body, override.body)
    return TenantPolicies(validate_policy(default_body), groups)


async def tenant_policy(rt: Runtime, tenant_id: int) -> Policy:
    """The tenant's default policy (the design's defaults until an admin saves one)."""
    async with rt.db.session() as session:
        row = await PolicyRepository(session, tenant_id).current(None)
    return Policy() if row is None else validate_policy(row.body)
