"""One-click unsubscribe (RFC 8058): POST acts, with no cookie or sign-in; GET asks to confirm.

The link reads nothing back: neither page shows who the person is or what they chose before.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from service.api.deps import RuntimeDep, UnsubscribeLink
from service.api.pages import page
from service.pipeline.preferences import load_person, unsubscribe

router = APIRouter(tags=["unsubscribe"])


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
async def confirm_unsubscribe(
    request: Request, link: UnsubscribeLink, rt: RuntimeDep
) -> HTMLResponse:
    """A page with one button that sends the one-click POST."""
    await load_person(rt, link.tenant_id, link.person_id)
    return page(request, "unsubscribe.html", title="Unsubscribe", done=False)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
async def one_click_unsubscribe(
    request: Request, link: UnsubscribeLink, rt: RuntimeDep
) -> HTMLResponse:
    """Unsubscribe (idempotent): every send after this one is off."""
    await unsubscribe(rt, link.tenant_id, link.person_id)
    return page(request, "unsubscribe.html", title="Unsubscribed", done=True)
