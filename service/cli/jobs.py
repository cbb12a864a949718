"""`rapport sync` and `rapport tick`: the jobs of `workers/`, run once in this process.

    rapport sync --tenant NAME          every active connection now, with a progress bar
    rapport tick [--tenant NAME] [--now ISO]
                                        one pass of every job that is due, then exit

Both exit 0 when every connection synced and 1 when any needs attention (each one shown with
its message, which never carries a secret); bad input exits 2 with one line.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from service.cli.running import TenantOption, reported, run, tenant_id_of

if TYPE_CHECKING:
    from service.runtime import Runtime
    from workers.cron import TickOutcome
    from workers.directory import DirectoryRound
    from workers.google import ChannelRound
    from workers.sync import ConnectionSync, SyncRound


class RichSyncProgress:
    """A `workers.sync.SyncProgress` drawn as a rich progress bar: one step per connection."""

    def __init__(self, progress: Progress, label: str = "syncing calendars") -> None:
        """Draw on `progress` (started by the caller)."""
        self.progress = progress
        self.task = progress.add_task(label, total=None, current="")

    def started(self, total: int) -> None:
        """The round's size is known."""
        self.progress.update(self.task, total=total)

    def synced(self, result: ConnectionSync) -> None:
        """One more connection is done."""
        self.progress.update(self.task, advance=1, current=result.person)


