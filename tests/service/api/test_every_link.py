"""Every link works (issue 10, item 6): the demo's emails, followed one by one against the app.

The demo runs into a data dir; the app starts on the same data dir and base URL; every link of
every email that points at Rapport answers 2xx (or redirects to a page that does). Then people
act through those links, and the next days' runs are compared with the same runs on an
untouched copy of the data dir: each action changes what the next run sends. The calendar
compose links of the weekly reports propose a time inside both people's working hours.
"""

from __future__ import annotations

import io
import mailbox
import os
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from rich.console import Console

from service.api import create_app
from service.cli.demo import run_demo
from service.config import Settings
from service.domain.policy import Policy
from service.email.links import GOOGLE_COMPOSE, OUTLOOK_COMPOSE
from service.pipeline.delivery import deliver_due
from service.pipeline.planning import plan_upcoming
from service.pipeline.weekly_reports import send_weekly_reports
from service.runtime import fixed_clock
from service.sample.organisation import TENANT_SLUG
from service.storage import (
    FeedbackRepository,
    MeetingRepository,
    NudgeRepository,
    PeopleRepository,
    PolicyRepository,
    TenantRepository,
)
from workers.context import open_runtime

BASE = "http://127.0.0.1:8000"
NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # a Tuesday morning
WITHOUT_BACK_OFF = {
    "min_gap_minutes": 0,
    "kinds": {
        kind: {"series_cap_days": 0, "backoff_weeks": [0], "max_unanswered": 0, "daily_cap": 3}
        for kind in ("camera_on", "switch_to_video", "social_minute", "one_on_one")
    },
}
NUDGE_ID = re.compile(r"<rapport\.(nudge|briefing)\.(\d+)\.\d+@")
URL = re.compile(r"https?://[^\s<>\"']+")
PURPOSES = ("unsubscribe", "preferences", "snooze", "feedback")


@dataclass(frozen=True)
class Mail:
    """One email of the outbox: to whom, its nudge (if it is one), its links."""

    to: str
    message_id: str
    text: str
    links: frozenset[str]

    @property
    def nudge_id(self) -> int | None:
        match = NUDGE_ID.match(self.message_id)
        return int(match.group(2)) if match and match.group(1) == "nudge" else None

    @property
    def kind(self) -> str:
        match = NUDGE_ID.match(self.message_id)
        return match.group(1) if match else "other"

    def link(self, prefix: str, suffix: str = "") -> str:
        """The one link of this email whose path starts with `prefix` (and ends with `suffix`)."""
        (found,) = [
            u for u in self.links if urlsplit(u).path.startswith(prefix) and u.endswith(suffix)
        ]
        return found


def _links(message: EmailMessage) -> frozenset[str]:
    found: set[str] = set()
    for header in ("List-Unsubscribe", "List-Help"):
        found.update(re.findall(r"<([^>]+)>", str(message.get(header, ""))))
    for part in message.walk():
        if part.get_content_maintype() != "text":
            continue
        body = part.get_content()
        if part.get_content_subtype() == "html":
            found.update(unescape(h) for h in re.findall(r'href="([^"]+)"', body))
        else:
            found.update(URL.findall(body))
    return frozenset(found)


def outbox(data: Path) -> dict[str, Mail]:
    """Every email in a data dir's outbox, by Maildir key."""
    box = mailbox.Maildir(data / "outbox", create=False)
    mails = {}
    for key in box.iterkeys():
        message = message_from_bytes(box.get_bytes(key), policy=policy.default)
        assert isinstance(message, EmailMessage)
        text = message.get_body(("plain",))
        assert text is not None
        mails[key] = Mail(
            str(message["To"]), str(message["Message-ID"]), text.get_content(), _links(message)
        )
    return mails


def settings_for(data: Path) -> Settings:
    """The settings of one installation: its data dir, served at BASE (a loopback address)."""
    return Settings(data_dir=data, base_url=BASE, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No RAPPORT_* variable of the machine running the tests leaks into the installation."""
    for name in [n for n in os.environ if n.startswith("RAPPORT_")]:
        monkeypatch.delenv(name)


async def _tenant(settings: Settings) -> int:
    async with open_runtime(settings) as rt, rt.db.session() as session:
        tenant = await TenantRepository(session).by_slug(TENANT_SLUG)
    assert tenant is not None
    return tenant.id


async def run_day(settings: Settings, tenant_id: int, day: int) -> list[Mail]:
    """The next run `day` days after NOW: plan and deliver that day; the new emails."""
    before = set(outbox(settings.data_dir))
    now = NOW + timedelta(days=day)
    async with open_runtime(settings, clock=fixed_clock(now)) as rt:
        await plan_upcoming(rt, tenant_id, now + timedelta(days=1))
        await deliver_due(rt, tenant_id, now + timedelta(days=1))
    return [mail for key, mail in outbox(settings.data_dir).items() if key not in before]


@asynccontextmanager
async def app_client(settings: Settings, day: int = 0) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the installation's data dir, its clock `day` days after NOW."""
    async with open_runtime(settings, clock=fixed_clock(NOW + timedelta(days=day))) as rt:
        app = create_app(settings, rt)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url=BASE, follow_redirects=True
        ) as client:
            yield client


