"""`rapport connect ics`: the feed URL is stored encrypted and never printed or logged."""

from __future__ import annotations

import asyncio
from pathlib import Path

from service.pipeline.connections import fingerprint
from service.storage import CalendarRepository
from tests.fixtures.operator_cli import Operator

TOKEN = "s3cr3tT0kenf00dfeed4242"
SECRET_URL = f"webcal://outlook.office365.com/owa/calendar/{TOKEN}/reachcalendar.ics?k={TOKEN}"
STORED_URL = SECRET_URL.replace("webcal://", "https://", 1)


def _ready(tmp_path: Path) -> Operator:
    rapport = Operator(tmp_path)
    rapport.ok("admin", "create-tenant", "Acme")
    csv = tmp_path / "people.csv"
    csv.write_text("email,name\nana@example.com,Ana\nben@example.com,Ben\n", encoding="utf-8")
    rapport.ok("people", "import", "--tenant", "acme", str(csv))
    return rapport


def _connect(rapport: Operator, person: str, url: str) -> list[dict[str, object]]:
    return rapport.ok("connect", "ics", "--tenant", "acme", "--person", person, "--url", url)


async def _stored(rapport: Operator, tenant_id: int = 1) -> list[tuple[str, bytes | None]]:
    database = rapport.database()
    try:
        async with database.session() as session:
            return [
                (row.source, row.credentials_encrypted)
                async for row, _ in CalendarRepository(session, tenant_id).iter_with_owner()
            ]
    finally:
        await database.dispose()


def test_connect_ics_stores_encrypted_prints_redacted(tmp_path: Path) -> None:
    rapport = _ready(tmp_path)
    (shown,) = _connect(rapport, "ANA@example.com", SECRET_URL)
    assert shown == {
        "id": shown["id"],
        "provider": "ics",
        "person": "ana@example.com",
        "source": f"https://outlook.office365.com/…/reachcalendar.ics #{fingerprint(STORED_URL)}",
        "status": "pending",
    }
    assert _connect(rapport, "ana@example.com", SECRET_URL)[0]["id"] == shown["id"]  # idempotent
    ((source, token),) = asyncio.run(_stored(rapport))
    assert TOKEN not in source
    assert token is not None
    assert TOKEN.encode() not in token
    assert rapport.secret_box().decrypt(token) == STORED_URL  # webcal stored as https


def test_connect_ics_url_from_stdin_and_local_file(tmp_path: Path) -> None:
    rapport = _ready(tmp_path)
    result = rapport.ok(
        "connect", "ics", "--tenant", "acme", "--person", "ben@example.com", "--url", "-",
        stdin=f"{SECRET_URL}\n",
    )  # fmt: skip
    assert str(result[0]["source"]).startswith("https://outlook.office365.com/…/")
    feed = tmp_path / "ana.ics"
    feed.write_text("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", encoding="utf-8")
    (local,) = _connect(rapport, "ana@example.com", str(feed))
    assert str(local["source"]).startswith("(local file)")


def test_connect_ics_bad_input_one_line_never_the_url(tmp_path: Path) -> None:
    rapport = _ready(tmp_path)
    base = ("connect", "ics", "--tenant", "acme", "--person")
    for args, expected in [
        ((*base, "ana@example.com", "--url", f"ftp://x.example.com/{TOKEN}"), "must start with"),
        ((*base, "ana@example.com", "--url", f"https://{TOKEN} x"), "spaces"),
        ((*base, "ana@example.com", "--url", f"https://h.example.com:{TOKEN}/"), "port"),
        ((*base, "nobody@example.com", "--url", SECRET_URL), "no person 'nobody@example.com'"),
        (("connect", "ics", "--tenant", "nope", "--person", "a@example.com", "--url", SECRET_URL),
         "no tenant named 'nope'"),
        ((*base, "ana@example.com", "--url", str(tmp_path / "missing.ics")), "no such file"),
    ]:  # fmt: skip
        line = rapport.fails(*args)
        assert expected in line
        assert TOKEN not in line
    assert asyncio.run(_stored(rapport)) == []


def test_connect_ics_refused_when_no_key_opens_stored_secrets(tmp_path: Path) -> None:
    rapport = _ready(tmp_path)
    _connect(rapport, "ana@example.com", SECRET_URL)
    other = rapport("admin", "new-secret-key").stdout.strip()
    rapport.env["RAPPORT_SECRET_KEYS"] = other
    line = rapport.fails("connect", "ics", "--tenant", "acme", "--person", "ben@example.com",
                         "--url", "https://cal.example.com/b.ics")  # fmt: skip
    assert "open with none of the configured keys" in line
    assert len(asyncio.run(_stored(rapport))) == 1


async def _fail_sync_with_url_in_message(rapport: Operator) -> None:
    database = rapport.database()
    try:
        async with database.session() as session:
            calendars = CalendarRepository(session, 1)
            async for row, _ in calendars.iter_with_owner():
                # A connector should never put the URL in an error; the view scrubs it anyway.
                await calendars.mark_error(row.id, "error", f"HTTP 404 from {STORED_URL} ({TOKEN})")
            await session.commit()
    finally:
        await database.dispose()


def test_secret_url_never_in_any_output_or_log(tmp_path: Path) -> None:
    rapport = _ready(tmp_path)
    policy = tmp_path / "policy.json"
    policy.write_text('{"lead_minutes": 5}', encoding="utf-8")
    outputs = []
    for args in [
        ("connect", "ics", "--tenant", "acme", "--person", "ana@example.com", "--url", SECRET_URL),
        ("connect", "ics", "--tenant", "acme", "--person", "x@example.com", "--url", SECRET_URL),
        ("connect", "ics", "--tenant", "acme", "--person", "ana@example.com",
         "--url", SECRET_URL.replace("webcal", "gopher")),
        ("admin", "tenants"),
        ("admin", "rotate-secrets"),
        ("people", "--tenant", "acme"),
        ("connections", "--tenant", "acme"),
        ("meetings", "--tenant", "acme"),
        ("nudges", "--tenant", "acme"),
        ("policy", "set", "--tenant", "acme", str(policy)),
        ("policy", "show", "--tenant", "acme"),
    ]:  # fmt: skip
        result = rapport(*args)
        outputs.append(result.stdout + result.stderr)
    asyncio.run(_fail_sync_with_url_in_message(rapport))
    (connection,) = rapport.ok("connections", "--tenant", "acme")
    assert connection["status"] == "error"
    assert str(connection["message"]).startswith("HTTP 404 from https://outlook.office365.com/")
    outputs.append(str(connection))
    log = rapport.log()
    assert "connection.added" in log  # the log was written, at debug level
    for text in [*outputs, log]:
        assert TOKEN not in text
        assert "reachcalendar.ics?" not in text
