"""fetch_feed against a real loopback server, with simulated DNS for the SSRF rules."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import pytest

from integrations.ics import FetchPolicy, fetch_feed
from service.domain.port import AuthRevoked, FetchRefused, ProviderUnavailable, RateLimited
from tests.integrations.ics.feedserver import LAST_MODIFIED, Feed, RunningServer
from tests.integrations.ics.icsdata import calendar, vevent
from tests.integrations.ics.tlscerts import TlsFiles

BODY = calendar(vevent("DTSTART:20240301T120000Z"))
LOOPBACK = ("127.0.0.0/8",)


class FakeDns:
    """A resolver answering from a table, counting lookups (DNS is simulated, not mocked code)."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host not in self.table:
            raise OSError(f"no such host {host}")
        return self.table[host]


def policy(**changes: object) -> FetchPolicy:
    base: dict[str, object] = {"allow_hosts_or_networks": LOOPBACK, "total_timeout_s": 10.0}
    base.update(changes)
    return FetchPolicy(**base)  # type: ignore[arg-type]  # test helper: keywords checked at runtime


@pytest.fixture(autouse=True)
def feeds(feed_server: RunningServer) -> None:
    feed_server.app.feeds["plain"] = Feed(BODY)
    feed_server.app.feeds["etag"] = Feed(BODY, etag='"v1"')
    feed_server.app.feeds["dated"] = Feed(BODY, last_modified=LAST_MODIFIED)


async def test_fetch_feed_plain_body(feed_server: RunningServer) -> None:
    result = await fetch_feed(
        f"{feed_server.base}/feeds/plain", etag=None, last_modified=None, policy=policy()
    )
    assert result.body == BODY
    assert result.etag is None


async def test_fetch_feed_etag_not_modified(feed_server: RunningServer) -> None:
    url = f"{feed_server.base}/feeds/etag"
    first = await fetch_feed(url, etag=None, last_modified=None, policy=policy())
    assert first.body == BODY
    assert first.etag == '"v1"'
    second = await fetch_feed(url, etag=first.etag, last_modified=None, policy=policy())
    assert second.body is None
    assert second.etag == '"v1"'


async def test_fetch_feed_last_modified_not_modified(feed_server: RunningServer) -> None:
    url = f"{feed_server.base}/feeds/dated"
    first = await fetch_feed(url, etag=None, last_modified=None, policy=policy())
    assert first.last_modified == LAST_MODIFIED
    second = await fetch_feed(url, etag=None, last_modified=LAST_MODIFIED, policy=policy())
    assert second.body is None
    sent = [h for p, h in feed_server.app.requests if p == "/feeds/dated"][-1]
    assert sent["if-modified-since"] == LAST_MODIFIED


async def test_fetch_feed_body_cap_content_length(feed_server: RunningServer) -> None:
    with pytest.raises(FetchRefused, match="larger than 1024 bytes"):
        await fetch_feed(
            f"{feed_server.base}/big", etag=None, last_modified=None, policy=policy(max_bytes=1024)
        )


async def test_fetch_feed_body_cap_streamed(feed_server: RunningServer) -> None:
    with pytest.raises(FetchRefused, match="larger than 1024 bytes"):
        await fetch_feed(
            f"{feed_server.base}/big-chunked",
            etag=None,
            last_modified=None,
            policy=policy(max_bytes=1024),
        )


async def test_fetch_feed_redirects_followed_up_to_limit(feed_server: RunningServer) -> None:
    # /redirect/2 -> /redirect/1 -> /redirect/0 -> /feeds/plain: three redirects.
    result = await fetch_feed(
        f"{feed_server.base}/redirect/2", etag=None, last_modified=None, policy=policy()
    )
    assert result.body == BODY


async def test_fetch_feed_redirect_limit_refused(feed_server: RunningServer) -> None:
    with pytest.raises(FetchRefused, match="more than 3 redirects"):
        await fetch_feed(
            f"{feed_server.base}/redirect/3", etag=None, last_modified=None, policy=policy()
        )


