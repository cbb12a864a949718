"""Meeting links known by their path's shape on any host, and pages that only look alike."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain.classify import classify, provider_for_url
from service.domain.classify.providers import PROVIDER_NAMES, split_url
from service.domain.classify.shapes import SHAPES, match_shape
from service.domain.model import Modality
from tests.service.domain.classify.helpers import meeting


@pytest.mark.parametrize(
    ("url", "key"),
    [
        # BigBlueButton on an organisation's own host.
        ("https://bbb.uni-example.de/rooms/abc-def-ghi-jkl/join", "bigbluebutton"),
        ("https://video.example.org/rooms/x7k-2mn-p9q-r4s/join/", "bigbluebutton"),
        ("https://bbb.example.org/b/joh-x7k-2mn", "bigbluebutton"),
        ("https://bbb.example.org/b/joh-x7k-2mn-q4z/join", "bigbluebutton"),
        ("https://bbb.example.org/gl/ann-x7k-2mn", "bigbluebutton"),
        ("https://scalelite.example.org/bigbluebutton/api/join?meetingID=x&checksum=y",
         "bigbluebutton"),
        ("https://chat.example.org/calls/bigbluebutton/join?meeting_id=x&password=y",
         "bigbluebutton"),
        ("https://moodle.example.edu/mod/bigbluebuttonbn/view.php?id=42", "bigbluebutton"),
        ("https://lms.example.edu/moodle/mod/bigbluebuttonbn/bbb_view.php?action=join",
         "bigbluebutton"),
        # Pexip Infinity's web app, every version.
        ("https://pexip.example.com/webapp/conference/alice?role=guest", "pexip"),
        ("https://pexip.example.com/webapp/#/?conference=alice&name=Ann", "pexip"),
        ("https://pexip.example.com/webapp/?conference=meet.alice&join=1", "pexip"),
        ("https://pexip.example.com/webapp2/conference/alice", "pexip"),
        ("https://video.example.com/webapp3/m/alice", "pexip"),
        # Other self-hosted services.
        ("https://cloud.example.com/call/abc12def", "nextcloud_talk"),
        ("https://cloud.example.com/index.php/call/abc12def", "nextcloud_talk"),
        ("https://call.example.org/room/#/standup?roomId=!abc:example.org&password=x",
         "element_call"),
        ("https://call.example.org/room/#/standup?password=x", "element_call"),
        ("https://jitsi.example.org/RocketChatabcdefghijklmnopq12345678901234567890",
         "rocketchat"),
        # Chat platforms' calls.
        ("https://chat.example.com/eng/channels/abcdefghijklmnopqrstuvwxyz?join_call=true",
         "mattermost"),
        ("https://discord.com/channels/123456789012345678/234567890123456789", "discord"),
        ("https://ptb.discord.com/channels/123456789012345678/234567890123456789", "discord"),
        ("https://discordapp.com/channels/123456789012345678/234567890123456789/", "discord"),
        ("https://discord.gg/abcd1234", "discord"),
        ("https://app.slack.com/huddle/T0123ABC/C0123ABC", "slack"),
        ("https://acme.slack.com/huddle/T0123ABC/C0123ABC", "slack"),
        ("https://slack.com/app_redirect?channel=C123&team=T123&huddle=true", "slack"),
        # Chat products whose suite has a meeting service.
        ("https://cliq.zoho.com/meeting/1CI1MFX2BATW", "zoho"),
        ("https://cliq.zoho.eu/meeting/1CI1MFX2BATW", "zoho"),
        ("https://meeting.zoho.com/meeting/join?key=123", "zoho"),
        ("https://vc.feishu.cn/j/123456789", "feishu"),
        ("https://vc.larksuite.com/j/337736498", "lark"),
        ("https://applink.larksuite.com/client/videochat/open?source=cal&id=1", "lark"),
        ("https://teams.live.com/meet/9312345678901", "teams"),
        ("https://teams.microsoft.com/v2/?meetingjoin=true#/l/meetup-join/19:meeting_x@thread.v2/0",
         "teams"),
        ("https://teams.microsoft.com/dl/launcher/launcher.html?url=%2F_%23%2Fl%2Fmeetup-join"
         "%2F19%3Ameeting_x&type=meetup-join", "teams"),
        ("https://teams.microsoft.com/_#/l/meetup-join/19:meeting_x@thread.v2/0", "teams"),
        ("https://acme.webex.com/meet/jdoe", "webex"),
        ("https://meet.google.com/abc-defg-hij", "google_meet"),
    ],
)  # fmt: skip
def test_match_shape_meeting_link_on_any_host(url: str, key: str) -> None:
    assert provider_for_url(url) == key


@pytest.mark.parametrize(
    "url",
    [
        # A room's own page, a room listing, a booking page: no join shape.
        "https://bbb.uni-example.de/rooms/abc-def-ghi-jkl",
        "https://bbb.uni-example.de/rooms",
        "https://hotel.example.com/rooms/deluxe-suite",
        "https://hotel.example.com/rooms/deluxe/suite/join",
        "https://blog.example.com/b/my-first-post",
        "https://moodle.example.edu/mod/bigbluebuttonbn/index.php?id=3",
        # The Pexip web app's home screen.
        "https://pexip.example.com/webapp/home",
        "https://pexip.example.com/webapp/",
        "https://pexip.example.com/webapp3/",
        # Chat links that are not calls.
        "https://chat.example.com/eng/channels/town-square",
        "https://discord.com/channels/123456789012345678/234567890123456789/345678901234567890",
        "https://discord.com/channels/@me/234567890123456789",
        "https://example.com/channels/123456789012345678/234567890123456789",
        "https://slack.com/app_redirect?channel=C123",
        "https://acme.slack.com/archives/C0123ABC",
        "https://crm.example.com/call/12345678",
        "https://shop.example.org/room/#/standup",
        "https://example.org/RocketChat",
        # Lark's recordings and minutes, Teams' home page.
        "https://meetings.larksuite.com/minutes/obcn37dxcftoc3656rgyejm7",
        "https://meetings.feishu.cn/minutes/obcn37dxcftoc3656rgyejm7",
        "https://teams.microsoft.com/v2/",
        "https://teams.microsoft.com/",
        "https://example.com/v2/?x=meetup-join",
    ],
)
def test_match_shape_look_alike_page_not_a_meeting(url: str) -> None:
    assert provider_for_url(url) is None


def test_classify_self_hosted_room_is_video() -> None:
    got = classify(
        meeting(location="Online: https://bbb.uni-example.de/rooms/abc-def-ghi-jkl/join")
    )
    assert (got.modality, got.provider) == (Modality.VIDEO, "bigbluebutton")
    assert got.reasons[0] == "BigBlueButton join link in the location"


def test_shape_every_provider_named() -> None:
    assert {shape.provider for shape in SHAPES} <= set(PROVIDER_NAMES)


@given(
    st.sampled_from(["/rooms/", "/b/", "/webapp/", "/channels/", "/call/", "/room/#/", "/"]),
    st.text(alphabet="abc019-_/?#&=!.:%", max_size=300),
    st.sampled_from(["bbb.example.org", "discord.com", "slack.com", "teams.microsoft.com"]),
)
def test_match_shape_any_url_answers(prefix: str, tail: str, host: str) -> None:
    """Whatever the path and query, matching answers a known key or None, and never raises."""
    url = f"https://{host}{prefix}{tail}"
    parts = split_url(url)
    assert parts is not None
    assert match_shape(*parts, url) in (None, *PROVIDER_NAMES)
    assert provider_for_url(url) in (None, *PROVIDER_NAMES)


def test_match_shape_long_hostile_paths_stay_linear() -> None:
    """Paths built to make a backtracking pattern explode are read in linear time."""
    hostile = [
        "/rooms/" + "a" * 3000 + "/joi",
        "/" + "a/" * 2000 + "mod/bigbluebuttonbn/view.ph",
        "/webapp/" + "?conference" * 500,
        "/room/#/" + "a" * 2000 + "?" + "&" * 2000,
        "/team/channels/" + "a-" * 2000,
    ]
    started = time.perf_counter()
    for path in hostile:
        url = "https://x.example" + path
        parts = split_url(url)
        assert parts is not None
        match_shape(*parts, url)
    assert time.perf_counter() - started < 1.0
