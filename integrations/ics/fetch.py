"""Fetch an iCalendar feed safely: SSRF checks, size and time limits, conditional GET.

Every hop (the URL and each redirect) is resolved once; every address must be globally
routable (or allow-listed by the operator); the connection then goes to the checked address,
never to a second DNS answer, with the Host header and TLS SNI/certificate check kept for the
host name. A redirect may not leave https for http. The body is decoded against the byte cap
while it arrives (`decoding`); validators that are not plain visible ASCII are dropped, so
a cursor never holds one that a later request could not send.

Every failure is one of the port's errors, its message cut to 500 characters:
`FetchRefused` (policy, size, time, a malformed URL), `AuthRevoked` (401/403), `RateLimited`
(429), `ProviderUnavailable` (network, 5xx, corrupt data, anything unexpected).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from integrations.ics.addresses import AllowList, address_problem, parse_ip
from integrations.ics.decoding import ACCEPT_ENCODING, BodyDecoder, encoding_of, too_large
from integrations.ics.errors import bounded, clip, unexpected
from integrations.ics.localfile import read_file
from service.domain.port import (
    AuthRevoked,
    ConnectorError,
    FetchRefused,
    ProviderUnavailable,
    RateLimited,
)

Resolver = Callable[[str, int], Awaitable[list[str]]]
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOCATION = "X-Rapport-Location"
MAX_VALIDATOR_CHARS = 512
MAX_RETRY_AFTER_S = 86_400.0


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the system resolver (getaddrinfo), addresses in its order."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """What a feed fetch may do; built by the composition root from settings.

    `ssl_context` replaces the default certificate store (an operator's private CA);
    certificates are always verified against the URL's host name.
    """

    allow_hosts_or_networks: tuple[str, ...] = ()
    max_bytes: int = 10 * 1024 * 1024
    total_timeout_s: float = 30.0
    max_redirects: int = 3
    allow_files: bool = False
    resolver: Resolver = system_resolver
    user_agent: str = "Rapport-ICS/0.1"
    ssl_context: ssl.SSLContext | None = None

    def __post_init__(self) -> None:
        AllowList(self.allow_hosts_or_networks)  # a bad entry fails here, at startup
        if self.max_bytes < 1 or self.total_timeout_s <= 0 or self.max_redirects < 0:
            raise ValueError(
                "FetchPolicy needs max_bytes >= 1, total_timeout_s > 0 and max_redirects >= 0"
            )


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A fetched feed: `body` is None when the server answered 304 Not Modified."""

    body: bytes | None
    etag: str | None = None
    last_modified: str | None = None
    url: str | None = field(default=None, compare=False)


async def fetch_feed(
    url_or_path: str, *, etag: str | None, last_modified: str | None, policy: FetchPolicy
) -> FetchResult:
    """Fetch a feed URL (or a local file when the policy allows) under the SSRF rules."""
    try:
        return await _fetch(
            url_or_path, safe_validator(etag), safe_validator(last_modified), policy
        )
    except ConnectorError as exc:
        raise bounded(exc) from exc.__cause__
    except Exception as exc:
        raise unexpected(exc, "fetching the feed") from exc


def safe_validator(value: str | None) -> str | None:
    """An ETag or Last-Modified value if it is plain visible ASCII of sane length, else None."""
    if not value or len(value) > MAX_VALIDATOR_CHARS or value != value.strip():
        return None
    return value if all(" " <= c <= "~" for c in value) else None


async def _fetch(
    url_or_path: str, etag: str | None, last_modified: str | None, policy: FetchPolicy
) -> FetchResult:
    if "://" not in url_or_path or url_or_path.lower().startswith("file://"):
        if not policy.allow_files:
            raise FetchRefused("local files are not allowed as calendar sources (only http/https)")
        # No not-modified shortcut on the mtime: it is only as fine as the filesystem's clock
        # (a second in the HTTP date), so an edit in the same second would be lost. A local
        # read is cheap; the connector's content hash skips the work when nothing changed.
        path = url_or_path.removeprefix("file://")
        body, stamp = await read_file(path, policy.max_bytes)
        return FetchResult(body=body, last_modified=stamp, url=path)
    scheme, rest = url_or_path.split("://", 1)
    if scheme.lower() in ("webcal", "webcals"):
        # webcal:// is how calendar apps spell a subscription; the feed itself is on https.
        url_or_path = f"https://{rest}"
    try:
        async with asyncio.timeout(policy.total_timeout_s):
            return await _fetch_http(url_or_path, etag, last_modified, policy)
    except TimeoutError as exc:
        raise FetchRefused(
            f"fetching the feed took longer than {policy.total_timeout_s:g} s"
        ) from exc


def _parse_url(text: str) -> httpx.URL:
    try:
        url = httpx.URL(text)
        host = url.raw_host.decode("ascii")  # IDNA-encoded by httpx: what DNS and TLS see
        _ = url.host  # decodes the A-labels: a malformed one ("xn--zz") fails here
        port = url.port
    except (httpx.InvalidURL, ValueError, TypeError) as exc:  # UnicodeError is a ValueError
        raise FetchRefused(clip(f"not a valid URL: {type(exc).__name__}: {exc}")) from exc
    if url.scheme not in _DEFAULT_PORTS:
        raise FetchRefused(clip(f"scheme {url.scheme!r} is not allowed: only http and https"))
    if not host:
        raise FetchRefused("the URL has no host")
    if port is not None and not 1 <= port <= 65535:
        raise FetchRefused(f"port {port} is outside 1-65535")
    return url


def _redirect_target(url: httpx.URL, location: str) -> httpx.URL:
    try:
        joined = str(url.join(location))
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise FetchRefused(
            clip(f"redirect to an invalid URL: {type(exc).__name__}: {exc}")
        ) from exc
    target = _parse_url(joined)
    if url.scheme == "https" and target.scheme == "http":
        raise FetchRefused("a redirect from https to http is refused (it would drop TLS)")
    return target


async def checked_addresses(url: httpx.URL, policy: FetchPolicy, allow: AllowList) -> list[str]:
    """Resolve the URL's host once and refuse it unless every address may be fetched."""
    host = url.raw_host.decode("ascii")
    port = url.port or _DEFAULT_PORTS[url.scheme]
    literal = parse_ip(host)
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = await policy.resolver(host, port)
        except (UnicodeError, ValueError) as exc:  # a name no resolver can take
            raise FetchRefused(clip(f"host {host!r} is not a valid name: {exc}")) from exc
        except OSError as exc:
            raise ProviderUnavailable(clip(f"cannot resolve host {host!r}: {exc}")) from exc
        if not addresses:
            raise ProviderUnavailable(f"host {host!r} has no addresses")
    if literal is None and allow.allows_host(host):
        return addresses
    for text in addresses:
        ip = parse_ip(text)
        if ip is None:
            raise FetchRefused(clip(f"host {host!r} resolved to something not an IP: {text!r}"))
        problem = address_problem(ip)
        # Every answer must pass, not just the first: the next connection could use any of them.
        if problem is not None and not allow.allows_ip(ip):
            raise FetchRefused(clip(f"host {host!r} resolves to {ip}, which is {problem}"))
    return addresses


def _error_for(status: int, response: httpx.Response) -> Exception:
    if status in (401, 403):
        return AuthRevoked(f"the calendar server refused access ({status})")
    if status == 429:
        return RateLimited(
            "the calendar server asks to slow down (429)",
            retry_after=retry_after(response.headers.get("Retry-After")),
        )
    if status >= 500:
        return ProviderUnavailable(f"the calendar server failed ({status})")
    # 404, 410 and other 4xx: permanent for this URL; a person must fix it, retrying will not.
    return FetchRefused(f"the calendar server answered {status} for this URL")


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After of ASCII digits (capped at a day); None for anything else."""
    text = (value or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None  # an HTTP date, or digits of another script ("٣", "²")
    return MAX_RETRY_AFTER_S if len(text) > 6 else min(float(text), MAX_RETRY_AFTER_S)


async def _fetch_http(
    text: str, etag: str | None, last_modified: str | None, policy: FetchPolicy
) -> FetchResult:
    allow = AllowList(policy.allow_hosts_or_networks)
    url = _parse_url(text)
    headers = {
        "User-Agent": policy.user_agent,
        "Accept": "text/calendar, */*;q=0.5",
        "Accept-Encoding": ACCEPT_ENCODING,
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    # trust_env=False: an environment proxy would make its own DNS lookup and undo the checks.
    verify: ssl.SSLContext | bool = policy.ssl_context or True
    async with httpx.AsyncClient(
        trust_env=False,
        follow_redirects=False,
        timeout=policy.total_timeout_s,
        verify=verify,
        event_hooks={"response": [_hide_location]},
    ) as client:
        for _hop in range(policy.max_redirects + 1):
            addresses = await checked_addresses(url, policy, allow)
            result = await _request(client, url, addresses, headers, policy)
            if isinstance(result, FetchResult):
                return result
            url = _redirect_target(url, result)
    raise FetchRefused(f"more than {policy.max_redirects} redirects")


async def _hide_location(response: httpx.Response) -> None:
    """Move Location out of httpx's sight: it parses the next request of every redirect even
    when not following it, and fails on a Location it cannot read (bad IDNA, `data:`) with
    errors of its own. Redirects are ours to check (`_redirect_target`)."""
    if "Location" in response.headers:
        response.headers[_LOCATION] = response.headers.pop("Location")


async def _request(
    client: httpx.AsyncClient,
    url: httpx.URL,
    addresses: list[str],
    headers: dict[str, str],
    policy: FetchPolicy,
) -> FetchResult | str:
    """One GET to the first checked address that answers; a redirect target or the result."""
    host_header = url.netloc.decode("ascii")
    extensions = {"sni_hostname": url.raw_host.decode("ascii")} if url.scheme == "https" else {}
    last_error: httpx.TransportError | None = None
    for address in addresses:
        target = url.copy_with(host=address)
        try:
            async with client.stream(
                "GET", target, headers={**headers, "Host": host_header}, extensions=extensions
            ) as response:
                return await _read_response(response, url, policy)
        except httpx.ConnectError as exc:
            last_error = exc  # try the next checked address (dual-stack hosts)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(clip(f"network error fetching the feed: {exc!r}")) from exc
    raise ProviderUnavailable(
        clip(f"cannot connect to {host_header!r}: {last_error!r}")
    ) from last_error


async def _read_response(
    response: httpx.Response, url: httpx.URL, policy: FetchPolicy
) -> FetchResult | str:
    status = response.status_code
    etag = safe_validator(response.headers.get("ETag"))
    modified = safe_validator(response.headers.get("Last-Modified"))
    if status == 304:
        return FetchResult(body=None, etag=etag, last_modified=modified, url=str(url))
    if status in _REDIRECTS:
        location: str | None = response.headers.get(_LOCATION)
        if not location:
            raise ProviderUnavailable(f"redirect {status} without a Location header")
        return location
    if not 200 <= status < 300:
        raise _error_for(status, response)
    declared = response.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > policy.max_bytes:
        raise too_large(policy.max_bytes)
    coding = encoding_of(response.headers.get_list("Content-Encoding", split_commas=True))
    body = await _read_body(response, BodyDecoder(coding), policy.max_bytes)
    return FetchResult(body=body, etag=etag, last_modified=modified, url=str(url))


async def _read_body(response: httpx.Response, decoder: BodyDecoder, max_bytes: int) -> bytes:
    """The decoded body; raw and decoded sizes both capped, the loop given a turn per block."""
    body = bytearray()
    received = 0
    async for raw in response.aiter_raw():
        received += len(raw)
        if received > max_bytes:
            raise too_large(max_bytes)
        for block in decoder.decode(raw):
            body += block
            if len(body) > max_bytes:
                raise too_large(max_bytes)
            await asyncio.sleep(0)
    decoder.finish()
    return bytes(body)
