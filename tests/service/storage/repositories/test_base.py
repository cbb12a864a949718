"""Every tenant repository starts its queries from the scoped base statements in base.py."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy.exc import StatementError

import service.storage.repositories as repositories
from service.storage import Database, MeetingRepository
from tests.fixtures.storage_builders import T0

ROOT = Path(repositories.__file__).parent
# base.py builds the scoped statements; tenants.py and google_requests.py (a Cloud project's
# daily count, no tenant's data) are the unscoped repositories.
EXEMPT = {"__init__.py", "base.py", "tenants.py", "google_requests.py"}
RAW = {"select", "update", "delete", "insert", "text"}


def _raw_statements(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy")
        for alias in node.names
        if alias.name in RAW
    }
    problems = [f"{path.name}: imports {name} from sqlalchemy" for name in sorted(imported)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "get":
            value = node.value
            if isinstance(value, ast.Attribute) and value.attr == "session":
                problems.append(f"{path.name}:{node.lineno}: session.get bypasses the tenant")
    return problems


def test_scope_repositories_use_base_statements() -> None:
    problems = [
        problem
        for path in sorted(ROOT.glob("*.py"))
        if path.name not in EXEMPT
        for problem in _raw_statements(path)
    ]
    assert problems == []


async def test_refuse_naive_datetime(database: Database, tenant_id: int) -> None:
    async with database.session() as session:
        repo = MeetingRepository(session, tenant_id)
        with pytest.raises(StatementError, match="naive datetime"):
            await repo.purge_before(T0.replace(tzinfo=None))
