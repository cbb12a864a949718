"""Server-rendered pages: one Jinja2 environment (autoescaped, strict) and the words they share."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from service.domain.policy import Policy
from service.domain.vocabulary import NudgeKind

# What each kind is, in a person's words (the page's list of kinds and its history).
KIND_NAMES: Mapping[str, str] = {
    NudgeKind.CAMERA_ON.value: "Camera on",
    NudgeKind.SWITCH_TO_VIDEO.value: "Switch to video",
    NudgeKind.SOCIAL_MINUTE.value: "Social minute",
    NudgeKind.ONE_ON_ONE.value: "One-on-one",
}
KIND_HELP: Mapping[str, str] = {
    NudgeKind.CAMERA_ON.value: "a friendly idea before video meetings",
    NudgeKind.SWITCH_TO_VIDEO.value: "a thought before audio-only calls",
    NudgeKind.SOCIAL_MINUTE.value: "an icebreaker for recurring meetings you organise",
    NudgeKind.ONE_ON_ONE.value: "a moment to prepare for one-on-ones",
}
# Titles calendars show for events whose details are hidden from others.
PRIVATE_TITLES = frozenset({"", "private", "busy", "private appointment", "private event"})


@cache
def environment() -> Environment:
    """The pages' Jinja2 environment (built once): autoescaped HTML, strict undefined."""
    env = Environment(
        loader=PackageLoader("service.api", "templates"),
        autoescape=select_autoescape(
            disabled_extensions=("txt",), default=True, default_for_string=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["kind_names"] = KIND_NAMES
    return env


def render(template: str, values: Mapping[str, Any]) -> str:
    """Render one template of `service/api/templates` with `values`."""
    return environment().get_template(template).render(values)


def page(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """A page as an HTML response; its links start from the base URL's path."""
    base = getattr(request.app.state, "base_path", "")
    return HTMLResponse(render(template, {"base": base, **values}), status_code=status_code)


def meeting_title(title: str, policy: Policy) -> str | None:
    """The title to show, or None for a private meeting (hidden, or a sensitive keyword)."""
    cleaned = " ".join(title.split())
    if cleaned.lower() in PRIVATE_TITLES or policy.exclusions.matched_keyword(cleaned):
        return None
    return cleaned[:200]


def local_words(moment: datetime, timezone: str) -> str:
    """A moment in the person's zone, as "Tue 24 Nov, 09:50"."""
    try:
        zone = zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%a %-d %b, %H:%M")


@cache
def time_zones() -> tuple[str, ...]:
    """Every IANA zone name, sorted (the page's time zone list)."""
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC"))
