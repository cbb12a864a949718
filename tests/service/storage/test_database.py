"""Database: connecting is lazy, and an unsupported URL scheme is named."""

from __future__ import annotations

import pytest

from service.storage import Database


async def test_connect_database_lazily() -> None:
    db = Database.connect("postgresql://nobody@127.0.0.1:9/none")
    assert db.dialect == "postgresql"
    assert db.engine.url.drivername == "postgresql+asyncpg"
    await db.dispose()


def test_connect_database_unknown_scheme_named() -> None:
    with pytest.raises(ValueError, match="unsupported database URL scheme 'mysql'"):
        Database.connect("mysql://root@localhost/x")
