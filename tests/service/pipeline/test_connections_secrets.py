"""Connections and the secret store: feed sources, pending status, the key check, rotation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.email import MaildirOutbox
from service.pipeline.connections import (
    InvalidFeedUrl,
    add_ics_connection,
    check_secrets,
    feed_source,
    rotate_secrets,
    scrub_secret,
)
from service.runtime import Runtime
from service.secrets import SecretBox, SecretKeyError, new_key
from service.storage import (
    CalendarRepository,
    Database,
    PeopleRepository,
    PersonIn,
    TenantRepository,
)
from tests.fixtures.pipeline import runtime

TOKEN = "f00dfeed0123456789abcdef"
SECRET_URL = f"https://outlook.office365.com/owa/calendar/abc/{TOKEN}/reachcalendar.ics"


def _rt(database: Database, tmp_path: Path, *keys: str) -> Runtime:
    base = runtime(database, MaildirOutbox(tmp_path / "outbox"), tmp_path)
    return Runtime(
        db=base.db, mailer=base.mailer, renderer=base.renderer, mail=base.mail,
        reports_dir=base.reports_dir, clock=base.clock, connectors=base.connectors,
        secrets=SecretBox([key.encode() for key in keys]),
    )  # fmt: skip


async def _person(database: Database, tenant_id: int, email: str = "ana@example.com") -> int:
    async with database.session() as session:
        ids = await PeopleRepository(session, tenant_id).upsert_many([PersonIn(email=email)])
        await session.commit()
    return ids[email]


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://cal.example.com/a.ics?t=1", "https://cal.example.com/a.ics?t=1"),
        ("http://cal.example.com/a.ics", "http://cal.example.com/a.ics"),
        ("webcal://p01.icloud.com/published/2/x", "https://p01.icloud.com/published/2/x"),
        ("WEBCALS://cal.example.com:8443/a.ics", "https://cal.example.com:8443/a.ics"),
        ("  https://cal.example.com/a.ics  ", "https://cal.example.com/a.ics"),
    ],
)
def test_feed_source_normalises_urls(given: str, stored: str) -> None:
    assert feed_source(given) == stored


def test_feed_source_local_path_made_absolute(tmp_path: Path) -> None:
    feed = tmp_path / "ana.ics"
    assert feed_source(str(feed)) == str(feed)
    assert feed_source(f"file://{feed}") == str(feed)
    assert Path(feed_source("relative.ics")).is_absolute()


@pytest.mark.parametrize(
    "given",
    [
        f"ftp://cal.example.com/{TOKEN}",
        f"https:///{TOKEN}",
        f"https://cal.example.com:notaport/{TOKEN}",
        f"https://cal.example.com/{TOKEN} and more",
        "",
        "   ",
    ],
)
def test_feed_source_rejects_without_echoing_url(given: str) -> None:
    with pytest.raises(InvalidFeedUrl) as caught:
        feed_source(given)
    assert TOKEN not in str(caught.value)


def test_scrub_secret_removes_url_and_token_pieces() -> None:
    url = f"https://user:{TOKEN}@cal.example.com/p/{TOKEN}x/a.ics?key={TOKEN}"
    message = f"HTTP 404 for {url}; retried {TOKEN}x"
    cleaned = scrub_secret(message, url)
    assert TOKEN not in cleaned
    assert "HTTP 404" in cleaned
    assert scrub_secret("plain message", "/srv/feeds/ana.ics") == "plain message"


async def test_add_ics_connection_new_is_pending_synced_stays_ok(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    rt = _rt(database, tmp_path, new_key())
    await _person(database, tenant_id)
    connection_id = await add_ics_connection(rt, tenant_id, "ana@example.com", SECRET_URL)
    async with database.session() as session:
        calendars = CalendarRepository(session, tenant_id)
        row = await calendars.get(connection_id)
        assert row is not None
        assert row.status == "pending"
        await calendars.set_cursor(connection_id, None, datetime(2026, 11, 24, tzinfo=UTC))
        await session.commit()
    await add_ics_connection(rt, tenant_id, "ana@example.com", SECRET_URL)
    async with database.session() as session:
        row = await CalendarRepository(session, tenant_id).get(connection_id)
    assert row is not None
    assert row.status == "ok"


async def test_check_secrets_names_connections_no_key_opens(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    old, other = new_key(), new_key()
    await _person(database, tenant_id)
    connection_id = await add_ics_connection(
        _rt(database, tmp_path, old), tenant_id, "ana@example.com", SECRET_URL
    )
    assert await check_secrets(_rt(database, tmp_path, old), tenant_id) == 1
    assert await check_secrets(_rt(database, tmp_path, other, old), tenant_id) == 1
    with pytest.raises(SecretKeyError) as caught:
        await check_secrets(_rt(database, tmp_path, other), tenant_id)
    assert f"connection {connection_id}" in str(caught.value)
    assert TOKEN not in str(caught.value)
    with pytest.raises(SecretKeyError):
        await check_secrets(_rt(database, tmp_path, other), None)


async def test_check_secrets_other_tenant_not_checked(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    async with database.transaction() as session:
        other = await TenantRepository(session).get_or_create(f"o-{tenant_id}", "Other")
    await _person(database, other.id)
    await add_ics_connection(
        _rt(database, tmp_path, new_key()), other.id, "ana@example.com", SECRET_URL
    )
    assert await check_secrets(_rt(database, tmp_path, new_key()), tenant_id) == 0


async def test_rotate_secrets_reencrypts_with_first_key(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    old, new = new_key(), new_key()
    await _person(database, tenant_id)
    await _person(database, tenant_id, "ben@example.com")
    rt_old = _rt(database, tmp_path, old)
    await add_ics_connection(rt_old, tenant_id, "ana@example.com", SECRET_URL)
    await add_ics_connection(rt_old, tenant_id, "ben@example.com", SECRET_URL + "?b=1")
    both = _rt(database, tmp_path, new, old)
    assert await rotate_secrets(both, tenant_id) == 2
    assert await rotate_secrets(both, tenant_id) == 2  # idempotent: the same, still readable
    only_new = _rt(database, tmp_path, new)
    assert await check_secrets(only_new, tenant_id) == 2
    async with database.session() as session:
        sources = {
            only_new.secret_box().decrypt(token)
            async for _, token in CalendarRepository(session, tenant_id).iter_encrypted()
        }
    assert sources == {SECRET_URL, SECRET_URL + "?b=1"}


async def test_rotate_secrets_unopened_changes_nothing(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    old, new = new_key(), new_key()
    await _person(database, tenant_id)
    await add_ics_connection(_rt(database, tmp_path, old), tenant_id, "ana@example.com", SECRET_URL)
    async with database.session() as session:
        before = [t async for _, t in CalendarRepository(session, tenant_id).iter_encrypted()]
    with pytest.raises(SecretKeyError):
        await rotate_secrets(_rt(database, tmp_path, new), tenant_id)
    async with database.session() as session:
        after = [t async for _, t in CalendarRepository(session, tenant_id).iter_encrypted()]
    assert after == before
