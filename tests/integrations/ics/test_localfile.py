"""read_file: regular files only, never blocking, read against the cap while reading."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from integrations.ics.localfile import read_file
from service.domain.port import FetchRefused, ProviderUnavailable

CAP = 1024


async def test_read_file_regular_file(tmp_path: Path) -> None:
    path = tmp_path / "feed.ics"
    path.write_bytes(b"BEGIN:VCALENDAR\r\n")
    body, stamp = await read_file(str(path), CAP)
    assert body == b"BEGIN:VCALENDAR\r\n"
    assert stamp is not None
    assert stamp.endswith("GMT")


async def test_read_file_device_refused() -> None:
    with pytest.raises(FetchRefused, match="regular file"):
        await read_file("/dev/zero", CAP)


async def test_read_file_symlink_to_device_refused(tmp_path: Path) -> None:
    link = tmp_path / "feed.ics"
    link.symlink_to("/dev/zero")
    with pytest.raises(FetchRefused, match="regular file"):
        await read_file(str(link), CAP)


async def test_read_file_named_pipe_refused_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "feed.ics"
    os.mkfifo(pipe)
    async with asyncio.timeout(5):
        with pytest.raises(FetchRefused, match="regular file"):
            await read_file(str(pipe), CAP)


async def test_read_file_directory_refused(tmp_path: Path) -> None:
    with pytest.raises(FetchRefused, match="regular file"):
        await read_file(str(tmp_path), CAP)


async def test_read_file_path_with_nul_refused() -> None:
    with pytest.raises(FetchRefused, match="file path"):
        await read_file("/tmp/feed\x00.ics", CAP)


async def test_read_file_missing_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ProviderUnavailable, match="cannot read"):
        await read_file(str(tmp_path / "gone.ics"), CAP)


async def test_read_file_over_cap_refused(tmp_path: Path) -> None:
    path = tmp_path / "feed.ics"
    path.write_bytes(b"x" * (CAP + 1))
    with pytest.raises(FetchRefused, match=f"larger than {CAP} bytes"):
        await read_file(str(path), CAP)


async def test_read_file_exactly_at_cap(tmp_path: Path) -> None:
    path = tmp_path / "feed.ics"
    path.write_bytes(b"x" * CAP)
    body, _stamp = await read_file(str(path), CAP)
    assert len(body) == CAP
