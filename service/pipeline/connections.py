"""Calendar connections: add one (its secret URL encrypted), and turn one back into a calendar.

A feed URL often carries a secret token (published Outlook and Google calendars, iCloud, Proton),
so it is stored only encrypted; what is shown anywhere (`rapport connections`, logs, errors) is
the redacted form, `https://host/…/name.ics`, plus a short fingerprint that tells feeds apart.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from service.domain.port import CalendarRef
from service.errors import NotFound
from service.runtime import Runtime
from service.storage import CalendarRepository, PeopleRepository
from service.storage.rows import CalendarRow, PersonRow

FINGERPRINT_CHARS = 8


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
    # Only a short, ordinary file name survives; a long last segment may itself be the token.
    shown = last if last and len(last) <= 32 and "." in last else ""
    inner = "/…" if len(segments) > (1 if shown else 0) else ""
    return f"{parts.scheme}://{host}{inner}/{shown}"


def fingerprint(url: str) -> str:
    """A short, stable tag for one URL, so two feeds with the same redacted form stay apart."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:FINGERPRINT_CHARS]


def display_source(url: str) -> str:
    """What a connection shows for a URL: the redacted URL and its fingerprint."""
    return f"{redact_url(url)} #{fingerprint(url)}"


async def add_ics_connection(rt: Runtime, tenant_id: int, person_email: str, url: str) -> int:
    """Connect a person's iCalendar feed; the URL is stored encrypted. Idempotent per URL."""
    async with rt.db.session() as session:
        person = await PeopleRepository(session, tenant_id).by_email(person_email)
        if person is None:
            raise NotFound(f"no person {person_email!r} in this tenant")
        calendars = CalendarRepository(session, tenant_id)
        connection_id = await calendars.ensure(person.id, "ics", display_source(url))
        await calendars.set_credentials(connection_id, rt.secret_box().encrypt(url))
        await session.commit()
    return connection_id


def calendar_ref(rt: Runtime, connection: CalendarRow, person: PersonRow) -> CalendarRef:
    """The calendar a connector pulls: the decrypted source when one is stored, else `source`."""
    source = connection.source
    if connection.credentials_encrypted is not None:
        source = rt.secret_box().decrypt(connection.credentials_encrypted)
    return CalendarRef(owner=person.email, source=source, default_timezone=person.timezone)
