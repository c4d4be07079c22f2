#!/usr/bin/env bash
# Command 2 of the README: install, then run the whole test suite (CI runs exactly this).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
. .venv/bin/activate 2>/dev/null || true
# small models on few cores: one intra-op thread per process is several times faster than two
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export MOLGDL_CACHE_DIR="${MOLGDL_CACHE_DIR:-$(mktemp -d)}"
python -m pytest -q -p no:cacheprovider tests "$@"
