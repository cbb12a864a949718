"""Reading a location: a physical place, or just a URL, a phone number or a service's name.

Outlook joins several locations with "; ", so each part is judged alone. A part is virtual
when it holds a URL, is a phone number, or after dropping filler words ("Microsoft", "Meeting",
"Online", ...) names only meeting services ("Microsoft Teams Meeting", "Zoom", "Google Meet").
Anything else (an address, "Board Room 4", "Zoom Room Everest", "Café on 3rd") is a place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from service.domain.classify.links import find_raw_urls
from service.domain.classify.phone import is_phone_only
from service.domain.classify.providers import PROVIDERS

MAX_LOCATION = 2000

# fmt: off
_FILLER = frozenset((
    "meeting", "meetings", "call", "calls", "video", "conference", "conferencing", "online",
    "link", "web", "join", "via", "on", "the", "a", "an", "see", "details", "below", "above",
    "in", "invite", "invitation", "description", "bridge", "virtual", "session", "app",
    "microsoft", "cisco", "google", "amazon", "ms", "id", "pin", "code", "passcode",
    "password", "pwd", "number", "with", "and", "or", "by", "for", "is", "to", "at", "here",
    "click", "new", "my",
))
_PLACEHOLDER = frozenset((
    "tbd", "tba", "tbc", "n", "na", "none", "remote", "virtual", "online", "phone",
    "telephone", "dial", "dialin", "audio", "voice", "hybrid", "video", "web", "internet",
    "teleconference", "telecon", "telco", "concall", "telefonkonferenz", "telefonat",
    "téléphonique", "conférence", "audioconférence", "電話会議",
))
# Words too common to mean a service on their own ("Rooms 3 and 4", "Daily stand-up corner").
_GENERIC = frozenset((
    "meeting", "meetings", "video", "call", "live", "the", "rooms", "room", "from", "meta",
    "talk", "connect", "spaces", "web", "daily", "around", "pop", "jam", "gather", "butter",
    "wonder", "remo", "tandem", "signal", "element", "luma", "venue", "riverside", "lark",
))
# Service names as written in locations, beyond the first word of each provider's name.
_ALIASES: Mapping[str, str] = {
    "zoomgov": "zoom", "msteams": "teams", "hangouts": "google_meet", "hangout": "google_meet",
    "meet": "google_meet", "lync": "skype", "gotomeeting": "goto", "gotomeet": "goto",
    "goto": "goto", "bluejeans": "bluejeans", "teams": "teams", "webex": "webex",
    "chime": "chime", "jitsi": "jitsi", "huddle": "slack", "facetime": "facetime",
}
# Phrases a service uses for its own virtual rooms.
_VIRTUAL_PHRASES = ("personal room", "personal meeting room", "meeting room link")
# fmt: on


def _service_words() -> dict[str, str]:
    words: dict[str, str] = {}
    for provider in PROVIDERS:
        for word in provider.name.lower().replace(".", " ").split():
            if len(word) > 2 and word not in _GENERIC and word not in _FILLER:
                words.setdefault(word, provider.key)
                break  # the first distinctive word names the service
    return words | dict(_ALIASES)


SERVICE_WORDS: Mapping[str, str] = _service_words()
_SERVICE_SET = frozenset(SERVICE_WORDS)
_NOT_PLACE_WORDS = _SERVICE_SET | _PLACEHOLDER


_WORD = re.compile(r"[^\W_]+")  # a run of letters and digits: what str.isalnum() accepts


def _words(text: str) -> list[str]:
    lowered = text.lower()
    for phrase in _VIRTUAL_PHRASES:
        if phrase in lowered:
            lowered = lowered.replace(phrase, " ")
    return [w for w in _WORD.findall(lowered) if not w.isdigit() and w not in _FILLER]


def virtual_kind(part: str) -> str | None:
    """'url', 'phone', 'service' or 'placeholder' when a location part is not a place, else None."""
    if "://" in part:
        # "Board Room 4 - https://zoom.us/j/1": judge what is left around the link.
        rest = _without_urls(part)
        return "url" if not _words(rest) else virtual_kind(rest)
    if part.lower().startswith("www."):
        return "url"
    if is_phone_only(part) is not None:
        return "phone"
    words = _words(part)
    if not words:
        return "placeholder"
    if _SERVICE_SET.issuperset(words):
        return "service"
    if _NOT_PLACE_WORDS.issuperset(words):
        return "placeholder"
    return None


_EDGES = " -:|,()[]<>\u2013\u2014"  # what joins a link to its words, en and em dashes too


def _without_urls(text: str) -> str:
    pieces: list[str] = []
    last = 0
    for pos, raw in find_raw_urls(text):
        pieces.append(text[last:pos])
        last = pos + len(raw)
    pieces.append(text[last:])
    return " ".join(pieces).replace("://", " ").strip(_EDGES)


def _parts(location: str) -> list[str]:
    parts = location[:MAX_LOCATION].replace("\n", ";").split(";")
    return [p for p in (raw.strip(" \t\r,") for raw in parts) if p]


def physical_places(location: str | None) -> tuple[str, ...]:
    """The parts of a location that name a physical place, in order."""
    if not location:
        return ()
    return tuple(part for part in _parts(location) if virtual_kind(part) is None)


def named_service(location: str | None) -> tuple[str, str] | None:
    """(provider key, the words) when a location part only names a meeting service."""
    if not location:
        return None
    for part in _parts(location):
        if "://" in part or virtual_kind(part) != "service":
            continue
        keys = [SERVICE_WORDS[w] for w in _words(part)]
        # "Meet" alone is Google Meet; next to another service word it is just a verb.
        specific = [k for k in keys if k != "google_meet"] or keys
        return specific[0], part
    return None
