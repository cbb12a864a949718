"""What keeps people's pages safe: signed links, form tokens, headers, body limits, the base URL.

- Links: `verify_link` turns a path token into a `LinkClaim` or raises `NotFound` (one plain 404
  for tampered, expired, other-purpose and unknown links alike).
- Forms: a hidden `csrf` field signed over the link token and the form's name, with an expiry;
  no cookie is needed because the page's own link is the secret. A cross-site `Origin` is
  refused as well.
- Every response carries `SECURITY_HEADERS` (CSP, nosniff, no referrer, no framing, no store).
- Request bodies are capped (`BodyLimit`, 413 beyond it).
- `check_base_url` refuses a non-https `RAPPORT_BASE_URL` on anything but a loopback host.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict, deque
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.email.addressing import LinkClaim, LinkPurpose, LinkSigner
from service.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from service.runtime import Runtime

MAX_BODY_BYTES = 16 * 1024
FORM_LIFETIME = timedelta(hours=12)
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS: Mapping[str, str] = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
    "cross-origin-opener-policy": "same-origin",
}
LOOPBACK_NAMES = ("localhost", "localhost.localdomain")


class BaseUrlError(ValueError):
    """`RAPPORT_BASE_URL` cannot carry people's links (RFC 8058 requires https)."""


def check_base_url(url: str) -> None:
    """Refuse a base URL that is not https, unless its host is a loopback address or name."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BaseUrlError(f"RAPPORT_BASE_URL must be an absolute https:// URL, got {url!r}")
    if parts.scheme == "https" or _loopback(parts.hostname):
        return
    raise BaseUrlError(
        f"RAPPORT_BASE_URL must use https:// for a public host (RFC 8058 one-click unsubscribe "
        f"requires it), got {url!r}; plain http is only accepted on a loopback address"
    )


def _loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def verify_link(signer: LinkSigner, purpose: LinkPurpose, token: str, now: datetime) -> LinkClaim:
    """The claim of a valid link for `purpose`; `NotFound` (a plain 404) for anything else."""
    claim = signer.verify(purpose, token, now)
    if claim is None:
        raise NotFound("not found")
    return claim


def form_token(signer: LinkSigner, link_token: str, form: str, now: datetime) -> str:
    """A form's CSRF token: tied to the page's link and the form's name, valid 12 hours."""
    expires = int((now + FORM_LIFETIME).timestamp())
    return f"{expires}.{signer.mac(f'form/{form}/{link_token}/{expires}')}"


def check_form_token(
    signer: LinkSigner, link_token: str, form: str, token: str, now: datetime
) -> None:
    """Raise `Forbidden` unless `token` was made by `form_token` for this link and form."""
    expires, _, tag = token.partition(".")
    if not expires.isdigit() or len(expires) > 12 or not tag:
        raise Forbidden("this form has expired; reload the page and try again")
    if not signer.check(f"form/{form}/{link_token}/{expires}", tag):
        raise Forbidden("this form has expired; reload the page and try again")
    if int(expires) <= now.timestamp():
        raise Forbidden("this form has expired; reload the page and try again")


def check_origin(request: Request, base_url: str) -> None:
    """Refuse a form posted from another site (`Origin` set and not ours)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return
    ours = urlsplit(base_url)
    theirs = urlsplit(origin)
    same = (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc)
    served = (theirs.scheme, theirs.netloc) == (request.url.scheme, request.url.netloc)
    if not (same or served):
        raise Forbidden("this form was sent from another site")


async def read_form(request: Request) -> dict[str, list[str]]:
    """The urlencoded body as name -> values (the body limit applies before this reads it)."""
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    fields: dict[str, list[str]] = defaultdict(list)
    for name, value in parse_qsl(text, keep_blank_values=True, max_num_fields=200):
        fields[name].append(value)
    return dict(fields)


def first(fields: Mapping[str, list[str]], name: str) -> str:
    """A form field's first value ('' when the form has none)."""
    return (fields.get(name) or [""])[0]


async def read_page_form(
    request: Request, rt: Runtime, token: str, form: str | tuple[str, ...]
) -> tuple[str, dict[str, list[str]]]:
    """A form posted back to the page of link `token`: its name and fields, once it is known to
    come from this site with a live CSRF token for that form.

    `form` is the form's name, or the names of the page's forms (the posted `form` field says
    which; another name is `NotFound`).
    """
    check_origin(request, rt.mail.base_url)
    fields = await read_form(request)
    if isinstance(form, str):
        name = form
    else:
        name = first(fields, "form")
        if name not in form:
            raise NotFound("no such form")
    check_form_token(rt.mail.links, token, name, first(fields, "csrf"), rt.now())
    return name, fields


class SecurityHeaders:
    """Adds `SECURITY_HEADERS` to every HTTP response (pages, errors, files, JSON)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.decode("latin-1").lower() not in SECURITY_HEADERS
                ]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(Exception):
    """The request body went past the limit while it was read."""


class BodyLimit:
    """Answers 413 to a request body over `limit` bytes (declared or streamed)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check `Content-Length` first, then count what is streamed."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _too_large(send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracking)
        except BodyTooLarge:
            if not started:
                await _too_large(send)


async def _too_large(send: Send) -> None:
    body = b"Request body too large.\n"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SendLimiter:
    """At most `limit` emails per person within `window` (fresh links: no mail bombing)."""

    def __init__(self, limit: int = 3, window: timedelta = timedelta(hours=1)) -> None:
        self.limit = limit
        self.window = window
        self._sent: dict[tuple[int, int], deque[datetime]] = defaultdict(deque)

    def allow(self, tenant_id: int, person_id: int, now: datetime) -> bool:
        """Record one send and say whether it is allowed."""
        times = self._sent[(tenant_id, person_id)]
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True
