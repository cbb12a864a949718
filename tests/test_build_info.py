"""The optional mypyc build: which modules it compiles, and how a stale build is caught."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from service import build_info
from service.build_info import (
    COMPILED_MODULES,
    MANIFEST,
    BuildState,
    build_state,
    source_path,
    stale_modules,
    write_manifest,
)
from service.cli import stale_build_warning


def test_every_compiled_module_is_a_plain_module_with_a_source() -> None:
    for module in COMPILED_MODULES:
        source = source_path(module)
        assert source.is_file(), module
        # A compiled package __init__ would get a wrong __path__ (see GROUP_NAME).
        assert source.name != "__init__.py", module


def test_compiled_modules_are_typed_code_of_ours() -> None:
    # mypyc enforces annotations at run time: only modules that mypy --strict checks.
    assert all(m.startswith(("service.", "integrations.")) for m in COMPILED_MODULES)
    assert len(set(COMPILED_MODULES)) == len(COMPILED_MODULES)


def _copy_sources(root: Path) -> None:
    for module in COMPILED_MODULES:
        target = source_path(module, root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source_path(module), target)


def test_manifest_records_each_source_and_a_change_makes_it_stale(tmp_path: Path) -> None:
    _copy_sources(tmp_path)
    manifest = write_manifest(tmp_path)
    assert manifest == tmp_path / "service" / MANIFEST
    recorded = json.loads(manifest.read_text(encoding="utf-8"))
    assert sorted(recorded) == sorted(COMPILED_MODULES)
    assert stale_modules(list(COMPILED_MODULES), recorded, tmp_path) == []

    changed = source_path("service.domain.classify.people", tmp_path)
    changed.write_text(changed.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert stale_modules(list(COMPILED_MODULES), recorded, tmp_path) == [
        "service.domain.classify.people"
    ]


def test_a_module_missing_from_the_manifest_is_stale(tmp_path: Path) -> None:
    _copy_sources(tmp_path)
    assert stale_modules(["integrations.google._fast"], {}, tmp_path) == [
        "integrations.google._fast"
    ]


def test_describe_names_the_build_and_the_stale_modules() -> None:
    assert BuildState((), ()).label == "pure"
    assert "pure Python" in BuildState((), ()).describe()
    everything = BuildState(COMPILED_MODULES, ())
    assert everything.label == "compiled"
    assert f"{len(COMPILED_MODULES)} of {len(COMPILED_MODULES)}" in everything.describe()
    assert BuildState(COMPILED_MODULES[:2], ()).label == "mixed"
    stale = BuildState(COMPILED_MODULES, ("integrations.google._fast",)).describe()
    assert "STALE" in stale
    assert "integrations.google._fast" in stale
    assert "scripts/compile" in stale


def test_this_tree_runs_a_whole_build_that_matches_its_sources() -> None:
    state = build_state()
    assert state.stale == ()
    assert state.label in ("pure", "compiled"), state.describe()
    expected = os.environ.get("RAPPORT_EXPECT_BUILD")
    if expected:
        assert state.label == expected


@pytest.mark.parametrize("module", COMPILED_MODULES)
def test_each_module_loads_from_the_build_the_tree_reports(module: str) -> None:
    imported = __import__(module, fromlist=["_"])
    compiled = build_info.build_state().label == "compiled"
    # A mypyc module has no code objects: its functions are builtins.
    functions = [value for value in vars(imported).values() if callable(value)]
    python_level = [f for f in functions if hasattr(f, "__code__") and f.__module__ == module]
    assert bool(python_level) is not compiled, module


def test_cli_warns_about_a_stale_build_and_only_then() -> None:
    module = "integrations.google._fast"
    warning = stale_build_warning(BuildState((module,), (module,)))
    assert warning is not None
    assert "STALE" in warning
    assert module in warning
    assert stale_build_warning(BuildState((module,), ())) is None
    assert stale_build_warning(build_state()) is None  # this tree's build is current
