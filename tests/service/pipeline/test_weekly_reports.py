"""Weekly reports: one file per tenant and person, only for people with their own calendar."""

from __future__ import annotations

import email as email_module
import uuid
from datetime import UTC, datetime
from email import policy as mail_policy
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


async def test_send_weekly_reports_at_each_person_s_local_report_time(
    database: Database, tmp_path: Path
) -> None:
    # Monday 09:00 UTC: 09:00 in London (after 08:00), 04:00 in New York (not yet).
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    outbox = MaildirOutbox(tmp_path / "outbox")
    slug = f"t-{uuid.uuid4().hex[:12]}"
    async with database.transaction() as session:
        tenant = await TenantRepository(session).get_or_create(slug, "Acme", ["example.com"])
        ids = await PeopleRepository(session, tenant.id).upsert_many(
            [
                PersonIn(email="ana@example.com", name="Ana Lee", timezone="Europe/London"),
                PersonIn(email="ned@example.com", name="Ned Cho", timezone="America/New_York"),
            ]
        )
        for address, person_id in ids.items():
            await CalendarRepository(session, tenant.id).ensure(person_id, "ics", f"/{address}")
    early = await send_weekly_reports(
        runtime(database, outbox, tmp_path, now=monday), tenant.id, Policy()
    )
    assert early.sent == 1
    (message,) = [
        email_module.message_from_bytes(p.read_bytes(), policy=mail_policy.default)
        for p in (tmp_path / "outbox" / "new").iterdir()
    ]
    assert message["To"] == "ana@example.com"
    assert str(message["Date"]).endswith("+0000")  # London, in winter
    assert str(message["Subject"]).startswith("Welcome to Rapport")  # her first email
    later = monday.replace(hour=14)  # 09:00 in New York
    rt = runtime(database, outbox, tmp_path, now=later)
    assert (await send_weekly_reports(rt, tenant.id, Policy())).sent == 1
    dates = sorted(
        str(email_module.message_from_bytes(p.read_bytes(), policy=mail_policy.default)["Date"])
        for p in (tmp_path / "outbox" / "new").iterdir()
    )
    assert any(d.endswith("-0500") for d in dates)