async def _facts(settings: Settings, tenant_id: int, nudge_id: int) -> tuple[str, str | None]:
    """A nudge's kind and its meeting's series (or UID)."""
    async with open_runtime(settings) as rt, rt.db.session() as session:
        nudge = await NudgeRepository(session, tenant_id).get(nudge_id)
        assert nudge is not None
        (meeting,) = await MeetingRepository(session, tenant_id).get_many([nudge.meeting_id])
    return nudge.kind.value, meeting.series_id or meeting.ical_uid


async def _choices(settings: Settings, tenant_id: int) -> list[object]:
    """Everything a link could change: each person's choices and answers."""
    async with open_runtime(settings) as rt, rt.db.session() as session:
        people = [p async for p in PeopleRepository(session, tenant_id).iter_all()]
        answers = FeedbackRepository(session, tenant_id)
        return [
            (p.opted_out, p.opted_out_kinds, p.snoozed_until, p.paused_kinds, p.muted_series,
             p.muted_contacts, p.delivery_mode, p.working_hours, await answers.for_person(p.id))
            for p in people
        ]  # fmt: skip


async def _answer(client: httpx.AsyncClient, url: str, **fields: str) -> httpx.Response:
    """Open a page from a link and press its (first) button."""
    page = await client.get(url)
    assert page.status_code == 200, url
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    body = {**({"csrf": token.group(1)} if token else {}), **fields}
    response = await client.post(url, data=body)
    assert response.status_code == 200, url
    return response


