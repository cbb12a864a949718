"""Snooze from the link in every email's footer: a day, a week, two weeks, or until a date."""

from __future__ import annotations

from datetime import UTC, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from service.api.deps import RuntimeDep, SnoozeLink
from service.api.pages import local_words, page
from service.api.routes.preferences import ERRORS, FormError, snooze_end
from service.api.security import first, form_token, read_page_form
from service.domain.zones import known_zone
from service.pipeline import preferences as prefs

router = APIRouter(tags=["snooze"])
FORM = "snooze"
QUICK_DAYS = ("1", "7", "14")


@router.get("/snooze/{token}", response_class=HTMLResponse)
async def show_snooze(
    request: Request, token: str, link: SnoozeLink, rt: RuntimeDep
) -> HTMLResponse:
    """The snooze choices, and the current snooze if there is one."""
    person = await prefs.load_person(rt, link.tenant_id, link.person_id)
    now = rt.now()
    until = person.snoozed_until
    saved = None
    if request.query_params.get("saved") == "1" and until is not None and until > now:
        saved = f"Snoozed until {local_words(until, person.timezone)}."
    elif request.query_params.get("saved") == "0":
        saved = "Snooze stopped: notes start again with your next meeting."
    return page(
        request,
        "snooze.html",
        title="Snooze",
        saved=saved,
        error=ERRORS.get(request.query_params.get("error", "")),
        csrf=form_token(rt.mail.links, token, FORM, now),
        snoozed_until=local_words(until, person.timezone) if until and until > now else None,
        today=now.astimezone(known_zone(person.timezone) or UTC).date().isoformat(),
    )


@router.post("/snooze/{token}", response_class=RedirectResponse)
async def save_snooze(
    request: Request, token: str, link: SnoozeLink, rt: RuntimeDep
) -> RedirectResponse:
    """Snooze (or stop snoozing), then back to the page (303)."""
    _, fields = await read_page_form(request, rt, token, FORM)
    person = await prefs.load_person(rt, link.tenant_id, link.person_id)
    days = first(fields, "days")
    if first(fields, "stop"):
        await prefs.snooze(rt, link.tenant_id, link.person_id, None)
        return RedirectResponse(f"{request.url.path}?saved=0", status_code=303)
    if days in QUICK_DAYS:
        until = rt.now() + timedelta(days=int(days))
    else:
        try:
            until = snooze_end(first(fields, "until"), person.timezone, rt.now())
        except FormError as exc:
            return RedirectResponse(f"{request.url.path}?error={exc.code}", status_code=303)
    await prefs.snooze(rt, link.tenant_id, link.person_id, until)
    return RedirectResponse(f"{request.url.path}?saved=1", status_code=303)
