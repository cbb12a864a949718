"""A person's own page: what they were sent and why, and every choice they can make there.

Each use case changes one person of one tenant (`NotFound` otherwise) and commits once. A choice
that rules nudges out (unsubscribe, an opted-out or paused kind, a snooze) also cancels what is
already planned and no longer fits, so it holds for every send after it, not only after the next
planning round; choices that move nudges (hours, delivery mode, a muted meeting) take effect
when planning runs next.

Feedback rule: two "not for me" on one kind within `FEEDBACK_WINDOW` pause that kind for that
person for `PAUSE_FOR`; their next email says so in its footer.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from service.domain.nudges import DELIVERY_MODES, PersonalHours
from service.domain.policy import Policy
from service.domain.vocabulary import NudgeKind
from service.domain.zones import known_zone
from service.errors import NotFound
from service.pipeline.planning import paused_kinds
from service.pipeline.policies import load_policies
from service.runtime import Runtime
from service.storage import (
    FeedbackIn,
    FeedbackRepository,
    FeedbackRow,
    PeopleRepository,
    PersonRow,
    PreferencesRepository,
    SentNudge,
)

log = structlog.get_logger(__name__)

RECENT = timedelta(days=30)
FEEDBACK_WINDOW = timedelta(days=30)
PAUSE_FOR = timedelta(days=30)
NOT_FOR_ME_TO_PAUSE = 2
VERDICTS = ("helpful", "not_for_me", "not_for_this_meeting")


@dataclass(frozen=True, slots=True)
class PersonPage:
    """What a person's page shows: them, their group's policy (before their own choices), and
    the nudges sent to them lately."""

    person: PersonRow
    policy: Policy
    recent: tuple[SentNudge, ...]


@dataclass(frozen=True, slots=True)
class Delivery:
    """How and when a person gets their notes; None means "as the organisation's policy says"."""

    timezone: str
    working_hours: PersonalHours | None
    delivery_mode: str | None

    def __post_init__(self) -> None:
        if known_zone(self.timezone) is None:
            raise ValueError(f"timezone: unknown time zone {self.timezone!r}")
        if self.delivery_mode is not None and self.delivery_mode not in DELIVERY_MODES:
            raise ValueError(f"delivery_mode: must be one of {', '.join(DELIVERY_MODES)}")


@dataclass(frozen=True, slots=True)
class FeedbackOutcome:
    """What a verdict did: the nudge's kind, and until when that kind is now paused (if it is)."""

    kind: str
    paused_until: datetime | None = None


async def _person(repo: PeopleRepository, person_id: int) -> PersonRow:
    person = await repo.get(person_id)
    if person is None:
        raise NotFound("no such person")
    return person


async def load_person(rt: Runtime, tenant_id: int, person_id: int) -> PersonRow:
    """One person of the tenant; `NotFound` for anyone else."""
    async with rt.db.session() as session:
        return await _person(PeopleRepository(session, tenant_id), person_id)


async def person_page(rt: Runtime, tenant_id: int, person_id: int) -> PersonPage:
    """The person, the policy of their group, and the nudges sent to them in the last 30 days."""
    async with rt.db.session() as session:
        person = await _person(PeopleRepository(session, tenant_id), person_id)
        policies = await load_policies(session, tenant_id)
        recent = await PreferencesRepository(session, tenant_id).sent_since(
            person_id, rt.now() - RECENT
        )
    group = person.team if person.team in policies.groups else None
    return PersonPage(person=person, policy=policies.for_group(group), recent=tuple(recent))


async def unsubscribe(rt: Runtime, tenant_id: int, person_id: int) -> None:
    """Opt the person out of everything (idempotent) and cancel what is planned for them."""
    async with rt.db.transaction() as session:
        people = PeopleRepository(session, tenant_id)
        await _person(people, person_id)
        await people.set_opted_out(person_id, True)
        cancelled = await PreferencesRepository(session, tenant_id).cancel_planned(person_id)
    log.info(
        "preferences.unsubscribed", tenant_id=tenant_id, person_id=person_id, cancelled=cancelled
    )


