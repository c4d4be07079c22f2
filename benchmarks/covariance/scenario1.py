"""Scenario 1 of Yang, Chen & Chen (arXiv:2302.01861): uniform-block estimator vs reference estimators,
plus the estimator's run time against Ledoit-Wolf at p = 2000, n = 1000. Writes the `covariance` section of
BENCHMARKS.md.

    OMP_NUM_THREADS=1 nice -n 5 python benchmarks/covariance/scenario1.py --reps 300 --glasso-reps 20
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import write_section  # noqa: E402

from molgdl_covariance import (  # noqa: E402
    PAPER_N50_P150,
    UBMatrix,
    corrected_precision,
    graphical_lasso,
    labels_from_sizes,
    ledoit_wolf,
    oas,
    plugin_precision,
    sample_covariance,
    sample_gaussian,
    scenario1,
    ub_estimate,
    ub_frobenius,
    ub_inverse,
)


def accuracy(reps: int, glasso_reps: int, n: int = 50, block: int = 30, seed: int = 2021) -> dict[str, list[float]]:
    sigma = scenario1(block)
    labels = labels_from_sizes(sigma.sizes)
    dense, omega = sigma.dense(), ub_inverse(sigma)
    omega_dense = omega.dense()
    rng = np.random.default_rng(seed)
    err: dict[str, list[float]] = {k: [] for k in ("ub_cov", "ub_prec_plugin", "ub_prec_corrected", "sample_cov",
                                                    "lw_cov", "lw_prec", "oas_cov", "glasso_cov", "glasso_prec")}
    fro = np.linalg.norm
    for r in range(reps):
        X = sample_gaussian(sigma, n, rng)
        est = ub_estimate(X, labels)
        err["ub_cov"].append(ub_frobenius(est, sigma))
        err["ub_prec_plugin"].append(ub_frobenius(plugin_precision(est), omega))
        err["ub_prec_corrected"].append(ub_frobenius(corrected_precision(est, n - 1), omega))
        err["sample_cov"].append(fro(sample_covariance(X) - dense))
        lw = ledoit_wolf(X)
        err["lw_cov"].append(fro(lw - dense))
        err["lw_prec"].append(fro(np.linalg.inv(lw) - omega_dense))
        err["oas_cov"].append(fro(oas(X) - dense))
        if r < glasso_reps:
            # scikit-learn's solver on the correlation scale, with the smallest penalty of GLASSO_ALPHAS that it
            # accepts ("Non SPD result: the system is too ill-conditioned" below it)
            for alpha in GLASSO_ALPHAS:
                try:
                    cov, prec = graphical_lasso(X, alpha=alpha, max_iter=100, standardize=True)
                except FloatingPointError:
                    continue
                err["glasso_cov"].append(fro(cov - dense))
                err["glasso_prec"].append(fro(prec - omega_dense))
                err.setdefault("glasso_alpha", []).append(alpha)
                break
            else:
                err.setdefault("glasso_failed", []).append(1.0)
    return err


GLASSO_ALPHAS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def timing(p: int = 2000, n: int = 1000, K: int = 20, repeats: int = 3, seed: int = 0) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    b = 0.3 * np.eye(K) + 0.1
    sigma = UBMatrix(a=np.full(K, 1.0), b=b, sizes=np.full(K, p // K))
    labels = labels_from_sizes(sigma.sizes)
    X = sample_gaussian(sigma, n, rng)
    best = {"ub": np.inf, "lw": np.inf}
    for _ in range(repeats):
        t0 = time.perf_counter()
        corrected_precision(ub_estimate(X, labels), n - 1)
        best["ub"] = min(best["ub"], time.perf_counter() - t0)
        t0 = time.perf_counter()
        ledoit_wolf(X)
        best["lw"] = min(best["lw"], time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=300)
    ap.add_argument("--glasso-reps", type=int, default=20)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    t0 = time.perf_counter()
    err = accuracy(args.reps, args.glasso_reps)
    acc_s = time.perf_counter() - t0
    t = timing()
    failed = len(err.pop("glasso_failed", []))
    alphas = err.pop("glasso_alpha", [])
    alpha_note = (f"alpha {min(alphas):.1f}-{max(alphas):.1f}, median {float(np.median(alphas)):.1f}" if alphas
                  else "no alpha accepted")
    m = {k: (float(np.mean(v)), float(np.std(v, ddof=1)), len(v)) for k, v in err.items() if len(v) > 1}
    for k, (mean, sd, reps) in m.items():
        print(f"{k:20s} {mean:9.2f} (sd {sd:7.2f}, {reps} reps)")
    print(f"time p=2000 n=1000: uniform-block {t['ub']:.4f}s, Ledoit-Wolf {t['lw']:.4f}s, ratio {t['ub'] / t['lw']:.4f}")
    cov_ok = abs(m["ub_cov"][0] - PAPER_N50_P150["covariance"]) / PAPER_N50_P150["covariance"] <= 0.10
    prec_ok = m["ub_prec_plugin"][0] < 15
    print(f"checks: covariance within 10% of 130.1: {cov_ok}; plug-in precision error < 15: {prec_ok}")

    def row(name, key, paper=""):
        if key not in m:
            return f"| {name} | failed in all {args.glasso_reps} tries (sklearn: non-SPD, ill-conditioned) | 0 | {paper} |"
        mean, sd, reps = m[key]
        return f"| {name} | {mean:.2f} ({sd:.2f}) | {reps} | {paper} |"

    body = "\n".join([
        "## Covariance: uniform-block estimator, Scenario 1 (arXiv:2302.01861)", "",
        "Command: `OMP_NUM_THREADS=1 nice -n 5 python benchmarks/covariance/scenario1.py "
        f"--reps {args.reps} --glasso-reps {args.glasso_reps}`", "",
        "Hardware: 2-core CPU shared with other jobs, 1 BLAS thread. Scenario 1: K = 5 communities of 30 features "
        "(p = 150), n = 50 Gaussian samples, the authors' A and B; seed 2021 (numpy stream, not R's).", "",
        "| estimator | mean Frobenius error (sd) | replications | paper (1000 reps) |", "|---|---|---|---|",
        row("uniform-block covariance", "ub_cov", "130.1 (39.6)"),
        row("sample covariance", "sample_cov"),
        row("Ledoit-Wolf covariance", "lw_cov"),
        row("OAS covariance", "oas_cov"),
        row(f"graphical lasso covariance ({alpha_note})", "glasso_cov"),
        row("uniform-block precision, plug-in", "ub_prec_plugin", "11.13 (7.09)"),
        row("uniform-block precision, bias-corrected", "ub_prec_corrected"),
        row("Ledoit-Wolf inverse", "lw_prec"),
        row(f"graphical lasso precision ({alpha_note})", "glasso_prec", "351.6 (CovTools glasso)"),
        "",
        f"Checks: covariance error within 10% of the paper's 130.1: **{cov_ok}**; plug-in precision error "
        f"below 15: **{prec_ok}**. Accuracy loop: {acc_s:.0f} s. scikit-learn's graphical lasso (correlation "
        f"scale, then rescaled) refuses penalties below about 0.6 on these data (non-SPD, too ill-conditioned: "
        f"a_11 = 0.016 against block variances near 7), so each replication uses the smallest alpha of "
        f"{GLASSO_ALPHAS[0]}..{GLASSO_ALPHAS[-1]} it accepts ({alpha_note}); no alpha worked in {failed} of "
        f"{args.glasso_reps}. At such penalties it is close to a diagonal estimate, hence the large precision error, "
        f"as in the paper's CovTools numbers.", "",
        f"Time, p = 2000, n = 1000, K = 20 (best of 3): uniform-block estimate + bias-corrected precision "
        f"{t['ub'] * 1e3:.1f} ms vs scikit-learn Ledoit-Wolf {t['lw'] * 1e3:.1f} ms: ratio "
        f"**{t['ub'] / t['lw']:.3f}** (the block estimator needs O(npK) work and never forms the p x p matrix).",
        "",
        "Reading: every reasonable covariance estimator lands near 130 here (the error is dominated by the few large "
        "block-level eigenvalues); the structure pays off in the precision matrix.",
    ])
    if not args.no_write:
        write_section("covariance", body)


if __name__ == "__main__":
    main()
