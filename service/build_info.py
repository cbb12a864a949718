"""Which build is running: pure Python, or the hot path compiled with mypyc.

The modules below (classification and the Google and Graph normalisers: the per-event work of
every sync) can be compiled to C extensions with mypyc (`scripts/compile`, or
`RAPPORT_COMPILE=1` when building a wheel); the same sources run unchanged as pure Python
where no C compiler is at hand. A compiled build records the SHA-256 of each source it
compiled in `_compiled.json`, so an extension older than its source is caught (tests and the
benchmark refuse to run on one) instead of silently running yesterday's code.

Standard library only: `setup.py` runs this file before anything is installed.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

COMPILED_MODULES = (
    "service.domain.builders",
    "service.domain.classify.classifier",
    "service.domain.classify.links",
    "service.domain.classify.people",
    "service.domain.classify.phone",
    "service.domain.classify.place",
    "service.domain.classify.providers",
    "integrations._payload",
    "integrations.google._fast",
    "integrations.google._fields",
    "integrations.google.normalise",
    "integrations.microsoft._fast",
    "integrations.microsoft._fields",
    "integrations.microsoft.normalise",
)
# mypyc's shared library: service/_hotpath__mypyc.*.so. Package __init__ modules stay pure:
# mypyc derives a compiled package's __path__ from where this library lies, which is only
# right for a library at the top level, and a wrong __path__ hides the package's submodules.
GROUP_NAME = "service._hotpath"
MANIFEST = "_compiled.json"  # beside this file: {module: SHA-256 of the source compiled}
ROOT = Path(__file__).resolve().parent.parent


def source_path(module: str, root: Path = ROOT) -> Path:
    """The source file of one of `COMPILED_MODULES`, relative to the tree at `root`."""
    path = root.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def source_digest(path: Path) -> str:
    """SHA-256 of a source file, as recorded in the manifest."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_path(root: Path = ROOT) -> Path:
    """Where a build of the tree at `root` records what it compiled."""
    return root / "service" / MANIFEST


def write_manifest(root: Path = ROOT) -> Path:
    """Record the digest of every module about to be compiled (called by the build)."""
    digests = {module: source_digest(source_path(module, root)) for module in COMPILED_MODULES}
    manifest = manifest_path(root)
    manifest.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


@dataclass(frozen=True)
class BuildState:
    """Which of `COMPILED_MODULES` load as extensions, and which of those are stale."""

    compiled: tuple[str, ...]
    stale: tuple[str, ...]

    @property
    def label(self) -> str:
        """`compiled`, `pure`, or `mixed` (some modules compiled, some not)."""
        if not self.compiled:
            return "pure"
        return "compiled" if len(self.compiled) == len(COMPILED_MODULES) else "mixed"

    def describe(self) -> str:
        """One line for people: what runs, and what is wrong with it."""
        if self.stale:
            return (
                f"STALE compiled build: {', '.join(self.stale)} changed since it was compiled; "
                "run scripts/compile (or scripts/compile --clean for pure Python)"
            )
        if self.label == "pure":
            return "pure Python (scripts/compile builds the mypyc hot path)"
        return f"{self.label}: {len(self.compiled)} of {len(COMPILED_MODULES)} modules by mypyc"


def stale_modules(compiled: list[str], recorded: dict[str, str], root: Path) -> list[str]:
    """The compiled modules whose source differs from the one recorded at build time."""
    stale: list[str] = []
    for module in compiled:
        source = source_path(module, root)
        if source.is_file() and recorded.get(module) != source_digest(source):
            stale.append(module)
    return stale


def build_state() -> BuildState:
    """How the hot-path modules load (their packages get imported to find out)."""
    compiled: list[str] = []
    stale: list[str] = []
    for module in COMPILED_MODULES:
        try:
            spec = importlib.util.find_spec(module)
        except Exception:  # e.g. an extension from another build: it cannot load
            stale.append(module)
            continue
        origin = spec.origin if spec is not None else None
        if origin and origin.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)):
            compiled.append(module)
    if compiled:
        manifest = manifest_path()
        recorded: dict[str, str] = {}
        if manifest.is_file():
            recorded = json.loads(manifest.read_text(encoding="utf-8"))
        stale.extend(stale_modules(compiled, recorded, ROOT))
    return BuildState(tuple(compiled), tuple(stale))


if __name__ == "__main__":
    print(build_state().describe())  # noqa: T201
