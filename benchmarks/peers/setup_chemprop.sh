#!/usr/bin/env bash
# Create the isolated chemprop 2.3.1 environment used by the peer benchmarks.
#
#   bash benchmarks/peers/setup_chemprop.sh        # idempotent; fast no-op when done
#
# chemprop 2.3.1 depends (via cuik_molmaker_pin) on an exact rdkit
# (rdkit==2026.03.6), which differs from molgdl's, so it lives in its own venv:
#   <repo>/.bench/chemprop-venv   (.bench/ is gitignored)
#
# torch is installed FIRST and pinned explicitly (CPU build). chemprop is then
# installed under a constraint torch==$TORCH_VERSION, so pip can never swap it
# for an unpinned (multi-GB CUDA) torch while resolving chemprop's deps.
#
# Env overrides: CHEMPROP_VENV (venv path), PYTHON (interpreter for venv),
#                TORCH_VERSION (default 2.13.0), CHEMPROP_VERSION (default 2.3.1),
#                TORCH_WHEEL_DIR (where a local CPU wheel may lie; default /opt/wheels).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${CHEMPROP_VENV:-$REPO_ROOT/.bench/chemprop-venv}"
PYTHON="${PYTHON:-python3}"
TORCH_VERSION="${TORCH_VERSION:-2.13.0}"
CHEMPROP_VERSION="${CHEMPROP_VERSION:-2.3.1}"
TORCH_WHEEL_DIR="${TORCH_WHEEL_DIR:-/opt/wheels}"
VPY="$VENV/bin/python"

log() { echo "[setup_chemprop] $*" >&2; }

# Installed-version check that does not import torch (fast).
installed_version() {
    "$VPY" - "$1" <<'EOF' 2>/dev/null || true
import sys
from importlib.metadata import version, PackageNotFoundError
try:
    print(version(sys.argv[1]))
except PackageNotFoundError:
    pass
EOF
}

# torch version "2.13.0+cpu" satisfies "2.13.0" (local label ignored).
torch_ok() {
    local v; v="$(installed_version torch)"
    [[ "${v%%+*}" == "$TORCH_VERSION" ]]
}
chemprop_ok() { [[ "$(installed_version chemprop)" == "$CHEMPROP_VERSION" ]]; }

if [[ -x "$VPY" ]] && torch_ok && chemprop_ok; then
    log "already installed: torch $(installed_version torch), chemprop $(installed_version chemprop), rdkit $(installed_version rdkit) in $VENV"
    exit 0
fi

if [[ ! -x "$VPY" ]]; then
    log "creating venv $VENV"
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV"
fi

PIP=("$VPY" -m pip install --disable-pip-version-check)

# 1) torch first, pinned. Prefer the local CPU wheel file; otherwise ask for the
#    +cpu local version explicitly (never a bare "torch").
if ! torch_ok; then
    shopt -s nullglob
    wheels=("$TORCH_WHEEL_DIR"/torch-"$TORCH_VERSION"+cpu-*.whl)
    shopt -u nullglob
    if (( ${#wheels[@]} )); then
        log "installing torch from local wheel ${wheels[0]}"
        "${PIP[@]}" "${wheels[0]}"
    else
        log "no local wheel in $TORCH_WHEEL_DIR; installing torch==$TORCH_VERSION+cpu"
        "${PIP[@]}" "torch==$TORCH_VERSION+cpu"
    fi
    torch_ok || { log "ERROR: torch $TORCH_VERSION not installed"; exit 1; }
fi

# 2) chemprop, with torch held at the installed version.
if ! chemprop_ok; then
    CONSTRAINTS="$(mktemp)"
    trap 'rm -f "$CONSTRAINTS"' EXIT
    echo "torch==$TORCH_VERSION" > "$CONSTRAINTS"
    log "installing chemprop==$CHEMPROP_VERSION (torch held at $TORCH_VERSION)"
    "${PIP[@]}" -c "$CONSTRAINTS" "chemprop==$CHEMPROP_VERSION"
fi

torch_ok || { log "ERROR: torch changed during chemprop install: $(installed_version torch)"; exit 1; }
chemprop_ok || { log "ERROR: chemprop $CHEMPROP_VERSION not installed"; exit 1; }

# Smoke test: imports work and torch is the CPU build.
"$VPY" - <<'EOF'
import torch, chemprop, rdkit, lightning
assert torch.version.cuda is None, f"expected CPU torch, got CUDA {torch.version.cuda}"
print(f"[setup_chemprop] ok: torch {torch.__version__}, chemprop {chemprop.__version__}, "
      f"rdkit {rdkit.__version__}, lightning {lightning.__version__}", flush=True)
EOF
