"""Properties over arbitrary titles and names: no header injection, no markup, one-line subject."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.email import EmailRenderer, build_message, message_id_for
from service.email.folding import fold_unstructured
from service.email.words import ago_words, cadence_words, one_line
from tests.email.builders import PREFERENCES, UNSUBSCRIBE, nudge

RENDERER = EmailRenderer()
HEADERS = [
    "Subject", "From", "To", "Date", "Message-ID", "Auto-Submitted", "List-Unsubscribe",
    "List-Unsubscribe-Post", "List-Help", "MIME-Version", "Content-Type",
]  # fmt: skip
# Text with plenty of the characters that cause trouble: markup, line breaks, controls.
TRICKY = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("<>\"'&\r\n\t\x00\x0b\x1b\u2028\u2029\u202e\u200b:;=")),
        st.characters(codec="utf-8"),
    ),
    max_size=300,
)
KINDS = st.sampled_from(["camera_on", "switch_to_video", "social_minute", "one_on_one"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=TRICKY, name=TRICKY, kind=KINDS, variant=st.integers(0, 1000))
def test_render_nudge_any_title_is_safe(title: str, name: str, kind: str, variant: int) -> None:
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


@given(text=TRICKY, limit=st.integers(1, 200))
def test_clean_one_line_has_no_controls_and_respects_limit(text: str, limit: int) -> None:
    line = one_line(text, limit)
    assert len(line) <= limit
    assert not any(ch in line for ch in "\r\n\x00\x0b\x1b\u2028\u2029\u202e\u200b")
    assert line == line.strip()


@given(days=st.floats(0, 3650, allow_nan=False))
def test_describe_cadence_always_reads_as_about_every(days: float) -> None:
    words = cadence_words(days)
    assert words.startswith(("about every", "every few days"))
    assert "0" not in words.split()


@given(days=st.integers(-5, 5000))
def test_describe_ago_reads_naturally(days: int) -> None:
    words = ago_words(days)
    assert words in ("today", "yesterday") or words.endswith("ago")
    assert "about 1 weeks" not in words
    assert "about 0" not in words


@settings(max_examples=300, deadline=None)
@given(head=st.text(alphabet=" =?_a\u00a1", max_size=100), tail=TRICKY)
def test_fold_unstructured_reads_back_exactly(head: str, tail: str) -> None:
    value = one_line(head + tail, 120)
    folded = fold_unstructured("Subject", value, "\r\n")
    assert folded.endswith("\r\n")
    assert all(len(line) <= 78 for line in folded.split("\r\n"))
    parsed = email.message_from_string(folded + "\r\n", policy=email.policy.default)
    assert str(parsed["Subject"]) == value
