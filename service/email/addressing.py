"""How outgoing mail is addressed: sender, Message-ID domain, and each person's own signed links.

Every link in an email that acts for a person is signed, so nobody needs an account and nobody
can act for anyone else. A token is `<tenant>.<person>.<subject>.<expires>.<mac>`: the MAC is an
HMAC-SHA256 (truncated to 128 bits) over the link's purpose and those fields, keyed by a link
key derived (HKDF) from each secret key. The first key signs, every key verifies, as the secret
store does; the purpose is in the MAC, not the token, so an unsubscribe token never opens a
preferences page. A tampered, expired or unknown token verifies to None, nothing more.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAC_BYTES = 16
_INFO = b"rapport link signing v1"
_TOKEN = re.compile(r"^(\d{1,12})\.(\d{1,12})\.(\d{0,12})\.(\d{1,12})\.([A-Za-z0-9_-]{22})$")


class LinkPurpose(StrEnum):
    """What a signed link may do; each has its own path and lifetime."""

    UNSUBSCRIBE = "unsubscribe"
    PREFERENCES = "preferences"
    FEEDBACK = "feedback"
    SNOOZE = "snooze"
    # A fresh link mailed to the person's own address: shows or deletes their data.
    PRIVATE = "private"


# RFC 8058 links live in old emails, so unsubscribe lasts a year; a page link, weeks.
LINK_LIFETIME: Mapping[LinkPurpose, timedelta] = {
    LinkPurpose.UNSUBSCRIBE: timedelta(days=366),
    LinkPurpose.PREFERENCES: timedelta(days=42),
    LinkPurpose.FEEDBACK: timedelta(days=42),
    LinkPurpose.SNOOZE: timedelta(days=42),
    LinkPurpose.PRIVATE: timedelta(hours=1),
}

# The verdicts of a feedback link, as path segments -> stored values.
FEEDBACK_VERDICTS: Mapping[str, str] = {
    "helpful": "helpful",
    "not-for-me": "not_for_me",
    "not-for-this-meeting": "not_for_this_meeting",
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def derive_link_key(secret: bytes) -> bytes:
    """The link-signing key derived from one secret key (HKDF-SHA256, its own `info`)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret)


@dataclass(frozen=True, slots=True)
class LinkClaim:
    """What a verified link says: for whom, for what, until when (and which nudge, if any)."""

    purpose: LinkPurpose
    tenant_id: int
    person_id: int
    expires: datetime
    subject: int | None = None


class LinkSigner:
    """Signs and verifies per-person links; the first key signs, every key verifies."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys or any(len(key) < 16 for key in keys):
            raise ValueError("a link signer needs at least one key of 16 bytes or more")
        self._keys = tuple(keys)

    def __repr__(self) -> str:
        return f"LinkSigner(keys={len(self._keys)})"

    @classmethod
    def from_secrets(cls, secret_keys: Sequence[bytes]) -> LinkSigner:
        """A signer whose keys are derived from the secret store's keys, in the same order."""
        return cls([derive_link_key(key) for key in secret_keys])

    @classmethod
    def ephemeral(cls) -> LinkSigner:
        """A signer with a random key of its own (links it signs die with the process)."""
        return cls([secrets.token_bytes(32)])

    def _mac(self, key: bytes, message: str) -> str:
        digest = hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()
        return _b64(digest[:MAC_BYTES])

    def mac(self, message: str) -> str:
        """A MAC of `message` with the signing key (for tokens other than links: forms)."""
        return self._mac(self._keys[0], message)

    def check(self, message: str, tag: str) -> bool:
        """True when `tag` is a MAC of `message` under any key (compared in constant time)."""
        found = False
        for key in self._keys:
            found |= hmac.compare_digest(self._mac(key, message), tag)
        return found

    def sign(self, claim: LinkClaim) -> str:
        """The token for `claim` (URL-safe as it is)."""
        fields = _fields(claim.tenant_id, claim.person_id, claim.subject, claim.expires)
        return f"{fields}.{self.mac(f'{claim.purpose.value}/{fields}')}"

    def verify(self, purpose: LinkPurpose, token: str, now: datetime) -> LinkClaim | None:
        """The claim of a valid, unexpired token for `purpose`; None for anything else."""
        match = _TOKEN.match(token)
        if match is None:
            return None
        tenant, person, subject, expires, tag = match.groups()
        fields = f"{tenant}.{person}.{subject}.{expires}"
        if not self.check(f"{purpose.value}/{fields}", tag):
            return None
        until = datetime.fromtimestamp(int(expires), UTC)
        if until <= now:
            return None
        nudge = int(subject) if subject else None
        return LinkClaim(purpose, int(tenant), int(person), until, nudge)


