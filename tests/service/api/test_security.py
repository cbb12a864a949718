"""Form tokens, the origin check and the fresh-link send limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from starlette.requests import Request

from service.api.security import (
    FORM_LIFETIME,
    SendLimiter,
    check_form_token,
    check_origin,
    form_token,
)
from service.email.addressing import LinkSigner
from service.errors import Forbidden

NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
SIGNER = LinkSigner.ephemeral()


def test_check_form_token_bound_to_link_form_and_time() -> None:
    token = form_token(SIGNER, "link-a", "mute", NOW)
    check_form_token(SIGNER, "link-a", "mute", token, NOW + timedelta(hours=1))
    for link, form, when in [
        ("link-b", "mute", NOW),
        ("link-a", "kinds", NOW),
        ("link-a", "mute", NOW + FORM_LIFETIME + timedelta(seconds=1)),
    ]:
        with pytest.raises(Forbidden):
            check_form_token(SIGNER, link, form, token, when)
    with pytest.raises(Forbidden):
        check_form_token(LinkSigner.ephemeral(), "link-a", "mute", token, NOW)


def _request(origin: str | None) -> Request:
    headers = [] if origin is None else [(b"origin", origin.encode())]
    scope = {
        "type": "http", "method": "POST", "path": "/preferences/x", "headers": headers,
        "scheme": "https", "server": ("rapport.example.com", 443), "query_string": b"",
    }  # fmt: skip
    return Request(scope)


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (None, True),
        ("null", True),
        ("https://rapport.example.com", True),
        ("https://evil.example", False),
        ("http://rapport.example.com", False),
    ],
)
def test_check_origin_same_site_only(origin: str | None, allowed: bool) -> None:
    request = _request(origin)
    if allowed:
        check_origin(request, "https://rapport.example.com/")
    else:
        with pytest.raises(Forbidden):
            check_origin(request, "https://rapport.example.com/")


def test_limit_fresh_links_per_person_per_hour() -> None:
    limiter = SendLimiter(limit=2, window=timedelta(hours=1))
    assert limiter.allow(1, 7, NOW)
    assert limiter.allow(1, 7, NOW + timedelta(minutes=1))
    assert not limiter.allow(1, 7, NOW + timedelta(minutes=2))
    assert limiter.allow(1, 8, NOW + timedelta(minutes=2))
    assert limiter.allow(2, 7, NOW + timedelta(minutes=2))
    assert limiter.allow(1, 7, NOW + timedelta(hours=1, minutes=1))
