"""Weekly report rules: which lapsed contacts a person sees, which week, whose calendar counts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from service.domain.policy import Policy
from service.domain.port import CalendarRef, SyncWindow
from service.domain.relationships import LapsedRelationship
from service.email import MaildirOutbox
from service.pipeline.relationships import (
    RelationshipFindings,
    find_relationships,
    report_week,
    visible_lapsed,
)
from service.pipeline.sync import SyncScope, sync_calendar
from service.storage import CalendarRepository, Database, PeopleRepository, PersonIn, PersonRow
from tests.fixtures.pipeline import ANA, BEN, CAT, feed_bytes, runtime

NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


def _person(email: str, **changes: object) -> PersonRow:
    row = PersonRow(
        id=1, email=email, name=None, timezone="Europe/London", team=None, opted_out=False,
        opted_out_kinds=(), snoozed_until=None, muted_contacts=(), unsubscribe_token="t",
        created_at=NOW,
    )  # fmt: skip
    return replace(row, **changes)  # type: ignore[arg-type]


def _lapsed(contact: str) -> LapsedRelationship:
    return LapsedRelationship("ana@x.example", contact, NOW, 4, 4.0, 3.0, 14.0, 10.0, 1.4, 5.6)


def test_visible_lapsed_hides_muted_and_opted_out_contacts() -> None:
    ana = _person("ana@x.example", muted_contacts=("Ben@X.example",))
    people = {
        "ana@x.example": ana,
        "ben@x.example": _person("ben@x.example"),
        "cat@x.example": _person("cat@x.example", opted_out=True),
        "dan@x.example": _person("dan@x.example"),
    }
    items = [_lapsed(c) for c in ("ben@x.example", "cat@x.example", "dan@x.example")]
    assert [i.contact for i in visible_lapsed(items, ana, people)] == ["dan@x.example"]


@pytest.mark.parametrize(
    ("now", "zone", "monday"),
    [
        (NOW, "Europe/London", date(2026, 11, 16)),
        (datetime(2026, 11, 23, 3, 0, tzinfo=UTC), "America/New_York", date(2026, 11, 9)),
        (datetime(2026, 11, 22, 20, 0, tzinfo=UTC), "Asia/Kolkata", date(2026, 11, 16)),
    ],
)
def test_report_week_is_last_full_local_week(now: datetime, zone: str, monday: date) -> None:
    start_day, start, end = report_week(now, zone)
    assert start_day == monday
    assert (end - start).days == 7
    assert end <= now


WEEKLY_1ON1 = """BEGIN:VEVENT
UID:{uid}
DTSTAMP:20261001T000000Z
DTSTART:20260901T100000Z
DTEND:20260901T103000Z
RRULE:FREQ=WEEKLY;COUNT=8
SUMMARY:Catch-up
LOCATION:https://us02web.zoom.us/j/85512345678
ORGANIZER:mailto:{organizer}
ATTENDEE;PARTSTAT=ACCEPTED:mailto:{organizer}
ATTENDEE;PARTSTAT=ACCEPTED:mailto:{other}
END:VEVENT
"""


async def _findings(
    database: Database, tenant_id: int, tmp_path: Path, feeds: dict[str, str]
) -> RelationshipFindings:
    rt = runtime(database, MaildirOutbox(tmp_path / "outbox"), tmp_path, now=NOW)
    async with database.transaction() as session:
        ids = await PeopleRepository(session, tenant_id).upsert_many(
            [PersonIn(email=e, timezone="Europe/London") for e in (ANA, BEN, CAT)]
        )
        calendars = CalendarRepository(session, tenant_id)
        connections = {}
        for owner, body in feeds.items():
            path = tmp_path / f"{owner}.ics"
            path.write_bytes(feed_bytes(body))
            connections[owner] = (await calendars.ensure(ids[owner], "ics", str(path)), path)
    window = SyncWindow(NOW - timedelta(days=120), NOW + timedelta(days=14))
    scope = SyncScope(tenant_id, window, ids)
    for owner, (connection, path) in connections.items():
        calendar = CalendarRef(owner=owner, source=str(path), default_timezone="Europe/London")
        outcome = await sync_calendar(rt, scope, connection, calendar, rt.connector("ics"))
        assert outcome.error is None
    async with database.session() as session:
        people = {p.email: p async for p in PeopleRepository(session, tenant_id).iter_all()}
        return await find_relationships(session, tenant_id, people, Policy().relationships, NOW)


async def test_find_relationships_counts_a_person_only_through_their_own_calendar(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    # Cat's calendar claims eight one-on-ones with Ben; Ben's own calendar shows none.
    claimed = WEEKLY_1ON1.format(uid="claimed@example.com", organizer=CAT, other=BEN)
    own = WEEKLY_1ON1.format(uid="own@example.com", organizer=BEN, other=ANA)
    found = await _findings(database, tenant_id, tmp_path, {CAT: claimed, BEN: own})
    assert CAT not in found.lapsed
    assert [(i.person, i.contact) for i in found.lapsed[BEN]] == [(BEN, ANA)]


async def test_find_relationships_both_calendars_agree_lapsed_both_ways(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    real = WEEKLY_1ON1.format(uid="real@example.com", organizer=ANA, other=BEN)
    found = await _findings(database, tenant_id, tmp_path, {ANA: real, BEN: real})
    assert [(i.person, i.contact) for i in found.lapsed[ANA]] == [(ANA, BEN)]
    assert [(i.person, i.contact) for i in found.lapsed[BEN]] == [(BEN, ANA)]


DECLINED_CATCH_UP = """BEGIN:VEVENT
UID:catch-up@example.com
DTSTAMP:20261101T000000Z
DTSTART:20261201T100000Z
DTEND:20261201T103000Z
SUMMARY:Catch-up
LOCATION:https://us02web.zoom.us/j/85512345678
ORGANIZER:mailto:{organizer}
ATTENDEE;PARTSTAT=ACCEPTED:mailto:{organizer}
ATTENDEE;PARTSTAT=DECLINED:mailto:{other}
END:VEVENT
"""


async def test_find_relationships_declined_catch_up_keeps_both_lists_quiet(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    # Ana and Ben met weekly until September; Ana invites Ben to a catch-up, and he declines.
    # Neither report suggests "schedule a catch-up" with the other (a decline is not "nothing
    # booked").
    real = WEEKLY_1ON1.format(uid="real@example.com", organizer=ANA, other=BEN)
    declined = DECLINED_CATCH_UP.format(organizer=ANA, other=BEN)
    found = await _findings(database, tenant_id, tmp_path, {ANA: real + declined, BEN: real})
    assert ANA not in found.lapsed
    assert BEN not in found.lapsed
