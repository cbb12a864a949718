"""The secret store: provider credentials and feed URLs encrypted at rest (Fernet, rotatable).

Keys come from `RAPPORT_SECRET_KEYS` (comma-separated Fernet keys): the first encrypts, every
one decrypts, so a new key goes first and the old ones stay until `rapport admin rotate-secrets`
has re-encrypted every stored secret with the new key. On the embedded default, with no keys
configured, a key file is made in the data dir (mode 0600) on first use.

A secret's plain text never appears in an exception message, a log line or a `repr`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["KEY_FILE_NAME", "SecretBox", "SecretKeyError", "load_secret_box"]

KEY_FILE_NAME = "secret.key"


class SecretKeyError(Exception):
    """The keys are unusable, or none of them opens a stored secret."""


class SecretBox:
    """Encrypts with the first key, decrypts with any; `rotate` re-encrypts with the first."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise SecretKeyError("no secret key configured")
        try:
            self._fernet = MultiFernet([Fernet(key) for key in keys])
        except (ValueError, TypeError):
            raise SecretKeyError(
                "a secret key is not a valid Fernet key (32 url-safe base64-encoded bytes; "
                "make one with `rapport admin new-secret-key`)"
            ) from None
        self.key_count = len(keys)

    def __repr__(self) -> str:
        return f"SecretBox(keys={self.key_count})"

    def encrypt(self, plaintext: str) -> bytes:
        """Encrypt a secret with the first key."""
        return self._fernet.encrypt(plaintext.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        """Decrypt a stored secret; `SecretKeyError` when no configured key opens it."""
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except InvalidToken:
            raise SecretKeyError(
                "no configured secret key opens a stored secret "
                "(was RAPPORT_SECRET_KEYS changed without keeping the old key?)"
            ) from None

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt a stored secret with the first key (it must open with one of them)."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken:
            raise SecretKeyError("no configured secret key opens a stored secret") from None

    def opens(self, token: bytes) -> bool:
        """True when one of the configured keys opens this stored secret."""
        try:
            self._fernet.decrypt(token)
        except InvalidToken:
            return False
        return True


def new_key() -> str:
    """A fresh Fernet key, as text for `RAPPORT_SECRET_KEYS`."""
    return Fernet.generate_key().decode("ascii")


def _read_or_create_key_file(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise SecretKeyError(
                f"{path} is readable by others (mode {mode:o}); chmod 600 it"
            ) from None
        return path.read_bytes().strip()
    key = Fernet.generate_key()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    return key


def load_secret_box(keys_text: str | None, data_dir: Path) -> SecretBox:
    """The secret box from `RAPPORT_SECRET_KEYS`, else from the data dir's key file (made once)."""
    parts = [part.strip() for part in (keys_text or "").split(",") if part.strip()]
    if parts:
        if not all(part.isascii() for part in parts):
            raise SecretKeyError("a secret key is not a valid Fernet key (not ASCII)")
        return SecretBox([part.encode("ascii") for part in parts])
    data_dir.mkdir(parents=True, exist_ok=True)
    return SecretBox([_read_or_create_key_file(data_dir / KEY_FILE_NAME)])
