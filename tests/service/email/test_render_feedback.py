"""The feedback line of each nudge, the snooze link and the pause notice in the footer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from service.domain.vocabulary import NudgeKind
from service.email import DailyBriefing, EmailRenderer
from tests.fixtures.email_builders import PREFERENCES, UNSUBSCRIBE, nudge, report

BASE = "https://rapport.example.com/feedback/1.2.3.4.abc"
LINKS = {
    "helpful_url": f"{BASE}/helpful",
    "not_for_me_url": f"{BASE}/not-for-me",
    "not_for_this_meeting_url": f"{BASE}/not-for-this-meeting",
}
SNOOZE = "https://rapport.example.com/snooze/1.2..4.abc"
NOTICE = "You said “not for me” twice, so we paused camera-on notes until 24 December"


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def renderer() -> EmailRenderer:
    """One renderer for the module."""
    return EmailRenderer()


@pytest.mark.parametrize("kind", list(NudgeKind))
def test_render_nudge_feedback_links_in_both_parts(
    renderer: EmailRenderer, kind: NudgeKind
) -> None:
    rendered = renderer.render_nudge(nudge(kind=kind, **LINKS, snooze_url=SNOOZE))
    for url in (*LINKS.values(), SNOOZE):
        assert f'href="{url}"' in rendered.html
        assert url in rendered.text
    assert "Was this useful?" in rendered.html
    assert "Not for this meeting: " + LINKS["not_for_this_meeting_url"] in rendered.text


def test_render_nudge_without_feedback_links_leaves_line_out(renderer: EmailRenderer) -> None:
    rendered = renderer.render_nudge(nudge())
    assert "Was this useful?" not in rendered.html
    assert "Was this useful?" not in rendered.text
    assert "Snooze" not in rendered.html


def test_render_pause_notice_in_footer(renderer: EmailRenderer) -> None:
    rendered = renderer.render_nudge(nudge(pause_notice=NOTICE))
    assert "camera-on notes until 24 December." in _words(rendered.text)
    assert "“not for me”" in rendered.html
    plain = renderer.render_report(report(pause_notice=NOTICE, snooze_url=SNOOZE))
    assert "24 December." in _words(plain.text)
    assert SNOOZE in plain.text


def test_render_briefing_feedback_links_follow_their_item(renderer: EmailRenderer) -> None:
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    items = tuple(
        nudge(
            nudge_id=10 + i,
            meeting_title=f"Meeting {i}",
            meeting_start=start + timedelta(hours=3 - i),
            helpful_url=f"{BASE}{i}/helpful",
            not_for_me_url=f"{BASE}{i}/not-for-me",
            not_for_this_meeting_url=f"{BASE}{i}/not-for-this-meeting",
        )
        for i in range(3)
    )
    briefing = DailyBriefing(
        briefing_id=1,
        recipient_email="ana@example.com",
        recipient_name="Ana",
        timezone="UTC",
        date=date(2026, 11, 24),
        items=items,
        reason="you chose one daily briefing",
        preferences_url=PREFERENCES,
        unsubscribe_url=UNSUBSCRIBE,
        pause_notice=NOTICE,
    )
    rendered = renderer.render_briefing(briefing)
    for part in (rendered.html, rendered.text):
        # Meeting 2 starts first: its own links come right after its title, before Meeting 1's.
        positions = [part.index(f"Meeting {i}") for i in (2, 1, 0)]
        links = [part.index(f"{BASE}{i}/helpful") for i in (2, 1, 0)]
        assert positions[0] < links[0] < positions[1] < links[1] < positions[2] < links[2]
    assert "24 December." in _words(rendered.text)


def test_build_nudge_feedback_link_must_be_http() -> None:
    with pytest.raises(ValueError, match="helpful_url"):
        nudge(helpful_url="javascript:alert(1)")
    with pytest.raises(ValueError, match="pause_notice"):
        nudge(pause_notice="two\nlines")
