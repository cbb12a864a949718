"""Nudge jobs: plan the coming meetings, deliver what is due, and find when the next one is.

Thin: the pipeline plans (`plan_upcoming`) and delivers (`deliver_due`, which claims each nudge
planned -> sending, so two processes never both send one). Planning runs before each delivery:
a meeting that moved, an unsubscribe or a decline since the last plan is honoured at send time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from service.pipeline.delivery import DeliveryOutcome, deliver_due
from service.pipeline.planning import PlanningOutcome, plan_upcoming
from service.runtime import Runtime
from service.storage import NudgeRepository, NudgeState

log = structlog.get_logger(__name__)

# Planning looks this far ahead: most nudges come minutes before their meeting, and
# switch_to_video at the start of the working day before it (a Friday for a Monday meeting).
PLAN_AHEAD = timedelta(days=4)
# `next_due` looks this far ahead for the earliest planned nudge.
LOOK_AHEAD = timedelta(days=400)
# What the in-process scheduler's mail gate says when it hands a send back at shutdown.
HANDED_BACK = "rapport is shutting down: handed back, it goes out after the restart"
_MESSAGE_ID = re.compile(r"<rapport\.(nudge|briefing)\.(\d+)\.(\d+)@")


@dataclass(slots=True)
class NudgeRound:
    """What one plan-and-deliver pass did."""

    planning: PlanningOutcome
    delivery: DeliveryOutcome


async def plan(rt: Runtime, tenant_id: int) -> PlanningOutcome:
    """Plan (or re-plan) the nudges of meetings starting in the next `PLAN_AHEAD`."""
    return await plan_upcoming(rt, tenant_id, rt.now() + PLAN_AHEAD)


async def deliver(rt: Runtime, tenant_id: int, batch: int = 100) -> DeliveryOutcome:
    """Send every nudge due by now (the runtime's clock)."""
    return await deliver_due(rt, tenant_id, rt.now(), batch)


async def plan_and_deliver(rt: Runtime, tenant_id: int, batch: int = 100) -> NudgeRound:
    """Plan, then deliver what is due: the delivery job of `tick` and the scheduler."""
    planning = await plan(rt, tenant_id)
    delivery = await deliver(rt, tenant_id, batch)
    log.info(
        "nudges.round", tenant_id=tenant_id, planned=planning.planned, sent=delivery.sent,
        retried=delivery.retried, failed=delivery.failed, cancelled=delivery.cancelled,
    )  # fmt: skip
    return NudgeRound(planning, delivery)


async def next_due(rt: Runtime, tenant_id: int) -> datetime | None:
    """When the tenant's earliest planned nudge is due (maybe already), or None."""
    async with rt.db.session() as session:
        first = await NudgeRepository(session, tenant_id).due(rt.now() + LOOK_AHEAD, 1)
    return first[0].due_at if first else None


def nudge_ids(message_ids: Iterable[str]) -> list[int]:
    """The nudge ids in Rapport Message-IDs (`<rapport.nudge.42.1@…>`; a briefing: its first)."""
    found: list[int] = []
    for message_id in message_ids:
        match = _MESSAGE_ID.match(message_id.strip())
        if match is not None:
            found.append(int(match.group(2)))
    return found


async def hand_back(rt: Runtime, tenant_id: int, message_ids: Iterable[str]) -> int:
    """Undo what a send handed back at shutdown did to its nudge; returns how many changed.

    The delivery pipeline treats the gate's refusal as a transient failure: the nudge is planned
    again five minutes later (re-planning restores its due time), or failed when it had used its
    attempts; such a failed nudge is planned again here, due now.
    """
    changed = 0
    async with rt.db.session() as session:
        nudges = NudgeRepository(session, tenant_id)
        for nudge_id in nudge_ids(message_ids):
            row = await nudges.get(nudge_id)
            if row is not None and row.state == NudgeState.FAILED and row.error == HANDED_BACK:
                await nudges.retry(nudge_id, rt.now())
                changed += 1
        await session.commit()
    return changed
