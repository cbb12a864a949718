"""A Microsoft 365 install: the directory (tenant) id, the app's client id and secret, where
the identity platform and Graph answer.

Stored through the secret store as the JSON `dump()` makes; `MicrosoftAccount.parse` reads it
back and checks every field. `authority` replaces `https://login.microsoftonline.com` and
`graph_url` replaces `https://graph.microsoft.com/v1.0` (national clouds, tests): both https.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

LOGIN_URL = "https://login.microsoftonline.com"
GRAPH_URL = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"


class InvalidAccount(ValueError):
    """The install settings cannot be used; the message says which field."""


def https_url(url: str, what: str) -> str:
    """`url` without a trailing slash, if it is https with a host; InvalidAccount else."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise InvalidAccount(f"{what} must be an https URL (msal and Graph refuse anything else)")
    return url.rstrip("/")


@dataclass(frozen=True, slots=True)
class MicrosoftAccount:
    """One tenant's app registration (a client secret or a PEM certificate and key)."""

    directory_tenant: str
    client_id: str
    client_secret: str | None = None
    certificate_pem: str | None = None
    authority_host: str = LOGIN_URL
    graph_url: str = GRAPH_URL

    def __post_init__(self) -> None:
        if not self.directory_tenant or "/" in self.directory_tenant:
            raise InvalidAccount("directory tenant must be the tenant id or domain")
        if not self.client_id:
            raise InvalidAccount("client id is missing")
        if not (self.client_secret or self.certificate_pem):
            raise InvalidAccount("a client secret or a certificate is needed")
        https_url(self.authority_host, "authority")
        https_url(self.graph_url, "graph url")

    @property
    def authority(self) -> str:
        """The authority URL msal is given."""
        return f"{self.authority_host.rstrip('/')}/{self.directory_tenant}"

    @property
    def custom_authority(self) -> bool:
        """True for an authority msal does not know (no validation or instance discovery)."""
        return self.authority_host.rstrip("/") != LOGIN_URL

    def dump(self) -> str:
        """The install as stored (encrypted) through the secret store."""
        return json.dumps(
            {
                "tenant": self.directory_tenant,
                "client_id": self.client_id,
                "secret": self.client_secret,
                "certificate": self.certificate_pem,
                "authority": self.authority_host,
                "graph_url": self.graph_url,
            },
            separators=(",", ":"),
        )

    @classmethod
    def parse(cls, text: str) -> MicrosoftAccount:
        """The stored install; InvalidAccount when it cannot be read."""
        try:
            data = json.loads(text)
        except ValueError:
            raise InvalidAccount("the stored install is not JSON") from None
        if not isinstance(data, dict):
            raise InvalidAccount("the stored install is not a JSON object")
        return cls(
            directory_tenant=str(data.get("tenant") or ""),
            client_id=str(data.get("client_id") or ""),
            client_secret=data.get("secret") or None,
            certificate_pem=data.get("certificate") or None,
            authority_host=str(data.get("authority") or LOGIN_URL),
            graph_url=str(data.get("graph_url") or GRAPH_URL),
        )

    def fingerprint(self) -> str:
        """A short stable id of the install (logs, caches): never the secret."""
        return hashlib.sha256(f"{self.authority}|{self.client_id}".encode()).hexdigest()[:16]
