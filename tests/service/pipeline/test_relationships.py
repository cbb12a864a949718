"""Weekly report rules that need no database: which lapsed contacts a person may see, which week."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from service.domain.relationships import LapsedRelationship
from service.pipeline.relationships import report_week, visible_lapsed
from service.storage import PersonRow

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
