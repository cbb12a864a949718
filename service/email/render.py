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

from service.domain.vocabulary import NudgeKind, Role
from service.email.bars import habit_bars, modality_bars
from service.email.context import DailyBriefing, NudgeEmail, WeeklyReport
from service.email.defang import defang
from service.email.phrases import NudgeView, Phrases, PhraseWords
from service.email.words import (
    ago_words,
    cadence_words,
    day_words,
    local,
    modality_words,
    one_line,
    provider_words,
    time_words,
    when_words,
)

SUBJECT_TITLE_LIMIT = 60
SUBJECT_LIMIT = 120


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
    return env


def _greeting(name: str | None) -> str:
    cleaned = one_line(defang(name or ""), 60)
    return f"Hi {cleaned}," if cleaned else "Hi there,"


def _reason(text: str) -> str:
    return one_line(defang(text), 300).rstrip(". ")


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

    def _view(self, n: NudgeEmail, phrases: Phrases) -> NudgeView:
        # Titles and names are foreign text: defanged, so no client makes a link of them.
        title = one_line(defang(n.meeting_title), 200)
        subject_title = one_line(defang(n.meeting_title), SUBJECT_TITLE_LIMIT)
        last_met = None
        last_met_ago = None
        if n.last_met is not None:
            last_met = day_words(local(n.last_met, n.timezone).date())
            last_met_ago = ago_words((n.meeting_start - n.last_met).days)
        return {
            "variant": n.variant % phrases.variants,
            "organizer": n.role is Role.ORGANIZER,
            "meeting": f"“{title}”" if title else "your meeting",
            "subject_meeting": f"“{subject_title}”" if subject_title else "your meeting",
            "when": when_words(n.meeting_start, n.timezone),
            "time": time_words(n.meeting_start, n.timezone),
            "provider": provider_words(n.provider),
            "modality": modality_words(n.modality),
            "people": n.human_count,
            "contact": one_line(defang(n.contact_name or ""), 80) or "your colleague",
            "last_met": last_met,
            "last_met_ago": last_met_ago,
            "product": self.product_name,
        }

    def _footer(self, reason: str, preferences: str, unsubscribe: str, cap: int) -> dict[str, Any]:
        return {
            "product": self.product_name,
            "reason": _reason(reason),
            "cap": cap,
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
            "ideas": phrases.ideas,
            "greeting": _greeting(n.recipient_name),
            **words,
            **self._footer(n.reason, n.preferences_url, n.unsubscribe_url, n.daily_cap),
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
            short = phrases.words(d)["short"]
            line = short[:1].upper() + short[1:]
            items.append({"time": d["time"], "meeting": d["meeting"], "line": line})
        day = day_words(b.date)
        count = len(items)
        subject = f"{day}: {count} small idea{'s' if count != 1 else ''} for your meetings"
        values = {
            "b": b,
            "day": day,
            "items": items,
            "greeting": _greeting(b.recipient_name),
            **self._footer(b.reason, b.preferences_url, b.unsubscribe_url, b.daily_cap),
        }
        return self._render_pair(self._templates("briefing"), subject, values)

    def render_report(self, r: WeeklyReport) -> RenderedEmail:
        """Render the weekly report: the week as bars, then lapsed relationships to revisit."""
        year = r.week_start.year
        lapsed = [
            {
                "name": one_line(defang(c.contact_name or ""), 80) or defang(c.contact_email),
                "email": c.contact_email,
                "last_met": day_words(c.last_met, year_if_not=year),
                "ago": ago_words(c.days_since),
                "cadence": cadence_words(c.cadence_days),
                "google": c.schedule_google_url,
                "outlook": c.schedule_outlook_url,
            }
            for c in r.lapsed
        ]
        week_of = day_words(r.week_start)
        subject = f"Your week at a glance ({week_of})"
        if lapsed:
            people = "person" if len(lapsed) == 1 else "people"
            subject += f", and {len(lapsed)} {people} to catch up with"
        values = {
            "r": r,
            "week_of": week_of,
            "bars": modality_bars(r.week.meetings_by_modality),
            "habits": habit_bars(r.week),
            "total_meetings": sum(r.week.meetings_by_modality.values()),
            "hours": f"{r.week.hours_in_meetings:.1f}".removesuffix(".0"),
            "lapsed": lapsed,
            "greeting": _greeting(r.recipient_name),
            **self._footer(r.reason, r.preferences_url, r.unsubscribe_url, 1),
        }
        return self._render_pair(self._templates("report"), subject, values)
