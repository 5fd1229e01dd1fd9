#!/usr/bin/env bash
# Create .venv with Python 3.12 and install pactsim with everything it needs (idempotent: a stamp
# holding the hash of pyproject.toml skips the install when nothing changed). Sourced by the other
# scripts; prints the venv's python path on its last line when run directly.
set -euo pipefail
cd "$(dirname "$0")/.."
find_python() {
  for c in python3.12 "$(command -v pyenv >/dev/null 2>&1 && echo "$(pyenv root)/versions/3.12.1/bin/python3.12")" /root/.pyenv/versions/3.12.1/bin/python3.12 /usr/bin/python3.12; do
    if [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then
      echo "$c"; return 0
    fi
  done
  echo "pactsim needs Python 3.12 (pyenv install 3.12.1, or apt-get install python3.12)" >&2
  return 1
}
extras="${PACTSIM_EXTRAS:-dev}"
if [ ! -x .venv/bin/python ]; then
  py=$(find_python)
  "$py" -m venv .venv
fi
stamp=.venv/.pactsim-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1) $extras"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -m pip install --quiet -e ".[$extras]" 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -c "import sim, numba, mesa" # fail loudly if the install did not take
  echo "$want" > "$stamp"
fi
