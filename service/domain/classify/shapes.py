"""Meeting links recognised by the shape of their path, on any host.

Self-hosted services live on an organisation's own host, so no host table can know them:
BigBlueButton (behind Greenlight, Moodle, Zulip or Scalelite), Pexip, Nextcloud Talk,
Element Call, the Jitsi rooms Rocket.Chat opens. Chat platforms' calls (a Discord voice
channel, a Slack huddle, a Mattermost call) and Teams' launcher links are links of a kind that
a plain channel or page link is not. Each shape insists on the part that makes the link a
meeting (a room's `/join`, a conference alias, a call flag, a channel id pair), so a generic
page under the same path prefix never matches: `/rooms/<id>` alone is a room's page, not a join.

Every pattern is anchored or searched once over a bounded string, without nested quantifiers:
linear in the URL. A shape runs only when its literal marker is in the path.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Shape(NamedTuple):
    """One link shape: a marker the path must contain, the path pattern, and optional checks."""

    provider: str
    marker: str  # a literal the lowercased path contains (a cheap test before the pattern)
    path: re.Pattern[str]  # matched (anchored) against the lowercased path
    rest: re.Pattern[str] | None = None  # searched in the lowercased query and fragment
    hosts: tuple[str, ...] = ()  # when given: the host is one of these or a subdomain of one


_ID = r"[a-z0-9][a-z0-9_.-]{0,99}"  # one path segment naming a room or alias
# Greenlight v2 room ids: the owner's name chunk, then two or three chunks of three.
_GL2 = r"[a-z0-9]{1,4}-[a-z0-9]{3}-[a-z0-9]{3}(?:-[a-z0-9]{3})?"

SHAPES: tuple[Shape, ...] = (
    # BigBlueButton: Greenlight v3 `/rooms/<friendly id>/join` (the join page; a room's own
    # page `/rooms/<id>` is not a meeting link), Greenlight v2 `/b/<uid>` (or `/gl/`).
    Shape("bigbluebutton", "/rooms/", re.compile(rf"(?:/[a-z0-9_-]+)?/rooms/{_ID}/join/?\Z")),
    Shape("bigbluebutton", "/b/", re.compile(rf"/b/{_GL2}(?:/join)?/?\Z")),
    Shape("bigbluebutton", "/gl/", re.compile(rf"/gl/{_GL2}(?:/join)?/?\Z")),
    # Zulip's BigBlueButton calls and Moodle's BigBlueButton activity (the page that joins).
    Shape("bigbluebutton", "/calls/bigbluebutton/join", re.compile(r"/calls/bigbluebutton/join")),
    Shape(
        "bigbluebutton",
        "/mod/bigbluebuttonbn/",
        re.compile(r"(?:/[a-z0-9_.-]+){0,3}/mod/bigbluebuttonbn/(?:bbb_)?view\.php\Z"),
    ),
    # Pexip Infinity web app: a conference alias in the path (`/webapp/conference/<alias>`,
    # Webapp3 `/webapp3/m/<alias>`) or in the query or fragment (`/webapp/#/?conference=`).
    # `/webapp/home` and the bare web app are its home screen, not a meeting.
    Shape("pexip", "/webapp", re.compile(rf"/webapp[23]?/(?:conference|m)/{_ID}/?\Z")),
    Shape(
        "pexip",
        "/webapp",
        re.compile(r"/webapp[23]?/?\Z"),
        re.compile(r"[?&#/]conference=[^&#\s]"),
    ),
    # Nextcloud Talk with pretty URLs: `/call/<token>`, the token 8-12 letters and digits,
    # at least one a letter (a digits-only id is some other system's call record).
    Shape("nextcloud_talk", "/call/", re.compile(r"/call/(?=[a-z0-9]*[a-z])[a-z0-9]{8,12}/?\Z")),
    # Element Call (self-hosted): `/room/#/<name>?roomId=!…` or with a password.
    Shape(
        "element_call",
        "/room",
        re.compile(r"/room/?\Z"),
        re.compile(r"\A#/[^?#/\s]+\?(?:[^#\s]*&)?(?:roomid=!|password=)"),
    ),
    # Rocket.Chat's video calls: a Jitsi room named `RocketChat<server id><room id>`.
    Shape("rocketchat", "/rocketchat", re.compile(r"/rocketchat[a-z0-9]{17,120}/?\Z")),
    # Mattermost Calls: `/<team>/channels/<channel>?join_call=true` (`/call link`).
    Shape(
        "mattermost",
        "/channels/",
        re.compile(r"/[a-z0-9_-]{1,64}/channels/[a-z0-9_-]{1,64}/?\Z"),
        re.compile(r"[?&]join_call=true"),
    ),
    # Discord: a channel link (`/channels/<guild>/<channel>`; a third id is a message link,
    # `@me` a direct message). Scheduled events and invites are in the provider table.
    Shape(
        "discord",
        "/channels/",
        re.compile(r"/channels/[0-9]{15,21}/[0-9]{15,21}/?\Z"),
        hosts=("discord.com", "discordapp.com"),
    ),
    # Slack: an app redirect that opens a huddle (a plain app_redirect opens a channel).
    Shape(
        "slack",
        "/app_redirect",
        re.compile(r"/app_redirect/?\Z"),
        re.compile(r"[?&]huddle"),
        hosts=("slack.com",),
    ),
    # Teams: the new client's `/v2/?meetingjoin=true#/l/meetup-join/…` and the launcher page
    # that wraps a meetup-join link (`/dl/launcher/launcher.html?url=…meetup-join…`).
    Shape(
        "teams",
        "/",
        re.compile(r"/(?:v2/?|dl/launcher/launcher\.html|_)?\Z"),
        re.compile(r"meetup-join"),
        hosts=("teams.microsoft.com", "teams.live.com", "teams.microsoft.us"),
    ),
)

MAX_REST = 2048  # the part of a query and fragment read for a shape's check


def _on_host(host: str, hosts: tuple[str, ...]) -> bool:
    return any(host == name or host.endswith("." + name) for name in hosts)


def _rest(url: str) -> str:
    """The lowercased query and fragment of a URL (from the first `?` or `#`), bounded."""
    start = url.find("://")
    cut = [i for i in (url.find("?", start + 3), url.find("#", start + 3)) if i >= 0]
    return url[min(cut) : min(cut) + MAX_REST].lower() if cut else ""


def match_shape(host: str, path: str, url: str) -> str | None:
    """The provider key of a link whose path (lowercased) has a meeting shape, or None.

    `host` is the URL's lowercased host and `url` the whole (cleaned) URL, for the shapes
    that look at the query or fragment too.
    """
    rest: str | None = None
    for shape in SHAPES:
        if shape.marker not in path or (shape.hosts and not _on_host(host, shape.hosts)):
            continue
        if shape.path.match(path) is None:
            continue
        if shape.rest is not None:
            if rest is None:
                rest = _rest(url)
            if shape.rest.search(rest) is None:
                continue
        return shape.provider
    return None
