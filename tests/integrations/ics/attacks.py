"""Hostile calendars and responses, built small and fast (shared with bench/hostile.py).

Each builder returns what an attacker would serve: compression bombs as gzip streams made
from one compressed segment repeated, and iCalendar feeds that cost far more to read than
their size suggests.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from collections.abc import Iterator

from tests.integrations.ics.icsdata import calendar, vevent

GIB = 1024**3
_SEGMENT = 1024 * 1024
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"


def _zero_segment() -> tuple[bytes, bytes]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    # After a full flush the compressor starts over, so these same bytes encode every
    # further megabyte of zeros: a 4 GiB stream costs one compression of 1 MiB.
    piece = compressor.compress(bytes(_SEGMENT)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return piece, compressor.flush()


def gzip_zeros(total: int = 4 * GIB) -> Iterator[bytes]:
    """A gzip stream of `total` zero bytes (a multiple of 1 MiB), in 1 KiB pieces."""
    piece, end = _zero_segment()
    yield _GZIP_HEADER
    for _ in range(total // _SEGMENT):
        yield piece
    # The trailer is never reached by a client that caps what it decodes; right all the same.
    crc = 0
    for _ in range(total // _SEGMENT):
        crc = zlib.crc32(bytes(_SEGMENT), crc)
    yield end + struct.pack("<II", crc, total & 0xFFFFFFFF)


def stacked_gzip_bomb(layers: int = 3, total: int = 4 * GIB) -> bytes:
    """`layers` gzip layers around `total` zeros: a few hundred bytes on the wire."""
    piece, end = _zero_segment()
    body = _GZIP_HEADER + piece * (total // _SEGMENT) + end + struct.pack("<II", 0, 0)
    for _ in range(layers - 1):
        body = gzip.compress(body, 9, mtime=0)
    return body


def runaway_secondly(start: str = "20240501T000000Z") -> bytes:
    """A FREQ=SECONDLY series starting inside the window (millions of instances)."""
    return calendar(vevent(f"DTSTART:{start}", "RRULE:FREQ=SECONDLY", uid="runaway"), *real())


def never_matching(count: int = 20, freq: str = "DAILY") -> bytes:
    """`count` series whose BY-rules never match (30 February): the engine searches for ever."""
    series = (
        vevent(
            "DTSTART:20240101T000000Z",
            f"RRULE:FREQ={freq};BYMONTH=2;BYMONTHDAY=30",
            uid=f"never-{i}",
        )
        for i in range(count)
    )
    return calendar(*series, *real())


def fine_with_filters() -> bytes:
    """SECONDLY and MINUTELY rules with BY-filters (never expanded: skipped with a reason)."""
    return calendar(
        vevent("DTSTART:20240101T000000Z", "RRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30", uid="s"),
        vevent("DTSTART:20240101T000000Z", "RRULE:FREQ=MINUTELY;BYHOUR=3", uid="m"),
        *real(),
    )


def many_series(count: int = 5_000) -> bytes:
    """`count` daily series over the whole window."""
    series = (
        vevent(
            "DTSTART:20240101T090000Z",
            "DTEND:20240101T091500Z",
            "RRULE:FREQ=DAILY",
            uid=f"series-{i}",
        )
        for i in range(count)
    )
    return calendar(*real(), *series)


def many_attendees(count: int = 20_000, days: int = 400) -> bytes:
    """One daily series with `count` attendees (millions of participation rows)."""
    people = [f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:p{i}@example.org" for i in range(count)]
    return calendar(
        vevent(
            "DTSTART:20240101T090000Z",
            f"RRULE:FREQ=DAILY;COUNT={days}",
            "ORGANIZER:mailto:boss@example.org",
            "ATTENDEE;PARTSTAT=ACCEPTED:mailto:owner@example.com",
            *people,
            uid="crowd",
        ),
        *real(),
    )


def long_title(chars: int = 1_000_000) -> bytes:
    """One event whose title is `chars` characters long."""
    return calendar(vevent("DTSTART:20240301T120000Z", f"SUMMARY:{'A' * chars}", uid="long"))


def _vtimezone(tzid: str, rule: str = "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU") -> str:
    return "\r\n".join(
        [
            "BEGIN:VTIMEZONE",
            f"TZID:{tzid}",
            "BEGIN:DAYLIGHT",
            "DTSTART:19700329T020000",
            "TZOFFSETFROM:+0100",
            "TZOFFSETTO:+0200",
            f"RRULE:{rule}",
            "END:DAYLIGHT",
            "BEGIN:STANDARD",
            "DTSTART:19701025T030000",
            "TZOFFSETFROM:+0200",
            "TZOFFSETTO:+0100",
            "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
            "END:STANDARD",
            "END:VTIMEZONE",
        ]
    )


def many_vtimezones(count: int = 3_000) -> bytes:
    """`count` custom VTIMEZONEs, each used by one event."""
    zones = [_vtimezone(f"Custom/Zone{i}") for i in range(count)]
    events = [
        vevent(f"DTSTART;TZID=Custom/Zone{i}:20240301T100000", uid=f"z{i}") for i in range(count)
    ]
    return calendar(*zones, *events, *real())


def secondly_vtimezone() -> bytes:
    """A VTIMEZONE whose daylight rule is FREQ=SECONDLY, used by an event."""
    return calendar(
        _vtimezone("Custom/Fast", "FREQ=SECONDLY"),
        vevent("DTSTART;TZID=Custom/Fast:20240301T100000", uid="fast-zone"),
        *real(),
    )


def rdate_flood(count: int = 200_000) -> bytes:
    """One series with `count` RDATE values (an hour apart)."""
    values = [
        f"RDATE:2024{1 + (i // 720) % 12:02d}{1 + (i // 24) % 28:02d}T{i % 24:02d}0000Z"
        for i in range(count)
    ]
    return calendar(vevent("DTSTART:20240101T000000Z", *values, uid="rdates"), *real())


def real() -> tuple[str, ...]:
    """Two ordinary meetings that must survive whatever else the feed holds."""
    return (
        vevent(
            "DTSTART:20240301T100000Z", "DTEND:20240301T103000Z", "SUMMARY:Real one", uid="real-1"
        ),
        vevent(
            "DTSTART:20240304T100000Z",
            "DTEND:20240304T103000Z",
            "RRULE:FREQ=WEEKLY;COUNT=4",
            "SUMMARY:Real weekly",
            uid="real-2",
        ),
    )


REAL_UIDS = frozenset({"real-1", "real-2"})
