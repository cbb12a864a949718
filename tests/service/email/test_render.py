"""Rendering: every kind, variant and role; escaping; words that must not appear."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from importlib import resources

import pytest

from service.domain.nudges import IDEAS, VARIANT_STRIDE
from service.domain.vocabulary import NudgeKind, Role
from service.email import (
    DailyBriefing,
    EmailRenderer,
    WeekAtAGlance,
    Welcome,
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


# The (kind, role) pairs the planner sends: each has at least 8 phrasings, and with the ideas
# that rotate, many more distinct bodies.
PLANNED_ROLES = [
    (NudgeKind.CAMERA_ON, Role.ATTENDEE),
    (NudgeKind.CAMERA_ON, Role.ORGANIZER),
    (NudgeKind.SWITCH_TO_VIDEO, Role.ORGANIZER),
    (NudgeKind.SOCIAL_MINUTE, Role.ORGANIZER),
    (NudgeKind.ONE_ON_ONE, Role.ATTENDEE),
    (NudgeKind.ONE_ON_ONE, Role.ORGANIZER),
]


@pytest.mark.parametrize(("kind", "role"), PLANNED_ROLES)
def test_render_nudge_every_variant_distinct(
    renderer: EmailRenderer, kind: NudgeKind, role: Role
) -> None:
    count = renderer.variant_count(kind)
    assert count >= 8
    rendered = [
        renderer.render_nudge(nudge(kind=kind, role=role, variant=v, contact_name="Ben"))
        for v in range(count)
    ]
    assert len({r.text for r in rendered}) == count
    assert len({r.subject for r in rendered}) == count
    leads = {renderer.phrases(nudge(kind=kind, role=role, variant=v))["lead"] for v in range(count)}
    assert len(leads) == count
    for r in rendered:
        assert r.subject
        assert "\n" not in r.subject
        assert "<p" in r.html
        assert "<p" not in r.text


@pytest.mark.parametrize(("kind", "role"), PLANNED_ROLES)
def test_render_nudge_ideas_rotate_into_distinct_bodies(
    renderer: EmailRenderer, kind: NudgeKind, role: Role
) -> None:
    bodies = {
        renderer.render_nudge(
            nudge(kind=kind, role=role, variant=idea * VARIANT_STRIDE + line, contact_name="Ben")
        ).text
        for line in range(8)
        for idea in range(IDEAS)
    }
    assert len(bodies) == 8 * IDEAS


@pytest.mark.parametrize("kind", list(NudgeKind))
def test_render_nudge_variant_wraps_around(renderer: EmailRenderer, kind: NudgeKind) -> None:
    count = renderer.variant_count(kind)
    first = renderer.render_nudge(nudge(kind=kind, variant=1))
    wrapped = renderer.render_nudge(nudge(kind=kind, variant=1 + count * 7))
    assert first == wrapped


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
    assert "on Tuesday 24 November at 14:30" in " ".join(london.text.split())
    assert "Times are in your time zone, Europe/London." in " ".join(london.text.split())
    assert "on Tuesday 24 November at 23:30" in " ".join(tokyo.text.split())


@pytest.mark.parametrize(
    ("due", "words"),
    [
        (datetime(2026, 11, 24, 14, 20, tzinfo=UTC), "at 14:30"),
        (datetime(2026, 11, 23, 8, 0, tzinfo=UTC), "tomorrow at 14:30"),
        (datetime(2026, 11, 20, 8, 0, tzinfo=UTC), "on Tuesday at 14:30"),
    ],
)
def test_render_nudge_says_when_as_the_reader_would(
    renderer: EmailRenderer, due: datetime, words: str
) -> None:
    n = nudge(kind=NudgeKind.SWITCH_TO_VIDEO, role=Role.ORGANIZER, modality="audio", due_at=due)
    assert renderer.nudge_view(n)["when"] == words


def test_render_switch_to_video_tells_the_organiser_the_one_edit(renderer: EmailRenderer) -> None:
    organizer = renderer.render_nudge(nudge(kind=NudgeKind.SWITCH_TO_VIDEO, role=Role.ORGANIZER))
    attendee = renderer.render_nudge(nudge(kind=NudgeKind.SWITCH_TO_VIDEO, role=Role.ATTENDEE))
    assert "The one edit: open the event" in " ".join(organizer.text.split())
    assert "if it suits" in " ".join(attendee.text.split()).lower()
    assert organizer.text != attendee.text


@pytest.mark.parametrize(
    ("last_met", "one_on_one", "expected"),
    [
        (datetime(2026, 11, 3, 9, tzinfo=UTC), True, "on Tuesday 3 November"),
        (datetime(2026, 11, 23, 9, tzinfo=UTC), True, "yesterday"),
        (datetime(2026, 11, 20, 9, tzinfo=UTC), True, "last Friday"),
        (datetime(2026, 11, 23, 23, 30, tzinfo=UTC), True, "yesterday"),
        (datetime(2026, 11, 20, 9, tzinfo=UTC), False, "You last sat down together last Friday"),
    ],
)
def test_render_one_on_one_speaks_of_the_last_one_on_one_in_calendar_days(
    renderer: EmailRenderer, last_met: datetime, one_on_one: bool, expected: str
) -> None:
    # The meeting is Tuesday 24 November 14:30 in London; days are counted on the calendar.
    r = renderer.render_nudge(
        nudge(kind=NudgeKind.ONE_ON_ONE, contact_name="Ben Okafor", last_met=last_met,
              last_met_one_on_one=one_on_one, variant=0)
    )  # fmt: skip
    text = " ".join(r.text.split())
    assert "Ben Okafor" in text
    assert expected in text
    assert "follow" in text
    assert "ben@" not in text


@pytest.mark.parametrize("last_met", [None, datetime(2026, 11, 24, 9, tzinfo=UTC)])
def test_render_one_on_one_leaves_follow_up_out_when_none_or_same_day(
    renderer: EmailRenderer, last_met: datetime | None
) -> None:
    for variant in range(8):
        n = nudge(kind=NudgeKind.ONE_ON_ONE, contact_name="Ben", last_met=last_met, variant=variant)
        text = " ".join(renderer.render_nudge(n).text.split())
        assert "follow" not in text
        assert "picking" not in text
        assert "today" not in text


def test_render_one_on_one_audio_only_carries_the_switch_line(renderer: EmailRenderer) -> None:
    for role, words in (
        (Role.ORGANIZER, "adding a video link"),
        (Role.ATTENDEE, "suggest a video link to Ben"),
    ):
        n = nudge(kind=NudgeKind.ONE_ON_ONE, role=role, contact_name="Ben Okafor", modality="audio")
        assert words in " ".join(renderer.render_nudge(n).text.split())


def test_render_private_meeting_never_shows_its_title(renderer: EmailRenderer) -> None:
    for kind in NudgeKind:
        n = nudge(kind=kind, meeting_title="Private meeting", private=True, contact_name="Ben")
        r = renderer.render_nudge(n)
        assert "Private meeting" not in r.text + r.subject + r.html
        assert "a private meeting" in (r.text + r.subject).lower() or kind is NudgeKind.ONE_ON_ONE


def test_render_greets_by_first_name(renderer: EmailRenderer) -> None:
    assert renderer.render_nudge(nudge(recipient_name="Ana Silva")).text.startswith("Hi Ana,")
    assert renderer.render_nudge(nudge(recipient_name="Silva, Ana")).text.startswith("Hi Ana,")


def test_render_welcome_in_a_person_s_first_email(renderer: EmailRenderer) -> None:
    first = renderer.render_nudge(
        nudge(welcome=Welcome(organisation="Northwind Studio", contact="Dana (People team)"))
    )
    text = " ".join(first.text.split())
    assert first.subject.startswith("Welcome to Rapport — ")
    for words in (
        "Northwind Studio has turned it on",
        "not descriptions",
        "for you alone",
        "groups of 5 or more",
        "Ask Dana (People team)",
        "Turn Rapport off with one click",
    ):
        assert words in text
    assert "Welcome" not in renderer.render_nudge(nudge()).text


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
    # 12, 3 and 1 meetings against a 160 px bar, one calm colour for all.
    assert widths == [160, 40, 13]
    assert set(re.findall(r"background-color:(#[0-9a-f]{6});font-size:1px", r.html)) == {"#94a3b8"}
    for banned_css in ("display:flex", "display:grid", "<img", "<svg", "<style"):
        assert banned_css not in r.html
    assert "Video      ######################## 12" in r.text


def test_render_report_leads_with_people(renderer: EmailRenderer) -> None:
    week = WeekAtAGlance(meetings_by_modality={"video": 3}, one_on_ones=2,
                         one_on_one_with=("Cy Lee", "Dee Ma"))  # fmt: skip
    r = renderer.render_report(report(week=week))
    text = " ".join(r.text.split())
    people, kept, mix = (text.index(w) for w in ("CATCH UP", "KEPT UP", "MIX"))
    assert people < kept < mix
    assert "one-on-ones with Cy Lee and Dee Ma" in text
    assert "hour" not in text


def test_render_report_lists_lapsed_contacts_with_links(renderer: EmailRenderer) -> None:
    c = contact()
    r = renderer.render_report(report(lapsed=(c, contact("Cy Lee", "cy@example.com"))))
    assert r.subject == "Your week: 2 people you could catch up with"
    text = " ".join(r.text.split())
    assert "Ben Okafor" in text
    assert (
        "Last met Friday 2 October (about 2 months ago); you usually meet about every 2 weeks"
        in text
    )
    assert "Schedule a catch-up with Ben" in text
    assert c.schedule_google_url in r.text
    assert f'href="{c.schedule_google_url.replace("&", "&amp;")}"' in r.html
    assert f'href="{c.schedule_outlook_url.replace("&", "&amp;")}"' in r.html
    assert "This summary comes once a week." in " ".join(r.text.split())


def test_render_report_contact_without_a_name_is_left_out(renderer: EmailRenderer) -> None:
    r = renderer.render_report(report(lapsed=(contact(None, "cy@example.com"),)))
    assert "cy@example" not in r.text.split("Unsubscribe")[0]
    assert "on track" in r.text


def test_render_report_empty_week_reads_well(renderer: EmailRenderer) -> None:
    r = renderer.render_report(report(lapsed=(), week=WeekAtAGlance()))
    assert r.subject == "Your week of Monday 16 November"
    assert "No meetings on your calendar this week." in r.text
    assert "on track" in r.text
    assert 'height="14"' not in r.html


def test_render_report_says_how_many_notes_were_sent(renderer: EmailRenderer) -> None:
    week = WeekAtAGlance(meetings_by_modality={"video": 3}, nudges_sent=2, nudges_acted=None)
    r = renderer.render_report(report(week=week))
    assert "Ideas tried" not in r.html
    assert "sent you 2 short notes." in " ".join(r.text.split())


def test_render_report_escapes_contact_name(renderer: EmailRenderer) -> None:
    r = renderer.render_report(report(lapsed=(contact('<script>x</script>"'),)))
    assert "<script>" not in r.html
    assert "&lt;script&gt;" in r.html


def test_render_nudge_without_title_or_name_reads_well(renderer: EmailRenderer) -> None:
    r = renderer.render_nudge(nudge(meeting_title=" \t", recipient_name=None))
    assert "your meeting" in r.text.lower()
    assert r.text.startswith("Hi there,")
