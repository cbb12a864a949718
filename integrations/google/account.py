"""A Workspace install: the service account key, the admin to impersonate, where the APIs are.

The key file's JSON is held in memory only (google-auth reads it from a dict; it is never
written to a file). The install is stored through the secret store as the JSON `dump()` makes;
`GoogleAccount.parse` reads it back and checks every field.

`api_url` replaces `https://www.googleapis.com/` for Calendar and the Directory (the paths
`calendar/v3/` and `admin/directory/v1/` follow it, as in the discovery documents); plain
http is allowed only for a loopback address. The key's own `token_uri` is honoured with the
same rule.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

CALENDAR_SCOPES = (
    "https://www.googleapis.com/auth/calendar.events.readonly",
    "https://www.googleapis.com/auth/calendar.settings.readonly",
)
DIRECTORY_SCOPES = (
    "https://www.googleapis.com/auth/admin.directory.user.readonly",
    "https://www.googleapis.com/auth/admin.directory.group.readonly",
)
_KEY_FIELDS = ("client_email", "private_key", "private_key_id", "token_uri")
MAX_KEY_BYTES = 20_000


class InvalidAccount(ValueError):
    """The key file or the install settings cannot be used; the message says which field."""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked_url(url: str, what: str) -> str:
    """`url` with a trailing slash: https, or http on a loopback address; InvalidAccount else."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError:
        raise InvalidAccount(f"{what} is not a URL") from None
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidAccount(f"{what} must be an https:// URL")
    if parts.scheme == "http" and not _loopback(host):
        raise InvalidAccount(f"{what} may use plain http only on a loopback address")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InvalidAccount(f"{what} must not carry a query, fragment or user")
    text = url.strip()
    return text if text.endswith("/") else text + "/"


def read_key(data: bytes | str) -> dict[str, str]:
    """A service account key file's JSON object, checked; InvalidAccount says what is wrong."""
    if len(data) > MAX_KEY_BYTES:
        raise InvalidAccount("the key file is too large to be a service account key")
    try:
        info = json.loads(data)
    except ValueError:
        raise InvalidAccount("the key file is not JSON") from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise InvalidAccount(
            'the key file is not a service account key ("type" is not service_account)'
        )
    missing = [
        name for name in _KEY_FIELDS if not isinstance(info.get(name), str) or not info[name]
    ]
    if missing:
        raise InvalidAccount(f"the key file has no {', '.join(missing)}")
    if "PRIVATE KEY" not in info["private_key"]:
        raise InvalidAccount("the key file's private_key is not a PEM key")
    checked_url(info["token_uri"], "the key file's token_uri")
    return {str(k): v for k, v in info.items() if isinstance(v, str)}


@dataclass(frozen=True, slots=True)
class GoogleAccount:
    """One organisation's install: key, admin to impersonate for the Directory, customer, URL."""

    key: Mapping[str, str]
    admin_email: str
    customer: str = "my_customer"
    api_url: str | None = None

    def __post_init__(self) -> None:
        if "@" not in self.admin_email:
            raise InvalidAccount("the admin email is not an address")
        if self.api_url is not None:
            object.__setattr__(self, "api_url", checked_url(self.api_url, "the API URL"))

    @property
    def key_id(self) -> str:
        """The key's id (which credentials and rate buckets belong to)."""
        return self.key["private_key_id"]

    @property
    def project(self) -> str:
        """The Cloud project the key belongs to (whose daily quota its calls spend)."""
        found = self.key.get("project_id")
        if found:
            return found
        # A key without project_id: its address is NAME@PROJECT.iam.gserviceaccount.com.
        domain = self.client_email.rpartition("@")[2]
        return domain.split(".", 1)[0] or self.client_email

    @property
    def client_email(self) -> str:
        """The service account's address."""
        return self.key["client_email"]

    @property
    def client_id(self) -> str | None:
        """The numeric client id an admin authorises for domain-wide delegation."""
        return self.key.get("client_id")

    def calendar_endpoint(self) -> str | None:
        """`api_endpoint` for Calendar v3 (None: the discovery document's own)."""
        return None if self.api_url is None else self.api_url + "calendar/v3/"

    def directory_endpoint(self) -> str | None:
        """`api_endpoint` for Directory v1 (its paths start with admin/directory/v1/)."""
        return self.api_url

    def dump(self) -> str:
        """The JSON stored (encrypted) for this install."""
        return json.dumps(
            {
                "v": 1,
                "key": dict(self.key),
                "admin_email": self.admin_email,
                "customer": self.customer,
                "api_url": self.api_url,
            },
            sort_keys=True,
        )

    @classmethod
    def parse(cls, text: str) -> GoogleAccount:
        """Read what `dump` wrote; InvalidAccount when it is not an install."""
        try:
            data = json.loads(text)
        except ValueError:
            raise InvalidAccount("the stored Google install is not JSON") from None
        if not isinstance(data, dict) or data.get("v") != 1:
            raise InvalidAccount("the stored Google install has an unknown format")
        key = read_key(json.dumps(data.get("key")))
        api_url = data.get("api_url")
        return cls(
            key=key,
            admin_email=str(data.get("admin_email") or ""),
            customer=str(data.get("customer") or "my_customer"),
            api_url=api_url if isinstance(api_url, str) else None,
        )

    def fingerprint(self) -> str:
        """A short tag of the install (its key id and customer), safe to show and log."""
        text = f"{self.key_id}:{self.customer}:{self.api_url}"
        return hashlib.sha256(text.encode()).hexdigest()[:8]
