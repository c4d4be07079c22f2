"""Write the ``qlangevin`` section of BENCHMARKS.md from ``.bench/qlangevin/results/*.json``.

    python benchmarks/qlangevin/report.py
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from common import machine, write_section  # noqa: E402

RESULTS = HERE.parents[1] / ".bench" / "qlangevin" / "results"


def load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def verdict_proportion(p1: float, p0: float, n: int) -> str:
    """Two-proportion z test at 5% (two-sided), higher success is better."""
    pool = (p1 + p0) / 2
    se = math.sqrt(max(pool * (1 - pool), 1e-12) * 2 / n)
    z = (p1 - p0) / se
    return "helps" if z > 1.96 else "loses" if z < -1.96 else "ties"


def verdict_rmse(a: list[float], b: list[float]) -> str:
    """Paired t test at 5% (two-sided) on per-seed test RMSE of a vs b (a seed fixes the split and the
    initialisation for every optimizer), lower is better."""
    from scipy import stats

    if len(a) < 2 or len(b) < 2:
        return "n/a (1 seed)"
    p = stats.ttest_rel(a, b).pvalue
    if p >= 0.05:
        return f"ties (p = {p:.2f})"
    return f"{'helps' if sum(a) / len(a) < sum(b) / len(b) else 'loses'} (p = {p:.3f})"


def nonconvex_section(res: dict) -> list[str]:
    lines = [
        "### (a) Non-convex test: 2D tilted double well, 200 random starts",
        "",
        f"`f(x) = {res['function']}`: four basins, global minimum at x_i = -1.036, the other well at +0.961,",
        "saddle at x_i = 0.075 (barrier out of the shallow well 0.73 per coordinate, out of the deep one 1.32).",
        f"{res['starts']} starts uniform in [-2, 2]^2, {res['steps']} steps ({res['steps_per_epoch']} steps = one",
        "schedule epoch); success = final iterate in the global basin (both coordinates below the saddle).",
        "Gradients are exact (sigma = 0) or carry N(0, sigma^2) noise per coordinate (sigma = 5, minibatch-like),",
        "the same noise sequence for every optimizer. SGD-family lr 0.02, Adam-family lr 0.05. QSGD/QAdam lattice",
        "eta * 2^floor(0.1 t): spacing 1/eta halved every 10 epochs (5 times). SGLD-matched: Gaussian noise with",
        "the rounding noise's variance Delta(t)^2/12 on the same schedule (same temperature 1/(24 lr Q^2)).",
        "Verdict: two-proportion z test at 5% against the unquantized base optimizer (SGLD: against SGD).",
        "",
        "| sigma | optimizer | eta | T start -> end | success ± SE | frozen_frac (mean over epochs) | vs base |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = res["rows"]
    for r in rows:
        base_name = "adam" if "adam" in r["optimizer"] else "sgd"
        base = next(b for b in rows if b["optimizer"] == base_name and b["sigma"] == r["sigma"])
        vs = "—" if r is base else verdict_proportion(r["success"], base["success"], res["starts"])
        temp = f"{r['T_start']:.2g} -> {r['T_end']:.1g}" if "T_start" in r else "—"
        frozen = f"{r['frozen_frac_mean']:.3f}" if "frozen_frac_mean" in r else "—"
        lines.append(f"| {r['sigma']:g} | {r['optimizer']} | {r['eta'] if r['eta'] else '—'} | {temp} | "
                     f"{r['success']:.3f} ± {r['se']:.3f} | {frozen} | {vs} |")
    lines += ["", f"Command: `OMP_NUM_THREADS=1 python benchmarks/qlangevin/nonconvex.py` ({res['cpu_s']:.0f} s CPU).", ""]
    return lines


def molnet_section(res: dict, title: str) -> list[str]:
    rows = res["rows"]
    lines = [
        f"### {title}: test RMSE, {len(res['seeds'])} seed(s) {res['seeds']}, {res['epochs']} epochs for every optimizer",
        "",
        "| optimizer | config | test RMSE mean ± std | val RMSE mean | logged frozen_frac / quant_err_rel (mean) | "
        "vs Adam | CPU s |",
        "|---|---|---|---|---|---|---|",
    ]
    adam = rows.get("adam")
    for opt, r in rows.items():
        vs = "—" if opt == "adam" or adam is None else verdict_rmse(r["test_rmse"], adam["test_rmse"])
        logged = (f"{r['logged_frozen_frac_mean']:.2f} / {r['logged_quant_err_rel_mean']:.3f}"
                  if "logged_frozen_frac_mean" in r else "—")
        std = f"{r['test_rmse_std']:.3f}" if len(res["seeds"]) > 1 else "(1 seed)"
        lines.append(f"| {opt} | `{r['spec']}` | {r['test_rmse_mean']:.3f} ± {std} | {r['val_rmse_mean']:.3f} | "
                     f"{logged} | {vs} | {r['cpu_s']:.0f} |")
    lines += ["", "Per-seed test RMSE: " + "; ".join(
        f"{opt} {', '.join(f'{v:.3f}' for v in r['test_rmse'])}" for opt, r in rows.items()), ""]
    cmd = next(iter(rows.values()))["command"]
    lines += [f"Each row is one `python {cmd.split(' --set optimizer=')[0]} --set optimizer=<config> ...` "
              "(full commands in the results JSON); verdict: paired t test at 5% on the per-seed test RMSE "
              "(a seed fixes split and initialisation for every optimizer).",
              "Mean paired difference vs Adam: " + "; ".join(
                  f"{opt} {sum(x - y for x, y in zip(r['test_rmse'], adam['test_rmse'])) / len(r['test_rmse']):+.4f}"
                  for opt, r in rows.items() if adam is not None and opt != "adam") + ".", ""]
    return lines


def step_time_section(res: dict) -> list[str]:
    lines = [
        "### (c) Optimizer step time vs the base optimizer (~1M-parameter MLP, 1 thread)",
        "",
        f"{res['rows'][0]['params']:,} parameters in 8 tensors, float32, fixed random gradients; only",
        "`optimizer.step()` is timed, as thread CPU time, base and quantized steps alternating, median of",
        f"{res['reps']} steps each. Target: <= 1.3x.",
        "",
        "| variant | base ms | quantized ms | ratio |",
        "|---|---|---|---|",
    ]
    for r in res["rows"]:
        lines.append(f"| {r['variant']} | {r['base_ms']:.2f} | {r['quant_ms']:.2f} | {r['ratio']:.2f} |")
    lines += ["", f"Command: `OMP_NUM_THREADS=1 python benchmarks/qlangevin/{res['command']}`.", ""]
    return lines


def main() -> None:
    prose = (HERE / "summary.md").read_text() if (HERE / "summary.md").exists() else ""
    lines = ["## Quantized-Langevin optimizers (molgdl-qlangevin)", "",
             f"Machine: {machine()}, shared with another benchmark running at the same time (timings are",
             "CPU-time medians for that reason). Scripts in `benchmarks/qlangevin/`, raw results in",
             "`.bench/qlangevin/results/*.json`, regenerated with `python benchmarks/qlangevin/report.py`.", ""]
    if prose:
        lines += [prose.rstrip(), ""]
    for name, fn in (("nonconvex", nonconvex_section),):
        if (res := load(name)) is not None:
            lines += fn(res)
    for name, title in (("esol", "(b) ESOL"), ("lipo", "(b) Lipophilicity")):
        if (res := load(name)) is not None:
            lines += molnet_section(res, title)
    if (res := load("step_time")) is not None:
        lines += step_time_section(res)
    write_section("qlangevin", "\n".join(lines))


if __name__ == "__main__":
    main()
