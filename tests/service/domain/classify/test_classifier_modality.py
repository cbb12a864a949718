"""Modality and provider: structured data, links, phone bridges, places."""

from __future__ import annotations

import pytest

from service.domain.classify import classify
from service.domain.model import (
    AttendeeKind,
    Conference,
    EntryPoint,
    EntryPointKind,
    Modality,
)
from tests.service.domain.classify.helpers import TEAM, meeting, room

ZOOM = "https://acme.zoom.us/j/94712345678?pwd=abc"
MEET = "https://meet.google.com/abc-defg-hij"
TEAMS = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0"


def test_classify_zoom_link_in_description_video() -> None:
    """A Zoom link in the description makes a Zoom video meeting, and says where it was."""
    got = classify(meeting(description=f"Join Zoom Meeting\n{ZOOM}\nMeeting ID: 947 1234 5678"))
    assert (got.modality, got.provider, got.hybrid, got.join_url) == (
        Modality.VIDEO, "zoom", False, ZOOM,
    )  # fmt: skip
    assert "Zoom join link in the description" in got.reasons


def test_classify_structured_video_wins_over_text() -> None:
    """Structured conference data beats a link in the text, which is noted."""
    conference = Conference(
        solution="hangoutsMeet", entry_points=(EntryPoint(EntryPointKind.VIDEO, MEET),)
    )
    got = classify(meeting(conference=conference, description=f"Backup: {ZOOM}"))
    assert (got.modality, got.provider, got.join_url) == (Modality.VIDEO, "google_meet", MEET)
    assert "also a Zoom link in the description" in got.reasons


def test_classify_addon_conference_provider_from_url() -> None:
    """An add-on conference (Zoom for Google) is named by its URL."""
    conference = Conference(
        solution="addOn",
        name="Zoom Meeting",
        entry_points=(EntryPoint(EntryPointKind.VIDEO, ZOOM),),
    )
    assert classify(meeting(conference=conference)).provider == "zoom"


def test_classify_unknown_video_entry_point_other() -> None:
    """A video entry point on an unknown host is still video, provider `other`."""
    conference = Conference(
        entry_points=(EntryPoint(EntryPointKind.VIDEO, "https://v.acme.example/x"),)
    )
    got = classify(meeting(conference=conference))
    assert (got.modality, got.provider) == (Modality.VIDEO, "other")


@pytest.mark.parametrize(
    ("fields", "provider"),
    [
        ({"links": (TEAMS,), "location": ZOOM}, "teams"),
        ({"location": ZOOM, "description": MEET}, "zoom"),
        ({"description": f"{MEET} then {ZOOM}"}, "google_meet"),
    ],
)
def test_classify_several_links_order_deterministic(
    fields: dict[str, object], provider: str
) -> None:
    """Links field > location > description; first occurrence within one field."""
    assert classify(meeting(**fields)).provider == provider


def test_classify_known_provider_before_custom_other() -> None:
    """In one field a known provider beats a tenant's `other` link that comes first."""
    from service.domain.classify import ProviderPattern

    custom = [ProviderPattern("video.acme.example")]
    got = classify(meeting(description=f"https://video.acme.example/r/1 or {ZOOM}"), custom)
    assert got.provider == "zoom"


def test_classify_hint_with_unknown_link_video() -> None:
    """A provider hint (Graph onlineMeetingProvider) names an unrecognised join link."""
    got = classify(
        meeting(links=("https://teams.example/j/1",), online_provider_hint="teamsForBusiness")
    )
    assert (got.modality, got.provider) == (Modality.VIDEO, "teams")


def test_classify_unknown_link_alone_not_video() -> None:
    """A link to an ordinary page (an agenda) does not make a meeting online."""
    got = classify(meeting(links=("https://intranet.acme.example/agenda",)))
    assert got.modality is Modality.UNKNOWN


def test_classify_teams_safelinks_unwrapped() -> None:
    """A SafeLinks-wrapped Teams link is unwrapped before matching."""
    wrapped = (
        "https://nam02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fteams.microsoft.com"
        "%2Fl%2Fmeetup-join%2F19%253ameeting_x%2540thread.v2%2F0&data=05%7C01&reserved=0"
    )
    got = classify(meeting(description=f"Click here to join the meeting<{wrapped}>"))
    assert (got.provider, got.join_url) == ("teams", TEAMS)


