"""`rapport policy show|set`: validated, versioned and audited, errors that name the field."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from service.storage import AuditRepository, PolicyRepository
from tests.fixtures.operator_cli import Operator


def _tenant(tmp_path: Path) -> Operator:
    rapport = Operator(tmp_path / "data")
    rapport.ok("admin", "create-tenant", "Acme")
    return rapport


def _file(tmp_path: Path, body: object, name: str = "policy.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(body), encoding="utf-8")
    return str(path)


def _show(rapport: Operator, *args: str) -> dict[str, object]:
    result = rapport("policy", "show", "--tenant", "acme", *args)
    assert result.exit_code == 0, result.stderr
    body: dict[str, object] = json.loads(result.stdout)
    return body


async def _history(rapport: Operator, group: str | None) -> tuple[list[int], list[str]]:
    database = rapport.database()
    try:
        async with database.session() as session:
            versions = [p.version for p in await PolicyRepository(session, 1).history(group)]
            audit = await AuditRepository(session, 1).list("policy")
    finally:
        await database.dispose()
    return versions, [f"{a.actor}:{a.action}:{a.entity_id}" for a in audit]


def test_policy_show_defaults_then_set_round_trips(tmp_path: Path) -> None:
    rapport = _tenant(tmp_path)
    shown = _show(rapport)
    assert shown["lead_minutes"] == 10
    assert "working_hours" in shown
    # What `show` prints is a valid file for `set`.
    assert rapport.ok("policy", "set", "--tenant", "acme", _file(tmp_path, shown)) == [
        {"group": None, "version": 1}
    ]
    changed = {**shown, "lead_minutes": 5}
    assert rapport.ok("policy", "set", "--tenant", "acme", _file(tmp_path, changed)) == [
        {"group": None, "version": 2}
    ]
    assert _show(rapport)["lead_minutes"] == 5
    versions, audit = asyncio.run(_history(rapport, None))
    assert versions == [2, 1]
    assert audit == ["cli:policy.save:default", "cli:policy.save:default"]


def test_policy_group_override_merges_with_default(tmp_path: Path) -> None:
    rapport = _tenant(tmp_path)
    rapport.ok("policy", "set", "--tenant", "acme", _file(tmp_path, {"lead_minutes": 7}))
    override = _file(tmp_path, {"working_hours": {"start": "10:00"}}, "eng.json")
    assert rapport.ok("policy", "set", "--tenant", "acme", "--group", "engineering", override) == [
        {"group": "engineering", "version": 1}
    ]
    merged = _show(rapport, "--group", "engineering")
    assert merged["lead_minutes"] == 7
    assert merged["working_hours"] == {"start": "10:00", "end": "18:00", "days": [1, 2, 3, 4, 5]}
    assert _show(rapport)["working_hours"]["start"] == "08:00"  # type: ignore[index]
    no_override = rapport("policy", "show", "--tenant", "acme", "--group", "sales")
    assert "has no override" in no_override.stderr
    versions, audit = asyncio.run(_history(rapport, "engineering"))
    assert versions == [1]
    assert "cli:policy.save:engineering" in audit


def test_policy_set_invalid_names_field_saves_nothing(tmp_path: Path) -> None:
    rapport = _tenant(tmp_path)
    cases = [
        ({"lead_minutes": 0}, "lead_minutes"),
        ({"working_hours": {"start": "25:00"}}, "working_hours.start"),
        ({"lead_minute": 5}, "lead_minute: unknown setting"),
        ({"kinds": {"camera_on": {"enabled": "maybe"}}}, "kinds.camera_on.enabled"),
    ]
    for body, field in cases:
        line = rapport.fails("policy", "set", "--tenant", "acme", _file(tmp_path, body))
        assert "invalid policy" in line
        assert field in line
    # A group override is checked merged with the default: an end before the default's start.
    line = rapport.fails("policy", "set", "--tenant", "acme", "--group", "night",
                         _file(tmp_path, {"working_hours": {"end": "07:00"}}))  # fmt: skip
    assert "working_hours.end" in line
    assert asyncio.run(_history(rapport, None)) == ([], [])


def test_policy_bad_files_and_tenant_one_line(tmp_path: Path) -> None:
    rapport = _tenant(tmp_path)
    broken = tmp_path / "broken.json"
    broken.write_text('{"lead_minutes": 5,}', encoding="utf-8")
    assert "not valid JSON (line 1 column" in rapport.fails(
        "policy", "set", "--tenant", "acme", str(broken)
    )
    listed = _file(tmp_path, [1, 2])
    assert "a policy is a JSON object" in rapport.fails("policy", "set", "--tenant", "acme", listed)
    missing = str(tmp_path / "missing.json")
    assert "no such file" in rapport.fails("policy", "set", "--tenant", "acme", missing)
    good = _file(tmp_path, {})
    assert "no tenant named 'nope'" in rapport.fails("policy", "set", "--tenant", "nope", good)
    assert "no tenant named 'nope'" in rapport.fails("policy", "show", "--tenant", "nope")
    assert "--group needs a name" in rapport.fails(
        "policy", "show", "--tenant", "acme", "--group", " "
    )
