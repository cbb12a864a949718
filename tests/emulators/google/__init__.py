"""A Google Workspace emulator (OAuth token endpoint, Calendar v3, Directory v1 subsets).

A real HTTP server on loopback that google-auth and google-api-python-client talk to with
their own code: `GoogleEmulator` holds the state tests change, `running_emulator` serves it.
"""

from tests.emulators.google.keys import ServiceAccountKey, new_key, session_key
from tests.emulators.google.server import running_emulator
from tests.emulators.google.state import GoogleEmulator

__all__ = ["GoogleEmulator", "ServiceAccountKey", "new_key", "running_emulator", "session_key"]
