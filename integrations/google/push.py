"""Push channels (events.watch): where notifications go, how long channels live.

Google delivers notifications only to a public https address, so a channel is opened only when
Rapport's base URL is one; otherwise Rapport polls alone (the periodic incremental sync is the
safety net either way: a lost or forged notification changes nothing).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

WEBHOOK_PATH = "/webhooks/google"


@dataclass(frozen=True, slots=True)
class PushConfig:
    """The webhook address (None: poll only), the lifetime asked for, the renewal margin."""

    address: str | None = None
    ttl_s: int = 7 * 24 * 3600
    renew_before_s: int = 24 * 3600


def public_https(url: str) -> bool:
    """True for an https URL whose host is a name or a global address (Google can reach it)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return False
    if parts.scheme != "https" or not host or host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return "." in host  # a DNS name (a bare "intranet" is not reachable from Google)


def webhook_address(base_url: str) -> str | None:
    """The notification address under `base_url`, or None when Google could not reach it."""
    if not public_https(base_url):
        return None
    return base_url.rstrip("/") + WEBHOOK_PATH
