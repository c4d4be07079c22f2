"""Vlasov-Poisson benchmarks of molgdl-vlasov (issue 23): CMM against the dispersion relation, its order of
convergence, mass conservation, recurrence against the fixed-grid spectral solver, nonlinear phase space.
Every experiment writes ``results/<name>.json`` (and phase-space PNGs); ``report.py`` renders them.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/vlasov/run.py [landau two_stream eoc mass recurrence nonlinear]
    python benchmarks/vlasov/run.py --quick --results /tmp/vq     # small versions (seconds)

Budget: one shared CPU core, float64; the wall time of every run is recorded. The learned closure is
``closure.py``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from common import dump, machine  # noqa: E402

from molgdl_vlasov.cases import initial_density  # noqa: E402
from molgdl_vlasov.cmm import CMM, CMMConfig  # noqa: E402
from molgdl_vlasov.diagnostics import drifts, measure  # noqa: E402
from molgdl_vlasov.field import density  # noqa: E402
from molgdl_vlasov.fitting import fit_damped_oscillation, fit_exponential  # noqa: E402
from molgdl_vlasov.grid import Box, Grid  # noqa: E402
from molgdl_vlasov.plots import phase_space_plot  # noqa: E402
from molgdl_vlasov.solvers import SLSimulation  # noqa: E402
from molgdl_vlasov.semi_lagrangian import SpectralSL  # noqa: E402

V_LANDAU, V_TWO = 4 * math.pi, 5 * math.pi
COMMAND = "python benchmarks/vlasov/run.py"


def cmm_sim(k, v_max, case, eps, **config):
    return CMM(Box.from_wavenumber(k, v_max), CMMConfig(**config), initial_density(case, k, eps))


def sl_sim(k, v_max, case, eps, nx, nv, self_consistent=True):
    grid = Grid(Box.from_wavenumber(k, v_max), nx, nv)
    x, v = grid.mesh()
    return SLSimulation(SpectralSL(grid, self_consistent), initial_density(case, k, eps)(x, v)[None])


def history(sim, t_end: float, dt: float, every: int = 1) -> dict:
    """Advance ``sim`` to ``t_end``; record t, E_1 (signed, abs), density mode 1, drifts and the wall time."""
    n = round(t_end / dt)
    out = {k: [] for k in ("t", "e1_signed", "e1_abs", "rho1", "mass_drift", "energy_drift", "l2_drift")}
    first = None
    t0 = time.perf_counter()
    for step in range(n + 1):
        if step:
            sim.advance(dt)
        if step % every and step != n:
            continue
        m = {k: float(v[0]) for k, v in measure(sim.f, sim.e_jet[:, 0], sim.sample_grid).items()}
        first = first or m
        d = drifts(m, first)
        rho = density(sim.f, sim.sample_grid)[0]
        out["t"].append(step * dt)
        out["e1_signed"].append(m["e1_signed"])
        out["e1_abs"].append(m["e1_abs"])
        out["rho1"].append(float(2 * torch.fft.fft(rho)[1].abs() / rho.numel()))
        for key in ("mass_drift", "energy_drift", "l2_drift"):
            out[key].append(d[key])
    out["seconds"] = time.perf_counter() - t0
    out["steps"] = n
    out["n_maps"] = getattr(sim, "n_maps", 0)
    return out


def landau(q: bool) -> dict:
    """Linear Landau (eps = 0.01, the literature value) and the MATLAB parameter file's eps = 0.05."""
    t_end = 12.0 if q else 40.0
    window = (2.0, 12.0) if q else (5.0, 30.0)
    runs = {}
    for eps, det_tol in ((0.01, 1e-4), (0.05, 1e-2)):
        for name, sim, dt in (
                (f"cmm_eps{eps}", cmm_sim(0.5, V_LANDAU, "landau", eps, n_map=32, n_sampling=64 if q else 128,
                                          det_tol=det_tol), 0.1),
                (f"spectral_eps{eps}", sl_sim(0.5, V_LANDAU, "landau", eps, 64, 64 if q else 512), 0.05)):
            h = history(sim, t_end, dt)
            h["fit"] = fit_damped_oscillation(np.array(h["t"]), np.array(h["e1_signed"]), *window)
            h.update(eps=eps, dt=dt, det_tol=det_tol if name.startswith("cmm") else None)
            runs[name] = h
    return {"runs": runs, "setup": {"k": 0.5, "v_max": V_LANDAU, "cmm": "n_map 32, n_sampling 128, dt 0.1",
                                    "spectral": "64 x 512, dt 0.05", "window": window, "t_end": t_end}}