def _check_compose_link(url: str, recipient: str, zones: dict[str, str]) -> None:
    """Invitee, title and a proposed time inside both people's (default) working hours."""
    query = parse_qs(urlsplit(url).query)
    hours = Policy().working_hours
    if url.startswith(GOOGLE_COMPOSE):
        invitee, title = query["add"][0], query["text"][0]
        begin, end = (
            datetime.strptime(t, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            for t in query["dates"][0].split("/")
        )
    else:
        invitee, title = query["to"][0], query["subject"][0]
        begin = datetime.fromisoformat(query["startdt"][0])
        end = datetime.fromisoformat(query["enddt"][0])
    assert "@" in invitee
    assert invitee != recipient
    assert title.startswith("Catch-up with ")
    assert end - begin == timedelta(minutes=30)
    assert begin > NOW
    for person in (recipient, invitee):
        zone = ZoneInfo(zones[person])
        local_begin, local_end = begin.astimezone(zone), end.astimezone(zone)
        assert local_begin.isoweekday() in hours.days, (person, local_begin)
        assert hours.start_time <= local_begin.time(), (person, local_begin)
        assert local_end.time() <= hours.end_time, (person, local_end)
        assert local_end.date() == local_begin.date()


async def test_follow_every_link_of_every_demo_email(tmp_path: Path, clean_env: None) -> None:
    data = tmp_path / "data"
    settings = settings_for(data)
    await run_demo(settings, NOW, Console(file=io.StringIO()))
    mails = list(outbox(data).values())
    tenant_id = await _tenant(settings)
    async with open_runtime(settings) as rt, rt.db.session() as session:
        zones = {p.email: p.timezone async for p in PeopleRepository(session, tenant_id).iter_all()}
    ours = {url for mail in mails for url in mail.links if url.startswith(BASE)}
    seen = {urlsplit(url).path.split("/")[1] for url in ours}
    assert seen == set(PURPOSES)
    compose = [
        (mail.to, url)
        for mail in mails
        for url in mail.links
        if url.startswith((GOOGLE_COMPOSE, OUTLOOK_COMPOSE))
    ]
    assert compose, "the weekly reports should carry catch-up links"
    for recipient, url in compose:
        _check_compose_link(url, recipient, zones)
    before = await _choices(settings, tenant_id)
    async with app_client(settings) as client:
        for url in sorted(ours):
            response = await client.get(url)
            assert response.status_code == 200, url
            assert response.url.host == "127.0.0.1"
    # Opening a link only shows a page: nobody's choices changed, no answer was recorded.
    assert await _choices(settings, tenant_id) == before


async def test_act_through_links_changes_next_runs(tmp_path: Path, clean_env: None) -> None:
    data, untouched = tmp_path / "data", tmp_path / "untouched"
    settings, baseline = settings_for(data), settings_for(untouched)
    await run_demo(settings, NOW, Console(file=io.StringIO()))
    tenant_id = await _tenant(settings)
    # What each link changes shows in the next days' emails: without the back-off, the same
    # series and kinds come back the next day (with it, weeks later).
    async with open_runtime(settings) as rt, rt.db.session() as session:
        await PolicyRepository(session, tenant_id).save(None, WITHOUT_BACK_OFF, "test")
        await session.commit()
    shutil.copytree(data, untouched)
    first = [m for m in outbox(data).values() if m.nudge_id is not None]
    plain_day1 = await run_day(baseline, tenant_id, 1)
    nudged_day1 = {m.to for m in plain_day1}
    facts = {m.nudge_id: await _facts(settings, tenant_id, m.nudge_id) for m in first if m.nudge_id}
    day1_facts = {
        m.nudge_id: await _facts(baseline, tenant_id, m.nudge_id) for m in plain_day1 if m.nudge_id
    }

    # Who does what: four different people, each with something the next run would send them.
    chosen: dict[str, Mail] = {}

    def pick(role: str, fits: object) -> Mail:
        assert callable(fits)
        taken = {m.to for m in chosen.values()}
        for mail in sorted(first, key=lambda m: (m.to, m.message_id)):
            if mail.to not in taken and fits(mail):
                chosen[role] = mail
                return mail
        raise AssertionError(f"the demo has nobody to {role}")

    def again(mail: Mail) -> bool:
        assert mail.nudge_id is not None
        kind, _ = facts[mail.nudge_id]
        return any(
            m.to == mail.to and m.nudge_id and day1_facts[m.nudge_id][0] == kind for m in plain_day1
        )

    def same_meeting(mail: Mail) -> bool:
        assert mail.nudge_id is not None
        _, series = facts[mail.nudge_id]
        return any(
            m.to == mail.to and m.nudge_id and day1_facts[m.nudge_id][1] == series
            for m in plain_day1
        )

    paused = pick("pause", again)
    muted = pick("mute", same_meeting)
    gone = pick("unsubscribe", lambda m: m.to in nudged_day1)
    snoozed = pick("snooze", lambda m: m.to in nudged_day1)

    async with app_client(settings) as client:
        # RFC 8058: the List-Unsubscribe URL, POSTed as a mail provider does.
        unsubscribe = gone.link("/unsubscribe/")
        response = await client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        await _answer(client, snoozed.link("/snooze/"), days="7")
        await _answer(client, muted.link("/feedback/", "/not-for-this-meeting"))
        await _answer(client, paused.link("/feedback/", "/not-for-me"))

    day1 = await run_day(settings, tenant_id, 1)
    assert not [m for m in day1 if m.to in (gone.to, snoozed.to)]
    assert muted.nudge_id is not None
    muted_series = facts[muted.nudge_id][1]
    assert not [
        m
        for m in day1
        if m.to == muted.to
        and m.nudge_id
        and day1_facts.get(m.nudge_id, ("", ""))[1] == muted_series
    ]
    # The second "not for me" on the same kind, from the next day's email: the kind pauses.
    assert paused.nudge_id is not None
    kind = facts[paused.nudge_id][0]
    (second,) = [
        m for m in day1 if m.to == paused.to and m.nudge_id and day1_facts[m.nudge_id][0] == kind
    ][:1]
    async with app_client(settings, day=1) as client:
        done = await _answer(client, second.link("/feedback/", "/not-for-me"))
        assert "paused until" in unescape(done.text)

    later = [m for day in (2, 3, 6) for m in await run_day(settings, tenant_id, day)]
    kinds_later = {
        m.nudge_id: (await _facts(settings, tenant_id, m.nudge_id))[0]
        for m in later
        if m.to == paused.to and m.nudge_id
    }
    assert kind not in kinds_later.values()
    assert not [m for m in later if m.to == gone.to]
    # Every email after the pause says so in its footer, the weekly report too.
    before = set(outbox(data))
    async with open_runtime(settings, clock=fixed_clock(NOW + timedelta(days=6))) as rt:
        await send_weekly_reports(rt, tenant_id, Policy())
    reports = [m for key, m in outbox(data).items() if key not in before]
    assert not [m for m in reports if m.to == gone.to]
    after_pause = [m for m in later + reports if m.to == paused.to]
    assert any(m.kind == "other" for m in after_pause)
    for mail in after_pause:
        assert "twice, so we paused" in " ".join(mail.text.split())
