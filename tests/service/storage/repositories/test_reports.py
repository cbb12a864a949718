"""Weekly report records: claimed once per person and week; a failed one may be claimed again."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from service.errors import Conflict
from service.storage import Database, PeopleRepository, PersonIn, ReportRepository


async def test_claim_report_once_per_week(database: Database, tenant_id: int) -> None:
    week = date(2030, 3, 4)
    async with database.transaction() as session:
        people = await PeopleRepository(session, tenant_id).upsert_many(
            [PersonIn("ana@example.com")]
        )
        ana = people["ana@example.com"]
        repo = ReportRepository(session, tenant_id)
        assert await repo.claim(ana, week)
        assert not await repo.claim(ana, week)
        await repo.mark_failed(ana, week)
        assert await repo.claim(ana, week)
        await repo.mark_sent(ana, week, "<r@rapport>")
        assert not await repo.claim(ana, week)
        assert await repo.claim(ana, week + timedelta(days=7))
        row = await repo.get(ana, week)
        with pytest.raises(Conflict, match="no report being sent"):
            await repo.mark_sent(ana, week, "<again@rapport>")
    assert row is not None
    assert (row.state, row.message_id, row.week_start) == ("sent", "<r@rapport>", week)