def two_stream(q: bool) -> dict:
    """Growth rate at eps = 1e-6 (linear phase up to T = 40); eps = 0.05 for the nonlinear picture."""
    runs = {}
    t_end = 20.0 if q else 40.0
    window = (10.0, 20.0) if q else (20.0, 40.0)
    sim = cmm_sim(0.2, V_TWO, "two_stream", 1e-6, n_map=32, n_sampling=64 if q else 128)
    h = history(sim, t_end, 0.1)
    h["fit"] = fit_exponential(np.array(h["t"]), np.array(h["e1_abs"]), *window)
    runs["cmm_eps1e-06"] = h
    sl = sl_sim(0.2, V_TWO, "two_stream", 1e-6, 64, 64 if q else 512)
    h = history(sl, t_end, 0.05)
    h["fit"] = fit_exponential(np.array(h["t"]), np.array(h["e1_abs"]), *window)
    runs["spectral_eps1e-06"] = h
    sim = cmm_sim(0.2, V_TWO, "two_stream", 0.05, n_map=32, n_sampling=64 if q else 128)
    runs["cmm_eps0.05"] = history(sim, t_end, 0.1)
    grid = Grid(sim.box, 256, 256)
    phase_space_plot(RESULTS / "two_stream_phase_space.png", sim.sample(grid)[0].numpy(), sim.box.lx,
                     sim.box.v_max, f"two-stream, eps = 0.05, CMM n_map = 32, t = {sim.t:g}")
    return {"runs": runs, "setup": {"k": 0.2, "v0": 3.0, "v_max": V_TWO, "window": window, "t_end": t_end,
                                    "cmm": "n_map 32, n_sampling 128, dt 0.1", "spectral": "64 x 512, dt 0.05"}}


def _eoc_series(q: bool, c: float, ref_n: int, ref_dt: float) -> dict:
    """Error of f at fixed T against a fine CMM run, refining the map grid and dt together (dt = c / n_map).
    Nonlinear Landau (eps = 0.5), T = 2, no remapping, sampling grid 128^2 and filter cutoff fixed."""
    t_end = 2.0
    levels = [8, 16] if q else [16, 32, 64]
    ref_n = 32 if q else ref_n
    common = dict(n_sampling=64 if q else 128, det_tol=1e9, filter_cutoff=32.0)
    grid = Grid(Box.from_wavenumber(0.5, V_LANDAU), 128, 128)
    out = {"levels": [], "t_end": t_end, "reference_n_map": ref_n, "reference_dt": ref_dt, "dt_constant": c}
    fields = {}
    for n, dt in [*((n, c / n) for n in levels), (ref_n, ref_dt)]:
        sim = cmm_sim(0.5, V_LANDAU, "landau", 0.5, n_map=n, **common)
        t0 = time.perf_counter()
        for _ in range(round(t_end / dt)):
            sim.advance(dt)
        fields[n] = sim.sample(grid)[0]
        out["levels"].append({"n_map": n, "dt": dt, "seconds": time.perf_counter() - t0})
    ref = fields[ref_n]
    for row in out["levels"][:-1]:
        row["error_inf"] = float((fields[row["n_map"]] - ref).abs().max())
        row["error_l2"] = float(((fields[row["n_map"]] - ref) ** 2).mean().sqrt())
    return out


