"""Calendar connections: add one (its secret URL encrypted), and turn one back into a calendar.

A feed URL often carries a secret token (published Outlook and Google calendars, iCloud, Proton),
so it is stored only encrypted; what is shown anywhere (`rapport connections`, logs, errors) is
the redacted form, `https://host/…/name.ics`, plus a short fingerprint that tells feeds apart.

Every entry point that reads or writes secrets first calls `check_secrets`: a stored secret that
none of the configured keys opens (`RAPPORT_SECRET_KEYS` changed without keeping the old key)
stops it with a clear error, instead of failing later connection by connection.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import structlog

from service.domain.port import CalendarRef
from service.errors import NotFound
from service.runtime import Runtime
from service.secrets import SecretKeyError
from service.storage import CalendarRepository, PeopleRepository, TenantRepository
from service.storage.repositories.google import GoogleInstallRepository
from service.storage.rows import CalendarRow, PersonRow

log = structlog.get_logger(__name__)

FINGERPRINT_CHARS = 8
_PLAIN_FILE_NAME = re.compile(r"[A-Za-z_-]{1,24}\.[A-Za-z]{2,8}")
# A piece of a feed URL at least this long may be its token: scrubbed from messages too.
SECRET_PIECE_CHARS = 12
SHOWN_IDS = 5
FEED_SCHEMES = {"http": "http", "https": "https", "webcal": "https", "webcals": "https"}


class InvalidFeedUrl(ValueError):
    """A feed source that is neither an http(s)/webcal URL nor a local file path.

    The message never repeats the URL (it may carry a secret token).
    """


def redact_url(url: str) -> str:
    """A feed URL with everything that may be secret cut: user, query, fragment, inner path."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(unreadable URL)"
    if parts.scheme not in ("http", "https", "webcal", "webcals") or not parts.hostname:
        return "(local file)" if not parts.scheme or parts.scheme == "file" else "(URL)"
    host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    segments = [s for s in parts.path.split("/") if s]
    last = segments[-1] if segments else ""
    # Only a short file name of plain letters survives (basic.ics, reachcalendar.ics): a name
    # with digits or a long one may itself be the token.
    shown = last if _PLAIN_FILE_NAME.fullmatch(last) else ""
    inner = "/…" if len(segments) > (1 if shown else 0) else ""
    return f"{parts.scheme}://{host}{inner}/{shown}"


