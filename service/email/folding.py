"""Fold a free-text header (the subject) so every reader gets back exactly the text we wrote.

The standard library's folder can leave a space *between* two RFC 2047 encoded-words, where
readers drop it (RFC 2047 §6.2), and it passes a title that merely looks like an encoded-word
through unencoded, so readers decode it. Here printable ASCII folds at its own spaces, and
anything else, or anything holding `=?`, is written wholly as base64 encoded-words: each
stands alone, and the spaces of the text travel inside them.
"""

from __future__ import annotations

import base64

LINE_LIMIT = 78
# "=?utf-8?b?" + base64 + "?=" fits after "Subject: " on one 78-character line: 42 bytes
# make 56 base64 characters, a 68-character encoded-word.
_CHUNK_BYTES = 42


def _is_plain(prefix: str, value: str) -> bool:
    if not (value.isascii() and value.isprintable()) or "=?" in value:
        return False
    # A word that cannot fit on a line of its own is encoded, so that it can be split.
    return all(len(word) < LINE_LIMIT - len(prefix) for word in value.split(" "))


def _fold_plain(prefix: str, value: str, linesep: str) -> str:
    lines: list[str] = []
    current = prefix + " "
    for index, word in enumerate(value.split(" ")):
        if index == 0:
            current += word
        elif word and len(current) + 1 + len(word) > LINE_LIMIT and current.strip():
            lines.append(current)
            current = " " + word
        else:
            current += " " + word
    lines.append(current)
    return linesep.join(lines)


def _chunks(value: str) -> list[bytes]:
    chunks: list[bytes] = []
    current = b""
    for ch in value:
        encoded = ch.encode("utf-8", "replace")
        if current and len(current) + len(encoded) > _CHUNK_BYTES:
            chunks.append(current)
            current = b""
        current += encoded
    if current:
        chunks.append(current)
    return chunks


def _encoded_word(chunk: bytes) -> str:
    return "=?utf-8?b?" + base64.b64encode(chunk).decode("ascii") + "?="


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
    words = [_encoded_word(chunk) for chunk in _chunks(value)]
    return f"{prefix} " + f"{linesep} ".join(words) + linesep
