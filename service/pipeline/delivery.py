"""Delivery: send the nudges that are due, exactly once each, and record the outcome.

Each nudge is claimed (planned -> sending) in its own transaction before it is sent, so two
senders never both send it; a deterministic Message-ID (with a part unique to the installation
and the row) lets a retried delivery be recognised. A person's first email carries the welcome.
SMTP 4xx hands the nudge back for a later try (up to `MAX_ATTEMPTS`); 5xx fails it for good.
Nudges that share a `batch_key` (daily briefing mode) go out as one email.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog

from service.domain.model import PRIVATE_TITLE, Response
from service.domain.vocabulary import NudgeKind
from service.email import (
    DailyBriefing,
    DeliveryConfigError,
    NudgeEmail,
    PermanentDeliveryError,
    RenderedEmail,
    TransientDeliveryError,
    Welcome,
    build_message,
    message_id_for,
    message_unique,
)
from service.email.addressing import feedback_links, pause_notice, person_links
from service.pipeline.planning import paused_kinds
from service.pipeline.policies import tenant_policy
from service.runtime import Runtime
from service.storage import (
    InsightRepository,
    MeetingRepository,
    MeetingRow,
    NudgeRepository,
    NudgeRow,
    PeopleRepository,
    PersonRow,
    TenantRepository,
)

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 3
# The longest a nudge can come before its meeting: lead time (<= 4 h) or, in briefing mode,
# the start of the working day; switch_to_video comes at the start of the working day before
# (a Friday for a Monday meeting, past a long weekend).
MAX_AHEAD = timedelta(hours=24)
MAX_AHEAD_BY_KIND = {NudgeKind.SWITCH_TO_VIDEO: timedelta(days=5)}
# "Last met" for a one-on-one nudge: their last one-on-one, else the last meeting at least this
# long with at most this many people (a standup does not count).
PROPER_MEETING = timedelta(minutes=30)
FEW_PEOPLE = 4
RETRY_AFTER = timedelta(minutes=5)
BATCH = 100


@dataclass(slots=True)
class DeliveryOutcome:
    """What a delivery run did; `sent_by_kind` counts every nudge sent so far (all runs)."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    emails: int = 0
    sent_by_kind: dict[str, int] = field(default_factory=dict)


def _contact(meeting: MeetingRow, person: PersonRow) -> str | None:
    """For a one-on-one: the other human's address."""
    others = [
        p.email
        for p in meeting.participations
        if p.email != person.email and p.kind == "person" and p.response != Response.DECLINED
    ]
    return others[0] if others else None


def installation_key(rt: Runtime) -> str:
    """What tells this installation's Message-IDs apart: a MAC under its link-signing key."""
    return rt.mail.links.mac("rapport message-id installation")


async def last_conversation(
    insights: InsightRepository, person: str, contact: str, before: datetime
) -> tuple[datetime | None, bool]:
    """(start, True) of the two people's last one-on-one, else (start, False) of their last
    meeting of at least `PROPER_MEETING` with at most `FEW_PEOPLE` people, else (None, True)."""
    shared = await insights.met_together(person, contact, before, limit=50)
    for meeting in shared:
        if meeting.one_on_one:
            return meeting.start, True
    for meeting in shared:
        few = meeting.human_count is not None and meeting.human_count <= FEW_PEOPLE
        if few and meeting.end - meeting.start >= PROPER_MEETING:
            return meeting.start, False
    return None, True


