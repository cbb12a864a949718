"""A person's page, from the signed preferences link in every email: no account needed.

GET shows it; every form on it POSTs back to the same URL with its name and a CSRF token, and
each answer is a 303 back to the page with a fixed message (nothing the request said is
reflected). What reveals data or deletes it is one step away: a fresh link to the person's own
address (`private.py`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from service.api.deps import LimiterDep, PreferencesLink, RuntimeDep
from service.api.pages import KIND_HELP, KIND_NAMES, local_words, meeting_title, page, render
from service.api.pages import time_zones as zone_names
from service.api.security import check_form_token, check_origin, first, form_token, read_form
from service.domain.model import normalise_email
from service.domain.nudges import PersonalHours
from service.domain.vocabulary import NudgeKind
from service.domain.zones import known_zone
from service.email import DeliveryError, RenderedEmail, build_message
from service.email.addressing import LinkClaim, LinkPurpose, link_for, person_links
from service.errors import NotFound
from service.pipeline import preferences as prefs
from service.pipeline.planning import paused_kinds, personal_hours
from service.runtime import Runtime
from service.storage import PersonRow

router = APIRouter(tags=["preferences"])
log = structlog.get_logger(__name__)

FORMS = ("kinds", "delivery", "snooze", "mute", "private-link", "resume")
SAVED = {
    "kinds": "Saved: the notes you get.",
    "delivery": "Saved: when and how notes arrive.",
    "snooze": "Snoozed. Notes start again by themselves on the date you chose.",
    "unsnooze": "Snooze stopped: notes start again with your next meeting.",
    "mute": "Muted: no more one-on-one notes about meetings with them.",
    "link": "We've emailed a link to your own address. It works for one hour.",
    "resume": "Turned back on.",
}
ERRORS = {
    "zone": "That time zone isn't one we know; pick one from the list.",
    "hours": "Working hours need a start and an end time, the end after the start.",
    "date": "Pick a date after today, within a year.",
    "email": "That doesn't look like an email address.",
    "limit": "We've just sent you a few links: please use the newest one, or try in an hour.",
    "mail": "We couldn't send the email just now; please try again later.",
}
MAX_SNOOZE = timedelta(days=366)


class FormError(Exception):
    """A form value the page cannot use; `code` names the fixed message shown."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _zone(timezone: str) -> ZoneInfo:
    return known_zone(timezone) or ZoneInfo("UTC")


def _kinds(person: PersonRow) -> list[dict[str, Any]]:
    off = set(person.opted_out_kinds)
    return [
        {
            "value": kind.value,
            "name": KIND_NAMES[kind.value],
            "help": KIND_HELP[kind.value],
            "on": kind.value not in off and not person.opted_out,
        }
        for kind in NudgeKind
    ]


def _pauses(person: PersonRow, now: datetime) -> list[dict[str, str]]:
    return [
        {
            "kind": kind,
            "name": KIND_NAMES.get(kind, kind),
            "until": local_words(until, person.timezone),
        }
        for kind, until in sorted(paused_kinds(person.paused_kinds).items())
        if until > now
    ]


def _recent(data: prefs.PersonPage) -> list[dict[str, Any]]:
    return [
        {
            "kind": KIND_NAMES.get(n.kind, n.kind),
            "when": local_words(n.sent_at or n.meeting_start, data.person.timezone),
            "title": meeting_title(n.meeting_title, data.policy),
            "why": n.reason,
        }
        for n in data.recent
    ]


def _values(rt: Runtime, data: prefs.PersonPage, token: str) -> dict[str, Any]:
    person, policy, now = data.person, data.policy, rt.now()
    today = now.astimezone(_zone(person.timezone)).date()
    snoozed = person.snoozed_until is not None and person.snoozed_until > now
    return {
        "title": "Your settings",
        "name": person.name,
        "person": person,
        "tokens": {form: form_token(rt.mail.links, token, form, now) for form in FORMS},
        "kinds": _kinds(person),
        "pauses": _pauses(person, now),
        "org_mode": policy.delivery_mode,
        "org_hours": policy.working_hours,
        "hours": personal_hours(person.working_hours) or policy.working_hours,
        "zones": zone_names(),
        "snoozed_until": (
            local_words(person.snoozed_until, person.timezone)
            if snoozed and person.snoozed_until is not None
            else None
        ),
        "today": today.isoformat(),
        "snooze_default": (today + timedelta(days=7)).isoformat(),
        "muted_count": len(person.muted_contacts),
        "muted_meetings": len(person.muted_series),
        "recent": _recent(data),
    }


@router.get("/preferences/{token}", response_class=HTMLResponse)
async def show_preferences(
    request: Request, token: str, link: PreferencesLink, rt: RuntimeDep
) -> HTMLResponse:
    """The person's page: their choices, and the notes of the last 30 days with the reasons."""
    data = await prefs.person_page(rt, link.tenant_id, link.person_id)
    values = _values(rt, data, token)
    saved = SAVED.get(request.query_params.get("saved", ""))
    error = ERRORS.get(request.query_params.get("error", ""))
    return page(request, "preferences.html", saved=saved, error=error, **values)


