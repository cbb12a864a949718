"""Settings: defaults, environment variables, and errors that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.config import SettingsError, async_database_url, get_settings


def test_read_settings_defaults_to_sqlite_in_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAPPORT_DATA_DIR", str(tmp_path / "data"))
    settings = get_settings()
    expected = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'rapport.db'}"
    assert settings.effective_database_url == expected
    assert settings.outbox_dir == tmp_path / "data" / "outbox"
    assert settings.redis_url is None


def test_read_settings_from_dotenv_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("RAPPORT_SMTP_HOST=mail.example.com\nRAPPORT_SMTP_PORT=2525\n")
    settings = get_settings()
    assert settings.smtp.host == "mail.example.com"
    assert settings.smtp.port == 2525


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RAPPORT_SMTP_PORT", "not-a-port"),
        ("RAPPORT_SMTP_PORT", "70000"),
        ("RAPPORT_DEFAULT_TIMEZONE", "Mars/Olympus_Mons"),
        ("RAPPORT_DATABASE_URL", "mysql://root@localhost/db"),
        ("RAPPORT_REDIS_URL", "http://localhost:6379"),
        ("RAPPORT_SMTP_SECURITY", "ssl3"),
        ("RAPPORT_FETCH__MAX_REDIRECTS", "50"),
    ],
)
def test_read_settings_invalid_value_names_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        get_settings()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_map_database_url_to_async_driver(given: str, expected: str) -> None:
    assert async_database_url(given) == expected
