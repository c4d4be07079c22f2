"""Lorenz-63 benchmarks of the EGA gradient modes (molgdl-hybrid), raw results into ``benchmarks/hybrid/results/``.

    python benchmarks/hybrid/run.py                      # all three parts (about 10 min on one core)
    python benchmarks/hybrid/run.py convergence cost     # some parts
    python benchmarks/hybrid/run.py --quick --results DIR

convergence  gradient error of each mode against exact autodiff through torch RK4, n = 20 steps, h = 1e-4 .. 1e-1
             (the time steps of Ouala et al.'s convergence_plot.ipynb), loss = MSE of the rollout to zero, random
             M_theta (the paper's 3-3-3 tanh MLP, float64), 60 initial states on the attractor; one file per seed.
cost         wall time of the forward (rollout + loss) and of loss.backward(), separately, and autograd graph memory (bytes of the tensors autograd saves, counted
             with torch.autograd.graph.saved_tensors_hooks) of each mode against full backprop ("exact"), rollout
             lengths 5 .. 1000, batch 32, float32, modes interleaved within each repeat.
training     the ``dynamics`` task (molgdl.run) on 5 seeds: online static EGA vs offline one-step regression vs the
             core alone, held-out rollout RMSE.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
STEPS = [1e-4, 5e-4, 1e-3, 3e-3, 5e-3, 8e-3, 1e-2, 3e-2, 5e-2, 8e-2, 1e-1]
LENGTHS = [5, 10, 20, 50, 100, 200, 500, 1000]
MODES = ("exact", "static", "straight_through", "first_order", "ensemble")
PARTS = ("convergence", "cost", "training")


def paper_mlp(seed: int, dtype: torch.dtype) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Tanh(), torch.nn.Linear(3, 3), torch.nn.Tanh(),
                               torch.nn.Linear(3, 3)).to(dtype)


def flat_grad(solver, u0, h, n, net, mode, generator) -> torch.Tensor:
    from molgdl_hybrid.gradients import rollout

    net.zero_grad()
    (rollout(solver, u0, h, n, net, mode, generator=generator) ** 2).mean().backward()
    return torch.cat([p.grad.reshape(-1) for p in net.parameters()]).clone()


def convergence(results: Path, seeds: list[int], command: str) -> None:
    from molgdl_hybrid.params import Lorenz63Params
    from molgdl_hybrid.solvers.build import build_lorenz63
    from molgdl_hybrid.solvers.lorenz import lorenz63_truth

    solver = build_lorenz63(Lorenz63Params())
    u0 = torch.tensor(lorenz63_truth(dt=1.0, duration=59.0, spinup=5.0))
    for seed in seeds:
        net = paper_mlp(seed, torch.float64)
        errors = {m: [] for m in MODES[1:]}
        norms = []
        for h in STEPS:
            exact = flat_grad(solver, u0, h, 20, net, "exact", None)
            norms.append(exact.abs().mean().item())
            for m in MODES[1:]:
                approx = flat_grad(solver, u0, h, 20, net, m, torch.Generator().manual_seed(seed))
                errors[m].append((approx - exact).abs().mean().item())
        out = {"command": command, "seed": seed, "n": 20, "steps": STEPS, "initial_states": len(u0),
               "mean_abs_exact_gradient": norms, "mean_abs_error": errors, "dtype": "float64"}
        (results / "convergence").mkdir(parents=True, exist_ok=True)
        (results / "convergence" / f"seed_{seed}.json").write_text(json.dumps(out, indent=1))
        print(f"convergence seed {seed} done", flush=True)


def graph_bytes(fn) -> int:
    """Bytes of the distinct tensors autograd saves for backward while ``fn()`` builds its graph."""
    seen: dict[tuple[int, int], int] = {}

    def pack(t: torch.Tensor):
        key = (t.untyped_storage().data_ptr(), t.untyped_storage().nbytes())
        seen[key] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = fn()
    loss.backward()
    return int(sum(seen.values()))


def cost(results: Path, lengths: list[int], repeats: int, command: str) -> None:
    from molgdl_hybrid.gradients import rollout
    from molgdl_hybrid.params import Lorenz63Params
    from molgdl_hybrid.solvers.build import build_lorenz63
    from molgdl_hybrid.solvers.lorenz import lorenz63_truth

    solver = build_lorenz63(Lorenz63Params())
    u0 = torch.tensor(lorenz63_truth(dt=0.37, duration=0.37 * 31, spinup=5.0), dtype=torch.float32)  # [32, 3]
    net = paper_mlp(0, torch.float32)
    h = 0.01
    gen = torch.Generator().manual_seed(0)

    def loss_of(mode: str, n: int):
        return lambda: (rollout(solver, u0, h, n, net, mode, generator=gen) ** 2).mean()

    rows = []
    for n in lengths:
        memory = {m: graph_bytes(loss_of(m, n)) for m in MODES}
        net.zero_grad()
        forward, backward = {m: [] for m in MODES}, {m: [] for m in MODES}
        for r in range(repeats):
            for m in (MODES if r % 2 == 0 else MODES[::-1]):
                fn = loss_of(m, n)
                start = time.perf_counter()
                loss = fn()
                middle = time.perf_counter()
                loss.backward()
                forward[m].append(middle - start)
                backward[m].append(time.perf_counter() - middle)
                net.zero_grad()
        rows.append({"n": n, "forward_s": forward, "backward_s": backward, "graph_bytes": memory})
        print(f"cost n={n}: " + ", ".join(f"{m} {np.median(forward[m]) * 1e3:.1f} + {np.median(backward[m]) * 1e3:.1f}"
                                          " ms" for m in MODES), flush=True)
    out = {"command": command, "batch": len(u0), "h": h, "repeats": repeats, "dtype": "float32",
           "torch": torch.__version__, "threads": torch.get_num_threads(), "machine": platform.processor()
           or platform.machine(), "clock": "time.perf_counter: forward (rollout + MSE) and loss.backward() separately", "rows": rows}
    (results / "cost.json").write_text(json.dumps(out, indent=1))


TRAINING = {
    "task": "dynamics",
    "solver": {"name": "lorenz63"},
    "data": {"source": "lorenz63", "dt": 0.01, "duration": 60.0, "test_fraction": 0.25},
    "correction": {"name": "mlp", "hidden": [16, 16]},
    "training": {"mode": "static", "rollout": 10, "epochs": 20, "lr": 0.01, "batch_size": 32, "max_windows": 1000},
    "evaluation": {"horizons": [1, 10, 50, 100], "max_windows": 200},
}


def training(results: Path, seeds: list[int], config: dict, command: str) -> None:
    import molgdl

    out_dir = results / "training"
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hybrid-bench-") as tmp:
        for seed in seeds:
            start = time.process_time()
            run = molgdl.run({**config, "run": {"name": f"s{seed}", "output_dir": tmp, "seeds": [seed]}})
            metrics = json.loads((run.path / f"seed_{seed}" / "metrics.json").read_text())
            out = {"command": command, "config": config, "cpu_s": time.process_time() - start, **metrics}
            (out_dir / f"seed_{seed}.json").write_text(json.dumps(out, indent=1))
            print(f"training seed {seed}: " + json.dumps(metrics["test"]), flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("parts", nargs="*", default=list(PARTS), help=f"any of {', '.join(PARTS)} (default: all)")
    ap.add_argument("--quick", action="store_true", help="1 seed, lengths up to 100, 5 repeats, 3 epochs")
    ap.add_argument("--results", type=Path, default=HERE / "results")
    ap.add_argument("--repeats", type=int, default=10)
    args = ap.parse_args(argv)
    if set(args.parts) - set(PARTS):
        ap.error(f"unknown part(s) {sorted(set(args.parts) - set(PARTS))}; choose from {', '.join(PARTS)}")
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    args.results.mkdir(parents=True, exist_ok=True)
    command = "python benchmarks/hybrid/run.py " + " ".join(args.parts) + (" --quick" if args.quick else "")
    seeds = [0] if args.quick else [0, 1, 2, 3, 4]
    if "convergence" in args.parts:
        convergence(args.results, seeds, command)
    if "cost" in args.parts:
        cost(args.results, LENGTHS[:5] if args.quick else LENGTHS, 5 if args.quick else args.repeats, command)
    if "training" in args.parts:
        config = TRAINING if not args.quick else {**TRAINING, "training": {**TRAINING["training"], "epochs": 3,
                                                                           "max_windows": 200}}
        training(args.results, seeds, config, command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
