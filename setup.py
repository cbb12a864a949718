"""Build hook: `RAPPORT_COMPILE=1` compiles the hot path with mypyc; otherwise a pure build.

All metadata lives in pyproject.toml. The compiled build needs mypy (which ships mypyc), a C
compiler and the Python headers; `scripts/compile` does it in place for a checkout.
"""

from __future__ import annotations

import os
import runpy
from pathlib import Path

from setuptools import Extension, setup

ROOT = Path(__file__).resolve().parent


def compiled_extensions() -> list[Extension]:
    """The mypyc extensions of `service.build_info.COMPILED_MODULES`, or none for a pure build."""
    if os.environ.get("RAPPORT_COMPILE", "") not in ("1", "true", "yes"):
        return []
    from mypyc.build import mypycify

    info = runpy.run_path(str(ROOT / "service" / "build_info.py"))
    paths = [
        str(info["source_path"](module, ROOT).relative_to(ROOT))
        for module in info["COMPILED_MODULES"]
    ]
    info["write_manifest"](ROOT)
    return mypycify(paths, opt_level="3", group_name=info["GROUP_NAME"])


setup(ext_modules=compiled_extensions())
