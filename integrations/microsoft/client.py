"""Graph calls: msal for the app's token, httpx for Graph, errors translated at this boundary.

    error                                               becomes                retried here
    ──────────────────────────────────────────────────  ─────────────────────  ──────────────
    429, 503, 504 (in a $batch part too)                RateLimited /          yes: after the
                                                        ProviderUnavailable    full Retry-After
    other 5xx, a network failure, an unreadable body    ProviderUnavailable    yes (backoff)
    410, or code syncStateNotFound / resyncRequired     CursorExpired          no
    401 after one token refresh                         AuthRevoked            no
    token endpoint refusal (AADSTS…)                    AuthRevoked            no
    403 / 404 on a mailbox                              MailboxUnavailable     no (that mailbox)
    other 4xx                                           GraphBadRequest        no

Trust: `trust_context(extra_ca)` is the default store plus `RAPPORT_CA_BUNDLE`'s certificates;
both httpx and msal use it. msal's requests session is given an adapter that always verifies
with that context, because requests lets `REQUESTS_CA_BUNDLE` replace a session's `verify`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import ssl
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import certifi
import httpx
import msal
import requests
import structlog
from requests.adapters import HTTPAdapter

from integrations.google.errors import clip
from integrations.google.ratelimit import TokenBucket
from integrations.microsoft.account import GRAPH_SCOPE, MicrosoftAccount
from service.domain.port import (
    AuthRevoked,
    ConnectorError,
    CursorExpired,
    ProviderUnavailable,
    RateLimited,
)

log = structlog.get_logger(__name__)

Payload = Mapping[str, object]
RESYNC_CODES = frozenset({"syncstatenotfound", "resyncrequired", "syncstateinvalid"})
MAX_BATCH = 20


class MailboxUnavailable(AuthRevoked):
    """403 or 404 on one mailbox (no Exchange Online mailbox, an access policy): that one only."""


class GraphBadRequest(ConnectorError):
    """A request Graph refuses as it is (400 and other 4xx): never retried."""


def trust_context(extra_ca: str | None = None) -> ssl.SSLContext:
    """The default store (the system's, else certifi's) plus the certificates in `extra_ca`."""
    context = ssl.create_default_context()
    if not context.get_ca_certs():
        context.load_verify_locations(cafile=certifi.where())
    if extra_ca:
        context.load_verify_locations(cafile=extra_ca)
    return context


class _TrustAdapter(HTTPAdapter):
    """Verifies with our context whatever `verify` requests merged in from the environment."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        super().__init__()

    def build_connection_pool_key_attributes(  # type: ignore[no-untyped-def]
        self, request, verify, cert=None
    ):
        host, pool = super().build_connection_pool_key_attributes(request, True, cert)
        for key in ("ca_certs", "ca_cert_dir"):
            pool.pop(key, None)
        pool["ssl_context"] = self.context
        pool["cert_reqs"] = "CERT_REQUIRED"
        return host, pool


def msal_session(context: ssl.SSLContext, timeout_s: float) -> requests.Session:
    """The requests session msal uses: our trust, whatever REQUESTS_CA_BUNDLE says."""
    session = requests.Session()
    session.mount("https://", _TrustAdapter(context))
    session.request = _with_timeout(session.request, timeout_s)  # type: ignore[method-assign]
    return session


def _with_timeout(request: Any, timeout_s: float) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", timeout_s)
        return request(*args, **kwargs)

    return call


def retry_after_s(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from Retry-After: decimal seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)
    return max(seconds, 0.0) if seconds == seconds else None


@dataclass(frozen=True, slots=True)
class GraphFailure:
    """A Graph error answer read defensively (an empty or HTML body is common on 5xx)."""

    status: int
    code: str = ""
    message: str = ""
    retry_after: float | None = None

    @property
    def transient(self) -> bool:
        """Worth trying again after a pause."""
        return self.status == 429 or self.status >= 500

    def error(self, what: str) -> ConnectorError:
        """The port's error for this failure; `what` names the call."""
        said = f"{what}: Graph answered {self.status}"
        if self.code:
            said += f" {self.code}"
        if self.message:
            said += f": {self.message}"
        said = clip(said)
        if self.status == 410 or self.code.lower() in RESYNC_CODES:
            return CursorExpired(said)
        if self.status == 429:
            return RateLimited(said, self.retry_after)
        if self.status >= 500:
            return ProviderUnavailable(said)
        if self.status == 401:
            return AuthRevoked(said)
        if self.status in (403, 404):
            return MailboxUnavailable(said)
        return GraphBadRequest(said)


