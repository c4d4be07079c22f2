"""Scenario 1 of Yang, Chen & Chen (arXiv:2302.01861): uniform-block estimator vs reference estimators,
plus the estimator's run time against Ledoit-Wolf at p = 2000, n = 1000. Writes the raw per-replication errors
to ``benchmarks/covariance/results/scenario1.json``; ``report.py`` writes the BENCHMARKS.md section from it.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/covariance/scenario1.py --reps 300 --glasso-reps 20
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import machine  # noqa: E402

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

RESULTS = Path(__file__).resolve().parent / "results"


def accuracy(reps: int, glasso_reps: int, n: int = 50, block: int = 30, seed: int = 2021) -> dict:
    """Per-replication Frobenius errors of every estimator; the graphical lasso's accepted and refused penalties."""
    sigma = scenario1(block)
    labels = labels_from_sizes(sigma.sizes)
    dense, omega = sigma.dense(), ub_inverse(sigma)
    omega_dense = omega.dense()
    rng = np.random.default_rng(seed)
    err: dict[str, list[float]] = {k: [] for k in ("ub_cov", "ub_prec_plugin", "ub_prec_corrected", "sample_cov",
                                                    "lw_cov", "lw_prec", "oas_cov", "glasso_cov", "glasso_prec")}
    glasso: list[dict] = []
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
            refused = []
            for alpha in GLASSO_ALPHAS:
                try:
                    cov, prec = graphical_lasso(X, alpha=alpha, max_iter=100, standardize=True)
                except FloatingPointError:
                    refused.append(alpha)
                    continue
                err["glasso_cov"].append(fro(cov - dense))
                err["glasso_prec"].append(fro(prec - omega_dense))
                glasso.append({"replication": r, "alpha": alpha, "refused": refused})
                break
            else:
                glasso.append({"replication": r, "alpha": None, "refused": refused})
    return {"errors": {k: [float(x) for x in v] for k, v in err.items()}, "glasso": glasso}


GLASSO_ALPHAS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def timing(p: int = 2000, n: int = 1000, K: int = 20, repeats: int = 3, seed: int = 0) -> dict[str, list[float]]:
    """Seconds of each repeat: uniform-block estimate + bias-corrected precision (``ub``) and Ledoit-Wolf (``lw``)."""
    rng = np.random.default_rng(seed)
    b = 0.3 * np.eye(K) + 0.1
    sigma = UBMatrix(a=np.full(K, 1.0), b=b, sizes=np.full(K, p // K))
    labels = labels_from_sizes(sigma.sizes)
    X = sample_gaussian(sigma, n, rng)
    secs: dict[str, list[float]] = {"ub": [], "lw": []}
    for _ in range(repeats):
        t0 = time.perf_counter()
        corrected_precision(ub_estimate(X, labels), n - 1)
        secs["ub"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ledoit_wolf(X)
        secs["lw"].append(time.perf_counter() - t0)
    return secs


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=300)
    ap.add_argument("--glasso-reps", type=int, default=20)
    ap.add_argument("--timing-p", type=int, default=2000, help="features of the timing problem (n = p / 2)")
    ap.add_argument("--quick", action="store_true", help="20 replications, 3 graphical lasso, p = 400 timing")
    ap.add_argument("--results", type=Path, default=RESULTS, help="folder of the raw results")
    args = ap.parse_args(argv)
    if args.quick:
        args.reps, args.glasso_reps, args.timing_p = 20, 3, 400
    t0 = time.perf_counter()
    acc = accuracy(args.reps, args.glasso_reps)
    acc_s = time.perf_counter() - t0
    p = args.timing_p
    t = timing(p=p, n=p // 2)
    argv_text = " ".join(sys.argv[1:] if argv is None else argv)
    out = {"command": f"OMP_NUM_THREADS=1 python benchmarks/covariance/scenario1.py {argv_text}".strip(),
           "reps": args.reps, "glasso_reps": args.glasso_reps, "n": 50, "block": 30, "seed": 2021,
           "glasso_alphas": list(GLASSO_ALPHAS), "accuracy_s": acc_s, **acc,
           "timing": {"p": p, "n": p // 2, "K": 20, **t}, "machine": machine()}
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "scenario1.json").write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.results / 'scenario1.json'} ({acc_s:.0f} s accuracy loop)")


if __name__ == "__main__":
    main()
