"""Linear Landau damping at CI size through ``task: vlasov``: rate and frequency against the dispersion
relation (methods.md Sec. 7: gamma = -0.1534, omega = 1.4157), and the run's artifacts."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
import yaml

import molgdl

CONFIG = Path(__file__).resolve().parents[3] / "configs" / "vlasov_linear_landau_ci.yaml"
GAMMA, OMEGA = -0.1534, 1.4157  # roots of 1 + k^-2 [1 + xi Z(xi)] = 0 at k = 0.5


def _dispersion_root(k: float = 0.5) -> complex:
    """Independent check of the reference numbers: Newton on the Landau dispersion relation with scipy's
    Faddeeva function, Z(xi) = i sqrt(pi) w(xi)."""
    from scipy.special import wofz

    def d(om):
        xi = om / (math.sqrt(2) * k)
        return 1 + (1 + xi * 1j * math.sqrt(math.pi) * wofz(xi)) / k ** 2

    om = complex(1.4, -0.15)
    for _ in range(50):
        h = 1e-7
        om = om - d(om) / ((d(om + h) - d(om - h)) / (2 * h))
    return om


def test_reference_numbers_are_the_dispersion_root():
    root = _dispersion_root()
    assert root.real == pytest.approx(OMEGA, abs=1e-4) and root.imag == pytest.approx(GAMMA, abs=1e-4)


def test_linear_landau_ci_rate_and_frequency(tmp_path):
    raw = yaml.safe_load(CONFIG.read_text())
    raw["run"] = {"name": "landau", "output_dir": str(tmp_path), "seeds": [0]}
    run = molgdl.run(raw)
    assert run.status == "completed"
    summary = json.loads((run.path / "summary.json").read_text())
    assert summary["test"]["landau_rate"] == pytest.approx(GAMMA, abs=0.002)
    assert summary["test"]["landau_frequency"] == pytest.approx(OMEGA, abs=0.01)
    rows = list(csv.DictReader(open(run.path / "diagnostics.csv")))
    assert len(rows) == summary["steps"] + 1 and float(rows[-1]["t"]) == pytest.approx(raw["time"]["t_end"])
    wanted = {"mass_drift", "energy_drift", "l2_drift", "momentum", "kinetic_energy", "potential_energy"}
    assert wanted <= set(rows[0])
    assert max(float(r["mass_drift"]) for r in rows) < 1e-6
    assert (run.path / "field_mode.png").stat().st_size > 0 and (run.path / "phase_space_t25.png").is_file()
