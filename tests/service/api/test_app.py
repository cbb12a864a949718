"""The app: health checks, the https rule for the base URL, headers on every answer, body limits."""

from __future__ import annotations

from dataclasses import replace
from html import unescape
from pathlib import Path

import httpx
import pytest

from service.api import BaseUrlError, create_app
from service.api.security import CSP
from service.email.addressing import LinkPurpose
from service.storage import Database
from tests.service.api.conftest import BASE, World, settings_for


async def test_check_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"


async def test_check_readiness_database_down(world: World, tmp_path: Path) -> None:
    gone = Database.connect(f"sqlite+aiosqlite:///{tmp_path / 'no-such-dir' / 'rapport.db'}")
    app = create_app(settings_for(tmp_path), replace(world.rt, db=gone))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            ready = await http.get("/readyz")
            assert (await http.get("/healthz")).status_code == 200
    finally:
        await gone.dispose()
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "database": "down"}


@pytest.mark.parametrize(
    "url",
    ["http://rapport.example.com", "http://10.0.0.5:8000", "ftp://rapport.example.com", "nope"],
)
def test_refuse_public_http_base_url(tmp_path: Path, url: str) -> None:
    with pytest.raises(BaseUrlError, match="RAPPORT_BASE_URL"):
        create_app(settings_for(tmp_path, url))


@pytest.mark.parametrize(
    "url",
    [
        "https://rapport.example.com",
        "http://localhost:8000",
        "http://127.0.0.1:8000",
        "http://[::1]:8000",
        "http://rapport.localhost",
    ],
)
def test_accept_https_or_loopback_base_url(tmp_path: Path, url: str) -> None:
    assert create_app(settings_for(tmp_path, url)) is not None


@pytest.mark.parametrize("path", ["/healthz", "/no/such/page", "/unsubscribe/forged"])
async def test_send_security_headers_on_every_answer(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.headers["content-security-policy"] == CSP
    assert "frame-ancestors 'none'" in CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"


async def test_serve_stylesheet(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/rapport.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")


async def test_refuse_large_body_413(client: httpx.AsyncClient, world: World) -> None:
    path = world.path(LinkPurpose.PREFERENCES)
    big = await client.post(path, content=b"form=mute&" + b"x" * 17_000)
    assert big.status_code == 413
    assert big.headers["x-content-type-options"] == "nosniff"

    async def stream() -> object:
        for _ in range(20):
            yield b"y" * 1024

    streamed = await client.post(path, content=stream())  # type: ignore[arg-type]
    assert streamed.status_code == 413


async def test_answer_unknown_path_plain_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/wp-admin")
    assert response.status_code == 404
    assert "This link doesn't work" in unescape(response.text)
    assert (await client.post("/healthz")).status_code == 404
