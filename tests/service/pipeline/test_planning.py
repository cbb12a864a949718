"""Planning reads each person's own view, whatever provider their calendar lives at.

Google and Graph copies of one meeting (same iCalendar UID) that disagree, pulled through a
test double of each provider's connector that yields what the real normalisers make of the
providers' payloads (the corpus shapes).
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

from integrations.google import normalise_event as google_event
from integrations.microsoft import normalise_event as graph_event
from service.domain.model import Meeting
from service.domain.port import CalendarRef, Feature, PullPage, SyncWindow
from service.email import MaildirOutbox
from service.pipeline.planning import plan_upcoming
from service.pipeline.sync import SyncScope, sync_calendar
from service.storage import (
    CalendarRepository,
    Database,
    MeetingRepository,
    NudgeRepository,
    PeopleRepository,
    PersonIn,
)
from tests.fixtures.pipeline import ANA, BEN, NOW, WINDOW, runtime

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
EVE, DAN = "eve@example.com", "dan@example.com"
UID = "quarterly@example.com"


def _payload(fmt: str, name: str) -> dict[str, object]:
    data = json.loads((CORPUS / fmt / f"{name}.json").read_text(encoding="utf-8"))
    payload: dict[str, object] = copy.deepcopy(data["payload"])
    return payload


def google_copy(owner: str, summary: str, organizer: str, attendees: list[str]) -> Meeting:
    """The Google Calendar copy of the meeting in `owner`'s calendar, today 10:00 UTC."""
    payload = _payload("google", "meet_group")
    payload.update(
        iCalUID=UID, summary=summary, organizer={"email": organizer, "self": owner == organizer},
        creator={"email": organizer}, start={"dateTime": "2026-11-24T10:00:00Z"},
        end={"dateTime": "2026-11-24T10:30:00Z"},
        attendees=[{"email": a, "responseStatus": "accepted", "self": a == owner,
                    "organizer": a == organizer} for a in attendees],
    )  # fmt: skip
    meeting = google_event(payload, owner)
    assert isinstance(meeting, Meeting)
    return meeting


def graph_copy(
    owner: str, subject: str, uid: str, attendees: list[str], **extra: object
) -> Meeting:
    """The Graph copy of a meeting in `owner`'s mailbox, today 10:00 UTC unless `extra` says."""
    payload = _payload("graph", "teams_windows_zone")
    payload.update(
        iCalUId=uid, subject=subject, isOrganizer=False,
        organizer={"emailAddress": {"address": ANA}},
        start={"dateTime": "2026-11-24T10:00:00.0000000", "timeZone": "UTC"},
        end={"dateTime": "2026-11-24T10:30:00.0000000", "timeZone": "UTC"},
        attendees=[{"type": "required", "status": {"response": "accepted"},
                    "emailAddress": {"address": a}} for a in attendees],
    )  # fmt: skip
    payload.update(extra)
    meeting = graph_event(payload, owner)
    assert isinstance(meeting, Meeting)
    return meeting


class _Provider:
    """A test double of a provider's connector: one full page of already normalised meetings."""

    provider: ClassVar[str] = "google"
    features: ClassVar[Feature] = Feature.NONE

    def __init__(self, meetings: list[Meeting]) -> None:
        self.meetings = meetings

    async def pull(
        self, calendar: CalendarRef, cursor: str | None, window: SyncWindow
    ) -> AsyncIterator[PullPage]:
        yield PullPage(meetings=self.meetings, last=True, cursor="c")


async def test_plan_upcoming_google_and_graph_copies_each_speak_for_their_owner(
    database: Database, tenant_id: int, tmp_path: Path
) -> None:
    rt = runtime(database, MaildirOutbox(tmp_path / "outbox"), tmp_path)
    copies: Mapping[str, list[Meeting]] = {
        # Ana organises it in Google Calendar.
        ANA: [google_copy(ANA, "Quarterly plan", ANA, [ANA, BEN, DAN])],
        # Ben's Outlook copy: renamed, and cancelled in his mailbox only.
        BEN: [graph_copy(BEN, "PRIVATE: leaving", UID, [ANA, BEN, DAN], isCancelled=True)],
        # Eve's mailbox makes the meeting move and lists Ben on a meeting he never had.
        EVE: [
            graph_copy(EVE, "Moved", UID, [ANA, BEN, DAN, EVE],
                       start={"dateTime": "2026-11-24T15:00:00.0000000", "timeZone": "UTC"},
                       end={"dateTime": "2026-11-24T15:30:00.0000000", "timeZone": "UTC"}),
            graph_copy(EVE, "Forged", "forged@example.com", [ANA, BEN, EVE]),
        ],
    }  # fmt: skip
    async with database.transaction() as session:
        ids = await PeopleRepository(session, tenant_id).upsert_many(
            [PersonIn(email=e, timezone="Europe/London") for e in (ANA, BEN, DAN, EVE)]
        )
        calendars = CalendarRepository(session, tenant_id)
        connections = {who: await calendars.ensure(ids[who], "ics", f"/{who}") for who in copies}
    scope = SyncScope(tenant_id, WINDOW, ids)
    for who, meetings in copies.items():
        calendar = CalendarRef(owner=who, source=f"/{who}")
        outcome = await sync_calendar(rt, scope, connections[who], calendar, _Provider(meetings))
        assert outcome.error is None
    await plan_upcoming(rt, tenant_id, NOW + timedelta(days=1))
    async with database.session() as session:
        meetings = MeetingRepository(session, tenant_id)
        views = {(v.ical_uid, v.seen_by): v async for v in meetings.iter_views(*WINDOW_DAY)}
        nudges = await NudgeRepository(session, tenant_id).due(NOW + timedelta(days=1), 100)
    ana = views[(UID, ids[ANA])]
    assert (ana.title, ana.start.hour, ana.status, ana.human_count) == (
        "Quarterly plan", 10, "confirmed", 3
    )  # fmt: skip
    assert {p.email for p in ana.participations} == {ANA, BEN, DAN}
    assert views[(UID, ids[BEN])].status == "cancelled"
    assert (UID, ids[DAN]) not in views
    # Only Ana and Eve, each from their own calendar; Ben's copy is cancelled, Dan has none.
    # (Eve's moved copy of a single event is another instance: hers alone.)
    eves = {v.id for (_uid, seen_by), v in views.items() if seen_by == ids[EVE]}
    assert ana.id not in eves
    # Eve's two meetings are the same day: one camera note a day, so one of them.
    pairs = {(n.person_id, n.meeting_id) for n in nudges}
    assert len(pairs) == 2
    assert (ids[ANA], ana.id) in pairs
    assert pairs - {(ids[ANA], ana.id)} <= {(ids[EVE], meeting_id) for meeting_id in eves}


WINDOW_DAY = (NOW, NOW + timedelta(days=1))
