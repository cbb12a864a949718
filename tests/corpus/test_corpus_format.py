"""The corpus runner refuses malformed corpus files with errors that name the file and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.corpus.test_corpus import CorpusError, collect_cases

EVENT = {"kind": "calendar#event", "id": "e1"}


def _write(root: Path, rel: str, data: object) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")


def test_collect_corpus_valid_cases(tmp_path: Path) -> None:
    """Google/Graph files give one case each; an ICS file one case per UID of its sidecar."""
    _write(tmp_path, "google/a.json", {"owner": "a@x.com", "payload": EVENT, "expect": {}})
    _write(tmp_path, "ics/b.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    sidecar = {"owner": "a@x.com", "events": {"u1": {"modality": "video"}, "u2": {}}}
    _write(tmp_path, "ics/b.expect.json", sidecar)
    names = [case.name for case in collect_cases(tmp_path)]
    assert names == ["google/a.json", "ics/b.ics#u1", "ics/b.ics#u2"]


@pytest.mark.parametrize(
    ("rel", "data", "needle"),
    [
        ("graph/x.json", {"owner": "a@x.com", "payload": {}, "expect": {"modalty": "video"}},
         "unknown expect keys ['modalty']"),
        ("graph/x.json", {"owner": "nobody", "payload": {}}, "'owner' must be an email"),
        ("google/x.json", {"owner": "a@x.com"}, "google/x.json: missing 'payload'"),
        ("google/x.json", "{not json", "google/x.json: cannot read JSON"),
        ("google/x.json", [1, 2], "top level must be an object"),
        ("ics/x.ics", "BEGIN:VCALENDAR", "missing sidecar ics/x.expect.json"),
    ],
)  # fmt: skip
def test_collect_corpus_malformed_file_named(
    tmp_path: Path, rel: str, data: object, needle: str
) -> None:
    """Each kind of malformed corpus file is refused, naming the file and what is wrong."""
    _write(tmp_path, rel, data)
    with pytest.raises(CorpusError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        collect_cases(tmp_path)


def test_collect_corpus_sidecar_without_events(tmp_path: Path) -> None:
    """An ICS sidecar must list at least one UID."""
    _write(tmp_path, "ics/x.ics", "BEGIN:VCALENDAR")
    _write(tmp_path, "ics/x.expect.json", {"owner": "a@x.com", "events": {}})
    with pytest.raises(CorpusError, match="'events' must be a non-empty object"):
        collect_cases(tmp_path)
