#!/usr/bin/env python3
"""Regenerate the bundled sample organisation into service/sample/data (deterministic)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.samplegen import write_sample  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Write the sample's people.json and feeds; print what was written."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "service" / "sample" / "data", help="data directory"
    )
    args = parser.parse_args(argv)
    for path in write_sample(args.out):
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
