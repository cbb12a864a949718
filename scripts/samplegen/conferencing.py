"""Join details as the big providers write them into invitations (deterministic fake ids)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

_MEET_RULE = "-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-"
_TEAMS_RULE = "_" * 80


@dataclass(frozen=True, slots=True)
class Join:
    """What a conference adds to an event: LOCATION, DESCRIPTION and vendor X- properties."""

    location: str | None
    description: str
    extra: tuple[tuple[str, str], ...] = field(default=())


def digits(key: str, count: int, salt: str = "") -> str:
    """`count` decimal digits derived from `key` (stable across runs and machines)."""
    number = int.from_bytes(hashlib.sha256(f"{salt}:{key}".encode()).digest(), "big")
    return str(number)[-count:].rjust(count, "0")


def letters(key: str, count: int, salt: str = "") -> str:
    """`count` lower-case letters derived from `key`."""
    raw = hashlib.sha256(f"{salt}:{key}".encode()).digest()
    return "".join(chr(ord("a") + byte % 26) for byte in raw[:count])


def _spaced(number: str, groups: tuple[int, ...]) -> str:
    parts, start = [], 0
    for size in groups:
        parts.append(number[start : start + size])
        start += size
    return " ".join(parts)


def zoom(key: str, host: str) -> Join:
    """A Zoom invitation: link in LOCATION, the usual block with one-tap numbers in DESCRIPTION."""
    meeting_id = "8" + digits(key, 10, "zoom")
    passcode = digits(key, 6, "zoom-pass")
    url = f"https://us02web.zoom.us/j/{meeting_id}?pwd={letters(key, 22, 'zoom-pwd')}"
    text = (
        f"{host} is inviting you to a scheduled Zoom meeting.\n\n"
        f"Join Zoom Meeting\n{url}\n\n"
        f"Meeting ID: {_spaced(meeting_id, (3, 4, 4))}\nPasscode: {passcode}\n\n---\n\n"
        "One tap mobile\n"
        f"+16465588656,,{meeting_id}#,,,,*{passcode}# US (New York)\n"
        f"+442034815240,,{meeting_id}#,,,,*{passcode}# United Kingdom\n\n"
        "Find your local number: https://us02web.zoom.us/u/kd3Fq8bXyZ\n"
    )
    return Join(url, text)


def teams(key: str) -> Join:
    """A Microsoft Teams invitation as Outlook writes it, with the Skype/Teams X- property."""
    thread = letters(key, 24, "teams")
    url = (
        "https://teams.microsoft.com/l/meetup-join/19%3ameeting_"
        f"{thread}%40thread.v2/0?context=%7b%22Tid%22%3a%22northwind%22%7d"
    )
    meeting_id = _spaced(digits(key, 12, "teams-id"), (3, 3, 3, 3))
    passcode = letters(key, 6, "teams-pass").capitalize() + digits(key, 2, "teams-pass")
    text = (
        f"{_TEAMS_RULE}\n"
        "Microsoft Teams meeting\n"
        "Join on your computer, mobile app or room device\n"
        f"Click here to join the meeting<{url}>\n"
        f"Meeting ID: {meeting_id}\n"
        f"Passcode: {passcode}\n"
        "Download Teams<https://www.microsoft.com/en-us/microsoft-teams/download-app> | "
        "Join on the web<https://www.microsoft.com/microsoft-teams/join-a-meeting>\n"
        "Learn More<https://aka.ms/JoinTeamsMeeting> | "
        "Meeting options<https://teams.microsoft.com/meetingOptions/>\n"
        f"{_TEAMS_RULE}\n"
    )
    return Join(
        "Microsoft Teams Meeting",
        text,
        (("X-MICROSOFT-SKYPETEAMSMEETINGURL", url), ("X-MICROSOFT-ONLINEMEETINGINFORMATION", "1")),
    )


def google_meet(key: str) -> Join:
    """A Google Meet invitation: the Meet block (phone fallback included), X-GOOGLE-CONFERENCE."""
    code = f"{letters(key, 3, 'meet')}-{letters(key, 4, 'meet2')}-{letters(key, 3, 'meet3')}"
    url = f"https://meet.google.com/{code}"
    pin = digits(key, 9, "meet-pin")
    text = (
        f"{_MEET_RULE}\n"
        "Do not edit this section of the description.\n\n"
        "This event has a video call.\n"
        f"Join: {url}\n"
        f"Join with Google Meet: {url}\n"
        f"Or dial: (GB) +44 20 3956 0467 PIN: {pin}#\n"
        f"More phone numbers: https://tel.meet/{code}?pin={pin}\n\n"
        "Learn more about Meet at: https://support.google.com/a/users/answer/9282720\n\n"
        "Please do not edit this section.\n"
        f"{_MEET_RULE}"
    )
    return Join(None, text, (("X-GOOGLE-CONFERENCE", url),))


def webex(key: str, host: str) -> Join:
    """A Cisco Webex invitation."""
    number = digits(key, 10, "webex")
    url = f"https://northwind.webex.com/northwind/j.php?MTID=m{letters(key, 32, 'webex-mtid')}"
    text = (
        f"{host} is inviting you to this Webex meeting.\n\n"
        f"Join meeting\n{url}\n\n"
        f"Meeting number (access code): {_spaced(number, (4, 3, 3))}\n"
        f"Meeting password: {letters(key, 4, 'webex-pw').upper()}{digits(key, 4, 'webex-pw')}\n\n"
        "Join by phone\n"
        f"+44-20-7946-0800 United Kingdom toll\n+1-555-0133 United States toll\n"
        f"Access code: {_spaced(number, (4, 3, 3))}\n"
    )
    return Join(url, text)


def phone_bridge(key: str, location: str = "dial-in") -> Join:
    """An audio-only conference line: dial-in numbers with a PIN and a tel: link, no video.

    `location` is how the organiser filled in LOCATION: "dial-in" (the number and PIN),
    "tel" (a tel: link) or "see-below" (a placeholder pointing at the description).
    """
    pin = digits(key, 4, "bridge")
    text = (
        "Audio only, please dial in.\n\n"
        "Dial-in: +1 555 0100 (US) / +44 20 7946 0958 (UK) / +91 80 4719 0100 (IN)\n"
        f"PIN: {pin}#\n\n"
        f"One-tap from a mobile: tel:+442079460958,,{pin}%23\n"
    )
    places = {
        "dial-in": f"Dial-in: +44 20 7946 0958, PIN: {pin}#",
        "tel": f"tel:+442079460958,,{pin}%23",
        "see-below": "Phone bridge (see below)",
    }
    return Join(places[location], text)


def phone_call(number: str, note: str) -> Join:
    """A plain phone call: a tel: link in LOCATION."""
    return Join(f"tel:{number}", note)
