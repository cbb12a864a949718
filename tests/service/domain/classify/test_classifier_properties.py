"""Property tests: classify never raises and its result is always consistent."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.domain.classify import classify, provider_for_url
from service.domain.model import (
    Attendee,
    AttendeeKind,
    Classification,
    Conference,
    EntryPoint,
    EntryPointKind,
    EventStatus,
    EventType,
    Meeting,
    Modality,
    Response,
)
from tests.service.domain.classify.helpers import OWNER, START

FRAGMENTS = st.sampled_from(
    [
        "https://zoom.us/j/123", "https://meet.google.com/abc-defg-hij", "tel:+15550100",
        "+1 555 0100", "PIN: 1234#", "Dial-in", "Board Room", "Microsoft Teams Meeting", "; ",
        "<a href=\"", "\">", "&amp;", "https://nam02.safelinks.protection.outlook.com/?url=",
        "%3A%2F%2F", "://", "(555) 123-4567", "Meeting ID", "\n", " ", "www.", "zoom",
    ]
)  # fmt: skip
TEXT = st.one_of(
    st.none(),
    st.text(max_size=300),
    st.lists(st.one_of(FRAGMENTS, st.text(max_size=20)), max_size=25).map("".join),
)
EMAILS = st.one_of(
    st.none(),
    st.just(OWNER),
    st.just(OWNER.upper()),
    st.emails(),
    st.text(max_size=20),
)
ATTENDEE = st.builds(
    Attendee,
    email=EMAILS,
    name=st.one_of(st.none(), st.text(max_size=20)),
    kind=st.sampled_from(AttendeeKind),
    response=st.sampled_from(Response),
    optional=st.booleans(),
    organizer=st.booleans(),
    is_owner=st.booleans(),
)
ENTRY = st.builds(
    EntryPoint,
    kind=st.sampled_from(EntryPointKind),
    uri=st.one_of(FRAGMENTS, st.text(max_size=40)),
    label=st.one_of(st.none(), st.text(max_size=20)),
    pin=st.one_of(st.none(), st.text(max_size=8)),
)
CONFERENCE = st.one_of(
    st.none(),
    st.builds(
        Conference,
        solution=st.one_of(
            st.none(), st.sampled_from(["hangoutsMeet", "addOn", "x"]), st.text(max_size=10)
        ),
        name=st.one_of(st.none(), st.text(max_size=20)),
        entry_points=st.lists(ENTRY, max_size=4).map(tuple),
    ),
)
MEETINGS = st.builds(
    Meeting,
    uid=st.just("u@test"),
    start=st.just(START),
    end=st.just(START + timedelta(hours=1)),
    owner=st.just(OWNER),
    attendees=st.one_of(st.none(), st.lists(ATTENDEE, max_size=8).map(tuple)),
    location=TEXT,
    description=TEXT,
    conference=CONFERENCE,
    links=st.lists(st.one_of(FRAGMENTS, st.text(max_size=40)), max_size=4).map(tuple),
    status=st.sampled_from(EventStatus),
    event_type=st.sampled_from(EventType),
    transparent=st.booleans(),
    all_day=st.booleans(),
    organizer=EMAILS,
    online_provider_hint=st.one_of(
        st.none(), st.sampled_from(["teamsForBusiness", "unknown", "zoom"])
    ),
)


def _consistent(got: Classification, meeting: Meeting) -> None:
    assert isinstance(got.modality, Modality)
    assert not got.hybrid or got.modality is Modality.VIDEO
    assert (got.provider == "phone") == (got.modality is Modality.AUDIO)
    assert (got.provider is None) == (got.modality in (Modality.IN_PERSON, Modality.UNKNOWN))
    assert (got.one_on_one is None) == (meeting.attendees is None)
    assert got.join_url is None or got.modality is Modality.VIDEO
    assert got.reasons
    assert all(0 < len(reason) <= 120 for reason in got.reasons)
    if meeting.all_day or meeting.transparent or meeting.status is EventStatus.CANCELLED:
        assert not got.is_meeting


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(MEETINGS)
def test_classify_any_meeting_never_raises_consistent(meeting: Meeting) -> None:
    """Whatever a calendar holds, classify returns a consistent result."""
    _consistent(classify(meeting), meeting)


@given(st.text(max_size=200))
def test_provider_for_url_any_text_never_raises(text: str) -> None:
    """provider_for_url accepts any string."""
    result = provider_for_url(text)
    assert result is None or result.isidentifier()


@given(st.lists(FRAGMENTS, max_size=40).map("".join))
def test_classify_description_fragments_deterministic(body: str) -> None:
    """The same meeting always classifies the same way."""
    meeting = Meeting(uid="u@test", start=START, end=START, owner=OWNER, description=body)
    assert classify(meeting) == classify(meeting)


def test_classify_corrupt_meeting_unknown_with_reason() -> None:
    """Even a meeting whose fields hold the wrong types yields `unknown` and a reason."""
    corrupt = Meeting(uid="u@test", start=START, end=START, owner=OWNER)
    object.__setattr__(corrupt, "attendees", (42, None))
    object.__setattr__(corrupt, "links", 7)
    got = classify(corrupt)
    assert got.modality is Modality.UNKNOWN
    assert got.reasons[0].startswith("could not classify: ")
