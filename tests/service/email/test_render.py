"""Rendering: every kind, variant and role; escaping; words that must not appear."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from importlib import resources

import pytest

from service.domain.vocabulary import NudgeKind, Role
from service.email import (
    DailyBriefing,
    EmailRenderer,
    WeekAtAGlance,
)
from service.email.phrases import phrases_template
from tests.fixtures.email_builders import PREFERENCES, UNSUBSCRIBE, contact, nudge, report

# Words and phrases a kind note has no business using: blame, pressure, comparison.
BANNED = (
    "never", "always", "shame", "ashamed", "should", "must", "fail", "forgot", "lazy",
    "guilt", "embarrass", "everyone else", "nobody else", "you didn't", "you don't",
    "why don't", "why didn't", "last chance", "urgent", "again", "reminder", "!!",
    "turned off", "camera off", "only you",
)  # fmt: skip
HOSTILE_TITLE = '"><img src=x onerror=alert(1)> <script>alert("x")</script> & co'


@pytest.fixture(scope="module")
def renderer() -> EmailRenderer:
    """One renderer for the module (templates compile once)."""
    return EmailRenderer()


def _visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize("kind", list(NudgeKind))
@pytest.mark.parametrize("role", list(Role))
def test_render_nudge_every_variant_distinct(
    renderer: EmailRenderer, kind: NudgeKind, role: Role
) -> None:
    count = renderer.variant_count(kind)
    assert count >= 3
    rendered = [
        renderer.render_nudge(nudge(kind=kind, role=role, variant=v, contact_name="Ben"))
        for v in range(count)
    ]
    assert len({r.text for r in rendered}) == count
    assert len({r.subject for r in rendered}) == count
    for r in rendered:
        assert r.subject
        assert "\n" not in r.subject
        assert "<p" in r.html
        assert "<p" not in r.text


@pytest.mark.parametrize("kind", list(NudgeKind))
def test_render_nudge_variant_wraps_around(renderer: EmailRenderer, kind: NudgeKind) -> None:
    count = renderer.variant_count(kind)
    first = renderer.render_nudge(nudge(kind=kind, variant=1))
    again = renderer.render_nudge(nudge(kind=kind, variant=1 + count * 7))
    assert first == again


@pytest.mark.parametrize("kind", list(NudgeKind))
@pytest.mark.parametrize("role", list(Role))
def test_render_nudge_says_why_and_links_out(
    renderer: EmailRenderer, kind: NudgeKind, role: Role
) -> None:
    r = renderer.render_nudge(nudge(kind=kind, role=role, daily_cap=2))
    why = "because you accepted a video meeting that starts soon. Rapport sends at most 2 short"
    assert why in " ".join(r.text.split())
    assert why in " ".join(_visible_text(r.html).split())
    for url in (PREFERENCES, UNSUBSCRIBE):
        assert url in r.text
        assert f'href="{url.replace("&", "&amp;")}"' in r.html
    assert "Unsubscribe" in r.html
    assert "Your preferences" in r.html


@pytest.mark.parametrize("kind", list(NudgeKind))
@pytest.mark.parametrize("variant", [0, 1, 2])
@pytest.mark.parametrize("role", list(Role))
def test_render_nudge_contains_no_banned_words(
    renderer: EmailRenderer, kind: NudgeKind, variant: int, role: Role
) -> None:
    r = renderer.render_nudge(
        nudge(
            kind=kind,
            variant=variant,
            role=role,
            contact_name="Ben",
            last_met=datetime(2026, 11, 3, 9, tzinfo=UTC),
            meeting_title="Planning",
        )
    )
    for text in (r.subject, r.text, _visible_text(r.html)):
        lowered = text.lower()
        assert [word for word in BANNED if word in lowered] == []


def test_check_templates_contain_no_banned_words() -> None:
    folder = resources.files("service.email") / "templates"
    # Flat on purpose: pyproject's package-data ships `email/templates/*` only.
    sources = list(folder.iterdir())
    assert all(p.is_file() for p in sources)
    assert {phrases_template(kind) for kind in NudgeKind} <= {p.name for p in sources}
    for source in sources:
        lowered = source.read_text(encoding="utf-8").lower()
        assert [word for word in BANNED if re.search(rf"\b{re.escape(word)}", lowered)] == [], (
            source.name
        )


@pytest.mark.parametrize("kind", list(NudgeKind))
def test_render_nudge_escapes_html_title(renderer: EmailRenderer, kind: NudgeKind) -> None:
    r = renderer.render_nudge(
        nudge(kind=kind, meeting_title=HOSTILE_TITLE, contact_name="<b>B</b>")
    )
    assert "<script" not in r.html
    assert "<img" not in r.html
    assert "<b>" not in r.html
    if kind != "one_on_one":  # the one-on-one subject names the contact, not the title
        assert "&lt;script&gt;" in r.html
    # Plain text is not HTML: the title appears as written.
    assert "<script>" in r.text or kind == "one_on_one"


def test_render_nudge_title_with_line_breaks_stays_on_one_line(renderer: EmailRenderer) -> None:
    title = "Sync\r\nBcc: victim@example.com\r\n\r\nbody"
    r = renderer.render_nudge(nudge(meeting_title=title))
    assert "\r" not in r.subject
    assert "\n" not in r.subject
    # The address is defanged too: no client makes a mailto link of it.
    assert "Sync Bcc: victim@example[.]com body" in " ".join(r.text.split())


def test_render_nudge_subject_caps_long_title(renderer: EmailRenderer) -> None:
    r = renderer.render_nudge(nudge(meeting_title="x" * 500))
    assert len(r.subject) <= 120
    assert "…" in r.subject


def test_render_nudge_shows_time_in_recipient_zone(renderer: EmailRenderer) -> None:
    start = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
    london = renderer.render_nudge(nudge(meeting_start=start, timezone="Europe/London"))
    tokyo = renderer.render_nudge(nudge(meeting_start=start, timezone="Asia/Tokyo"))
    assert "Tuesday 24 November, 14:30 (Europe/London)" in " ".join(london.text.split())
    assert "Tuesday 24 November, 23:30 (Asia/Tokyo)" in " ".join(tokyo.text.split())


def test_render_switch_to_video_differs_by_role(renderer: EmailRenderer) -> None:
    organizer = renderer.render_nudge(nudge(kind=NudgeKind.SWITCH_TO_VIDEO, role=Role.ORGANIZER))
    attendee = renderer.render_nudge(nudge(kind=NudgeKind.SWITCH_TO_VIDEO, role=Role.ATTENDEE))
    assert "video link" in " ".join(organizer.text.split())
    assert "if it suits" in " ".join(attendee.text.split()).lower()
    assert organizer.text != attendee.text


def test_render_one_on_one_mentions_last_meeting(renderer: EmailRenderer) -> None:
    r = renderer.render_nudge(
        nudge(
            kind=NudgeKind.ONE_ON_ONE,
            contact_name="Ben Okafor",
            last_met=datetime(2026, 11, 3, 9, tzinfo=UTC),
        )
    )
    text = " ".join(r.text.split())
    assert "Ben Okafor" in text
    assert "Tuesday 3 November (about 3 weeks ago)" in text
    assert "follow" in text


def test_render_briefing_lists_items_in_time_order(renderer: EmailRenderer) -> None:
    items = (
        nudge(kind=NudgeKind.ONE_ON_ONE, meeting_title="Ana / Ben", contact_name="Ben",
              meeting_start=datetime(2026, 11, 24, 16, 0, tzinfo=UTC)),
        nudge(kind=NudgeKind.CAMERA_ON, meeting_title="Standup",
              meeting_start=datetime(2026, 11, 24, 9, 0, tzinfo=UTC)),
        nudge(kind=NudgeKind.SOCIAL_MINUTE, role=Role.ORGANIZER, meeting_title="Team <weekly>",
              meeting_start=datetime(2026, 11, 24, 11, 0, tzinfo=UTC)),
    )  # fmt: skip
    b = DailyBriefing(
        briefing_id=3,
        recipient_email="ana@example.com",
        recipient_name="Ana",
        timezone="Europe/Paris",
        date=date(2026, 11, 24),
        items=items,
        reason="you chose one morning briefing instead of separate notes",
        preferences_url=PREFERENCES,
        unsubscribe_url=UNSUBSCRIBE,
    )
    r = renderer.render_briefing(b)
    assert r.subject == "Tuesday 24 November: 3 small ideas for your meetings"
    positions = [r.text.index(t) for t in ("10:00", "12:00", "17:00")]
    assert positions == sorted(positions)
    assert "&lt;weekly&gt;" in r.html
    assert "<weekly>" not in r.html
    assert UNSUBSCRIBE in r.text


def test_render_report_draws_bars_as_fixed_width_tables(renderer: EmailRenderer) -> None:
    r = renderer.render_report(report())
    widths = [int(w) for w in re.findall(r'<td width="(\d+)" height="14"', r.html)]
    # 12, 3 and 1 meetings against a 240 px bar; then 4 of 16 one-on-ones, 2 of 5 ideas tried
    # (coloured part, grey rest).
    assert widths == [240, 60, 20, 60, 180, 96, 144]
    assert "background-color:#4f46e5" in r.html
    for banned_css in ("display:flex", "display:grid", "<img", "<svg", "<style"):
        assert banned_css not in r.html
    assert "Video        ████████████████████████ 12" in r.text
    assert "Ideas tried  ██████████░░░░░░░░░░░░░░ 2 of 5" in r.text


def test_render_report_lists_lapsed_contacts_with_links(renderer: EmailRenderer) -> None:
    c = contact()
    r = renderer.render_report(report(lapsed=(c, contact(None, "cy@example.com"))))
    assert r.subject.endswith("and 2 people to catch up with")
    text = " ".join(r.text.split())
    assert "Ben Okafor" in text
    assert "cy@example[.]com" in text  # a foreign address, shown defanged
    assert (
        "Last met Friday 2 October (about 2 months ago); you usually meet about every 2 weeks"
        in text
    )
    assert c.schedule_google_url in r.text
    assert f'href="{c.schedule_google_url.replace("&", "&amp;")}"' in r.html
    assert f'href="{c.schedule_outlook_url.replace("&", "&amp;")}"' in r.html
    assert "This summary comes once a week." in r.text


def test_render_report_empty_week_reads_well(renderer: EmailRenderer) -> None:
    r = renderer.render_report(report(lapsed=(), week=WeekAtAGlance()))
    assert r.subject == "Your week at a glance (Monday 16 November)"
    assert "0 meetings in all" in r.text
    assert "on track" in r.text
    assert 'height="14"' not in r.html
    assert "Ideas tried" not in r.text
    assert "One-on-ones  0 of 0" in r.text


def test_render_report_untracked_ideas_not_shown(renderer: EmailRenderer) -> None:
    week = WeekAtAGlance(meetings_by_modality={"video": 3}, nudges_sent=2, nudges_acted=None)
    r = renderer.render_report(report(week=week))
    assert "Ideas tried" not in r.text
    assert "Ideas tried" not in r.html
    assert "sent you 2 small ideas." in " ".join(r.text.split())


def test_render_report_escapes_contact_name(renderer: EmailRenderer) -> None:
    r = renderer.render_report(report(lapsed=(contact('<script>x</script>"'),)))
    assert "<script>" not in r.html
    assert "&lt;script&gt;" in r.html


def test_render_nudge_without_title_or_name_reads_well(renderer: EmailRenderer) -> None:
    r = renderer.render_nudge(nudge(meeting_title=" \t", recipient_name=None))
    assert "your meeting" in r.text.lower()
    assert r.text.startswith("Hi there,")
