"""Fixtures for the Google connector tests: the emulator on loopback."""

from tests.emulators.google.fixtures import google, google_account

__all__ = ["google", "google_account"]
