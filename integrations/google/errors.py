"""Google's errors, by kind (status, `domain` and `reason`; never the message's words).

    error                                            becomes                 retried here
    ───────────────────────────────────────────────  ──────────────────────  ─────────────
    429, or 403 domain usageLimits / rate reasons    RateLimited             yes (backoff)
    5xx, a network failure, an unreadable body       ProviderUnavailable     yes (backoff)
    410 (a sync token the calendar dropped)          CursorExpired           no
    401 after google-auth's one token refresh        AuthRevoked             no
    403 forbidden, insufficientPermissions,
        notACalendarUser                             AuthRevoked             no
    token endpoint invalid_grant, unauthorized_client AuthRevoked            no
    token endpoint: our clock is off                 ProviderUnavailable     no
    404                                              GoogleNotFound          no
    other 4xx (400 first of all)                     GoogleBadRequest        no

Messages are Google's own (`error.message`, `error_description`), cut short; never a key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from service.domain.port import (
    AuthRevoked,
    ConnectorError,
    CursorExpired,
    ProviderUnavailable,
    RateLimited,
)

MAX_MESSAGE = 300
RATE_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "dailyLimitExceeded"}
)


class GoogleNotFound(ConnectorError):
    """404: the calendar (or channel, event) does not exist for this user."""


class GoogleBadRequest(ConnectorError):
    """A request Google refuses as it is (400 and other 4xx): never retried."""


@dataclass(frozen=True, slots=True)
class ApiFailure:
    """An HTTP error answer, read defensively (an empty or HTML body is common on 5xx)."""

    status: int
    reasons: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    message: str = ""
    retry_after: float | None = None

    @property
    def rate_limited(self) -> bool:
        """429, or a 403 saying a quota was hit."""
        return self.status == 429 or (
            self.status == 403
            and ("usageLimits" in self.domains or bool(RATE_REASONS & set(self.reasons)))
        )

    @property
    def transient(self) -> bool:
        """Worth trying again after a pause: rate limits and server errors."""
        return self.rate_limited or self.status >= 500

    def error(self, what: str) -> ConnectorError:
        """The port's error for this failure; `what` names the call."""
        said = f"{what}: Google answered {self.status}"
        if self.reasons:
            said += f" ({', '.join(self.reasons[:3])})"
        if self.message:
            said += f": {self.message}"
        said = clip(said)
        if self.rate_limited:
            return RateLimited(said, self.retry_after)
        if self.status >= 500:
            return ProviderUnavailable(said)
        if self.status == 410:
            return CursorExpired(said)
        if self.status in (401, 403):
            return AuthRevoked(said)
        if self.status == 404:
            return GoogleNotFound(said)
        return GoogleBadRequest(said)


def clip(text: str, most: int = MAX_MESSAGE) -> str:
    """One line of at most `most` characters."""
    line = " ".join(text.split())
    return line if len(line) <= most else line[: most - 1] + "…"


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (seconds, decimals allowed; an HTTP date ignored)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(seconds, 0.0) if seconds == seconds else None  # NaN is no answer


def read_failure(status: int, content: bytes, retry_header: str | None) -> ApiFailure:
    """An error response as an ApiFailure; any body (JSON or not) is accepted."""
    reasons: list[str] = []
    domains: list[str] = []
    message = ""
    try:
        body = json.loads(content) if content else None
    except (ValueError, UnicodeDecodeError):
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = str(error.get("message") or "")
        for item in error.get("errors") or []:
            if isinstance(item, dict):
                reasons.append(str(item.get("reason") or ""))
                domains.append(str(item.get("domain") or ""))
    elif isinstance(error, str):  # an OAuth-style body
        reasons.append(error)
    return ApiFailure(
        status,
        tuple(r for r in reasons if r),
        tuple(d for d in domains if d),
        clip(message),
        retry_after(retry_header),
    )


def token_error(error: str, description: str, retryable: bool) -> ConnectorError:
    """The token endpoint's refusal (google-auth's RefreshError) as the port's error.

    `invalid_grant` names one person (deleted, unknown, suspended) or, for the admin, the
    install; `unauthorized_client` means domain-wide delegation is missing or lacks a scope.
    An `invalid_grant` about the JWT's times means this host's clock is wrong: no one's
    credentials are at fault, so it is reported as a transient failure.
    """
    said = clip(f"the token endpoint refused: {error}: {description}".rstrip(": "))
    if retryable:
        return ProviderUnavailable(said)
    if error == "invalid_grant" and "timeframe" in description:
        return ProviderUnavailable(
            clip(f"{said} (check this host's clock: Google refuses assertions from a skewed clock)")
        )
    if error in ("invalid_grant", "unauthorized_client", "access_denied", "invalid_client"):
        return AuthRevoked(said)
    return ProviderUnavailable(said)
