"""No clickable foreign links: every template, with hostile titles and names, links only to us.

A strict linkifier (stricter than mail clients: any scheme, `www.`, an address, a host with a
top-level domain, an IPv4 address) runs over the subject, the plain text and the HTML's text;
the HTML's link attributes are read too. The only links allowed are Rapport's own (the base URL)
and the calendar compose pages of the weekly report.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser

import pytest

from service.domain.vocabulary import NudgeKind, Role
from service.email import DailyBriefing, EmailRenderer, RenderedEmail
from service.email.links import GOOGLE_COMPOSE, OUTLOOK_COMPOSE
from tests.fixtures.email_builders import contact, nudge, report

BASE = "https://rapport.example.com/"
ALLOWED = (BASE, GOOGLE_COMPOSE + "?", OUTLOOK_COMPOSE + "?")
DOTS = "[.\u3002\uff0e\uff61]"
# Any scheme with slashes, the schemes clients link without them, and `www.`.
BARE = "mailto|tel|sms|callto|facetime|skype|sip|xmpp|im|webcal|data|javascript|file|news|magnet"
SCHEME_OR_WWW = re.compile(
    rf"(?i)(?:\b[a-z][a-z0-9+.\-]*:[/\\]|\b(?:{BARE}):|\bwww{DOTS})[^\s<>\"'“”]+"
)
ADDRESS = re.compile(rf"[\w.+\-]+@[\w\-]+(?:{DOTS}[\w\-]+)+")
HOST = re.compile(rf"(?<![\w\-])(?:[\w\-]+{DOTS})+(?:xn--[\w\-]+|[^\W\d_]{{2,}})(?![\w\-])")
IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")

HOSTILE = (
    "https://evil.example/x",
    "HTTPS://EVIL.EXAMPLE/login?next=1",
    "http://evil.example:8080",
    "www.evil.example",
    "mailto:eve@evil.example",
    "eve@evil.example",
    "evil.example/reset-password",
    "g\u043e\u043egle.com/login",  # Cyrillic o's: a look-alike host
    "xn--ggle-55da.com",
    "evil\u3002example/x",
    "evil\uff0eexample",
    "ftp://evil.example/file",
    "//evil.example/x",
    "evil\u200b.example and evil.\u200bexample",
    "10.0.0.1/admin",
    "javascript:alert(1)",
    "<a href='https://evil.example'>click</a>",
    "[click](https://evil.example)",
    "https://rapport.example.com.evil.example/p",
    "https://calendar.google.com.evil.example/calendar/render?x",
    "Call https://evil.example/?u=rapport.example.com now",
    "tel:+15550100 sms:+15550100 webcal://evil.example/cal.ics",
)


class _Html(HTMLParser):
    """Link attributes and text of an HTML part."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "action", "formaction", "background", "cite") and value:
                self.links.append(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def foreign_links(text: str) -> list[str]:
    """What a strict linkifier would make of `text`, leaving out Rapport's own links."""
    found = [m.group(0) for m in SCHEME_OR_WWW.finditer(text)]
    foreign = [link for link in found if not link.startswith(ALLOWED)]
    rest = SCHEME_OR_WWW.sub(" ", text)
    for pattern in (ADDRESS, HOST, IPV4):
        foreign += [m.group(0) for m in pattern.finditer(rest)]
    return foreign


def assert_no_foreign_links(email: RenderedEmail) -> None:
    html = _Html()
    html.feed(email.html)
    assert [link for link in html.links if not link.startswith(ALLOWED)] == []
    for part in (email.subject, email.text, "\n".join(html.text)):
        assert foreign_links(part) == [], part


def test_foreign_links_linkifier_finds_each_hostile_text() -> None:
    # The check itself: every hostile text, as is, would make a link.
    for text in HOSTILE:
        if "javascript" in text or "\u200b" in text:
            continue
        assert foreign_links(text), text


def _nudges(renderer: EmailRenderer, text: str) -> list[RenderedEmail]:
    emails = []
    for kind in NudgeKind:
        for role in Role:
            for variant in range(renderer.variant_count(kind)):
                item = nudge(
                    kind=kind, role=role, variant=variant, meeting_title=text,
                    recipient_name=text, contact_name=text, reason=f"it's a one-on-one with {text}",
                    helpful_url=BASE + "feedback/1/helpful",
                    not_for_me_url=BASE + "feedback/1/not-for-me",
                    not_for_this_meeting_url=BASE + "feedback/1/not-for-this-meeting",
                    snooze_url=BASE + "snooze/1",
                )  # fmt: skip
                emails.append(renderer.render_nudge(item))
    return emails


def _briefing(renderer: EmailRenderer, text: str) -> RenderedEmail:
    items = tuple(
        nudge(kind=kind, meeting_title=text, contact_name=text, reason=text) for kind in NudgeKind
    )
    briefing = DailyBriefing(
        briefing_id=1, recipient_email="ana@example.com", recipient_name=text,
        timezone="Europe/London", date=date(2026, 11, 24), items=items, reason=text,
        preferences_url=BASE + "preferences/1", unsubscribe_url=BASE + "unsubscribe/1",
        snooze_url=BASE + "snooze/1",
    )  # fmt: skip
    return renderer.render_briefing(briefing)


def _report(renderer: EmailRenderer, text: str) -> RenderedEmail:
    contacts = (contact(name=text), contact(name=None, email="eve@evil.example"))
    return renderer.render_report(replace(report(), recipient_name=text, lapsed=contacts))


RENDERED_BY = {"render_nudge": _nudges, "render_briefing": _briefing, "render_report": _report}


def test_every_email_kind_is_covered_here() -> None:
    # A new email (a welcome, a confirmation) must join this test before it ships.
    methods = {name for name in dir(EmailRenderer) if name.startswith("render_")}
    assert methods == set(RENDERED_BY)


@pytest.mark.parametrize("text", HOSTILE)
def test_render_every_template_hostile_text_makes_no_foreign_link(text: str) -> None:
    renderer = EmailRenderer()
    emails = [*_nudges(renderer, text), _briefing(renderer, text), _report(renderer, text)]
    for email in emails:
        assert_no_foreign_links(email)