def test_classify_html_body_href() -> None:
    """Links inside HTML attributes with entities are found."""
    body = f'<p><a href="{ZOOM.replace("?", "?x=1&amp;")}">Join</a>&nbsp;now</p>'
    assert classify(meeting(description=body)).provider == "zoom"


@pytest.mark.parametrize(
    "body",
    [
        "Dial-in: +1 (872) 240-3311\nAccess code: 455-912-333",
        "Conference line UK: +44 20 3855 4748 PIN: 8812 4490#",
        "Einwahl: +49 30 25555 2211\nKonferenz-ID: 918 334 21#",
        "Numéro de conférence : +33 1 70 91 86 46\nCode d'accès : 482 193 7#",
        "電話会議 ダイヤルイン: +81 3-4510-9925 パスコード: 718 294 51",
        "Dial-in: +61 2 9053 0710\nParticipant code: 7749 1203",
        "Call-in number: (555) 123-4567\nMeeting ID: 99812#",
        "Please dial in: 020 3855 4748, PIN 1234#",
        '<a href="tel:+14155550132,,552201#">Join by phone</a>',
    ],
)
def test_classify_phone_only_bridge_audio(body: str) -> None:
    """Dial-in numbers in many formats, with a bridge word near them, make an audio meeting."""
    got = classify(meeting(description=body))
    assert (got.modality, got.provider, got.hybrid) == (Modality.AUDIO, "phone", False)
    assert got.reasons[0].startswith("only a phone bridge: ")


def test_classify_phone_entry_point_audio() -> None:
    """Structured conference data with only a phone entry point is audio."""
    conference = Conference(
        entry_points=(EntryPoint(EntryPointKind.PHONE, "tel:+1-555-0100", pin="12"),)
    )
    got = classify(meeting(conference=conference))
    assert (got.modality, got.provider) == (Modality.AUDIO, "phone")
    assert "PIN" in got.reasons[0]


def test_classify_phone_location_audio() -> None:
    """A location that is just a number is a phone bridge."""
    assert classify(meeting(location="+1 415 555 0199 PIN 2291#")).modality is Modality.AUDIO


@pytest.mark.parametrize(
    "body",
    [
        "Thanks!\n\nChen Wu\nHead of Partnerships\nMobile: +1 206 555 0147",
        "Shopping and spinning class first; my cell is +1 206 555 0147",
        "Offsite on 02.12.2026, dial tone checks 2026-12-02 by facilities",
    ],
)
def test_classify_number_without_bridge_word_not_bridge(body: str) -> None:
    """A phone number (or a date) without a bridge word near it is not a bridge."""
    assert classify(meeting(description=body)).modality is Modality.UNKNOWN


def test_classify_video_with_dial_in_stays_video() -> None:
    """A video invite that also lists dial-in numbers stays video."""
    body = f"Dial by your location +1 646 558 8656 Meeting ID: 947 1234 5678\n{ZOOM}"
    assert classify(meeting(description=body)).modality is Modality.VIDEO


@pytest.mark.parametrize("kind", [AttendeeKind.ROOM, AttendeeKind.RESOURCE])
def test_classify_room_attendee_in_person(kind: AttendeeKind) -> None:
    """A room or resource attendee and no link: in person, named in the reasons."""
    got = classify(meeting(attendees=(*TEAM, room("Board Room", kind=kind))))
    assert got.modality is Modality.IN_PERSON
    assert "room resource: Board Room" in got.reasons


@pytest.mark.parametrize(
    "location",
    [
        "221B Baker Street, London NW1 6XE",
        "Building 2, 3rd floor kitchen",
        "Board Room 4",
        "Zoom Room Everest (12)",
        "Microsoft Teams Meeting; Board Room 4",
        "東京都港区六本木6-10-1",
    ],
)
def test_classify_physical_location_in_person(location: str) -> None:
    """Addresses, rooms and other free text are physical places."""
    got = classify(meeting(location=location))
    assert got.modality is Modality.IN_PERSON or got.hybrid


