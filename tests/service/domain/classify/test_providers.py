"""The provider table and URL matching."""

from __future__ import annotations

import re

import pytest

import service.domain.classify as classify_pkg
from service.domain.classify import (
    PROVIDERS,
    ProviderPattern,
    classify,
    display_name,
    provider_for_url,
)
from service.domain.classify.providers import PROVIDER_NAMES, match_url
from service.domain.model import Modality
from tests.service.domain.classify.helpers import meeting

REQUIRED = (
    "zoom", "google_meet", "teams", "webex", "goto", "bluejeans", "jitsi", "whereby", "chime",
    "ringcentral", "skype", "slack", "discord", "zoho", "lark", "voov", "dialpad", "lifesize",
    "pexip", "bigbluebutton", "around", "gather", "tuple",
)  # fmt: skip


def test_export_public_api_is_declared() -> None:
    """The package says what it exports."""
    assert sorted(classify_pkg.__all__) == [
        "PROVIDERS", "ProviderPattern", "classify", "display_name", "provider_for_url",
    ]  # fmt: skip


def test_count_providers_at_least_75() -> None:
    """The table knows at least 75 services, each key unique and snake_case."""
    keys = [p.key for p in PROVIDERS]
    assert len(set(keys)) == len(keys) >= 75
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", key) for key in keys)
    assert set(REQUIRED) <= set(keys)


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("facetime", "FaceTime"),
        ("whatsapp", "WhatsApp call"),
        ("google_meet", "Google Meet"),
        ("join_me", "join.me"),
        ("phone", "phone bridge"),
        ("other", "online meeting"),
        ("acme_video", "acme video"),
    ],
)
def test_display_name_provider_spelt_as_the_service_does(key: str, name: str) -> None:
    """Every key has one display name, from the table; an unknown key reads as words."""
    assert display_name(key) == name


def test_display_name_every_table_key_named() -> None:
    """The table names every provider, the phone bridge and `other`."""
    assert {key: display_name(key) for key in PROVIDER_NAMES} == dict(PROVIDER_NAMES)
    assert {p.key for p in PROVIDERS} | {"phone", "other"} == set(PROVIDER_NAMES)


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://zoom.us/j/123456789", "zoom"),
        ("https://northwind.zoom.us/j/94712345678?pwd=abc", "zoom"),
        ("https://us02web.zoom.us/w/98712340000?tk=x", "zoom"),
        ("https://www.zoomgov.com/j/1612345678", "zoom"),
        ("https://zoom.com/j/123456789", "zoom"),
        ("zoommtg://zoom.us/join?confno=123456789", "zoom"),
        ("https://meet.google.com/abc-defg-hij", "google_meet"),
        ("https://hangouts.google.com/hangouts/_/acme.com/x", "google_meet"),
        ("https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0", "teams"),
        ("https://teams.live.com/meet/9312345678901", "teams"),
        ("https://gov.teams.microsoft.us/l/meetup-join/19%3a", "teams"),
        ("https://dod.teams.microsoft.us/l/meetup-join/19%3a", "teams"),
        ("https://acme.webex.com/acme/j.php?MTID=m1", "webex"),
        ("https://acme.webex.com/meet/jdoe", "webex"),
        ("https://meet.goto.com/123456789", "goto"),
        ("https://gotomeet.me/acme-standup", "goto"),
        ("https://global.gotomeeting.com/join/987654321", "goto"),
        ("https://bluejeans.com/512345678/4321", "bluejeans"),
        ("https://meet.jit.si/AcmeSync", "jitsi"),
        ("https://8x8.vc/acme/room", "jitsi"),
        ("https://whereby.com/acme", "whereby"),
        ("https://chime.aws/4187259310", "chime"),
        ("https://v.ringcentral.com/join/123456789", "ringcentral"),
        ("https://join.skype.com/AbCdEf", "skype"),
        ("https://meet.lync.com/acme/jdoe/K4P2XQ9R", "skype"),
        ("https://meet.fabrikam.com/amy.wong/7GHJ2K3L", "skype"),
        ("https://app.slack.com/huddle/T01/C02", "slack"),
        ("https://discord.gg/acme", "discord"),
        ("https://meeting.zoho.eu/meeting/videomeeting?key=1", "zoho"),
        ("https://vc.larksuite.com/j/123456789", "lark"),
        ("https://meeting.tencent.com/dm/AbC", "voov"),
        ("https://meetings.dialpad.com/room/x", "dialpad"),
        ("https://call.lifesizecloud.com/1234567", "lifesize"),
        ("https://pexip.me/board.meeting", "pexip"),
        ("https://bbb.uni.example/bigbluebutton/api/join?meetingID=1", "bigbluebutton"),
        ("https://around.co/r/acme", "around"),
        ("https://app.gather.town/app/abc/acme", "gather"),
        ("https://tuple.app/c/acme/abc", "tuple"),
        ("https://facetime.apple.com/join#v=1&p=abc", "facetime"),
        ("https://telemost.yandex.ru/j/12345678901234", "telemost"),
        ("https://cal.video/abc", "cal_video"),
        # MeetingBar's sample calendar: every link shape it knows.
        ("https://duo.app.goo.gl/AQVKmTTO6DRmQF6LWF6adB", "google_duo"),
        ("https://hangouts.google.com/klasdfjlkasdf", "google_meet"),
        ("https://join.vwgroup.com/volkswagen.de/meet/eduard.raile/89SWV0TY", "skype"),
        ("https://meet.contoso.com/contoso.com/meet/jdoe/K7P2Q9RX", "skype"),
        ("https://gotomeeting.com/testing", "goto"),
        ("https://gotowebinar.com/testing", "goto"),
        ("https://attendee.gotowebinar.com/register/123456789", "goto"),
        ("https://meetingbar.zm.page", "zoom"),
        ("https://acme.zm.page/", "zoom"),
        # Teams' short join URL (2025-): /meet/<meeting id>?p=<hashed passcode>.
        ("https://teams.microsoft.com/meet/23456789012345?p=AbCdEf123", "teams"),
    ],
)
def test_match_provider_url_known(url: str, key: str) -> None:
    """Real join URLs of each common service map to its key."""
    assert provider_for_url(url) == key


