"""Google API requests per Cloud project per UTC day: project-wide, like the quota they count,
so this is one of the unscoped repositories (no tenant's data in it; never commit)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.storage.models import GoogleRequestDay
from service.storage.repositories.base import upsert


class GoogleRequestRepository:
    """Google API requests per Cloud project per UTC day (project-wide: not tenant-scoped,
    like the quota it counts)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, day: date, counts: Mapping[str, int]) -> None:
        """Add each project's requests to its count for `day` (one upsert per project)."""
        for project, requests in sorted(counts.items()):
            if requests <= 0:
                continue
            statement = upsert(self.session, GoogleRequestDay).values(
                project=project[:200], day=day, requests=requests
            )
            statement = statement.on_conflict_do_update(
                index_elements=["project", "day"],
                set_={"requests": GoogleRequestDay.requests + statement.excluded.requests},
            )
            await self.session.execute(statement)

    async def on(self, project: str, day: date) -> int:
        """The project's requests counted for `day` (0 when none)."""
        statement = select(GoogleRequestDay.requests).where(
            GoogleRequestDay.project == project[:200], GoogleRequestDay.day == day
        )
        return int(await self.session.scalar(statement) or 0)
