"""The generator is deterministic and the committed data is exactly what it generates."""

from __future__ import annotations

import importlib.util
import json
from importlib import resources
from pathlib import Path

import icalendar

from scripts.samplegen import build_sample, write_sample
from scripts.samplegen.catalog import catalog
from scripts.samplegen.ical import members, uid
from scripts.samplegen.people import BY_KEY, PEOPLE

ROOT = Path(__file__).resolve().parents[3]
DATA = resources.files("service.sample").joinpath("data")


def _committed() -> dict[str, bytes]:
    files = {"people.json": DATA.joinpath("people.json").read_bytes()}
    for entry in DATA.joinpath("feeds").iterdir():
        files[f"feeds/{entry.name}"] = entry.read_bytes()
    return files


def test_build_sample_twice_same_bytes() -> None:
    assert build_sample() == build_sample()


def test_compare_committed_data_equals_fresh_generation(tmp_path: Path) -> None:
    write_sample(tmp_path)
    fresh = {
        str(path.relative_to(tmp_path)): path.read_bytes()
        for path in tmp_path.rglob("*")
        if path.is_file()
    }
    committed = _committed()
    assert sorted(fresh) == sorted(committed)
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert stale == [], "run scripts/make_sample.py and commit service/sample/data"


def test_write_sample_stale_feed_removed(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "someone.gone.ics").write_bytes(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    write_sample(tmp_path)
    assert not (tmp_path / "feeds" / "someone.gone.ics").exists()
    assert len(list((tmp_path / "feeds").glob("*.ics"))) == len(PEOPLE)


def test_run_script_writes_sample_to_out_dir(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "make_sample", ROOT / "scripts" / "make_sample.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--out", str(tmp_path)]) == 0
    assert (tmp_path / "people.json").read_bytes() == build_sample()["people.json"]


def test_parse_every_feed_with_icalendar() -> None:
    for name, data in build_sample().items():
        if not name.endswith(".ics"):
            continue
        calendar = icalendar.Calendar.from_ical(data)
        assert calendar["PRODID"], name
        events = calendar.walk("VEVENT")
        assert events, name
        used = {e["DTSTART"].params["TZID"] for e in events if "TZID" in e["DTSTART"].params}
        declared = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
        assert used <= declared, name


def test_read_people_json_has_every_field() -> None:
    rows = json.loads(build_sample()["people.json"])
    assert len(rows) == len(PEOPLE) >= 10
    for row in rows:
        assert set(row) == {"email", "name", "timezone", "team", "opted_out", "opted_out_kinds"}
        assert row["email"].endswith("@northwind.example")
    assert sum(row["opted_out"] for row in rows) in (1, 2)
    assert [row["opted_out_kinds"] for row in rows if row["opted_out_kinds"]] == [["camera_on"]]


def test_share_meeting_same_uid_in_every_attendee_feed() -> None:
    files = build_sample()
    uids_by_person = {
        key: {
            str(e["UID"])
            for e in icalendar.Calendar.from_ical(files[f"feeds/{key}.ics"]).walk("VEVENT")
        }
        for key in BY_KEY
    }
    for spec in catalog():
        holders = {key for key, uids in uids_by_person.items() if uid(spec) in uids}
        assert holders == set(members(spec)), spec.key
