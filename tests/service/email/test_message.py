"""MIME building: headers of RFC 8058, deterministic Message-IDs, no header injection."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest

from service.email import (
    EmailRenderer,
    RenderedEmail,
    build_message,
    message_id_for,
    message_unique,
)
from tests.fixtures.email_builders import PREFERENCES, UNSUBSCRIBE, nudge

SENDER = "Rapport <rapport@rapport.example.com>"
EXPECTED_HEADERS = [
    "Subject",
    "From",
    "To",
    "Date",
    "Message-ID",
    "Auto-Submitted",
    "X-Auto-Response-Suppress",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "List-Help",
    "MIME-Version",
    "Content-Type",
]


def _build(rendered: RenderedEmail, **overrides: str) -> EmailMessage:
    values = {
        "sender": SENDER,
        "recipient": "ana@example.com",
        "message_id": message_id_for("nudge", 42, 1, "rapport.example.com"),
        "unsubscribe_url": UNSUBSCRIBE,
        "preferences_url": PREFERENCES,
    }
    values.update(overrides)
    return build_message(rendered, date=datetime(2026, 11, 24, 14, 20, tzinfo=UTC), **values)


def _reparse(message: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_build_message_has_exactly_expected_headers() -> None:
    rendered = EmailRenderer().render_nudge(nudge())
    parsed = _reparse(_build(rendered))
    assert parsed.keys() == EXPECTED_HEADERS
    assert parsed["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Help"] == f"<{PREFERENCES}>"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["X-Auto-Response-Suppress"] == "All"
    assert parsed["Message-ID"] == "<rapport.nudge.42.1@rapport.example.com>"
    assert parsed["Date"] == "Tue, 24 Nov 2026 14:20:00 +0000"
    assert parsed["Subject"] == rendered.subject
    assert parsed.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in parsed.iter_parts()]
    assert parts == ["text/plain", "text/html"]


def test_build_message_keeps_long_unsubscribe_url_readable() -> None:
    long_url = "https://rapport.example.com/unsubscribe/" + "a" * 300
    rendered = EmailRenderer().render_nudge(nudge(unsubscribe_url=long_url))
    raw = _build(rendered, unsubscribe_url=long_url).as_bytes()
    assert f"List-Unsubscribe: <{long_url}>\n".encode() in raw
    assert b"=?utf-8?" not in raw.split(b"List-Unsubscribe:")[1].split(b"\n")[0]


@pytest.mark.parametrize(
    "title",
    [
        "Sync\r\nBcc: victim@example.com",
        "Sync\nX-Injected: yes\n\n<html>",
        "Sync\rBcc: victim@example.com",
        "Sync\x00\x0b\x0c\x1b[31mred\u2028Bcc: a@b.c\u2029\u202egnp.exe",
        "Ünïcödé “quoted” 会议 " * 10,
    ],
)
def test_build_message_title_cannot_inject_headers(title: str) -> None:
    rendered = EmailRenderer().render_nudge(nudge(meeting_title=title))
    parsed = _reparse(_build(rendered))
    assert parsed.keys() == EXPECTED_HEADERS
    assert parsed["Bcc"] is None
    assert parsed["X-Injected"] is None
    assert "\n" not in str(parsed["Subject"])
    assert "\u202e" not in str(parsed["Subject"])
    assert str(parsed["Subject"]) == rendered.subject


@pytest.mark.parametrize(
    "subject",
    [
        # Found by the property test: the stdlib folder put the space between two
        # encoded-words, where RFC 2047 readers drop it.
        "Camera on for \u201c0000000\u00a1\u00a1\u00a1\u00a1\u00a1\u00a1\u00a1\u00a1\u00a1\u00a1"
        " \u00a1 0\u201d, if it suits you",
        "x" * 70 + " \u00a1 \u00a1 y",
        ("Caf\u00e9 " * 20).strip(),
        "=?utf-8?q?looks_encoded?= but is a title",
        ("\U0001f600 emoji " * 8).strip(),
        ("plain ascii subject " * 6).strip(),
        "a" * 110,
    ],
)
def test_build_message_subject_survives_folding(subject: str) -> None:
    rendered = RenderedEmail(subject=subject, text="t", html="<p>t</p>")
    message = _build(rendered)
    raw = message.as_bytes()
    head = raw.split(b"\n\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\n") if not line.startswith(b"List-"))
    assert str(_reparse(message)["Subject"]) == subject


def test_build_message_html_part_is_escaped() -> None:
    title = '"><img src=x onerror=alert(1)><script>alert(1)</script>'
    rendered = EmailRenderer().render_nudge(nudge(meeting_title=title))
    parsed = _reparse(_build(rendered))
    html_part = parsed.get_body(("html",))
    text_part = parsed.get_body(("plain",))
    assert isinstance(html_part, EmailMessage)
    assert isinstance(text_part, EmailMessage)
    html = html_part.get_content()
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html
    assert "<script>alert(1)</script>" in text_part.get_content()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sender", "Rapport <rapport@example.com>\r\nBcc: victim@example.com"),
        ("recipient", "ana@example.com\nBcc: victim@example.com"),
        ("recipient", "nobody"),
        ("message_id", "<a@b>\r\nBcc: victim@example.com"),
        ("message_id", "no-brackets@example.com"),
        ("unsubscribe_url", "https://x.example/u>\r\nBcc: victim@example.com"),
        ("unsubscribe_url", "mailto:u@example.com"),
        ("preferences_url", "https://x.example/p p"),
    ],
)
def test_build_message_rejects_unsafe_field(field: str, value: str) -> None:
    rendered = EmailRenderer().render_nudge(nudge())
    with pytest.raises(ValueError, match=field):
        _build(rendered, **{field: value})


def test_build_message_id_is_deterministic() -> None:
    assert message_id_for("nudge", 42, 1, "rapport.example.com") == (
        "<rapport.nudge.42.1@rapport.example.com>"
    )
    assert message_id_for("briefing", 7, 0, "x.example") == "<rapport.briefing.7.0@x.example>"
    assert message_id_for("report", 3, 2, "x.example") == message_id_for(
        "report", 3, 2, "x.example"
    )
    assert message_id_for("nudge", 42, 2, "x.example") != message_id_for(
        "nudge", 42, 1, "x.example"
    )


def test_build_message_id_unique_part_tells_installations_and_databases_apart() -> None:
    created = datetime(2026, 11, 24, 7, 0, 0, 123456, tzinfo=UTC)
    ours = message_unique("key-of-this-installation", created)
    # A retry of the same row builds the same id.
    assert ours == message_unique("key-of-this-installation", created)
    same_id = message_id_for("nudge", 42, 1, "x.example", ours)
    assert same_id.startswith("<rapport.nudge.42.1@")
    assert same_id.endswith(".x.example>")
    # Another installation, or a rebuilt database whose row 42 was created at another time.
    assert message_unique("another installation", created) != ours
    assert message_unique("key-of-this-installation", created + timedelta(microseconds=1)) != ours
    with pytest.raises(ValueError, match="unique"):
        message_id_for("nudge", 42, 1, "x.example", "a b")
    with pytest.raises(ValueError, match="tz-aware"):
        message_unique("k", created.replace(tzinfo=None))


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("digest", 1, 0, "x.example"), "kind"),
        (("nudge", -1, 0, "x.example"), "entity_id"),
        (("nudge", 1, 0, "bad domain>"), "domain"),
        (("nudge", 1, 0, "x.example\r\nBcc: a@b.c"), "domain"),
    ],
)
def test_build_message_id_rejects_bad_input(args: tuple[str, int, int, str], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        message_id_for(*args)


@pytest.mark.parametrize("field", ["sender", "recipient"])
@pytest.mark.parametrize(
    "value",
    [
        "a@x.example,eve@evil.example",
        "a@x.example, eve@evil.example",
        "a@x.example;eve@evil.example",
        "<a@x.example>, <eve@evil.example>",
        "Ana <a@x.example>, Eve <eve@evil.example>",
        "friends: a@x.example, eve@evil.example;",
        '"eve@evil.example"@x.example',
        "a@x.example <eve@evil.example>",
        "a@x.example eve@evil.example",
        "a@@x.example",
        "@x.example",
        "a@",
        "a@x..example",
        "a@[10.0.0.1]",
    ],
)
def test_build_message_one_strictly_parsed_address_per_field(field: str, value: str) -> None:
    rendered = EmailRenderer().render_nudge(nudge())
    with pytest.raises(ValueError, match=field):
        _build(rendered, **{field: value})


@pytest.mark.parametrize(
    "value",
    ["ana@example.com", "Ana Silva <ana@example.com>", '"Silva, Ana" <ana@example.com>',
     "Rapport <rapport@localhost>", "ana@exämple.com"],
)  # fmt: skip
def test_build_message_accepts_one_address(value: str) -> None:
    rendered = EmailRenderer().render_nudge(nudge())
    message = _reparse(_build(rendered, recipient=value))
    assert len(message["To"].addresses) == 1