@pytest.mark.parametrize(
    ("target", "dns"),
    [
        ("http://internal.example/feed.ics", {"internal.example": ["10.0.0.1"]}),
        ("http://169.254.169.254/latest/meta-data/", {}),
        ("http://[::ffff:127.0.0.1]/x", {}),
    ],
)
async def test_fetch_feed_redirect_to_private_address_refused(
    feed_server: RunningServer, target: str, dns: dict[str, list[str]]
) -> None:
    url = f"{feed_server.base}/to?url={target}"
    with pytest.raises(FetchRefused, match="which is"):
        await fetch_feed(url, etag=None, last_modified=None, policy=policy(resolver=FakeDns(dns)))


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "198.18.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "::",
        "ff02::1",
        "2002:7f00:1::1",
        "64:ff9b::a00:1",
        "::127.0.0.1",
    ],
)
async def test_fetch_feed_forbidden_address_refused(address: str) -> None:
    dns = FakeDns({"calendar.example.com": [address]})
    with pytest.raises(FetchRefused, match=r"calendar\.example\.com.*resolves to"):
        await fetch_feed(
            "https://calendar.example.com/feed.ics",
            etag=None,
            last_modified=None,
            policy=FetchPolicy(resolver=dns),
        )


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/x", "http://[::1]/x", "http://169.254.169.254/", "http://10.1.2.3/"]
)
async def test_fetch_feed_forbidden_ip_literal_refused(url: str) -> None:
    with pytest.raises(FetchRefused, match="which is"):
        await fetch_feed(url, etag=None, last_modified=None, policy=FetchPolicy())


async def test_fetch_feed_public_then_private_answer_refused() -> None:
    dns = FakeDns({"mixed.example.com": ["93.184.216.34", "10.0.0.1"]})
    with pytest.raises(FetchRefused, match=r"10\.0\.0\.1"):
        await fetch_feed(
            "https://mixed.example.com/feed.ics",
            etag=None,
            last_modified=None,
            policy=FetchPolicy(resolver=dns),
        )


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/feed.ics",
        "gopher://example.com/",
        "file:///etc/passwd",
        "/etc/passwd",
        "webcal-not-http://example.com/x",
    ],
)
async def test_fetch_feed_non_http_scheme_refused(url: str) -> None:
    with pytest.raises(FetchRefused, match=r"scheme|local files"):
        await fetch_feed(url, etag=None, last_modified=None, policy=FetchPolicy())


async def test_fetch_feed_timeout_enforced(feed_server: RunningServer) -> None:
    with pytest.raises(FetchRefused, match=r"longer than 0\.5 s"):
        await fetch_feed(
            f"{feed_server.base}/trickle",
            etag=None,
            last_modified=None,
            policy=policy(total_timeout_s=0.5),
        )


async def test_fetch_feed_connects_to_checked_address_with_host_header(
    feed_server: RunningServer,
) -> None:
    dns = FakeDns({"calendar.test": ["127.0.0.1"]})
    url = f"http://calendar.test:{feed_server.port}/host"
    result = await fetch_feed(url, etag=None, last_modified=None, policy=policy(resolver=dns))
    assert result.body == f"calendar.test:{feed_server.port}".encode()
    assert dns.calls == ["calendar.test"]  # resolved once, never again for the connection


async def test_fetch_feed_allow_listed_host_name(feed_server: RunningServer) -> None:
    dns = FakeDns({"intranet.corp": ["127.0.0.1"]})
    url = f"http://intranet.corp:{feed_server.port}/feeds/plain"
    result = await fetch_feed(
        url,
        etag=None,
        last_modified=None,
        policy=FetchPolicy(allow_hosts_or_networks=("intranet.corp",), resolver=dns),
    )
    assert result.body == BODY


async def test_fetch_feed_loopback_refused_without_allow_list(feed_server: RunningServer) -> None:
    with pytest.raises(FetchRefused, match="loopback"):
        await fetch_feed(
            f"{feed_server.base}/feeds/plain", etag=None, last_modified=None, policy=FetchPolicy()
        )


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (401, AuthRevoked),
        (403, AuthRevoked),
        (429, RateLimited),
        (500, ProviderUnavailable),
        (503, ProviderUnavailable),
        (404, FetchRefused),
        (410, FetchRefused),
    ],
)
async def test_fetch_feed_http_errors_mapped(
    feed_server: RunningServer, code: int, error: type[Exception]
) -> None:
    with pytest.raises(error, match=str(code)) as caught:
        await fetch_feed(
            f"{feed_server.base}/status/{code}", etag=None, last_modified=None, policy=policy()
        )
    assert caught.value.__cause__ is None or isinstance(caught.value.__cause__, Exception)
    if isinstance(caught.value, RateLimited):
        assert caught.value.retry_after == 7


