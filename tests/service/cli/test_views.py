"""`rapport connections`, `rapport meetings`, `rapport nudges`: JSON lines over a real sync.

The tenant, its people and the connection are made with the commands; the calendar is then
synced and nudges planned by the pipeline (as `rapport sync`/`tick` will), on the same SQLite.
"""

from __future__ import annotations

import asyncio
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from integrations.ics import FetchPolicy, IcsConnector
from service.cli.classify import classify_files
from service.email import EmailRenderer, MaildirOutbox
from service.pipeline.connections import calendar_ref
from service.pipeline.planning import plan_upcoming
from service.pipeline.sync import sync_calendar, sync_scope
from service.runtime import Runtime
from service.storage import CalendarRepository, PeopleRepository
from tests.fixtures.operator_cli import Operator
from tests.fixtures.pipeline import AUDIO, MAIL, NOW, VIDEO, WINDOW, feed_bytes

ANA = "ana@example.com"


async def _sync_and_plan(rapport: Operator, tmp_path: Path) -> None:
    database = rapport.database()
    try:
        rt = Runtime(
            db=database, mailer=MaildirOutbox(tmp_path / "outbox"),
            renderer=EmailRenderer(),
            mail=MAIL, reports_dir=tmp_path / "reports", clock=lambda: NOW,
            # A trusted test file: parsed in a thread, not in a guarded child process.
            connectors={"ics": IcsConnector(FetchPolicy(allow_files=True), parse_timeout_s=None)},
            secrets=rapport.secret_box(),
        )  # fmt: skip
        async with database.session() as session:
            ((row, email),) = [c async for c in CalendarRepository(session, 1).iter_with_owner()]
            person = await PeopleRepository(session, 1).by_email(email)
        assert person is not None
        scope = await sync_scope(rt, 1, WINDOW)
        outcome = await sync_calendar(
            rt, scope, row.id, calendar_ref(rt, row, person), rt.connector("ics")
        )
        assert outcome.error is None
        await plan_upcoming(rt, 1, NOW + timedelta(days=1))
    finally:
        await database.dispose()


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> tuple[Operator, Path]:
    """Acme with Ana, Ben and Cat; Ana's feed (a video and an audio meeting) synced, planned."""
    tmp_path = tmp_path_factory.mktemp("views")
    rapport = Operator(tmp_path / "data")
    rapport.ok("admin", "create-tenant", "Acme", "--domain", "example.com")
    people = tmp_path / "people.csv"
    people.write_text(
        "email,time_zone\nana@example.com,Europe/London\nben@example.com,Europe/London\n"
        "cat@example.com,Europe/London\n",
        encoding="utf-8",
    )
    rapport.ok("people", "import", "--tenant", "acme", str(people))
    feed = tmp_path / "ana.ics"
    feed.write_bytes(feed_bytes(VIDEO, AUDIO))
    rapport.ok("connect", "ics", "--tenant", "acme", "--person", ANA, "--url", str(feed))
    asyncio.run(_sync_and_plan(rapport, tmp_path))
    return rapport, feed


def test_connections_view_fields(synced: tuple[Operator, Path]) -> None:
    rapport, _ = synced
    (connection,) = rapport.ok("connections", "--tenant", "acme")
    assert set(connection) == {"id", "provider", "person", "status", "message", "last_sync"}
    assert (connection["provider"], connection["person"]) == ("ics", ANA)
    assert (connection["status"], connection["message"]) == ("ok", None)
    assert connection["last_sync"] == NOW.isoformat()


