#!/usr/bin/env bash
# e3nn vs SchNet vs plain e3nn training throughput on a CUDA machine without RDKit/pydantic (the device tool's
# machine): install the carried wheels (.whl/) and molgdl into /tmp/site, then run benchmarks/e3nn/throughput.py
# on CUDA only (fp32 and bf16 autocast), plus a short torch.profiler summary of one e3nn l1 step.
# Output: $OUT/throughput.txt (JSON rows + markdown table) and $OUT/profile_e3nn_l1.txt.
set -euo pipefail
source benchmarks/device_setup.sh molgdl-datasets molgdl-models molgdl-e3nn
python3 -c "import torch, e3nn, torch_geometric; print('torch', torch.__version__, 'e3nn', e3nn.__version__, 'pyg', torch_geometric.__version__)"
python3 benchmarks/e3nn/throughput.py --no-cpu --no-write --cuda-steps "${CUDA_STEPS:-30}" 2>&1 | tee "$OUT/throughput.txt"
python3 - <<'PY' 2>&1 | tee "$OUT/profile_e3nn_l1.txt"
import sys, torch
sys.path.insert(0, "benchmarks/e3nn")
from throughput import build, qm9_batches
batches = [b.to("cuda") for b in qm9_batches(128, 6)]
module, energy = build("e3nn l1")
module.cuda()
opt = torch.optim.Adam(module.parameters(), lr=1e-4)
def step(b):
    opt.zero_grad(set_to_none=True)
    loss = energy(b).pow(2).mean()
    loss.backward()
    opt.step()
for b in batches[:3]:
    step(b)
torch.cuda.synchronize()
from torch.profiler import ProfilerActivity, profile
with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
    for b in batches[3:]:
        step(b)
    torch.cuda.synchronize()
print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=25))
print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=15))
PY
