"""Settings: defaults, environment variables, and errors that name the variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.config import (
    SettingsError,
    async_database_url,
    environment_variables,
    get_settings,
)


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
    (tmp_path / ".env").write_text("RAPPORT_SMTP__HOST=mail.example.com\nRAPPORT_SMTP__PORT=2525\n")
    settings = get_settings()
    assert settings.smtp.host == "mail.example.com"
    assert settings.smtp.port == 2525


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RAPPORT_SMTP__PORT", "not-a-port"),
        ("RAPPORT_SMTP__PORT", "70000"),
        ("RAPPORT_DEFAULT_TIMEZONE", "Mars/Olympus_Mons"),
        ("RAPPORT_DATABASE_URL", "mysql://root@localhost/db"),
        ("RAPPORT_REDIS_URL", "http://localhost:6379"),
        ("RAPPORT_SMTP__SECURITY", "ssl3"),
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


def _documented(text: str) -> list[str]:
    """The variables in the first column of ENV.md's table."""
    return [
        match.group(1)
        for line in text.splitlines()
        if line.startswith("| `")
        for match in [re.match(r"\| `(RAPPORT_[A-Z0-9_]+)`", line)]
        if match
    ]


def test_env_reference_lists_exactly_the_settings() -> None:
    env_md = Path(__file__).resolve().parents[2] / "deploy" / "ENV.md"
    documented = _documented(env_md.read_text(encoding="utf-8"))
    assert sorted(documented) == sorted(environment_variables())
    assert len(documented) == len(set(documented))


def test_env_example_uses_only_known_variables() -> None:
    example = Path(__file__).resolve().parents[2] / "deploy" / "rapport.env.example"
    names = [
        line.split("=", 1)[0]
        for line in example.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert set(names) <= set(environment_variables())


def test_read_settings_nested_smtp_group_with_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAPPORT_SMTP__USERNAME", "rapport")
    monkeypatch.setenv("RAPPORT_SMTP__PASSWORD", "planted-secret-4711")
    monkeypatch.setenv("RAPPORT_SMTP__CA_FILE", str(tmp_path / "ca.pem"))
    settings = get_settings()
    assert settings.smtp.ca_file == tmp_path / "ca.pem"
    assert "planted-secret-4711" not in repr(settings)
    assert settings.smtp.password is not None
    assert settings.smtp.password.get_secret_value() == "planted-secret-4711"


def test_read_settings_smtp_user_without_password_names_group(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAPPORT_SMTP__USERNAME", "rapport")
    with pytest.raises(SettingsError, match="RAPPORT_SMTP"):
        get_settings()