async def test_fetch_feed_unresolvable_host_unavailable() -> None:
    with pytest.raises(ProviderUnavailable, match="cannot resolve"):
        await fetch_feed(
            "https://nowhere.example/feed.ics",
            etag=None,
            last_modified=None,
            policy=FetchPolicy(resolver=FakeDns({})),
        )


async def test_fetch_feed_connection_refused_unavailable() -> None:
    # A port that was just free: bound, then closed, so nothing listens on it.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ProviderUnavailable) as caught:
        await fetch_feed(
            f"http://127.0.0.1:{port}/feed.ics", etag=None, last_modified=None, policy=policy()
        )
    assert caught.value.__cause__ is not None


async def test_fetch_feed_local_file_when_allowed(tmp_path: Path) -> None:
    path = tmp_path / "cal.ics"
    path.write_bytes(BODY)
    result = await fetch_feed(
        str(path), etag=None, last_modified=None, policy=FetchPolicy(allow_files=True)
    )
    assert result.body == BODY
    again = await fetch_feed(
        str(path),
        etag=None,
        last_modified=result.last_modified,
        policy=FetchPolicy(allow_files=True),
    )
    # Local files are always read: the connector's content hash decides "unchanged".
    assert again.body == BODY


async def test_fetch_feed_local_file_edit_in_same_second_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "cal.ics"
    path.write_bytes(BODY)
    first = await fetch_feed(
        str(path), etag=None, last_modified=None, policy=FetchPolicy(allow_files=True)
    )
    edited = BODY.replace(b"END:VCALENDAR", b"X-EDITED:1\r\nEND:VCALENDAR")
    path.write_bytes(edited)
    second = await fetch_feed(
        str(path),
        etag=None,
        last_modified=first.last_modified,
        policy=FetchPolicy(allow_files=True),
    )
    assert second.body == edited


async def test_fetch_feed_local_file_over_cap_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.ics"
    path.write_bytes(b"x" * 100)
    with pytest.raises(FetchRefused, match="larger than 10 bytes"):
        await fetch_feed(
            str(path),
            etag=None,
            last_modified=None,
            policy=FetchPolicy(allow_files=True, max_bytes=10),
        )


async def test_fetch_feed_https_to_checked_ip_verifies_host_name(
    tls_server: RunningServer, tls_files: TlsFiles
) -> None:
    context = ssl.create_default_context(cafile=str(tls_files.ca_cert))
    dns = FakeDns({"calendar.test": ["127.0.0.1"]})
    url = f"https://calendar.test:{tls_server.port}/host"
    result = await fetch_feed(
        url, etag=None, last_modified=None, policy=policy(resolver=dns, ssl_context=context)
    )
    assert result.body == f"calendar.test:{tls_server.port}".encode()
    assert dns.calls == ["calendar.test"]


async def test_fetch_feed_https_wrong_host_name_fails_verification(
    tls_server: RunningServer, tls_files: TlsFiles
) -> None:
    context = ssl.create_default_context(cafile=str(tls_files.ca_cert))
    dns = FakeDns({"impostor.test": ["127.0.0.1"]})
    with pytest.raises(ProviderUnavailable, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
        await fetch_feed(
            f"https://impostor.test:{tls_server.port}/host",
            etag=None,
            last_modified=None,
            policy=policy(resolver=dns, ssl_context=context),
        )


async def test_fetch_feed_webcal_means_https(
    tls_server: RunningServer, tls_files: TlsFiles
) -> None:
    context = ssl.create_default_context(cafile=str(tls_files.ca_cert))
    tls_server.app.feeds["plain"] = Feed(BODY)
    dns = FakeDns({"calendar.test": ["127.0.0.1"]})
    result = await fetch_feed(
        f"webcal://calendar.test:{tls_server.port}/feeds/plain",
        etag=None,
        last_modified=None,
        policy=policy(resolver=dns, ssl_context=context),
    )
    assert result.body == BODY


def test_check_fetch_policy_bad_allow_list_entry_named() -> None:
    with pytest.raises(ValueError, match="not-a-cidr/8"):
        FetchPolicy(allow_hosts_or_networks=("not-a-cidr/8",))
