"""Nudge jobs: plan and deliver what is due to a real SMTP sink; the next due time."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

from service.storage import Database, NudgeRepository
from tests.fixtures.smtp import Handler
from tests.integrations.ics.feedserver import Feed, RunningServer
from tests.workers.conftest import NOW, calendar, event, make_team, smtp_mailer, worker_runtime
from workers.nudges import (
    HANDED_BACK,
    deliver,
    hand_back,
    next_due,
    nudge_ids,
    plan,
    plan_and_deliver,
)
from workers.sync import sync_tenant

ANA = "ana@example.com"


def test_nudge_ids_read_rapport_message_ids() -> None:
    assert nudge_ids(["<rapport.nudge.42.3@x.example>", " <rapport.briefing.7.1@x> ", "<a@b>"]) == [
        42,
        7,
    ]


async def test_plan_and_deliver_sends_at_the_due_time(
    database: Database,
    tenant_id: int,
    tmp_path: Path,
    feeds: RunningServer,
    smtp: tuple[Handler, int],
) -> None:
    handler, port = smtp
    rt = worker_runtime(database, smtp_mailer(port), tmp_path)
    start = NOW + timedelta(minutes=30)
    feeds.app.feeds["ana"] = Feed(calendar(ANA, event("m1@x", start)))
    await make_team(rt, tenant_id, feeds, [ANA])
    await sync_tenant(rt, tenant_id)
    early = await plan_and_deliver(rt, tenant_id)
    assert early.planning.planned == 1
    assert early.delivery.sent == 0
    assert await next_due(rt, tenant_id) == start - timedelta(minutes=1)
    at_due = dataclasses.replace(rt, clock=lambda: start - timedelta(minutes=1))
    sent = await plan_and_deliver(at_due, tenant_id)
    assert sent.delivery.sent == 1
    assert len(handler.envelopes) == 1
    assert handler.envelopes[0].rcpt_tos == [ANA]
    assert await next_due(at_due, tenant_id) is None
    again = await plan_and_deliver(at_due, tenant_id)
    assert again.delivery.sent == 0
    assert len(handler.envelopes) == 1


async def test_hand_back_plans_a_failed_refusal_again(
    database: Database,
    tenant_id: int,
    tmp_path: Path,
    feeds: RunningServer,
    smtp: tuple[Handler, int],
) -> None:
    from workers.inprocess import SendGate

    handler, port = smtp
    gate = SendGate(smtp_mailer(port))
    gate.close()
    rt = worker_runtime(database, gate, tmp_path)
    start = NOW + timedelta(hours=2)
    feeds.app.feeds["ana"] = Feed(calendar(ANA, event("m1@x", start)))
    policy = {"lead_minutes": 20, "working_hours": {"start": "00:00", "end": "23:59"}}
    await make_team(
        rt, tenant_id, feeds, [ANA], policy={**policy, "quiet_hours": {"enabled": False}}
    )
    await sync_tenant(rt, tenant_id)
    await plan(rt, tenant_id)
    due = start - timedelta(minutes=20)
    async with database.session() as session:
        (planned,) = await NudgeRepository(session, tenant_id).due(due, 10)
    # Refused three times five minutes apart (no re-plan in between): its attempts are used up.
    for minutes in (0, 5, 10):
        moment = due + timedelta(minutes=minutes)
        outcome = await deliver(dataclasses.replace(rt, clock=lambda m=moment: m), tenant_id)
        assert outcome.sent == 0
    assert len(gate.refused) == 3
    async with database.session() as session:
        failed = await NudgeRepository(session, tenant_id).get(planned.id)
    assert failed is not None
    assert (failed.state, failed.error) == ("failed", HANDED_BACK)
    late = dataclasses.replace(rt, clock=lambda: due + timedelta(minutes=10))
    assert await hand_back(late, tenant_id, gate.refused) == 1
    async with database.session() as session:
        again = await NudgeRepository(session, tenant_id).get(planned.id)
    assert again is not None
    assert again.state == "planned"
    assert again.due_at == due + timedelta(minutes=10)
    assert handler.envelopes == []