def _fields(tenant_id: int, person_id: int, subject: int | None, expires: datetime) -> str:
    if tenant_id < 0 or person_id < 0 or (subject is not None and subject < 0):
        raise ValueError("link ids must not be negative")
    stamp = int(expires.timestamp())
    return f"{tenant_id}.{person_id}.{'' if subject is None else subject}.{stamp}"


@dataclass(frozen=True, slots=True)
class MailConfig:
    """Who mail comes from, how its Message-IDs are built, and the base and signer of its links.

    Without a signer given, links are signed with a random key of this process: safe, but they
    stop working at a restart. `workers.context.mail_config` passes the one from the secret keys.
    """

    sender: str
    message_id_domain: str
    base_url: str
    links: LinkSigner = field(default_factory=LinkSigner.ephemeral, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class PersonLinks:
    """Where a person manages their email: their page, a snooze, and one-click unsubscribe."""

    preferences_url: str
    unsubscribe_url: str
    snooze_url: str


@dataclass(frozen=True, slots=True)
class FeedbackLinks:
    """The three answers to "Was this useful?" for one nudge."""

    helpful_url: str
    not_for_me_url: str
    not_for_this_meeting_url: str


def _expiry(now: datetime, purpose: LinkPurpose) -> datetime:
    end = now.astimezone(UTC) + LINK_LIFETIME[purpose]
    if LINK_LIFETIME[purpose] < timedelta(days=1):
        return end
    # Long-lived links end on a whole hour: a send retried within the hour signs the same links.
    return end.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def signed_url(mail: MailConfig, claim: LinkClaim) -> str:
    """The absolute URL of a signed link: `<base>/<purpose>/<token>`."""
    return f"{mail.base_url.rstrip('/')}/{claim.purpose.value}/{mail.links.sign(claim)}"


def link_for(
    mail: MailConfig, purpose: LinkPurpose, tenant_id: int, person_id: int, now: datetime
) -> str:
    """One person's signed link for `purpose`, valid for that purpose's lifetime from `now`."""
    return signed_url(mail, LinkClaim(purpose, tenant_id, person_id, _expiry(now, purpose)))


def person_links(mail: MailConfig, tenant_id: int, person_id: int, now: datetime) -> PersonLinks:
    """Build one person's signed preferences, snooze and RFC 8058 one-click unsubscribe URLs."""
    return PersonLinks(
        preferences_url=link_for(mail, LinkPurpose.PREFERENCES, tenant_id, person_id, now),
        unsubscribe_url=link_for(mail, LinkPurpose.UNSUBSCRIBE, tenant_id, person_id, now),
        snooze_url=link_for(mail, LinkPurpose.SNOOZE, tenant_id, person_id, now),
    )


def feedback_links(
    mail: MailConfig, tenant_id: int, person_id: int, nudge_id: int, now: datetime
) -> FeedbackLinks:
    """The signed helpful / not for me / not for this meeting links of one nudge."""
    claim = LinkClaim(
        LinkPurpose.FEEDBACK, tenant_id, person_id, _expiry(now, LinkPurpose.FEEDBACK), nudge_id
    )
    base = signed_url(mail, claim)
    helpful, not_for_me, not_here = FEEDBACK_VERDICTS
    return FeedbackLinks(
        helpful_url=f"{base}/{helpful}",
        not_for_me_url=f"{base}/{not_for_me}",
        not_for_this_meeting_url=f"{base}/{not_here}",
    )


KIND_WORDS: Mapping[str, str] = {
    "camera_on": "camera-on notes",
    "switch_to_video": "switch-to-video notes",
    "social_minute": "social-minute ideas",
    "one_on_one": "one-on-one notes",
}


def pause_notice(paused: Mapping[str, datetime], now: datetime) -> str | None:
    """The footer line that tells a person which kinds their "not for me" answers paused."""
    active = sorted((until, kind) for kind, until in paused.items() if until > now)
    if not active:
        return None
    parts = [
        f"{KIND_WORDS.get(kind, kind.replace('_', ' '))} until {until.strftime('%-d %B')}"
        for until, kind in active
    ]
    return (
        "You said “not for me” twice, so we paused "
        + "; ".join(parts)
        + ". You can turn them back on from your preferences"
    )
