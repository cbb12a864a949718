"""Defang foreign text (meeting titles, people's names) so no mail client makes a link of it.

A title comes from whoever wrote the calendar event; in an email that also carries Rapport's own
real links, `https://evil.example/x`, `www.…`, `mailto:`, a bare `evil.example/login` or a
look-alike host would become a clickable link from the organisation's own sender. `defang`:

- drops invisible format characters (zero-width spaces, bidirectional controls) that hide or
  reorder parts of a link;
- cuts every link scheme (`https://`, `ftp://`, `mailto:`, `javascript:`, `tel:` …), so
  `https://evil.example/x` reads `evil[.]example/x`;
- breaks every dot in front of a top-level-domain-like label (two or more word characters, a
  letter among them, any script, so look-alike hosts too) and in IPv4 addresses, the
  ideographic and full-width dots included: `www.evil.example` → `www[.]evil[.]example`,
  `eve@evil.example` → `eve@evil[.]example`.

Ordinary text keeps its meaning ("e.g.", "v2.1", "St. Louis" stay as they are).
"""

from __future__ import annotations

import re
import unicodedata

_DOTS = "[.\u3002\uff0e\uff61]"
_SCHEME_WITH_SLASHES = r"\b[a-z][a-z0-9+.\-]{0,30}\s*:\s*[/\\]{1,3}"
_BARE_SCHEMES = (
    "mailto|tel|sms|smsto|callto|facetime|facetime-audio|skype|sip|sips|xmpp|im|webcal|data|"
    "javascript|vbscript|file|news|nntp|irc|ircs|magnet|geo|maps|market|intent|ms-[a-z\\-]+"
)
_SCHEME = re.compile(rf"(?i){_SCHEME_WITH_SLASHES}|\b(?:{_BARE_SCHEMES})\s*:")
# A dot after a letter or digit, before a label of 2+ characters with a letter in it.
_HOST_DOT = re.compile(rf"(?<=[^\W_]){_DOTS}(?=[\w\-]{{2}})(?=[\w\-]*[^\W\d_])")
_IPV4 = re.compile(rf"(?<![\w.])\d{{1,3}}(?:{_DOTS}\d{{1,3}}){{3}}(?![\w])")
_WWW_DOT = re.compile(rf"(?i)(?<=\bwww){_DOTS}")
_ANY_DOT = re.compile(_DOTS)
BROKEN_DOT = "[.]"


def _visible(text: str) -> str:
    if text.isascii():
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def defang(text: str) -> str:
    """`text` with link schemes cut and host dots broken, so no client linkifies any of it."""
    cleaned = _visible(text)
    previous = None
    while previous != cleaned:  # "hthttps://tps://" must not leave a scheme behind
        previous = cleaned
        cleaned = _SCHEME.sub("", cleaned)
    cleaned = _IPV4.sub(lambda match: _ANY_DOT.sub(BROKEN_DOT, match.group(0)), cleaned)
    cleaned = _WWW_DOT.sub(BROKEN_DOT, cleaned)
    return _HOST_DOT.sub(BROKEN_DOT, cleaned)


def defang_optional(text: str | None) -> str | None:
    """`defang` for an optional value."""
    return None if text is None else defang(text)
