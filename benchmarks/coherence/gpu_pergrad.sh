#!/usr/bin/env bash
# Per-example gradient norms (loop vs vmap vs factored, m = 512, default ESOL model) on a CUDA machine without
# RDKit/pydantic (the device tool's machine): install the carried wheels (.whl/) and molgdl into /tmp/site,
# then run benchmarks/coherence/pergrad_speed.py --device cuda. Output: $OUT/pergrad_cuda.txt.
set -euo pipefail
source benchmarks/device_setup.sh molgdl-datasets molgdl-rdkit molgdl-models molgdl-coherence
python3 benchmarks/coherence/pergrad_speed.py --m 512 --device cuda --no-write 2>&1 | tee "$OUT/pergrad_cuda.txt"
