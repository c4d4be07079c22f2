"""Learned closure of a coarse Vlasov solver (issue 23, part 3).

Coarse solver: the spectral semi-Lagrangian solver on a 16 x 16 grid (v in [-6, 6): dv = 0.75, so its
filaments recur at T_R = 2 pi / (k dv) = 16.8). Truth: CMM (32^2 map grid, 64^2 sampling grid). Case:
Landau damping, k = 0.5, trained at eps = 0.05 on t in [0, 20], evaluated at eps = 0.03, 0.05, 0.08 on
t in [0, 40]. Correction: ``molgdl_vlasov.closure.ModeDamping`` (an MLP of the mode wavenumbers giving a
damping rate per Fourier mode; 65 parameters). Arms, each from 5 seeds of the MLP's initialisation:

- ``coarse``: the solver alone;
- ``online_<mode>``: trained through ``molgdl_hybrid.gradients.rollout`` on the log field-energy history of
  one rollout over the training interval, with the EGA modes static, straight_through and first_order (the
  spectral solver's rhs) and exact backpropagation as a reference. The correction leaves the density modes
  alone, so it changes the field energy only through the solver's dynamics: static and straight-through
  EGA (flow Jacobian I and I + h dM/du) see no effect of the correction on the loss at all;
- ``untrained``: the correction at its initialisation (every rate about 1e-3), to separate training from
  the mere presence of a weak damping;
- ``offline``: trained on one-step residuals ``(f_fine(t + h) - Psi(f_fine(t))) / h`` of the fine run
  sampled on the coarse grid (a priori learning).

Metric: RMS over t in [0, 40] of log10 W_model(t) - log10 W_CMM(t), W = 1/2 int E^2 dx, averaged over the
three test amplitudes. Writes ``results/closure.json``.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/vlasov/closure.py [--quick] [--results DIR]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from common import dump, machine  # noqa: E402

from molgdl_hybrid.gradients import rollout  # noqa: E402
from molgdl_vlasov.cases import initial_density  # noqa: E402
from molgdl_vlasov.closure import ModeDamping, field_energy, log_energy_error  # noqa: E402
from molgdl_vlasov.cmm import CMM, CMMConfig  # noqa: E402
from molgdl_vlasov.grid import Box, Grid  # noqa: E402
from molgdl_vlasov.solvers import SpectralSLSolver  # noqa: E402

K, V_MAX, H = 0.5, 6.0, 0.1
BOX = Box.from_wavenumber(K, V_MAX)
COARSE = Grid(BOX, 16, 16)
TRAIN_EPS, TEST_EPS = 0.05, (0.03, 0.05, 0.08)
MODES = ("static", "straight_through", "first_order", "exact")


def fine_run(eps: float, t_end: float, n_map: int, n_sampling: int) -> dict:
    """CMM truth: field energy on its own grid and f sampled on the coarse grid at every step."""
    config = CMMConfig(n_map=n_map, n_sampling=n_sampling, det_tol=1e-3)
    sim = CMM(BOX, config, initial_density("landau", K, eps))
    energy, states = [], []
    sg = sim.sample_grid
    for step in range(round(t_end / H) + 1):
        if step:
            sim.advance(H)
        energy.append(float(0.5 * (sim.e_jet[0, 0] ** 2).sum() * sg.dx))
        states.append(sim.sample(COARSE)[0].reshape(-1))
    return {"energy": torch.tensor(energy, dtype=torch.float64), "states": torch.stack(states)}


def evaluate(solver, correction, truth: dict[float, dict], n: int) -> dict[str, float]:
    out = {}
    with torch.no_grad():
        for eps, ref in truth.items():
            u0 = solver.initial_state(initial_density("landau", K, eps))
            traj = rollout(solver, u0, H, n, correction, "static")[:, 0]
            out[str(eps)] = float(log_energy_error(field_energy(traj, COARSE), ref["energy"][: n + 1]))
    out["mean"] = sum(out.values()) / len(truth)
    return out


def energy_history(solver, correction, n: int) -> list[float]:
    """Field energy of the model run at the training amplitude (for the plot)."""
    with torch.no_grad():
        u0 = solver.initial_state(initial_density("landau", K, TRAIN_EPS))
        return field_energy(rollout(solver, u0, H, n, correction, "static")[:, 0], COARSE).tolist()


def train_online(solver, seed: int, mode: str, ref: dict, n: int, iters: int,
                 lr: float) -> tuple[ModeDamping, list]:
    """Online training: one rollout of ``n`` steps from the initial condition, loss on the log field energy."""
    torch.manual_seed(seed)
    net = ModeDamping(COARSE)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    u0 = solver.initial_state(initial_density("landau", K, TRAIN_EPS))
    target = torch.log10(ref["energy"][: n + 1])[:, None]
    losses = []
    for _ in range(iters):
        opt.zero_grad()
        traj = rollout(solver, u0, H, n, net, mode)
        loss = ((torch.log10(field_energy(traj, COARSE)) - target) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return net, losses


def train_offline(solver, seed: int, ref: dict, n: int, iters: int, lr: float) -> tuple[ModeDamping, list]:
    torch.manual_seed(seed)
    net = ModeDamping(COARSE)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    x = ref["states"][:n]
    with torch.no_grad():
        y = (ref["states"][1: n + 1] - solver.step(x, H)) / H
    losses = []
    for _ in range(iters):
        opt.zero_grad()
        loss = ((net(x) - y) ** 2).mean() / (y ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return net, losses


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--results", type=Path, default=HERE / "results")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--iters", type=int, default=60)
    args = ap.parse_args()
    torch.set_num_threads(1)
    args.results.mkdir(parents=True, exist_ok=True)
    t_train, t_eval = (5.0, 10.0) if args.quick else (20.0, 40.0)
    iters = 5 if args.quick else args.iters
    seeds = list(range(2 if args.quick else args.seeds))
    n_train, n_eval = round(t_train / H), round(t_eval / H)
    started = time.perf_counter()
    t0 = time.perf_counter()
    truth = {eps: fine_run(eps, t_eval, 16 if args.quick else 32, 32 if args.quick else 64) for eps in TEST_EPS}
    fine_seconds = time.perf_counter() - t0
    solver = SpectralSLSolver(COARSE)
    coarse = evaluate(solver, None, truth, n_eval)
    arms: dict[str, list] = {f"online_{m}": [] for m in MODES}
    arms["offline"] = []
    arms["untrained"] = []
    histories = {"cmm": truth[TRAIN_EPS]["energy"].tolist(), "coarse": energy_history(solver, None, n_eval)}
    for seed in seeds:
        for mode in MODES:
            name = f"online_{mode}"
            t0 = time.perf_counter()
            net, losses = train_online(solver, seed, mode, truth[TRAIN_EPS], n_train, iters, 0.05)
            arms[name].append({"seed": seed, "errors": evaluate(solver, net, truth, n_eval),
                                           "train_seconds": time.perf_counter() - t0, "losses": losses,
                                           "max_rate": float(net.rates().max())})
            if seed == seeds[0]:
                histories[name] = energy_history(solver, net, n_eval)
        torch.manual_seed(seed)
        arms["untrained"].append({"seed": seed, "errors": evaluate(solver, ModeDamping(COARSE), truth, n_eval),
                                  "train_seconds": 0.0, "losses": [], "max_rate": 1e-3})
        t0 = time.perf_counter()
        net, losses = train_offline(solver, seed, truth[TRAIN_EPS], n_train, 10 * iters, 0.02)
        arms["offline"].append({"seed": seed, "errors": evaluate(solver, net, truth, n_eval),
                                "train_seconds": time.perf_counter() - t0, "losses": losses,
                                "max_rate": float(net.rates().max())})
        if seed == seeds[0]:
            histories["offline"] = energy_history(solver, net, n_eval)
        print(f"seed {seed}: " + ", ".join(f"{k} {v[-1]['errors']['mean']:.3f}" for k, v in arms.items())
              + f"; coarse {coarse['mean']:.3f}", flush=True)
    dump(args.results / "closure.json", {
        "command": "python benchmarks/vlasov/closure.py" + (" --quick" if args.quick else ""),
        "machine": machine(), "threads": 1, "quick": args.quick, "wall_s": time.perf_counter() - started,
        "setup": {"k": K, "v_max": V_MAX, "h": H, "coarse_grid": [COARSE.nx, COARSE.nv],
                  "t_recurrence_coarse": 2 * math.pi / (K * COARSE.dv), "train_eps": TRAIN_EPS,
                  "test_eps": list(TEST_EPS), "t_train": t_train, "t_eval": t_eval, "iters_online": iters,
                  "iters_offline": 10 * iters,
                  "parameters": sum(p.numel() for p in ModeDamping(COARSE).parameters()),
                  "fine": "CMM n_map 32, n_sampling 64, det_tol 1e-3", "fine_seconds": fine_seconds},
        "coarse": coarse, "arms": arms, "histories": histories})


if __name__ == "__main__":
    main()
