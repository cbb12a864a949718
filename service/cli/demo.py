"""`rapport demo`: the whole path on the embedded default, in one process, in seconds.

Sample organisation -> iCalendar connector (file feeds) -> classify -> SQLite -> plan nudges ->
deliver the coming working day's nudges to a Maildir outbox -> weekly reports -> summary table.
Running it twice with the same `--now` changes nothing: every step is an idempotent upsert.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from integrations.ics import FetchPolicy, IcsConnector
from service.cli.jobs import RichSyncProgress, sync_progress_bar
from service.config import Settings
from service.domain.nudges import Held
from service.email import MaildirOutbox
from service.pipeline.delivery import DeliveryOutcome, deliver_due
from service.pipeline.planning import PlanningOutcome, plan_upcoming
from service.pipeline.policies import tenant_policy
from service.pipeline.weekly_reports import ReportOutcome, send_weekly_reports
from service.runtime import Runtime, fixed_clock
from service.sample import SampleOrganisation, load_sample
from service.storage import (
    CalendarRepository,
    Database,
    InsightRepository,
    MeetingStats,
    PeopleRepository,
    PersonIn,
    TenantRepository,
    migrate,
    redacted_url,
)
from workers.context import open_runtime
from workers.nudges import PLAN_AHEAD
from workers.sync import sync_tenant

WORKDAY_END = time(17, 0)


@dataclass(slots=True)
class DemoResult:
    """What the demo did, for the summary table and the tests."""

    data_dir: Path
    coming_day: str
    meetings_synced: int = 0
    events_skipped: int = 0
    planning: PlanningOutcome | None = None
    delivery: DeliveryOutcome | None = None
    reports: ReportOutcome | None = None
    stats: MeetingStats | None = None
    errors: list[str] = field(default_factory=list)


def coming_working_day(now: datetime, timezone: str) -> datetime:
    """Start of the working day the demo shows: today before 17:00 on a weekday, else the next."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    day = local.date()
    if local.weekday() >= 5 or local.time() >= WORKDAY_END:
        day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(0), zone)


async def _load_organisation(
    db: Database, sample: SampleOrganisation, feeds: dict[str, Path]
) -> int:
    """Store the sample tenant, its people and one iCalendar connection per person."""
    async with db.session() as session:
        tenant = await TenantRepository(session).get_or_create(
            sample.tenant_slug, sample.tenant_name, sample.internal_domains
        )
        people = PeopleRepository(session, tenant.id)
        ids = await people.upsert_many(
            [
                PersonIn(
                    email=p.email, name=p.name, timezone=p.timezone, team=p.team,
                    opted_out=p.opted_out, opted_out_kinds=p.opted_out_kinds,
                )
                for p in sample.people
            ]
        )  # fmt: skip
        calendars = CalendarRepository(session, tenant.id)
        for email, path in feeds.items():
            await calendars.ensure(ids[email], "ics", str(path))
        await session.commit()
    return tenant.id


async def run_demo(settings: Settings, now: datetime, console: Console) -> DemoResult:
    """Run the demo end to end and print the summary; returns what it did."""
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.effective_database_url
    day_start = coming_working_day(now, settings.default_timezone)
    result = DemoResult(data_dir=data_dir, coming_day=day_start.date().isoformat())
    console.print(f"[bold]Rapport demo[/bold] — now {now.isoformat(timespec='minutes')}, "
                  f"showing {day_start:%A %d %B %Y}; data in {data_dir}")  # fmt: skip

    console.print("• applying database migrations")
    await migrate(url)
    sample = load_sample(now)
    feeds = sample.write_feeds(data_dir / "feeds")
    # The bundled sample is trusted: files allowed, parsed in a thread, not a guarded child.
    connector = IcsConnector(FetchPolicy(allow_files=True), parse_timeout_s=None)
    async with open_runtime(
        settings, clock=fixed_clock(now), mailer=MaildirOutbox(settings.outbox_dir.resolve()),
        connectors={"ics": connector},
    ) as rt:  # fmt: skip
        tenant_id = await _load_organisation(rt.db, sample, feeds)
        await _sync_all(rt, tenant_id, console, result)
        until = _day_end_everywhere(day_start, sample)
        console.print("• planning nudges")
        # As the scheduler does: switch_to_video comes the working day before its meeting.
        result.planning = await plan_upcoming(rt, tenant_id, now + PLAN_AHEAD)
        console.print(f"• delivering the nudges due by {until.isoformat(timespec='minutes')}")
        result.delivery = await deliver_due(rt, tenant_id, until)
        console.print("• writing weekly reports")
        policy = await tenant_policy(rt, tenant_id)
        result.reports = await send_weekly_reports(rt, tenant_id, policy)
        async with rt.db.session() as session:
            result.stats = await InsightRepository(session, tenant_id).meeting_stats()
    _print_summary(console, result, settings)
    return result