async def set_opt_outs(
    rt: Runtime, tenant_id: int, person_id: int, everything: bool, kinds: Collection[str]
) -> None:
    """Opt out of everything (or back in) and of these kinds; cancel what no longer fits."""
    known = sorted({kind for kind in kinds if kind in NudgeKind.__members__.values()})
    async with rt.db.transaction() as session:
        people = PeopleRepository(session, tenant_id)
        await _person(people, person_id)
        await people.set_opted_out(person_id, everything, known)
        choices = PreferencesRepository(session, tenant_id)
        await choices.cancel_planned(person_id, None if everything else known)
    log.info(
        "preferences.opt_outs", tenant_id=tenant_id, person_id=person_id, everything=everything
    )


async def set_delivery(rt: Runtime, tenant_id: int, person_id: int, delivery: Delivery) -> None:
    """Set the person's time zone, own working hours and delivery mode."""
    hours: dict[str, Any] | None = None
    if delivery.working_hours is not None:
        hours = {"start": delivery.working_hours.start, "end": delivery.working_hours.end}
        if delivery.working_hours.days is not None:
            hours["days"] = list(delivery.working_hours.days)
    async with rt.db.transaction() as session:
        await _person(PeopleRepository(session, tenant_id), person_id)
        await PreferencesRepository(session, tenant_id).set_delivery(
            person_id,
            timezone=delivery.timezone,
            working_hours=hours,
            delivery_mode=delivery.delivery_mode,
        )
    log.info("preferences.delivery", tenant_id=tenant_id, person_id=person_id)


async def snooze(rt: Runtime, tenant_id: int, person_id: int, until: datetime | None) -> None:
    """Snooze every note until `until` (None: stop snoozing); cancel what falls inside it."""
    if until is not None and until.tzinfo is None:
        raise ValueError("until must be a tz-aware datetime")
    async with rt.db.transaction() as session:
        await _person(PeopleRepository(session, tenant_id), person_id)
        choices = PreferencesRepository(session, tenant_id)
        await choices.set_snooze(person_id, until)
        if until is not None and until > rt.now():
            await choices.cancel_planned(person_id, before=until)
    log.info("preferences.snoozed", tenant_id=tenant_id, person_id=person_id)


async def mute_contacts(
    rt: Runtime, tenant_id: int, person_id: int, add: Collection[str], remove: Collection[str]
) -> None:
    """Add addresses to (and take others off) the person's muted contacts."""
    async with rt.db.transaction() as session:
        person = await _person(PeopleRepository(session, tenant_id), person_id)
        gone = {address.strip().lower() for address in remove}
        muted = {c for c in person.muted_contacts if c not in gone} | set(add)
        await PreferencesRepository(session, tenant_id).set_muted_contacts(person_id, muted)
    log.info("preferences.muted_contacts", tenant_id=tenant_id, person_id=person_id)


async def unmute_meetings(rt: Runtime, tenant_id: int, person_id: int) -> None:
    """Hear about every meeting again (clears the muted series)."""
    async with rt.db.transaction() as session:
        await _person(PeopleRepository(session, tenant_id), person_id)
        await PreferencesRepository(session, tenant_id).set_muted_series(person_id, ())


async def resume_kind(rt: Runtime, tenant_id: int, person_id: int, kind: str) -> None:
    """End the pause of one kind that "not for me" answers started."""
    async with rt.db.transaction() as session:
        person = await _person(PeopleRepository(session, tenant_id), person_id)
        paused = {k: v for k, v in paused_kinds(person.paused_kinds).items() if k != kind}
        await PreferencesRepository(session, tenant_id).set_paused_kinds(person_id, paused)


async def feedback_nudge(rt: Runtime, tenant_id: int, person_id: int, nudge_id: int) -> SentNudge:
    """One of the person's own nudges, with its meeting; `NotFound` for anyone else's."""
    async with rt.db.session() as session:
        await _person(PeopleRepository(session, tenant_id), person_id)
        nudge = await PreferencesRepository(session, tenant_id).nudge_of(person_id, nudge_id)
    if nudge is None:
        raise NotFound("no such nudge")
    return nudge


