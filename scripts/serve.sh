#!/usr/bin/env bash
# Install Steppe into a virtual environment and run it on the embedded SQLite database.
# Extra arguments go to `steppe serve` (e.g. --port 9000); STEPPE_DATA picks the data folder.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e .
exec .venv/bin/steppe --data "${STEPPE_DATA:-./data}" serve "$@"
