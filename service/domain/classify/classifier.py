"""classify(meeting) -> Classification: modality, provider, one-on-one, is-meeting, reasons.

Order of evidence for the join link: structured conference data > the links field > the
location > the description; within one source a known provider beats a tenant's `other`
pattern, then the first occurrence wins. A phone bridge only decides when there is no join
link; a room or a physical place makes a video meeting hybrid.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from service.domain.classify.links import MAX_URL, clean, find_raw_urls
from service.domain.classify.people import People, read_people
from service.domain.classify.phone import dial_in, is_phone_only, tel_link
from service.domain.classify.place import MAX_LOCATION, named_service, physical_places
from service.domain.classify.providers import (
    PROVIDER_NAMES,
    SOLUTIONS,
    ProviderPattern,
    match_url,
)
from service.domain.model import (
    Classification,
    Conference,
    EntryPointKind,
    EventStatus,
    EventType,
    Meeting,
    Modality,
)

MAX_REASON = 120
MAX_TEXT = 1_000_000  # longer bodies are read up to this many characters
MAX_URLS = 200  # per field: a body with more links is not an invitation we can read better
_TAG = re.compile(r"<[^<>]{0,2000}>")
_SOURCES = ("conference data", "event's links", "location", "description")
_VIDEO = EntryPointKind.VIDEO
_CANCELLED = EventStatus.CANCELLED
_DEFAULT = EventType.DEFAULT
_NOT_MEETING = {
    EventType.OUT_OF_OFFICE: "out of office",
    EventType.FOCUS_TIME: "focus time",
    EventType.WORKING_LOCATION: "working location",
}


class _Link(NamedTuple):
    rank: int  # index into _SOURCES
    unknown: bool  # a tenant's `other` pattern: known providers win
    position: int
    provider: str
    name: str
    url: str


def _cap(text: str) -> str:
    tidy = " ".join(text.split())
    return tidy if len(tidy) <= MAX_REASON else tidy[: MAX_REASON - 1] + "…"


def _read_link(raw: str, custom: Sequence[ProviderPattern]) -> tuple[str, tuple[str, str] | None]:
    """The cleaned URL and its (provider key, name): a tenant's patterns first, then ours."""
    if custom:
        url = clean(raw)
        return url, match_url(url, custom)
    return _builtin_link(raw[:MAX_URL])  # the same reading (`clean` cuts there), a bounded key


# The classifier's memos, both here. Links and locations repeat across a calendar (a series'
# join link, the help and dial-in pages of every invitation, the same rooms), and reading one is
# a pure function of its text. Bounded: the least recently used go first.
@lru_cache(maxsize=4096)
def _builtin_link(raw: str) -> tuple[str, tuple[str, str] | None]:
    """The cleaned URL and its match in the built-in table."""
    url = clean(raw)
    return url, match_url(url)


@lru_cache(maxsize=4096)
def _physical_places(location: str) -> tuple[str, ...]:
    return physical_places(location)


def _places_in(location: str | None) -> tuple[str, ...]:
    """`physical_places`, remembered (on the text it reads: the first MAX_LOCATION characters)."""
    return _physical_places(location[:MAX_LOCATION]) if location else ()


def _solution_provider(key: str | None) -> str | None:
    if not key:
        return None
    lowered = key.lower()
    if lowered in PROVIDER_NAMES and lowered not in ("phone", "other"):
        return lowered
    return SOLUTIONS.get(lowered.replace("_", ""))


def _conference_link(
    conference: Conference | None, custom: Sequence[ProviderPattern]
) -> _Link | None:
    if conference is None:
        return None
    for point in conference.entry_points:
        if point.kind is not _VIDEO:
            continue
        url, found = _read_link(point.uri.strip(), custom)
        key = _solution_provider(conference.solution) or (found[0] if found else None)
        if key is None:
            named = named_service(conference.name)  # an add-on's name: "Zoom Meeting"
            key = named[0] if named else "other"
        name = found[1] if found and found[0] == key else PROVIDER_NAMES.get(key, key)
        return _Link(0, key == "other", 0, key, name, url)
    return None


