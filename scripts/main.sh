#!/usr/bin/env bash
# The main job: install, then run the baseline scenario (becomes a sweep with a report once sweeps land).
set -euo pipefail
cd "$(dirname "$0")/.."
PACTSIM_EXTRAS=dev bash scripts/setup.sh
.venv/bin/pactsim run baseline
