"""benchmarks/assay/report.py on a fabricated records folder: table cells, means, wins and paired verdicts
checked against values worked out by hand (the benchmark itself is never run here)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

REPORT = Path(__file__).resolve().parents[2] / "benchmarks" / "assay" / "report.py"


@pytest.fixture(scope="module")
def report():
    spec = importlib.util.spec_from_file_location("assay_report_under_test", REPORT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop("assay_report_under_test", None)


def _write(root: Path, arm: str, name: str, seed: int, test: float, cliff: float, det: bool = False, **extra):
    rec = {"arm": arm, "set": name, "seed": seed, "test_rmse": test, "cliff_rmse": cliff, "n_train": 90,
           "n_test": 25 if name == "SET_A" else 40, "n_test_cliff": 7, "wall_s": 1.5, "command": "x",
           "versions": {}, "commit": "abc1234", "machine": "x86_64, 2 cores", "deterministic": det, **extra}
    p = root / arm / f"{name}__s{seed}.json"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(rec))


@pytest.fixture
def results(tmp_path: Path) -> Path:
    root = tmp_path / "results"
    # svr: deterministic, one record per set
    _write(root, "svr_tanimoto", "SET_A", 0, 0.650, 0.800, det=True)
    _write(root, "svr_tanimoto", "SET_B", 0, 0.500, 0.600, det=True)
    # rf: 5 seeds; on SET_A clearly below the SVR, on SET_B scattered around it
    for seed, (a, b) in enumerate(zip([0.50, 0.60, 0.70, 0.55, 0.65], [0.45, 0.55, 0.50, 0.52, 0.48])):
        _write(root, "rf", "SET_A", seed, a - 0.1, 0.7, search={"grid": [{"max_features": 32}], "folds": 5},
               params={"max_features": 32})
        _write(root, "rf", "SET_B", seed, b, 0.6 + 0.01 * seed, params={"max_features": 64},
               search={"grid": [{"max_features": 32}], "folds": 5})
    # chemprop: 3 seeds on SET_A only
    for seed, v in enumerate([0.9, 1.0, 1.1]):
        _write(root, "chemprop", "SET_A", seed, v, v + 0.1, n_val=10)
    return root


def test_cells_means_and_wins(report, results):
    text = report.render(results)
    # rf on SET_A: 0.40 0.50 0.60 0.45 0.55 -> mean 0.500, sample std sqrt(0.025/4) = 0.079
    assert "| SET_A | 90 / 25 (7) | 0.650 (det.) | 0.500 ± 0.079 (5) | 1.000 ± 0.100 (3) |" in text
    # rf on SET_B: mean 0.500, std sqrt(0.0058/4) = 0.038
    assert "| SET_B | 90 / 40 (7) | 0.500 (det.) | 0.500 ± 0.038 (5) | – |" in text
    # means over the 2 sets: svr (0.650 + 0.500) / 2 = 0.575, rf 0.500; chemprop ran on one set only
    assert "| **mean over the 2 sets** | | **0.575** | **0.500** | (1 set) |" in text
    # over SET_A, the one set every arm ran
    assert "| mean over the 1 set every arm ran | | 0.650 | 0.500 | 1.000 |" in text
    # test RMSE wins: SET_A rf (0.500 < 0.650); SET_B tie at 0.500 goes to the first arm in order (svr)
    assert "among the 2 arms that ran on all 2 sets): SVR Tanimoto (direct) 1, RF (direct) 1." in text
    assert "Not counted (fewer sets): chemprop 2.3.1." in text
    # cliff: svr (0.800 + 0.600)/2 = 0.700; rf (0.7 + 0.62)/2 = 0.660; rf wins SET_A, svr SET_B
    assert "| **mean over the 2 sets** | | **0.700** | **0.660** | (1 set) |" in text
    assert ("cliff RMSE (lowest mean on a set, among the 2 arms that ran on all 2 sets): "
            "SVR Tanimoto (direct) 1, RF (direct) 1.") in text


def test_paired_verdicts(report, results):
    text = report.render(results)
    # SET_A: rf - svr = [-0.25, -0.15, -0.05, -0.20, -0.10], t = -4.24, p = 0.013 -> rf lower;
    # SET_B: [-0.05, 0.05, 0.00, 0.02, -0.02] -> within noise. Mean difference (-0.15 + 0.00) / 2 = -0.075
    assert "| RF (direct) vs SVR Tanimoto (direct) | test RMSE | 1 | 0 | 1 | 0 | -0.075 (2 sets) |" in text
    # chemprop has 3 seeds: never compared
    assert "| chemprop 2.3.1 vs SVR Tanimoto (direct) | test RMSE | 0 | 0 | 0 | 1 (3 seeds) | – |" in text
    runs = report.load(results)
    verdict, diff, p = report.paired(runs["rf"]["SET_A"], runs["svr_tanimoto"]["SET_A"], "test_rmse")
    assert verdict == "A" and diff == pytest.approx(-0.15) and p == pytest.approx(0.01324, abs=2e-4)


def test_coverage_and_preset_slot(report, results):
    text = report.render(results)
    assert ("- RF (direct) (`rf`): 2 of 2 sets, seeds 0, 1, 2, 3, 4, 10 runs; grid-searched, refitted on the "
            "whole training split.") in text
    assert "- SVR Tanimoto (direct) (`svr_tanimoto`): 2 of 2 sets, seed 0 only: deterministic" in text
    assert "- molgdl assay preset (`assay_preset`): not run:" in text
    # chemprop's records: n_train 90, n_val 10
    assert "(molgdl, chemprop) fitted on 90 % of the training rows that the direct peers fitted on" in text
    assert "RF (direct): 1 settings, 5-fold CV on the training split; chosen: max_features=32 (1 set); " \
           "max_features=64 (1 set)." in text


def test_write_section_into_a_copy(report, results, tmp_path, monkeypatch):
    monkeypatch.setattr(report.common, "ROOT", tmp_path)
    before = "# B\n\n<!-- assay:start -->\nSTALE-TEXT\n<!-- assay:end -->\n\ntail\n"
    (tmp_path / "BENCHMARKS.md").write_text(before)
    assert report.main(["--results", str(results)]) == 0
    out = (tmp_path / "BENCHMARKS.md").read_text()
    assert "STALE-TEXT" not in out and out.endswith("<!-- assay:end -->\n\ntail\n")
    assert "| SET_A | 90 / 25 (7) | 0.650 (det.) |" in out
