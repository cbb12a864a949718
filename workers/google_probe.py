"""The slow re-probe of Google connections held back (`auth_revoked`, `needs_attention`).

A refused credential stops a connection's syncs until it is fixed, and nobody may notice the
fix: so each held-back connection of an active person gets one cheap call as that person (the
Calendar `settings.get timezone`) at most every `ClientConfig.reprobe_interval_s`, measured from
its stored `probed_at` (restarts and processes agree). When the call works, the connection is
`pending` again and the next round syncs it; when Google refuses it again, or the call fails
for a temporary reason, the connection keeps its state: a temporary error never becomes, nor
clears, an auth state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import structlog

from integrations.google import GoogleConnector
from integrations.google.account import GoogleAccount, InvalidAccount
from integrations.google.client import calendar_timezone
from service.domain.port import AuthRevoked, ConnectorError
from service.pipeline.google import google_install
from service.runtime import Runtime
from service.storage import CalendarRepository
from workers.google_quota import record_requests

log = structlog.get_logger(__name__)

PROVIDER = "google"


@dataclass(slots=True)
class ProbeRound:
    """What re-probing a tenant's held-back Google connections did."""

    probed: int = 0
    cleared: int = 0
    still_refused: int = 0
    temporary: int = 0


async def reprobe_refused(rt: Runtime, tenant_id: int) -> ProbeRound:
    """Try each held-back Google connection whose re-probe is due (see the module docstring)."""
    outcome = ProbeRound()
    connector = rt.connectors.get(PROVIDER)
    loaded = await google_install(rt, tenant_id)
    if not isinstance(connector, GoogleConnector) or loaded is None:
        return outcome
    try:
        account = GoogleAccount.parse(loaded[1])
    except InvalidAccount:
        return outcome  # the directory round reports the broken install
    now = rt.now()
    every = timedelta(seconds=connector.api.config.reprobe_interval_s)
    async with rt.db.session() as session:
        held = await CalendarRepository(session, tenant_id).refused(PROVIDER)
    try:
        for row, email in held:
            if row.probed_at is not None and now - row.probed_at < every:
                continue
            outcome.probed += 1
            connector.api.forget(account, email)  # a fresh token: the cached one was refused
            try:
                await calendar_timezone(connector.api, account, email)
            except AuthRevoked:
                cleared = False
                outcome.still_refused += 1
            except ConnectorError as exc:  # temporary: neither cleared nor made permanent
                cleared = False
                outcome.temporary += 1
                log.info("google.reprobe_failed", connection_id=row.id, error=type(exc).__name__)
            else:
                cleared = True
                outcome.cleared += 1
                log.info("google.reprobe_cleared", tenant_id=tenant_id, connection_id=row.id)
            async with rt.db.transaction() as session:
                await CalendarRepository(session, tenant_id).record_probe(
                    row.id, now, cleared=cleared
                )
    finally:
        await record_requests(rt)
    return outcome
