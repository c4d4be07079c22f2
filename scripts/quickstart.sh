#!/usr/bin/env bash
# Command 1 of the README: install, then train and evaluate the default ESOL ensemble
# (configs/esol.yaml: a D-MPNN, LightGBM and a Gaussian process, equal weights) on bundled ESOL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
. .venv/bin/activate 2>/dev/null || true
molgdl run configs/esol.yaml --overwrite
