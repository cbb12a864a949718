"""Rendering any title or name: no header injection, no markup, a one-line subject."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.domain.vocabulary import NudgeKind
from service.email import EmailRenderer, build_message, message_id_for
from tests.fixtures.email_builders import PREFERENCES, TRICKY, UNSUBSCRIBE, nudge

RENDERER = EmailRenderer()
HEADERS = [
    "Subject", "From", "To", "Date", "Message-ID", "Auto-Submitted", "List-Unsubscribe",
    "List-Unsubscribe-Post", "List-Help", "MIME-Version", "Content-Type",
]  # fmt: skip
KINDS = st.sampled_from(list(NudgeKind))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=TRICKY, name=TRICKY, kind=KINDS, variant=st.integers(0, 1000))
def test_render_nudge_any_title_is_safe(
    title: str, name: str, kind: NudgeKind, variant: int
) -> None:
    n = nudge(
        kind=kind, variant=variant, meeting_title=title, contact_name=name, recipient_name=name
    )
    rendered = RENDERER.render_nudge(n)
    assert "\n" not in rendered.subject
    assert "\r" not in rendered.subject
    assert len(rendered.subject) <= 120
    # Every tag in the HTML comes from our templates: none carries a title or name.
    tags = set(re.findall(r"<([a-zA-Z!/][a-zA-Z0-9]*)", rendered.html))
    assert tags <= {"!DOCTYPE", "html", "/html", "head", "/head", "meta", "title", "/title",
                    "body", "/body", "div", "/div", "table", "/table", "tr", "/tr", "td", "/td",
                    "p", "/p", "a", "/a", "ul", "/ul", "li", "/li"}  # fmt: skip
    message = build_message(
        rendered,
        sender="Rapport <rapport@example.com>",
        recipient="ana@example.com",
        message_id=message_id_for("nudge", n.nudge_id, n.revision, "example.com"),
        unsubscribe_url=UNSUBSCRIBE,
        preferences_url=PREFERENCES,
    )
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed.keys() == HEADERS
    assert str(parsed["Subject"]) == rendered.subject
