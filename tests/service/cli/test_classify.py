"""`rapport classify` on hostile input: a clear per-file or per-event error, in bounded time."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest

from service.cli.classify import MAX_FILE_BYTES, Guard, classify_files

GOOD = {"kind": "calendar#event", "iCalUID": "good@example.com", "summary": "Design review",
        "start": {"dateTime": "2026-11-24T10:00:00Z"}, "end": {"dateTime": "2026-11-24T10:30:00Z"},
        "hangoutLink": "https://meet.google.com/abc-defg-hij"}  # fmt: skip
ICS_EVENT = """BEGIN:VEVENT
UID:{uid}
DTSTAMP:20261101T000000Z
DTSTART:20261124T100000Z
DTEND:20261124T103000Z
SUMMARY:Sync {uid}
LOCATION:https://us02web.zoom.us/j/85512345678
END:VEVENT
"""


def _run(paths: list[Path], guard: Guard | None = None) -> tuple[int, list[dict[str, object]], str]:
    raw = io.BytesIO()
    # A strict UTF-8 stream, like a real stdout: a lone surrogate written to it would raise.
    out = io.TextIOWrapper(raw, encoding="utf-8", errors="strict", newline="\n")
    err = io.StringIO()
    code = classify_files(paths, None, out, err, guard=guard or Guard())
    out.flush()
    lines = [json.loads(line) for line in raw.getvalue().decode("utf-8").splitlines()]
    return code, lines, err.getvalue()


def _good(tmp_path: Path) -> Path:
    path = tmp_path / "good.json"
    path.write_text(json.dumps(GOOD), encoding="utf-8")
    return path


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_classify_deeply_nested_json_is_a_file_error(tmp_path: Path, depth: int) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * depth + "]" * depth, encoding="utf-8")
    nested = tmp_path / "nested-event.json"
    nested.write_text('{"summary": ' + '{"a": ' * depth + "1" + "}" * depth + "}")
    code, lines, err = _run([deep, nested, _good(tmp_path)])
    assert code == 2
    assert f"{deep}: " in err
    if depth > 10_000:
        assert f"{deep}: JSON nested too deeply" in err
    # The event nested inside: a per-event error, or (too deep to parse) a per-file one.
    events = [line["error"] for line in lines if line["file"] == str(nested)]
    assert events == ["no iCalUID and no id"] or f"{nested}: JSON nested too deeply" in err
    assert [line["id"] for line in lines if line["file"] == str(tmp_path / "good.json")] == [
        "good@example.com"
    ]


def test_classify_lone_surrogate_is_written_safely(tmp_path: Path) -> None:
    odd = tmp_path / "odd.json"
    odd.write_text(
        json.dumps({**GOOD, "iCalUID": "x\ud800y", "summary": "\udfff"}), encoding="utf-8"
    )
    ics = tmp_path / "odd.ics"
    body = ICS_EVENT.format(uid="a\udc80b").encode("utf-8", "surrogateescape")
    ics.write_bytes(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + body + b"END:VCALENDAR\r\n")
    code, lines, err = _run([odd, ics])
    assert (code, err) == (0, "")
    assert len(lines) == 2
    assert all(line["modality"] == "video" for line in lines)


def test_classify_huge_file_is_refused_fast(tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    started = time.monotonic()
    code, lines, err = _run([huge, _good(tmp_path)])
    assert time.monotonic() - started < 20
    assert code == 2
    assert "larger than" in err
    assert len(lines) == 1


def test_classify_slow_file_stopped_at_time_limit_others_still_run(tmp_path: Path) -> None:
    slow = tmp_path / "slow.ics"
    events = "".join(ICS_EVENT.format(uid=f"e{i}") for i in range(20_000))
    slow.write_text(f"BEGIN:VCALENDAR\nVERSION:2.0\n{events}END:VCALENDAR\n", encoding="utf-8")
    started = time.monotonic()
    code, lines, err = _run([slow, _good(tmp_path)], Guard(timeout_s=0.5))
    assert time.monotonic() - started < 20
    assert code == 2
    assert f"{slow}: took longer than 0.5 s to read" in err
    assert [line["id"] for line in lines][-1] == "good@example.com"


def test_classify_memory_hungry_file_stopped_at_memory_limit(tmp_path: Path) -> None:
    hungry = tmp_path / "hungry.json"
    # ~40 MB of tiny objects: several GB as Python objects, far over the limit.
    hungry.write_text("[" + ",".join(["{}"] * 13_000_000) + "]", encoding="ascii")
    code, lines, err = _run([hungry, _good(tmp_path)], Guard(memory_bytes=768 * 1024**2))
    assert code == 2
    assert f"{hungry}: needed more than 768 MB of memory to read" in err
    assert [line["id"] for line in lines] == ["good@example.com"]