def eoc(q: bool) -> dict:
    """dt = 6.4 / n_map (0.4 at n_map 16): the time error (third order) dominates the map's fourth-order
    interpolation error; reference n_map 128, dt 0.025."""
    return _eoc_series(q, 6.4, 128, 0.025)


def eoc_small_dt(q: bool) -> dict:
    """dt = 1.6 / n_map: time and space errors of similar size; reference n_map 256, dt 1.6 / 256."""
    return _eoc_series(q, 1.6, 256, 1.6 / 256)


def eoc_time(q: bool) -> dict:
    """Time order alone: n_map 32 fixed, dt = 0.4, 0.2, 0.1 against dt = 0.025 (nonlinear Landau, T = 2)."""
    grid = Grid(Box.from_wavenumber(0.5, V_LANDAU), 64, 64)
    fields, rows = {}, []
    for dt in (0.4, 0.2, 0.1, 0.025):
        sim = cmm_sim(0.5, V_LANDAU, "landau", 0.5, n_map=16 if q else 32, n_sampling=64, det_tol=1e9,
                      filter_cutoff=16.0)
        for _ in range(round(2.0 / dt)):
            sim.advance(dt)
        fields[dt] = sim.sample(grid)[0]
    for dt in (0.4, 0.2, 0.1):
        rows.append({"dt": dt, "error_inf": float((fields[dt] - fields[0.025]).abs().max())})
    return {"rows": rows, "n_map": 16 if q else 32, "t_end": 2.0, "reference_dt": 0.025}


REFINED_DT, REFINED_DET_TOL = 6.4, 1e-3


def _drift_row(n_map: int, dt: float, det_tol: float, t_end: float, n_sampling: int) -> dict:
    """Largest mass drift and final energy/L2 drifts of one Landau (eps = 0.05) CMM run to ``t_end``."""
    sim = cmm_sim(0.5, V_LANDAU, "landau", 0.05, n_map=n_map, n_sampling=n_sampling, det_tol=det_tol)
    h = history(sim, t_end, dt)
    return {"n_map": n_map, "dt": dt, "max_mass_drift": max(h["mass_drift"]),
            "final_energy_drift": h["energy_drift"][-1], "final_l2_drift": h["l2_drift"][-1],
            "n_maps": h["n_maps"], "seconds": h["seconds"]}


def mass(q: bool) -> dict:
    """Largest relative mass drift over t in [0, T] (Landau, eps = 0.05): against the map grid at dt 0.1 and
    det_tol 1e-2 (``rows``), and with the map grid and dt = 6.4 / n_map refined together at det_tol 1e-3
    (``refined_rows``): at a fixed dt the third-order time error of the maps bounds the drift."""
    t_end, ns = (3.0, 64) if q else (10.0, 128)
    rows = [_drift_row(n, 0.1, 1e-2, t_end, ns) for n in ([16, 32] if q else [16, 32, 64, 128])]
    refined = [_drift_row(n, REFINED_DT / n, REFINED_DET_TOL, t_end, ns)  # map grid and dt together, as in ``eoc``
               for n in ([16, 32] if q else [32, 64, 128, 256])]
    free = history(cmm_sim(0.5, V_LANDAU, "landau", 0.05, n_map=32, n_sampling=ns,
                           self_consistent=False), t_end, 0.1)
    return {"rows": rows, "refined_rows": refined, "refined_det_tol": REFINED_DET_TOL,
            "free_streaming_max_mass_drift": max(free["mass_drift"]), "t_end": t_end}


