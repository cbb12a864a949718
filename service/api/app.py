"""The FastAPI app: people's pages reached from signed links, health checks; no accounts.

`create_app(settings, runtime)` uses a given runtime as it is (tests, `rapport serve` sharing
one with its scheduler); without one, the lifespan opens the runtime from the settings and
closes it on the way out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from fastapi import FastAPI

from service.api import errors, webhooks
from service.api.routes import feedback, health, preferences, private, snooze, static, unsubscribe
from service.api.security import BodyLimit, SecurityHeaders, SendLimiter, check_base_url
from service.config import Settings
from service.runtime import Runtime
from workers.context import open_runtime

ROUTERS = (health, unsubscribe, preferences, snooze, feedback, private, static)


def create_app(settings: Settings, runtime: Runtime | None = None) -> FastAPI:
    """Build the app; `BaseUrlError` when `RAPPORT_BASE_URL` is public but not https."""
    check_base_url(settings.base_url)
    if runtime is not None:
        check_base_url(runtime.mail.base_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if runtime is not None:
            app.state.runtime = runtime
            yield
            return
        async with open_runtime(settings) as opened:
            app.state.runtime = opened
            yield

    app = FastAPI(
        title="Rapport",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    base_url = runtime.mail.base_url if runtime is not None else settings.base_url
    app.state.base_path = urlsplit(base_url).path.rstrip("/")
    app.state.send_limiter = SendLimiter()
    if runtime is not None:
        app.state.runtime = runtime
    errors.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
    app.include_router(webhooks.router)  # Google push notifications
    # Outermost first: every answer gets the headers, even a 413.
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)
    return app
