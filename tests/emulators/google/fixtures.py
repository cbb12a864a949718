"""pytest fixtures and builders over the Google emulator, shared by the tests that use it.

A test folder's conftest imports the fixtures it needs from here. The workspace: Ada (the
admin), Ana (London, managed by Ben, in eng@), Ben (Berlin, in eng@), Cat (New York, alias
catherine@); Ana's calendar holds one single meeting and a weekly series.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from integrations.google import (
    ClientConfig,
    GoogleAccount,
    GoogleApi,
    GoogleConnector,
    PushConfig,
    SyncConfig,
)
from integrations.google.ratelimit import RateLimits
from service.domain.port import CalendarRef, SyncWindow
from service.email import EmailRenderer, MaildirOutbox
from service.pipeline.google import save_google_install
from service.runtime import Runtime, fixed_clock
from service.secrets import SecretBox, new_key
from service.storage import Database, PeopleRepository
from service.storage.models import MeetingCopy, MeetingRecord
from tests.emulators.google.keys import session_key
from tests.emulators.google.server import running_emulator
from tests.emulators.google.state import GoogleEmulator
from tests.fixtures.pipeline import MAIL
from workers.google import directory_round
from workers.sync import sync_tenant

NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # a Tuesday (as tests/fixtures/pipeline.py)
WINDOW = SyncWindow(NOW - timedelta(days=30), NOW + timedelta(days=14))
ADMIN, ANA, BEN, CAT = (
    "admin@example.com",
    "ana@example.com",
    "ben@example.com",
    "cat@example.com",
)
SERIES_START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # Mondays 09:00 London (= UTC in winter)
# Fast retries: the backoff logic is the same, its pauses are milliseconds.
FAST = ClientConfig(
    timeout_s=10, max_attempts=3, backoff_base_s=0.01, backoff_cap_s=0.05, threads=2
)


def when(moment: datetime, zone: str = "UTC") -> dict[str, object]:
    """An EventDateTime."""
    return {"dateTime": moment.isoformat(), "timeZone": zone}


def meeting(
    event_id: str,
    start: datetime,
    minutes: int = 30,
    *,
    organizer: str = BEN,
    guests: tuple[str, ...] = (ANA, BEN, CAT),
    owner: str = ANA,
    **extra: object,
) -> dict[str, object]:
    """A single meeting as the Event resource holds it in `owner`'s calendar."""
    return {
        "id": event_id,
        "summary": f"Meeting {event_id}",
        "start": when(start),
        "end": when(start + timedelta(minutes=minutes)),
        "organizer": {"email": organizer, **({"self": True} if organizer == owner else {})},
        "attendees": [
            {"email": g, "responseStatus": "accepted", **({"self": True} if g == owner else {})}
            for g in guests
        ],
        "hangoutLink": "https://meet.google.com/abc-defg-hij",
        **extra,
    }


def weekly(event_id: str, start: datetime, count: int, owner: str = ANA) -> dict[str, object]:
    """A weekly series master in London time."""
    body = meeting(event_id, start, guests=(ANA, BEN), organizer=owner, owner=owner)
    body["start"] = when(start, "Europe/London")
    body["end"] = when(start + timedelta(minutes=30), "Europe/London")
    body["recurrence"] = [f"RRULE:FREQ=WEEKLY;COUNT={count}"]
    body["summary"] = "Weekly"
    return body


def workspace() -> GoogleEmulator:
    """The emulated organisation described in the module docstring."""
    emulator = GoogleEmulator(session_key())
    emulator.add_user(ADMIN, "Ada Admin", is_admin=True, timezone="Europe/London")
    emulator.add_user(ANA, "Ana Alves", timezone="Europe/London", manager=BEN)
    emulator.add_user(BEN, "Ben Brandt", timezone="Europe/Berlin")
    emulator.add_user(
        CAT, "Cat Chen", timezone="America/New_York", aliases=("catherine@example.com",)
    )
    emulator.add_group("eng@example.com", "Engineering", (ANA, BEN))
    emulator.put_event(ANA, meeting("video1", datetime(2026, 11, 24, 10, 0, tzinfo=UTC)))
    emulator.put_event(ANA, weekly("weekly1", SERIES_START, 8))
    return emulator


