"""The secret store: encrypt, decrypt with any key, rotate, key file made once with mode 0600."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from service.secrets import KEY_FILE_NAME, SecretBox, SecretKeyError, load_secret_box, new_key

PLANTED = "https://calendar.example.com/feed/private-token-0xDEADBEEF.ics"


def test_encrypt_secret_round_trips_and_hides_plaintext() -> None:
    box = load_secret_box(new_key(), Path("/nonexistent"))
    token = box.encrypt(PLANTED)
    assert PLANTED.encode() not in token
    assert box.decrypt(token) == PLANTED
    assert PLANTED not in repr(box)


def test_decrypt_secret_with_old_key_after_new_key_added() -> None:
    old, new = new_key(), new_key()
    token = load_secret_box(old, Path("/nonexistent")).encrypt(PLANTED)
    both = load_secret_box(f"{new},{old}", Path("/nonexistent"))
    assert both.decrypt(token) == PLANTED
    rotated = both.rotate(token)
    assert load_secret_box(new, Path("/nonexistent")).decrypt(rotated) == PLANTED


def test_decrypt_secret_without_its_key_is_clear_error() -> None:
    token = load_secret_box(new_key(), Path("/nonexistent")).encrypt(PLANTED)
    other = load_secret_box(new_key(), Path("/nonexistent"))
    assert not other.opens(token)
    with pytest.raises(SecretKeyError, match="no configured secret key") as caught:
        other.decrypt(token)
    assert PLANTED not in str(caught.value)


@pytest.mark.parametrize("keys", ["not-a-key", "é" * 44, ",,"])
def test_load_secret_box_bad_key_is_clear_error(keys: str, tmp_path: Path) -> None:
    if keys == ",,":
        # Only separators: no key given, so the data dir's key file is used.
        assert load_secret_box(keys, tmp_path).key_count == 1
        return
    with pytest.raises(SecretKeyError, match="not a valid Fernet key"):
        load_secret_box(keys, tmp_path)


def test_load_secret_box_creates_key_file_once_with_mode_0600(tmp_path: Path) -> None:
    first = load_secret_box(None, tmp_path)
    path = tmp_path / KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = first.encrypt(PLANTED)
    assert load_secret_box(None, tmp_path).decrypt(token) == PLANTED


def test_load_secret_box_refuses_key_file_readable_by_others(tmp_path: Path) -> None:
    load_secret_box(None, tmp_path)
    (tmp_path / KEY_FILE_NAME).chmod(0o644)
    with pytest.raises(SecretKeyError, match="chmod 600"):
        load_secret_box(None, tmp_path)


def test_secret_box_needs_a_key() -> None:
    with pytest.raises(SecretKeyError):
        SecretBox([])
