"""One-click unsubscribe (RFC 8058): POST acts without a cookie, idempotent; GET only asks."""

from __future__ import annotations

from html import unescape

import httpx
import pytest

from service.email.addressing import LinkPurpose
from service.storage import NudgeRepository, PeopleRepository
from tests.service.api.conftest import World, other_signer_url


async def _ana(world: World) -> tuple[bool, str]:
    async with world.rt.db.session() as session:
        person = await PeopleRepository(session, world.tenant_id).get(world.ana)
        nudge = await NudgeRepository(session, world.tenant_id).get(world.planned)
    assert person is not None
    assert nudge is not None
    return person.opted_out, nudge.state


async def test_unsubscribe_get_asks_and_changes_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.get(world.path(LinkPurpose.UNSUBSCRIBE))
    assert response.status_code == 200
    assert '<form method="post">' in response.text
    assert 'name="List-Unsubscribe" value="One-Click"' in response.text
    assert await _ana(world) == (False, "planned")


async def test_unsubscribe_one_click_post_idempotent(
    client: httpx.AsyncClient, world: World
) -> None:
    path = world.path(LinkPurpose.UNSUBSCRIBE)
    body = {"List-Unsubscribe": "One-Click"}
    first = await client.post(path, data=body)
    second = await client.post(path, data=body)
    assert (first.status_code, second.status_code) == (200, 200)
    assert "You're unsubscribed" in unescape(first.text)
    # Reads nothing back: not the address, not the name.
    for text in (first.text, second.text):
        assert "ana@example.com" not in text
        assert "Ana" not in unescape(text)
    # Effective for every send after it: the planned nudge is cancelled now, not at re-plan.
    assert await _ana(world) == (True, "cancelled")


async def test_unsubscribe_needs_no_form_body_or_cookie(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.post(world.path(LinkPurpose.UNSUBSCRIBE))
    assert response.status_code == 200
    assert (await _ana(world))[0] is True


@pytest.mark.parametrize(
    "make",
    [
        lambda w: w.path(LinkPurpose.PREFERENCES).replace("/preferences/", "/unsubscribe/"),
        lambda w: other_signer_url(w, LinkPurpose.UNSUBSCRIBE),
        lambda w: w.path(LinkPurpose.UNSUBSCRIBE)[:-3] + "AAA",
        lambda w: "/unsubscribe/" + "1" * 40,
    ],
    ids=["other-purpose", "forged", "tampered", "garbage"],
)
async def test_unsubscribe_bad_link_plain_404(
    client: httpx.AsyncClient, world: World, make: object
) -> None:
    assert callable(make)
    path = make(world)
    got = await client.get(path)
    posted = await client.post(path)
    assert (got.status_code, posted.status_code) == (404, 404)
    reference = await client.get("/unsubscribe/nothing")
    assert got.text == posted.text == reference.text
    assert await _ana(world) == (False, "planned")


async def test_unsubscribe_other_tenant_person_404(
    client: httpx.AsyncClient, world: World, database: object
) -> None:
    from service.email.addressing import link_for
    from tests.service.api.conftest import BASE, NOW

    # A genuine signature for a tenant that does not hold this person.
    url = link_for(world.rt.mail, LinkPurpose.UNSUBSCRIBE, world.tenant_id + 1000, world.ana, NOW)
    response = await client.post(url.removeprefix(BASE))
    assert response.status_code == 404
    assert await _ana(world) == (False, "planned")
