"""The people's page: what it shows, each form, CSRF, and links that are not this person's."""

from __future__ import annotations

from datetime import UTC, datetime
from html import unescape

import httpx
import pytest

from service.email.addressing import LinkPurpose
from service.storage import NudgeRepository, PeopleRepository, PersonRow
from tests.service.api.conftest import BASE, NASTY, World, csrf, other_signer_url


async def _person(world: World, person_id: int | None = None) -> PersonRow:
    async with world.rt.db.session() as session:
        found = await PeopleRepository(session, world.tenant_id).get(person_id or world.ana)
    assert found is not None
    return found


async def _submit(
    client: httpx.AsyncClient, world: World, form: str, **fields: str | list[str]
) -> httpx.Response:
    path = world.path(LinkPurpose.PREFERENCES)
    page = await client.get(path)
    body = {"form": form, "csrf": csrf(page.text, form), **fields}
    return await client.post(path, data=body)


async def test_show_preferences_recent_nudges_escaped_private_hidden(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.get(world.path(LinkPurpose.PREFERENCES))
    assert response.status_code == 200
    html = response.text
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert unescape(html).count(NASTY) == 1
    assert "Hi Ana &lt;Silva&gt;" in html
    # "Busy" and a sensitive keyword both read as a private meeting.
    assert html.count("A private meeting") == 2
    assert "Medical" not in html
    assert "Sent because you accepted a video meeting." in html


async def test_save_kinds_opts_out_and_cancels_planned(
    client: httpx.AsyncClient, world: World
) -> None:
    kept = ["switch_to_video", "social_minute", "one_on_one"]
    response = await _submit(client, world, "kinds", kind=kept)
    assert response.status_code == 303
    assert response.headers["location"].endswith("?saved=kinds")
    ana = await _person(world)
    assert (ana.opted_out, ana.opted_out_kinds) == (False, ("camera_on",))
    async with world.rt.db.session() as session:
        planned = await NudgeRepository(session, world.tenant_id).get(world.planned)
    assert planned is not None
    assert planned.state == "cancelled"
    page = await client.get(response.headers["location"])
    assert "Saved: the notes you get." in page.text


async def test_save_kinds_send_nothing(client: httpx.AsyncClient, world: World) -> None:
    await _submit(client, world, "kinds", kind=["camera_on"], nothing="1")
    assert (await _person(world)).opted_out


async def test_save_delivery_zone_hours_mode(client: httpx.AsyncClient, world: World) -> None:
    response = await _submit(
        client, world, "delivery", timezone="Asia/Kolkata", mode="daily_briefing",
        start="09:00", end="17:30",
    )  # fmt: skip
    assert response.headers["location"].endswith("?saved=delivery")
    ana = await _person(world)
    assert ana.timezone == "Asia/Kolkata"
    assert ana.delivery_mode == "daily_briefing"
    assert ana.working_hours == {"start": "09:00", "end": "17:30"}
    back = await _submit(client, world, "delivery", timezone="Asia/Kolkata", mode="", org_hours="1")
    assert back.status_code == 303
    ana = await _person(world)
    assert (ana.delivery_mode, ana.working_hours) == (None, None)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"timezone": "Mars/Olympus", "org_hours": "1"}, "zone"),
        ({"timezone": "UTC", "start": "18:00", "end": "09:00"}, "hours"),
        ({"timezone": "UTC", "start": "", "end": ""}, "hours"),
        ({"timezone": "UTC", "mode": "hourly", "org_hours": "1"}, "hours"),
    ],
)
async def test_save_delivery_invalid_changes_nothing(
    client: httpx.AsyncClient, world: World, fields: dict[str, str], error: str
) -> None:
    response = await _submit(client, world, "delivery", **fields)
    assert response.headers["location"].endswith(f"?error={error}")
    assert (await _person(world)).timezone == "Europe/London"
    page = await client.get(response.headers["location"])
    assert 'role="alert"' in page.text
    assert "Mars" not in page.text.split("<select")[0]


async def test_save_snooze_and_stop(client: httpx.AsyncClient, world: World) -> None:
    response = await _submit(client, world, "snooze", until="2026-12-10", action="snooze")
    assert response.headers["location"].endswith("?saved=snooze")
    until = (await _person(world)).snoozed_until
    assert until == datetime(2026, 12, 10, 0, 0, tzinfo=UTC)  # London is on UTC in December
    async with world.rt.db.session() as session:
        planned = await NudgeRepository(session, world.tenant_id).get(world.planned)
    assert planned is not None
    assert planned.state == "cancelled"
    await _submit(client, world, "snooze", action="stop")
    assert (await _person(world)).snoozed_until is None
    past = await _submit(client, world, "snooze", until="2020-01-01", action="snooze")
    assert past.headers["location"].endswith("?error=date")


