"""Labelled corpus: real-looking provider events, normalised by the real connectors, classified.

Format (see README.md next to this file):
- ``google/<name>.json`` and ``graph/<name>.json``: ``{"owner", "payload", "expect"}``;
- ``ics/<name>.ics`` with ``ics/<name>.expect.json``: ``{"owner", "events": {UID: expect}}``.

The normalisers and the classifier are imported lazily, inside the runner, so the rest of the
test suite does not depend on them. Every case must match: accuracy below 100% fails.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from service.domain.model import Meeting

CORPUS = Path(__file__).resolve().parent
LABELS = ("modality", "provider", "hybrid", "one_on_one", "is_meeting", "private")
# Labels read off the normalised meeting itself rather than its classification.
MEETING_LABELS = frozenset({"private"})
JSON_NORMALISERS = {
    "google": "integrations.google.normalise",
    "graph": "integrations.microsoft.normalise",
}
ICS_NORMALISER = "integrations.ics.normalise"


@dataclass(frozen=True)
class Case:
    """One labelled event: where it lives, whose calendar it is and what we expect."""

    fmt: str
    path: Path
    owner: str
    expect: Mapping[str, object]
    uid: str | None = None

    @property
    def name(self) -> str:
        """A stable, readable test id."""
        rel = f"{self.path.parent.name}/{self.path.name}"
        return f"{rel}#{self.uid}" if self.uid else rel


class CorpusError(AssertionError):
    """A corpus file is malformed, or a case could not be normalised."""


def _check_expect(where: str, expect: object) -> Mapping[str, object]:
    if not isinstance(expect, Mapping):
        raise CorpusError(f"{where}: 'expect' must be an object, got {type(expect).__name__}")
    unknown = sorted(set(expect) - set(LABELS))
    if unknown:
        raise CorpusError(f"{where}: unknown expect keys {unknown}; allowed: {list(LABELS)}")
    return expect


def _rel(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _load_json(path: Path) -> Mapping[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CorpusError(f"{_rel(path)}: cannot read JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise CorpusError(f"{_rel(path)}: top level must be an object")
    return data


def _owner(where: str, data: Mapping[str, object]) -> str:
    owner = data.get("owner")
    if not isinstance(owner, str) or "@" not in owner:
        raise CorpusError(f"{where}: 'owner' must be an email address, got {owner!r}")
    return owner


def collect_cases(root: Path = CORPUS) -> list[Case]:
    """Every labelled case under `root`, in a stable order; a malformed file raises CorpusError."""
    cases: list[Case] = []
    for fmt in sorted(JSON_NORMALISERS):
        for path in sorted((root / fmt).glob("*.json")):
            data = _load_json(path)
            where = _rel(path)
            if "payload" not in data:
                raise CorpusError(f"{where}: missing 'payload'")
            expect = _check_expect(where, data.get("expect", {}))
            cases.append(Case(fmt, path, _owner(where, data), expect))
    for path in sorted((root / "ics").glob("*.ics")):
        sidecar = path.with_suffix(".expect.json")
        where = _rel(sidecar)
        if not sidecar.exists():
            raise CorpusError(f"{_rel(path)}: missing sidecar {where}")
        data = _load_json(sidecar)
        events = data.get("events")
        if not isinstance(events, Mapping) or not events:
            raise CorpusError(f"{where}: 'events' must be a non-empty object of UID -> expect")
        owner = _owner(where, data)
        for uid, expect in events.items():
            cases.append(Case("ics", path, owner, _check_expect(f"{where}[{uid}]", expect), uid))
    return cases


def _normaliser(module: str, attr: str) -> Callable[..., object]:
    try:
        found: Callable[..., object] = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise CorpusError(
            f"the corpus needs {module}.{attr}, which is not importable: {exc}"
        ) from exc
    return found


def _meetings(result: object) -> list[Meeting]:
    """Meetings out of whatever a normaliser returns: a meeting, a page, a list, or a skip."""
    if isinstance(result, Meeting):
        return [result]
    if result is None:
        return []
    items = getattr(result, "meetings", result)
    if isinstance(items, Iterable) and not isinstance(items, str | bytes | Mapping):
        return [item for item in items if isinstance(item, Meeting)]
    return []


@cache
def _ics_meetings(path: Path, owner: str) -> tuple[Meeting, ...]:
    read_events = _normaliser(ICS_NORMALISER, "read_events")
    return tuple(_meetings(read_events(path.read_bytes(), owner)))


def normalise(case: Case) -> list[Meeting]:
    """The real normaliser's meetings for one case (several for a recurring ICS event)."""
    if case.fmt == "ics":
        found = [
            m for m in _ics_meetings(case.path, case.owner) if getattr(m, "uid", None) == case.uid
        ]
        if not found:
            raise CorpusError(f"{case.name}: the ICS normaliser yielded no meeting with this UID")
        return found
    payload = _load_json(case.path)["payload"]
    result = _normaliser(JSON_NORMALISERS[case.fmt], "normalise_event")(payload, case.owner)
    found = _meetings(result)
    if not found:
        raise CorpusError(f"{case.name}: the normaliser yielded no meeting: {result!r}"[:400])
    return found


