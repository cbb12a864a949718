"""`POST /webhooks/google`: Google Calendar push notifications (events.watch channels);
`POST /webhooks/microsoft`: Graph change notifications (below).

A notification has no body: its `X-Goog-*` headers name the channel, carry the token we set
when opening it, the watched resource and the state. The channel is looked up inside the
tenant its id names; the token (by its hash) and the resource id must match, compared in
constant time. `sync` (sent once when a channel opens) starts nothing; `exists`/`not_exists`
start a sync of that one calendar in the background and the answer goes back at once.
Anything that does not match is refused (403) and changes nothing: the periodic incremental
sync is the safety net for lost notifications.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from service.api.deps import RuntimeDep
from workers.google import PushSyncs, handle_notification
from workers.microsoft import handle_graph_notifications

router = APIRouter(tags=["webhooks"])
REQUIRED = ("x-goog-channel-id", "x-goog-resource-state")


def push_syncs(request: Request, rt: RuntimeDep) -> PushSyncs:
    """The app's coalescing runner of notification syncs (made on first use)."""
    syncs: PushSyncs | None = getattr(request.app.state, "google_push", None)
    if syncs is None or syncs.rt is not rt:
        syncs = request.app.state.google_push = PushSyncs(rt)
    return syncs


@router.post("/webhooks/google", response_model=None)
async def google_notification(request: Request, rt: RuntimeDep) -> Response:
    """Check one notification and, when it says the calendar changed, sync that calendar."""
    headers = {k.lower(): v for k, v in request.headers.items() if k.lower().startswith("x-goog-")}
    if any(name not in headers for name in REQUIRED):
        return Response(status_code=400)
    outcome = await handle_notification(rt, headers, push_syncs(request, rt))
    return Response(status_code=403 if outcome == "rejected" else 200)


MAX_GRAPH_BODY = 1_000_000


@router.post("/webhooks/microsoft", response_model=None)
async def microsoft_notification(request: Request, rt: RuntimeDep) -> Response:
    """Graph change and lifecycle notifications (one URL for both).

    The validation handshake comes first, before any body is read: `?validationToken=…` is
    answered 200 `text/plain` with the token as sent (a JSON string would carry quotes and
    fail). Otherwise each notification's clientState is checked (in constant time, against
    the hash stored for its subscription); the matching ones start a sync of their one
    calendar in the background and the answer is 202 at once (Graph allows 3 seconds).
    Nothing matching: 403, and nothing changes.
    """
    token = request.query_params.get("validationToken")
    if token is not None:
        return PlainTextResponse(token, status_code=200)
    raw = await request.body()
    if len(raw) > MAX_GRAPH_BODY:
        return Response(status_code=413)
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        return Response(status_code=400)
    accepted, _ = await handle_graph_notifications(rt, body, push_syncs(request, rt))
    return Response(status_code=202 if accepted else 403)
