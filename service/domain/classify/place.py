"""Reading a location: a physical place, or just a URL, a phone number or a service's name.

Outlook joins several locations with "; ", so each part is judged alone. A part is virtual
when it holds a URL, is a phone number, or after dropping filler words ("Microsoft", "Meeting",
"Online", ...) names only meeting services ("Microsoft Teams Meeting", "Zoom", "Google Meet").
Anything else (an address, "Board Room 4", "Zoom Room Everest", "Café on 3rd") is a place.
"""

from __future__ import annotations

from service.domain.classify.phone import is_phone_only
from service.domain.classify.providers import PROVIDERS

MAX_LOCATION = 2000

_FILLER = frozenset(
    [
        "meeting",
        "meetings",
        "call",
        "calls",
        "video",
        "conference",
        "conferencing",
        "online",
        "link",
        "web",
        "join",
        "via",
        "on",
        "the",
        "a",
        "an",
        "see",
        "details",
        "below",
        "above",
        "in",
        "invite",
        "invitation",
        "description",
        "bridge",
        "virtual",
        "session",
        "app",
        "microsoft",
        "cisco",
        "google",
        "amazon",
        "ms",
        "personal",
        "id",
        "pin",
        "code",
        "passcode",
        "password",
        "pwd",
        "number",
        "with",
        "and",
        "or",
        "by",
        "for",
        "is",
        "to",
        "at",
        "here",
        "click",
    ]
)
_PLACEHOLDER = frozenset(
    [
        "tbd",
        "tba",
        "tbc",
        "n",
        "a",
        "na",
        "none",
        "remote",
        "virtual",
        "online",
        "phone",
        "telephone",
        "dial",
        "dialin",
        "dial-in",
        "audio",
        "voice",
        "hybrid",
        "video",
        "web",
        "internet",
    ]
)
_GENERIC = frozenset(
    [
        "meeting",
        "meetings",
        "video",
        "call",
        "live",
        "the",
        "rooms",
        "room",
        "from",
        "meta",
        "talk",
        "connect",
        "spaces",
        "web",
    ]
)
_SERVICE_WORDS = frozenset(
    word
    for provider in PROVIDERS
    for word in (*provider.name.lower().replace(".", " ").split(), provider.key)
    if len(word) > 2 and word not in _GENERIC
) | frozenset(
    [
        "meet",
        "hangouts",
        "teams",
        "skype",
        "lync",
        "gotomeeting",
        "webex",
        "zoom",
        "huddle",
        "facetime",
    ]
)


def _words(text: str) -> list[str]:
    cleaned = "".join(ch.lower() if ch.isalnum() else " " for ch in text)
    return [w for w in cleaned.split() if not w.isdigit()]


def virtual_kind(part: str) -> str | None:
    """'url', 'phone', 'service' or 'placeholder' when a location part is not a place, else None."""
    if "://" in part or part.lower().startswith("www."):
        return "url"
    if is_phone_only(part) is not None:
        return "phone"
    words = [w for w in _words(part) if w not in _FILLER]
    if not words:
        return "placeholder"
    if all(w in _SERVICE_WORDS for w in words):
        return "service"
    if all(w in _PLACEHOLDER or w in _SERVICE_WORDS for w in words):
        return "placeholder"
    return None


def physical_places(location: str | None) -> list[str]:
    """The parts of a location that name a physical place, in order."""
    if not location:
        return []
    places: list[str] = []
    for raw in location[:MAX_LOCATION].replace("\n", ";").split(";"):
        part = raw.strip(" \t\r,")
        if part and virtual_kind(part) is None:
            places.append(part)
    return places
