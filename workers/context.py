"""Build the runtime object from the settings: one function per adapter, one to open them all.

The entry points (the CLI, the API, `rapport worker`) call `open_runtime`; jobs receive the
`Runtime` it yields. Integrations get their configuration passed in here and never read settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from integrations.google import (
    ClientConfig,
    GoogleApi,
    GoogleConnector,
    PushConfig,
    RateLimits,
    SyncConfig,
    webhook_address,
)
from integrations.ics import FeedBudget, FetchPolicy, IcsConnector
from integrations.microsoft import ClientConfig as MicrosoftClientConfig
from integrations.microsoft import GraphClient, MicrosoftConnector
from integrations.microsoft import SyncConfig as MicrosoftSyncConfig
from integrations.microsoft.push import SubscriptionConfig, graph_webhook_address
from service.config import (
    FeedSettings,
    FetchSettings,
    SchedulerSettings,
    Settings,
    SmtpSettings,
    SyncSettings,
)
from service.domain.port import Connector
from service.email import EmailRenderer, MaildirOutbox, Mailer, SmtpConfig, SmtpMailer
from service.email.addressing import LinkSigner, MailConfig
from service.runtime import Clock, Runtime, SyncLimits, system_clock
from service.secrets import KEY_FILE_NAME, SecretBox, load_secret_box
from service.storage import Database
from workers.cron import Schedule


def smtp_config(smtp: SmtpSettings) -> SmtpConfig | None:
    """The SMTP client's configuration, or None when no relay is set (mail goes to the outbox)."""
    if smtp.host is None:
        return None
    return SmtpConfig(
        host=smtp.host,
        port=smtp.port,
        security=smtp.security,
        username=smtp.username,
        password=None if smtp.password is None else smtp.password.get_secret_value(),
        timeout=smtp.timeout_s,
        validate_certs=smtp.validate_certs,
        ca_file=smtp.ca_file,
    )


def mail_config(settings: Settings) -> MailConfig:
    """Who mail comes from, the Message-ID domain, the base of every link and their signer."""
    return MailConfig(
        sender=settings.mail.sender,
        message_id_domain=settings.mail.message_id_domain,
        base_url=settings.base_url,
        links=link_signer(settings),
    )


def link_signer(settings: Settings) -> LinkSigner:
    """People's links are signed with keys derived from the secret keys (first signs, all verify).

    The same keys as the secret store (`RAPPORT_SECRET_KEYS`, or the data dir's key file), so
    every process of one installation signs and checks links alike; rotating the secret keys
    keeps old emails' links working until the old key is dropped.
    """
    text = None if settings.secret_keys is None else settings.secret_keys.get_secret_value()
    keys = [key.strip() for key in (text or "").split(",") if key.strip()]
    if not keys:
        load_secret_box(None, settings.data_dir)  # makes the key file on first use
        keys = [(settings.data_dir / KEY_FILE_NAME).read_text(encoding="ascii").strip()]
    return LinkSigner.from_secrets([key.encode("ascii") for key in keys])


def fetch_policy(fetch: FetchSettings, *, allow_files: bool = False) -> FetchPolicy:
    """The iCalendar fetcher's limits; local files only where the caller trusts them (tests)."""
    return FetchPolicy(
        allow_hosts_or_networks=fetch.allow_list,
        max_bytes=fetch.max_bytes,
        total_timeout_s=fetch.timeout_s,
        max_redirects=fetch.max_redirects,
        allow_files=allow_files,
    )


def feed_budget(feed: FeedSettings) -> FeedBudget:
    """The iCalendar connector's budget for one feed (the parse timeout is passed on its own)."""
    return FeedBudget(**feed.model_dump(exclude={"parse_timeout_s"}))


def schedule(scheduler: SchedulerSettings) -> Schedule:
    """How often the scheduler (`rapport serve`) and `rapport tick` run each job."""
    return Schedule(
        sync_interval=timedelta(seconds=scheduler.sync_interval_s),
        poll=timedelta(seconds=scheduler.poll_s),
        plan_interval=timedelta(seconds=scheduler.plan_interval_s),
        sync_concurrency=scheduler.sync_concurrency,
        shutdown_grace=timedelta(seconds=scheduler.shutdown_grace_s),
    )


