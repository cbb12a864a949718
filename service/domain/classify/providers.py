"""The table of online meeting services, and matching a URL against it in linear time.

Each `Provider` lists `host/path-prefix` patterns; services known only by the shape of their
links on any host (self-hosted BigBlueButton or Pexip, chat platforms' calls) are in
`shapes.py`. A pattern's host matches itself and every
subdomain (`zoom.us` covers `acme.zoom.us`); its path prefix (case-insensitive, may be empty)
must start the URL's path. Matching walks the URL host's suffixes from the longest and looks
each up in a dict, so the work per URL is a handful of dict lookups and `startswith` calls:
no regular expression runs per provider.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from service.domain.classify.links import clean
from service.domain.classify.shapes import match_shape

_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}\Z")
_HOST = re.compile(r"[a-z0-9.-]{1,253}\Z")


@dataclass(frozen=True, slots=True)
class ProviderPattern:
    """One URL pattern: a host (and its subdomains) plus an optional path prefix.

    Tenant admins pass their own (a self-hosted Jitsi, a vanity domain) into `classify`;
    they are tried before the built-in table. `provider` defaults to `other`.
    """

    host: str
    path_prefix: str = ""
    provider: str = "other"
    name: str | None = None

    def __post_init__(self) -> None:
        host = self.host.strip().lower().rstrip(".")
        if not _HOST.match(host) or "." not in host or host.startswith("."):
            raise ValueError(
                f"host must be a domain name like 'meet.example.com', got {self.host!r}"
            )
        if self.path_prefix and not self.path_prefix.startswith("/"):
            raise ValueError(f"path_prefix must start with '/', got {self.path_prefix!r}")
        if not _KEY.match(self.provider):
            raise ValueError(f"provider must be a lowercase snake_case key, got {self.provider!r}")
        object.__setattr__(self, "host", host)
        object.__setattr__(self, "path_prefix", self.path_prefix.lower())

    @property
    def display_name(self) -> str:
        """A human name for reasons."""
        return self.name or display_name(self.provider)


@dataclass(frozen=True, slots=True)
class Provider:
    """One online meeting service: its key, its name and its `host/path-prefix` patterns."""

    key: str
    name: str
    patterns: tuple[str, ...]


_ZOOM_PATHS = ("/j/", "/s/", "/w/", "/my/", "/wc/", "/join", "/meeting/", "/webinar/", "/launch/")

# fmt: off
PROVIDERS: tuple[Provider, ...] = (
    Provider("zoom", "Zoom", (
        *(f"zoom.us{p}" for p in _ZOOM_PATHS), *(f"zoomgov.com{p}" for p in _ZOOM_PATHS),
        *(f"zoom.com{p}" for p in _ZOOM_PATHS), "events.zoom.us/"
    )),
    Provider("google_meet", "Google Meet", (
        "meet.google.com/", "hangouts.google.com/", "plus.google.com/hangouts/", "g.co/meet/",
        "stream.meet.google.com/",
    )),
    Provider("google_duo", "Google Duo", ("duo.app.goo.gl/", "duo.google.com/")),
    Provider("teams", "Microsoft Teams", (
        "teams.microsoft.com/l/meetup-join/", "teams.microsoft.com/meet/",
        "teams.microsoft.com/l/meeting/", "teams.microsoft.com/_#/l/meetup-join/",
        "teams.live.com/meet/", "teams.live.com/l/meetup-join/",
        "teams.microsoft.us/l/meetup-join/", "teams.microsoft.us/meet/",
        "teams.cloud.microsoft/l/meetup-join/", "teams.cloud.microsoft/meet/",
        "teams.microsoftonline.cn/l/meetup-join/",
    )),
    Provider("webex", "Webex", ("webex.com/", "webexgov.us/", "webex.ca/")),
    # GoTo Webinar is the same service and client as GoTo Meeting: one provider key.
    Provider("goto", "GoTo Meeting", (
        "gotomeeting.com/", "gotomeet.me/", "meet.goto.com/", "app.goto.com/meeting/",
        "gotowebinar.com/",
    )),
    Provider("goto_training", "GoTo Training", ("gototraining.com/join/",)),
    Provider("bluejeans", "BlueJeans", ("bluejeans.com/", "bjn.vc/")),
    Provider("jitsi", "Jitsi Meet", ("meet.jit.si/", "8x8.vc/", "jitsi.riot.im/")),
    Provider("whereby", "Whereby", ("whereby.com/", "appear.in/")),
    Provider("chime", "Amazon Chime", ("chime.aws/",)),
    Provider("ringcentral", "RingCentral Video", (
        "meetings.ringcentral.com/", "v.ringcentral.com/", "video.ringcentral.com/",
    )),
    Provider("skype", "Skype", ("join.skype.com/", "meet.lync.com/", "lync.com/meet/")),
    Provider("slack", "Slack huddle", ("app.slack.com/huddle/", "slack.com/huddle/")),
    Provider("discord", "Discord", ("discord.gg/", "discord.com/invite/", "discord.com/events/")),
    Provider("zoho", "Zoho Meeting", (
        "meeting.zoho.com/", "meeting.zoho.eu/", "meeting.zoho.in/", "meeting.zoho.com.au/",
        "meeting.zoho.jp/", "meeting.zoho.com.cn/", "meeting.zoho.sa/", "meeting.zoho.uk/",
        "meeting.zohocloud.ca/", "zohomeeting.com/",
        # Zoho Cliq's audio and video meetings run on Zoho Meeting.
        "cliq.zoho.com/meeting/", "cliq.zoho.eu/meeting/", "cliq.zoho.in/meeting/",
        "cliq.zoho.com.au/meeting/", "cliq.zoho.jp/meeting/",
    )),
    # Lark and Feishu: video meetings and the app link that opens one (`meetings.` hosts serve
    # recordings and minutes, not meetings).
    Provider("lark", "Lark", ("vc.larksuite.com/", "applink.larksuite.com/client/videochat/")),
    Provider("feishu", "Feishu", ("vc.feishu.cn/", "applink.feishu.cn/client/videochat/")),
    Provider("voov", "VooV Meeting", ("voovmeeting.com/", "meeting.tencent.com/")),
    Provider("dialpad", "Dialpad Meetings", ("meetings.dialpad.com/", "dialpad.com/meetings/")),
    Provider("uberconference", "UberConference", ("uberconference.com/",)),
    Provider("lifesize", "Lifesize", ("lifesizecloud.com/", "lifesize.com/call/")),
    Provider("pexip", "Pexip", ("pexip.me/", "pexip.com/webapp/")),
    Provider("bigbluebutton", "BigBlueButton", (
        "bigbluebutton.org/", "blindsidenetworks.com/", "/bigbluebutton/api/join",
    )),
    Provider("around", "Around", ("around.co/",)),
    Provider("gather", "Gather", ("gather.town/",)),
    Provider("tuple", "Tuple", ("tuple.app/",)),
    Provider("livestorm", "Livestorm", ("livestorm.co/",)),
    Provider("vowel", "Vowel", ("vowel.com/",)),
    Provider("pop", "Pop", ("pop.com/j/",)),
    Provider("jam", "Jam", ("jam.systems/",)),
    Provider("riverside", "Riverside", ("riverside.fm/studio/",)),
    Provider("streamyard", "StreamYard", ("streamyard.com/",)),
    Provider("kumospace", "Kumospace", ("kumospace.com/",)),
    Provider("dingtalk", "DingTalk", ("meeting.dingtalk.com/",)),
    Provider("vonage", "Vonage Meetings", ("meetings.vonage.com/",)),
    Provider("workplace", "Workplace from Meta", (
        "workplace.com/groupcall/", "workplace.com/meet/",
    )),
    Provider("messenger", "Messenger Rooms", ("msngr.com/", "facebook.com/groupcall/")),
    Provider("zhumu", "Zhumu", ("zhumu.me/j/", "zhumu.com/j/")),
    Provider("telemost", "Yandex Telemost", (
        "telemost.yandex.ru/j/", "telemost.yandex.com/j/", "telemost.360.yandex.ru/j/",
    )),
    Provider("vimeo", "Vimeo", ("vimeo.com/event/",)),
    Provider("youtube", "YouTube Live", ("youtube.com/live/",)),
    Provider("demio", "Demio", ("demio.com/",)),
    Provider("teemyco", "Teemyco", ("teemyco.com/",)),
    Provider("coscreen", "CoScreen", ("coscreen.co/",)),
    Provider("vidyo", "Vidyo", ("vidyocloud.com/join/", "vidyo.com/join/")),
    Provider("freeconferencecall", "FreeConferenceCall", ("join.freeconferencecall.com/",)),
    Provider("blackboard_collaborate", "Blackboard Collaborate", ("bbcollab.com/",)),
    Provider("adobe_connect", "Adobe Connect", ("adobeconnect.com/",)),
    Provider("chorus", "Chorus", ("chorus.ai/meeting/", "go.chorus.ai/")),
    Provider("gong", "Gong", ("join.gong.io/",)),
    Provider("ovice", "oVice", ("ovice.in/", "app.ovice.com/")),
    Provider("butter", "Butter", ("butter.us/",)),
    Provider("mmhmm", "mmhmm", ("mmhmm.app/",)),
    Provider("doxyme", "Doxy.me", ("doxy.me/",)),
    Provider("vsee", "VSee", ("vsee.com/", "vsee.me/")),
    Provider("cal_video", "Cal Video", ("cal.video/", "app.cal.com/video/")),
    Provider("daily", "Daily", ("daily.co/",)),
    Provider("livekit", "LiveKit Meet", ("meet.livekit.io/",)),
    Provider("element_call", "Element Call", ("call.element.io/",)),
    Provider("signal", "Signal call", ("signal.link/call/",)),
    Provider("facetime", "FaceTime", ("facetime.apple.com/join",)),
    Provider("whatsapp", "WhatsApp call", ("call.whatsapp.com/video/",)),
    Provider("proton_meet", "Proton Meet", ("meet.proton.me/",)),
    Provider("starleaf", "StarLeaf", ("meet.starleaf.com/",)),
    Provider("join_me", "join.me", ("join.me/",)),
    Provider("teamviewer", "TeamViewer Meeting", ("go.teamviewer.com/", "blizz.com/")),
    Provider("demodesk", "Demodesk", ("demodesk.com/",)),
    Provider("luma", "Luma", ("lu.ma/join/",)),
    Provider("pumble", "Pumble", ("meet.pumble.com/",)),
    Provider("meetecho", "Meetecho", ("meetecho.com/",)),
    Provider("clickmeeting", "ClickMeeting", ("clickmeeting.com/",)),
    Provider("airmeet", "Airmeet", ("airmeet.com/e/",)),
    Provider("hopin", "Hopin", ("hopin.com/events/",)),
    Provider("tandem", "Tandem", ("tandem.chat/",)),
    Provider("talky", "Talky", ("talky.io/",)),
    Provider("gobrunch", "GoBrunch", ("gobrunch.com/",)),
    Provider("bigmarker", "BigMarker", ("bigmarker.com/",)),
    Provider("spatialchat", "SpatialChat", ("spatial.chat/s/", "app.spatial.chat/")),
    Provider("wonder", "Wonder", ("wonder.me/",)),
    Provider("remo", "Remo", ("remo.co/",)),
    Provider("topia", "Topia", ("topia.io/",)),
    Provider("huddle01", "Huddle01", ("huddle01.com/",)),
    Provider("avaya_spaces", "Avaya Spaces", ("spaces.avayacloud.com/",)),
    Provider("nextcloud_talk", "Nextcloud Talk", ("/index.php/call/",)),
    # Known by their links' shape on the organisation's own host only (see shapes.py).
    Provider("mattermost", "Mattermost call", ()),
    Provider("rocketchat", "Rocket.Chat video call", ()),
)
# fmt: on

# Pages on meeting services' domains that are not a meeting: help pages, local numbers.
NOT_JOIN: tuple[str, ...] = (
    "zoom.us/u/", "zoomgov.com/u/", "help.webex.com/", "www.webex.com/", "blog.webex.com/",
    "developer.webex.com/", "settings.webex.com/", "dialin.teams.microsoft.com/",
    "help.bluejeans.com/", "support.zoom.us/", "support.gotomeeting.com/",
    "support.gotowebinar.com/", "blog.gotomeeting.com/",
)  # fmt: skip

PROVIDER_NAMES: Mapping[str, str] = {p.key: p.name for p in PROVIDERS} | {
    "phone": "phone bridge",
    "other": "online meeting",
}


def display_name(provider: str) -> str:
    """A provider key as people write it (`facetime` -> `FaceTime`); unknown keys in words."""
    return PROVIDER_NAMES.get(provider) or provider.replace("_", " ")


# Provider-own solution keys (Google conferenceSolution.key.type, Graph onlineMeetingProvider).
SOLUTIONS: Mapping[str, str] = {
    "hangoutsmeet": "google_meet",
    "eventhangout": "google_meet",
    "eventnamedhangout": "google_meet",
    "teamsforbusiness": "teams",
    "skypeforbusiness": "skype",
    "skypeforconsumer": "skype",
}

_NOT_JOIN_KEY = ""
# Services whose rooms are whole host names: any https://<name>.zm.page is a Zoom room.
_HOST_ROOMS: tuple[tuple[str, str], ...] = ((".zm.page", "zoom"),)


def _split(spec: str) -> tuple[str, str]:
    host, slash, path = spec.partition("/")
    return host, (slash + path).lower()


def _expand(providers: Iterable[Provider]) -> list[ProviderPattern]:
    patterns: list[ProviderPattern] = []
    for provider in providers:
        for spec in provider.patterns:
            if spec.startswith("/"):
                continue  # path-only patterns are handled by _PATH_ONLY
            host, path = _split(spec)
            patterns.append(ProviderPattern(host, path, provider.key, provider.name))
    return patterns


PATTERNS: tuple[ProviderPattern, ...] = tuple(_expand(PROVIDERS))
_PATH_ONLY: tuple[tuple[str, str], ...] = tuple(
    (spec.lower(), p.key) for p in PROVIDERS for spec in p.patterns if spec.startswith("/")
)

Index = dict[str, tuple[tuple[str, str, str], ...]]


def build_index(patterns: Iterable[ProviderPattern], not_join: Iterable[str] = ()) -> Index:
    """Host -> (path prefix, provider key, name), longest prefix first ('' key: not a join)."""
    by_host: dict[str, list[tuple[str, str, str]]] = {}
    for pattern in patterns:
        entry = (pattern.path_prefix, pattern.provider, pattern.display_name)
        by_host.setdefault(pattern.host, []).append(entry)
    for spec in not_join:
        host, path = _split(spec)
        by_host.setdefault(host, []).append((path, _NOT_JOIN_KEY, ""))
    return {
        host: tuple(sorted(entries, key=lambda e: (-len(e[0]), e[1] != _NOT_JOIN_KEY)))
        for host, entries in by_host.items()
    }


BUILTIN_INDEX: Index = build_index(PATTERNS, NOT_JOIN)


_SPLIT = re.compile(
    r"[a-z][a-z0-9+.-]{0,15}://(?:[^/?#@\s]*@)?([^/?#:\s]*)[^/?#\s]*([^?#\s]*)", re.I
)


def split_url(url: str) -> tuple[str, str] | None:
    """(host, lowercased path) of an absolute URL, or None when it has no host."""
    match = _SPLIT.match(url)
    if match is None or not match.group(1):
        return None
    return match.group(1).lower().rstrip("."), match.group(2).lower()


def lookup(index: Index, host: str, path: str) -> tuple[str, str] | None:
    """(provider key, name) for a host and path; ('', '') for a known non-join page."""
    if not path or path == "/":
        return None  # a service's home page is not a meeting
    www = host.startswith("www.")
    start = 0
    while True:
        entries = index.get(host[start:] if start else host)
        if entries:
            for prefix, key, name in entries:
                # Catch-all patterns skip www hosts: marketing pages, not meeting rooms.
                if (prefix in ("", "/") and www and key) or not path.startswith(prefix):
                    continue
                return key, name
        dot = host.find(".", start)
        if dot < 0:
            return None
        start = dot + 1


def match_url(url: str, custom: Sequence[ProviderPattern] = ()) -> tuple[str, str] | None:
    """(provider key, display name) of a join URL, or None when it is not a known meeting link."""
    if custom:
        parts = split_url(url)
        if parts is not None:
            found = lookup(build_index(custom), *parts)
            if found is not None and found[0]:
                return found
    return _match_builtin(url)


def _match_builtin(url: str) -> tuple[str, str] | None:
    parts = split_url(url)
    if parts is None:
        return None
    host, path = parts
    found = lookup(BUILTIN_INDEX, host, path)
    if found is not None:
        return found if found[0] else None
    for prefix, key in _PATH_ONLY:
        if prefix in path:
            return key, PROVIDER_NAMES[key]
    shaped = match_shape(host, path, url)
    if shaped is not None:
        return shaped, PROVIDER_NAMES[shaped]
    for suffix, key in _HOST_ROOMS:
        if host.endswith(suffix) and len(host) > len(suffix):
            return key, PROVIDER_NAMES[key]
    return _skype_self_hosted(host, url)


def _skype_self_hosted(host: str, url: str) -> tuple[str, str] | None:
    # Skype for Business on-premises: https://meet.<org>/<alias>/<conference id>, or with the
    # SIP domain first: https://join.<org>/<sip domain>/meet/<alias>/<conference id>.
    if not (host.startswith(("meet.", "lync.", "join.")) and host.count(".") >= 2):
        return None
    match = _SPLIT.match(url)
    parts = match.group(2).strip("/").split("/") if match else []
    if len(parts) == 4 and parts[1].lower() == "meet":
        alias, conf = parts[2], parts[3]
    elif len(parts) == 2 and not host.startswith("join."):
        alias, conf = parts
    else:
        return None
    if alias and 6 <= len(conf) <= 10 and conf.isalnum() and conf == conf.upper():
        return "skype", "Skype for Business"
    return None


def provider_for_url(url: str) -> str | None:
    """The provider key of a meeting join URL (built-in table only, wrappers unwrapped), or None."""
    try:
        found = match_url(clean(url.strip()))
    except Exception:  # a lookup must never break a caller
        return None
    return found[0] if found else None
