"""`rapport connect microsoft`, then `sync`, `people`, `meetings`, `connections`, as an operator
runs them, against the Graph emulator on HTTPS loopback (`--authority`, `--graph-url`,
`RAPPORT_CA_BUNDLE`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from service.storage import PeopleRepository, PersonRow, PreferencesRepository, TenantRepository
from tests.emulators.microsoft.fixtures import Graph, graph, graph_server
from tests.fixtures.operator_cli import Operator

__all__ = ["graph", "graph_server"]

SOON = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
ANA, BEN, CAT = "ana@example.com", "ben@example.com", "cat@example.com"


def _organisation(graph: Graph) -> None:
    state = graph.state
    ana = state.add_user(ANA, "Ana")
    ben = state.add_user(BEN, "Ben", time_zone="Pacific Standard Time")
    state.add_user(CAT, "Cat", aliases=("catherine@example.com",))
    state.add_user("nomailbox@example.com")
    nomail = state.user_id("nomailbox@example.com")
    state.users[nomail]["mail"] = None  # no Exchange mailbox: left out
    state.managers[ana] = ben
    state.add_group("Engineering", [ana, ben])
    state.add_event(ANA, "Soon", SOON, attendees=(BEN,))
    state.add_series(ANA, "Weekly", SOON - timedelta(days=14), 6, attendees=(CAT,))


def _operator(tmp_path: Path, graph: Graph) -> tuple[Operator, list[str]]:
    rapport = Operator(tmp_path / "data", env={"RAPPORT_CA_BUNDLE": str(graph.running.ca_file)})
    rapport.ok("admin", "create-tenant", "Acme")
    secret = tmp_path / "secret.txt"
    secret.write_text(str(graph.account.client_secret) + "\n", encoding="utf-8")
    command = [
        "connect", "microsoft", "--tenant", "acme",
        "--directory-tenant", graph.state.tenant_id, "--client-id", graph.account.client_id,
        "--client-secret-file", str(secret), "--authority", graph.running.authority_host,
        "--graph-url", graph.running.graph_url,
    ]  # fmt: skip
    return rapport, command


def test_connect_microsoft_then_sync_people_meetings_connections(
    tmp_path: Path, graph: Graph
) -> None:
    _organisation(graph)
    rapport, command = _operator(tmp_path, graph)
    (shown,) = rapport.ok(*command)
    assert shown["status"] == "ok"
    assert "Calendars.Read" in shown["permissions"]  # type: ignore[operator]
    sync = rapport("sync", "--tenant", "acme")
    assert sync.exit_code == 0, sync.stderr
    assert "Microsoft directory: 3 people (3 new" in sync.stderr
    people = {p["email"]: p for p in rapport.ok("people", "--tenant", "acme")}
    assert set(people) == {ANA, BEN, CAT}
    assert people[ANA]["manager"] == BEN
    assert people[CAT]["aliases"] == ["catherine@example.com"]
    assert people[BEN]["time_zone"] == "America/Los_Angeles"
    meetings = rapport.ok("meetings", "--tenant", "acme", "--person", ANA)
    titles = sorted(str(m["title"]) for m in meetings)
    assert "Soon" in titles
    assert titles.count("Weekly") >= 3, titles
    lines = rapport.ok("connections", "--tenant", "acme")
    directory = [line for line in lines if line.get("kind") == "directory"]
    assert directory[0]["status"] == "ok"
    assert directory[0]["person"] == graph.state.tenant_id
    calendars = [
        line for line in lines if line.get("provider") == "microsoft" and line["id"] is not None
    ]
    assert {c["person"] for c in calendars} == {ANA, BEN, CAT}
    assert all(c["status"] == "ok" for c in calendars)
    assert all(str(c["push"]).startswith("poll only") for c in calendars)
    secret = str(graph.account.client_secret)
    assert secret not in rapport.log()
    assert secret not in sync.stdout + sync.stderr

    # A second round: nothing changed, nothing duplicated; the steady round's delta requests
    # go out in one $batch (3 mailboxes), none on its own.
    graph.state.http.clear()
    again = rapport("sync", "--tenant", "acme")
    assert again.exit_code == 0, again.stderr
    assert graph.state.http.count("/$batch") == 2  # managers + mailboxSettings, then deltas
    assert not [p for p in graph.state.http if p.endswith("/calendarView/delta")]
    assert len(rapport.ok("meetings", "--tenant", "acme", "--person", ANA)) == len(meetings)


def test_connect_microsoft_wrong_secret_needs_attention_with_aadsts(
    tmp_path: Path, graph: Graph
) -> None:
    _organisation(graph)
    rapport, command = _operator(tmp_path, graph)
    (tmp_path / "secret.txt").write_text("not-the-secret", encoding="utf-8")
    result = rapport(*command)
    assert result.exit_code == 1
    assert "AADSTS7000215" in result.stdout
    sync = rapport("sync", "--tenant", "acme")
    assert sync.exit_code == 1
    assert "needs attention: Microsoft directory" in sync.stderr
    assert "AADSTS7000215" in sync.stderr


def test_connect_microsoft_refuses_plain_http_authority(tmp_path: Path, graph: Graph) -> None:
    rapport, command = _operator(tmp_path, graph)
    command[command.index("--authority") + 1] = "http://login.example.com"
    assert "https" in rapport.fails(*command)


def test_sync_microsoft_changes_deletions_and_expired_token_without_ghosts(
    tmp_path: Path, graph: Graph
) -> None:
    _organisation(graph)
    state = graph.state
    moved = state.add_event(ANA, "Moved", SOON + timedelta(hours=2))
    gone = state.add_event(ANA, "Gone", SOON + timedelta(hours=4))
    rapport, command = _operator(tmp_path, graph)
    rapport.ok(*command)
    assert rapport("sync", "--tenant", "acme").exit_code == 0

    def titles() -> list[str]:
        found = rapport.ok("meetings", "--tenant", "acme", "--person", ANA)
        return sorted(str(m["title"]) for m in found if m.get("status") != "cancelled")

    before = titles()
    assert {"Moved", "Gone"} <= set(before)
    state.delete_event(ANA, gone)
    state.update_event(ANA, moved, start=SOON + timedelta(hours=5), end=SOON + timedelta(hours=6))
    state.add_event(ANA, "New", SOON + timedelta(hours=8))
    state.replay = True  # a replayed item changes no row
    assert rapport("sync", "--tenant", "acme").exit_code == 0
    after = titles()
    assert "Gone" not in after
    assert after.count("Moved") == 1
    assert "New" in after

    # The delta token expires and an event is deleted meanwhile: the baseline sweeps it.
    state.expire_delta_tokens()
    new = next(i for i, item in state.mailboxes[state.user_id(ANA)].items.items()
               if item.payload["subject"] == "New")  # fmt: skip
    state.delete_event(ANA, new)
    sync = rapport("sync", "--tenant", "acme")
    assert sync.exit_code == 0, sync.stderr
    final = titles()
    assert "New" not in final
    assert final.count("Moved") == 1
    assert final.count("Soon") == 1


def test_sync_microsoft_revoked_consent_marks_connections_with_aadsts(
    tmp_path: Path, graph: Graph
) -> None:
    _organisation(graph)
    rapport, command = _operator(tmp_path, graph)
    rapport.ok(*command)
    assert rapport("sync", "--tenant", "acme").exit_code == 0
    graph.state.client_error = (
        "invalid_client",
        "AADSTS7000112: Application is disabled.",
    )
    graph.state.tokens.clear()  # Graph refuses the old token: one refresh meets the refusal
    sync = rapport("sync", "--tenant", "acme")
    assert sync.exit_code == 1
    assert "AADSTS7000112" in sync.stderr
    lines = rapport.ok("connections", "--tenant", "acme")
    calendars = [line for line in lines if line.get("provider") == "microsoft" and line["id"]]
    assert calendars
    assert all(c["status"] == "auth_revoked" for c in calendars)
    assert all("AADSTS7000112" in str(c["message"]) for c in calendars)


def test_connect_microsoft_with_certificate_file(tmp_path: Path, graph: Graph) -> None:
    _organisation(graph)
    rapport, command = _operator(tmp_path, graph)
    pem = tmp_path / "app.pem"
    pem.write_text(graph.state.add_certificate(graph.account.client_id), encoding="utf-8")
    at = command.index("--client-secret-file")
    command[at : at + 2] = ["--certificate-file", str(pem)]
    (shown,) = rapport.ok(*command)
    assert shown["status"] == "ok"
    assert rapport("sync", "--tenant", "acme").exit_code == 0
    assert "PRIVATE KEY" not in rapport.log()


def test_tick_microsoft_steady_round_asks_delta_pages_through_batch(
    tmp_path: Path, graph: Graph
) -> None:
    # `rapport tick` runs the scheduled round `rapport serve` runs (`sync_tenant` with the
    # sync interval): its steady delta requests go out in a $batch too, none on its own.
    _organisation(graph)
    rapport, command = _operator(tmp_path, graph)
    rapport.ok(*command)
    assert rapport("sync", "--tenant", "acme").exit_code == 0
    graph.state.http.clear()
    later = (datetime.now(UTC) + timedelta(minutes=20)).isoformat()
    tick = rapport("tick", "--tenant", "acme", "--now", later)
    assert tick.exit_code == 0, tick.stderr
    assert graph.state.http.count("/$batch") == 1, graph.state.http
    assert not [p for p in graph.state.http if p.endswith("/calendarView/delta")]


async def _people(rapport: Operator) -> dict[str, PersonRow]:
    db = rapport.database()
    try:
        async with db.session() as session:
            tenant = await TenantRepository(session).by_slug("acme")
            assert tenant is not None
            return await PeopleRepository(session, tenant.id).by_emails({ANA, BEN, CAT})
    finally:
        await db.dispose()


async def _choose_hours(rapport: Operator, email: str, hours: dict[str, str]) -> None:
    db = rapport.database()
    try:
        async with db.session() as session:
            tenant = await TenantRepository(session).by_slug("acme")
            assert tenant is not None
            person = await PeopleRepository(session, tenant.id).by_email(email)
            assert person is not None
            await PreferencesRepository(session, tenant.id).set_delivery(
                person.id, timezone=person.timezone, working_hours=hours, delivery_mode=None
            )
            await session.commit()
    finally:
        await db.dispose()


def test_sync_microsoft_directory_working_hours_kept_apart_from_own(
    tmp_path: Path, graph: Graph
) -> None:
    _organisation(graph)
    ben = graph.state.user_id(BEN)
    graph.state.mailbox_settings[ben]["workingHours"] = {
        "daysOfWeek": ["tuesday", "wednesday", "thursday"],
        "startTime": "07:00:00.0000000", "endTime": "15:30:00.0000000",
        "timeZone": {"name": "Pacific Standard Time"},
    }  # fmt: skip
    rapport, command = _operator(tmp_path, graph)
    rapport.ok(*command)
    assert rapport("sync", "--tenant", "acme").exit_code == 0
    people = asyncio.run(_people(rapport))
    assert people[BEN].directory_working_hours == {
        "start": "07:00", "end": "15:30", "days": [2, 3, 4],
    }  # fmt: skip
    assert people[BEN].working_hours is None
    # Ana chooses her own hours on her preferences page; the next directory round keeps them.
    asyncio.run(_choose_hours(rapport, ANA, {"start": "10:00", "end": "18:00"}))
    graph.state.mailbox_settings[ben]["workingHours"]["startTime"] = "08:00:00.0000000"
    assert rapport("sync", "--tenant", "acme").exit_code == 0
    people = asyncio.run(_people(rapport))
    assert people[ANA].working_hours == {"start": "10:00", "end": "18:00"}
    assert people[ANA].directory_working_hours == {
        "start": "09:00", "end": "17:00", "days": [1, 2, 3, 4, 5],
    }  # fmt: skip
    ben_hours = people[BEN].directory_working_hours
    assert ben_hours is not None
    assert ben_hours["start"] == "08:00"
