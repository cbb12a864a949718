"""Settings: one `Settings` object read from `RAPPORT_*` environment variables and `.env`.

Built by `get_settings()` at the entry points and passed down; nothing reads it at import time.
A wrong value fails at start with a message naming the variable (see `SettingsError`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.domain.zones import known_zone

ENV_PREFIX = "RAPPORT_"


class SmtpSettings(BaseModel):
    """SMTP delivery (`RAPPORT_SMTP__*`); with no host, mail goes to the Maildir outbox."""

    host: str | None = None
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["none", "starttls", "tls"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    timeout_s: float = Field(default=30.0, gt=0)
    validate_certs: bool = True
    ca_file: Path | None = None

    @model_validator(mode="after")
    def _credentials_together(self) -> SmtpSettings:
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password must be set together")
        return self


class MailSettings(BaseModel):
    """How outgoing mail is addressed (`RAPPORT_MAIL__*`)."""

    sender: str = "Rapport <rapport@localhost>"
    message_id_domain: str = "rapport.localhost"


class FetchSettings(BaseModel):
    """Limits for fetching user-supplied calendar feeds (`RAPPORT_FETCH__*`; SSRF rules)."""

    allow_list: tuple[str, ...] = ()
    max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    timeout_s: float = Field(default=30.0, gt=0)
    max_redirects: int = Field(default=3, ge=0, le=10)


class FeedSettings(BaseModel):
    """The budget of one iCalendar feed (`RAPPORT_FEED__*`): a feed over it keeps what fits and
    its connection says what was left out; the parse runs in a child killed after the timeout."""

    parse_timeout_s: float = Field(default=60.0, gt=0)
    max_events_per_feed: int = Field(default=20_000, ge=1)
    max_timezones_per_feed: int = Field(default=50, ge=1)
    max_series_per_feed: int = Field(default=2_000, ge=1)
    max_instances_per_series: int = Field(default=10_000, ge=1)
    max_instances_per_feed: int = Field(default=20_000, ge=1)
    max_attendees_per_event: int = Field(default=500, ge=2)
    max_attendances_per_feed: int = Field(default=200_000, ge=1)
    max_title_chars: int = Field(default=500, ge=1)
    max_rule_steps: int = Field(default=1_000_000, ge=1)
    max_seconds_per_series: float = Field(default=5.0, gt=0)


class SchedulerSettings(BaseModel):
    """The in-process scheduler of `rapport serve` and the due rules of `rapport tick`
    (`RAPPORT_SCHEDULER__*`)."""

    sync_interval_s: float = Field(default=900.0, ge=1)
    poll_s: float = Field(default=5.0, gt=0, le=30)
    plan_interval_s: float = Field(default=300.0, ge=1)
    sync_concurrency: int = Field(default=2, ge=1, le=32)
    shutdown_grace_s: float = Field(default=30.0, gt=0)


class SyncSettings(BaseModel):
    """What one calendar sync may write (`RAPPORT_SYNC__*`): every feed is untrusted input."""

    max_rows_per_sync: int = Field(default=100_000, ge=100)


class GoogleSettings(BaseModel):
    """The Google Workspace connector (`RAPPORT_GOOGLE__*`): quotas, pages, retries, push."""

    project_per_minute: float = Field(default=9_000.0, gt=0)
    tenant_share: float = Field(default=0.5, gt=0, le=1)
    user_per_minute: float = Field(default=600.0, gt=0)
    directory_per_minute: float = Field(default=2_400.0, gt=0)
    daily_request_limit: int = Field(default=900_000, ge=1)  # 90 % of 1,000,000/day/project
    reprobe_interval_s: float = Field(default=3600.0, ge=60)
    page_size: int = Field(default=500, ge=1, le=2500)
    slack_days: int = Field(default=7, ge=1, le=60)
    timeout_s: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=5, ge=1, le=10)
    backoff_cap_s: float = Field(default=32.0, gt=0)
    threads: int = Field(default=8, ge=1, le=64)
    channel_ttl_s: int = Field(default=7 * 24 * 3600, ge=3600)
    renew_before_s: int = Field(default=24 * 3600, ge=60)


class MicrosoftSettings(BaseModel):
    """The Microsoft 365 connector (`RAPPORT_MICROSOFT__*`): pages, retries, budgets."""

    page_size: int = Field(default=50, ge=1, le=1000)
    slack_days: int = Field(default=7, ge=1, le=60)
    timeout_s: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=6, ge=1, le=10)
    backoff_cap_s: float = Field(default=60.0, gt=0)
    mailbox_concurrency: int = Field(default=4, ge=1, le=4)
    mailbox_per_10min: float = Field(default=9_000.0, gt=0)
    tenant_per_minute: float = Field(default=6_000.0, gt=0)
    subscription_minutes: int = Field(default=4230, ge=45, le=10_080)
    renew_before_s: int = Field(default=12 * 3600, ge=60)


class Settings(BaseSettings):
    """Every setting: `RAPPORT_<NAME>`, groups nested with `__` (`RAPPORT_SMTP__HOST`)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    data_dir: Path = Path("rapport-data")
    database_url: str | None = None
    redis_url: str | None = None
    default_timezone: str = "UTC"
    base_url: str = "http://localhost:8000"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    secret_keys: SecretStr | None = None
    mail: MailSettings = MailSettings()
    smtp: SmtpSettings = SmtpSettings()
    fetch: FetchSettings = FetchSettings()
    feed: FeedSettings = FeedSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    sync: SyncSettings = SyncSettings()
    google: GoogleSettings = GoogleSettings()
    microsoft: MicrosoftSettings = MicrosoftSettings()
    ca_bundle: Path | None = None

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if known_zone(value) is None:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Europe/London)")
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str | None) -> str | None:
        if value is None:
            return None
        allowed = (
            "sqlite+aiosqlite://",
            "postgresql+asyncpg://",
            "sqlite://",
            "postgresql://",
            "postgres://",
        )
        if not value.startswith(allowed):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @model_validator(mode="after")
    def _normalise(self) -> Settings:
        if self.database_url is not None:
            self.database_url = async_database_url(self.database_url)
        return self

    @property
    def effective_database_url(self) -> str:
        """The database URL: the configured one, or an SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'rapport.db').resolve()}"

    @property
    def outbox_dir(self) -> Path:
        """Where the Maildir outbox lives."""
        return self.data_dir / "outbox"

    @property
    def reports_dir(self) -> Path:
        """Where weekly reports are written as HTML files."""
        return self.data_dir / "reports"


def environment_variables() -> list[str]:
    """Every environment variable `Settings` reads, nested groups spelled out (for ENV.md)."""
    names: list[str] = []
    for name, info in Settings.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            names.extend(f"{ENV_PREFIX}{name}__{inner}".upper() for inner in kind.model_fields)
        else:
            names.append(f"{ENV_PREFIX}{name}".upper())
    return names


def async_database_url(url: str) -> str:
    """Pick the async driver for a plain database URL (postgresql:// -> postgresql+asyncpg://)."""
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


class SettingsError(Exception):
    """A setting is wrong; the message names the environment variable."""


def _variable_name(location: tuple[int | str, ...]) -> str:
    return ENV_PREFIX + "__".join(str(part) for part in location).upper()


def get_settings(**overrides: object) -> Settings:
    """Read the settings (environment, `.env`, `overrides`); `SettingsError` names a bad one."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # pydantic-settings takes loose kwargs
    except ValidationError as exc:
        problems = "; ".join(
            f"{_variable_name(error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise SettingsError(f"invalid setting: {problems}") from exc