def sync_limits(sync: SyncSettings) -> SyncLimits:
    """What one calendar sync may write (every feed is untrusted input)."""
    return SyncLimits(max_rows_per_sync=sync.max_rows_per_sync)


def secret_box(settings: Settings) -> SecretBox:
    """The secret store: `RAPPORT_SECRET_KEYS`, or the data dir's key file (made on first use)."""
    keys = None if settings.secret_keys is None else settings.secret_keys.get_secret_value()
    return load_secret_box(keys, settings.data_dir)


def mailer_for(settings: Settings) -> Mailer:
    """SMTP when a relay is configured, else the Maildir outbox in the data dir."""
    config = smtp_config(settings.smtp)
    if config is None:
        return MaildirOutbox(settings.outbox_dir.resolve())
    return SmtpMailer(config)


def google_adapter(settings: Settings) -> GoogleConnector:
    """The Google connector: its client (quotas, retries, threads), pages, push channels."""
    google = settings.google
    limits = RateLimits(
        project_per_minute=google.project_per_minute,
        tenant_share=google.tenant_share,
        user_per_minute=google.user_per_minute,
        directory_per_minute=google.directory_per_minute,
    )
    client = ClientConfig(
        timeout_s=google.timeout_s,
        max_attempts=google.max_attempts,
        backoff_cap_s=google.backoff_cap_s,
        threads=google.threads,
        limits=limits,
        daily_request_limit=google.daily_request_limit,
        reprobe_interval_s=google.reprobe_interval_s,
    )
    push = PushConfig(
        address=webhook_address(settings.base_url),
        ttl_s=google.channel_ttl_s,
        renew_before_s=google.renew_before_s,
    )
    return GoogleConnector(GoogleApi(client), SyncConfig(google.page_size, google.slack_days), push)


def microsoft_adapter(settings: Settings) -> MicrosoftConnector:
    """The Microsoft connector: its client (trust, budgets, retries) and pages."""
    ms = settings.microsoft
    client = MicrosoftClientConfig(
        timeout_s=ms.timeout_s,
        max_attempts=ms.max_attempts,
        backoff_cap_s=ms.backoff_cap_s,
        mailbox_concurrency=ms.mailbox_concurrency,
        mailbox_per_10min=ms.mailbox_per_10min,
        tenant_per_minute=ms.tenant_per_minute,
        extra_ca=None if settings.ca_bundle is None else str(settings.ca_bundle),
    )
    push = SubscriptionConfig(
        address=graph_webhook_address(settings.base_url),
        ttl_minutes=ms.subscription_minutes,
        renew_before_s=ms.renew_before_s,
    )
    return MicrosoftConnector(
        GraphClient(client), MicrosoftSyncConfig(ms.page_size, ms.slack_days), push
    )


def default_connectors(settings: Settings) -> dict[str, Connector]:
    """The connectors this installation can use, by provider name."""
    return {
        "ics": IcsConnector(
            fetch_policy(settings.fetch),
            parse_timeout_s=settings.feed.parse_timeout_s,
            budget=feed_budget(settings.feed),
        ),
        "google": google_adapter(settings),
        "microsoft": microsoft_adapter(settings),
    }


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    mailer: Mailer | None = None,
    connectors: Mapping[str, Connector] | None = None,
    reports_dir: Path | None = None,
) -> AsyncIterator[Runtime]:
    """Open the database and build the runtime; the database is closed on the way out."""
    db = Database.connect(settings.effective_database_url)
    opened = dict(connectors) if connectors is not None else default_connectors(settings)
    try:
        yield Runtime(
            db=db,
            mailer=mailer if mailer is not None else mailer_for(settings),
            renderer=EmailRenderer(),
            mail=mail_config(settings),
            reports_dir=(reports_dir or settings.reports_dir).resolve(),
            clock=clock,
            connectors=opened,
            secrets=secret_box(settings),
            sync_limits=sync_limits(settings.sync),
        )
    finally:
        if connectors is None:  # the ones made here are closed here (threads, sockets)
            for connector in opened.values():
                close = getattr(connector, "close", None)
                if callable(close):
                    close()
                aclose = getattr(connector, "aclose", None)
                if callable(aclose):
                    await aclose()
        await db.dispose()
