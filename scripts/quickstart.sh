#!/usr/bin/env bash
# Command 1 of the README: install, then train and evaluate the default ESOL ensemble
# (configs/esol.yaml: four D-MPNNs fine-tuned from the shipped encoder molgdl:moses_1m, two LightGBMs and a
# Gaussian process, equal weights) on bundled ESOL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
. .venv/bin/activate 2>/dev/null || true
molgdl run configs/esol.yaml --overwrite
