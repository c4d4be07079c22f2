#!/usr/bin/env bash
# Install molgdl core + every first-party plugin (editable) into ./.venv (or the active venv).
# torch is installed first and pinned, so pip never pulls a multi-GB CUDA build on a CPU machine.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${VIRTUAL_ENV:-}" ]; then
  [ -d .venv ] || python3 -m venv .venv
  # shellcheck disable=SC1091
  . .venv/bin/activate
fi
python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
python -m pip install -q "torch==2.13.0"
plugins=()
for p in plugins/molgdl-*/; do plugins+=(-e "$p"); done
python -m pip install -q -c constraints.txt -e ".[test,notebook,docs]" "${plugins[@]}"
# molgdl-e3nn[cuda]: cuEquivariance's Python packages (small, pure Python; its CUDA ops wheel is not part of the extra),
# so that the CPU equivalence tests of the e3nn fast path run everywhere.
python -m pip install -q -c constraints.txt -e "plugins/molgdl-e3nn[cuda]"
python -m pip check >/dev/null 2>&1 || python -m pip check || true
echo "installed: $(python -c 'import molgdl; print("molgdl", molgdl.__version__)') with plugins: ${plugins[*]}"
