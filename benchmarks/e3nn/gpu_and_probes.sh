#!/usr/bin/env bash
# One device-tool call (CUDA machine with 16 CPU cores, no RDKit): (1) the e3nn CUDA throughput table
# (throughput.py --no-cpu) on cores 0-1, and at the same time (2) the QM9 probes of $PROBES (default qm9_probes_round1.json), one per
# core on cores 2-15, for $PROBE_MINUTES minutes of training each. Needs the carried wheels (.whl/) and the
# 20k QM9 subset copied to .devdata/qm9_subset_20k.npz. Output: $OUT/gpu_throughput.txt, $OUT/probes.jsonl.
set -euo pipefail
source benchmarks/device_setup.sh molgdl-datasets molgdl-rdkit molgdl-models molgdl-e3nn
PROBE_MINUTES=${PROBE_MINUTES:-6}
PROBES=${PROBES:-benchmarks/e3nn/qm9_probes_round1.json}
nproc
taskset -c 0,1 python3 benchmarks/e3nn/throughput.py --no-cpu --cuda-steps 30 --no-write \
  > "$OUT/gpu_throughput.txt" 2>&1 &
thr=$!
taskset -c 2-15 python3 benchmarks/e3nn/probe.py --variants "$PROBES" \
  --minutes "$PROBE_MINUTES" --cores 2-15 --npz .devdata/qm9_subset_20k.npz | tee "$OUT/probes.jsonl"
wait $thr || echo "throughput failed: $?"
tail -25 "$OUT/gpu_throughput.txt"
tar czf "$OUT/probe_logs.tgz" .bench/e3nn/qm9_probe/*.log 2>/dev/null || true
