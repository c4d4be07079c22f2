#!/usr/bin/env bash
# Per-example gradient norms (loop vs vmap vs factored, m = 512, default ESOL model) on a CUDA machine without
# RDKit/pydantic (the device tool's machine): install the carried wheels (.whl/) and molgdl into /tmp/site,
# then run benchmarks/coherence/pergrad_speed.py --device cuda. Output: $OUT/pergrad_cuda.txt.
set -euo pipefail
OUT=${OUT:-/tmp/out}
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site MOLGDL_CACHE_DIR=/tmp/molgdl-cache PYTHONUNBUFFERED=1
python3 -m pip install -q --no-index --no-deps --no-build-isolation --no-cache-dir --target /tmp/site \
  . plugins/molgdl-datasets plugins/molgdl-rdkit plugins/molgdl-models plugins/molgdl-coherence
nvidia-smi --query-gpu=name --format=csv,noheader
python3 benchmarks/coherence/pergrad_speed.py --m 512 --device cuda --no-write 2>&1 | tee "$OUT/pergrad_cuda.txt"
