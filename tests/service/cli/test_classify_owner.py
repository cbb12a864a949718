"""`rapport classify`'s owner: read from the calendar's markers, guessed aloud, or no one."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.cli.classify import classify_files
from service.cli.classify_owner import (
    UNKNOWN_OWNER,
    Owner,
    google_owner,
    graph_owner,
    ics_owner,
)

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
ANA, BEN, CY = "ana@northwind.example", "ben@northwind.example", "cy@northwind.example"


def _payload(fmt: str, name: str) -> dict[str, object]:
    data = json.loads((CORPUS / fmt / f"{name}.json").read_text(encoding="utf-8"))
    payload: dict[str, object] = data["payload"]
    return payload


def _run(path: Path, owner: str | None = None) -> list[dict[str, object]]:
    out, err = io.StringIO(), io.StringIO()
    assert classify_files([path], None, out, err, owner=owner) == 0, err.getvalue()
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _ics(*events: str, header: str = "") -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\n{event}END:VEVENT\r\n" for event in events)
    text = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{header}{body}END:VCALENDAR\r\n"
    return text.encode("utf-8")


def _people(*addresses: str, organizer: str | None = None, uid: str = "e1") -> str:
    lines = [f"UID:{uid}", "DTSTART:20261203T150000Z", "DTEND:20261203T153000Z", "SUMMARY:Sync"]
    if organizer:
        lines.append(f"ORGANIZER:mailto:{organizer}")
    lines += [f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{a}" for a in addresses]
    return "".join(f"{line}\r\n" for line in lines)


# --- iCalendar ---------------------------------------------------------------------------


def test_ics_owner_calendar_name_address_is_a_marker() -> None:
    data = _ics(_people(ANA, BEN), header=f"X-WR-CALNAME:{BEN.upper()}\r\n")
    assert ics_owner(data) == Owner(BEN)


@pytest.mark.parametrize("header", ["X-WR-CALNAME:Team holidays\r\n", "X-WR-CALNAME:Ana B\r\n"])
def test_ics_owner_calendar_name_not_an_address_ignored(header: str) -> None:
    assert ics_owner(_ics(_people(ANA, BEN, organizer=ANA), header=header)).address == UNKNOWN_OWNER


def test_ics_owner_folded_lines_unfolded() -> None:
    data = _ics(_people(ANA, BEN), header="X-WR-CALNAME:ben@northwind\r\n .example\r\n")
    assert ics_owner(data) == Owner(BEN)


def test_ics_owner_x_owner_property_is_a_marker() -> None:
    data = _ics(_people(ANA, BEN), header=f"X-OWNER;CN=Ben:mailto:{BEN}\r\n")
    assert ics_owner(data) == Owner(BEN)


def test_ics_owner_reply_sender_is_the_owner() -> None:
    """A METHOD:REPLY carries one ATTENDEE: the person answering, whose calendar it is."""
    data = _ics(_people(BEN, organizer=ANA), header="METHOD:REPLY\r\n")
    assert ics_owner(data) == Owner(BEN)


def test_ics_owner_guessed_from_address_in_every_event() -> None:
    data = _ics(
        _people(ANA, BEN, organizer=ANA, uid="e1"),
        _people(ANA, CY, organizer=CY, uid="e2"),
        _people(uid="e3"),  # the owner's own event, no one listed
    )
    owner = ics_owner(data)
    assert owner.address == ANA
    assert owner.guessed == f"calendar owner guessed: {ANA} (in every event of the file)"


def test_ics_owner_alarm_attendee_not_evidence() -> None:
    """An email alarm's ATTENDEE (inside VALARM) is where the alarm goes, not a guest."""
    alarm = "BEGIN:VALARM\r\nACTION:EMAIL\r\nATTENDEE:mailto:cy@northwind.example\r\nEND:VALARM\r\n"
    data = _ics(_people(ANA, BEN, organizer=ANA, uid="e1") + alarm, _people(ANA, CY, uid="e2"))
    assert ics_owner(data).address == ANA


def test_ics_owner_first_organizer_no_longer_taken() -> None:
    """Two people in every event: who owns it cannot be told, so no one is assumed."""
    data = _ics(_people(ANA, BEN, organizer=ANA, uid="e1"), _people(ANA, BEN, uid="e2"))
    owner = ics_owner(data)
    assert owner.address == UNKNOWN_OWNER
    assert owner.guessed == "calendar owner unknown: only the people listed are counted"


@given(st.binary(max_size=2000))
def test_ics_owner_any_bytes_answer(data: bytes) -> None:
    owner = ics_owner(b"BEGIN:VCALENDAR\r\n" + data)
    assert "@" in owner.address


