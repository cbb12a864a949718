"""The Google API calls: google-api-python-client and google-auth, off the event loop.

Every call goes through `GoogleApi.execute`: it waits for the rate limiter, runs the blocking
request in the client's own thread pool (each thread keeps its own `httplib2.Http`, which is not
thread-safe), retries what is transient with truncated exponential backoff and full jitter, and
translates every failure into the port's errors at this boundary (`errors.py`).

Credentials: `service_account.Credentials.from_service_account_info(key, scopes)` built once per
key, then `with_subject(person)` per impersonated user, kept (with their access token, an hour)
in a bounded cache, so a steady round costs one API request per calendar and no token request.
`AuthorizedHttp(max_refresh_attempts=1)` refreshes the token once on a 401, then gives up.
Services are built once per endpoint from the static discovery documents; `api_endpoint`
points them at `GoogleAccount.api_url` when one is set.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httplib2  # type: ignore[import-untyped]  # no stubs published
import structlog
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2 import service_account
from google_auth_httplib2 import AuthorizedHttp  # type: ignore[import-untyped]  # untyped
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from integrations.google.account import CALENDAR_SCOPES, DIRECTORY_SCOPES, GoogleAccount
from integrations.google.errors import ApiFailure, clip, read_failure, token_error
from integrations.google.ratelimit import Limiter, RateLimits
from service.domain.port import ConnectorError, ProviderUnavailable

log = structlog.get_logger(__name__)

Payload = Mapping[str, object]
# A request as googleapiclient makes it from a built service (`HttpRequest`, untyped there).
RequestFactory = Callable[[Any], Any]
MAX_CREDENTIALS = 20_000


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """How calls are made: timeouts, retries, threads and rate limits (passed in)."""

    timeout_s: float = 30.0
    max_attempts: int = 5
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 32.0
    threads: int = 8
    limits: RateLimits = field(default_factory=RateLimits)
    # Requests a Cloud project may make in a UTC day before optional polling stops (90 % of
    # the Calendar API's 1,000,000/day threshold); counted in the database by the workers.
    daily_request_limit: int = 900_000
    # How often a connection Google refused is tried again with one cheap call.
    reprobe_interval_s: float = 3600.0


class _Retry(Exception):
    """A transient failure inside the thread, handed back to the retry loop."""

    def __init__(self, error: ConnectorError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


class GoogleApi:
    """Calendar v3 and Directory v1 calls for any install, shared by every calendar sync."""

    def __init__(self, config: ClientConfig | None = None) -> None:
        """A client with its thread pool (started lazily) and rate limiter."""
        self.config = config or ClientConfig()
        self.limiter = Limiter(self.config.limits)
        self.calls = 0  # HTTP attempts made through `execute` (token requests not counted)
        self._uncounted: dict[str, int] = {}  # attempts per Cloud project not yet recorded
        self._pool = ThreadPoolExecutor(self.config.threads, thread_name_prefix="google-api")
        self._local = threading.local()
        self._lock = threading.Lock()
        self._https: list[httplib2.Http] = []
        self._services: dict[tuple[str, str | None], Any] = {}
        self._keys: dict[str, service_account.Credentials] = {}
        self._credentials: OrderedDict[tuple[str, str, str], service_account.Credentials] = (
            OrderedDict()
        )

    def close(self) -> None:
        """Stop the thread pool (calls in flight finish) and close every connection."""
        self._pool.shutdown(wait=True)
        with self._lock:
            https, self._https = self._https, []
        for http in https:
            http.close()

    def take_counts(self) -> dict[str, int]:
        """The attempts made per Cloud project since the last call (the caller records them)."""
        counts, self._uncounted = self._uncounted, {}
        return counts

    # -- the one way a call is made -------------------------------------------------------

    async def execute(
        self,
        account: GoogleAccount,
        subject: str,
        request: RequestFactory,
        what: str,
        *,
        directory: bool = False,
    ) -> Payload:
        """Run one API request as `subject`; its JSON answer, or a ConnectorError."""
        loop = asyncio.get_running_loop()
        attempts = max(self.config.max_attempts, 1)
        for attempt in range(attempts):
            await self.limiter.acquire(account.key_id, subject, directory=directory)
            self.calls += 1
            self._uncounted[account.project] = self._uncounted.get(account.project, 0) + 1
            try:
                return await loop.run_in_executor(
                    self._pool, self._run, account, subject, request, what, directory
                )
            except _Retry as retry:
                if attempt + 1 >= attempts:
                    raise retry.error from None
                pause = self._pause(attempt, retry.retry_after)
                log.info(
                    "google.retry", what=what, attempt=attempt + 1, pause_s=round(pause, 3),
                    error=type(retry.error).__name__,
                )  # fmt: skip
                await asyncio.sleep(pause)
        raise ProviderUnavailable(f"{what}: no attempt made")  # attempts >= 1: unreachable

    def _pause(self, attempt: int, retry_after: float | None) -> float:
        """Full jitter within the truncated exponential bound; never less than Retry-After."""
        bound = min(self.config.backoff_cap_s, self.config.backoff_base_s * 2**attempt)
        pause = random.uniform(0, bound)  # jitter, not a secret
        return max(pause, min(retry_after or 0.0, self.config.backoff_cap_s))

    # -- inside a pool thread ---------------------------------------------------------------

    def _run(
        self,
        account: GoogleAccount,
        subject: str,
        request: RequestFactory,
        what: str,
        directory: bool,
    ) -> Payload:
        scopes = DIRECTORY_SCOPES if directory else CALENDAR_SCOPES
        http = AuthorizedHttp(
            self._user_credentials(account, subject, scopes),
            http=self._http(),
            max_refresh_attempts=1,
        )
        service = self._service(account, directory)
        try:
            answer = request(service).execute(http=http, num_retries=0)
        except HttpError as exc:
            failure = read_failure(
                int(exc.resp.status), bytes(exc.content or b""), exc.resp.get("retry-after")
            )
            self._raise(failure, what)
        except RefreshError as exc:
            error = _refresh_error(exc)
            if getattr(exc, "retryable", False):
                raise _Retry(error) from None
            raise error from None
        except (TransportError, httplib2.HttpLib2Error, OSError) as exc:
            raise _Retry(
                ProviderUnavailable(clip(f"{what}: {type(exc).__name__}: {exc}"))
            ) from None
        except ValueError as exc:  # a truncated or non-JSON 200 body
            raise _Retry(ProviderUnavailable(clip(f"{what}: unreadable answer: {exc}"))) from None
        if answer is None:  # 204 No Content (channels.stop)
            return {}
        if not isinstance(answer, Mapping):
            raise _Retry(ProviderUnavailable(f"{what}: the answer is not a JSON object"))
        return answer

    @staticmethod
    def _raise(failure: ApiFailure, what: str) -> None:
        if failure.transient:
            raise _Retry(failure.error(what), failure.retry_after)
        raise failure.error(what)

    def _http(self) -> httplib2.Http:
        http = getattr(self._local, "http", None)
        if http is None:
            http = self._local.http = httplib2.Http(timeout=self.config.timeout_s)
            with self._lock:
                self._https.append(http)
        return http

    def _service(self, account: GoogleAccount, directory: bool) -> Any:
        endpoint = account.directory_endpoint() if directory else account.calendar_endpoint()
        key = ("directory" if directory else "calendar", endpoint)
        with self._lock:
            service = self._services.get(key)
            if service is None:
                name, version = ("admin", "directory_v1") if directory else ("calendar", "v3")
                options = {"api_endpoint": endpoint} if endpoint else None
                service = build(
                    name,
                    version,
                    static_discovery=True,
                    client_options=options,
                    http=httplib2.Http(timeout=self.config.timeout_s),
                    cache_discovery=False,
                )
                self._services[key] = service
            return service

    def _user_credentials(
        self, account: GoogleAccount, subject: str, scopes: tuple[str, ...]
    ) -> service_account.Credentials:
        key = (account.key_id, subject, " ".join(scopes))
        with self._lock:
            found = self._credentials.get(key)
            if found is not None:
                self._credentials.move_to_end(key)
                return found
            base = self._keys.get(account.key_id)
        if base is None:
            # The key is parsed from the in-memory dict: it is never written anywhere.
            base = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]  # google-auth is untyped here
                dict(account.key)
            )
        made: service_account.Credentials = base.with_scopes(list(scopes)).with_subject(subject)
        with self._lock:
            self._keys[account.key_id] = base
            self._credentials[key] = made
            if len(self._credentials) > MAX_CREDENTIALS:
                self._credentials.popitem(last=False)
        return made

    def forget(self, account: GoogleAccount, subject: str) -> None:
        """Drop a user's cached credentials (their token is refused; try a fresh one next)."""
        with self._lock:
            for key in [k for k in self._credentials if k[0] == account.key_id and k[1] == subject]:
                del self._credentials[key]


