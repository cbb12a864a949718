"""Render emails (HTML + plain text + subject) from typed contexts with Jinja2.

Phrasing lives in `templates/phrases_<kind>.jinja` (plain text macros, each with several
variants; `service.email.phrases` states and checks what each provides). They are called from
Python, so they return plain str, never Markup; the `.html` and `.txt` templates lay them out:
`nudge_<kind>.*` when a kind needs more than the common `_nudge.*` layout, else `_nudge.*`.
HTML templates are autoescaped, so a meeting title is data, never markup; titles, names and
reasons are defanged first (`service.email.defang`), so no client makes a link of them either;
every template runs with `StrictUndefined`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template, select_autoescape

from service.domain.nudges import split_variant
from service.domain.vocabulary import NudgeKind, Role
from service.email.bars import modality_bars
from service.email.context import DailyBriefing, NudgeEmail, WeeklyReport, Welcome
from service.email.defang import defang
from service.email.phrases import NudgeView, Phrases, PhraseWords
from service.email.words import (
    ago_words,
    cadence_words,
    calendar_days,
    coming_day,
    day_words,
    first_name,
    local,
    modality_words,
    one_line,
    provider_words,
    relative_day,
    time_words,
    upfirst,
    wrap,
)

SUBJECT_TITLE_LIMIT = 60
SUBJECT_LIMIT = 120
PRIVATE_MEETING = "a private meeting"


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    """A rendered email: one-line subject, HTML body and plain-text body."""

    subject: str
    html: str
    text: str


def make_environment() -> Environment:
    """The Jinja2 environment: package templates, autoescaped HTML, strict undefined."""
    env = Environment(
        loader=PackageLoader("service.email", "templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html",), default_for_string=True, default=False
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["oneline"] = one_line
    env.filters["upfirst"] = upfirst
    env.filters["wrap"] = wrap
    return env


def _greeting(name: str | None) -> str:
    first = first_name(defang(name or ""))
    return f"Hi {first}," if first else "Hi there,"


def _reason(text: str) -> str:
    return one_line(defang(text), 300).rstrip(". ")


def _welcome(welcome: Welcome | None) -> dict[str, str] | None:
    if welcome is None:
        return None
    return {
        "organisation": one_line(defang(welcome.organisation), 120),
        "contact": one_line(defang(welcome.contact or ""), 200) or "your IT or People team",
    }


def _quoted(title: str, limit: int) -> str:
    cleaned = one_line(defang(title), limit)
    return f"“{cleaned}”" if cleaned else ""


class EmailRenderer:
    """Renders nudges, daily briefings and weekly reports to `RenderedEmail`s."""

    def __init__(self, product_name: str = "Rapport") -> None:
        self.product_name = product_name
        self._env = make_environment()
        self._phrases_of: dict[NudgeKind, Phrases] = {}

    def _phrases(self, kind: NudgeKind) -> Phrases:
        # Loaded and checked on first use, then kept: a broken template fails its first render.
        found = self._phrases_of.get(kind)
        if found is None:
            found = self._phrases_of[kind] = Phrases.load(self._env, kind)
        return found

    def variant_count(self, kind: NudgeKind) -> int:
        """How many phrasing variants the templates hold for a nudge kind."""
        return self._phrases(kind).variants

    def nudge_view(self, n: NudgeEmail) -> NudgeView:
        """The words a nudge's phrasing needs, computed once (used by templates and tests)."""
        return self._view(n, self._phrases(n.kind))

    def _when(self, n: NudgeEmail) -> str:
        """ "at 14:30" on the day the note arrives, else "tomorrow at 09:00" or a date."""
        if n.due_at is None:
            there = local(n.meeting_start, n.timezone)
            return f"on {day_words(there.date())} at {there:%H:%M}"
        today = local(n.due_at, n.timezone).date()
        there = local(n.meeting_start, n.timezone)
        day = coming_day(there.date(), today)
        return f"at {there:%H:%M}" if day == "today" else f"{day} at {there:%H:%M}"

    def _last_met(self, n: NudgeEmail) -> tuple[str | None, str | None, str | None]:
        """(the day, how long ago, when in words), in calendar days of the reader's zone."""
        if n.last_met is None:
            return None, None, None
        days = calendar_days(n.last_met, n.meeting_start, n.timezone)
        met = local(n.last_met, n.timezone).date()
        today = local(n.meeting_start, n.timezone).date()
        return day_words(met), ago_words(days), relative_day(met, today)

    def _view(self, n: NudgeEmail, phrases: Phrases) -> NudgeView:
        # Titles and names are foreign text: defanged, so no client makes a link of them.
        if n.private:
            title = subject_title = PRIVATE_MEETING
        else:
            title = _quoted(n.meeting_title, 200) or "your meeting"
            subject_title = _quoted(n.meeting_title, SUBJECT_TITLE_LIMIT) or "your meeting"
        line, idea = split_variant(n.variant)
        last_met, last_met_ago, last_met_when = self._last_met(n)
        contact = one_line(defang(n.contact_name or ""), 80)
        return {
            "variant": line % phrases.variants,
            "organizer": n.role is Role.ORGANIZER,
            "meeting": title,
            "subject_meeting": subject_title,
            "when": self._when(n),
            "time": time_words(n.meeting_start, n.timezone),
            "provider": provider_words(n.provider),
            "modality": modality_words(n.modality),
            "audio_only": n.modality == "audio",
            "people": n.human_count,
            "contact": contact or "them",
            "contact_first": first_name(contact) or "them",
            "last_met": last_met,
            "last_met_ago": last_met_ago,
            "last_met_when": last_met_when,
            "last_one_on_one": n.last_met_one_on_one,
            # Following up needs an earlier conversation on another day.
            "follow_up": last_met_when is not None and last_met_when != "today",
            "idea": phrases.ideas[idea % len(phrases.ideas)] if phrases.ideas else "",
            "product": self.product_name,
        }

    def _footer(
        self, reason: str, preferences: str, unsubscribe: str, cap: int, timezone: str
    ) -> dict[str, Any]:
        return {
            "product": self.product_name,
            "reason": _reason(reason),
            "cap": cap,
            "timezone": timezone,
            "preferences_url": preferences,
            "unsubscribe_url": unsubscribe,
        }

    def _templates(self, *names: str) -> tuple[Template, Template]:
        # The first of `names` that exists, as HTML and as plain text.
        html = self._env.select_template([f"{name}.html" for name in names])
        text = self._env.select_template([f"{name}.txt" for name in names])
        return html, text

    def _render_pair(
        self, templates: tuple[Template, Template], subject: str, values: dict[str, Any]
    ) -> RenderedEmail:
        if values.get("welcome") is not None:
            subject = f"Welcome to {self.product_name} — {subject}"
        subject = one_line(subject, SUBJECT_LIMIT)
        values = {**values, "subject": subject}
        html, text = (template.render(values) for template in templates)
        return RenderedEmail(subject=subject, html=html, text=text)

    def phrases(self, n: NudgeEmail) -> PhraseWords:
        """The nudge's sentences as plain text (escaped later, by the HTML template only)."""
        phrases = self._phrases(n.kind)
        return phrases.words(self._view(n, phrases))

    def render_nudge(self, n: NudgeEmail) -> RenderedEmail:
        """Render one nudge in the recipient's time zone, phrased by its variant and role."""
        phrases = self._phrases(n.kind)
        d = self._view(n, phrases)
        words = phrases.words(d)
        values = {
            "n": n,
            "d": d,
            "greeting": _greeting(n.recipient_name),
            "welcome": _welcome(n.welcome),
            "idea_label": phrases.idea_label,
            **words,
            **self._footer(n.reason, n.preferences_url, n.unsubscribe_url, n.daily_cap, n.timezone),
        }
        templates = self._templates(f"nudge_{n.kind.value}", "_nudge")
        return self._render_pair(templates, words["subject"], values)

    def render_briefing(self, b: DailyBriefing) -> RenderedEmail:
        """Render one email listing the day's nudges in time order."""
        items = []
        for item in sorted(b.items, key=lambda item: item.meeting_start):
            # One briefing, one clock: every time in the briefing's zone.
            n = replace(item, timezone=b.timezone)
            phrases = self._phrases(n.kind)
            d = self._view(n, phrases)
            line = upfirst(phrases.words(d)["short"])
            day = coming_day(local(n.meeting_start, b.timezone).date(), b.date)
            time = d["time"] if day == "today" else f"{day.removeprefix('on ')} {d['time']}"
            items.append({"time": time, "meeting": d["meeting"], "line": line})
        day = day_words(b.date)
        count = len(items)
        subject = f"{day}: {count} small idea{'s' if count != 1 else ''} for your meetings"
        values = {
            "b": b,
            "day": day,
            "items": items,
            "greeting": _greeting(b.recipient_name),
            "welcome": _welcome(b.welcome),
            **self._footer(b.reason, b.preferences_url, b.unsubscribe_url, b.daily_cap, b.timezone),
        }
        return self._render_pair(self._templates("briefing"), subject, values)

    def render_report(self, r: WeeklyReport) -> RenderedEmail:
        """Render the weekly report: people first (who to reconnect with, the one-on-ones
        kept up), then the week's mix as neutral bars."""
        year = r.week_start.year
        lapsed = [
            {
                "name": one_line(defang(c.contact_name or ""), 80),
                "first": first_name(defang(c.contact_name or "")) or "them",
                "last_met": day_words(c.last_met, year_if_not=year),
                "ago": ago_words(c.days_since),
                "cadence": cadence_words(c.cadence_days),
                "google": c.schedule_google_url,
                "outlook": c.schedule_outlook_url,
            }
            for c in r.lapsed
            if one_line(c.contact_name or "")
        ]
        kept = [one_line(defang(name), 80) for name in r.week.one_on_one_with if one_line(name)]
        week_of = day_words(r.week_start)
        if lapsed:
            people = "person" if len(lapsed) == 1 else "people"
            subject = f"Your week: {len(lapsed)} {people} you could catch up with"
        else:
            subject = f"Your week of {week_of}"
        values = {
            "r": r,
            "week_of": week_of,
            "bars": modality_bars(r.week.meetings_by_modality),
            "total_meetings": sum(r.week.meetings_by_modality.values()),
            "lapsed": lapsed,
            "kept": _names(kept),
            "kept_count": len(kept),
            "greeting": _greeting(r.recipient_name),
            "welcome": _welcome(r.welcome),
            **self._footer(r.reason, r.preferences_url, r.unsubscribe_url, 1, r.timezone),
        }
        return self._render_pair(self._templates("report"), subject, values)


def _names(names: list[str]) -> str:
    """`Ana`, `Ana and Ben`, `Ana, Ben and Cat`."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"
