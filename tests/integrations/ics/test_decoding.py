"""BodyDecoder and encoding_of on their own: any chunking, one layer, bounded blocks."""

from __future__ import annotations

import gzip
import zlib

import pytest

from integrations.ics.decoding import BLOCK, BodyDecoder, encoding_of
from service.domain.port import FetchRefused, ProviderUnavailable

DATA = b"BEGIN:VCALENDAR\r\n" + b"".join(b"LINE:%d\r\n" % i for i in range(20_000))


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def decode(coding: str | None, raw: bytes, chunk: int) -> bytes:
    decoder = BodyDecoder(coding)
    out = bytearray()
    for start in range(0, len(raw), chunk):
        for block in decoder.decode(raw[start : start + chunk]):
            assert len(block) <= BLOCK
            out += block
    decoder.finish()
    return bytes(out)


@pytest.mark.parametrize("chunk", [1, 2, 7, 1000, 1 << 20])
@pytest.mark.parametrize(
    ("coding", "raw"),
    [
        ("gzip", gzip.compress(DATA)),
        ("gzip", gzip.compress(DATA[:5000]) + gzip.compress(DATA[5000:])),
        ("deflate", zlib.compress(DATA)),
        ("deflate", raw_deflate(DATA)),
        (None, DATA),
    ],
)
def test_decode_body_any_chunking(coding: str | None, raw: bytes, chunk: int) -> None:
    assert decode(coding, raw, chunk) == DATA


def test_decode_body_trailing_junk_ignored() -> None:
    assert decode("gzip", gzip.compress(DATA) + b"<html>junk", 4096) == DATA


def test_decode_body_cut_short_unavailable() -> None:
    with pytest.raises(ProviderUnavailable, match="ends before"):
        decode("gzip", gzip.compress(DATA)[:-30], 4096)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], None),
        (["identity"], None),
        (["GZIP"], "gzip"),
        (["x-gzip"], "gzip"),
        (["deflate", ""], "deflate"),
    ],
)
def test_read_content_encoding(values: list[str], expected: str | None) -> None:
    assert encoding_of(values) == expected


@pytest.mark.parametrize("values", [["gzip", "gzip"], ["br"], ["gzip", "deflate"], ["x" * 5000]])
def test_read_content_encoding_refused(values: list[str]) -> None:
    with pytest.raises(FetchRefused, match="Content-Encoding") as caught:
        encoding_of(values)
    assert len(str(caught.value)) < 300