def _refresh_error(exc: RefreshError) -> ConnectorError:
    """google-auth's RefreshError (args: message, response data) as the port's error."""
    data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], Mapping) else {}
    error = str(data.get("error") or "")
    description = str(data.get("error_description") or "")
    if not error:
        error = str(exc.args[0]) if exc.args else type(exc).__name__
    return token_error(error, description, bool(getattr(exc, "retryable", False)))


# -- the calls Rapport makes ---------------------------------------------------------------


async def list_events(
    api: GoogleApi, account: GoogleAccount, subject: str, params: Mapping[str, object]
) -> Payload:
    """events.list on the subject's primary calendar (the caller chooses the parameters)."""
    return await api.execute(
        account, subject, lambda s: s.events().list(calendarId="primary", **params), "events.list"
    )


async def get_event(
    api: GoogleApi, account: GoogleAccount, subject: str, event_id: str
) -> Payload | None:
    """events.get (deleted events too); None when Google has no such event."""
    from integrations.google.errors import GoogleNotFound

    try:
        return await api.execute(
            account,
            subject,
            lambda s: s.events().get(calendarId="primary", eventId=event_id),
            "events.get",
        )
    except GoogleNotFound:
        return None


async def calendar_timezone(api: GoogleApi, account: GoogleAccount, subject: str) -> str | None:
    """The user's Calendar time zone setting (settings.get timezone)."""
    answer = await api.execute(
        account, subject, lambda s: s.settings().get(setting="timezone"), "settings.get"
    )
    value = answer.get("value")
    return value if isinstance(value, str) and value else None


async def watch_events(
    api: GoogleApi, account: GoogleAccount, subject: str, channel: Mapping[str, object]
) -> Payload:
    """events.watch on the subject's primary calendar: a web_hook channel."""
    return await api.execute(
        account,
        subject,
        lambda s: s.events().watch(calendarId="primary", body=dict(channel)),
        "events.watch",
    )


async def stop_channel(
    api: GoogleApi, account: GoogleAccount, subject: str, channel_id: str, resource_id: str
) -> bool:
    """channels.stop; False when Google no longer knows the channel (already gone: done)."""
    from integrations.google.errors import GoogleNotFound

    try:
        await api.execute(
            account,
            subject,
            lambda s: s.channels().stop(body={"id": channel_id, "resourceId": resource_id}),
            "channels.stop",
        )
    except GoogleNotFound:
        return False
    return True
