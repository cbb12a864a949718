"""Feedback links: a GET only asks; the POST records; two "not for me" pause the kind."""

from __future__ import annotations

from html import unescape

import httpx
import pytest

from service.storage import FeedbackRepository, NudgeRepository, PeopleRepository, PersonRow
from tests.service.api.conftest import NOW, World, csrf


async def _ana(world: World) -> PersonRow:
    async with world.rt.db.session() as session:
        found = await PeopleRepository(session, world.tenant_id).get(world.ana)
    assert found is not None
    return found


async def _answer(client: httpx.AsyncClient, path: str) -> httpx.Response:
    page = await client.get(path)
    assert page.status_code == 200
    return await client.post(path, data={"csrf": csrf(page.text)})


async def test_feedback_get_records_nothing(client: httpx.AsyncClient, world: World) -> None:
    page = await client.get(world.feedback(world.sent["video"], "helpful"))
    assert page.status_code == 200
    assert "&lt;script&gt;" in page.text
    assert "<script>" not in page.text
    async with world.rt.db.session() as session:
        assert await FeedbackRepository(session, world.tenant_id).for_person(world.ana) == []


async def test_feedback_private_meeting_title_hidden(
    client: httpx.AsyncClient, world: World
) -> None:
    page = await client.get(world.feedback(world.sent["medical"], "helpful"))
    assert "A private meeting" in page.text
    assert "Medical" not in page.text


async def test_feedback_helpful_recorded_once(client: httpx.AsyncClient, world: World) -> None:
    path = world.feedback(world.sent["video"], "helpful")
    first = await _answer(client, path)
    assert first.status_code == 303
    assert first.headers["location"].endswith("?done=1")
    await _answer(client, path)
    done = await client.get(first.headers["location"])
    assert "Thanks" in done.text
    async with world.rt.db.session() as session:
        given = await FeedbackRepository(session, world.tenant_id).for_person(world.ana)
    assert [(f.nudge_id, f.verdict) for f in given] == [(world.sent["video"], "helpful")]


async def test_feedback_not_for_me_twice_pauses_kind_for_30_days(
    client: httpx.AsyncClient, world: World
) -> None:
    await _answer(client, world.feedback(world.sent["video"], "not-for-me"))
    assert (await _ana(world)).paused_kinds == {}
    # The same nudge again is one answer, not two.
    await _answer(client, world.feedback(world.sent["video"], "not-for-me"))
    assert (await _ana(world)).paused_kinds == {}
    second = await _answer(client, world.feedback(world.sent["hidden"], "not-for-me"))
    ana = await _ana(world)
    assert set(ana.paused_kinds) == {"camera_on"}
    assert ana.paused_kinds["camera_on"].startswith("2026-12-24")
    async with world.rt.db.session() as session:
        planned = await NudgeRepository(session, world.tenant_id).get(world.planned)
    assert planned is not None
    assert planned.state == "cancelled"
    done = unescape((await client.get(second.headers["location"])).text)
    assert "paused until Thu 24 Dec" in done


async def test_feedback_not_for_this_meeting_mutes_series(
    client: httpx.AsyncClient, world: World
) -> None:
    await _answer(client, world.feedback(world.sent["video"], "not-for-this-meeting"))
    await _answer(client, world.feedback(world.sent["hidden"], "not-for-this-meeting"))
    assert (await _ana(world)).muted_series == ("hidden", "weekly")


@pytest.mark.parametrize("verdict", ["great", "not_for_me", ""])
async def test_feedback_unknown_verdict_404(
    client: httpx.AsyncClient, world: World, verdict: str
) -> None:
    path = world.feedback(world.sent["video"], "helpful").rsplit("/", 1)[0] + f"/{verdict}"
    assert (await client.get(path)).status_code == 404


async def test_feedback_other_persons_nudge_404(client: httpx.AsyncClient, world: World) -> None:
    # A genuine link of Ben's naming Ana's nudge: not his, so not found.
    path = world.feedback(world.sent["video"], "not-for-me", person=world.ben)
    assert (await client.get(path)).status_code == 404
    assert (await client.post(path, data={"csrf": "x"})).status_code in (403, 404)


async def test_feedback_tampered_nudge_id_404(client: httpx.AsyncClient, world: World) -> None:
    path = world.feedback(world.sent["video"], "helpful")
    changed = path.replace(f".{world.sent['video']}.", f".{world.sent['hidden']}.", 1)
    assert changed != path
    assert (await client.get(changed)).status_code == 404


async def test_feedback_csrf_required(client: httpx.AsyncClient, world: World) -> None:
    path = world.feedback(world.sent["video"], "helpful")
    other = world.feedback(world.sent["video"], "not-for-me")
    token = csrf((await client.get(other)).text)
    assert (await client.post(path, data={"csrf": token})).status_code == 403
    assert (await client.post(path)).status_code == 403
    assert NOW.year == 2026
