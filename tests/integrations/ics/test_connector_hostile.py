"""IcsConnector.pull against hostile feeds on a loopback server: the ordinary meetings come
through, what the budget left out is on the last page, every failure is a connector error
with a short message, and a bad validator never poisons the cursor."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from integrations.ics import FeedBudget, FetchPolicy, IcsConnector
from service.domain.port import (
    CalendarRef,
    ConnectorError,
    ProviderUnavailable,
    PullPage,
    SyncWindow,
)
from tests.integrations.ics import attacks
from tests.integrations.ics.feedserver import Feed, Raw, RunningServer
from tests.integrations.ics.icsdata import OWNER, calendar, vevent
from tests.integrations.ics.measure import run_measured

WINDOW = SyncWindow(datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
POLICY = FetchPolicy(allow_hosts_or_networks=("127.0.0.0/8",), total_timeout_s=20.0)
PEAK_LIMIT_MB = 150
CPU_LIMIT_S = 20.0


async def pull_all(
    connector: IcsConnector, source: CalendarRef, cursor: str | None = None
) -> list[PullPage]:
    return [page async for page in connector.pull(source, cursor, WINDOW)]


def ref(server: RunningServer, name: str, owner: str = OWNER) -> CalendarRef:
    return CalendarRef(owner=owner, source=f"{server.base}/feeds/{name}", calendar_id=f"cal-{name}")


@pytest.mark.parametrize(
    ("builder", "args"),
    [
        ("runaway_secondly", ()),
        ("never_matching", (20,)),
        ("many_attendees", (20_000,)),
        ("many_vtimezones", (3_000,)),
    ],
)
def test_pull_ics_attack_through_child_bounded(
    feed_server: RunningServer, builder: str, args: tuple[int, ...]
) -> None:
    feed_server.app.feeds[builder] = Feed(getattr(attacks, builder)(*args))
    source = ref(feed_server, builder)
    measured = run_measured(
        f"""
        from datetime import UTC, datetime
        from integrations.ics import FetchPolicy, IcsConnector
        from service.domain.port import CalendarRef, SyncWindow
        from tests.integrations.ics.attacks import REAL_UIDS

        async def main():
            window = SyncWindow(datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
            policy = FetchPolicy(allow_hosts_or_networks=("127.0.0.0/8",), total_timeout_s=20)
            source = CalendarRef(owner="owner@example.com", source={source.source!r})
            pages = [p async for p in IcsConnector(policy).pull(source, None, window)]
            uids = {{m.uid for p in pages for m in p.meetings}}
            assert uids >= REAL_UIDS, "ordinary meetings lost"
            return sum(len(p.meetings) for p in pages), pages[-1].warnings
        """,
        timeout_s=90,
    )
    assert measured.outcome == "ok", measured
    assert measured.peak_mb < PEAK_LIMIT_MB, measured
    assert measured.cpu_s < CPU_LIMIT_S, measured


async def test_pull_ics_over_budget_warnings_on_last_page(feed_server: RunningServer) -> None:
    feed_server.app.feeds["crowded"] = Feed(attacks.many_series(50))
    budget = FeedBudget(max_instances_per_feed=600, max_series_per_feed=20)
    connector = IcsConnector(POLICY, page_size=250, parse_timeout_s=None, budget=budget)
    pages = await pull_all(connector, ref(feed_server, "crowded"))
    assert [len(p.meetings) for p in pages] == [250, 250, 100]
    assert [bool(p.warnings) for p in pages] == [False, False, True]
    assert any("recurring series" in w for w in pages[-1].warnings)
    assert any("instances left out" in w for w in pages[-1].warnings)
    assert {"real-1", "real-2"} <= {m.uid for p in pages for m in p.meetings}


async def test_pull_ics_within_budget_no_warnings(feed_server: RunningServer) -> None:
    feed_server.app.feeds["calm"] = Feed(calendar(*attacks.real()))
    pages = await pull_all(IcsConnector(POLICY), ref(feed_server, "calm"))
    assert pages[-1].warnings == ()
    assert len(pages[-1].meetings) == 5


async def test_pull_ics_non_ascii_validators_never_poison_the_cursor(
    feed_server: RunningServer,
) -> None:
    body = calendar(vevent("DTSTART:20240301T120000Z"))
    headers = [(b"etag", '"caf\u00e9"'.encode()), (b"last-modified", b"\xff\xfe")]
    feed_server.app.raw["odd"] = Raw(headers=headers, body=body)
    source = CalendarRef(owner=OWNER, source=f"{feed_server.base}/raw/odd")
    connector = IcsConnector(POLICY, parse_timeout_s=None)
    first = await pull_all(connector, source)
    cursor = json.loads(first[-1].cursor or "")
    assert cursor["etag"] is None
    assert cursor["last_modified"] is None
    again = await pull_all(connector, source, first[-1].cursor)
    assert again[-1].not_modified  # the body's hash still tells


async def test_pull_ics_cursor_with_non_ascii_validator_recovers(
    feed_server: RunningServer,
) -> None:
    # A cursor stored before validators were checked: the next sync must not fail on it.
    feed_server.app.feeds["plain"] = Feed(calendar(vevent("DTSTART:20240301T120000Z")))
    poisoned = json.dumps(
        {
            "etag": '"caf\u00e9"',
            "last_modified": "Wed, 01 May 2024 10:00:00 GMT\r\nX-Evil: 1",
            "sha256": "0" * 64,
            "window_start": WINDOW.start.isoformat(),
            "window_end": WINDOW.end.isoformat(),
        }
    )
    pages = await pull_all(
        IcsConnector(POLICY, parse_timeout_s=None), ref(feed_server, "plain"), poisoned
    )
    assert len(pages[-1].meetings) == 1


@pytest.mark.parametrize("parse_timeout", [None, 20.0], ids=["thread", "child"])
async def test_pull_ics_unexpected_failure_typed(
    feed_server: RunningServer, parse_timeout: float | None
) -> None:
    feed_server.app.feeds["plain"] = Feed(calendar(vevent("DTSTART:20240301T120000Z")))
    connector = IcsConnector(POLICY, parse_timeout_s=parse_timeout)
    with pytest.raises(ProviderUnavailable, match="not an email address"):
        await pull_all(connector, ref(feed_server, "plain", owner="nobody"))


async def test_pull_ics_error_message_short(feed_server: RunningServer) -> None:
    feed_server.app.feeds["junk"] = Feed(b"BEGIN:VCALENDAR\r\n" + b"X" * 200_000 + b"\r\nBEGIN:")
    with pytest.raises(ConnectorError) as caught:
        await pull_all(IcsConnector(POLICY, parse_timeout_s=None), ref(feed_server, "junk"))
    assert len(str(caught.value)) <= 500


async def test_pull_ics_fine_rules_skipped_not_timed_out(feed_server: RunningServer) -> None:
    # Filters that never match on a SECONDLY rule once kept the child busy until it was
    # killed, losing the whole feed: now they are skipped with a reason, the rest loads.
    feed_server.app.feeds["fine"] = Feed(attacks.fine_with_filters())
    pages = await pull_all(IcsConnector(POLICY, parse_timeout_s=5.0), ref(feed_server, "fine"))
    assert {"real-1", "real-2"} <= {m.uid for p in pages for m in p.meetings}
    skipped = {s.source_id: s.reason for p in pages for s in p.skipped}
    assert "finer than hourly" in skipped["s"]
