"""The snooze link: quick choices or a date, and stopping; CSRF and bad links."""

from __future__ import annotations

from datetime import timedelta

import httpx

from service.email.addressing import LinkPurpose
from service.storage import PeopleRepository
from tests.service.api.conftest import NOW, World, csrf, other_signer_url


async def _snoozed(world: World) -> object:
    async with world.rt.db.session() as session:
        ana = await PeopleRepository(session, world.tenant_id).get(world.ana)
    assert ana is not None
    return ana.snoozed_until


async def test_snooze_for_a_week_then_stop(client: httpx.AsyncClient, world: World) -> None:
    path = world.path(LinkPurpose.SNOOZE)
    page = await client.get(path)
    assert page.status_code == 200
    response = await client.post(path, data={"csrf": csrf(page.text), "days": "7"})
    assert response.status_code == 303
    assert await _snoozed(world) == NOW + timedelta(days=7)
    shown = await client.get(response.headers["location"])
    assert "Snoozed until Tue 1 Dec" in shown.text
    stop = await client.post(path, data={"csrf": csrf(shown.text), "stop": "1"})
    assert stop.status_code == 303
    assert await _snoozed(world) is None


async def test_snooze_until_a_date(client: httpx.AsyncClient, world: World) -> None:
    path = world.path(LinkPurpose.SNOOZE)
    token = csrf((await client.get(path)).text)
    await client.post(path, data={"csrf": token, "until": "2027-01-04"})
    assert str(await _snoozed(world)) == "2027-01-04 00:00:00+00:00"
    bad = await client.post(path, data={"csrf": token, "until": "yesterday"})
    assert bad.headers["location"].endswith("?error=date")


async def test_snooze_needs_csrf_and_a_good_link(client: httpx.AsyncClient, world: World) -> None:
    path = world.path(LinkPurpose.SNOOZE)
    assert (await client.post(path, data={"days": "7"})).status_code == 403
    forged = other_signer_url(world, LinkPurpose.SNOOZE)
    assert (await client.get(forged)).status_code == 404
    assert await _snoozed(world) is None