@router.post("/preferences/{token}", response_class=RedirectResponse)
async def save_preferences(
    request: Request, token: str, link: PreferencesLink, rt: RuntimeDep, limiter: LimiterDep
) -> RedirectResponse:
    """Apply one form of the page, then go back to it (303) with a fixed message."""
    check_origin(request, rt.mail.base_url)
    fields = await read_form(request)
    form = _one(fields, "form")
    if form not in FORMS:
        raise NotFound("no such form")
    check_form_token(rt.mail.links, token, form, _one(fields, "csrf"), rt.now())
    try:
        outcome = await _apply(rt, link, form, fields, limiter)
    except FormError as exc:
        return _back(request, error=exc.code)
    return _back(request, saved=outcome)


def _back(request: Request, **query: str) -> RedirectResponse:
    (name, value), *_ = query.items()
    return RedirectResponse(f"{request.url.path}?{name}={value}", status_code=303)


def _one(fields: dict[str, list[str]], name: str) -> str:
    return first(fields, name).strip()


async def _apply(
    rt: Runtime, link: LinkClaim, form: str, fields: dict[str, list[str]], limiter: LimiterDep
) -> str:
    tenant, person = link.tenant_id, link.person_id
    if form == "kinds":
        on = set(fields.get("kind", []))
        off = [kind.value for kind in NudgeKind if kind.value not in on]
        await prefs.set_opt_outs(rt, tenant, person, bool(_one(fields, "nothing")), off)
        return "kinds"
    if form == "delivery":
        await prefs.set_delivery(rt, tenant, person, _delivery(fields))
        return "delivery"
    if form == "snooze":
        return await _snooze(rt, link, fields)
    if form == "mute":
        address = normalise_email(_one(fields, "email"))
        if address is None or "@" not in address or len(address) > 320:
            raise FormError("email")
        await prefs.mute_contacts(rt, tenant, person, [address], [])
        return "mute"
    if form == "resume":
        await prefs.resume_kind(rt, tenant, person, _one(fields, "kind"))
        return "resume"
    await send_private_link(rt, link, limiter)
    return "link"


def _delivery(fields: dict[str, list[str]]) -> prefs.Delivery:
    zone = _one(fields, "timezone")
    if known_zone(zone) is None or zone not in zone_names():
        raise FormError("zone")
    mode = _one(fields, "mode") or None
    hours = None
    if not _one(fields, "org_hours"):
        try:
            hours = PersonalHours(_one(fields, "start")[:5], _one(fields, "end")[:5])
        except ValueError:
            raise FormError("hours") from None
    try:
        return prefs.Delivery(timezone=zone, working_hours=hours, delivery_mode=mode)
    except ValueError:
        raise FormError("hours") from None


async def _snooze(rt: Runtime, link: LinkClaim, fields: dict[str, list[str]]) -> str:
    if _one(fields, "action") == "stop":
        await prefs.snooze(rt, link.tenant_id, link.person_id, None)
        return "unsnooze"
    person = await prefs.load_person(rt, link.tenant_id, link.person_id)
    until = snooze_end(_one(fields, "until"), person.timezone, rt.now())
    await prefs.snooze(rt, link.tenant_id, link.person_id, until)
    return "snooze"


def snooze_end(day: str, timezone: str, now: datetime) -> datetime:
    """The start of `day` (YYYY-MM-DD) in the person's zone; after today, within a year."""
    try:
        chosen = date.fromisoformat(day)
    except ValueError:
        raise FormError("date") from None
    zone = _zone(timezone)
    until = datetime.combine(chosen, time(0), zone)
    if until <= now or until > now + MAX_SNOOZE:
        raise FormError("date")
    return until


async def send_private_link(rt: Runtime, link: LinkClaim, limiter: LimiterDep) -> None:
    """Email a fresh one-hour link to the person's own address (rate-limited per person)."""
    person = await prefs.load_person(rt, link.tenant_id, link.person_id)
    now = rt.now()
    if not limiter.allow(link.tenant_id, link.person_id, now):
        raise FormError("limit")
    url = link_for(rt.mail, LinkPurpose.PRIVATE, link.tenant_id, link.person_id, now)
    subject = "Your Rapport link (works for one hour)"
    values = {"name": person.name, "url": url, "subject": subject}
    rendered = RenderedEmail(
        subject=subject,
        html=render("email_private_link.html", values),
        text=render("email_private_link.txt", values),
    )
    own = person_links(rt.mail, link.tenant_id, link.person_id, now)
    message = build_message(
        rendered, sender=rt.mail.sender, recipient=person.email,
        message_id=f"<rapport.link.{uuid.uuid4().hex}@{rt.mail.message_id_domain}>",
        unsubscribe_url=own.unsubscribe_url, preferences_url=own.preferences_url, date=now,
    )  # fmt: skip
    try:
        await rt.mailer.send(message)
    except DeliveryError as exc:
        log.warning("api.private_link.failed", person_id=link.person_id, error=type(exc).__name__)
        raise FormError("mail") from None
    log.info("api.private_link.sent", tenant_id=link.tenant_id, person_id=link.person_id)
