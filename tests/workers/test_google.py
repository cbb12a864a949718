"""Google jobs end to end against the emulator: directory round, syncs, channels, notifications.

Real database (both backends), real secret store, the real connector and client; the only
thing not Rapport's is the emulated Google on loopback.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from integrations.google import GoogleConnector, PushConfig
from service.pipeline.connections import check_secrets, rotate_secrets
from service.pipeline.google import google_connections
from service.runtime import Runtime, fixed_clock
from service.secrets import SecretBox, new_key
from service.storage import CalendarRepository, PeopleRepository
from tests.emulators.google.fixtures import (
    ADMIN,
    ANA,
    BEN,
    CAT,
    NOW,
    SERIES_START,
    Setup,
    copies,
    google_setup,
    installed,
    meeting,
)
from tests.emulators.google.keys import session_key
from workers.google import (
    PushSyncs,
    directory_round,
    handle_notification,
    keep_channels,
    poll_only_reason,
)
from workers.sync import sync_tenant

__all__ = ["google_setup"]  # the fixture, used by name


async def test_directory_round_reads_people_aliases_groups_managers_and_zones(
    google_setup: Setup,
) -> None:
    found = await directory_round(google_setup.rt, google_setup.tenant_id)
    assert found is not None
    assert (found.people, found.created, found.connected, found.error) == (4, 4, 4, None)
    async with google_setup.rt.db.session() as session:
        people = PeopleRepository(session, google_setup.tenant_id)
        ana, cat = await people.by_email(ANA), await people.by_email(CAT)
    assert ana is not None
    assert cat is not None
    assert (ana.timezone, ana.manager_email, ana.groups, ana.team) == (
        "Europe/London", BEN, ("eng@example.com",), "eng@example.com",
    )  # fmt: skip
    assert (cat.timezone, cat.aliases) == ("America/New_York", ("catherine@example.com",))
    again = await directory_round(google_setup.rt, google_setup.tenant_id)
    assert again is not None
    assert (again.created, again.connected, again.timezones) == (0, 0, 0)  # zones: once a day


async def test_sync_stores_every_calendar_after_directory_round(google_setup: Setup) -> None:
    await installed(google_setup)
    rows = await copies(google_setup, ANA)
    assert {uid for _, uid, *_ in rows} == {"video1@google.com", "weekly1@google.com"}
    assert len([r for r in rows if r[1] == "weekly1@google.com"]) >= 6
    # Steady state: the next round is one events.list per calendar and no token request.
    before = dict(google_setup.google.requests)
    round_ = await sync_tenant(google_setup.rt, google_setup.tenant_id)
    assert round_.ok
    after = google_setup.google.requests
    assert after["events.list"] - before["events.list"] == 4
    assert after["token"] == before["token"]


async def test_sync_moved_instance_keeps_its_meeting(google_setup: Setup) -> None:
    await installed(google_setup)
    original = SERIES_START + timedelta(weeks=3)
    [(meeting_id, *_)] = [r for r in await copies(google_setup, ANA) if r[2] == original]
    moved_to = original + timedelta(hours=3)
    google_setup.google.update_instance(
        ANA, "weekly1", original,
        start={"dateTime": moved_to.isoformat()},
        end={"dateTime": (moved_to + timedelta(minutes=30)).isoformat()},
    )  # fmt: skip
    await sync_tenant(google_setup.rt, google_setup.tenant_id)
    [moved] = [r for r in await copies(google_setup, ANA) if r[2] == original]
    assert (moved[0], moved[3]) == (meeting_id, moved_to)


async def test_sync_moved_single_event_leaves_no_ghost(google_setup: Setup) -> None:
    await installed(google_setup)
    moved_to = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    google_setup.google.put_event(ANA, meeting("video1", moved_to))
    await sync_tenant(google_setup.rt, google_setup.tenant_id)
    video = [r for r in await copies(google_setup, ANA) if r[1] == "video1@google.com"]
    assert [(r[2], r[3]) for r in video] == [(moved_to, moved_to)]


async def test_sync_cancelled_instance_and_deleted_series_reach_the_store(
    google_setup: Setup,
) -> None:
    await installed(google_setup)
    cancelled = SERIES_START + timedelta(weeks=1)
    google_setup.google.cancel_instance(ANA, "weekly1", cancelled)
    await sync_tenant(google_setup.rt, google_setup.tenant_id)
    weekly_ = [r for r in await copies(google_setup, ANA) if r[1] == "weekly1@google.com"]
    assert cancelled not in [r[2] for r in weekly_]
    assert len(weekly_) >= 5
    google_setup.google.delete_event(ANA, "weekly1")
    await sync_tenant(google_setup.rt, google_setup.tenant_id)
    assert [r[1] for r in await copies(google_setup, ANA)] == ["video1@google.com"]


async def test_sync_expired_token_resyncs_without_duplicates_or_ghosts(
    google_setup: Setup,
) -> None:
    await installed(google_setup)
    before = await copies(google_setup, ANA)
    # Deleted while the token expired: no tombstone will ever say so.
    google_setup.google.delete_event(ANA, "video1")
    google_setup.google.expire_sync_tokens(ANA)
    round_ = await sync_tenant(google_setup.rt, google_setup.tenant_id)
    assert round_.ok
    after = await copies(google_setup, ANA)
    assert after == [r for r in before if r[1] != "video1@google.com"]
    async with google_setup.rt.db.session() as session:
        rows = await CalendarRepository(session, google_setup.tenant_id).for_sync()
    assert all(row.cursor for row in rows)  # a fresh token, stored with the baseline


async def test_sync_revoked_credential_needs_attention_while_others_go_on(
    google_setup: Setup,
) -> None:
    await directory_round(google_setup.rt, google_setup.tenant_id)
    # Revoked: Cat's access token stops working and no new one is granted.
    google_setup.google.revoke_tokens(CAT)
    google_setup.google.fail(
        "token", 400, "invalid_grant", message="Invalid email or User ID", subject=CAT, times=9
    )
    round_ = await sync_tenant(google_setup.rt, google_setup.tenant_id)
    [attention] = round_.needs_attention
    assert attention.person == CAT
    assert attention.status == "auth_revoked"
    assert "invalid_grant: Invalid email or User ID" in (attention.message or "")
    assert {r.person for r in round_.results if r.ok} == {ADMIN, ANA, BEN}
    # Not retried until fixed: the next round leaves Cat's calendar alone.
    tokens = google_setup.google.requests["token"]
    again = await sync_tenant(google_setup.rt, google_setup.tenant_id)
    assert CAT not in {r.person for r in again.results}
    assert google_setup.google.requests["token"] == tokens


async def test_directory_round_leaver_inactive_and_channel_stopped(google_setup: Setup) -> None:
    await installed(google_setup)
    opened = await keep_channels(google_setup.rt, google_setup.tenant_id)
    assert opened.opened == 4
    google_setup.google.remove_user(CAT)
    found = await directory_round(google_setup.rt, google_setup.tenant_id)
    assert found is not None
    assert (found.deactivated, found.channels_stopped) == (1, 1)
    async with google_setup.rt.db.session() as session:
        cat = await PeopleRepository(session, google_setup.tenant_id).by_email(CAT)
    assert cat is not None
    assert not cat.active
    assert {c.owner for c in google_setup.google.live_channels()} == {ADMIN, ANA, BEN}
    round_ = await sync_tenant(google_setup.rt, google_setup.tenant_id)
    assert CAT not in {r.person for r in round_.results}


async def test_keep_channels_renews_from_returned_expiration(google_setup: Setup) -> None:
    await installed(google_setup)
    google_setup.google.channel_ttl_s = 2 * 24 * 3600  # Google grants less than asked
    first = await keep_channels(google_setup.rt, google_setup.tenant_id)
    assert first.opened == 4
    assert (await keep_channels(google_setup.rt, google_setup.tenant_id)).opened == 0
    # A day and a half later the returned expiration is within the renewal margin.
    later = dataclasses_replace_clock(google_setup.rt, NOW + timedelta(hours=36))
    renewed = await keep_channels(later, google_setup.tenant_id)
    assert (renewed.opened, renewed.stopped) == (4, 4)
    assert len(google_setup.google.live_channels()) == 4


async def test_keep_channels_poll_only_without_public_https(google_setup: Setup) -> None:
    await installed(google_setup)
    connector = google_setup.rt.connectors["google"]
    assert isinstance(connector, GoogleConnector)
    connector.push = PushConfig(address=None)
    outcome = await keep_channels(google_setup.rt, google_setup.tenant_id)
    assert outcome.poll_only
    assert google_setup.google.requests["events.watch"] == 0
    assert "poll only" in (poll_only_reason(google_setup.rt) or "")


async def test_notification_syncs_its_calendar_and_sync_message_starts_nothing(
    google_setup: Setup,
) -> None:
    await installed(google_setup)
    await keep_channels(google_setup.rt, google_setup.tenant_id)
    syncs = PushSyncs(google_setup.rt)
    [hello] = [
        n
        for n in google_setup.google.notifications
        if n.headers["X-Goog-Resource-State"] == "sync" and ANA in n.headers["X-Goog-Resource-URI"]
    ]
    assert await handle_notification(google_setup.rt, _lower(hello.headers), syncs) == "sync"
    assert not syncs.running
    google_setup.google.put_event(ANA, meeting("new1", datetime(2026, 11, 27, 9, 0, tzinfo=UTC)))
    note = google_setup.google.notifications[-1]
    assert note.headers["X-Goog-Resource-State"] == "exists"
    lists = google_setup.google.requests["events.list"]
    assert await handle_notification(google_setup.rt, _lower(note.headers), syncs) == "started"
    await syncs.drain()
    assert google_setup.google.requests["events.list"] == lists + 1  # only Ana's calendar
    assert "new1@google.com" in {r[1] for r in await copies(google_setup, ANA)}


async def test_forged_notification_changes_nothing(google_setup: Setup) -> None:
    await installed(google_setup)
    await keep_channels(google_setup.rt, google_setup.tenant_id)
    syncs = PushSyncs(google_setup.rt)
    real = _lower(google_setup.google.notifications[-1].headers)
    forged = [
        {**real, "x-goog-channel-token": "guessed", "x-goog-resource-state": "exists"},
        {**real, "x-goog-resource-id": "other", "x-goog-resource-state": "exists"},
        {**real, "x-goog-channel-id": "r999999-abc", "x-goog-resource-state": "exists"},
        {k: v for k, v in real.items() if k != "x-goog-channel-token"},
    ]
    for headers in forged:
        assert await handle_notification(google_setup.rt, headers, syncs) == "rejected"
    assert not syncs.running


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def dataclasses_replace_clock(rt: Runtime, now: datetime) -> Runtime:
    return dataclasses.replace(rt, clock=fixed_clock(now))


async def test_connections_list_google_with_person(google_setup: Setup) -> None:
    await directory_round(google_setup.rt, google_setup.tenant_id)
    found = await google_connections(google_setup.rt, google_setup.tenant_id)
    assert sorted(c.email for c in found) == [ADMIN, ANA, BEN, CAT]
    assert all(c.has_secret and c.status == "pending" for c in found)
    assert session_key().key_id  # the emulator trusted the key the install carries


async def test_sync_rate_limited_records_error_then_recovers(google_setup: Setup) -> None:
    await installed(google_setup)
    google_setup.google.fail(
        "events.list", 403, "rateLimitExceeded", domain="usageLimits", subject=ANA, times=3
    )
    limited = await sync_tenant(google_setup.rt, google_setup.tenant_id)
    [attention] = limited.needs_attention
    assert (attention.person, attention.status) == (ANA, "error")
    assert "rateLimitExceeded" in (attention.message or "")
    recovered = await sync_tenant(google_setup.rt, google_setup.tenant_id)
    assert recovered.ok


async def test_rotated_secret_keys_still_open_the_install(google_setup: Setup) -> None:
    await directory_round(google_setup.rt, google_setup.tenant_id)
    fresh = new_key()
    rotated_rt = dataclasses.replace(
        google_setup.rt, secrets=SecretBox([fresh.encode(), google_setup.secret_key.encode()])
    )
    assert await rotate_secrets(rotated_rt, google_setup.tenant_id) == 5  # 4 calendars + install
    only_new = dataclasses.replace(google_setup.rt, secrets=SecretBox([fresh.encode()]))
    assert await check_secrets(only_new, google_setup.tenant_id) == 5
    found = await directory_round(only_new, google_setup.tenant_id)
    assert found is not None
    assert found.error is None
