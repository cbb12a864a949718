"""Weekly report delivery: one report per person per week, as an email and an HTML file.

Opted-out and inactive people get nothing, nor do people without a calendar connected (their
own calendar is the only thing that speaks for them). A person's report goes out once their
local report time (`REPORT_WEEKDAY` at `REPORT_TIME` in their zone) has passed, dated in their
zone. Each report is claimed (person, week) before it is sent, so a second run in the same week
sends nothing twice. Files go in a folder per tenant, named by person id. People who opted out
never appear in anyone's report, and a contact is shown by name only.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog

from service.domain.nudges import personal_policy
from service.domain.policy import Policy
from service.domain.zones import known_zone
from service.email import (
    DeliveryError,
    WeekAtAGlance,
    WeeklyReport,
    Welcome,
    build_message,
    lapsed_contact,
    message_id_for,
    message_unique,
)
from service.email.addressing import MailConfig, pause_notice, person_links
from service.email.links import Availability, catch_up_start
from service.pipeline.delivery import installation_key
from service.pipeline.planning import paused_kinds, person_prefs
from service.pipeline.relationships import (
    RelationshipFindings,
    find_relationships,
    report_week,
    visible_lapsed,
)
from service.runtime import Runtime
from service.storage import (
    InsightRepository,
    NudgeRepository,
    PeopleRepository,
    PersonRow,
    ReportRepository,
    TenantRepository,
)
from service.storage.rows import ReportRow

log = structlog.get_logger(__name__)

REPORT_WEEKDAY = 0  # Monday (datetime.weekday())
REPORT_TIME = time(8, 0)


def report_moment(now: datetime, timezone: str) -> datetime:
    """This local week's report time (Monday 08:00 in `timezone`), in UTC."""
    zone = known_zone(timezone) or UTC
    local = now.astimezone(zone).date()
    day = local - timedelta(days=(local.weekday() - REPORT_WEEKDAY) % 7)
    return datetime.combine(day, REPORT_TIME, zone).astimezone(UTC)


# A report is sent from its local report time for this long: a service that was down all
# Monday still sends it on Tuesday, but nobody gets last week's report on a Sunday evening.
REPORT_GRACE = timedelta(days=2)


def report_due(now: datetime, timezone: str) -> bool:
    """True while a person's weekly report may go out: from their local report time, for
    `REPORT_GRACE`."""
    moment = report_moment(now, timezone)
    return moment <= now < moment + REPORT_GRACE


@dataclass(slots=True)
class ReportOutcome:
    """What a report run did."""

    people: int = 0
    sent: int = 0
    lapsed: int = 0
    files: list[Path] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LinkScope:
    """What a report's links need: whose tenant, how to sign, the time, the working hours."""

    tenant_id: int
    mail: MailConfig
    now: datetime
    policy: Policy
    welcome: Welcome | None = None

    def availability(self, person: PersonRow) -> Availability:
        """When `person` works: their zone, and their own hours or the policy's."""
        hours = personal_policy(self.policy, person_prefs(person)).working_hours
        return Availability(person.timezone, hours)

    def proposed_start(self, person: PersonRow, contact: PersonRow | None) -> datetime | None:
        """A catch-up time inside both people's hours (an outsider: the person's own hours)."""
        mine = self.availability(person)
        theirs = mine if contact is None else self.availability(contact)
        return catch_up_start(self.now, mine, theirs)


def _report(
    person: PersonRow,
    people: Mapping[str, PersonRow],
    findings: RelationshipFindings,
    row: ReportRow,
    nudges_sent: int,
    scope: LinkScope,
) -> WeeklyReport:
    """One person's weekly report: lapsed relationships they may see, and their week."""
    links = person_links(scope.mail, scope.tenant_id, person.id, scope.now)
    zone = ZoneInfo(person.timezone) if known_zone(person.timezone) else ZoneInfo("UTC")
    lapsed = tuple(
        lapsed_contact(
            contact_email=item.contact,
            contact_name=people[item.contact].name,
            last_met=item.last_met.astimezone(zone).date(),
            cadence_days=round(item.cadence_days, 1),
            days_since=(
                scope.now.astimezone(zone).date() - item.last_met.astimezone(zone).date()
            ).days,
            start=scope.proposed_start(person, people.get(item.contact)),
        )
        for item in visible_lapsed(findings.lapsed.get(person.email, ()), person, people)
        # A name, never an address: someone the tenant has no name for is left out.
        if item.contact in people and people[item.contact].name
    )
    counts = findings.weeks.get(person.email)
    kept = [
        name
        for email in (counts.one_on_one_with if counts else [])
        if email in people and not people[email].opted_out and (name := people[email].name)
    ]
    week = WeekAtAGlance(
        meetings_by_modality=dict(counts.by_modality) if counts else {},
        one_on_ones=counts.one_on_ones if counts else 0,
        one_on_one_with=tuple(kept),
        nudges_sent=nudges_sent,
        hours_in_meetings=round(counts.hours, 1) if counts else 0.0,
    )
    return WeeklyReport(
        report_id=row.id, recipient_email=person.email, recipient_name=person.name,
        timezone=person.timezone, week_start=row.week_start,
        lapsed=lapsed, week=week, preferences_url=links.preferences_url,
        unsubscribe_url=links.unsubscribe_url, snooze_url=links.snooze_url,
        pause_notice=pause_notice(paused_kinds(person.paused_kinds), scope.now),
        welcome=scope.welcome,
    )  # fmt: skip


