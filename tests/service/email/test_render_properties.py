"""Rendering any title or name: no header injection, no markup, a one-line subject."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime
from email.message import EmailMessage

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.domain.vocabulary import NudgeKind, Role
from service.email import EmailRenderer, build_message, message_id_for
from tests.fixtures.email_builders import PREFERENCES, TRICKY, UNSUBSCRIBE, nudge

RENDERER = EmailRenderer()
HEADERS = [
    "Subject", "From", "To", "Date", "Message-ID", "Auto-Submitted", "X-Auto-Response-Suppress",
    "List-Unsubscribe",
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
                    "p", "/p", "a", "/a", "ul", "/ul", "li", "/li", "em", "/em",
                    "strong", "/strong"}  # fmt: skip
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


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=KINDS,
    role=st.sampled_from(list(Role)),
    variant=st.integers(0, 64 * 8 - 1),
    title=st.sampled_from(["Design review", "1:1 Ana / Ben", "Q1 plan (v2)"]),
    private=st.booleans(),
    audio=st.booleans(),
    last_met=st.sampled_from([None, *(datetime(2026, 11, d, 9, tzinfo=UTC) for d in (3, 20, 23))]),
)
def test_render_nudge_words_read_right(
    kind: NudgeKind,
    role: Role,
    variant: int,
    title: str,
    private: bool,
    audio: bool,
    last_met: datetime | None,
) -> None:
    n = nudge(
        kind=kind, role=role, variant=variant, meeting_title=title, private=private,
        modality="audio" if audio else "video", contact_name="Ben Okafor", last_met=last_met,
    )  # fmt: skip
    rendered = RENDERER.render_nudge(n)
    for text in (rendered.subject, " ".join(rendered.text.split())):
        # Spaces around quoted titles, never glued to a word; no address in a sentence.
        assert not re.search(r"”[\w(]", text), text
        assert not re.search(r"[\w)]“", text), text
        assert "  " not in text
        assert "@" not in text.split("-- ")[0]
        assert " ." not in text
        assert " ," not in text
        if private:
            assert title not in text
    for line in rendered.text.splitlines():
        # Plain text wraps without breaking words (a link may run long on its own line).
        assert len(line) <= 72 or " " not in line.strip(), line
        assert not line.endswith("-"), line
