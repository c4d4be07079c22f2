"""Writes the ``qlangevin`` section of BENCHMARKS.md from ``benchmarks/qlangevin/results/`` (``nonconvex.json``
from ``nonconvex.py``, ``step_time.json`` from ``step_time.py``); every number and verdict is computed here.

    python benchmarks/qlangevin/report.py [--results DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from common import report_main  # noqa: E402
from stats import ALPHA, below_threshold, fmt_p, mcnemar  # noqa: E402

SECTIONS = ("qlangevin",)
QUICK = ("nonconvex.py --quick", "step_time.py --quick")
RESULTS = HERE / "results"
TARGET = 1.3  # step time ratio the issue asks for


def nonconvex_lines(res: dict) -> list[str]:
    rows = res["rows"]
    lines = [
        "### (a) Non-convex test: 2D tilted double well",
        "",
        f"Command: `{res['command']}` ({res['cpu_s']:.0f} s CPU); raw results (the basin every start ended in): "
        "`benchmarks/qlangevin/results/nonconvex.json`.",
        "",
        f"`f(x) = {res['function']}`; success = final iterate in the global basin (both coordinates below the saddle "
        f"at {res['saddle']}). {res['starts']} starts uniform in [-2, 2]^2, the same for every optimizer, "
        f"{res['steps']} steps ({res['steps_per_epoch']} steps = one schedule epoch). Gradients exact (sigma = 0) or "
        "with N(0, sigma^2) noise per coordinate, the same noise sequence for every optimizer. SGD-family lr "
        f"{res['lr']['sgd']}, Adam-family lr {res['lr']['adam']}. QSGD/QAdam lattice eta * {res['lattice_base']}^h, "
        f"h = floor({res['rate']} t): the spacing 1/eta is divided by {res['lattice_base']} every "
        f"{1 / res['rate']:g} epochs, {res['halvings']} times over the run. SGLD-matched: Gaussian noise of the "
        "rounding noise's variance Delta(t)^2/12 on the same schedule. Verdict: exact McNemar test on the paired "
        f"starts at {100 * ALPHA:g} % against the unquantized base optimizer (SGLD: against SGD).",
        "",
        "| sigma | optimizer | eta | T start -> end | success ± SE | frozen_frac (mean over epochs) | only this / only "
        "base succeeded | vs base |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        base_name = "adam" if "adam" in r["optimizer"] else "sgd"
        base = next(b for b in rows if b["optimizer"] == base_name and b["sigma"] == r["sigma"])
        if r is base:
            discord, vs = "—", "—"
        else:
            only_r, only_b, p = mcnemar([int(c) for c in r["success_per_start"]],
                                        [int(c) for c in base["success_per_start"]])
            discord = f"{only_r} / {only_b}"
            vs = (f"{'higher' if only_r > only_b else 'lower'} (p = {fmt_p(p)})" if p < ALPHA
                  else f"no difference (p = {fmt_p(p)})")
        temp = f"{r['T_start']:.2g} -> {r['T_end']:.1g}" if "T_start" in r else "—"
        frozen = f"{r['frozen_frac_mean']:.3f}" if "frozen_frac_mean" in r else "—"
        lines.append(f"| {r['sigma']:g} | {r['optimizer']} | {r['eta'] if r['eta'] else '—'} | {temp} | "
                     f"{r['success']:.3f} ± {r['se']:.3f} | {frozen} | {discord} | {vs} |")
    return lines + [""]


def step_time_lines(res: dict) -> list[str]:
    b = res["batches_per_epoch"]
    mid = b // 2  # the default diagnostics step: the middle batch of every epoch
    lines = [
        f"### (c) Optimizer step time vs the base optimizer, mean over {b}-batch epochs",
        "",
        f"Command: `{res['command']}`; raw results (per repeat and per batch position): "
        "`benchmarks/qlangevin/results/step_time.json`.",
        "",
        f"{res['rows'][0]['params']:,}-parameter MLP, float32, fixed random gradients, torch {res['torch']}, "
        f"{res['threads']} thread; only `optimizer.step()` is timed ({res['clock']}), base and quantized steps "
        f"alternating. An epoch has ESOL's {b} batches, so it contains the once-per-epoch diagnostics step of the "
        f"defaults (batch {mid}); each of {res['repeats']} repeats runs {res['epochs']} epochs and gives one ratio of "
        f"mean step times. Verdict against {TARGET}x: one-sided t tests of the per-repeat ratios.",
        "",
        "| variant | base | base ms (mean) | quantized ms (mean) | ratio of means ± std over repeats | "
        f"diagnostics step (batch {mid}) / base | vs {TARGET}x |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in res["rows"]:
        ratios = np.asarray(r["quant_ms"]) / np.asarray(r["base_ms"])
        base_ms = float(np.mean(r["base_ms"]))
        diag = r["quant_ms_by_batch"][mid] / base_ms
        lines.append(f"| {r['variant']} | {r['base']} | {base_ms:.2f} | {np.mean(r['quant_ms']):.2f} | "
                     f"{ratios.mean():.2f} ± {ratios.std(ddof=1) if len(ratios) > 1 else 0.0:.2f} | {diag:.1f} | "
                     f"{below_threshold(ratios, TARGET)} |")
    defaults = [r for r in res["rows"] if r["variant"].split(" ")[1] == "default"]
    lines += ["", "Defaults: " + "; ".join(
        f"{r['variant'].split(' ')[0]} {np.mean(np.asarray(r['quant_ms']) / np.asarray(r['base_ms'])):.2f}x "
        f"{r['base']}" for r in defaults) + "."]
    return lines + [""]


def render(results: Path) -> str:
    lines = ["## Quantized-Langevin optimizers (molgdl-qlangevin)", "",
             "Scripts in `benchmarks/qlangevin/`; raw results in `benchmarks/qlangevin/results/`; this section: "
             "`python benchmarks/qlangevin/report.py`. The ESOL and Lipophilicity accuracy comparison (b) is "
             "withdrawn (see the end of this file).", ""]
    for name, fn in (("nonconvex", nonconvex_lines), ("step_time", step_time_lines)):
        path = results / f"{name}.json"
        if path.exists():
            lines += fn(json.loads(path.read_text()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return report_main(__doc__, RESULTS, "qlangevin", render, argv)


if __name__ == "__main__":
    sys.exit(main())
