"""Build the MIME message: text + HTML alternatives and the headers RFC 8058 asks for.

Header values go through the `email` package's policy, which refuses CR/LF in any header, and
the subject is first collapsed to one safe line, so a meeting title cannot inject a header.
"""

from __future__ import annotations

import email.policy
import hashlib
import re
from datetime import UTC, datetime
from email.headerregistry import (
    Address,
    AddressHeader,
    BaseHeader,
    HeaderRegistry,
    UniqueUnstructuredHeader,
)
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime
from typing import Any, cast

from service.email.context import require_http_url
from service.email.folding import fold_unstructured
from service.email.render import SUBJECT_LIMIT, RenderedEmail
from service.email.words import one_line

MESSAGE_ID_KINDS = ("nudge", "briefing", "report")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")
_MESSAGE_ID = re.compile(r"^<[!-;=?-~]+@[!-;=?-~]+>$")
MAX_URL_LENGTH = 900


# The registry mixes BaseHeader in at runtime; typeshed types max_count differently in each base.
class _VerbatimHeader(UniqueUnstructuredHeader, BaseHeader):  # type: ignore[misc]
    """A header written exactly as given (checked ASCII, one line): for `<url>` lists.

    The default policy would RFC 2047-encode a URL longer than a line to fold it, which makes
    List-Unsubscribe unreadable to mail providers; RFC 5322 allows lines up to 998 characters.
    """

    def fold(self, *, policy: Any) -> str:
        """Write the header on one line, unencoded."""
        return f"{self.name}: {self}{policy.linesep}"


class _LiteralSubject(UniqueUnstructuredHeader, BaseHeader):  # type: ignore[misc]
    """A subject taken literally and folded by `fold_unstructured`.

    Assigning a string to a header decodes any `=?...?=` in it; a meeting title that looks
    like an encoded-word must reach the reader as typed, so this header keeps the raw text.
    Only `build_message` makes one: parsing a message still decodes as usual.
    """

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        """Parse as unstructured text, but keep `value` itself as the decoded value."""
        super().parse(value, kwds)
        kwds["decoded"] = value

    def fold(self, *, policy: Any) -> str:
        """Write the subject as plain folded ASCII or as self-contained encoded-words."""
        return fold_unstructured(self.name, str(self), policy.linesep)


def _policy() -> EmailPolicy[EmailMessage]:
    registry = HeaderRegistry()
    for name in ("list-unsubscribe", "list-unsubscribe-post", "list-help"):
        registry.map_to_type(name, _VerbatimHeader)
    return email.policy.default.clone(header_factory=registry)


POLICY = _policy()


_UNIQUE = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def message_id_for(
    kind: str, entity_id: int, revision: int, domain: str, unique: str | None = None
) -> str:
    """Deterministic Message-ID, e.g. `<rapport.nudge.42.1@k3j5x.lq2v8m.example.com>`.

    Retries of one send build the same id. `unique` (letters, digits, hyphens) tells apart
    installations and rebuilt databases that reuse the same row ids: `message_unique` makes
    it from an installation key and the row's creation time. It goes on the right-hand side,
    so `<rapport.nudge.42.1@` still starts every nudge's id.
    """
    if kind not in MESSAGE_ID_KINDS:
        raise ValueError(f"kind must be one of {', '.join(MESSAGE_ID_KINDS)}, got {kind!r}")
    if entity_id < 0 or revision < 0:
        raise ValueError(f"entity_id and revision must not be negative: {entity_id}, {revision}")
    if not _DOMAIN.match(domain):
        raise ValueError(f"domain must be a host name like rapport.example.com, got {domain!r}")
    if unique is not None and not _UNIQUE.match(unique):
        raise ValueError(f"unique must be letters, digits and hyphens, got {unique!r}")
    right = domain if unique is None else f"{unique}.{domain}"
    return f"<rapport.{kind}.{entity_id}.{revision}@{right}>"


def message_unique(installation: str, created: datetime) -> str:
    """The unique part of a Message-ID: an installation's key (any text, hashed) and the
    creation time of the row the email is about, in microseconds (base 36)."""
    if created.tzinfo is None:
        raise ValueError(f"created must be tz-aware, got {created!r}")
    digest = hashlib.sha256(f"rapport message-id|{installation}".encode()).hexdigest()[:10]
    micros = round(created.timestamp() * 1_000_000)
    stamp = ""
    while True:
        micros, digit = divmod(micros, 36)
        stamp = "0123456789abcdefghijklmnopqrstuvwxyz"[digit] + stamp
        if micros == 0:
            break
    return f"{digest}-{stamp}"


# One host name: dot-separated labels of letters (any script), digits and hyphens.
_HOST = re.compile(
    r"^(?=.{1,253}$)[^\W_](?:[\w-]{0,61}[^\W_])?(?:\.[^\W_](?:[\w-]{0,61}[^\W_])?)*$"
)
_LOCAL = re.compile(r"^[^\s@,;:<>()\[\]\\\"]{1,64}$")


def parse_address(name: str, value: str) -> Address:
    """The one address of a header field, strictly parsed; ValueError naming `name` otherwise.

    Exactly one mailbox (an optional display name and `local@host`): a list (`a@x,eve@evil`),
    a group, a quoted or bracketed oddity, a parse defect or a line break is refused, so one
    recipient field can never send mail to a second address.
    """
    if any(ch in value for ch in "\r\n\0"):
        raise ValueError(f"{name} must be one line, got {value!r}")
    try:
        parsed = POLICY.header_factory("To", value)
        groups = cast(AddressHeader, parsed).groups
        defects = parsed.defects
    except (ValueError, IndexError, AttributeError) as exc:
        raise ValueError(f"{name} must be one email address, got {value!r}") from exc
    addresses = [address for group in groups for address in group.addresses]
    only = addresses[0] if len(addresses) == 1 else None
    if (
        only is None
        or len(groups) != 1
        or groups[0].display_name is not None
        or defects
        or not _LOCAL.match(only.username)
        or not _HOST.match(only.domain)
    ):
        raise ValueError(f"{name} must be exactly one email address, got {value!r}")
    return only


def _require_address(name: str, value: str) -> None:
    parse_address(name, value)


def build_message(
    rendered: RenderedEmail,
    *,
    sender: str,
    recipient: str,
    message_id: str,
    unsubscribe_url: str,
    preferences_url: str,
    date: datetime | None = None,
) -> EmailMessage:
    """Build a multipart/alternative message with List-Unsubscribe (RFC 8058) headers."""
    _require_address("sender", sender)
    _require_address("recipient", recipient)
    if not _MESSAGE_ID.match(message_id):
        raise ValueError(f"message_id must look like <local@domain>, got {message_id!r}")
    for name, url in (("unsubscribe_url", unsubscribe_url), ("preferences_url", preferences_url)):
        require_http_url(name, url)
        if len(url) > MAX_URL_LENGTH:
            raise ValueError(f"{name} is longer than {MAX_URL_LENGTH} characters")
    moment = date or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError(f"date must be tz-aware, got {moment!r}")

    message = EmailMessage(policy=POLICY)
    subject = one_line(rendered.subject, SUBJECT_LIMIT) or "A note from Rapport"
    message["Subject"] = _LiteralSubject("Subject", subject)
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(moment)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    # Out-of-office and other auto-replies from Exchange/Outlook: none, please.
    message["X-Auto-Response-Suppress"] = "All"
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["List-Help"] = f"<{preferences_url}>"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message
