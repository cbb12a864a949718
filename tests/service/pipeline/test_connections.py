"""Connections: feed URLs stored encrypted and shown redacted; a calendar built back from one."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.email import MaildirOutbox
from service.errors import NotFound
from service.pipeline.connections import add_ics_connection, calendar_ref, redact_url
from service.runtime import Runtime
from service.secrets import load_secret_box, new_key
from service.storage import CalendarRepository, Database, PeopleRepository, PersonIn
from tests.fixtures.pipeline import runtime

SECRET_URL = "https://outlook.office365.com/owa/calendar/abc/f00dfeed0123456789/reachcalendar.ics"


def _runtime(database: Database, tmp_path: Path) -> Runtime:
    base = runtime(database, MaildirOutbox(tmp_path / "outbox"), tmp_path)
    return Runtime(
        db=base.db, mailer=base.mailer, renderer=base.renderer, mail=base.mail,
        reports_dir=base.reports_dir, clock=base.clock, connectors=base.connectors,
        secrets=load_secret_box(new_key(), tmp_path),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (SECRET_URL, "https://outlook.office365.com/…/reachcalendar.ics"),
        (
            "https://p01-caldav.icloud.com/published/2/MTIzNDU2Nzg5MDEyMzQ1Njc4OTA",
            "https://p01-caldav.icloud.com/…/",
        ),
        (
            "https://user:pw@cal.example.com/basic.ics?token=s3cret",
            "https://cal.example.com/basic.ics",
        ),
        ("webcal://cal.example.com:8443/a/b.ics", "webcal://cal.example.com:8443/…/b.ics"),
        ("/srv/feeds/ana.ics", "(local file)"),
        # A token can sit in the file name itself: only a plain word survives.
        ("http://127.0.0.1:8765/ana-secret-token-9f8e7d.ics", "http://127.0.0.1:8765/…/"),
        (
            "https://cal.example.com/u/7c1e0b6a-55aa-4c1e-9a0b-1f2e3d4c5b6a.ics",
            "https://cal.example.com/…/",
        ),
        (
            "https://calendar.google.com/calendar/ical/a%40b.com/private-0f1e2d/basic.ics",
            "https://calendar.google.com/…/basic.ics",
        ),
    ],
)
def test_redact_url_hides_tokens(url: str, shown: str) -> None:
    assert redact_url(url) == shown


async def test_add_ics_connection_stores_url_encrypted_and_reads_it_back(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    rt = _runtime(database, tmp_path)
    async with database.session() as session:
        await PeopleRepository(session, tenant_id).upsert_many([PersonIn(email="ana@example.com")])
        await session.commit()
    connection_id = await add_ics_connection(rt, tenant_id, "ana@example.com", SECRET_URL)
    again = await add_ics_connection(rt, tenant_id, "ana@example.com", SECRET_URL)
    assert again == connection_id
    async with database.session() as session:
        row = await CalendarRepository(session, tenant_id).get(connection_id)
        person = await PeopleRepository(session, tenant_id).by_email("ana@example.com")
    assert row is not None
    assert person is not None
    assert "f00dfeed" not in row.source
    assert row.credentials_encrypted is not None
    assert b"f00dfeed" not in row.credentials_encrypted
    assert calendar_ref(rt, row, person).source == SECRET_URL


async def test_add_ics_connection_unknown_person_is_not_found(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    with pytest.raises(NotFound, match="no person"):
        await add_ics_connection(
            _runtime(database, tmp_path), tenant_id, "x@example.com", SECRET_URL
        )