def check(case: Case) -> dict[str, tuple[object, object]]:
    """Classify a case; return {label: (expected, got)} for every checked label (all instances)."""
    from service.domain.classify import classify

    outcome: dict[str, tuple[object, object]] = {}
    for meeting in normalise(case):
        got = classify(meeting)
        for label, want in case.expect.items():
            value = getattr(meeting if label in MEETING_LABELS else got, label)
            value = value.value if hasattr(value, "value") else value
            if label not in outcome or outcome[label][0] == outcome[label][1]:
                outcome[label] = (want, value)
        outcome.setdefault("_reasons", (None, got.reasons))
    return outcome


def accuracy_table(results: Mapping[str, Mapping[str, tuple[object, object]]]) -> str:
    """A plain-text table of accuracy per label, plus the failing cases."""
    lines = [f"{'label':<12} {'checked':>7} {'right':>6} {'accuracy':>9}"]
    for label in LABELS:
        checked = [pair for res in results.values() if (pair := res.get(label))]
        right = sum(1 for want, got in checked if want == got)
        pct = f"{100 * right / len(checked):.1f}%" if checked else "-"
        lines.append(f"{label:<12} {len(checked):>7} {right:>6} {pct:>9}")
    for name, res in results.items():
        for label, (want, got) in res.items():
            if not label.startswith("_") and want != got:
                lines.append(f"WRONG {name}: {label} expected {want!r}, got {got!r}")
                lines.append(f"      reasons: {res.get('_reasons', (None, ()))[1]!r}")
    return "\n".join(lines)


def run_all() -> tuple[dict[str, dict[str, tuple[object, object]]], list[str]]:
    """Check every case; return the results and the cases that could not be run."""
    results: dict[str, dict[str, tuple[object, object]]] = {}
    errors: list[str] = []
    for case in collect_cases():
        try:
            results[case.name] = check(case)
        except CorpusError as exc:
            errors.append(str(exc))
    return results, errors


CASES = collect_cases()


def test_collect_corpus_has_cases() -> None:
    """The corpus is not empty and every file is well-formed (collection raises otherwise)."""
    assert CASES, "the labelled corpus is empty"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_classify_corpus_case_matches_expect(case: Case) -> None:
    """One labelled event, normalised by its real connector, classifies as labelled."""
    outcome = check(case)
    wrong = {k: v for k, v in outcome.items() if not k.startswith("_") and v[0] != v[1]}
    assert not wrong, f"{case.name}: {wrong}; reasons: {outcome['_reasons'][1]!r}"


def test_classify_corpus_accuracy_is_total(capsys: pytest.CaptureFixture[str]) -> None:
    """Accuracy per label over the whole corpus, printed as a table; anything below 100% fails."""
    results, errors = run_all()
    table = accuracy_table(results)
    with capsys.disabled():  # the table is the point of this test: show it in every run
        print(f"\ncorpus: {len(results)} cases\n{table}")
    assert not errors, "\n".join(errors)
    assert "WRONG" not in table, table


if __name__ == "__main__":
    _results, _errors = run_all()
    print(accuracy_table(_results))
    for _error in _errors:
        print("ERROR", _error)
