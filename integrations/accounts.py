"""Installs parsed from the calendar sources that carry them, once per distinct source."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Generic, TypeVar

from service.domain.port import AuthRevoked

A = TypeVar("A")

MAX_KEPT = 64  # distinct installs a connector keeps parsed (one per tenant in practice)


class ParsedAccounts(Generic[A]):
    """A connector's parsed installs, keyed by the source's hash (never the secret itself)."""

    def __init__(self, parse: Callable[[str], A], invalid: type[Exception], provider: str) -> None:
        self._parse = parse
        self._invalid = invalid  # what `parse` raises for a source it cannot use
        self._provider = provider  # as the refusal names it ("Google", "Microsoft")
        self._found: dict[str, A] = {}

    def get(self, source: str) -> A:
        """The install a calendar source names; `AuthRevoked` when it cannot be used."""
        digest = hashlib.sha256(source.encode()).hexdigest()
        found = self._found.get(digest)
        if found is None:
            try:
                found = self._parse(source)
            except self._invalid as exc:
                raise AuthRevoked(
                    f"the stored {self._provider} install cannot be used: {exc}"
                ) from None
            if len(self._found) > MAX_KEPT:
                self._found.clear()
            self._found[digest] = found
        return found
