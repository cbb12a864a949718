#!/usr/bin/env bash
# Creates .venv with Python 3.11+ and installs Rapport with its dev tools when pyproject.toml changed.
# Sourced by scripts/demo and scripts/test; prints what it does, fails with a clear message.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${RAPPORT_VENV:-$ROOT/.venv}"

find_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

if [ ! -x "$VENV/bin/python" ]; then
  PYTHON="$(find_python)" || { echo "error: Rapport needs Python 3.11 or newer on PATH" >&2; exit 1; }
  echo "==> creating virtual environment in $VENV with $($PYTHON --version)" >&2
  "$PYTHON" -m venv "$VENV"
fi

STAMP="$VENV/.rapport-installed"
WANT="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "==> installing Rapport and its dependencies (first run takes a minute)" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT[dev]" >&2
  echo "$WANT" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
