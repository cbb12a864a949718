"""The Graph directory: mailboxSettings working hours as ISO weekdays in the mailbox's zone."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from integrations.microsoft.client import GraphClient
from integrations.microsoft.directory import graph_working_hours, read_directory
from tests.emulators.microsoft.fixtures import Graph
from tests.integrations.microsoft.test_client import FAST

WINTER, SUMMER = date(2026, 1, 14), date(2026, 7, 15)


def _hours(days: list[str], start: str, end: str, zone: str | None) -> dict[str, object]:
    hours: dict[str, object] = {"daysOfWeek": days, "startTime": start, "endTime": end}
    if zone is not None:
        hours["timeZone"] = {"name": zone}
    return hours


def test_map_working_hours_days_to_iso_weekdays_and_times() -> None:
    raw = _hours(["Sunday", "monday", "saturday"], "08:30:00.0000000", "16:45:00.0000000", None)
    assert graph_working_hours(raw, "Europe/Berlin", WINTER) == {
        "start": "08:30", "end": "16:45", "days": [1, 6, 7],
    }  # fmt: skip


def test_map_working_hours_other_zone_moved_to_mailbox_zone() -> None:
    # Hours kept in Pacific time, mailbox in UTC: 09:00-17:00 PST is 17:00-01:00 UTC (crosses
    # midnight: the policy's), 06:00-14:00 PDT is 13:00-21:00 UTC.
    raw = _hours(["monday"], "09:00:00", "17:00:00", "Pacific Standard Time")
    assert graph_working_hours(raw, "UTC", WINTER) is None
    early = _hours(["monday"], "06:00:00", "14:00:00", "Pacific Standard Time")
    assert graph_working_hours(early, "UTC", SUMMER) == {
        "start": "13:00", "end": "21:00", "days": [1],
    }  # fmt: skip
    # Tokyo mornings are the previous UTC day: Monday 07:00 JST is Sunday 22:00 UTC.
    tokyo = _hours(["monday"], "07:00:00", "08:00:00", "Tokyo Standard Time")
    assert graph_working_hours(tokyo, "UTC", WINTER) == {
        "start": "22:00", "end": "23:00", "days": [7],
    }  # fmt: skip


def test_map_working_hours_unreadable_to_none() -> None:
    assert graph_working_hours({}, "UTC", WINTER) is None
    assert graph_working_hours(_hours([], "09:00:00", "17:00:00", None), "UTC", WINTER) is None
    assert graph_working_hours(_hours(["monday"], "17:00", "09:00", None), "UTC", WINTER) is None
    assert graph_working_hours(_hours(["monday"], "9am", "17:00", None), "UTC", WINTER) is None
    custom = _hours(["monday"], "09:00:00", "17:00:00", "Customized Time Zone")
    assert graph_working_hours(custom, "UTC", WINTER) is None


async def test_read_directory_working_hours_from_mailbox_settings(graph: Graph) -> None:
    state = graph.state
    state.add_user("ana@example.com", "Ana")
    ben = state.add_user("ben@example.com", "Ben", time_zone="Pacific Standard Time")
    state.mailbox_settings[ben]["workingHours"] = _hours(
        ["tuesday", "wednesday"], "07:30:00.0000000", "15:00:00.0000000", "Pacific Standard Time"
    )
    cat = state.add_user("cat@example.com", "Cat")
    del state.mailbox_settings[cat]["workingHours"]
    client = GraphClient(replace(FAST, extra_ca=str(graph.running.ca_file)))
    try:
        directory = await read_directory(client, graph.account, WINTER)
    finally:
        await client.aclose()
    assert directory.zones["ben@example.com"] == "America/Los_Angeles"
    assert directory.working_hours == {
        "ana@example.com": {"start": "09:00", "end": "17:00", "days": [1, 2, 3, 4, 5]},
        "ben@example.com": {"start": "07:30", "end": "15:00", "days": [2, 3]},
    }