def sync_progress_bar(console: Console) -> Progress:
    """The progress bar of a sync round (for `rapport sync` and the demo)."""
    return Progress(
        TextColumn("• {task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TextColumn("{task.fields[current]}"), console=console,
    )  # fmt: skip


def print_attention(console: Console, round_: SyncRound) -> None:
    """One line per connection that needs attention: id, person, status and message."""
    for result in round_.needs_attention:
        where = f"{result.person or 'unknown person'}, {result.source}"
        what = f"{result.status}: {result.message or 'no message'}"
        console.print(
            f"[yellow]needs attention:[/yellow] connection {result.connection_id} "
            f"({escape(where)}): {escape(what)}",
            highlight=False,
            soft_wrap=True,  # one line per connection, whatever the terminal's width
        )


def print_directory(console: Console, directory: DirectoryRound, name: str = "Google") -> None:
    """One line for a directory round: what changed, or why it could not run."""
    if directory.error is not None:
        console.print(
            f"[yellow]needs attention:[/yellow] {name} directory: {escape(directory.error)}",
            highlight=False,
            soft_wrap=True,
        )
        return
    console.print(
        f"{name} directory: {directory.people} people ({directory.created} new, "
        f"{directory.updated} changed, {directory.deactivated} no longer listed), "
        f"{directory.connected} calendars connected",
        highlight=False,
    )


def _channel_lines(channels: ChannelRound) -> list[str]:
    if channels.poll_only:
        from workers.google import POLL_ONLY

        return [f"Google push: {POLL_ONLY}"]
    return [
        f"Google push: {channels.opened} channels opened, {channels.stopped} stopped, "
        f"{channels.refused} refused"
    ]


def _sync_table(round_: SyncRound) -> Table:
    table = Table(title="sync round", show_lines=False)
    table.add_column("what")
    table.add_column("", justify="right")
    results = round_.results
    table.add_row("connections", str(len(results)))
    table.add_row("  synced", str(sum(1 for r in results if r.status == "ok")))
    table.add_row("  unchanged since the last sync", str(sum(1 for r in results if r.not_modified)))
    table.add_row("  need attention", str(len(round_.needs_attention)))
    table.add_row("meetings read", str(round_.meetings))
    table.add_row("events skipped (unreadable)", str(sum(r.skipped_events for r in results)))
    table.add_row("seconds", f"{round_.seconds:.1f}")
    return table


def sync(tenant: TenantOption) -> None:
    """Sync every active calendar connection of a tenant now.

    A progress bar, then a summary. Exit 0 when every connection synced, 1 when any needs
    attention (each one shown with its message, never its secret URL).
    """
    from service.pipeline.connections import check_secrets
    from workers.sync import sync_tenant

    console = Console(stderr=True)

    async def work(rt: Runtime) -> int:
        from workers.google import directory_round, keep_channels
        from workers.google_probe import reprobe_refused
        from workers.microsoft import POLL_ONLY as MS_POLL_ONLY
        from workers.microsoft import keep_subscriptions, microsoft_directory_round

        tenant_id = await tenant_id_of(rt, tenant)
        await check_secrets(rt, tenant_id)
        directory = await directory_round(rt, tenant_id)  # Google Workspace installs only
        if directory is not None:
            print_directory(console, directory)
            await reprobe_refused(rt, tenant_id)  # refused calendars that work again sync now
        graph_directory = await microsoft_directory_round(rt, tenant_id)  # Microsoft 365 only
        if graph_directory is not None:
            print_directory(console, graph_directory, "Microsoft")
        with sync_progress_bar(console) as bar:
            round_ = await sync_tenant(rt, tenant_id, progress=RichSyncProgress(bar))
        console.print(_sync_table(round_))
        print_attention(console, round_)
        if directory is not None:
            channels = await keep_channels(rt, tenant_id)
            for line in _channel_lines(channels):
                console.print(escape(line), highlight=False, soft_wrap=True)
        if graph_directory is not None:
            subscriptions = await keep_subscriptions(rt, tenant_id)
            if subscriptions.poll_only:
                console.print(f"Microsoft: {MS_POLL_ONLY}", highlight=False, soft_wrap=True)
        directory_ok = directory is None or directory.error is None
        directory_ok = directory_ok and (graph_directory is None or graph_directory.error is None)
        return 0 if round_.ok and directory_ok else 1

    run("sync", work)


def tick(
    tenant: Annotated[
        str | None,
        typer.Option("--tenant", help="Only this tenant (slug or name; default: every tenant)."),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option("--now", help="Pretend it is this time (ISO 8601, UTC when no zone)."),
    ] = None,
) -> None:
    """Run every job that is due once, then exit.

    Syncs whose interval has passed, planning, nudges due by now, weekly reports due by now
    (Monday 08:00 in each person's zone), the purge. For cron-style deployments, and for
    stepping through days with --now. Exit 1 when a connection needs attention.
    """
    from service.cli.running import load_settings, parse_instant
    from service.runtime import fixed_clock
    from workers.context import schedule

    console = Console(stderr=True)
    with reported("tick"):
        moment = None if now is None else parse_instant(now, "--now")
    settings = load_settings("tick")
    every = schedule(settings.scheduler)

    async def work(rt: Runtime) -> int:
        from workers.cron import TickOutcome, tenant_ids
        from workers.cron import tick as tick_tenant

        if moment is not None:
            rt = dataclasses.replace(rt, clock=fixed_clock(moment))
        ids = [await tenant_id_of(rt, tenant)] if tenant is not None else await tenant_ids(rt)
        outcome = TickOutcome()
        for tenant_id in ids:
            await tick_tenant(rt, tenant_id, every, outcome)
        _print_tick(console, outcome, rt)
        return 1 if outcome.needs_attention else 0

    run("tick", work, settings=settings)


def _print_tick(console: Console, outcome: TickOutcome, rt: Runtime) -> None:
    table = Table(title=f"tick at {rt.now().isoformat(timespec='seconds')}")
    for column in ("tenant", "synced", "attention", "planned", "sent", "reports", "purged"):
        table.add_column(column, justify="right")
    for tenant_id, syncs in outcome.syncs.items():
        nudges = outcome.nudges.get(tenant_id)
        reports = outcome.reports.get(tenant_id)
        housekeeping = outcome.maintenance.get(tenant_id)
        table.add_row(
            str(tenant_id),
            str(len(syncs.results)),
            str(len(syncs.needs_attention)),
            str(nudges.planning.planned if nudges else 0),
            str(nudges.delivery.sent if nudges else 0),
            str(reports.outcome.sent if reports and reports.outcome else 0),
            str(housekeeping.purged if housekeeping else 0),
        )
    console.print(table)
    for syncs in outcome.syncs.values():
        print_attention(console, syncs)
