"""read_people with an unknown owner: only the people listed count, never the owner."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from service.domain.classify import classify
from service.domain.classify.people import read_people, unknown_owner
from service.domain.model import Attendee, Response
from tests.service.domain.classify.helpers import meeting, person

NOBODY = "unknown@invalid"
ANA = person("ana@northwind.example")
BEN = person("ben@northwind.example")


def test_unknown_owner_reserved_domain() -> None:
    assert unknown_owner("unknown@invalid")
    assert unknown_owner("someone@example.invalid")
    assert not unknown_owner("sam@northwind.example")
    assert not unknown_owner("sam@invalid.example")


def test_read_people_unknown_owner_not_counted() -> None:
    """An attendee's copy of a one-on-one, read without its owner: two people, not three."""
    got = classify(meeting(owner=NOBODY, organizer=ANA.email, attendees=(ANA, BEN)))
    assert got.one_on_one is True
    assert "2 people: one-on-one" in got.reasons


def test_read_people_unknown_owner_placeholder_attendee_skipped() -> None:
    """The owner a normaliser appends when unknown is no one."""
    people = read_people(
        meeting(owner=NOBODY, attendees=(ANA, Attendee(NOBODY, is_owner=True), BEN))
    )
    assert people is not None
    assert people.humans == {ANA.email, BEN.email}


def test_read_people_unknown_owner_marked_attendee_counts() -> None:
    """An attendee the calendar itself marks as its owner (Google `self`) is a person."""
    me = person("sam@northwind.example", is_owner=True)
    people = read_people(meeting(owner=NOBODY, attendees=(me, ANA)))
    assert people is not None
    assert people.humans == {me.email, ANA.email}


def test_classify_unknown_owner_nobody_listed() -> None:
    got = classify(meeting(owner=NOBODY, attendees=(Attendee(NOBODY, is_owner=True),)))
    assert not got.is_meeting
    assert "no one listed" in got.reasons


def test_read_people_known_owner_counted_once() -> None:
    people = read_people(meeting(attendees=(ANA, BEN)))
    assert people is not None
    assert len(people.humans) == 3


@given(st.lists(st.sampled_from([ANA, BEN, person("cy@northwind.example")]), max_size=6))
def test_read_people_unknown_owner_counts_listed_only(listed: list[Attendee]) -> None:
    people = read_people(meeting(owner=NOBODY, attendees=tuple(listed)))
    assert people is not None
    assert people.humans == {a.email for a in listed if a.response is not Response.DECLINED}
