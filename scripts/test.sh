#!/usr/bin/env bash
# Install everything the tests need (a virtual environment, the package with its test extras,
# Debian's Chromium for the browser tests when we may install it) and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e ".[test]"
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "installing Debian's chromium for the browser tests"
  (apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }) \
    || echo "chromium could not be installed: the browser tests will be skipped"
fi
.venv/bin/ruff check src tests bench
if [ $# -gt 0 ]; then
  exec .venv/bin/python -m pytest -q "$@"
fi
# The whole suite on the embedded SQLite store (PostgreSQL, NATS and Redis cases join in when
# those servers are reachable, and skip with the reason when not) ...
.venv/bin/python -m pytest -q
# ... then the store, service and API suites again on PostgreSQL, when it is there.
if .venv/bin/python - <<'PY'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", 5432), 2).close()
except OSError:
    sys.exit(1)
PY
then
  echo "== the same suites on PostgreSQL"
  STEPPE_TEST_DATABASE=postgres .venv/bin/python -m pytest -q tests/store tests/api tests/channels tests/files tests/search tests/stats \
    tests/botapi
else
  echo "PostgreSQL is not reachable on 127.0.0.1:5432: the PostgreSQL run is skipped"
fi