def account_for(url: str, admin: str = ADMIN) -> GoogleAccount:
    """The install for the emulator at `url` (its token endpoint, its API URL)."""
    return GoogleAccount(session_key().info(f"{url}/token"), admin, api_url=url)


def calendar_of(
    account: GoogleAccount, owner: str = ANA, zone: str = "Europe/London"
) -> CalendarRef:
    """A person's calendar as the pipeline hands it to the connector."""
    return CalendarRef(owner=owner, source=account.dump(), default_timezone=zone)


def fast_connector(page_size: int = 500, limits: RateLimits | None = None) -> GoogleConnector:
    """A connector with millisecond backoff (and optionally tight rate limits)."""
    config = FAST if limits is None else dataclasses.replace(FAST, limits=limits)
    return GoogleConnector(GoogleApi(config), SyncConfig(page_size=page_size))


@pytest.fixture
def google() -> Iterator[GoogleEmulator]:
    """The emulated workspace, served on loopback (its URL in `google.base_url`)."""
    emulator = workspace()
    with running_emulator(emulator):
        yield emulator


@pytest.fixture
def google_account(google: GoogleEmulator) -> GoogleAccount:
    """The install pointing at the running emulator."""
    return account_for(google.base_url)


PUBLIC = "https://rapport.example.com/webhooks/google"
LIMIT_S = 60


@dataclass
class Setup:
    """A tenant with a Google install over the emulator, and the runtime."""

    rt: Runtime
    tenant_id: int
    google: GoogleEmulator
    secret_key: str


@pytest.fixture
async def google_setup(database: Database, tenant_id: int, tmp_path: Path) -> AsyncIterator[Setup]:
    """A tenant with the emulated workspace installed (no directory round yet), its runtime."""
    emulator = workspace()
    emulator.clock = NOW.timestamp  # channel expirations on the tests' clock
    secret_key = new_key()
    with running_emulator(emulator) as url:
        connector = GoogleConnector(GoogleApi(FAST), SyncConfig(), PushConfig(address=PUBLIC))
        rt = Runtime(
            db=database,
            mailer=MaildirOutbox(tmp_path / "outbox"),
            renderer=EmailRenderer(),
            mail=MAIL,
            reports_dir=tmp_path / "reports",
            clock=fixed_clock(NOW),
            connectors={"google": connector},
            secrets=SecretBox([secret_key.encode()]),
        )
        await save_google_install(rt, tenant_id, ADMIN, account_for(url).dump())
        try:
            async with asyncio.timeout(LIMIT_S):
                yield Setup(rt, tenant_id, emulator, secret_key)
        finally:
            connector.close()


async def installed(setup: Setup) -> None:
    """A directory round, then every calendar synced once."""
    found = await directory_round(setup.rt, setup.tenant_id)
    assert found is not None
    assert found.error is None
    round_ = await sync_tenant(setup.rt, setup.tenant_id)
    assert round_.ok, round_.needs_attention


async def copies(setup: Setup, email: str) -> list[tuple[int, str, datetime, datetime, str]]:
    """(meeting id, uid, original start, start, status) of the person's copies."""
    async with setup.rt.db.session() as session:
        person = await PeopleRepository(session, setup.tenant_id).by_email(email)
        assert person is not None
        rows = await session.execute(
            select(
                MeetingRecord.id,
                MeetingRecord.ical_uid,
                MeetingRecord.original_start,
                MeetingCopy.start,
                MeetingCopy.status,
            )
            .join(MeetingCopy, MeetingCopy.meeting_id == MeetingRecord.id)
            .where(MeetingCopy.person_id == person.id)
            .order_by(MeetingRecord.original_start, MeetingRecord.ical_uid)
        )
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]
