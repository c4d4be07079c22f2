"""benchmarks/uncertainty/report.py on fabricated per-molecule records with known calibration: a calibrated,
informative molgdl arm and a miscalibrated, uninformative chemprop arm (the benchmark itself never runs here)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

REPORT = Path(__file__).resolve().parents[2] / "benchmarks" / "uncertainty" / "report.py"


@pytest.fixture(scope="module")
def report():
    spec = importlib.util.spec_from_file_location("uncertainty_report_under_test", REPORT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop("uncertainty_report_under_test", None)


def _part(rng, n, sigma, reported, **extra):
    y = sigma * rng.normal(size=n)
    return {"smiles": ["C"] * n, "y": y.tolist(), "mu": np.zeros(n).tolist(), "sigma": reported(sigma).tolist(),
            **extra}


def _record(rng, name: str, n: int = 3000) -> dict:
    sv, st = rng.uniform(0.2, 2.0, n), rng.uniform(0.2, 2.0, n)
    good = lambda s: s  # noqa: E731  calibrated and informative
    flat = lambda s: rng.uniform(2.5, 3.5, len(s))  # noqa: E731  uninformative and too wide
    arms = {}
    for arm in ("ensemble", "langevin"):
        arms[f"molgdl:{arm}"] = {"source": "molgdl", "train_seconds": 10.0 if arm == "ensemble" else 12.0,
                                 "val": _part(rng, n, sv, good), "test": _part(rng, n, st, good)}
    test = _part(rng, n, st, flat)
    test["chemprop_zscaling_sigma"] = (np.full(n, 3.0) * 0.4).tolist()
    test["chemprop_conformal_half"] = np.full(n, 2.0).tolist()
    arms["chemprop:ensemble"] = {"source": "chemprop", "train_seconds": 9.0, "val": _part(rng, n, sv, flat),
                                 "test": test}
    return {"set": name, "split": "random", "seed": 0, "quick": False, "machine": "x86_64, 2 cores",
            "settings": {"epochs": 50, "members": 5, "hidden": 300, "passes": 20, "snapshots": 10},
            "command": "python benchmarks/uncertainty/run.py", "arms": arms}


def test_report_computes_coverage_and_verdicts_from_the_records(report, tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    results = tmp_path / "results"
    results.mkdir()
    for name in ("setA", "setB"):
        (results / f"{name}__random__s0.json").write_text(json.dumps(_record(rng, name)))
    out = tmp_path / "B.md"
    monkeypatch.setenv("MOLGDL_BENCHMARKS_MD", str(out))
    assert report.main(["--results", str(results)]) == 0  # 2 of the benchmark's 14 cells: a partial benchmark
    text = out.read_text()
    assert "**Partial benchmark**: 0 of the 14 set x split cells measured" in text
    assert ("every random-split set: **holds on the 2 measured random-split cell(s) only, not a verdict (partial "
            "benchmark)**") in text
    monkeypatch.setattr(report, "planned_cells", lambda: [("setA", "random"), ("setB", "random")])
    assert report.main(["--results", str(results)]) == 0  # every planned cell measured: verdicts
    text = out.read_text()
    assert "Partial benchmark" not in text
    assert "<!-- uncertainty:start -->" in text and "Quick-mode" not in text
    row = next(line for line in text.splitlines() if line.startswith("| setA | random |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    # calibrated arms: conformal coverage near 90% (3000 test molecules: SE 0.5 points)
    assert abs(float(cells[3]) - 90) < 2.5 and abs(float(cells[4]) - 90) < 2.5
    # chemprop's own conformal half interval of 2 for y ~ N(0, s^2), s ~ U(0.2, 2): P(|y| <= 2) closed form
    from scipy import stats

    s = np.linspace(0.2, 2.0, 20001)
    expected = 100 * np.mean(2 * stats.norm.cdf(2 / s) - 1)
    assert float(cells[5]) == pytest.approx(expected, abs=1.5)
    assert "Conformal 90% intervals cover 88-92% of test molecules on every random-split set: **holds**" in text
    assert "molgdl's best estimator beats chemprop's best (random splits, mean over sets): **holds**" in text
    assert "measured training time Langevin / ensemble: 1.20" in text


def test_the_report_names_the_arms_kept_of_an_unfinished_cell(report, tmp_path):
    cell = tmp_path / "partial" / "lipo__scaffold__s0"
    cell.mkdir(parents=True)
    for arm in ("molgdl_ensemble", "molgdl_mve"):
        (cell / f"{arm}.json").write_text("{}")
    (cell / "split.csv").write_text("smiles,split,y\n")
    kept = report.arms_in_progress(tmp_path)
    assert kept == {("lipo", "scaffold"): ["molgdl_ensemble", "molgdl_mve"]}


def test_conformal_coverage_test_holds_its_level_where_a_binomial_test_does_not(report):
    """Split conformal on exchangeable data (60 calibration and 80 test points per draw, 2,000 draws): the test
    under conformal's own beta-binomial law rejects at about its 5 % level, while a plain binomial test against
    0.90, which forgets the calibration set's noise, rejects far more often."""
    from scipy.stats import binomtest

    rng = np.random.default_rng(0)
    n_cal, m, draws = 60, 80, 2000
    k = int(np.ceil((n_cal + 1) * 0.9))
    ours = binom = 0
    for _ in range(draws):
        scores = np.abs(rng.normal(size=n_cal + m))
        q = np.sort(scores[:n_cal])[k - 1]
        covered = int(np.sum(scores[n_cal:] <= q))
        ours += report.conformal_coverage_pvalue(covered, m, n_cal) < 0.05
        binom += binomtest(covered, m, 0.9).pvalue < 0.05
    assert ours / draws < 0.065  # at or below the level (a discrete law: conservative)
    assert binom / draws > 0.12
    # the law's mean is k / (n + 1), the familiar lower bound 1 - alpha plus at most 1 / (n + 1)
    a, b = report.split_conformal_coverage(n_cal)
    assert a / (a + b) == pytest.approx(k / (n_cal + 1)) and 0.9 <= a / (a + b) <= 0.9 + 1 / (n_cal + 1)