@pytest.mark.parametrize(
    "url",
    [
        "https://zoom.us/",
        "https://zoom.us/u/abc123",
        "https://zoom.us/download",
        "https://support.zoom.us/hc/en-us",
        "https://www.webex.com/pricing",
        "https://help.webex.com/en-us/article/x",
        "https://www.whereby.com/information/pricing",
        "https://teams.microsoft.com/meetingOptions/?organizerId=1",
        "https://aka.ms/JoinTeamsMeeting",
        "https://docs.google.com/document/d/1/edit",
        "https://meet.acme.com/",
        "https://zm.page",
        "https://zm.page.example.com/x",
        "https://www.gotomeeting.com/pricing",
        "https://support.gotomeeting.com/s/article",
        "https://join.acme.com/jdoe/K7P2Q9RX",
        "https://join.acme.com/acme.com/meet/jdoe/lowercase1",
        "not a url",
        "https://",
        "mailto:someone@zoom.us",
    ],
)
def test_match_provider_url_not_join_page(url: str) -> None:
    """Home pages, help pages, local-number lists and other sites are not join links."""
    assert provider_for_url(url) is None


def test_match_custom_pattern_default_other() -> None:
    """A tenant pattern matches its host and subdomains; its provider defaults to `other`."""
    custom = (ProviderPattern("video.acme.example", "/room/"),)
    assert match_url("https://eu.video.acme.example/room/42", custom) == ("other", "online meeting")
    assert match_url("https://video.acme.example/admin", custom) is None


def test_match_custom_pattern_wins_over_builtin() -> None:
    """A tenant's own pattern beats the table (a self-hosted service on a known domain)."""
    custom = (ProviderPattern("meet.jit.si", "/acme", provider="acme_video", name="Acme Video"),)
    assert match_url("https://meet.jit.si/acme-sync", custom) == ("acme_video", "Acme Video")
    assert match_url("https://meet.jit.si/other", custom) == ("jitsi", "Jitsi Meet")


def test_classify_custom_pattern_used() -> None:
    """Custom patterns reach classify and name the provider."""
    custom = [ProviderPattern("rooms.acme.example", provider="acme_rooms")]
    got = classify(meeting(description="Join https://rooms.acme.example/r/1"), custom)
    assert (got.modality, got.provider) == (Modality.VIDEO, "acme_rooms")


def test_classify_custom_pattern_wins_over_remembered_link() -> None:
    """A link the classifier has read before still goes to a tenant's pattern first."""
    event = meeting(description="Join https://meet.jit.si/acme-sync")
    assert classify(event).provider == "jitsi"
    custom = [ProviderPattern("meet.jit.si", "/acme", provider="acme_video")]
    assert classify(event, custom).provider == "acme_video"
    assert classify(event).provider == "jitsi"


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"host": "https://acme.example"}, "host"),
        ({"host": "acme"}, "host"),
        ({"host": "acme.example", "path_prefix": "room"}, "path_prefix"),
        ({"host": "acme.example", "provider": "Acme Video"}, "provider"),
    ],
)
def test_create_provider_pattern_invalid_names_field(kwargs: dict[str, str], needle: str) -> None:
    """A bad tenant pattern is refused with an error naming what is wrong."""
    with pytest.raises(ValueError, match=needle):
        ProviderPattern(**kwargs)


def test_create_provider_pattern_normalises_case() -> None:
    """Hosts and path prefixes compare case-insensitively."""
    pattern = ProviderPattern("Video.ACME.example.", "/Room/")
    assert (pattern.host, pattern.path_prefix) == ("video.acme.example", "/room/")


def test_match_provider_url_wrapped_unwrapped() -> None:
    """SafeLinks and Google redirects are unwrapped before matching."""
    safelink = (
        "https://nam02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fteams.microsoft.com"
        "%2Fl%2Fmeetup-join%2F19%253ameeting_x&data=05&reserved=0"
    )
    assert provider_for_url(safelink) == "teams"
    assert provider_for_url("https://www.google.com/url?q=https://zoom.us/j/1&sa=D") == "zoom"
