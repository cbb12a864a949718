"""Readers of JSON payload fields and the bounded memo, shared by the Google and Graph normalisers.

Private to `integrations.google` and `integrations.microsoft`. Compiled with them by mypyc
(`service.build_info.COMPILED_MODULES`): the hot path must not call into a pure Python module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

MAX_TIME_TEXT = 64  # an RFC 3339 timestamp is ~30 characters: longer text is not a time
MAX_ATTENDEES = 5000

_K = TypeVar("_K")
_V = TypeVar("_V")
_MEMO_LIMIT = 20_000  # distinct entries per memo before it starts over


def _remember(memo: dict[_K, _V], key: _K, value: _V) -> _V:
    """Store `value` under `key` (emptying a full memo first) and return it."""
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[key] = value
    return value


def _text(payload: Mapping[str, object], key: str) -> str | None:
    value = payload.get(key)
    if isinstance(value, str):
        return value.strip() or None
    return None


def _fast_text(value: object) -> str | None:
    return (value.strip() or None) if type(value) is str else None


def _maps(payload: Mapping[str, object], key: str, limit: int) -> list[Mapping[str, object]]:
    value = payload.get(key)
    if type(value) is not list and (
        not isinstance(value, Sequence) or isinstance(value, str | bytes)
    ):
        return []
    return [item for item in value[:limit] if type(item) is dict or isinstance(item, Mapping)]


def _flag(payload: Mapping[str, object], key: str) -> bool:
    return payload.get(key) is True
