"""Read a local calendar file (tests, the demo, an operator's own files): regular files only.

A device (`/dev/zero` never ends), a named pipe (blocks until someone writes) or a directory
is refused before a byte is read; the file is opened without blocking and checked again on
the open descriptor (it may have been swapped meanwhile), and read against the byte cap.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import stat

from integrations.ics.decoding import too_large
from integrations.ics.errors import clip
from service.domain.port import FetchRefused, ProviderUnavailable

_CHUNK = 1024 * 1024
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


async def read_file(path: str, max_bytes: int) -> tuple[bytes, str | None]:
    """The file's bytes and its modification time as an HTTP date (None if it has none)."""
    try:
        return await asyncio.to_thread(_read, path, max_bytes)
    except ValueError as exc:  # a NUL in the path
        raise FetchRefused(clip(f"not a usable file path: {path!r}")) from exc
    except OSError as exc:
        raise ProviderUnavailable(clip(f"cannot read calendar file {path!r}: {exc}")) from exc


def _read(path: str, max_bytes: int) -> tuple[bytes, str | None]:
    # A first look by path, so that nothing that is not a regular file is ever opened.
    _check_regular(os.stat(path), path, max_bytes)
    descriptor = os.open(path, _OPEN_FLAGS)
    try:
        info = os.fstat(descriptor)
        _check_regular(info, path, max_bytes)
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(descriptor, min(_CHUNK, max_bytes + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:  # it grew since the stat
                raise too_large(max_bytes)
    finally:
        os.close(descriptor)
    return b"".join(chunks), _http_date(info.st_mtime)


def _check_regular(info: os.stat_result, path: str, max_bytes: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise FetchRefused(clip(f"calendar file {path!r} is not a regular file"))
    if info.st_size > max_bytes:
        raise too_large(max_bytes)


def _http_date(mtime: float) -> str | None:
    try:
        return email.utils.formatdate(mtime, usegmt=True)
    except (OverflowError, ValueError, OSError):
        return None
