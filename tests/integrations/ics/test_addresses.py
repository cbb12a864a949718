"""The SSRF address rules on their own: what counts as a global address, the allow-list."""

from __future__ import annotations

import pytest

from integrations.ics.addresses import AllowList, address_problem, parse_ip


@pytest.mark.parametrize(
    "text",
    [
        "93.184.216.34",
        "8.8.8.8",
        "2606:4700::1111",
        "::ffff:93.184.216.34",
        "2002:5db8:d822::1",
        "64:ff9b::808:808",
    ],
)
def test_check_address_global_allowed(text: str) -> None:
    ip = parse_ip(text)
    assert ip is not None
    assert address_problem(ip) is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("127.0.0.1", "loopback"),
        ("10.0.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "100.64.0.0/10"),
        ("198.18.0.1", "198.18.0.0/15"),
        ("::ffff:127.0.0.1", "IPv4-mapped"),
        ("2002:7f00:1::1", "6to4"),
        ("64:ff9b::a00:1", "NAT64"),
        ("::127.0.0.1", "IPv4-compatible"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
        ("fe80::1%eth0", "link-local"),
        ("fc00::1", "private"),
    ],
)
def test_check_address_forbidden_named(text: str, words: str) -> None:
    ip = parse_ip(text)
    assert ip is not None
    problem = address_problem(ip)
    assert problem is not None
    assert words in problem


def test_check_allow_list_hosts_and_networks() -> None:
    allow = AllowList(("Calendar.Corp.", "10.20.0.0/16", "fd00::/8", ""))
    assert allow.allows_host("calendar.corp")
    assert not allow.allows_host("other.corp")
    ten = parse_ip("10.20.3.4")
    outside = parse_ip("10.21.0.1")
    ula = parse_ip("fd00::5")
    assert ten is not None
    assert outside is not None
    assert ula is not None
    assert allow.allows_ip(ten)
    assert not allow.allows_ip(outside)
    assert allow.allows_ip(ula)


def test_check_allow_list_bad_cidr_named() -> None:
    with pytest.raises(ValueError, match=r"10\.0\.0\.0/99"):
        AllowList(("10.0.0.0/99",))