def report_path(reports_dir: Path, tenant_id: int, person: PersonRow, week: date) -> Path:
    """Where a person's report file goes: a folder per tenant, a file per person id and week.

    Ids, never the address: `alex@a` and `alex@b` (or two tenants' `alex@a`) never share a file.
    """
    return reports_dir / f"tenant-{tenant_id}" / f"{week.isoformat()}-person-{person.id}.html"


async def send_weekly_reports(rt: Runtime, tenant_id: int, policy: Policy) -> ReportOutcome:
    """Compute lapsed relationships once, then write and send each person's weekly report."""
    now = rt.now()
    outcome = ReportOutcome()
    folder = rt.reports_dir / f"tenant-{tenant_id}"
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    async with rt.db.session() as session:
        people = {p.email: p async for p in PeopleRepository(session, tenant_id).iter_all()}
        insights = InsightRepository(session, tenant_id)
        connected = await insights.connected_people()
        emailed = await insights.emailed_people()
        tenant = await TenantRepository(session).get(tenant_id)
        findings = await find_relationships(session, tenant_id, people, policy.relationships, now)
        zones = {p.id: p.timezone for p in people.values()}
        per_day = await NudgeRepository(session, tenant_id).sent_counts_by_person_day(
            now - timedelta(days=15), zones
        )
    weeks = {p.id: report_week(now, p.timezone)[0] for p in people.values()}
    sent_per_person = _sent_in_report_week(per_day, weeks)
    outcome.lapsed = sum(len(items) for items in findings.lapsed.values())
    welcome = None if tenant is None else Welcome(organisation=tenant.name, contact=policy.contact)
    for person in sorted(people.values(), key=lambda p: p.email):
        # Only a person's own calendar speaks for them: no calendar, no report.
        if person.opted_out or not person.active or person.id not in connected:
            continue
        if not report_due(now, person.timezone):
            continue  # not their local report time (not yet, or that day has long passed)
        outcome.people += 1
        week_start = weeks[person.id]
        async with rt.db.session() as session:
            reports = ReportRepository(session, tenant_id)
            claimed = await reports.claim(person.id, week_start)
            row = await reports.get(person.id, week_start)
            await session.commit()
        path = report_path(rt.reports_dir, tenant_id, person, week_start)
        outcome.files.append(path)
        if not claimed or row is None:
            continue
        first = None if person.id in emailed else welcome
        scope = LinkScope(tenant_id, rt.mail, now, policy, first)
        report = _report(person, people, findings, row, sent_per_person[person.id], scope)
        if await _write_and_send(rt, tenant_id, report, row, path):
            outcome.sent += 1
    return outcome


def _sent_in_report_week(
    per_day: Mapping[tuple[int, date], int], weeks: Mapping[int, date]
) -> Counter[int]:
    """Nudges sent to each person in their report week (Monday to Sunday, local days)."""
    sent: Counter[int] = Counter()
    for (person_id, day), n in per_day.items():
        monday = weeks.get(person_id)
        if monday is not None and monday <= day < monday + timedelta(days=7):
            sent[person_id] += n
    return sent


async def _write_and_send(
    rt: Runtime, tenant_id: int, report: WeeklyReport, row: ReportRow, path: Path
) -> bool:
    """Write the report's HTML file and email it; record the outcome. True when it was sent."""
    person_id, created = row.person_id, row.created_at
    rendered = rt.renderer.render_report(report)
    await asyncio.to_thread(path.write_text, rendered.html, encoding="utf-8")
    unique = message_unique(installation_key(rt), created)
    message_id = message_id_for("report", report.report_id, 0, rt.mail.message_id_domain, unique)
    zone = known_zone(report.timezone) or UTC
    message = build_message(
        rendered, sender=rt.mail.sender, recipient=report.recipient_email, message_id=message_id,
        unsubscribe_url=report.unsubscribe_url, preferences_url=report.preferences_url,
        date=rt.now().astimezone(zone),
    )  # fmt: skip
    async with rt.db.session() as session:
        reports = ReportRepository(session, tenant_id)
        try:
            await rt.mailer.send(message)
        except DeliveryError as exc:
            log.warning("report.failed", person_id=person_id, error=str(exc))
            await reports.mark_failed(person_id, report.week_start)
            sent = False
        else:
            await reports.mark_sent(person_id, report.week_start, message_id)
            sent = True
        await session.commit()
    return sent
