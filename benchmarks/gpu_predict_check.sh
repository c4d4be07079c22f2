#!/usr/bin/env bash
# `molgdl predict --device` on a CUDA machine without RDKit/pydantic (the device tool's machine; wheels carried as
# in gpu_check.sh): train a small D-MPNN with a mean-variance head on ESOL, predict the ESOL molecules on the CPU
# and on the GPU, and write the largest difference of every output column and both rates to $OUT/gpu_predict.json.
set -euo pipefail
source benchmarks/device_setup.sh molgdl-datasets molgdl-rdkit molgdl-models
python3 -m molgdl run configs/esol_dmpnn.yaml --overwrite --set run.name=gpu_predict --set run.output_dir=/tmp/runs \
  --set trainer.max_epochs=3 --set trainer.accelerator=gpu --set trainer.progress_bar=false --set data.progress=false \
  --set 'uncertainty={estimator: {name: mve}, calibrator: {name: zscaling}, coverage: 0.9}' > /tmp/train.log 2>&1 \
  || { tail -30 /tmp/train.log; exit 1; }
python3 - <<'PY'
import json, os, time
import pandas as pd
from molgdl_datasets.bundled import data_path
from molgdl import api
run = api.open_run("/tmp/runs/gpu_predict")
smiles = pd.read_csv(data_path("esol_delaney-processed.csv"))["smiles"].tolist() * 4
out, seconds = {}, {}
for device in ("cpu", "cuda"):
    run.predict(smiles[:50], device=device)  # warm-up: CUDA context, kernels
    t0 = time.perf_counter()
    out[device] = run.predict(smiles, device=device)
    seconds[device] = time.perf_counter() - t0
numbers = [c for c in out["cpu"].columns if c not in ("smiles", "error")]
diff = {c: float((out["cpu"][c] - out["cuda"][c]).abs().max()) for c in numbers}
scale = {c: float(out["cpu"][c].abs().max()) for c in numbers}
result = {"molecules": len(smiles), "max_abs_difference": diff, "max_abs_value": scale,
          "molecules_per_s": {d: len(smiles) / s for d, s in seconds.items()}}
json.dump(result, open(os.path.join(os.environ["OUT"], "gpu_predict.json"), "w"), indent=1)
print(json.dumps(result, indent=1))
PY
