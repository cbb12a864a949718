"""`classify_files`, behind `rapport classify`: format detection, pages, owners, bad files."""

from __future__ import annotations

import io
import json
from pathlib import Path

from service.cli.classify import classify_files

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def _payload(fmt: str, name: str) -> dict[str, object]:
    data = json.loads((CORPUS / fmt / f"{name}.json").read_text(encoding="utf-8"))
    payload: dict[str, object] = data["payload"]
    return payload


def _run(
    paths: list[Path], fmt: str | None = None, owner: str | None = None
) -> tuple[int, list[dict[str, object]], str]:
    out, err = io.StringIO(), io.StringIO()
    code = classify_files(paths, fmt, out, err, owner=owner)  # type: ignore[arg-type]  # fmt from tests
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    return code, lines, err.getvalue()


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_classify_files_google_single_event(tmp_path: Path) -> None:
    path = _write(tmp_path / "event.json", _payload("google", "zoom_addon_one_on_one"))
    code, lines, err = _run([path])
    assert (code, err) == (0, "")
    assert len(lines) == 1
    line = lines[0]
    assert line["file"] == str(path)
    assert line["modality"] == "video"
    assert line["provider"] == "zoom"
    assert line["one_on_one"] is True
    assert line["is_meeting"] is True
    assert line["hybrid"] is False
    assert line["reasons"]
    assert line["id"] == _payload("google", "zoom_addon_one_on_one")["iCalUID"]


def test_classify_files_google_page_and_list(tmp_path: Path) -> None:
    items = [_payload("google", "meet_group"), _payload("google", "phone_us_description")]
    page = _write(tmp_path / "page.json", {"kind": "calendar#events", "items": items})
    listing = _write(tmp_path / "list.json", items)
    code, lines, _ = _run([page, listing])
    assert code == 0
    assert [line["modality"] for line in lines] == ["video", "audio"] * 2


def test_classify_files_graph_page_with_removed_entry(tmp_path: Path) -> None:
    page = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(event)",
        "value": [
            _payload("graph", "teams_one_on_one_organizer"),
            {"id": "AAMkGone=", "@removed": {"reason": "deleted"}},
        ],
    }
    code, lines, _ = _run([_write(tmp_path / "delta.json", page)])
    assert code == 0
    assert lines[0]["provider"] == "teams"
    assert lines[0]["one_on_one"] is True
    assert lines[1] == {
        "file": str(tmp_path / "delta.json"),
        "id": "AAMkGone=",
        "modality": None,
        "error": "removed",
    }


def test_classify_files_graph_detected_from_keys(tmp_path: Path) -> None:
    path = _write(tmp_path / "one.json", _payload("graph", "conference_room"))
    code, lines, _ = _run([path])
    assert code == 0
    assert lines[0]["modality"] == "in_person"


def test_classify_files_owner_detected_from_google_self(tmp_path: Path) -> None:
    payload = _payload("google", "solo_block_no_attendees")
    code, lines, _ = _run([_write(tmp_path / "solo.json", payload)])
    assert code == 0
    assert lines[0]["is_meeting"] is False  # the organizer (self) is alone: no one but the owner


def test_classify_files_ics(tmp_path: Path) -> None:
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        "UID:ics-1@example.com\r\nDTSTAMP:20240401T000000Z\r\n"
        "DTSTART:20240416T170000Z\r\nDTEND:20240416T173000Z\r\nSUMMARY:Sync\r\n"
        "ORGANIZER:mailto:a@example.com\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:a@example.com\r\n"
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:b@example.com\r\n"
        "LOCATION:https://meet.google.com/abc-defg-hij\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    path = tmp_path / "feed.ics"
    path.write_text(ics, encoding="utf-8")
    code, lines, err = _run([path])
    assert (code, err) == (0, "")
    assert lines[0]["id"] == "ics-1@example.com"
    assert lines[0]["provider"] == "google_meet"
    assert lines[0]["one_on_one"] is True


def test_classify_files_bad_files_exit_2_and_others_still_run(tmp_path: Path) -> None:
    good = _write(tmp_path / "good.json", _payload("google", "meet_one_on_one"))
    missing = tmp_path / "missing.json"
    garbage = tmp_path / "notes.txt"
    garbage.write_text("just some notes", encoding="utf-8")
    unknown = _write(tmp_path / "other.json", {"hello": "world"})
    code, lines, err = _run([missing, garbage, unknown, good])
    assert code == 2
    assert len(lines) == 1
    assert lines[0]["provider"] == "google_meet"
    errors = err.splitlines()
    assert len(errors) == 3
    assert str(missing) in errors[0]
    assert "no such file" in errors[0]
    assert str(garbage) in errors[1]
    assert "not valid JSON" in errors[1]
    assert str(unknown) in errors[2]
    assert "unknown format" in errors[2]


def test_classify_files_format_override(tmp_path: Path) -> None:
    payload = _payload("graph", "teams_group")
    path = _write(tmp_path / "event.json", payload)
    code, lines, _ = _run([path], fmt="google")
    assert code == 0
    assert lines[0]["id"] == payload["id"]  # read as Google: no iCalUID, so the id is the uid
    code, lines, err = _run([path], fmt="ics")
    assert code == 2
    assert str(path) in err


def test_classify_files_bad_owner_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "event.json", _payload("google", "meet_group"))
    code, lines, err = _run([path], owner="not-an-address")
    assert code == 2
    assert lines == []
    assert "not-an-address" in err