class _Sender:
    """One delivery run's shared state: people, renderer, mailer, outcome."""

    def __init__(
        self, rt: Runtime, tenant_id: int, people: Mapping[int, PersonRow], daily_cap: int
    ) -> None:
        self.rt, self.db, self.tenant_id = rt, rt.db, tenant_id
        self.mailer, self.renderer, self.mail = rt.mailer, rt.renderer, rt.mail
        self.people, self.daily_cap, self.clock = people, daily_cap, rt.now()
        self.by_email = {p.email: p for p in people.values()}
        self.outcome = DeliveryOutcome()
        self.installation = installation_key(rt)
        # Who has had an email from Rapport: everyone else's first one carries the welcome.
        self.emailed: set[int] = set()
        self.welcome: Welcome | None = None
        # Pages go by (due_at, id); a nudge handed back for a retry may come round again at
        # its new due time, and `tried` keeps it to one attempt per run.
        self.tried: set[int] = set()

    async def context(self, nudge: NudgeRow, meeting: MeetingRow) -> NudgeEmail:
        person = self.people[nudge.person_id]
        links = person_links(self.mail, self.tenant_id, person.id, self.clock)
        answers = feedback_links(self.mail, self.tenant_id, person.id, nudge.id, self.clock)
        contact_name: str | None = None
        last_met: datetime | None = None
        one_on_one = True
        if (
            nudge.kind == NudgeKind.ONE_ON_ONE
            and (contact := _contact(meeting, person)) is not None
        ):
            known = self.by_email.get(contact)
            contact_name = known.name if known else None  # a name, never an address
            async with self.db.session() as session:
                last_met, one_on_one = await last_conversation(
                    InsightRepository(session, self.tenant_id), person.email, contact,
                    meeting.start,
                )  # fmt: skip
        return NudgeEmail(
            nudge_id=nudge.id,
            revision=nudge.revision,
            kind=nudge.kind,
            variant=nudge.variant,
            role=nudge.role,
            recipient_email=person.email,
            recipient_name=person.name,
            meeting_title=meeting.title,
            meeting_start=meeting.start,
            timezone=person.timezone,
            modality=meeting.modality,
            provider=meeting.provider,
            human_count=meeting.human_count or 0,
            contact_name=contact_name,
            last_met=last_met,
            last_met_one_on_one=one_on_one,
            private=meeting.title == PRIVATE_TITLE,
            due_at=max(self.clock, nudge.due_at),
            reason=nudge.reason,
            preferences_url=links.preferences_url,
            unsubscribe_url=links.unsubscribe_url,
            daily_cap=self.daily_cap,
            helpful_url=answers.helpful_url,
            not_for_me_url=answers.not_for_me_url,
            not_for_this_meeting_url=answers.not_for_this_meeting_url,
            snooze_url=links.snooze_url,
            pause_notice=pause_notice(paused_kinds(person.paused_kinds), self.clock),
            welcome=None if person.id in self.emailed else self.welcome,
        )

    async def claim(self, nudge_ids: Sequence[int]) -> list[int]:
        won: list[int] = []
        async with self.db.session() as session:
            repo = NudgeRepository(session, self.tenant_id)
            for nudge_id in nudge_ids:
                if await repo.claim(nudge_id):
                    won.append(nudge_id)
            await session.commit()
        return won

    async def deliver(self, nudges: Sequence[NudgeRow], views: Mapping[int, MeetingRow]) -> None:
        """Send one email for these nudges (one, or a briefing) and record the outcome.

        `views` holds, by nudge id, the meeting as the recipient's own calendar shows it.
        """
        first = nudges[0]
        person = self.people[first.person_id]
        links = person_links(self.mail, self.tenant_id, person.id, self.clock)
        items = [await self.context(n, views[n.id]) for n in nudges]
        rendered: RenderedEmail
        unique = message_unique(self.installation, first.created_at)
        if first.batch_key is None:
            rendered = self.renderer.render_nudge(items[0])
            message_id = message_id_for(
                "nudge", first.id, first.revision, self.mail.message_id_domain, unique
            )
        else:
            briefing = DailyBriefing(
                briefing_id=first.id, revision=first.revision, recipient_email=person.email,
                recipient_name=person.name, timezone=person.timezone,
                date=first.due_at.astimezone(ZoneInfo(person.timezone)).date(), items=tuple(items),
                reason="you chose one daily briefing instead of separate notes",
                preferences_url=links.preferences_url, unsubscribe_url=links.unsubscribe_url,
                daily_cap=self.daily_cap, snooze_url=links.snooze_url,
                pause_notice=items[0].pause_notice, welcome=items[0].welcome,
            )  # fmt: skip
            rendered = self.renderer.render_briefing(briefing)
            message_id = message_id_for(
                "briefing", first.id, first.revision, self.mail.message_id_domain, unique
            )
        sent_at = max(self.clock, first.due_at)
        message = build_message(
            rendered, sender=self.mail.sender, recipient=person.email, message_id=message_id,
            unsubscribe_url=links.unsubscribe_url, preferences_url=links.preferences_url,
            date=sent_at.astimezone(ZoneInfo(person.timezone)),
        )  # fmt: skip
        try:
            await self.mailer.send(message)
        except TransientDeliveryError as exc:
            await self.settle(nudges, error=str(exc), transient=True)
            return
        except (PermanentDeliveryError, DeliveryConfigError) as exc:
            await self.settle(nudges, error=str(exc), transient=False)
            return
        async with self.db.session() as session:
            repo = NudgeRepository(session, self.tenant_id)
            for nudge in nudges:
                await repo.mark_sent(nudge.id, message_id, sent_at)
            await session.commit()
        self.outcome.sent += len(nudges)
        self.outcome.emails += 1
        self.emailed.add(person.id)
        log.info("delivery.sent", nudge_ids=[n.id for n in nudges], message_id=message_id)

    async def settle(self, nudges: Sequence[NudgeRow], *, error: str, transient: bool) -> None:
        async with self.db.session() as session:
            repo = NudgeRepository(session, self.tenant_id)
            for nudge in nudges:
                if transient and nudge.attempts + 1 < MAX_ATTEMPTS:
                    await repo.release(nudge.id, max(self.clock, nudge.due_at) + RETRY_AFTER)
                    self.outcome.retried += 1
                else:
                    await repo.mark_failed(nudge.id, error)
                    self.outcome.failed += 1
            await session.commit()
        log.warning(
            "delivery.failed", nudge_ids=[n.id for n in nudges], transient=transient, error=error
        )


