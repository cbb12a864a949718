"""Calendar connections: idempotent ensure, cursors, statuses, credentials, what is due."""

from __future__ import annotations

from datetime import timedelta

import pytest

from service.errors import NotFound
from service.storage import CalendarRepository, Database, PeopleRepository, PersonIn
from tests.fixtures.storage_builders import T0


async def test_ensure_calendar_idempotent_cursor_and_errors(
    database: Database, tenant_id: int
) -> None:
    async with database.transaction() as session:
        people = await PeopleRepository(session, tenant_id).upsert_many(
            [PersonIn("ana@example.com")]
        )
        repo = CalendarRepository(session, tenant_id)
        ana = people["ana@example.com"]
        first = await repo.ensure(ana, "ics", "https://cal.example.com/ana.ics")
        assert await repo.ensure(ana, "ics", "https://cal.example.com/ana.ics") == first
        other = await repo.ensure(ana, "google", "primary")
        assert other != first
        assert [c.id for c in await repo.due_for_sync(T0)] == [first, other]
        await repo.set_cursor(first, "etag-1", T0)
        await repo.mark_error(other, "auth_revoked", "invalid_grant")
        await repo.set_credentials(first, b"encrypted")
        row = await repo.get(first)
        revoked = await repo.get(other)
        due = await repo.due_for_sync(T0 + timedelta(minutes=15))
        with pytest.raises(ValueError, match="provider"):
            await repo.ensure(ana, "caldav", "x")
        with pytest.raises(ValueError, match="status"):
            await repo.mark_error(first, "ok", "x")
        with pytest.raises(NotFound, match="not found in this tenant"):
            await repo.set_cursor(first + 10_000, None, T0)
    assert row is not None
    assert (row.cursor, row.status, row.last_synced_at) == ("etag-1", "ok", T0)
    assert row.credentials_encrypted == b"encrypted"
    assert revoked is not None
    assert (revoked.status, revoked.last_error) == ("auth_revoked", "invalid_grant")
    assert [c.id for c in due] == [first]
