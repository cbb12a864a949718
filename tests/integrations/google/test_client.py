"""GoogleApi against the emulator: errors by kind, retries with backoff, token refresh, limits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from integrations.google import GoogleAccount, GoogleApi
from integrations.google.client import calendar_timezone, list_events
from integrations.google.errors import GoogleBadRequest, GoogleNotFound, read_failure
from integrations.google.ratelimit import Limiter, RateLimits, TokenBucket
from service.domain.port import AuthRevoked, ProviderUnavailable, RateLimited
from tests.emulators.google.fixtures import ANA, CAT, FAST
from tests.emulators.google.state import GoogleEmulator

LIST = {"singleEvents": True, "maxResults": 10}


@pytest.fixture
async def api() -> AsyncIterator[GoogleApi]:
    client = GoogleApi(FAST)
    try:
        yield client
    finally:
        client.close()


async def events(api: GoogleApi, account: GoogleAccount, subject: str = ANA) -> object:
    async with asyncio.timeout(20):
        return await list_events(api, account, subject, LIST)


async def test_call_rate_limited_twice_then_recovers(
    google: GoogleEmulator, google_account: GoogleAccount, api: GoogleApi
) -> None:
    google.fail("events.list", 429, "rateLimitExceeded", domain="usageLimits", times=2)
    await events(api, google_account)
    assert google.requests["events.list"] == 3


async def test_call_user_rate_limit_403_exhausted_is_rate_limited(
    google: GoogleEmulator, google_account: GoogleAccount, api: GoogleApi
) -> None:
    google.fail(
        "events.list", 403, "userRateLimitExceeded", domain="usageLimits", times=5,
        retry_after="0.02",
    )  # fmt: skip
    with pytest.raises(RateLimited) as caught:
        await events(api, google_account)
    assert caught.value.retry_after == pytest.approx(0.02)
    assert "userRateLimitExceeded" in str(caught.value)
    assert google.requests["events.list"] == FAST.max_attempts


async def test_call_server_error_with_html_body_retried_then_unavailable(
    google: GoogleEmulator, google_account: GoogleAccount, api: GoogleApi
) -> None:
    google.fail("events.list", 502, times=5, raw=b"<html><body>Bad Gateway</body></html>")
    with pytest.raises(ProviderUnavailable, match="502"):
        await events(api, google_account)
    assert google.requests["events.list"] == FAST.max_attempts


async def test_call_bad_request_never_retried(
    google: GoogleEmulator, google_account: GoogleAccount, api: GoogleApi
) -> None:
    google.fail("events.list", 400, "invalid", message="Invalid value for: maxResults")
    with pytest.raises(GoogleBadRequest, match="Invalid value"):
        await events(api, google_account)
    assert google.requests["events.list"] == 1


async def test_call_not_found_not_retried_like_503(
    google: GoogleEmulator, google_account: GoogleAccount, api: GoogleApi
) -> None:
    google.fail("events.list", 404, "notFound")
    with pytest.raises(GoogleNotFound):
        await events(api, google_account)
    assert google.requests["events.list"] == 1


async def test_call_401_refreshes_token_once_then_auth_revoked(
    google: GoogleEmulator, google_account: GoogleAccount, api: GoogleApi
) -> None:
    google.fail("events.list", 401, "authError", times=2)
    with pytest.raises(AuthRevoked, match="401"):
        await events(api, google_account)
    assert google.requests["events.list"] == 2
    assert google.requests["token.granted"] == 2


async def test_call_revoked_access_token_refreshed_and_succeeds(
    google: GoogleEmulator, google_account: GoogleAccount, api: GoogleApi
) -> None:
    await events(api, google_account)
    google.revoke_tokens(ANA)
    await events(api, google_account)
    assert google.requests["token.granted"] == 2


async def test_call_deleted_user_invalid_grant_is_auth_revoked_with_message(
    google: GoogleEmulator, google_account: GoogleAccount, api: GoogleApi
) -> None:
    google.remove_user(CAT)
    with pytest.raises(AuthRevoked, match="invalid_grant: Invalid email or User ID"):
        await events(api, google_account, CAT)


async def test_call_delegation_withdrawn_is_auth_revoked(
    google: GoogleEmulator, google_account: GoogleAccount, api: GoogleApi
) -> None:
    google.delegation = False
    with pytest.raises(AuthRevoked, match="unauthorized_client"):
        await events(api, google_account)


async def test_call_skewed_clock_blames_no_credential(
    google: GoogleEmulator, google_account: GoogleAccount, api: GoogleApi
) -> None:
    google.fail(
        "token", 400, "invalid_grant",
        message="Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
        "reasonable timeframe. Check your iat and exp values in the JWT claim.",
    )  # fmt: skip
    with pytest.raises(ProviderUnavailable, match="clock"):
        await events(api, google_account)


async def test_call_suspended_user_calendar_403_is_auth_revoked(
    google: GoogleEmulator, google_account: GoogleAccount, api: GoogleApi
) -> None:
    google.users[CAT].suspended = True
    with pytest.raises(AuthRevoked, match="notACalendarUser"):
        await events(api, google_account, CAT)


async def test_call_reads_calendar_timezone_setting(
    google: GoogleEmulator, google_account: GoogleAccount, api: GoogleApi
) -> None:
    async with asyncio.timeout(20):
        assert await calendar_timezone(api, google_account, CAT) == "America/New_York"


def test_read_failure_accepts_any_body() -> None:
    assert read_failure(503, b"", None).transient
    assert read_failure(500, b"\xff<html>", "7").retry_after == 7.0
    forbidden = read_failure(403, b'{"error": {"errors": [{"reason": "forbidden"}]}}', None)
    assert not forbidden.transient
    assert isinstance(forbidden.error("x"), AuthRevoked)
    limited = read_failure(403, b'{"error": {"errors": [{"domain": "usageLimits"}]}}', None)
    assert limited.rate_limited


def test_token_bucket_waits_for_tokens_past_its_burst() -> None:
    now = [0.0]
    bucket = TokenBucket(per_minute=60, burst_s=2, clock=lambda: now[0])  # 1/s, 2 saved up
    assert [bucket.reserve() for _ in range(4)] == [0.0, 0.0, 1.0, 2.0]
    now[0] = 10.0  # refilled, but never past the burst
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 1.0]


async def test_limiter_spreads_one_users_calls_and_keeps_others_free() -> None:
    now = [0.0]
    limits = RateLimits(user_per_minute=600, burst_s=0.1)  # 10/s per user, 1 saved up
    limiter = Limiter(limits, clock=lambda: now[0])
    async with asyncio.timeout(5):
        for _ in range(3):
            await limiter.acquire("key", ANA)
        waited_for_ana = limiter.waited_s
        await limiter.acquire("key", CAT)
    assert waited_for_ana == pytest.approx(0.1 + 0.2)
    assert limiter.waited_s == pytest.approx(waited_for_ana)  # Cat's bucket was full
