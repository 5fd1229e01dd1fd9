#!/usr/bin/env bash
# The main job: install, run the pact_levers experiment (81 lever mixes x 10 replicates, 1,000
# employees, 156 weeks; about 2 minutes on 2 cores) and write its report.
set -euo pipefail
cd "$(dirname "$0")/.."
PACTSIM_EXTRAS=dev bash scripts/setup.sh
.venv/bin/pactsim sweep pact_levers --workers 2
.venv/bin/pactsim report results/pact_levers
echo "report: results/pact_levers/report.html"
