"""The fresh one-hour link: muted lists, unmute, export and delete; nothing else opens it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx

from service.api import create_app
from service.email.addressing import LinkPurpose
from service.runtime import fixed_clock
from service.storage import PeopleRepository
from service.storage.repositories.preferences import PreferencesRepository
from tests.service.api.conftest import BASE, NOW, World, csrf, settings_for


async def _mute(world: World) -> None:
    async with world.rt.db.transaction() as session:
        choices = PreferencesRepository(session, world.tenant_id)
        await choices.set_muted_contacts(world.ana, ["ben@example.com", "cat@example.com"])
        await choices.set_muted_series(world.ana, ["weekly"])


async def test_private_shows_lists_and_unmutes(client: httpx.AsyncClient, world: World) -> None:
    await _mute(world)
    path = world.path(LinkPurpose.PRIVATE)
    page = await client.get(path)
    assert "ben@example.com" in page.text
    assert "1 meeting" in page.text
    body = {"form": "unmute", "csrf": csrf(page.text, "unmute"), "email": ["ben@example.com"]}
    assert (await client.post(path, data=body)).status_code == 303
    page = await client.get(path)
    body = {"form": "unmute-meetings", "csrf": csrf(page.text, "unmute-meetings")}
    assert (await client.post(path, data=body)).status_code == 303
    async with world.rt.db.session() as session:
        ana = await PeopleRepository(session, world.tenant_id).get(world.ana)
    assert ana is not None
    assert (ana.muted_contacts, ana.muted_series) == (("cat@example.com",), ())


async def test_private_export_json(client: httpx.AsyncClient, world: World) -> None:
    path = world.path(LinkPurpose.PRIVATE)
    page = await client.get(path)
    response = await client.post(path, data={"form": "export", "csrf": csrf(page.text, "export")})
    assert response.headers["content-disposition"].startswith("attachment")
    data = json.loads(response.text)
    assert data["email"] == "ana@example.com"
    assert len(data["nudges"]) == 3
    assert "unsubscribe_token" not in response.text


async def test_private_delete_needs_confirmation(client: httpx.AsyncClient, world: World) -> None:
    path = world.path(LinkPurpose.PRIVATE)
    token = csrf((await client.get(path)).text, "delete")
    unconfirmed = await client.post(path, data={"form": "delete", "csrf": token})
    assert unconfirmed.status_code == 303
    deleted = await client.post(path, data={"form": "delete", "csrf": token, "confirm": "1"})
    assert deleted.status_code == 200
    async with world.rt.db.session() as session:
        assert await PeopleRepository(session, world.tenant_id).get(world.ana) is None
    assert (await client.get(path)).status_code == 404


async def test_private_needs_the_fresh_link(client: httpx.AsyncClient, world: World) -> None:
    await _mute(world)
    preferences = world.path(LinkPurpose.PREFERENCES).replace("/preferences/", "/private/")
    response = await client.get(preferences)
    assert response.status_code == 404
    assert "ben@example.com" not in response.text


async def test_private_link_expires_after_an_hour(world: World, tmp_path: Path) -> None:
    later = replace(world.rt, clock=fixed_clock(NOW + timedelta(hours=1, minutes=1)))
    app = create_app(settings_for(tmp_path), later)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        assert (await http.get(world.path(LinkPurpose.PRIVATE))).status_code == 404
        assert (await http.get(world.path(LinkPurpose.PREFERENCES))).status_code == 200
