"""A Microsoft Graph and identity platform emulator on HTTPS loopback (msal and httpx run their
real code against it): `GraphEmulator` holds the state, `running_graph` serves it."""

from tests.emulators.microsoft.server import RunningGraph, running_graph
from tests.emulators.microsoft.state import GraphEmulator

__all__ = ["GraphEmulator", "RunningGraph", "running_graph"]