def read_failure(status: int, body: object, retry_header: str | None) -> GraphFailure:
    """An error answer (a parsed JSON body, bytes, or nothing) as a GraphFailure."""
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body) if body else None
        except (ValueError, UnicodeDecodeError):
            body = None
    error = body.get("error") if isinstance(body, Mapping) else None
    code = message = ""
    if isinstance(error, Mapping):
        code = str(error.get("code") or "")
        message = str(error.get("message") or "")
    return GraphFailure(status, code, clip(message), retry_after_s(retry_header))


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Timeouts, retries, concurrency and budgets (passed in: integrations never read settings)."""

    timeout_s: float = 30.0
    max_attempts: int = 6
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 60.0
    min_retry_after_s: float = 1.0  # Graph sends 0.249 or 1 at times: never hammer it
    mailbox_concurrency: int = 4  # Outlook's concurrent-request limit per mailbox
    mailbox_per_10min: float = 9_000.0  # 90 % of 10,000 per app and mailbox
    tenant_per_minute: float = 6_000.0  # the per-tenant request budget
    extra_ca: str | None = None  # RAPPORT_CA_BUNDLE


@dataclass(slots=True)
class Response:
    """A successful Graph answer: status, headers (lower-case names) and the JSON body."""

    status: int
    headers: Mapping[str, str]
    body: Payload


@dataclass(frozen=True, slots=True)
class Request:
    """One Graph request (a relative path under the Graph URL, or an absolute link)."""

    url: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Payload | None = None


class GraphClient:
    """msal tokens per install, httpx for Graph; one per process (it holds the limits)."""

    def __init__(self, config: ClientConfig | None = None) -> None:
        """A client; `close()` it."""
        self.config = config or ClientConfig()
        self.context = trust_context(self.config.extra_ca)
        self.http = httpx.AsyncClient(
            verify=self.context, timeout=httpx.Timeout(self.config.timeout_s, connect=10.0),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )  # fmt: skip
        self.session = msal_session(self.context, self.config.timeout_s)
        self.apps: OrderedDict[str, Any] = OrderedDict()
        self.mailboxes: OrderedDict[str, tuple[asyncio.Semaphore, TokenBucket]] = OrderedDict()
        self.tenants: dict[str, TokenBucket] = {}
        self.calls = 0
        self.token_lock = asyncio.Lock()

    async def aclose(self) -> None:
        """Close the connections."""
        await self.http.aclose()
        self.session.close()

    # -- tokens -------------------------------------------------------------------------------

    def _app(self, account: MicrosoftAccount) -> Any:
        key = account.fingerprint() + hashlib.sha256(account.dump().encode()).hexdigest()[:8]
        app = self.apps.get(key)
        if app is None:
            credential: object = account.client_secret
            if account.certificate_pem:
                credential = certificate_credential(account.certificate_pem)
            app = msal.ConfidentialClientApplication(
                account.client_id,
                client_credential=credential,
                authority=account.authority,
                validate_authority=not account.custom_authority,
                instance_discovery=False if account.custom_authority else None,
                http_client=self.session,
                token_cache=msal.TokenCache(),
            )
            self.apps[key] = app
            if len(self.apps) > 256:
                self.apps.popitem(last=False)
        return app

    async def token(self, account: MicrosoftAccount, *, fresh: bool = False) -> str:
        """An app token for Graph (msal's cache first; `fresh` drops the cached one)."""
        async with self.token_lock:
            app = self._app(account)
            if fresh:
                cache = app.token_cache
                for item in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
                    cache.remove_at(item)
            try:
                result = await asyncio.to_thread(app.acquire_token_for_client, [GRAPH_SCOPE])
            except (requests.RequestException, ValueError) as exc:
                raise ProviderUnavailable(clip(f"the token endpoint failed: {exc}")) from None
        token = result.get("access_token") if isinstance(result, dict) else None
        if token:
            return str(token)
        error = str(result.get("error") or "unknown") if isinstance(result, dict) else "unknown"
        description = str(result.get("error_description") or "") if isinstance(result, dict) else ""
        first_line = description.splitlines()[0] if description else ""
        said = clip(f"the identity platform refused: {error}: {first_line}")
        if error in ("temporarily_unavailable", "server_error"):
            raise ProviderUnavailable(said)
        raise AuthRevoked(said)

    # -- limits -------------------------------------------------------------------------------

    def _mailbox(self, key: str) -> tuple[asyncio.Semaphore, TokenBucket]:
        found = self.mailboxes.get(key)
        if found is None:
            found = (
                asyncio.Semaphore(self.config.mailbox_concurrency),
                TokenBucket(self.config.mailbox_per_10min / 10.0),
            )
            self.mailboxes[key] = found
            if len(self.mailboxes) > 50_000:
                self.mailboxes.popitem(last=False)
        else:
            self.mailboxes.move_to_end(key)
        return found

    async def _budget(self, account: MicrosoftAccount, mailbox: str | None, cost: int = 1) -> None:
        tenant = self.tenants.get(account.fingerprint())
        if tenant is None:
            tenant = self.tenants[account.fingerprint()] = TokenBucket(
                self.config.tenant_per_minute
            )
        waits = [tenant.reserve() for _ in range(cost)]
        if mailbox is not None:
            bucket = self._mailbox(mailbox)[1]
            waits.append(bucket.reserve())
        wait = max(waits)
        if wait > 0:
            await asyncio.sleep(wait)

    def _pause(self, failure: GraphFailure, attempt: int) -> float:
        if failure.retry_after is not None:
            return max(failure.retry_after, self.config.min_retry_after_s)
        cap = min(self.config.backoff_cap_s, self.config.backoff_base_s * 2**attempt)
        return random.uniform(
            self.config.min_retry_after_s, max(cap, self.config.min_retry_after_s)
        )

    # -- calls --------------------------------------------------------------------------------

    def url(self, account: MicrosoftAccount, path: str) -> str:
        """An absolute Graph URL for a relative path (links Graph returned are kept)."""
        if path.startswith("https://"):
            return path
        return f"{account.graph_url}/{path.lstrip('/')}"

    async def call(
        self, account: MicrosoftAccount, request: Request, *, mailbox: str | None = None,
        what: str = "Graph",
    ) -> Response:  # fmt: skip
        """One request, retried while transient (the full Retry-After), one refresh on 401."""
        refreshed = False
        for attempt in range(self.config.max_attempts):
            await self._budget(account, mailbox)
            token = await self.token(account)
            headers = {"Authorization": f"Bearer {token}", **request.headers}
            try:
                if mailbox is not None:
                    async with self._mailbox(mailbox)[0]:
                        answer = await self._send(account, request, headers)
                else:
                    answer = await self._send(account, request, headers)
            except httpx.HTTPError as exc:
                failure = GraphFailure(0, type(exc).__name__, clip(str(exc)))
                if attempt + 1 < self.config.max_attempts:
                    await asyncio.sleep(self._pause(failure, attempt))
                    continue
                raise ProviderUnavailable(clip(f"{what}: {type(exc).__name__}: {exc}")) from None
            if answer.status_code < 400:
                return Response(answer.status_code, dict(answer.headers), _json(answer))
            failure = read_failure(
                answer.status_code, answer.content, answer.headers.get("retry-after")
            )
            if failure.status == 401 and not refreshed:
                refreshed = True
                await self.token(account, fresh=True)
                continue
            if failure.transient and attempt + 1 < self.config.max_attempts:
                pause = self._pause(failure, attempt)
                log.info("microsoft.retry", status=failure.status, pause_s=round(pause, 2))
                await asyncio.sleep(pause)
                continue
            raise failure.error(what)
        raise ProviderUnavailable(f"{what}: no answer after {self.config.max_attempts} attempts")

    async def _send(
        self, account: MicrosoftAccount, request: Request, headers: Mapping[str, str]
    ) -> httpx.Response:
        self.calls += 1
        return await self.http.request(
            request.method, self.url(account, request.url), headers=headers,
            json=dict(request.body) if request.body is not None else None,
        )  # fmt: skip

    async def batch(
        self, account: MicrosoftAccount, requests_: Sequence[Request]
    ) -> list[Response | ConnectorError]:
        """Run requests through `$batch` (≤ 20 a batch); a throttled part is retried alone
        after its full Retry-After, the others kept. One answer (or error) per request."""
        results: list[Response | ConnectorError | None] = [None] * len(requests_)
        pending = list(range(len(requests_)))
        for attempt in range(self.config.max_attempts):
            if not pending:
                break
            pause = 0.0
            again: list[int] = []
            for start in range(0, len(pending), MAX_BATCH):
                chunk = pending[start : start + MAX_BATCH]
                body = {"requests": [_part(str(i), requests_[i], account) for i in chunk]}
                await self._budget(account, None, cost=len(chunk))
                answer = await self.call(
                    account, Request("$batch", "POST", {}, body), what="$batch"
                )
                parts = answer.body.get("responses")
                by_id = (
                    {str(p.get("id")): p for p in parts if isinstance(p, Mapping)}
                    if isinstance(parts, list)
                    else {}
                )
                for i in chunk:
                    part = by_id.get(str(i))
                    if part is None:
                        results[i] = ProviderUnavailable(
                            "$batch: a part came back without an answer"
                        )
                        continue
                    status = int(part.get("status") or 0)
                    headers = {
                        str(k).lower(): str(v) for k, v in (part.get("headers") or {}).items()
                    }
                    content = part.get("body")
                    if status < 400:
                        results[i] = Response(
                            status, headers, content if isinstance(content, Mapping) else {}
                        )
                        continue
                    failure = read_failure(status, content, headers.get("retry-after"))
                    if failure.transient and attempt + 1 < self.config.max_attempts:
                        again.append(i)
                        pause = max(pause, self._pause(failure, attempt))
                    else:
                        results[i] = failure.error("$batch part")
            pending = again
            if pending:
                log.info("microsoft.batch_retry", parts=len(pending), pause_s=round(pause, 2))
                await asyncio.sleep(pause)
        return [
            r if r is not None else ProviderUnavailable("$batch: retries exhausted")
            for r in results
        ]


def _part(part_id: str, request: Request, account: MicrosoftAccount) -> dict[str, object]:
    url = request.url
    if url.startswith(account.graph_url):
        url = url[len(account.graph_url) :]
    part: dict[str, object] = {
        "id": part_id,
        "method": request.method,
        "url": "/" + url.lstrip("/"),
    }
    if request.headers:
        part["headers"] = dict(request.headers)
    if request.body is not None:
        part["body"] = dict(request.body)
        part.setdefault("headers", {"Content-Type": "application/json"})
    return part


def _json(answer: httpx.Response) -> Payload:
    if not answer.content:
        return {}
    try:
        body = answer.json()
    except ValueError:
        raise ProviderUnavailable(
            f"Graph answered {answer.status_code} with a body that is not JSON"
        ) from None
    return body if isinstance(body, Mapping) else {}


def certificate_credential(pem: str) -> dict[str, str]:
    """msal's certificate credential from one PEM holding the private key and the certificate
    (msal signs the client assertion and names the certificate by its SHA-256 thumbprint)."""
    begin = pem.find("-----BEGIN CERTIFICATE-----")
    end = pem.find("-----END CERTIFICATE-----")
    key_begin = pem.find("-----BEGIN ")
    while key_begin >= 0 and "PRIVATE KEY-----" not in pem[key_begin : key_begin + 40]:
        key_begin = pem.find("-----BEGIN ", key_begin + 1)
    if begin < 0 or end < 0 or key_begin < 0:
        raise AuthRevoked("the certificate file needs the certificate and its private key (PEM)")
    key_end = pem.find("-----", pem.find("-----END ", key_begin) + 9)
    return {
        "private_key": pem[key_begin : key_end + 5],
        "public_certificate": pem[begin : end + len("-----END CERTIFICATE-----")],
    }