def test_meetings_view_matches_classify(synced: tuple[Operator, Path]) -> None:
    rapport, feed = synced
    meetings = rapport.ok("meetings", "--tenant", "acme")
    assert [m["ical_uid"] for m in meetings] == ["video-1@example.com", "audio-1@example.com"]
    video = meetings[0]
    assert video["start"] == "2026-11-24T10:00:00+00:00"
    assert video["end"] == "2026-11-24T10:30:00+00:00"
    assert video["title"] == "Roadmap <b>review</b>"
    assert video["cancelled"] is False
    assert sorted(video["attendees"]) == [ANA, "ben@example.com", "cat@example.com"]  # type: ignore[arg-type]
    assert video["calendars"] == [ANA]
    out = io.StringIO()
    assert classify_files([feed], None, out, io.StringIO(), owner=ANA) == 0
    classified = {line["id"]: line for line in map(json.loads, out.getvalue().splitlines())}
    fields = ("modality", "provider", "hybrid", "one_on_one", "is_meeting", "reasons")
    for meeting in meetings:
        expected = classified[meeting["ical_uid"]]
        assert {f: meeting[f] for f in fields} == {f: expected[f] for f in fields}
    assert video["modality"] == "video"


def test_meetings_view_filters(synced: tuple[Operator, Path]) -> None:
    rapport, _ = synced
    ids = lambda *args: [m["ical_uid"] for m in rapport.ok("meetings", "--tenant", "acme", *args)]  # noqa: E731
    assert ids("--person", "ANA@example.com") == ["video-1@example.com", "audio-1@example.com"]
    assert ids("--person", "ben@example.com") == []  # invited, but no calendar of Ben's shows them
    assert ids("--from", "2026-11-24T10:30Z") == ["audio-1@example.com"]
    assert ids("--to", "2026-11-24T10:30") == ["video-1@example.com"]
    assert ids("--from", "2026-11-25") == []
    assert ids("--from", "2026-11-24T11:00:00+01:00", "--to", "2026-11-24T12:00Z") == [
        "video-1@example.com",
        "audio-1@example.com",
    ]


def test_nudges_view_fields_and_state(synced: tuple[Operator, Path]) -> None:
    rapport, _ = synced
    nudges = rapport.ok("nudges", "--tenant", "acme")
    assert nudges
    assert set(nudges[0]) == {
        "id", "kind", "role", "person", "meeting_uid", "title", "due_at", "state", "sent_at",
        "reason",
    }  # fmt: skip
    assert [n["due_at"] for n in nudges] == sorted(str(n["due_at"]) for n in nudges)
    assert {n["meeting_uid"] for n in nudges} <= {"video-1@example.com", "audio-1@example.com"}
    assert {n["state"] for n in nudges} == {"planned"}
    assert all(n["sent_at"] is None and n["reason"] for n in nudges)
    assert rapport.ok("nudges", "--tenant", "acme", "--state", "PLANNED") == nudges
    assert rapport.ok("nudges", "--tenant", "acme", "--state", "sent") == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("meetings", "--tenant", "acme", "--from", "tomorrow"), "--from 'tomorrow' is not an ISO"),
        (("meetings", "--tenant", "acme", "--to", "2026-13-01"), "--to '2026-13-01' is not an ISO"),
        (("meetings", "--tenant", "acme", "--from", "2026-11-25", "--to", "2026-11-24"),
         "--to must be after --from"),
        (("meetings", "--tenant", "acme", "--person", "zed@example.com"), "no person"),
        (("meetings", "--tenant", "nope"), "no tenant named 'nope'"),
        (("nudges", "--tenant", "acme", "--state", "done"), "--state 'done' is not one of"),
        (("nudges", "--tenant", "nope"), "no tenant named 'nope'"),
        (("connections", "--tenant", "nope"), "no tenant named 'nope'"),
    ],
)  # fmt: skip
def test_views_bad_input_one_line_exit_2(
    synced: tuple[Operator, Path], args: tuple[str, ...], expected: str
) -> None:
    rapport, _ = synced
    assert expected in rapport.fails(*args)


def test_views_other_tenant_empty(synced: tuple[Operator, Path]) -> None:
    rapport, _ = synced
    rapport.ok("admin", "create-tenant", "Globex")
    for view in ("connections", "meetings", "nudges"):
        assert rapport.ok(view, "--tenant", "globex") == []


def test_views_help_lists_fields(synced: tuple[Operator, Path]) -> None:
    rapport, _ = synced
    for view, field in [("connections", "last_sync"), ("meetings", "calendars"),
                        ("nudges", "meeting_uid")]:  # fmt: skip
        result = rapport(view, "--help")
        assert result.exit_code == 0
        assert field in result.stdout