def _text_links(
    rank: int, text: str | None, custom: Sequence[ProviderPattern], found: list[_Link]
) -> None:
    if not text:
        return
    for count, (position, raw) in enumerate(find_raw_urls(text[:MAX_TEXT])):
        if count >= MAX_URLS:
            return
        url, match = _read_link(raw, custom)
        if match is not None:
            key, name = match
            found.append(_Link(rank, key == "other", position, key, name, url))


def _join_links(meeting: Meeting, custom: Sequence[ProviderPattern]) -> list[_Link]:
    found: list[_Link] = []
    if meeting.conference is not None:
        structured = _conference_link(meeting.conference, custom)
        if structured is not None:
            found.append(structured)
    if meeting.links:
        _listed_links(meeting, custom, found)
    location = meeting.location
    if location and "://" in location:
        _text_links(2, location, custom, found)
    if meeting.description:
        _text_links(3, meeting.description, custom, found)
    return found


def _listed_links(meeting: Meeting, custom: Sequence[ProviderPattern], found: list[_Link]) -> None:
    before = len(found)
    unmatched: list[tuple[int, str]] = []
    for position, raw in enumerate(meeting.links[:MAX_URLS]):
        url, match = _read_link(raw.strip(), custom)
        if match is not None:
            found.append(_Link(1, match[0] == "other", position, match[0], match[1], url))
        elif "://" in url:
            unmatched.append((position, url))
    hinted = _solution_provider(meeting.online_provider_hint)
    if hinted is not None and unmatched and len(found) == before:
        # The calendar says which service it is (Graph onlineMeetingProvider): trust its link.
        position, url = unmatched[0]
        found.append(_Link(1, False, position, hinted, PROVIDER_NAMES[hinted], url))


def _video_reasons(links: list[_Link]) -> tuple[_Link, list[str]]:
    # _join_links lists links by source, then by position: the first one wins unless it is a
    # tenant's `other` pattern and a known provider follows.
    best = links[0]
    if best.unknown and len(links) > 1:
        best = min(links, key=lambda link: (link.rank, link.unknown, link.position))
    what = "video entry" if best.rank == 0 else "join link"
    reasons = [f"{best.name} {what} in the {_SOURCES[best.rank]}"]
    if len(links) == 1:
        return best, reasons
    provider = best.provider
    others = sorted({(link.rank, link.name) for link in links if link.provider != provider})
    reasons.extend(f"also a {name} link in the {_SOURCES[rank]}" for rank, name in others[:3])
    return best, reasons


def _strip_html(text: str) -> str:
    if "<" in text:
        text = _TAG.sub(" ", text)
    return html.unescape(text) if "&" in text else text


def _phone_bridge(meeting: Meeting) -> str | None:
    """A reason naming the phone bridge, or None when there is none."""
    conference = meeting.conference
    number: str | None = None
    if conference is not None:
        for point in conference.entry_points:
            if point.kind is EntryPointKind.PHONE:
                number = point.label or point.uri.removeprefix("tel:")
                return f"{number}{' PIN' if point.pin else ''} in the conference data"
    for link in meeting.links:
        number = tel_link(link)
        if number:
            return f"tel: link {number}"
    location = meeting.location[:MAX_TEXT] if meeting.location else ""
    number = (tel_link(location) or is_phone_only(location)) if location else None
    if number:
        return f"{number} in the location"
    if meeting.description:
        description = meeting.description[:MAX_TEXT]
        dial = dial_in(_strip_html(description))
        if dial:
            return f"{dial[0]}{' PIN' if dial[1] else ''} in the description"
        number = tel_link(description)
        if number:
            return f"tel: link {number} in the description"
    if location:
        dial = dial_in(location)
        if dial:
            return f"{dial[0]}{' PIN' if dial[1] else ''} in the location"
    return None


def _places(meeting: Meeting, people: People | None) -> list[str]:
    rooms = people.rooms if people else ()
    if not rooms:
        places = _places_in(meeting.location)
        return [f"physical location: {place}" for place in places[:2]]
    reasons = [f"room resource: {room}" for room in rooms[:2]]
    named = {room.lower() for room in rooms}
    reasons.extend(
        f"physical location: {place}"
        for place in _places_in(meeting.location)[:2]
        if place.lower() not in named
    )
    return reasons