@pytest.mark.parametrize("location", ["TBD", "Online", "Phone call", "Remote", "N/A"])
def test_classify_placeholder_location_unknown(location: str) -> None:
    """Placeholders are not places."""
    got = classify(meeting(location=location))
    assert got.modality is Modality.UNKNOWN
    assert got.reasons[0] == "no join link, phone bridge, room or place"


@pytest.mark.parametrize(
    ("location", "provider"),
    [
        ("Microsoft Teams Meeting", "teams"),
        ("Zoom", "zoom"),
        ("Google Meet", "google_meet"),
        ("Webex Personal Room", "webex"),
        ("Skype Meeting", "skype"),
    ],
)
def test_classify_location_names_service_video(location: str, provider: str) -> None:
    """A location that only names a service is an online meeting of that service, not a place."""
    got = classify(meeting(location=location))
    assert (got.modality, got.provider, got.hybrid) == (Modality.VIDEO, provider, False)


def test_classify_room_and_link_hybrid() -> None:
    """A room plus a join link is video with hybrid set."""
    got = classify(meeting(attendees=(*TEAM, room("Board Room")), location=f"Board Room; {ZOOM}"))
    assert (got.modality, got.provider, got.hybrid) == (Modality.VIDEO, "zoom", True)


def test_classify_room_and_phone_in_person() -> None:
    """A room with a dial-in for remote people is in person; the bridge is noted."""
    got = classify(
        meeting(
            attendees=(*TEAM, room("Lisbon 1.02")),
            description="Dial-in: +351 21 123 4567 PIN 4421#",
        )
    )
    assert got.modality is Modality.IN_PERSON
    assert any(reason.startswith("a phone bridge too") for reason in got.reasons)


def test_classify_nothing_unknown_with_reason() -> None:
    """No signal at all: unknown, and the reasons say why."""
    got = classify(meeting())
    assert (got.modality, got.provider, got.hybrid) == (Modality.UNKNOWN, None, False)
    assert got.reasons[0] == "no join link, phone bridge, room or place"


def test_classify_reasons_capped_no_description() -> None:
    """Reasons never carry a long text: each is capped."""
    got = classify(meeting(location="Room " + "x" * 5000, description="secret " * 1000))
    assert all(len(reason) <= 120 for reason in got.reasons)
    assert not any("secret" in reason for reason in got.reasons)


def test_classify_hint_does_not_override_recognised_link() -> None:
    """With a recognised join link in the links field, the hint is not pinned on another URL."""
    links = ("https://intranet.acme.example/agenda", TEAMS)
    got = classify(meeting(links=links, online_provider_hint="teamsForBusiness"))
    assert (got.provider, got.join_url) == ("teams", TEAMS)


def test_classify_hint_alone_video() -> None:
    """An online meeting flagged by the calendar, link not provisioned yet, is video."""
    got = classify(meeting(online_provider_hint="teamsForBusiness"))
    assert (got.modality, got.provider, got.join_url) == (Modality.VIDEO, "teams", None)


@pytest.mark.parametrize(
    ("location", "hybrid"),
    [
        (f"Board Room 4 - {ZOOM}", True),
        (f"Zoom meeting: {ZOOM}", False),
        (f"<{ZOOM}>", False),
        (f"{ZOOM} (Lisbon office, floor 2)", True),
    ],
)
def test_classify_location_link_and_place_hybrid(location: str, hybrid: bool) -> None:
    """A place written next to a link in one location part still counts as a place."""
    got = classify(meeting(location=location))
    assert (got.modality, got.provider, got.hybrid) == (Modality.VIDEO, "zoom", hybrid)


@pytest.mark.parametrize(
    ("name", "provider"),
    [("Zoom Meeting", "zoom"), ("Microsoft Teams", "teams"), ("Acme Bridge", "other")],
)
def test_classify_addon_unknown_url_named_by_solution_name(name: str, provider: str) -> None:
    """An add-on whose URL is not in the table is named by its conference solution name."""
    point = EntryPoint(EntryPointKind.VIDEO, "https://bridge.acme.example/j/1")
    conference = Conference(solution="addOn", name=name, entry_points=(point,))
    got = classify(meeting(conference=conference))
    assert (got.modality, got.provider) == (Modality.VIDEO, provider)
