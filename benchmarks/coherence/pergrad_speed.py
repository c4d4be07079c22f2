"""Per-molecule gradient norms at m = 512 on the default ESOL model (configs/esol.yaml: D-MPNN 300x3 + rdkit2d
descriptors + 300x2 head, 370k parameters): the per-example loop (reference) vs the torch.func vmap-over-vjp path
vs the factored path, all in one process on the same 512 training molecules, one thread. Also checks that the
three give the same squared norms. Writes ``.bench/coherence/pergrad_speed.json``.

    OMP_NUM_THREADS=1 nice -n 5 python benchmarks/coherence/pergrad_speed.py --m 512
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / ".bench" / "coherence"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--m", type=int, default=512)
    ap.add_argument("--config", default=str(ROOT / "configs" / "esol.yaml"))
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()

    import torch
    from torch_geometric.data import Batch

    from molgdl.run.data_stage import prepare_data
    from molgdl.run.resolve import resolve_file
    from molgdl.run.train_stage import build_model, feature_dims
    from molgdl_coherence.pergrad import example_sq_norms, loop_gradients

    torch.set_num_threads(1)
    torch.manual_seed(0)
    res = resolve_file(args.config, overrides={"data.progress": False})
    data = prepare_data(res, None)
    ds = data.graphs.dataset
    model = build_model(res, feature_dims(data), 1).eval()
    graphs = [ds[i] for i in torch.randperm(len(ds))[:args.m].tolist()]
    y = (torch.cat([g.y for g in graphs]) - model.y_mean) / model.y_std

    def loop():
        g = loop_gradients(model, graphs, y, "regression")
        return sum(v.reshape(args.m, -1).double().pow(2).sum(1) for v in g.values())

    def batched(method, bs, chunk=16, check=True):
        def run():
            out = []
            for s in range(0, args.m, bs):
                b = Batch.from_data_list(graphs[s:s + bs])
                _, sq = example_sq_norms(model, b, y[s:s + bs], "regression", method=method, chunk=chunk,
                                         check=check)
                out.append(sum(v.double() for v in sq.values()))
            return torch.cat(out)
        return run

    cases = {"loop": loop, "vmap (batch 8, chunk 8)": batched("vmap", 8, 8),
             "vmap (batch 16, chunk 16)": batched("vmap", 16, 16),
             "factored (batch 64, checked)": batched("factored", 64),
             "factored (batch 64, check=False)": batched("factored", 64, check=False),
             "factored (batch 128, check=False)": batched("factored", 128, check=False)}
    times: dict[str, float] = {}
    ref = None
    err: dict[str, float] = {}
    for _ in range(args.repeats):  # interleaved repeats, best time of each (shared, loaded machine)
        for name, fn in cases.items():
            t0 = time.perf_counter()
            sq = fn()
            dt = time.perf_counter() - t0
            times[name] = min(times.get(name, float("inf")), dt)
            if ref is None:
                ref = sq
            err[name] = float(((sq - ref).abs() / ref).max())
            print(f"{name}: {dt:.2f} s (max rel. diff of |g_i|^2 vs loop {err[name]:.1e})", file=sys.stderr)
    n_params = sum(p.numel() for p in model.parameters())
    result = {"m": args.m, "n_params": n_params, "seconds": times, "max_rel_err": err,
              "speedup_vs_loop": {k: times["loop"] / v for k, v in times.items()}}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "pergrad_speed.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