def _stale(nudge: NudgeRow, meeting: MeetingRow | None, now: datetime) -> bool:
    """True when the nudge no longer fits its meeting as the recipient sees it: not to be sent.

    The recipient's own calendar no longer shows the meeting, or shows it cancelled, already
    started, or moved so that the nudge's due time is after the start or more than `MAX_AHEAD`
    (its kind's) before it (a re-plan sets the right time once the meeting is inside the
    planning window again).
    """
    if meeting is None:
        return True
    if meeting.status == "cancelled" or meeting.start <= max(now, nudge.due_at):
        return True
    ahead = MAX_AHEAD_BY_KIND.get(nudge.kind, MAX_AHEAD)
    return not timedelta(0) <= meeting.start - nudge.due_at <= ahead


async def _cancel(rt: Runtime, tenant_id: int, nudges: Sequence[NudgeRow]) -> None:
    async with rt.db.session() as session:
        repo = NudgeRepository(session, tenant_id)
        for nudge in nudges:
            await repo.cancel(nudge.id)
        await session.commit()
    log.info("delivery.cancelled_stale", nudge_ids=[n.id for n in nudges])


async def deliver_due(
    rt: Runtime, tenant_id: int, until: datetime, batch: int = BATCH
) -> DeliveryOutcome:
    """Send every planned nudge due at or before `until`; each nudge is tried once per run.

    The runtime's clock is now: the demo and tests pass a simulated time and a later `until`,
    and each nudge then counts as sent at its due time. `batch` nudges are read, claimed and
    sent at a time.
    """
    async with rt.db.session() as session:
        people = {p.id: p async for p in PeopleRepository(session, tenant_id).iter_all()}
        tenant = await TenantRepository(session).get(tenant_id)
        emailed = await InsightRepository(session, tenant_id).emailed_people()
    policy = await tenant_policy(rt, tenant_id)
    sender = _Sender(rt, tenant_id, people, max(policy.max_per_person_per_day, 1))
    sender.emailed.update(emailed)
    if tenant is not None:
        sender.welcome = Welcome(organisation=tenant.name, contact=policy.contact)
    after: tuple[datetime, int] | None = None
    while True:
        async with rt.db.session() as session:
            page = await NudgeRepository(session, tenant_id).due(until, batch, after)
            if not page:
                break
            after = (page[-1].due_at, page[-1].id)
            due = [n for n in page if n.id not in sender.tried]
            if not due:
                continue
            # Each recipient's own view: what their calendar says, never another person's.
            found = await MeetingRepository(session, tenant_id).get_views(
                {(n.meeting_id, n.person_id) for n in due}
            )
            views = {
                n.id: found[(n.meeting_id, n.person_id)]
                for n in due
                if (n.meeting_id, n.person_id) in found
            }
        await _deliver_page(sender, due, views)
    async with rt.db.session() as session:
        counts = await NudgeRepository(session, tenant_id).count_by_kind_and_state()
    totals: Counter[str] = Counter()
    for (kind, state), n in counts.items():
        if state == "sent":
            totals[kind] += n
    sender.outcome.sent_by_kind = dict(totals)
    return sender.outcome


async def _deliver_page(
    sender: _Sender, due: list[NudgeRow], views: Mapping[int, MeetingRow]
) -> None:
    """Cancel the stale nudges of one page, claim the rest and send them, one email a group."""
    sender.tried.update(n.id for n in due)
    stale = [n for n in due if _stale(n, views.get(n.id), sender.clock)]
    if stale:
        await _cancel(sender.rt, sender.tenant_id, stale)
        sender.outcome.cancelled += len(stale)
    stale_ids = {n.id for n in stale}
    due = [n for n in due if n.id not in stale_ids]
    won = set(await sender.claim([n.id for n in due]))
    groups: defaultdict[tuple[int, str], list[NudgeRow]] = defaultdict(list)
    orphans: list[NudgeRow] = []
    for nudge in due:
        if nudge.id not in won:
            continue
        if nudge.person_id in sender.people and nudge.id in views:
            groups[(nudge.person_id, nudge.batch_key or f"nudge:{nudge.id}")].append(nudge)
        else:
            orphans.append(nudge)
    if orphans:
        # The person or meeting went away between planning and sending: nothing to send.
        await sender.settle(orphans, error="person or meeting no longer exists", transient=False)
    for group in groups.values():
        await sender.deliver(group, views)
