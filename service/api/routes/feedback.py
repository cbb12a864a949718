""" "Was this useful?": helpful, not for me, not for this meeting, one nudge at a time.

The email's link opens a page with one button (mail scanners follow links, so a GET never
records anything); the button POSTs the answer and comes back (303) to say what it did.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from service.api.deps import FeedbackLink, RuntimeDep
from service.api.pages import KIND_NAMES, local_words, meeting_title, page
from service.api.security import form_token, read_page_form
from service.email.addressing import FEEDBACK_VERDICTS, LinkClaim
from service.errors import NotFound
from service.pipeline import preferences as prefs
from service.pipeline.planning import paused_kinds
from service.pipeline.policies import tenant_policy

router = APIRouter(tags=["feedback"])

QUESTIONS = {
    "helpful": ("Glad it helped?", "Tell us this note was helpful", "Yes, it was helpful"),
    "not_for_me": (
        "Not for you?",
        "Say this kind of note isn't for you. Twice within 30 days pauses this kind for 30 days.",
        "It's not for me",
    ),
    "not_for_this_meeting": (
        "Not for this meeting?",
        "No more notes about this meeting (or its series), for you only.",
        "Not for this meeting",
    ),
}
DONE = {
    "helpful": "Thanks, that helps us send notes people find useful.",
    "not_for_me": "Thanks. We'll take it into account.",
    "not_for_this_meeting": "Done: you won't get notes about this meeting again.",
}


def _verdict(slug: str) -> str:
    verdict = FEEDBACK_VERDICTS.get(slug)
    if verdict is None:
        raise NotFound("no such answer")
    return verdict


def _nudge_id(link: LinkClaim) -> int:
    if link.subject is None:
        raise NotFound("no nudge in this link")
    return link.subject


@router.get("/feedback/{token}/{slug}", response_class=HTMLResponse)
async def ask_feedback(
    request: Request, token: str, slug: str, link: FeedbackLink, rt: RuntimeDep
) -> HTMLResponse:
    """One button to record the answer, or (after it) what the answer did."""
    verdict = _verdict(slug)
    nudge = await prefs.feedback_nudge(rt, link.tenant_id, link.person_id, _nudge_id(link))
    kind_name = KIND_NAMES.get(nudge.kind, nudge.kind)
    if request.query_params.get("done") == "1":
        person = await prefs.load_person(rt, link.tenant_id, link.person_id)
        until = paused_kinds(person.paused_kinds).get(nudge.kind)
        paused = until is not None and until > rt.now() and verdict == "not_for_me"
        return page(
            request, "feedback.html", title="Thanks", done=DONE[verdict], kind_name=kind_name,
            paused_until=local_words(until, person.timezone) if paused and until else None,
        )  # fmt: skip
    question, explain, button = QUESTIONS[verdict]
    policy = await tenant_policy(rt, link.tenant_id)
    return page(
        request, "feedback.html", title=question, done=None, question=question,
        explain=explain, button=button, kind_name=kind_name,
        csrf=form_token(rt.mail.links, token, slug, rt.now()),
        meeting=meeting_title(nudge.meeting_title, policy),
    )  # fmt: skip


@router.post("/feedback/{token}/{slug}", response_class=RedirectResponse)
async def record_feedback(
    request: Request, token: str, slug: str, link: FeedbackLink, rt: RuntimeDep
) -> RedirectResponse:
    """Record the answer (once per nudge; a later answer replaces it), then say what it did."""
    verdict = _verdict(slug)
    await read_page_form(request, rt, token, slug)
    await prefs.record_feedback(rt, link.tenant_id, link.person_id, _nudge_id(link), verdict)
    return RedirectResponse(f"{request.url.path}?done=1", status_code=303)