async def record_feedback(
    rt: Runtime, tenant_id: int, person_id: int, nudge_id: int, verdict: str
) -> FeedbackOutcome:
    """Record a verdict on one of the person's nudges and apply the feedback rule."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}")
    now = rt.now()
    async with rt.db.transaction() as session:
        person = await _person(PeopleRepository(session, tenant_id), person_id)
        choices = PreferencesRepository(session, tenant_id)
        nudge = await choices.nudge_of(person_id, nudge_id)
        if nudge is None:
            raise NotFound("no such nudge")
        feedback = FeedbackRepository(session, tenant_id)
        given = FeedbackIn(person_id, nudge_id, nudge.kind, verdict, now, nudge.series_id)
        await feedback.record(given)
        if verdict == "not_for_this_meeting":
            muted = {*person.muted_series, nudge.series_id or nudge.meeting_uid}
            await choices.set_muted_series(person_id, muted)
        paused = paused_kinds(person.paused_kinds)
        if verdict == "not_for_me" and nudge.kind not in paused:
            said = await feedback.count(person_id, nudge.kind, verdict, now - FEEDBACK_WINDOW)
            if said >= NOT_FOR_ME_TO_PAUSE:
                paused[nudge.kind] = now + PAUSE_FOR
                await choices.set_paused_kinds(person_id, paused)
                await choices.cancel_planned(person_id, [nudge.kind])
    log.info("preferences.feedback", tenant_id=tenant_id, person_id=person_id, verdict=verdict)
    until = paused.get(nudge.kind)
    return FeedbackOutcome(nudge.kind, until if until is not None and until > now else None)


async def export_person(rt: Runtime, tenant_id: int, person_id: int) -> dict[str, Any]:
    """Everything Rapport keeps about the person that they can take with them, as JSON values."""
    async with rt.db.session() as session:
        person = await _person(PeopleRepository(session, tenant_id), person_id)
        sent = await PreferencesRepository(session, tenant_id).sent_since(
            person_id, rt.now() - timedelta(days=3650)
        )
        feedback = await FeedbackRepository(session, tenant_id).for_person(person_id)
    return {
        "email": person.email,
        "name": person.name,
        "time_zone": person.timezone,
        "groups": list(person.groups),
        "opted_out": person.opted_out,
        "opted_out_kinds": list(person.opted_out_kinds),
        "snoozed_until": None if person.snoozed_until is None else person.snoozed_until.isoformat(),
        "muted_contacts": list(person.muted_contacts),
        "muted_meetings": list(person.muted_series),
        "paused_kinds": dict(person.paused_kinds),
        "working_hours": None if person.working_hours is None else dict(person.working_hours),
        "delivery_mode": person.delivery_mode,
        "nudges": [_exported_nudge(n) for n in sent],
        "feedback": [_exported_feedback(f) for f in feedback],
    }


def _exported_nudge(nudge: SentNudge) -> dict[str, Any]:
    return {
        "kind": nudge.kind,
        "why": nudge.reason,
        "sent_at": None if nudge.sent_at is None else nudge.sent_at.isoformat(),
        "meeting": nudge.meeting_title,
        "meeting_start": nudge.meeting_start.isoformat(),
    }


def _exported_feedback(item: FeedbackRow) -> dict[str, Any]:
    return {"kind": item.kind, "verdict": item.verdict, "at": item.at.isoformat()}


async def forget_person(rt: Runtime, tenant_id: int, person_id: int) -> None:
    """Delete the person and every trace of their address (erasure on request)."""
    async with rt.db.transaction() as session:
        if not await PeopleRepository(session, tenant_id).forget(person_id):
            raise NotFound("no such person")
    log.info("preferences.forgotten", tenant_id=tenant_id, person_id=person_id)