def _modality(
    meeting: Meeting, people: People | None, custom: Sequence[ProviderPattern]
) -> tuple[Modality, str | None, bool, str | None, list[str]]:
    links = _join_links(meeting, custom)
    places = _places(meeting, people)
    if links:
        best, reasons = _video_reasons(links)
        return Modality.VIDEO, best.provider, bool(places), best.url, reasons + places
    hinted = _solution_provider(meeting.online_provider_hint)
    if hinted is not None:
        reason = f"{PROVIDER_NAMES[hinted]} online meeting flagged by the calendar"
        return Modality.VIDEO, hinted, bool(places), None, [reason, *places]
    named = named_service(meeting.location)
    if named is not None:
        reason = f"location names {named[1]} (no join link found)"
        return Modality.VIDEO, named[0], bool(places), None, [reason, *places]
    bridge = _phone_bridge(meeting)
    if places:
        extra = [f"a phone bridge too: {bridge}"] if bridge else []
        return Modality.IN_PERSON, None, False, None, places + extra
    if bridge:
        return Modality.AUDIO, "phone", False, None, [f"only a phone bridge: {bridge}"]
    return Modality.UNKNOWN, None, False, None, ["no join link, phone bridge, room or place"]


def _people_reasons(people: People | None) -> tuple[bool | None, list[str]]:
    if people is None:
        return None, ["attendees unknown"]
    count = len(people.humans)
    if people.groups:
        return False, [f"{count} people and {people.groups} group(s)"]
    if count == 2:
        return True, ["2 people: one-on-one"]
    if count == 0:
        return False, ["no one listed"]
    return False, [f"{count} {'person' if count == 1 else 'people'}"]


def _not_meeting(meeting: Meeting, people: People | None) -> list[str]:
    reasons: list[str] = []
    if meeting.status is _CANCELLED:
        reasons.append("cancelled")
    if meeting.event_type is not _DEFAULT and meeting.event_type in _NOT_MEETING:
        reasons.append(_NOT_MEETING[meeting.event_type])
    if meeting.transparent:
        reasons.append("shows as free: a hold, not a meeting")
    if meeting.all_day:
        reasons.append("all-day event")
    if people is not None and len(people.humans) <= 1 and not people.groups:
        reasons.append("no one but the owner")
    return reasons


# Reasons that quote a place from the event; a private meeting's say only what kind it was.
_PLACE_REASONS = ("room resource: ", "physical location: ")


def _private(reasons: list[str]) -> list[str]:
    """A private meeting's reasons: no room or place named (they can say what it is about)."""
    kept = ["private meeting: title and places not shown"]
    for reason in reasons:
        kind = next((p for p in _PLACE_REASONS if reason.startswith(p)), None)
        if kind is None:
            kept.append(reason)
        elif (unnamed := kind[:-2]) not in kept:
            kept.append(unnamed)
    return kept


def _classify(meeting: Meeting, custom: Sequence[ProviderPattern]) -> Classification:
    people = read_people(meeting)
    modality, provider, hybrid, join_url, reasons = _modality(meeting, people, custom)
    if meeting.private:
        reasons = _private(reasons)
    one_on_one, people_reasons = _people_reasons(people)
    not_meeting = _not_meeting(meeting, people)
    reasons.extend(people_reasons)
    if not_meeting:
        reasons.extend(f"not a meeting: {reason}" for reason in not_meeting)
    return Classification(
        modality=modality,
        provider=provider,
        hybrid=hybrid,
        one_on_one=one_on_one,
        is_meeting=not not_meeting,
        join_url=join_url[:2048] if join_url else None,
        reasons=tuple(_cap(reason) for reason in reasons),
    )


def classify(meeting: Meeting, custom_patterns: Sequence[ProviderPattern] = ()) -> Classification:
    """Classify one meeting; never raises (the worst case is `unknown` with a reason)."""
    try:
        return _classify(meeting, tuple(custom_patterns) if custom_patterns else ())
    except Exception as exc:  # the pipeline must go on whatever a calendar holds
        reason = f"could not classify: {type(exc).__name__}"
        return Classification(Modality.UNKNOWN, one_on_one=None, reasons=(reason,))