@given(
    st.lists(
        st.sampled_from(
            ["BEGIN:VEVENT", "END:VEVENT", "BEGIN:VALARM", "END:VALARM", "END:VCALENDAR",
             f"ATTENDEE:mailto:{ANA}", f"ORGANIZER;CN=\"a:b\":mailto:{BEN}", "METHOD:REPLY",
             f"X-WR-CALNAME:{CY}", "X-OWNER:nobody", "ATTENDEE:urn:uuid:1"]
        ),
        max_size=40,
    )
)  # fmt: skip
def test_ics_owner_any_line_order_answers(lines: list[str]) -> None:
    owner = ics_owner("\r\n".join(["BEGIN:VCALENDAR", *lines]).encode())
    assert owner.address in (ANA, BEN, CY, UNKNOWN_OWNER)


# --- Google and Graph ----------------------------------------------------------------------


def test_google_owner_self_marker() -> None:
    event = {"attendees": [{"email": ANA}, {"email": BEN, "self": True}]}
    assert google_owner([event]) == Owner(BEN)


def test_google_owner_creator_self_marker() -> None:
    assert google_owner([{"creator": {"email": CY, "self": True}}]) == Owner(CY)


def test_google_owner_without_self_guessed_or_unknown() -> None:
    first = {"organizer": {"email": ANA}, "attendees": [{"email": ANA}, {"email": BEN}]}
    second = {"organizer": {"email": CY}, "attendees": [{"email": ANA}, {"email": CY}]}
    assert google_owner([first, second]).address == ANA
    assert google_owner([first]).address == UNKNOWN_OWNER


def _graph(organizer: str, *invitees: tuple[str, str], is_organizer: bool = False) -> object:
    return {
        "isOrganizer": is_organizer,
        "responseStatus": {"response": "accepted"},
        "organizer": {"emailAddress": {"address": organizer}},
        "attendees": [
            {"type": "required", "status": {"response": answer}, "emailAddress": {"address": a}}
            for a, answer in invitees
        ],
    }


def test_graph_owner_is_organizer_marker() -> None:
    assert graph_owner([_graph(ANA, (BEN, "none"), is_organizer=True)]) == Owner(ANA)


def test_graph_owner_only_invitee_of_attendee_copy() -> None:
    owner = graph_owner([_graph(ANA, (BEN, "none"))])
    assert owner.address == BEN
    assert owner.guessed is not None
    assert owner.guessed.startswith("calendar owner guessed: ")


def test_graph_owner_response_status_narrows_invitees() -> None:
    """The owner's own answer (`responseStatus`) picks them out among the invitees."""
    owner = graph_owner([_graph(ANA, (BEN, "accepted"), (CY, "declined"))])
    assert owner.address == BEN


def test_graph_owner_two_candidates_unknown() -> None:
    assert graph_owner([_graph(ANA, (BEN, "none"), (CY, "none"))]).address == UNKNOWN_OWNER


@given(st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=5),
                          st.dictionaries(st.sampled_from(
                              ["isOrganizer", "organizer", "attendees", "responseStatus",
                               "creator", "self"]),
                              st.one_of(st.none(), st.booleans(), st.text(max_size=5),
                                        st.lists(st.none(), max_size=2)))),
                max_size=5))  # fmt: skip
def test_json_owner_any_payload_answers(events: list[object]) -> None:
    assert "@" in google_owner(events).address
    assert "@" in graph_owner(events).address


# --- classify_files ------------------------------------------------------------------------


def test_classify_files_graph_attendee_copy_one_on_one_two_people(tmp_path: Path) -> None:
    """A Graph attendee's copy of a one-on-one, no owner given: two people, said as a guess."""
    path = tmp_path / "copy.json"
    path.write_text(json.dumps(_payload("graph", "teams_one_on_one_invited")), encoding="utf-8")
    (line,) = _run(path)
    assert line["one_on_one"] is True
    reasons = line["reasons"]
    assert isinstance(reasons, list)
    assert "2 people: one-on-one" in reasons
    assert reasons[-1] == (
        "calendar owner guessed: adele.vance@contoso.example (the only address in the file)"
    )
    assert line["title"] == "Check-in"


def test_classify_files_owner_given_no_guess_said(tmp_path: Path) -> None:
    path = tmp_path / "copy.json"
    path.write_text(json.dumps(_payload("graph", "teams_one_on_one_invited")), encoding="utf-8")
    (line,) = _run(path, owner="Adele.Vance@contoso.example")
    assert line["one_on_one"] is True
    assert not any("owner" in str(reason) for reason in line["reasons"])  # type: ignore[attr-defined]  # a JSON list


def test_classify_files_private_event_title_never_printed(tmp_path: Path) -> None:
    payload = _payload("google", "private_visibility_pexip_one_on_one")
    path = tmp_path / "private.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    (line,) = _run(path)
    assert line["title"] == "Private meeting"
    assert line["private"] is True
    assert line["one_on_one"] is True
    assert "Salary" not in json.dumps(line)


def test_classify_files_ics_without_markers_counts_listed_people(tmp_path: Path) -> None:
    """Before: the first ORGANIZER was taken as the owner, and an attendee's copy of a
    one-on-one organised by someone else counted three people."""
    path = tmp_path / "copy.ics"
    path.write_bytes(_ics(_people(BEN, organizer=ANA)))
    (line,) = _run(path)
    assert line["one_on_one"] is True
    assert line["title"] == "Sync"
