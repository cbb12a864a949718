"""Which IP addresses a user-supplied calendar URL may reach (OWASP API7: SSRF)."""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_SHARED = ipaddress.ip_network("100.64.0.0/10")
_BENCHMARK = ipaddress.ip_network("198.18.0.0/15")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def parse_ip(text: str) -> IPAddress | None:
    """The address in `text` (IPv6 zone ids dropped), or None when it is not an IP literal."""
    try:
        return ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _v4_problem(ip: ipaddress.IPv4Address) -> str | None:
    checks = (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local (cloud metadata lives here)"),
        (ip in _SHARED, "shared address space 100.64.0.0/10"),
        (ip in _BENCHMARK, "benchmarking network 198.18.0.0/15"),
        (ip.is_multicast, "multicast"),
        (ip.is_private, "private"),
        (ip.is_reserved, "reserved"),
        (not ip.is_global, "not globally routable"),
    )
    return next((why for bad, why in checks if bad), None)


def _embedded_v4(ip: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    if ip.ipv4_mapped is not None:
        return "IPv4-mapped", ip.ipv4_mapped
    if ip.sixtofour is not None:
        return "6to4", ip.sixtofour
    if ip.teredo is not None:
        return "Teredo", ip.teredo[1]
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return "NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:
        return "IPv4-compatible", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(ip: IPAddress) -> str | None:
    """Why `ip` may not be fetched (loopback, private, ...), or None when it is global."""
    if isinstance(ip, ipaddress.IPv4Address):
        return _v4_problem(ip)
    embedded = _embedded_v4(ip)
    if embedded is not None:
        kind, v4 = embedded
        inner = _v4_problem(v4)
        if inner is not None:
            return f"{kind} IPv6 address embedding {v4} ({inner})"
        if kind in ("IPv4-mapped", "IPv4-compatible", "NAT64"):
            # Translations of a global IPv4 address (DNS64 answers on IPv6-only networks).
            return None
    checks = (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_site_local, "site-local"),
        (ip.is_multicast, "multicast"),
        (ip.is_private, "private (unique local)"),
        (ip.is_reserved, "reserved"),
        (not ip.is_global, "not globally routable"),
    )
    return next((why for bad, why in checks if bad), None)


class AllowList:
    """The operator's allow-list: host names (exact, case-insensitive) and networks (CIDR)."""

    def __init__(self, entries: tuple[str, ...]) -> None:
        """Split entries into host names and networks; a bad CIDR is a clear ValueError."""
        self.hosts: frozenset[str] = frozenset()
        networks: list[Network] = []
        hosts: set[str] = set()
        for entry in entries:
            text = entry.strip()
            if not text:
                continue
            if "/" in text or parse_ip(text) is not None:
                try:
                    networks.append(ipaddress.ip_network(text, strict=False))
                except ValueError as exc:
                    raise ValueError(f"allow-list entry {entry!r} is not a valid CIDR") from exc
            else:
                hosts.add(text.lower().rstrip("."))
        self.hosts = frozenset(hosts)
        self.networks: tuple[Network, ...] = tuple(networks)

    def allows_host(self, host: str) -> bool:
        """True when the host name itself is allow-listed."""
        return host.lower().rstrip(".") in self.hosts

    def allows_ip(self, ip: IPAddress) -> bool:
        """True when the address lies in an allow-listed network."""
        return any(ip.version == net.version and ip in net for net in self.networks)
