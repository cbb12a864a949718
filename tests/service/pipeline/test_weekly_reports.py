"""Weekly reports: one file per tenant and person, only for people with their own calendar."""

from __future__ import annotations

import uuid
from pathlib import Path

from service.domain.policy import Policy
from service.email import MaildirOutbox
from service.pipeline.weekly_reports import send_weekly_reports
from service.storage import (
    CalendarRepository,
    Database,
    PeopleRepository,
    PersonIn,
    TenantRepository,
)
from tests.fixtures.pipeline import runtime


async def _tenant(database: Database, emails: list[str], connected: list[str]) -> int:
    slug = f"t-{uuid.uuid4().hex[:12]}"
    async with database.transaction() as session:
        tenant = await TenantRepository(session).get_or_create(slug, slug, ["example.com"])
        ids = await PeopleRepository(session, tenant.id).upsert_many(
            [PersonIn(email=e, timezone="Europe/London") for e in emails]
        )
        for email in connected:
            await CalendarRepository(session, tenant.id).ensure(ids[email], "ics", f"/{email}")
    return tenant.id


async def test_send_weekly_reports_files_per_tenant_and_person(
    database: Database, tmp_path: Path
) -> None:
    rt = runtime(database, MaildirOutbox(tmp_path / "outbox"), tmp_path)
    both = ["alex@a.example", "alex@b.example"]
    first = await _tenant(database, both, both)
    second = await _tenant(database, ["alex@a.example"], ["alex@a.example"])
    one = await send_weekly_reports(rt, first, Policy())
    two = await send_weekly_reports(rt, second, Policy())
    files = one.files + two.files
    assert len(set(files)) == 3
    assert one.files[0].parent != two.files[0].parent
    assert all(rt.reports_dir in path.parents for path in files)
    for path, email in zip(files, [*both, "alex@a.example"], strict=True):
        html = path.read_text(encoding="utf-8")
        others = {"alex@a.example", "alex@b.example"} - {email}
        assert not any(other in html for other in others), path


async def test_send_weekly_reports_only_to_people_with_a_calendar(
    database: Database, tmp_path: Path
) -> None:
    rt = runtime(database, MaildirOutbox(tmp_path / "outbox"), tmp_path)
    tenant_id = await _tenant(database, ["ana@example.com", "ben@example.com"], ["ana@example.com"])
    outcome = await send_weekly_reports(rt, tenant_id, Policy())
    # Ben has no calendar here: he is a name on meetings, never a recipient.
    assert (outcome.people, outcome.sent, len(outcome.files)) == (1, 1, 1)
