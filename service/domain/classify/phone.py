"""Recognising a phone bridge: tel: links and dial-in numbers with their PIN/passcode lines.

A number alone is not a bridge (signatures carry phone numbers); it counts when a bridge word
("dial-in", "PIN", "Meeting ID", "conference call", ...) sits near it, or when it is the whole
location. The number pattern is bounded (`{6,22}`, no nesting), so scanning is linear.
"""

from __future__ import annotations

import re

# International (+44 20 7946 0000), parenthesised area code ((555) 123-4567), national trunk
# prefix 0 (020 7946 0000, 030 1234567, 03-1234-5678), or North American (1-)555-123-4567.
_NUMBER = re.compile(
    r"(?<![\w+/=.-])"
    r"(?:\+\s?\d[\d \t().\-\u00a0]{5,22}\d"
    r"|\(\d{2,5}\)[ \t\u00a0]?\d[\d \t.\-\u00a0]{4,14}\d"
    r"|0\d{1,4}[ \t\-/.]\d[\d \t\-.]{3,14}\d"
    r"|(?:1[\-. ])?\d{3}[\-. ]\d{3}[\-. ]\d{4})"
    r"(?![\w])"
)
_DATE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\Z")
_TEL = re.compile(r"\btel:\s*(\+?[\d\-().\s]{3,30}\d)", re.IGNORECASE)
# Bridge words, matched at the start of a word ("dial-in", "dialing") so that "pin" does not
# fire inside "shopping"; Japanese has no spaces between words, so those match anywhere.
# fmt: off
_KEYWORDS = re.compile(
    r"\b(?:dial|pins?\b|passcode|pass code|access code|meeting id|conference id"
    r"|participant code|conference call|conf call|bridge|call-in|call in\b|join by phone"
    r"|toll|audio conference|phone conference|teleconference|attendee code|moderator"
    r"|conference number|conference code|einwahl|zugangscode|konferenz-id|telefonkonferenz"
    r"|numéro de conférence|numéro d'accès|code d'accès|conférence téléphonique"
    r"|código de acceso)"
    r"|電話会議|ダイヤル|会議\s?id|パスコード"
)
_PIN_WORDS = re.compile(
    r"\b(?:pin\b|passcode|pass code|access code|participant code|conference id|code d'accès"
    r"|zugangscode|konferenz-id|código de acceso)|パスコード"
)
# fmt: on
MAX_CANDIDATES = 40
_WINDOW_BEFORE = 160
_WINDOW_AFTER = 120


def _too_few_digits(text: str) -> bool:
    """True when ASCII text holds fewer than 7 digits: no number we accept fits (cheap, in C)."""
    if not text.isascii():
        return False
    raw = text.encode("ascii")
    return len(raw) - len(raw.translate(None, b"0123456789")) < 7


def _digits(number: str) -> int:
    return sum(map(str.isdigit, number))


def tidy(number: str) -> str:
    """A number as shown in reasons: runs of spaces collapsed, at most 24 characters."""
    return " ".join(number.replace("\u00a0", " ").split())[:24]


def tel_link(text: str) -> str | None:
    """The first number of a `tel:` link in `text`, or None."""
    if "tel:" not in text and "TEL:" not in text and "Tel:" not in text:
        return None
    match = _TEL.search(text)
    return tidy(match.group(1)) if match and _digits(match.group(1)) >= 5 else None


def dial_in(text: str) -> tuple[str, bool] | None:
    """(number, has PIN) of the first dial-in number with a bridge word near it, or None."""
    if _too_few_digits(text):
        return None
    lower: str | None = None
    for count, match in enumerate(_NUMBER.finditer(text)):
        if count >= MAX_CANDIDATES:
            return None
        number = match.group()
        if not 7 <= _digits(number) <= 15 or _DATE.match(number):
            continue
        if lower is None:
            lower = text.lower()
        window = lower[max(0, match.start() - _WINDOW_BEFORE) : match.end() + _WINDOW_AFTER]
        if _KEYWORDS.search(window):
            return tidy(number), _PIN_WORDS.search(window) is not None
    return None


def is_phone_only(text: str) -> str | None:
    """The number when `text` is just a phone number (with a word such as 'Dial-in'), or None."""
    if _too_few_digits(text):
        return None
    match = _NUMBER.search(text)
    if match is None or not 7 <= _digits(match.group()) <= 15:
        return None
    rest = (text[: match.start()] + text[match.end() :]).lower()
    leftover = "".join(ch for ch in rest if ch.isalpha())
    if len(leftover) <= 24:
        return tidy(match.group())
    return None
