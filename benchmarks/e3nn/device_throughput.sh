#!/usr/bin/env bash
# One device-tool call (CUDA machine without pydantic or cuEquivariance): install the carried wheels (.whl/, made here
# by benchmarks/e3nn/device_wheels.sh) and molgdl into /tmp/site, unpack cuEquivariance's CUDA ops (.whl/cue_ops.tar.xz),
# then run benchmarks/e3nn/device_throughput.py: QM9 train/infer molecules/s (batch 128, l_max 1 and 2, fp32 and bf16)
# and rMD17 ethanol energy + force training for the fast path, the plain path, e3nn's gate_points_2101 and PyG SchNet.
# Output: $OUT/device_throughput.json (raw rows), $OUT/device_throughput.log. About 3-5 minutes on an H100/H200.
#   device tool: run(command="bash benchmarks/e3nn/device_throughput.sh", carry=[".whl"], timeout_s=540)
#   here (CPU, tiny, no install): bash benchmarks/e3nn/device_throughput.sh --dry-run
set -euo pipefail
if [ "${1:-}" = "--dry-run" ]; then
  if [ -f .whl/cue_ops.tar.xz ]; then  # the unpacking step, into a scratch folder
    tmp=$(mktemp -d); tar -C "$tmp" -xJf .whl/cue_ops.tar.xz
    test -d "$tmp/cuequivariance_ops_torch" && echo "cue_ops.tar.xz unpacks: $(ls "$tmp" | tr '\n' ' ')"; rm -rf "$tmp"
  fi
  exec python benchmarks/e3nn/device_throughput.py --dry-run --out "${OUT:-benchmarks/e3nn/results}"
fi
source benchmarks/device_setup.sh molgdl-datasets molgdl-models molgdl-e3nn
if [ -f .whl/cue_ops.tar.xz ]; then tar -C /tmp/site -xJf .whl/cue_ops.tar.xz; fi
python3 - <<'PY'
import importlib.util, torch, e3nn, torch_geometric
print("torch", torch.__version__, "cuda", torch.version.cuda, "e3nn", e3nn.__version__, "pyg", torch_geometric.__version__)
for m in ("cuequivariance_torch", "cuequivariance_ops_torch"):
    print(m, "found" if importlib.util.find_spec(m) else "MISSING")
from molgdl_e3nn import kernels
print("kernels auto on cuda ->", kernels.resolve("auto", "cuda"))
PY
python3 -m pytest -q -p no:cacheprovider tests/plugins/e3nn/test_e3nn_kernels.py -k cuda 2>&1 | tail -3 | tee "$OUT/device_tests.txt" || true
timeout 420 python3 benchmarks/e3nn/device_throughput.py --out "$OUT" 2>&1 | tee "$OUT/device_throughput.log"
