"""Dependencies declared once, as `Annotated` aliases the routes use."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request

from service.api.security import SendLimiter, verify_link
from service.email.addressing import LinkClaim, LinkPurpose
from service.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    """The runtime the lifespan opened (or the one `create_app` was given)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_limiter(request: Request) -> SendLimiter:
    """The per-person limit on fresh-link emails."""
    limiter: SendLimiter = request.app.state.send_limiter
    return limiter


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
LimiterDep = Annotated[SendLimiter, Depends(get_limiter)]


def _link(purpose: LinkPurpose) -> Callable[[str, Runtime], Coroutine[Any, Any, LinkClaim]]:
    async def claim(token: str, rt: RuntimeDep) -> LinkClaim:
        return verify_link(rt.mail.links, purpose, token, rt.now())

    return claim


UnsubscribeLink = Annotated[LinkClaim, Depends(_link(LinkPurpose.UNSUBSCRIBE))]
PreferencesLink = Annotated[LinkClaim, Depends(_link(LinkPurpose.PREFERENCES))]
SnoozeLink = Annotated[LinkClaim, Depends(_link(LinkPurpose.SNOOZE))]
FeedbackLink = Annotated[LinkClaim, Depends(_link(LinkPurpose.FEEDBACK))]
PrivateLink = Annotated[LinkClaim, Depends(_link(LinkPurpose.PRIVATE))]
