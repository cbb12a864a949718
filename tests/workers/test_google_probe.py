"""The slow re-probe of refused Google connections against the emulator: one cheap call at most
every interval, cleared on success, never changed by a temporary error."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from service.runtime import Runtime, fixed_clock
from service.storage import CalendarRepository, CalendarRow
from tests.emulators.google.fixtures import ADMIN, ANA, BEN, CAT, NOW, Setup, google_setup
from workers.google import directory_round
from workers.google_probe import reprobe_refused
from workers.sync import sync_tenant

__all__ = ["google_setup"]  # the fixture, used by name


def _at(rt: Runtime, now: datetime) -> Runtime:
    return dataclasses.replace(rt, clock=fixed_clock(now))


async def _cat(setup: Setup) -> CalendarRow:
    async with setup.rt.db.session() as session:
        rows = CalendarRepository(session, setup.tenant_id).iter_with_owner()
        [cat] = [row async for row, email in rows if email == CAT]
    return cat


async def _revoked_cat(setup: Setup) -> None:
    await directory_round(setup.rt, setup.tenant_id)
    setup.google.revoke_tokens(CAT)
    setup.google.fail("token", 400, "invalid_grant", message="Invalid email", subject=CAT, times=9)
    round_ = await sync_tenant(setup.rt, setup.tenant_id)
    assert [r.person for r in round_.needs_attention] == [CAT]


async def test_reprobe_refused_connection_cleared_when_google_accepts_again(
    google_setup: Setup,
) -> None:
    await _revoked_cat(google_setup)
    google_setup.google.faults.clear()  # the admin fixed delegation for Cat
    calls = google_setup.google.requests["settings.get"]
    probed = await reprobe_refused(google_setup.rt, google_setup.tenant_id)
    assert (probed.probed, probed.cleared) == (1, 1)
    assert google_setup.google.requests["settings.get"] == calls + 1  # one cheap call
    cat = await _cat(google_setup)
    assert (cat.status, cat.last_error, cat.probed_at) == ("pending", None, NOW)
    round_ = await sync_tenant(google_setup.rt, google_setup.tenant_id)
    assert round_.ok
    assert {r.person for r in round_.results} == {ADMIN, ANA, BEN, CAT}


async def test_reprobe_refused_at_most_every_interval_and_state_kept(
    google_setup: Setup,
) -> None:
    await _revoked_cat(google_setup)
    first = await reprobe_refused(google_setup.rt, google_setup.tenant_id)
    assert (first.probed, first.still_refused) == (1, 1)
    soon = await reprobe_refused(
        _at(google_setup.rt, NOW + timedelta(minutes=59)), google_setup.tenant_id
    )
    assert soon.probed == 0  # within the hour: no call
    cat = await _cat(google_setup)
    assert (cat.status, cat.probed_at) == ("auth_revoked", NOW)
    assert "Invalid email" in (cat.last_error or "")


async def test_reprobe_refused_temporary_error_neither_clears_nor_revokes(
    google_setup: Setup,
) -> None:
    await _revoked_cat(google_setup)
    google_setup.google.faults.clear()
    google_setup.google.fail("settings.get", 503, "backendError", subject=CAT, times=20)
    probed = await reprobe_refused(google_setup.rt, google_setup.tenant_id)
    assert (probed.probed, probed.temporary, probed.cleared) == (1, 1, 0)
    cat = await _cat(google_setup)
    assert cat.status == "auth_revoked"
    # A transient failure on a healthy connection is an `error`, retried: never auth_revoked.
    google_setup.google.fail("events.list", 503, "backendError", subject=ANA, times=20)
    round_ = await sync_tenant(google_setup.rt, google_setup.tenant_id)
    assert {(r.person, r.status) for r in round_.needs_attention} == {(ANA, "error")}
    later = await reprobe_refused(
        _at(google_setup.rt, NOW + timedelta(hours=1)), google_setup.tenant_id
    )
    assert (later.probed, later.temporary) == (1, 1)  # Cat again; Ana's `error` is no auth state
