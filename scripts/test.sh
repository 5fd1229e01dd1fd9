#!/usr/bin/env bash
# The test command: installs what the suite needs (venv, packages, Debian's chromium for the browser
# test) and runs it. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install chromium; browser tests will fail" >&2
fi
.venv/bin/python -m ruff check sim tests
status=0
.venv/bin/python -m pytest -q "$@" || status=$?
# the rules, random numbers and landscape once more as plain Python (pytest -m nojit); there the
# uint64 hash arithmetic of sim/rng.py wraps in NumPy scalars, which warn on the intended overflow
# (tests/test_rng.py checks the draws equal the compiled ones)
NUMBA_DISABLE_JIT=1 .venv/bin/python -m pytest -q -m nojit -p no:cacheprovider \
  -W "ignore:overflow encountered:RuntimeWarning" || status=$?
exit "$status"
