"""The phrases contract: every kind's template provides it; a broken one is named on load."""

from __future__ import annotations

import pytest
from jinja2 import DictLoader, Environment, StrictUndefined

from service.domain.vocabulary import NudgeKind
from service.email.phrases import MACROS, Phrases, PhrasesError, phrases_template
from service.email.render import EmailRenderer, make_environment
from tests.fixtures.email_builders import nudge

GOOD = """{% set variants = 2 %}
{% macro subject(d) %}S{{ d.variant }}{% endmacro %}
{% macro lead(d) %}L {{ d.meeting }}{% endmacro %}
{% macro detail(d) %}D{% endmacro %}
{% macro short(d) %}s{% endmacro %}
"""


def _environment(source: str) -> Environment:
    name = phrases_template(NudgeKind.CAMERA_ON)
    return Environment(loader=DictLoader({name: source}), undefined=StrictUndefined)


@pytest.mark.parametrize("kind", list(NudgeKind))
def test_load_phrases_of_every_kind(kind: NudgeKind) -> None:
    phrases = Phrases.load(make_environment(), kind)
    assert phrases.kind is kind
    assert phrases.variants >= 3
    assert all(idea == idea.strip() and idea for idea in phrases.ideas)


def test_load_phrases_social_minute_has_ideas() -> None:
    assert len(Phrases.load(make_environment(), NudgeKind.SOCIAL_MINUTE).ideas) >= 2


def test_load_phrases_words_are_one_line_each() -> None:
    renderer = EmailRenderer()
    words = renderer.phrases(nudge(meeting_title="Design\nreview"))
    assert set(words) == set(MACROS)
    assert all("\n" not in line and line for line in words.values())


@pytest.mark.parametrize("macro", MACROS)
def test_load_phrases_missing_macro_is_named(macro: str) -> None:
    source = GOOD.replace(f"{{% macro {macro}(d) %}}", f"{{% macro other_{macro}(d) %}}")
    with pytest.raises(PhrasesError, match=rf"phrases_camera_on.jinja .* macro {macro}\(d\)"):
        Phrases.load(_environment(source), NudgeKind.CAMERA_ON)


def test_load_phrases_macro_with_two_arguments_is_refused() -> None:
    source = GOOD.replace("{% macro lead(d) %}", "{% macro lead(d, e) %}")
    with pytest.raises(PhrasesError, match="lead must take exactly one argument"):
        Phrases.load(_environment(source), NudgeKind.CAMERA_ON)


@pytest.mark.parametrize("setting", ["", "{% set variants = 0 %}", "{% set variants = 'x' %}"])
def test_load_phrases_bad_variants_is_refused(setting: str) -> None:
    source = GOOD.replace("{% set variants = 2 %}", setting)
    with pytest.raises(PhrasesError, match="variants"):
        Phrases.load(_environment(source), NudgeKind.CAMERA_ON)


def test_load_phrases_bad_ideas_is_refused() -> None:
    with pytest.raises(PhrasesError, match="ideas"):
        Phrases.load(_environment(GOOD + "{% set ideas = [1, 2] %}"), NudgeKind.CAMERA_ON)


def test_load_phrases_missing_template_names_the_kind() -> None:
    with pytest.raises(PhrasesError, match=r"no template phrases_one_on_one\.jinja"):
        Phrases.load(_environment(GOOD), NudgeKind.ONE_ON_ONE)


def test_load_phrases_good_template_reads_the_view() -> None:
    phrases = Phrases.load(_environment(GOOD), NudgeKind.CAMERA_ON)
    view = EmailRenderer().nudge_view(nudge(variant=1))
    assert phrases.variants == 2
    assert phrases.ideas == ()
    assert phrases.words(view) == {
        "subject": "S1",
        "lead": "L “Design review”",
        "detail": "D",
        "short": "s",
    }