async def test_mute_contact_not_shown_back(client: httpx.AsyncClient, world: World) -> None:
    response = await _submit(client, world, "mute", email="Ben@Example.com")
    assert response.headers["location"].endswith("?saved=mute")
    assert (await _person(world)).muted_contacts == ("ben@example.com",)
    page = await client.get(world.path(LinkPurpose.PREFERENCES))
    assert "ben@example.com" not in page.text
    assert "muted 1 person" in page.text
    bad = await _submit(client, world, "mute", email="not an address")
    assert bad.headers["location"].endswith("?error=email")


async def test_send_private_link_to_own_address_only(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await _submit(client, world, "private-link")
    assert response.headers["location"].endswith("?saved=link")
    (message,) = world.messages()
    assert message["To"] == "ana@example.com"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    (url,) = [w for w in text.split() if w.startswith(f"{BASE}/private/")]
    private = await client.get(url.removeprefix(BASE))
    assert private.status_code == 200
    for _ in range(2):
        await _submit(client, world, "private-link")
    limited = await _submit(client, world, "private-link")
    assert limited.headers["location"].endswith("?error=limit")
    assert len(world.messages()) == 3


@pytest.mark.parametrize(
    "token",
    ["", "123.abc", "99999999999.AAAAAAAAAAAAAAAAAAAAAA"],
)
async def test_save_preferences_bad_csrf_403(
    client: httpx.AsyncClient, world: World, token: str
) -> None:
    path = world.path(LinkPurpose.PREFERENCES)
    response = await client.post(path, data={"form": "mute", "csrf": token, "email": "x@y.z"})
    assert response.status_code == 403
    assert (await _person(world)).muted_contacts == ()


async def test_save_preferences_csrf_of_other_form_or_person_403(
    client: httpx.AsyncClient, world: World
) -> None:
    mine = (await client.get(world.path(LinkPurpose.PREFERENCES))).text
    bens = (await client.get(world.path(LinkPurpose.PREFERENCES, world.ben))).text
    path = world.path(LinkPurpose.PREFERENCES)
    for token in (csrf(mine, "kinds"), csrf(bens, "mute")):
        response = await client.post(path, data={"form": "mute", "csrf": token, "email": "x@y.z"})
        assert response.status_code == 403


async def test_save_preferences_cross_site_origin_403(
    client: httpx.AsyncClient, world: World
) -> None:
    path = world.path(LinkPurpose.PREFERENCES)
    page = await client.get(path)
    body = {"form": "mute", "csrf": csrf(page.text, "mute"), "email": "x@y.z"}
    response = await client.post(path, data=body, headers={"origin": "https://evil.example"})
    assert response.status_code == 403
    same = await client.post(path, data=body, headers={"origin": BASE})
    assert same.status_code == 303


async def test_show_preferences_each_link_opens_its_own_person(
    client: httpx.AsyncClient, world: World
) -> None:
    bens = await client.get(world.path(LinkPurpose.PREFERENCES, world.ben))
    assert "Hi Ben." in bens.text
    assert "Rapport hasn" in bens.text  # Ben was sent nothing: none of Ana's history


@pytest.mark.parametrize(
    "make",
    [
        lambda w: other_signer_url(w, LinkPurpose.PREFERENCES),
        lambda w: w.path(LinkPurpose.UNSUBSCRIBE).replace("/unsubscribe/", "/preferences/"),
        lambda w: w.path(LinkPurpose.PREFERENCES).replace(f".{w.ana}.", f".{w.ben}.", 1),
        lambda w: w.path(LinkPurpose.PREFERENCES).replace(
            f"{w.tenant_id}.", f"{w.tenant_id + 1}.", 1
        ),
    ],
    ids=["forged", "other-purpose", "other-person", "other-tenant"],
)
async def test_show_preferences_bad_link_plain_404(
    client: httpx.AsyncClient, world: World, make: object
) -> None:
    assert callable(make)
    response = await client.get(make(world))
    assert response.status_code == 404
    assert response.text == (await client.get("/preferences/x")).text
