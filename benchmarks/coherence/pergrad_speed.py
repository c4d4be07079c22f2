"""Per-molecule gradient norms at m = 512 on the ESOL D-MPNN (configs/esol_dmpnn.yaml: D-MPNN 300x3 + rdkit2d
descriptors + 300x2 head, 370k parameters): the per-example loop (reference) vs ``vmap`` over molecules of
``grad`` (``torch.func``, molecules sorted by size and padded a chunk at a time) vs the factored path, all in
one process on the same training molecules, one thread. Each method is warmed up once, then timed in
interleaved repeats (best of each, the machine being shared); every method includes its reduction to squared
norms. Also compares the squared norms with those of the loop and of the loop in float64 (float32 rounding
alone makes methods differ by ~1e-5 on molecules with a small residual). Prints a markdown table and writes
``.bench/coherence/pergrad_speed.json`` (read by report.py; ``--no-write``: print only).

    OMP_NUM_THREADS=1 nice -n 5 python benchmarks/coherence/pergrad_speed.py --m 512
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--m", type=int, default=512)
    ap.add_argument("--config", default=str(ROOT / "configs" / "esol_dmpnn.yaml"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--chunks", type=int, nargs="+", default=[16, 32], help="molecules per vmap call")
    ap.add_argument("--no-write", action="store_true", help="print the table, leave the JSON alone")
    ap.add_argument("--quick", action="store_true", help="m = 64, 1 repeat")
    ap.add_argument("--results", type=Path, default=RESULTS, help="folder of the raw results")
    ap.add_argument("--device", default="cpu", help="cpu or cuda (CUDA: timings synchronise the device)")
    args = ap.parse_args(argv)
    if args.quick:
        args.m, args.repeats = 64, 1

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
    model = build_model(res, feature_dims(data), 1).eval().to(args.device)
    graphs = [ds[i].to(args.device) for i in torch.randperm(len(ds))[:args.m].tolist()]
    y = (torch.cat([g.y for g in graphs]) - model.y_mean) / model.y_std

    def sync():
        if args.device != "cpu":
            torch.cuda.synchronize()

    def sq_norms(g, sample):
        return sum(torch.linalg.vector_norm(v.reshape(sample, -1), dim=1).double().square()
                   for v in g.values())

    def loop(sample):
        return sq_norms(loop_gradients(model, graphs[:sample], y[:sample], "regression"), sample)

    def batched(method, bs, chunk=16, check=True):
        def run(sample):
            out = []
            for s in range(0, sample, bs):
                b = Batch.from_data_list(graphs[s:min(s + bs, sample)])
                _, sq = example_sq_norms(model, b, y[s:min(s + bs, sample)], "regression", method=method,
                                         chunk=chunk, check=check)
                out.append(sum(v.double() for v in sq.values()))
            return torch.cat(out)
        return run

    cases = {"loop": loop}
    for c in args.chunks:
        cases[f"vmap (one batch of m, chunk {c})"] = batched("vmap", args.m, c)
    cases[f"vmap (batch 64, chunk {args.chunks[0]})"] = batched("vmap", 64, args.chunks[0])
    cases["factored (batch 64, checked)"] = batched("factored", 64)
    cases["factored (batch 64, check=False)"] = batched("factored", 64, check=False)
    for fn in cases.values():  # warm-up: first-call costs (imports, allocator, one-time model checks)
        fn(min(16, args.m))
    exact = sq_norms(loop_gradients(copy.deepcopy(model).double(),
                                    [g.apply(lambda t: t.double() if t.is_floating_point() else t)
                                     for g in copy.deepcopy(graphs)], y.double(), "regression"), args.m)
    times: dict[str, float] = {}
    all_times: dict[str, list[float]] = {name: [] for name in cases}
    ref = None
    err: dict[str, float] = {}
    err64: dict[str, float] = {}
    # CPU: thread CPU time (time descheduled by other load is not counted); CUDA: synchronised wall clock
    clock = time.thread_time if args.device == "cpu" else time.perf_counter
    for _ in range(args.repeats):  # interleaved repeats
        for name, fn in cases.items():
            sync()
            t0 = clock()
            sq = fn(args.m)
            sync()
            dt = clock() - t0
            times[name] = min(times.get(name, float("inf")), dt)
            all_times[name].append(dt)
            if ref is None:
                ref = sq
            err[name] = max(err.get(name, 0.0), float(((sq - ref).abs() / ref).max()))
            err64[name] = max(err64.get(name, 0.0), float(((sq - exact).abs() / exact).max()))
            print(f"{name}: {dt:.2f} s (max rel. diff of |g_i|^2 vs loop {err[name]:.1e}, vs float64 loop "
                  f"{err64[name]:.1e})", file=sys.stderr)
    n_params = sum(p.numel() for p in model.parameters())
    speedup = {k: times["loop"] / v for k, v in times.items()}
    argv_text = " ".join(sys.argv[1:] if argv is None else argv)
    result = {"command": f"OMP_NUM_THREADS=1 python benchmarks/coherence/pergrad_speed.py {argv_text}".strip(),
              "m": args.m, "n_params": n_params, "device": args.device, "repeats": args.repeats,
              "clock": "thread_time" if args.device == "cpu" else "perf_counter (synchronised)",
              "seconds": times, "seconds_per_repeat": all_times, "max_rel_err": err,
              "max_rel_err_vs_float64": err64, "speedup_vs_loop": speedup}
    if not args.no_write:
        args.results.mkdir(parents=True, exist_ok=True)
        (args.results / f"pergrad_speed_{args.device}.json").write_text(json.dumps(result, indent=1) + "\n")
    print("| method | seconds | speed-up vs loop | max rel. diff of ‖g_i‖² vs loop | vs float64 loop |\n"
          "|---|---|---|---|---|")
    for name in cases:
        print(f"| {name} | {times[name]:.2f} | {speedup[name]:.2f}× | {err[name]:.1e} | {err64[name]:.1e} |")


if __name__ == "__main__":
    main()
