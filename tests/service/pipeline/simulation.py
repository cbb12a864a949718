"""The sample organisation stepped through the real pipeline, day by day, for weeks.

Used by `test_simulation.py` and `bench/nudge_quality.py`. One installation in a data dir: the
bundled sample (moved to `start`) plus a few meetings that must never be nudged, written as
iCalendar files and synced through the real connector; then, every `STEP`, the jobs the
scheduler runs (a sync round once a day, plan and deliver, the weekly reports when due), each
nudge counting as sent at its due time. Every email lands in the Maildir outbox and is read
back as its recipient would: the plain-text part.
"""

from __future__ import annotations

import mailbox
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from integrations.ics import FetchPolicy, IcsConnector
from service.config import Settings
from service.domain.policy import Policy
from service.email import MaildirOutbox
from service.pipeline.delivery import deliver_due
from service.pipeline.planning import plan_upcoming
from service.pipeline.policies import tenant_policy
from service.runtime import Runtime
from service.sample import SampleOrganisation, load_sample
from service.storage import (
    CalendarRepository,
    MeetingRepository,
    NudgeRepository,
    PeopleRepository,
    PersonIn,
    TenantRepository,
    migrate,
)
from workers.context import open_runtime
from workers.nudges import PLAN_AHEAD, nudge_ids
from workers.reports import send_reports_due
from workers.sync import sync_tenant

STEP = timedelta(hours=6)
DAY = timedelta(days=1)
OLIVER, PRIYA = "oliver.grant@northwind.example", "priya.shah@northwind.example"
TOM, LUCY = "tom.bennett@northwind.example", "lucy.okafor@northwind.example"
MARCUS, SAM = "marcus.lee@northwind.example", "sam.rivera@northwind.example"
# Meetings added to the sample: each must never lead to an email.
PRIVATE_UID = "sim-private-1on1@northwind.example"
SENSITIVE_UID = "sim-redundancy@northwind.example"
DECLINED_UID = "sim-marcus-sam@northwind.example"


class SteppingClock:
    """The simulated time: `now` moves only when the simulation says so."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True, slots=True)
class SimMail:
    """One email as its recipient reads it, with what Rapport sent it about."""

    to: str
    kind: str  # a nudge kind, "briefing" or "report"
    sent: datetime
    subject: str
    text: str
    nudge_id: int | None = None
    meeting_uid: str | None = None
    meeting_start: datetime | None = None
    meeting_title: str | None = None

    @property
    def body(self) -> str:
        """The text above the footer, one line."""
        return " ".join(self.text.split("\n-- \n")[0].split())


@dataclass(slots=True)
class Simulation:
    """What a simulated stretch sent, and the setting it ran in."""

    start: datetime
    days: int
    sample: SampleOrganisation
    policy: Policy
    mails: list[SimMail] = field(default_factory=list)
    declined_instance: datetime | None = None

    def zone(self, email: str) -> str:
        """A sample person's time zone."""
        return self.sample.person(email).timezone

    def names(self) -> list[str]:
        """Every sample person's full and first name, longest first (for masking)."""
        found = {p.name for p in self.sample.people} | {
            p.name.split()[0] for p in self.sample.people
        }
        return sorted(found, key=len, reverse=True)


def _vevent(uid: str, start: datetime, summary: str, organizer: str, attendees: Iterable[str],
            *extra: str, declined: Iterable[str] = ()) -> str:  # fmt: skip
    refused = set(declined)
    lines = [
        "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z",
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}", f"DTEND:{start + timedelta(minutes=30):%Y%m%dT%H%M%SZ}",
        f"SUMMARY:{summary}", "LOCATION:https://us02web.zoom.us/j/85512345678",
        f"ORGANIZER:mailto:{organizer}", *extra,
    ]  # fmt: skip
    for who in attendees:
        answer = "DECLINED" if who in refused else "ACCEPTED"
        lines.append(f"ATTENDEE;PARTSTAT={answer}:mailto:{who}")
    lines.append("END:VEVENT")
    return "\r\n".join(lines) + "\r\n"


def _first_weekday(start: datetime, weekday: int, hour: int) -> datetime:
    day = start + timedelta(days=(weekday - start.weekday()) % 7 or 7)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def extra_events(start: datetime) -> tuple[dict[str, list[str]], datetime]:
    """The added meetings by owner, and the start of the declined instance.

    A private weekly one-on-one with an innocent title, a weekly one-on-one on a sensitive
    topic, and a weekly one-on-one of which one instance the other person declined.
    """
    private_at = _first_weekday(start, 1, 11)  # Tuesdays 11:00 UTC
    sensitive_at = _first_weekday(start, 2, 12)  # Wednesdays 12:00 UTC
    weekly_at = _first_weekday(start, 3, 15)  # Thursdays 15:00 UTC (10:00 in New York)
    declined_at = weekly_at + timedelta(weeks=1)
    weekly = "RRULE:FREQ=WEEKLY;COUNT=6"
    private = _vevent(PRIVATE_UID, private_at, "Tom / Lucy: catch-up", TOM, (TOM, LUCY),
                      weekly, "CLASS:PRIVATE")  # fmt: skip
    sensitive = _vevent(SENSITIVE_UID, sensitive_at, "Redundancy consultation (Priya)", OLIVER,
                        (OLIVER, PRIYA), weekly)  # fmt: skip
    series = _vevent(DECLINED_UID, weekly_at, "Marcus / Sam sync", MARCUS, (MARCUS, SAM), weekly)
    override = _vevent(DECLINED_UID, declined_at, "Marcus / Sam sync", MARCUS, (MARCUS, SAM),
                       f"RECURRENCE-ID:{declined_at:%Y%m%dT%H%M%SZ}", declined=(SAM,))  # fmt: skip
    return {
        TOM: [private], LUCY: [private], OLIVER: [sensitive], PRIYA: [sensitive],
        MARCUS: [series, override], SAM: [series, override],
    }, declined_at  # fmt: skip


