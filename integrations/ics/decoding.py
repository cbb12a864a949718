"""Decode a response body against a byte cap while it arrives.

httpx decodes each network chunk in one call with no output limit, and decodes every layer
of a stacked `Content-Encoding`: a few hundred bytes of `gzip, gzip, gzip` become gigabytes
before any cap is checked. Here the raw bytes are read as they come, at most one layer of
gzip or deflate is undone, in blocks of `BLOCK` bytes, and the cap is checked after each
block: memory stays within the cap plus a block, whatever the body claims to hold.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from typing import Protocol

from integrations.ics.errors import clip
from service.domain.port import FetchRefused, ProviderUnavailable

BLOCK = 64 * 1024
ACCEPT_ENCODING = "gzip, deflate"
_ALIASES = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}
_GZIP_MAGIC = b"\x1f\x8b"


class Inflater(Protocol):
    """What this module uses of a `zlib.decompressobj`."""

    @property
    def eof(self) -> bool:
        """True once the end of the compressed stream was read."""
        ...

    @property
    def unconsumed_tail(self) -> bytes:
        """Input left over because the output limit was reached."""
        ...

    @property
    def unused_data(self) -> bytes:
        """Input after the end of the compressed stream."""
        ...

    def decompress(self, data: bytes, /, max_length: int = 0) -> bytes:
        """Decompress, at most `max_length` bytes of output (0: no limit)."""
        ...


def too_large(max_bytes: int) -> FetchRefused:
    """The error for a feed over the byte cap."""
    return FetchRefused(f"the feed is larger than {max_bytes} bytes")


def encoding_of(values: Sequence[str]) -> str | None:
    """The one content coding to undo ("gzip" or "deflate"), None for identity.

    `values` are the Content-Encoding header's entries, split at commas. More than one
    coding (stacked compression) or an unknown one is refused.
    """
    codings = [v.strip().lower() for v in values if v.strip().lower() not in ("", "identity")]
    if len(codings) > 1:
        listed = clip(", ".join(codings), 100)
        raise FetchRefused(f"stacked Content-Encoding ({listed!r}) refused: one layer at most")
    if not codings:
        return None
    coding = _ALIASES.get(codings[0])
    if coding is None:
        raise FetchRefused(f"Content-Encoding {clip(codings[0], 100)!r} is not supported")
    return coding


class BodyDecoder:
    """Undo one content coding incrementally; every block it yields is at most BLOCK bytes."""

    def __init__(self, coding: str | None) -> None:
        """Prepare for `coding` ("gzip", "deflate" or None for identity)."""
        self.coding = coding
        self._inflater: Inflater | None = None
        self._pending = b""  # bytes too few to tell what follows (deflate wrapper, gzip member)
        self._ended = False  # junk after the compressed data: the rest is ignored
        if coding == "gzip":
            self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def decode(self, raw: bytes) -> Iterator[bytes]:
        """The decoded bytes for the next raw chunk, block by block."""
        if self.coding is None:
            for start in range(0, len(raw), BLOCK):
                yield raw[start : start + BLOCK]
            return
        data, self._pending = self._pending + raw, b""
        if self._inflater is None:
            if len(data) < 2:
                self._pending = data
                return
            self._inflater = zlib.decompressobj(_deflate_wbits(data))
        yield from self._inflate(self._inflater, data)

    def finish(self) -> None:
        """Check that the compressed data was complete."""
        if self.coding is None:
            return
        if self._inflater is None or not self._inflater.eof:
            raise ProviderUnavailable("the feed ends before its compressed data does")

    def _inflate(self, inflater: Inflater, data: bytes) -> Iterator[bytes]:
        while data and not self._ended:
            if inflater.eof:
                # Several gzip members one after the other are one gzip body; anything else
                # after the end is trailing junk, ignored as browsers do.
                if self.coding == "gzip" and len(data) < 2 and _GZIP_MAGIC.startswith(data):
                    self._pending = data
                    return
                if self.coding != "gzip" or not data.startswith(_GZIP_MAGIC):
                    self._ended = True
                    return
                inflater = self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                block = inflater.decompress(data, BLOCK)
            except zlib.error as exc:
                raise ProviderUnavailable(
                    clip(f"the feed's compressed data is corrupt ({self.coding}): {exc}")
                ) from exc
            data = inflater.unconsumed_tail or inflater.unused_data
            if block:
                yield block


def _deflate_wbits(head: bytes) -> int:
    """ "deflate" means a zlib stream (RFC 9110), but some servers send raw deflate."""
    zlib_header = head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
    return zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS
