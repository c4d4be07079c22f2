"""Writes the ``covariance`` section of BENCHMARKS.md from ``benchmarks/covariance/results/scenario1.json``
(written by ``scenario1.py``); every number and comparison is computed here from the per-replication errors.

    python benchmarks/covariance/report.py [--results DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from common import report_main  # noqa: E402
from stats import paired  # noqa: E402

SECTIONS = ("covariance",)
QUICK = ("scenario1.py --quick",)
RESULTS = HERE / "results"
ROWS = [("uniform-block covariance", "ub_cov", "covariance"), ("sample covariance", "sample_cov", None),
        ("Ledoit-Wolf covariance", "lw_cov", None), ("OAS covariance", "oas_cov", None),
        ("graphical lasso covariance", "glasso_cov", None),
        ("uniform-block precision, plug-in", "ub_prec_plugin", "precision"),
        ("uniform-block precision, bias-corrected", "ub_prec_corrected", None),
        ("Ledoit-Wolf inverse", "lw_prec", None), ("graphical lasso precision", "glasso_prec", "glasso_precision")]
PAIRS = [("ub_cov", "sample_cov"), ("ub_cov", "lw_cov"), ("ub_cov", "oas_cov"), ("ub_prec_corrected", "lw_prec"),
         ("ub_prec_corrected", "ub_prec_plugin")]


def render(d: dict) -> str:
    from molgdl_covariance import PAPER_N50_P150 as paper

    err = {k: np.asarray(v) for k, v in d["errors"].items()}
    names = {key: name for name, key, _ in ROWS}
    accepted = [g["alpha"] for g in d["glasso"] if g["alpha"] is not None]
    refused = sorted({a for g in d["glasso"] for a in g["refused"]})
    alpha_note = (f"alpha {min(accepted):.1f}-{max(accepted):.1f}, median {float(np.median(accepted)):.1f}"
                  if accepted else "no alpha accepted")
    lines = ["## Covariance: uniform-block estimator, Scenario 1 (arXiv:2302.01861)", "",
             f"Command: `{d['command']}`; raw results (every replication's error): "
             "`benchmarks/covariance/results/scenario1.json`.", "",
             f"Machine: {d['machine']}, 1 BLAS thread. Scenario 1: K = 5 communities of {d['block']} features "
             f"(p = {5 * d['block']}), n = {d['n']} Gaussian samples, the authors' A and B; seed {d['seed']} (numpy "
             "stream, not R's). Frobenius error of each estimate, mean (sample sd) over replications.", "",
             "| estimator | mean Frobenius error (sd) | replications | paper (1000 reps) |", "|---|---|---|---|"]
    for name, key, ref in ROWS:
        v = err[key]
        shown = f"{name} ({alpha_note})" if key.startswith("glasso") else name
        paper_cell = ""
        if ref:
            paper_cell = f"{paper[ref]}" + (f" ({paper[ref + '_se']})" if ref + "_se" in paper else "")
        lines.append(f"| {shown} | {v.mean():.2f} ({v.std(ddof=1):.2f}) | {len(v)} | {paper_cell} |")
    lines += ["", "Paired by replication (every estimator sees the same samples; 'lower' = smaller error):", ""]
    for a, b in PAIRS:
        lines.append(f"- {names[a]} - {names[b]}: " + paired(err[a], err[b]) + ".")
    rel = abs(err["ub_cov"].mean() - paper["covariance"]) / paper["covariance"]
    lines += ["", f"Against the paper: uniform-block covariance error {100 * rel:.1f} % from its "
              f"{paper['covariance']}; plug-in precision error {err['ub_prec_plugin'].mean():.2f} against its "
              f"{paper['precision']}.", "",
              f"Graphical lasso (scikit-learn, correlation scale, then rescaled; first {d['glasso_reps']} "
              f"replications): each replication uses the smallest penalty of {d['glasso_alphas']} that the solver "
              f"accepts; it refused {refused} in at least one replication and accepted {alpha_note} "
              f"({sum(g['alpha'] is None for g in d['glasso'])} of {len(d['glasso'])} replications accepted none).",
              ""]
    t = d["timing"]
    ub, lw = min(t["ub"]), min(t["lw"])
    lines.append(f"Time, p = {t['p']}, n = {t['n']}, K = {t['K']} (best of {len(t['ub'])}): uniform-block estimate "
                 f"+ bias-corrected precision {ub * 1e3:.1f} ms vs scikit-learn Ledoit-Wolf {lw * 1e3:.1f} ms: "
                 f"ratio {ub / lw:.4f}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return report_main(__doc__, RESULTS, "covariance",
                       lambda results: render(json.loads((results / "scenario1.json").read_text())), argv)


if __name__ == "__main__":
    sys.exit(main())