def _write_feeds(sample: SampleOrganisation, folder: Path, start: datetime) -> dict[str, Path]:
    feeds = sample.write_feeds(folder)
    extra, _ = extra_events(start)
    for owner, events in extra.items():
        path = feeds[owner]
        body = path.read_bytes().decode("utf-8")
        end = body.rindex("END:VCALENDAR")
        path.write_bytes((body[:end] + "".join(events) + body[end:]).encode("utf-8"))
    return feeds


async def _load(settings: Settings, sample: SampleOrganisation, feeds: dict[str, Path]) -> int:
    async with open_runtime(settings, connectors={}) as rt, rt.db.session() as session:
        tenant = await TenantRepository(session).get_or_create(
            sample.tenant_slug, sample.tenant_name, sample.internal_domains
        )
        ids = await PeopleRepository(session, tenant.id).upsert_many(
            [
                PersonIn(email=p.email, name=p.name, timezone=p.timezone, team=p.team,
                         opted_out=p.opted_out, opted_out_kinds=p.opted_out_kinds)
                for p in sample.people
            ]
        )  # fmt: skip
        for email, path in feeds.items():
            await CalendarRepository(session, tenant.id).ensure(ids[email], "ics", str(path))
        await session.commit()
    return tenant.id


async def simulate(data_dir: Path, start: datetime, days: int) -> Simulation:
    """Run the sample organisation from `start` for `days` days; every email it sent."""
    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    await migrate(settings.effective_database_url)
    sample = load_sample(start)
    feeds = _write_feeds(sample, data_dir / "feeds", start)
    tenant_id = await _load(settings, sample, feeds)
    clock = SteppingClock(start)
    connector = IcsConnector(FetchPolicy(allow_files=True), parse_timeout_s=None)
    outbox = MaildirOutbox(settings.outbox_dir)
    async with open_runtime(
        settings, clock=clock, mailer=outbox, connectors={"ics": connector}
    ) as rt:
        policy = await tenant_policy(rt, tenant_id)
        end = start + days * DAY
        while clock.now < end:
            if clock.now.hour == 0 or clock.now == start:
                await sync_tenant(rt, tenant_id)
            await plan_upcoming(rt, tenant_id, clock.now + PLAN_AHEAD)
            await deliver_due(rt, tenant_id, clock.now + STEP)
            await send_reports_due(rt, tenant_id)
            clock.now += STEP
        mails = await _read_outbox(rt, tenant_id, settings.outbox_dir)
    _, declined_at = extra_events(start)
    return Simulation(start, days, sample, policy, mails, declined_at)


async def _read_outbox(rt: Runtime, tenant_id: int, folder: Path) -> list[SimMail]:
    box = mailbox.Maildir(folder, create=False)
    found: list[SimMail] = []
    async with rt.db.session() as session:
        nudges = NudgeRepository(session, tenant_id)
        meetings = MeetingRepository(session, tenant_id)
        for key in box.iterkeys():
            message = message_from_bytes(box.get_bytes(key), policy=policy.default)
            assert isinstance(message, EmailMessage)
            part = message.get_body(("plain",))
            assert part is not None
            ids = nudge_ids([str(message["Message-ID"])])
            kind, uid, meeting_start, title = "report", None, None, None
            if ids:
                row = await nudges.get(ids[0])
                assert row is not None
                kind = row.kind.value if row.batch_key is None else "briefing"
                (meeting,) = await meetings.get_many([row.meeting_id])
                uid, meeting_start, title = meeting.ical_uid, meeting.start, meeting.title
            found.append(
                SimMail(
                    to=str(message["To"]),
                    kind=kind,
                    sent=parsedate_to_datetime(str(message["Date"])).astimezone(UTC),
                    subject=str(message["Subject"]),
                    text=str(part.get_content()),
                    nudge_id=ids[0] if ids else None,
                    meeting_uid=uid,
                    meeting_start=meeting_start,
                    meeting_title=title,
                )
            )
    return sorted(found, key=lambda m: (m.sent, m.to, m.kind))


_URL = re.compile(r"https?://\S+")
_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")
_DATE = re.compile(
    r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
    r"(?: \d{1,2} (?:January|February|March|April|May|June|July|August|September|October"
    r"|November|December)(?: \d{4})?)?\b"
)


def masked_body(mail: SimMail, names: Iterable[str]) -> str:
    """The body with names, titles, dates, times and links masked: what repeats if the words do."""
    text = _URL.sub("<link>", mail.body)
    if mail.meeting_title:
        text = text.replace(f"“{mail.meeting_title}”", "“<title>”")
    for name in names:
        text = text.replace(name, "<name>")
    text = _DATE.sub("<day>", text)
    return _TIME.sub("<time>", text)