def recurrence(q: bool) -> dict:
    """Spectral solver on a 32 x 32 grid (dv = 8 pi / 32: T_R = 2 pi / (k dv) = 16) against CMM with a 32^2 map
    grid (the same dv) and a 128^2 sampling grid: free streaming (density mode) and weak Landau (|E_1|)."""
    t_end = 20.0 if q else 40.0
    runs = {}
    for sc in (False, True):
        tag = "landau" if sc else "free"
        runs[f"spectral_{tag}"] = history(sl_sim(0.5, V_LANDAU, "landau", 0.01, 32, 32, sc), t_end, 0.1)
        runs[f"cmm_{tag}"] = history(cmm_sim(0.5, V_LANDAU, "landau", 0.01, n_map=32, n_sampling=128,
                                             det_tol=1e-4, self_consistent=sc), t_end, 0.1)
    return {"runs": runs, "t_recurrence": 2 * math.pi / (0.5 * 2 * V_LANDAU / 32), "t_end": t_end}


def nonlinear(q: bool) -> dict:
    """Nonlinear Landau, eps = 0.5: |E_1|(t), damping and regrowth fits of CMM (256^2 sampling: the harmonics'
    filaments alias on 128^2 from t ~ 15) and of the spectral solver (64 x 512), phase space at the end."""
    t_end = 10.0 if q else 40.0
    sim = cmm_sim(0.5, V_LANDAU, "landau", 0.5, n_map=32, n_sampling=64 if q else 256)
    h = history(sim, t_end, 0.2)
    ref = history(sl_sim(0.5, V_LANDAU, "landau", 0.5, 64, 64 if q else 512), t_end, 0.05)
    for run in (h, ref):
        t, e1 = np.array(run["t"]), np.array(run["e1_abs"])
        run["fits"] = {"damping": _peak_fit(t, e1, 0.0, min(15.0, t_end))}
        if not q:
            run["fits"]["regrowth"] = _peak_fit(t, e1, 20.0, 40.0)
    grid = Grid(sim.box, 512, 512)
    phase_space_plot(RESULTS / "nonlinear_landau_phase_space.png", sim.sample(grid)[0].numpy(), sim.box.lx,
                     sim.box.v_max, f"nonlinear Landau, eps = 0.5, CMM n_map = 32, t = {sim.t:g}")
    return {"run": h, "spectral": ref, "t_end": t_end, "setup": "CMM n_map 32, n_sampling 256, dt 0.2; "
                                                                  "spectral 64 x 512, dt 0.05"}


def _peak_fit(t, e1, lo, hi) -> dict:
    """Line through log of the local maxima of |E_1| on [lo, hi] (the literature's way for nonlinear Landau)."""
    keep = (t >= lo) & (t <= hi)
    tt, yy = t[keep], e1[keep]
    peaks = [i for i in range(1, len(yy) - 1) if yy[i] >= yy[i - 1] and yy[i] > yy[i + 1]]
    slope = np.polyfit(tt[peaks], np.log(yy[peaks]), 1)[0] if len(peaks) >= 2 else float("nan")
    return {"rate": float(slope), "peaks": len(peaks), "t_min": lo, "t_max": hi}


EXPERIMENTS = {"landau": landau, "two_stream": two_stream, "eoc": eoc, "eoc_small_dt": eoc_small_dt, "eoc_time": eoc_time,
               "mass": mass,
               "recurrence": recurrence, "nonlinear": nonlinear}
RESULTS = HERE / "results"


def main() -> None:
    global RESULTS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("experiments", nargs="*", help=f"any of {', '.join(EXPERIMENTS)} (default: all)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args()
    RESULTS = args.results
    unknown = [e for e in args.experiments if e not in EXPERIMENTS]
    if unknown:
        ap.error(f"unknown experiment {unknown[0]!r}; choose from {', '.join(EXPERIMENTS)}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    for name in args.experiments or list(EXPERIMENTS):
        t0 = time.perf_counter()
        data = EXPERIMENTS[name](args.quick)
        data.update(command=f"{COMMAND} {name}" + (" --quick" if args.quick else ""), machine=machine(),
                    threads=1, wall_s=time.perf_counter() - t0, quick=args.quick)
        dump(RESULTS / f"{name}.json", data)
        print(f"{name}: {data['wall_s']:.1f} s", flush=True)


if __name__ == "__main__":
    main()
