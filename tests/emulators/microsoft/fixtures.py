"""pytest fixtures: a Graph emulator on HTTPS loopback and the install that reaches it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from integrations.microsoft.account import MicrosoftAccount
from tests.emulators.microsoft.server import RunningGraph, running_graph
from tests.emulators.microsoft.state import GraphEmulator


@dataclass
class Graph:
    """The emulator's state, where it runs, and an install registered with it."""

    state: GraphEmulator
    running: RunningGraph
    account: MicrosoftAccount


@pytest.fixture(scope="module")
def graph_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[GraphEmulator, RunningGraph]]:
    """One emulator server per test module (its state reset by `graph`)."""
    state = GraphEmulator()
    with running_graph(state, Path(tmp_path_factory.mktemp("graph-tls"))) as running:
        yield state, running


@pytest.fixture
def graph(graph_server: tuple[GraphEmulator, RunningGraph]) -> Graph:
    """A fresh tenant on the running emulator, with one registered app."""
    state, running = graph_server
    fresh = GraphEmulator(state.tenant_id)
    state.__dict__.update(
        {k: v for k, v in fresh.__dict__.items() if k not in ("base_url", "verify")}
    )
    client_id, secret = state.add_client()
    account = MicrosoftAccount(
        directory_tenant=state.tenant_id, client_id=client_id, client_secret=secret,
        authority_host=running.authority_host, graph_url=running.graph_url,
    )  # fmt: skip
    return Graph(state, running, account)
