#!/usr/bin/env bash
# GPU check on a CUDA machine without RDKit/pydantic (the device tool's machine): install carried wheels and
# molgdl into /tmp/site, then train the default ESOL config on the GPU in fp32 and bf16-mixed, and write
# a JSON line per run (test RMSE, training seconds, epochs) to $OUT/gpu.jsonl.
set -euo pipefail
source benchmarks/device_setup.sh molgdl-datasets molgdl-rdkit molgdl-models
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.is_available())"
for prec in 32-true bf16-mixed; do
  python3 -m molgdl run configs/esol.yaml --overwrite --set run.name="gpu_${prec}" --set run.output_dir=/tmp/runs \
    --set trainer.accelerator=gpu --set trainer.devices=1 --set trainer.precision="${prec}" \
    --set trainer.progress_bar=false --set data.progress=false 2>&1 | grep -E "seed 0|featuriz|error|Error" || true
  python3 - "$prec" >> "$OUT/gpu.jsonl" <<'PY'
import json, sys
prec = sys.argv[1]
m = json.load(open(f"/tmp/runs/gpu_{prec}/seed_0/metrics.json"))
print(json.dumps({"precision": prec, "test_rmse": m["metrics"]["test"]["overall"]["rmse"],
                  "train_seconds": m["train_seconds"], "epochs": m.get("epochs")}))
PY
done
cat "$OUT/gpu.jsonl"
