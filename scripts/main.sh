#!/usr/bin/env bash
# The main job: install, run the pact_levers experiment (81 lever mixes x 10 replicates, 1,000
# employees, 156 weeks) and the robustness study pact_robustness at its [ci] size (the four PACT
# questions in 6 plausible worlds at full size), and write their reports; about 5 minutes on 2 cores.
# Each run computes them anew (--fresh: a folder left by an earlier pactsim, whose results a resume
# would refuse to mix with this one's, is cleared of its own files and nothing else).
set -euo pipefail
cd "$(dirname "$0")/.."
PACTSIM_EXTRAS=dev bash scripts/setup.sh
.venv/bin/pactsim sweep pact_levers --workers 2 --fresh
.venv/bin/pactsim report results/pact_levers
.venv/bin/pactsim sweep pact_robustness --ci --workers 2 --fresh
.venv/bin/pactsim report results/pact_robustness-ci
echo "reports: results/pact_levers/report.html (the answer at the schema's values) and"
echo "         results/pact_robustness-ci/report.html (how robust each answer is across plausible worlds)"
