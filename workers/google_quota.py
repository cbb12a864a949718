"""The Google daily request counter: optional polling stops before a project's daily threshold.

The Calendar API allows a Cloud project about 1,000,000 requests a day. Every attempt the
client makes is counted per project (`GoogleApi.take_counts`) and added to the project's row
for the UTC day in the database (`record_requests`), so restarts and several processes agree.
Optional polling stops in two steps until the next UTC day (`optional_polls_left`): at 90 % of
`ClientConfig.daily_request_limit` the periodic safety-net syncs of calendars with a live push
channel, at the limit every periodic sync of the tenants whose key belongs to that project.
Syncs a push notification asks for, and an explicit `rapport sync`, still run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import structlog

from integrations.google import GoogleConnector
from integrations.google.account import GoogleAccount, InvalidAccount
from service.pipeline.google import (
    channels,
    google_install,
    google_requests_on,
    record_google_requests,
)
from service.runtime import Runtime
from service.storage import CalendarRow

log = structlog.get_logger(__name__)

_said_paused: set[tuple[str, date, str]] = set()  # (project, day, step) logged by this process
SAFETY_NET_SHARE = 0.9  # of the limit: push-covered calendars stop being polled first


@dataclass(frozen=True, slots=True)
class DailyQuota:
    """A Cloud project's requests on one UTC day against the configured limit."""

    project: str
    day: date
    requests: int
    limit: int

    @property
    def reached(self) -> bool:
        """True when optional polling stops for the rest of the day."""
        return self.requests >= self.limit

    @property
    def safety_net_stopped(self) -> bool:
        """True when calendars with a live push channel are no longer polled today."""
        return self.requests >= self.limit * SAFETY_NET_SHARE

    @property
    def status(self) -> str:
        """`ok`, `push_only` (safety-net polling stopped) or `paused` (all polling stopped)."""
        return "paused" if self.reached else "push_only" if self.safety_net_stopped else "ok"

    @property
    def message(self) -> str:
        """What `rapport connections` and the log say about it."""
        counted = f"{self.requests} of {self.limit} Google requests today"
        if not self.safety_net_stopped:
            return counted
        resume = datetime.combine(self.day + timedelta(days=1), datetime.min.time(), UTC)
        stopped = "polling" if self.reached else "safety-net polling of calendars with push"
        return (
            f"{stopped} paused until {resume.isoformat()}: {counted} "
            "(RAPPORT_GOOGLE__DAILY_REQUEST_LIMIT); push notifications still sync"
        )


def _connector(rt: Runtime) -> GoogleConnector | None:
    connector = rt.connectors.get("google")
    return connector if isinstance(connector, GoogleConnector) else None


def utc_day(moment: datetime) -> date:
    """The UTC day of `moment` (the quota's day)."""
    return moment.astimezone(UTC).date()


async def record_requests(rt: Runtime) -> None:
    """Add the requests this process made since the last call to their projects' daily rows."""
    connector = _connector(rt)
    if connector is None:
        return
    counts = connector.api.take_counts()
    if counts:
        await record_google_requests(rt, utc_day(rt.now()), counts)


async def daily_quota(rt: Runtime, tenant_id: int) -> DailyQuota | None:
    """Today's count of the project the tenant's key belongs to; None without a Google install."""
    connector = _connector(rt)
    loaded = await google_install(rt, tenant_id)
    if connector is None or loaded is None:
        return None
    try:
        project = GoogleAccount.parse(loaded[1]).project
    except InvalidAccount:
        return None  # the directory round reports the broken install
    await record_requests(rt)
    day = utc_day(rt.now())
    requests = await google_requests_on(rt, project, day)
    return DailyQuota(project, day, requests, connector.api.config.daily_request_limit)


async def optional_polls_left(
    rt: Runtime, tenant_id: int, rows: list[CalendarRow]
) -> list[CalendarRow]:
    """`rows` (periodic syncs due) without the Google ones the daily count stops (see the
    module docstring); each step said once in the log per project and day."""
    quota = await daily_quota(rt, tenant_id)
    if quota is None or not quota.safety_net_stopped:
        return rows
    step = quota.status
    if (quota.project, quota.day, step) not in _said_paused:
        _said_paused.add((quota.project, quota.day, step))
        log.warning(
            "google.daily_limit_reached", tenant_id=tenant_id, project=quota.project,
            requests=quota.requests, limit=quota.limit, step=step,
        )  # fmt: skip
    if quota.reached:
        return [row for row in rows if row.provider != "google"]
    now = rt.now()
    pushed = {c.connection_id for c, _ in await channels(rt, tenant_id) if c.expires_at > now}
    return [row for row in rows if not (row.provider == "google" and row.id in pushed)]