def fingerprint(url: str) -> str:
    """A short, stable tag for one URL, so two feeds with the same redacted form stay apart."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:FINGERPRINT_CHARS]


def display_source(url: str) -> str:
    """What a connection shows for a URL: the redacted URL and its fingerprint."""
    return f"{redact_url(url)} #{fingerprint(url)}"


def feed_source(text: str) -> str:
    """The feed source to store: an http(s) URL (webcal:// and webcals:// become https://), or
    an absolute local path (for tests and trusted files). `InvalidFeedUrl` otherwise."""
    value = text.strip()
    if "://" not in value:
        if not value or any(ord(c) < 32 for c in value):
            raise InvalidFeedUrl("the feed is neither an http(s)/webcal URL nor a file path")
        return str(Path(value).expanduser().resolve())
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises on a port that is not a number
    except ValueError:
        raise InvalidFeedUrl("the feed URL cannot be read (a bad port or address?)") from None
    scheme = parts.scheme.lower()
    if scheme == "file":
        return feed_source(parts.path)
    if scheme not in FEED_SCHEMES:
        raise InvalidFeedUrl("the feed URL must start with https://, http:// or webcal://")
    if not parts.hostname or any(ord(c) < 33 for c in value):
        raise InvalidFeedUrl("the feed URL has no host name, or has spaces in it")
    return urlunsplit((FEED_SCHEMES[scheme], parts.netloc, parts.path, parts.query, parts.fragment))


async def add_ics_connection(rt: Runtime, tenant_id: int, person_email: str, url: str) -> int:
    """Connect a person's iCalendar feed; the URL is stored encrypted. Idempotent per URL.

    A new connection is `pending` until its first sync.
    """
    async with rt.db.session() as session:
        person = await PeopleRepository(session, tenant_id).by_email(person_email)
        if person is None:
            raise NotFound(f"no person {person_email!r} in this tenant")
        calendars = CalendarRepository(session, tenant_id)
        connection_id = await calendars.ensure(person.id, "ics", display_source(url))
        await calendars.set_credentials(connection_id, rt.secret_box().encrypt(url))
        await calendars.mark_pending(connection_id)
        await session.commit()
    log.info("connection.added", tenant_id=tenant_id, connection_id=connection_id, provider="ics")
    return connection_id


async def _tenant_ids(rt: Runtime, tenant_id: int | None) -> list[int]:
    if tenant_id is not None:
        return [tenant_id]
    async with rt.db.session() as session:
        return [tenant.id for tenant in await TenantRepository(session).all()]


async def check_secrets(rt: Runtime, tenant_id: int | None = None) -> int:
    """Check that a configured key opens every stored secret (of one tenant, or of all);
    returns how many were checked. `SecretKeyError` names the connections no key opens.

    Call it at the start of whatever reads or writes secrets (`rapport connect`,
    `rapport admin rotate-secrets`, `rapport sync`, `rapport serve`).
    """
    box = rt.secret_box()
    checked, unopened = 0, []
    for tenant in await _tenant_ids(rt, tenant_id):
        async with rt.db.session() as session:
            async for connection_id, token in CalendarRepository(session, tenant).iter_encrypted():
                checked += 1
                if not box.opens(token):
                    unopened.append(connection_id)
            install = await GoogleInstallRepository(session, tenant).get()
            if install is not None:
                checked += 1
                if not box.opens(install.credentials_encrypted):
                    unopened.append(0)  # 0: the tenant's Google install, not a connection
    if unopened:
        raise SecretKeyError(_unopened_message(unopened))
    return checked


def _unopened_message(connection_ids: Sequence[int]) -> str:
    shown = ", ".join(str(i) for i in connection_ids[:SHOWN_IDS])
    more = f" and {len(connection_ids) - SHOWN_IDS} more" if len(connection_ids) > SHOWN_IDS else ""
    return (
        f"{len(connection_ids)} stored secret(s) open with none of the configured keys "
        f"(connection{'s' if len(connection_ids) > 1 else ''} {shown}{more}): put the key "
        "they were encrypted with back in RAPPORT_SECRET_KEYS (or the data dir's secret.key), "
        "after the new one"
    )


async def rotate_secrets(rt: Runtime, tenant_id: int | None = None) -> int:
    """Re-encrypt every stored secret (of one tenant, or of all) with the first configured key;
    returns how many. Checks first, so it changes nothing when any secret cannot be opened; running
    it again is harmless (the secrets stay the same, only their encryption is renewed), and so
    is a run cut short (one commit per tenant: each secret opens with one of the keys)."""
    await check_secrets(rt, tenant_id)
    box = rt.secret_box()
    rotated = 0
    for tenant in await _tenant_ids(rt, tenant_id):
        async with rt.db.session() as session:
            calendars = CalendarRepository(session, tenant)
            tokens = [item async for item in calendars.iter_encrypted()]
            for connection_id, token in tokens:
                await calendars.set_credentials(connection_id, box.rotate(token))
            installs = GoogleInstallRepository(session, tenant)
            install = await installs.get()
            if install is not None:
                await installs.set_credentials(box.rotate(install.credentials_encrypted))
            await session.commit()
        rotated += len(tokens) + (install is not None)
        log.info("secrets.rotated", tenant_id=tenant, count=len(tokens))
    return rotated


def scrub_secret(message: str, secret: str) -> str:
    """`message` with the secret URL, and every token-like piece of it, replaced by its
    redacted form (a connector's error should never carry one, but a message is shown)."""
    cleaned = message.replace(secret, redact_url(secret))
    parts = urlsplit(secret) if "://" in secret else None
    if parts is None:
        return cleaned
    pieces = [parts.query, parts.fragment, parts.password or "", parts.username or ""]
    pieces += parts.path.split("/")
    for piece in sorted({p for p in pieces if len(p) >= SECRET_PIECE_CHARS}, key=len, reverse=True):
        cleaned = cleaned.replace(piece, "…")
    return cleaned


def calendar_ref(rt: Runtime, connection: CalendarRow, person: PersonRow) -> CalendarRef:
    """The calendar a connector pulls: the decrypted source when one is stored, else `source`."""
    source = connection.source
    if connection.credentials_encrypted is not None:
        source = rt.secret_box().decrypt(connection.credentials_encrypted)
    return CalendarRef(owner=person.email, source=source, default_timezone=person.timezone)
