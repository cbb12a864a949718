"""Finding URLs in free text and HTML bodies, and unwrapping redirect wrappers around them.

One regular expression finds URL candidates (a scheme, then a run of characters that cannot
end a URL): it has no nested quantifier, so it runs in linear time on any input. HTML is not
parsed: `href="..."`, Outlook's `<https://...>` and bare URLs all stop at a quote, `<`, `>` or
whitespace. Entities (`&amp;`) are decoded per URL, not over the whole body.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, unquote

# Schemes the meeting clients register besides http(s).
_URL = r"(?:https?|zoommtg|zoomus|msteams)://[^\s<>\"'`\\\]\[{}|^]+"
MAX_URL = 4096
_TRAILING = ".,;:!?*)('"
URL_RE = re.compile(_URL, re.IGNORECASE)


def clean(url: str) -> str:
    """Trim punctuation that ends a sentence, decode entities, unwrap SafeLinks-style redirects."""
    url = url[:MAX_URL]
    if "&" in url:
        url = html.unescape(url)
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return unwrap(url)


def _query_param(url: str, name: str) -> str | None:
    query = url.partition("?")[2].partition("#")[0]
    values = parse_qs(query, keep_blank_values=False).get(name)
    return values[0] if values else None


def unwrap(url: str, depth: int = 3) -> str:
    """The target of Microsoft SafeLinks, Google `/url?q=` and Proofpoint wrappers (nested too)."""
    for _ in range(depth):
        lower = url[:120].lower()
        target: str | None = None
        if ".safelinks.protection.outlook.com/" in lower:
            target = _query_param(url, "url")
        elif "://www.google." in lower or "://google." in lower:
            if "/url?" in lower:
                target = _query_param(url, "q") or _query_param(url, "url")
        elif "://urldefense.com/v3/__" in lower:
            inner = url.partition("/v3/__")[2]
            target = inner.partition("__;")[0] if "__;" in inner else None
        elif "://urldefense.proofpoint.com/v2/url?" in lower:
            raw = _query_param(url, "u")
            target = raw.replace("-", "%").replace("_", "/") if raw else None
            target = unquote(target) if target else None
        if not target or "://" not in target[:12]:
            return url
        url = target if "%" not in target[:12] else unquote(target)
    return url


def find_urls(text: str) -> Iterator[tuple[int, str]]:
    """(position, cleaned URL) for every URL in `text`, in order of appearance."""
    if "://" not in text:
        return
    for match in URL_RE.finditer(text):
        yield match.start(), clean(match.group())
