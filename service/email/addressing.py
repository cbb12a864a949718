"""How outgoing mail is addressed: sender, Message-ID domain, and each person's own links."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True, slots=True)
class MailConfig:
    """Who mail comes from and how its links and Message-IDs are built."""

    sender: str
    message_id_domain: str
    base_url: str


@dataclass(frozen=True, slots=True)
class PersonLinks:
    """Where a person manages their nudges; the token is their unguessable unsubscribe token."""

    preferences_url: str
    unsubscribe_url: str


def person_links(base_url: str, unsubscribe_token: str) -> PersonLinks:
    """Build the preferences and RFC 8058 one-click unsubscribe URLs for one person."""
    base = base_url.rstrip("/")
    token = quote(unsubscribe_token, safe="")
    return PersonLinks(
        preferences_url=f"{base}/preferences/{token}",
        unsubscribe_url=f"{base}/unsubscribe/{token}",
    )
