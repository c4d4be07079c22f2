"""``task: vlasov``: run one case with a registered Vlasov solver; write per-step diagnostics
(``diagnostics.csv``), |E_1|(t) with the fitted rates (``field_mode.png``), phase-space pictures
(``phase_space_t*.png``) and return the summary (fits, drifts, timings)."""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path

import numpy as np
import torch

from molgdl.errors import ConfigError

from .cases import initial_density
from .diagnostics import QUANTITIES, drifts, measure
from .fitting import fit_damped_oscillation, fit_exponential, fit_peaks
from .grid import Grid
from .params import VlasovTaskParams
from .plots import field_mode_plot, phase_space_plot

COLUMNS = ("step", "t", *QUANTITIES, "mass_drift", "energy_drift", "l2_drift", "e1_abs", "e1_signed",
           "n_maps")


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("output.device: cuda was asked for but torch sees no GPU",
                          hint="use device: cpu or device: auto")
    return torch.device(name)


def time_grid(t_end: float, dt: float) -> tuple[int, float]:
    """``(n, t_end / n)`` with ``n = ceil(t_end / dt)``: equal steps that end exactly at ``t_end``."""
    n = max(1, math.ceil(t_end / dt - 1e-9))
    return n, t_end / n


def run_case(params: VlasovTaskParams, solver, out_dir: Path, log=None) -> dict:
    """Run ``solver`` (a molgdl-vlasov solver) on ``params.case``; write the artifacts into ``out_dir``."""
    case = params.case
    dtype = torch.float64 if params.output.dtype == "float64" else torch.float32
    device = _device(params.output.device)
    f0 = initial_density(case.name, case.k, case.epsilon, case.v0)
    sim = solver.simulate(f0, 1, dtype, device)
    dt_rule = params.time.dt or sim.suggested_dt(params.time.cfl)
    n_steps, dt = time_grid(params.time.t_end, dt_rule)
    grid = sim.sample_grid
    pictures = sorted({*params.output.phase_space_times, params.time.t_end})
    plot_grid = Grid(grid.box, params.output.plot_points, params.output.plot_points)
    rows, first = [], None
    written = []
    started = time.perf_counter()
    for step in range(n_steps + 1):
        if step:
            sim.advance(dt)
        m = {k: float(v[0]) for k, v in measure(sim.f, sim.e_jet[:, 0], grid).items()}
        first = first or m
        d = drifts(m, first)
        rows.append({"step": step, "t": step * dt, **m, **d, "n_maps": sim.n_maps})
        while pictures and step * dt >= pictures[0] - 0.5 * dt:
            tp = pictures.pop(0)
            f = sim.sample(plot_grid)[0].cpu().numpy()
            name = f"phase_space_t{tp:g}.png"
            phase_space_plot(out_dir / name, f, grid.box.lx, grid.box.v_max,
                             f"{case.name}, {params.solver['name']}, t = {step * dt:.2f}")
            written.append(name)
        if log is not None and step % max(1, n_steps // 10) == 0:
            log.info("vlasov t=%.3f |E1|=%.3e mass drift=%.2e maps=%d", step * dt, m["e1_abs"],
                     d["mass_drift"], sim.n_maps)
    elapsed = time.perf_counter() - started
    with open(out_dir / "diagnostics.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    t = np.array([r["t"] for r in rows])
    fits = {}
    for window in params.fit:
        try:
            if window.kind == "damped_oscillation":
                fits[window.label] = fit_damped_oscillation(t, np.array([r["e1_signed"] for r in rows]),
                                                            window.t_min, window.t_max)
            else:
                fit = fit_exponential if window.kind == "exponential" else fit_peaks
                fits[window.label] = fit(t, np.array([r["e1_abs"] for r in rows]), window.t_min, window.t_max)
        except ValueError as exc:
            raise ConfigError(f"fit {window.label!r}: {exc}",
                              hint="widen the window or lower time.dt") from None
    field_mode_plot(out_dir / "field_mode.png", t, np.array([r["e1_abs"] for r in rows]), fits,
                    f"{case.name} (k = {case.k}, eps = {case.epsilon}), {params.solver['name']}")
    last = rows[-1]
    return {"test": {**{f"{label}_{key}": fit[key] for label, fit in fits.items()
                        for key in ("rate", "frequency") if key in fit},
                     "max_mass_drift": max(r["mass_drift"] for r in rows),
                     "final_energy_drift": last["energy_drift"], "final_l2_drift": last["l2_drift"]},
            "fits": fits, "steps": n_steps, "dt": dt, "n_maps": last["n_maps"], "seconds": elapsed,
            "device": str(device), "pictures": written, "diagnostics": "diagnostics.csv"}


def vlasov_task(params: VlasovTaskParams, context) -> dict:
    """The ``vlasov`` task's factory: builds the solver from ``params.solver`` with the case's box."""
    case = params.case
    block = {**params.solver, "k": case.k, "v_max": case.v_max, "self_consistent": case.self_consistent}
    solver = context.build("solver", block, "solver")
    if not hasattr(solver, "simulate"):
        raise ConfigError(f"solver {params.solver['name']!r} is not a Vlasov solver (it has no simulate())",
                          hint="use cmm_vlasov_poisson or vlasov_spectral_sl")
    torch.manual_seed(context.seeds[0] if context.seeds else 0)
    return run_case(params, solver, context.run_dir, context.log)
