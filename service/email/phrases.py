"""What a `templates/phrases_<kind>.jinja` provides the renderer, checked when it loads.

A phrases template is plain text (never autoescaped: the HTML layouts escape what it says) and
defines, at its top level:

    {% set variants = 8 %}      how many phrasings it has per role, a whole number >= 1
    {% set ideas = [...] %}     optional: ideas that rotate (`d.idea` is this nudge's one)
    {% set idea_label = "..." %} optional: the words before the idea ("One idea:")
    {% macro subject(d) %}      the subject line
    {% macro lead(d) %}         the first paragraph
    {% macro detail(d) %}       the second paragraph (may be empty: it is then left out)
    {% macro short(d) %}        one clause, for the daily briefing and the HTML preheader

Each macro takes one argument, the `NudgeView` `d`, and picks its phrasing by `d.variant`
(already reduced modulo `variants`) and `d.organizer`. `Phrases.load` refuses a template that
breaks this with a `PhrasesError` naming the template and what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypedDict

from jinja2 import Environment, TemplateNotFound
from jinja2.runtime import Macro

from service.domain.vocabulary import NudgeKind
from service.email.words import one_line

MACROS = ("subject", "lead", "detail", "short")


class NudgeView(TypedDict):
    """The words about one nudge that its phrases macros (and nudge templates) read as `d`.

    `meeting` is the quoted title ("a private meeting" for a private one); `when` says the
    start as the reader would on the day the note arrives ("at 14:30", "tomorrow at 09:00");
    `contact` and `contact_first` name the other person of a one-on-one; `last_met_when` is
    their last one-on-one (`last_one_on_one`) or last small, longer meeting in calendar days
    ("yesterday", "last Tuesday"); `follow_up` is true when there is one on another day;
    `idea` is this nudge's rotating idea (empty when the kind has none).
    """

    variant: int
    organizer: bool
    meeting: str
    subject_meeting: str
    when: str
    time: str
    provider: str | None
    modality: str
    audio_only: bool
    people: int
    contact: str
    contact_first: str
    last_met: str | None
    last_met_ago: str | None
    last_met_when: str | None
    last_one_on_one: bool
    follow_up: bool
    idea: str
    product: str


class PhraseWords(TypedDict):
    """The four sentences of a nudge, each one plain line of text."""

    subject: str
    lead: str
    detail: str
    short: str


class PhraseMacro(Protocol):
    """A phrases macro as Python calls it: the view in, plain text out."""

    def __call__(self, d: NudgeView, /) -> str:
        """The macro's text for this view."""
        ...


class PhrasesError(Exception):
    """A phrases template does not provide what the renderer needs (the message says what)."""


def phrases_template(kind: NudgeKind) -> str:
    """The name of a kind's phrases template."""
    return f"phrases_{kind.value}.jinja"


def _macro(name: str, module: object, macro: str) -> PhraseMacro:
    found = getattr(module, macro, None)
    if not isinstance(found, Macro):
        raise PhrasesError(f"{name} does not define the macro {macro}(d)")
    if len(found.arguments) != 1 or found.catch_varargs or found.catch_kwargs:
        raise PhrasesError(f"{name}: the macro {macro} must take exactly one argument, d")
    return found


def _variants(name: str, module: object) -> int:
    found = getattr(module, "variants", None)
    if not isinstance(found, int) or isinstance(found, bool) or found < 1:
        raise PhrasesError(f"{name} must set variants to a whole number >= 1, got {found!r}")
    return found


def _ideas(name: str, module: object) -> tuple[str, ...]:
    found = getattr(module, "ideas", ())
    if not isinstance(found, list | tuple) or not all(isinstance(i, str) for i in found):
        raise PhrasesError(f"{name}: ideas must be a list of strings, got {found!r}")
    return tuple(one_line(idea) for idea in found)


def _idea_label(name: str, module: object) -> str:
    found = getattr(module, "idea_label", "One idea:")
    if not isinstance(found, str) or not one_line(found):
        raise PhrasesError(f"{name}: idea_label must be a non-empty string, got {found!r}")
    return one_line(found)


def _line(macro: PhraseMacro, d: NudgeView) -> str:
    # Called from Python, a macro returns plain str, never Markup: the HTML layout escapes it.
    return one_line(str(macro(d)))


@dataclass(frozen=True, slots=True)
class Phrases:
    """One kind's phrasing: its macros, its number of variants and its ideas (maybe none)."""

    kind: NudgeKind
    variants: int
    subject: PhraseMacro
    lead: PhraseMacro
    detail: PhraseMacro
    short: PhraseMacro
    ideas: tuple[str, ...] = ()
    idea_label: str = "One idea:"

    @classmethod
    def load(cls, env: Environment, kind: NudgeKind) -> Phrases:
        """Load and check `phrases_<kind>.jinja`; raise `PhrasesError` naming what is missing."""
        name = phrases_template(kind)
        try:
            module = env.get_template(name).module
        except TemplateNotFound:
            raise PhrasesError(f"no template {name} for the nudge kind {kind.value}") from None
        subject, lead, detail, short = (_macro(name, module, macro) for macro in MACROS)
        return cls(
            kind=kind,
            variants=_variants(name, module),
            subject=subject,
            lead=lead,
            detail=detail,
            short=short,
            ideas=_ideas(name, module),
            idea_label=_idea_label(name, module),
        )

    def words(self, d: NudgeView) -> PhraseWords:
        """The four sentences for this view, each collapsed to one line."""
        return PhraseWords(
            subject=_line(self.subject, d),
            lead=_line(self.lead, d),
            detail=_line(self.detail, d),
            short=_line(self.short, d),
        )