def _day_end_everywhere(day_start: datetime, sample: SampleOrganisation) -> datetime:
    """The end of the coming working day in the westernmost time zone of the organisation."""
    day = day_start.date() + timedelta(days=1)
    zones = {p.timezone for p in sample.people}
    return max(datetime.combine(day, time(0), ZoneInfo(z)) for z in zones).astimezone(
        ZoneInfo("UTC")
    )


async def _sync_all(rt: Runtime, tenant_id: int, console: Console, result: DemoResult) -> None:
    """Sync every sample person's feed through the real iCalendar connector, with progress."""
    with sync_progress_bar(console) as bar:
        round_ = await sync_tenant(rt, tenant_id, progress=RichSyncProgress(bar))
    for synced in round_.results:
        result.meetings_synced += synced.meetings
        result.events_skipped += synced.skipped_events
        if synced.message:
            result.errors.append(f"{synced.person}: {synced.message}")


def _print_summary(console: Console, result: DemoResult, settings: Settings) -> None:
    stats = result.stats
    table = Table(title=f"Rapport demo — coming working day {result.coming_day}", show_lines=False)
    table.add_column("what")
    table.add_column("", justify="right")
    if stats is not None:
        table.add_row("[bold]meetings stored[/bold]", str(stats.meetings))
        for modality, count in sorted(stats.by_modality.items()):
            table.add_row(f"  {modality.replace('_', ' ')}", str(count))
        table.add_row("  one-on-ones", str(stats.one_on_ones))
        table.add_row("  not meetings (OOO, focus, holds, all-day)", str(stats.not_meetings))
    if result.planning is not None:
        _planning_rows(table, result.planning)
    if result.delivery is not None:
        table.add_row(
            "[bold]nudges delivered[/bold] (all runs)",
            str(sum(result.delivery.sent_by_kind.values())),
        )
        for kind, count in sorted(result.delivery.sent_by_kind.items()):
            table.add_row(f"  {kind.replace('_', ' ')}", str(count))
        table.add_row("  new in this run", str(result.delivery.sent))
    if result.reports is not None:
        table.add_row("[bold]lapsed relationships found[/bold]", str(result.reports.lapsed))
        table.add_row("weekly reports", str(result.reports.people))
    table.add_row("events skipped (unreadable)", str(result.events_skipped))
    console.print(table)
    if _nothing_new(result):
        console.print("Nothing new: every nudge was already planned or sent by an earlier run.")
    console.print(f"outbox (Maildir): {settings.outbox_dir.resolve()}")
    console.print(f"reports (HTML):   {settings.reports_dir.resolve()}")
    console.print(f"database:         {redacted_url(settings.effective_database_url)}")
    for error in result.errors:
        console.print(f"[yellow]warning:[/yellow] {error}")


def _planning_rows(table: Table, planning: PlanningOutcome) -> None:
    """New plans, what earlier runs already planned or sent, and what was held back, by why."""
    earlier = planning.planned - planning.changed + planning.already_sent
    table.add_row("[bold]nudges planned, new in this run[/bold]", str(planning.changed))
    table.add_row("  already planned or sent (earlier runs)", str(earlier))
    table.add_row("[bold]held back[/bold]", str(planning.suppressed))
    for group in Held:
        count = planning.held_back.get(group.value, 0)
        if count:
            table.add_row(f"  {group.value}", str(count))


def _nothing_new(result: DemoResult) -> bool:
    """True when this run planned and sent nothing an earlier run had not."""
    planning, delivery = result.planning, result.delivery
    if planning is None or delivery is None:
        return False
    return planning.changed == 0 and delivery.sent == 0 and planning.planned > 0
