"""The fresh one-hour link mailed to a person's own address: their lists, an export, erasure.

A forwarded email's links cannot reach this page: only the preferences page can ask for it, and
the link goes to the person's own address.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.api.deps import PrivateLink, RuntimeDep
from service.api.pages import page
from service.api.security import first, form_token, read_page_form
from service.pipeline import preferences as prefs

router = APIRouter(tags=["private"])
FORMS = ("unmute", "unmute-meetings", "export", "delete")
SAVED = {
    "unmute": "Unmuted.",
    "unmute-meetings": "You'll hear about those meetings again.",
}


@router.get("/private/{token}", response_class=HTMLResponse)
async def show_private(
    request: Request, token: str, link: PrivateLink, rt: RuntimeDep
) -> HTMLResponse:
    """The muted lists, with ways to change them, download the data or delete it."""
    person = await prefs.load_person(rt, link.tenant_id, link.person_id)
    now = rt.now()
    return page(
        request,
        "private.html",
        title="Your lists and data",
        saved=SAVED.get(request.query_params.get("saved", "")),
        muted=list(person.muted_contacts),
        muted_meetings=len(person.muted_series),
        tokens={form: form_token(rt.mail.links, token, form, now) for form in FORMS},
    )


@router.post("/private/{token}", response_model=None)
async def change_private(
    request: Request, token: str, link: PrivateLink, rt: RuntimeDep
) -> Response:
    """Unmute, export (a JSON download) or delete (after a ticked confirmation)."""
    form, fields = await read_page_form(request, rt, token, FORMS)
    tenant, person = link.tenant_id, link.person_id
    if form == "unmute":
        await prefs.mute_contacts(rt, tenant, person, [], fields.get("email", []))
    elif form == "unmute-meetings":
        await prefs.unmute_meetings(rt, tenant, person)
    elif form == "export":
        data = await prefs.export_person(rt, tenant, person)
        return Response(
            json.dumps(data, indent=2, ensure_ascii=False),
            media_type="application/json",
            headers={"content-disposition": 'attachment; filename="rapport-my-data.json"'},
        )
    elif first(fields, "confirm") == "1":
        await prefs.forget_person(rt, tenant, person)
        return page(
            request,
            "message.html",
            title="Your data is deleted",
            text="Rapport no longer keeps anything about you. This link no longer works.",
        )
    else:
        return RedirectResponse(request.url.path, status_code=303)
    return RedirectResponse(f"{request.url.path}?saved={form}", status_code=303)
