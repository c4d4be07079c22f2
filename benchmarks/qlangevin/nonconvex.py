"""(a) Non-convex test: fraction of 200 random starts that end in the global basin of a 2D tilted double well.

f(x) = sum_i (x_i^2 - 1)^2 + c x_i  (i = 1, 2; c = 0.3): four basins, the global minimum at
x_i = -1.036 (f_i = -0.30), the other well at +0.961 (f_i = +0.29), saddle at x_i = 0.075 (f_i = +0.011).
Barrier out of the shallow well 0.73 (per coordinate), out of the deep one 1.32 (per coordinate... they
are separable). Starts uniform in [-2, 2]^2; success = both coordinates of the final iterate below the
saddle (gradient descent from a start stays in its basin: expected success 0.27).

Every optimizer sees the same gradient noise sequence g + sigma xi (common random numbers), for
sigma = 0 (full batch) and sigma > 0 (minibatch-like). 5000 steps, B = 100 steps per "epoch".
QSGD/QAdam: lattice eta * 2^h(t), h(t) = floor(rate t); SGLD "matched": Gaussian noise with the same
per-step variance as the rounding noise, Delta(t)^2 / 12, on the same schedule (temperature
1/(24 lr Q(t)^2) too). Writes ``benchmarks/qlangevin/results/nonconvex.json`` (per start: the basin reached),
which ``report.py`` turns into the table and the paired tests.

    OMP_NUM_THREADS=1 python benchmarks/qlangevin/nonconvex.py [--quick] [--results DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results"
C, SADDLE = 0.3, 0.0752
N_STARTS, STEPS, B = 200, 5000, 100
RATE = 0.1  # lattice levels per epoch


def grad(x: torch.Tensor) -> torch.Tensor:
    return 4 * x**3 - 4 * x + C


def saddle() -> float:
    lo, hi = -0.5, 0.5  # root of 4x^3 - 4x + c between the wells
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if grad(torch.tensor(mid, dtype=torch.float64)) > 0 else (lo, mid)
    return (lo + hi) / 2


def make(name: str, lr: float, eta: float | None, rate: float, x):
    from molgdl_qlangevin.factories import build_qadam, build_qsgd, build_sgld
    from molgdl_qlangevin.params import QAdamParams, QSGDParams, SGLDParams

    if name == "sgd":
        return torch.optim.SGD([x], lr=lr)
    if name == "adam":
        return torch.optim.Adam([x], lr=lr)
    if name.startswith("qsgd"):
        rounding = "stochastic" if name.endswith("stochastic") else "nearest"
        opt = build_qsgd(QSGDParams(lr=lr, eta=eta, schedule="linear", rate=rate, rounding=rounding, seed=0,
                                    stats_every=1), [x])
    elif name == "qadam":
        opt = build_qadam(QAdamParams(lr=lr, eta=eta, schedule="linear", rate=rate, stats_every=1), [x])
    elif name == "sgld-matched":
        opt = build_sgld(SGLDParams(lr=lr, noise_std=0.0, seed=0), [x])
    else:
        raise ValueError(name)
    if hasattr(opt, "set_steps_per_epoch"):
        opt.set_steps_per_epoch(B)
    return opt


def run(name: str, lr: float, eta: float | None, rate: float, sigma: float, seed: int = 0, n_starts: int = N_STARTS,
        steps: int = STEPS) -> dict:
    g = torch.Generator().manual_seed(seed)
    x0 = (torch.rand(n_starts, 2, generator=g) * 4 - 2)
    x = torch.nn.Parameter(x0.clone())
    opt = make(name, lr, eta, rate, x)
    noise = torch.Generator().manual_seed(seed + 1)
    frozen, measured = [], 0
    for k in range(steps):
        if name == "sgld-matched":  # Delta(t)^2 / 12 per step, the QSGD lattice schedule
            h = math.floor(rate * k / B + 1e-9)
            opt.param_groups[0]["noise_std"] = 1.0 / (eta * 2**h) / math.sqrt(12)
        x.grad = grad(x.detach()) + sigma * torch.randn(x.shape, generator=noise)
        opt.step()
        if hasattr(opt, "epoch_stats") and (k + 1) % B == 0:
            st = opt.epoch_stats()
            if "frozen_frac" in st:
                frozen.append(st["frozen_frac"])
            measured += 1
    xf = x.detach()
    success = ((xf[:, 0] < SADDLE) & (xf[:, 1] < SADDLE)).float()
    gd_basin = ((x0[:, 0] < SADDLE) & (x0[:, 1] < SADDLE)).float()
    p = success.mean().item()
    out = {"optimizer": name, "lr": lr, "eta": eta, "rate": rate, "sigma": sigma, "success": p,
           "se": math.sqrt(p * (1 - p) / n_starts), "start_in_global_basin": gd_basin.mean().item(),
           "success_per_start": "".join(str(int(v)) for v in success.tolist()),
           "final_f_mean": ((xf**2 - 1) ** 2 + C * xf).sum(1).mean().item()}
    if frozen:
        out["frozen_frac_first_epoch"] = frozen[0]
        out["frozen_frac_mean"] = sum(frozen) / len(frozen)
        out["frozen_frac_last_epoch"] = frozen[-1]
    if eta is not None:
        out["T_start"] = 1 / (24 * lr * eta**2)
        out["T_end"] = 1 / (24 * lr * (eta * 2 ** last_level(rate, steps)) ** 2)
    return out


def last_level(rate: float, steps: int) -> int:
    """The lattice level h = floor(rate t) of the last step, t = (steps - 1) / B: the spacing is halved h times."""
    return math.floor(rate * (steps - 1) / B + 1e-9)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="50 starts, 1000 steps")
    ap.add_argument("--results", type=Path, default=RESULTS, help="folder of the raw results")
    args = ap.parse_args(argv)
    n_starts, steps = (50, 1000) if args.quick else (N_STARTS, STEPS)
    torch.set_num_threads(1)
    assert abs(saddle() - SADDLE) < 1e-3
    lr_sgd, lr_adam = 0.02, 0.05
    configs = []
    for sigma in (0.0, 5.0):
        configs += [
            ("sgd", lr_sgd, None, RATE, sigma),
            ("qsgd", lr_sgd, 2.0, RATE, sigma),
            ("qsgd-stochastic", lr_sgd, 2.0, RATE, sigma),
            ("sgld-matched", lr_sgd, 2.0, RATE, sigma),
            ("qsgd", lr_sgd, 8.0, RATE, sigma),
            ("sgld-matched", lr_sgd, 8.0, RATE, sigma),
            ("adam", lr_adam, None, RATE, sigma),
            ("qadam", lr_adam, 16.0, RATE, sigma),  # spacing/2 = 0.031 < lr: Adam steps can cross
            ("qadam", lr_adam, 2.0, RATE, sigma),  # spacing/2 = 0.25 >> lr: frozen from the start
        ]
    rows = []
    t0 = time.process_time()
    for cfg in configs:
        row = run(*cfg, n_starts=n_starts, steps=steps)
        rows.append(row)
        print(f"sigma={row['sigma']:<4} {row['optimizer']:16s} eta={str(row['eta']):5s} success {row['success']:.3f} "
              f"± {row['se']:.3f}  frozen {row.get('frozen_frac_mean', float('nan')):.3f}", flush=True)
    args.results.mkdir(parents=True, exist_ok=True)
    argv_text = " ".join(sys.argv[1:] if argv is None else argv)
    (args.results / "nonconvex.json").write_text(json.dumps({
        "command": f"OMP_NUM_THREADS=1 python benchmarks/qlangevin/nonconvex.py {argv_text}".strip(),
        "function": "sum_i (x_i^2 - 1)^2 + 0.3 x_i, x in R^2", "starts": n_starts, "steps": steps,
        "steps_per_epoch": B, "rate": RATE, "lattice_base": 2, "halvings": last_level(RATE, steps),
        "lr": {"sgd": lr_sgd, "adam": lr_adam}, "sigmas": [0.0, 5.0], "saddle": SADDLE,
        "cpu_s": time.process_time() - t0, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