def test_the_pooled_coverage_test_brackets_estimators_that_share_their_molecules(report):
    """Two sets, two estimators with the same covered count on each set (as fully correlated estimators would
    give): counted as four independent cells the shortfall looks twice as sure as it is, counted once per set it
    is the plain test of two independent counts."""
    from scipy.stats import betabinom, norm

    n_test, n_val = {"A": 200, "B": 200}, {"A": 199, "B": 199}
    law = betabinom(200, *report.split_conformal_coverage(199))
    covered = round(law.mean() - 1.5 * law.std())  # the same shortfall on both sets and both estimators
    table = {k: {a: {"conformal": {"unc_coverage": covered / 200}} for a in ("x", "y")} for k in n_test}
    text = report.coverage_consistency(table, ["A", "B"], n_test, n_val, ["x", "y"])
    z = 2 * (covered - law.mean()) / np.sqrt(2 * law.var())  # two independent sets
    p_sets = 2 * norm.sf(abs(z))
    p_cells = 2 * norm.sf(abs(z) * np.sqrt(2))  # four "independent" cells: sqrt(2) times the z
    assert f"p = {p_cells:.2g} with the cells taken as independent" in text
    assert f"p = {p_sets:.2g} with each of the 2 sets counted once" in text
    assert p_cells < p_sets


def test_band_probability_matches_simulated_split_conformal(report):
    """The chance that split conformal (80 calibration, 100 test points) covers 88-92% of a test set, from its
    beta-binomial law, against 4,000 simulated draws on exchangeable scores; more test and calibration points
    narrow the spread and raise it."""
    rng = np.random.default_rng(1)
    n_cal, m, draws = 80, 100, 4000
    k = int(np.ceil((n_cal + 1) * 0.9))
    inside = 0
    for _ in range(draws):
        scores = rng.exponential(size=n_cal + m)
        q = np.sort(scores[:n_cal])[k - 1]
        inside += 0.88 <= np.mean(scores[n_cal:] <= q) <= 0.92
    p = report.band_probability(m, n_cal)
    assert abs(inside / draws - p) < 3 * np.sqrt(p * (1 - p) / draws)
    assert 0.2 < p < 0.6
    assert report.band_probability(20000, 20000) > 0.99
    text = report.band_sentence(["A", "B"], {"A": m, "B": m}, {"A": n_cal, "B": n_cal})
    assert f"all 2 at once with probability {p * p:.2g}" in text


def test_paired_spread_counts_sets_and_gives_the_exact_signed_rank_p(report):
    """Six sets as replicates. All six differences favour ours: the exact two-sided signed-rank p is 2 / 2^6.
    The smallest difference flipped: the rank sum against us is 1, p = 2 * 2 / 2^6. Spearman (higher is better)."""
    keys = [(f"s{i}", "random", 0) for i in range(6)]
    gains = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06]

    def table(signs):
        return {k: {"ours": {"zscaling": {"unc_spearman": 0.3 + s * g}},
                    "theirs": {"chemprop_zscaling": {"unc_spearman": 0.3}}} for k, g, s in zip(keys, gains, signs)}

    text, p = report.paired_spread(table([1] * 6), keys, ("ours", "zscaling"), ("theirs", "chemprop_zscaling"),
                                   "unc_spearman", 1)
    assert p == pytest.approx(2 / 64)
    assert text.startswith(f"per set higher on 6 of 6, difference +0.035 +/- {np.std(gains, ddof=1):.3f}")
    _, p = report.paired_spread(table([-1] + [1] * 5), keys, ("ours", "zscaling"), ("theirs", "chemprop_zscaling"),
                                "unc_spearman", 1)
    assert p == pytest.approx(4 / 64)


def test_langevin_section_states_which_differences_the_cells_show(report):
    """Six cells where the Langevin chain has the lower NLL on every one and the other metrics flip sign: only the
    NLL difference is shown (exact signed-rank p = 2 / 2^6)."""
    keys = [(f"s{i}", "random", 0) for i in range(6)]

    def arm(nll, other):
        return {"rmse": {"rmse": 0.8 + other}, "zscaling": {"unc_miscal_area": 0.05 + other,
                                                            "unc_spearman": 0.2 + other, "unc_nll": nll}}

    table = {k: {"molgdl:langevin": arm(1.0, 0.01 * (-1) ** i * (i + 1)),
                 "molgdl:ensemble": arm(1.1 + 0.01 * i, 0.0)} for i, k in enumerate(keys)}
    seconds = {k: {"molgdl:langevin": 10.0, "molgdl:ensemble": 10.0} for k in keys}
    text = "\n".join(report.langevin_section(table, keys, seconds))
    assert "nll (L - E): per set lower on 6 of 6" in text and "Wilcoxon p = 0.031" in text
    assert "a difference at 5 % (Wilcoxon over the cells) on nll, in the direction" in text
    assert "measured training time Langevin / ensemble: 1.00" in text
