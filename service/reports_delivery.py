"""Weekly report delivery: one report per person per week, as an email and an HTML file.

Opted-out people get nothing. Each report is claimed (person, week) before it is sent, so a
second run in the same week sends nothing twice.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import structlog

from service.domain.policy import Policy
from service.email import (
    DeliveryError,
    EmailRenderer,
    Mailer,
    WeekAtAGlance,
    WeeklyReport,
    build_message,
    lapsed_contact,
    message_id_for,
)
from service.mailing import MailConfig, person_links
from service.reports import (
    RelationshipFindings,
    find_relationships,
    report_week,
    visible_lapsed,
)
from service.storage import Database, NudgeRepository, PeopleRepository, PersonRow, ReportRepository

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class ReportOutcome:
    """What a report run did."""

    people: int = 0
    sent: int = 0
    lapsed: int = 0
    files: list[Path] = field(default_factory=list)


def _report(
    person: PersonRow,
    people: Mapping[str, PersonRow],
    findings: RelationshipFindings,
    nudges_sent: int,
    week_start: date,
    report_id: int,
    mail: MailConfig,
) -> WeeklyReport:
    links = person_links(mail.base_url, person.unsubscribe_token)
    lapsed = tuple(
        lapsed_contact(
            contact_email=item.contact,
            contact_name=people[item.contact].name if item.contact in people else None,
            last_met=item.last_met.date(),
            cadence_days=round(item.cadence_days, 1),
            days_since=int(item.days_since),
        )
        for item in visible_lapsed(findings.lapsed.get(person.email, ()), person, people)
    )
    counts = findings.weeks.get(person.email)
    week = WeekAtAGlance(
        meetings_by_modality=dict(counts.by_modality) if counts else {},
        one_on_ones=counts.one_on_ones if counts else 0,
        nudges_sent=nudges_sent,
        hours_in_meetings=round(counts.hours, 1) if counts else 0.0,
    )
    return WeeklyReport(
        report_id=report_id, recipient_email=person.email, recipient_name=person.name,
        timezone=person.timezone, week_start=week_start,
        lapsed=lapsed, week=week, preferences_url=links.preferences_url,
        unsubscribe_url=links.unsubscribe_url,
    )  # fmt: skip


def _file_name(person: PersonRow, week: str) -> str:
    local = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in person.email.split("@")[0])
    return f"{week}-{local}.html"


async def send_weekly_reports(
    db: Database,
    tenant_id: int,
    now: datetime,
    policy: Policy,
    mailer: Mailer,
    renderer: EmailRenderer,
    mail: MailConfig,
    reports_dir: Path,
) -> ReportOutcome:
    """Compute lapsed relationships once, then write and send each person's weekly report."""
    outcome = ReportOutcome()
    await asyncio.to_thread(reports_dir.mkdir, parents=True, exist_ok=True)
    async with db.session() as session:
        people = {p.email: p async for p in PeopleRepository(session, tenant_id).iter_all()}
        findings = await find_relationships(session, tenant_id, people, policy.relationships, now)
        zones = {p.id: p.timezone for p in people.values()}
        per_day = await NudgeRepository(session, tenant_id).sent_counts_by_person_day(
            now - timedelta(days=15), zones
        )
    sent_per_person: Counter[int] = Counter()
    weeks = {p.id: report_week(now, p.timezone)[0] for p in people.values()}
    for (person_id, day), n in per_day.items():
        monday = weeks.get(person_id)
        if monday is not None and monday <= day < monday + timedelta(days=7):
            sent_per_person[person_id] += n
    outcome.lapsed = sum(len(items) for items in findings.lapsed.values())
    for person in sorted(people.values(), key=lambda p: p.email):
        if person.opted_out:
            continue
        outcome.people += 1
        week_start = weeks[person.id]
        async with db.session() as session:
            reports = ReportRepository(session, tenant_id)
            claimed = await reports.claim(person.id, week_start)
            row = await reports.get(person.id, week_start)
            await session.commit()
        path = reports_dir / _file_name(person, week_start.isoformat())
        if not claimed or row is None:
            outcome.files.append(path)
            continue
        report = _report(
            person, people, findings, sent_per_person[person.id], week_start, row.id, mail
        )
        rendered = renderer.render_report(report)
        await asyncio.to_thread(path.write_text, rendered.html, encoding="utf-8")
        outcome.files.append(path)
        message_id = message_id_for("report", row.id, 0, mail.message_id_domain)
        message = build_message(
            rendered, sender=mail.sender, recipient=person.email, message_id=message_id,
            unsubscribe_url=report.unsubscribe_url, preferences_url=report.preferences_url,
            date=now,
        )  # fmt: skip
        async with db.session() as session:
            reports = ReportRepository(session, tenant_id)
            try:
                await mailer.send(message)
            except DeliveryError as exc:
                log.warning("report.failed", person_id=person.id, error=str(exc))
                await reports.mark_failed(person.id, week_start)
            else:
                await reports.mark_sent(person.id, week_start, message_id)
                outcome.sent += 1
            await session.commit()
    return outcome
