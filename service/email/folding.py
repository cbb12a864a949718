"""Fold a free-text header (the subject) so every reader gets back exactly the text we wrote.

The standard library's folder can leave a space *between* two RFC 2047 encoded-words, where
readers drop it (RFC 2047 §6.2), and it passes a title that merely looks like an encoded-word
through unencoded, so readers decode it. Here printable ASCII folds at its own spaces, and
anything else, or anything holding `=?`, is written wholly as base64 encoded-words: each
stands alone, and the spaces of the text travel inside them.
"""

from __future__ import annotations

import itertools
from email.charset import BASE64, Charset

LINE_LIMIT = 78
_WORD_LIMIT = 75  # RFC 2047 §2
_UTF8 = Charset("utf-8")
_UTF8.header_encoding = BASE64  # whole characters per word, never a split UTF-8 sequence


def _is_plain(prefix: str, value: str) -> bool:
    if not (value.isascii() and value.isprintable()) or "=?" in value:
        return False
    # A word that cannot fit on a line of its own is encoded, so that it can be split.
    return all(len(word) < LINE_LIMIT - len(prefix) for word in value.split(" "))


def _fold_plain(prefix: str, value: str, linesep: str) -> str:
    first, *rest = value.split(" ")
    lines = [f"{prefix} {first}"]
    for word in rest:
        if word and len(lines[-1]) + 1 + len(word) > LINE_LIMIT:
            lines.append(" " + word)
        else:
            lines[-1] += " " + word
    return linesep.join(lines)


def fold_unstructured(name: str, value: str, linesep: str = "\r\n") -> str:
    """`Name: value` folded to 78-character lines and ended by `linesep`; one line in, one out.

    `value` must already be one line (see `words.one_line`): control characters are encoded,
    never interpreted, but a reader would show them.
    """
    prefix = f"{name}:"
    if not value:
        return prefix + linesep
    if _is_plain(prefix, value):
        return _fold_plain(prefix, value, linesep) + linesep
    # Every encoded-word fits on the first line, after "Name: ".
    limit = min(_WORD_LIMIT, LINE_LIMIT - len(prefix) - 1)
    words = [w for w in _UTF8.header_encode_lines(value, itertools.repeat(limit)) if w]
    return f"{prefix} " + f"{linesep} ".join(words) + linesep
