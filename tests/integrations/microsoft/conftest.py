"""Fixtures for the Microsoft connector tests: the Graph emulator on HTTPS loopback."""

from tests.emulators.microsoft.fixtures import graph, graph_server

__all__ = ["graph", "graph_server"]
