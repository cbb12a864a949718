"""A small world for the API tests: a tenant of two people, sent nudges, the real app over it.

Everything is real: the database (SQLite and PostgreSQL), the runtime, the Maildir outbox and
the app, reached through `httpx.ASGITransport`. Links are made the way emails make them.
"""

from __future__ import annotations

import mailbox
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from service.api import create_app
from service.config import Settings
from service.domain.model import Classification, Modality
from service.domain.vocabulary import NudgeKind
from service.email import MaildirOutbox
from service.email.addressing import (
    LinkPurpose,
    LinkSigner,
    MailConfig,
    feedback_links,
    link_for,
)
from service.runtime import Runtime
from service.storage import (
    Database,
    MeetingRepository,
    NudgeRepository,
    PeopleRepository,
    PersonIn,
)
from tests.fixtures.pipeline import runtime
from tests.fixtures.storage_builders import meeting, plan

BASE = "https://rapport.example.com"
NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
ANA, BEN = "ana@example.com", "ben@example.com"
VIDEO = Classification(Modality.VIDEO, provider="zoom", one_on_one=False)
NASTY = '<script>alert("x")</script> & "Q1"'


@dataclass(frozen=True)
class World:
    """The test tenant: its people, their sent nudges (by kind) and a planned one of Ana's."""

    rt: Runtime
    tenant_id: int
    ana: int
    ben: int
    sent: dict[str, int]
    planned: int
    outbox: Path

    def url(self, purpose: LinkPurpose, person: int | None = None) -> str:
        """A person's link (Ana's by default), made as emails make them."""
        return link_for(self.rt.mail, purpose, self.tenant_id, person or self.ana, NOW)

    def path(self, purpose: LinkPurpose, person: int | None = None) -> str:
        """The link's path (what the client asks for)."""
        return self.url(purpose, person).removeprefix(BASE)

    def feedback(self, nudge: int, verdict: str, person: int | None = None) -> str:
        """The path of a feedback link of one nudge."""
        links = feedback_links(self.rt.mail, self.tenant_id, person or self.ana, nudge, NOW)
        url = {
            "helpful": links.helpful_url,
            "not-for-me": links.not_for_me_url,
            "not-for-this-meeting": links.not_for_this_meeting_url,
        }[verdict]
        return url.removeprefix(BASE)

    def messages(self) -> list[EmailMessage]:
        """The emails in the outbox."""
        box = mailbox.Maildir(self.outbox, create=False)
        found = []
        for key in sorted(box.keys()):
            parsed = message_from_bytes(box.get_bytes(key), policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            found.append(parsed)
        return found


async def _store(database: Database, tenant_id: int) -> tuple[dict[str, int], dict[str, int], int]:
    start = NOW - timedelta(days=2)
    meetings_in = [
        (meeting("video", ANA, [ANA, BEN], start=start, title=NASTY, series_id="weekly"), VIDEO),
        (meeting("hidden", ANA, [ANA, BEN], start=start + timedelta(hours=2), title="Busy"), VIDEO),
        (meeting("medical", ANA, [ANA, BEN], start=start + timedelta(hours=4),
                 title="Medical appointment"), VIDEO),
        (meeting("later", ANA, [ANA, BEN], start=NOW + timedelta(days=1)), VIDEO),
    ]  # fmt: skip
    async with database.transaction() as session:
        people = await PeopleRepository(session, tenant_id).upsert_many(
            [PersonIn(ANA, "Ana <Silva>", "Europe/London"), PersonIn(BEN, "Ben", "Europe/London")]
        )
        ids = await MeetingRepository(session, tenant_id).upsert_many(
            meetings_in, people[ANA], people
        )
        by_uid = {uid: meeting_id for (uid, _), meeting_id in ids.items()}
        nudges = NudgeRepository(session, tenant_id)
        rows = await nudges.plan_many(
            [
                plan(by_uid["video"], ANA, NudgeKind.CAMERA_ON, due_at=start),
                plan(by_uid["hidden"], ANA, NudgeKind.CAMERA_ON, due_at=start),
                plan(by_uid["medical"], ANA, NudgeKind.ONE_ON_ONE, due_at=start),
                plan(by_uid["later"], ANA, NudgeKind.CAMERA_ON, due_at=NOW + timedelta(hours=20)),
            ]
        )
        sent: dict[str, int] = {}
        planned = 0
        for row in rows:
            if row.meeting_id == by_uid["later"]:
                planned = row.id
                continue
            assert await nudges.claim(row.id)
            await nudges.mark_sent(row.id, f"<n{row.id}@example.com>", start)
            uid = next(u for u, m in by_uid.items() if m == row.meeting_id)
            sent[uid] = row.id
    return people, sent, planned


@pytest.fixture
async def world(database: Database, tenant_id: int, tmp_path: Path) -> World:
    """Ana and Ben, three nudges sent to Ana (one about a nasty title) and one planned."""
    outbox = tmp_path / "outbox"
    rt = runtime(database, MaildirOutbox(outbox), tmp_path, NOW)
    people, sent, planned = await _store(database, tenant_id)
    return World(rt, tenant_id, people[ANA], people[BEN], sent, planned, outbox)


def settings_for(tmp_path: Path, base_url: str = BASE) -> Settings:
    """Settings of a test app (its data dir in the test's folder)."""
    return Settings(base_url=base_url, data_dir=tmp_path / "data")


@pytest.fixture
async def client(world: World, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The real app on the world's runtime, through ASGITransport."""
    app = create_app(settings_for(tmp_path), world.rt)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        yield http


def csrf(html: str, form: str | None = None) -> str:
    """The CSRF token of a form on a page (of the named form, when a page has several)."""
    if form is None:
        match = re.search(r'name="csrf" value="([^"]+)"', html)
    else:
        match = re.search(
            rf'name="form" value="{re.escape(form)}"><input type="hidden" name="csrf" '
            r'value="([^"]+)"',
            html,
        )
    assert match is not None, f"no csrf token for {form!r}"
    return match.group(1)


def other_signer_url(world: World, purpose: LinkPurpose) -> str:
    """The path of a link signed with another installation's key (a forgery)."""
    other = MailConfig("Rapport <r@example.com>", "example.com", BASE, LinkSigner.ephemeral())
    return link_for(other, purpose, world.tenant_id, world.ana, NOW).removeprefix(BASE)
