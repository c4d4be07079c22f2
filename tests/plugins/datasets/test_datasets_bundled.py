"""Bundled datasets of molgdl-datasets (shipped inside the package, read offline)."""

from __future__ import annotations

import numpy as np
import pytest

from molgdl_datasets.bundled import BUNDLED_CSV, MOLECULEACE_SETS, data_path
from molgdl_datasets.factories import bundled_csv_dataset, bundled_xyz_dataset
from molgdl_datasets.params import BundledParams, BundledXyzParams


@pytest.mark.parametrize(
    ("name", "rows", "target", "units", "task", "mean"),
    [
        ("esol", 1128, "measured log solubility in mols per litre", "log10(mol/L)", "regression", -3.0501),
        ("freesolv", 642, "expt", "kcal/mol", "regression", None),
        ("lipo", 4200, "exp", "logD", "regression", None),
        ("bbbp", 2050, "p_np", "0/1", "classification", 1567 / 2050),
    ],
)
def test_bundled_csv(name, rows, target, units, task, mean):
    table = bundled_csv_dataset(name, BundledParams())
    assert table.n_read == rows and len(table) == rows and table.invalid == []
    assert table.target_names == [target]
    assert table.units == {target: units}
    assert table.task == task
    assert not np.isnan(table.targets).any()
    assert all(s and s == s.strip() for s in table.smiles)  # ESOL's trailing spaces are stripped
    assert len({r.id for r in table.records}) == rows  # ids are unique
    assert table.source.startswith(f"bundled:{name}")
    if mean is not None:
        assert table.targets.mean() == pytest.approx(mean, abs=1e-3)


def test_esol_first_row_and_range():
    table = bundled_csv_dataset("esol", BundledParams())
    first = table.records[0]
    assert first.id == "Amigdalin" and first.smiles == "OCC3OC(OCC2OC(OC(C#N)c1ccccc1)C(O)C(O)C2O)C(O)C(O)C3O"
    assert table.targets[0, 0] == -0.77
    assert table.targets.min() == pytest.approx(-11.60) and table.targets.max() == pytest.approx(1.58)


def test_bbbp_counts_and_rdkit_parse_failures():
    table = bundled_csv_dataset("bbbp", BundledParams())
    assert int(table.targets.sum()) == 1567 and int((table.targets == 0).sum()) == 483
    pytest.importorskip("rdkit")
    checked = bundled_csv_dataset("bbbp", BundledParams(validate_smiles=True))
    assert checked.n_read == 2050 and len(checked) == 2039 and len(checked.invalid) == 11


def test_limit_param():
    table = bundled_csv_dataset("lipo", BundledParams(limit=10))
    assert len(table) == 10 and table.n_read == 10


def test_freesolv_range():
    table = bundled_csv_dataset("freesolv", BundledParams())
    assert table.targets.min() == pytest.approx(-25.47) and table.targets.max() == pytest.approx(3.43)


def test_bundled_files_are_small_and_present():
    for meta in BUNDLED_CSV.values():
        assert data_path(meta.filename).stat().st_size < 400_000
    assert data_path("qm9_first3000.npz").stat().st_size < 2_100_000
    assert data_path("rmd17_ethanol_first100.xyz").stat().st_size < 200_000
    assert data_path("3bpa_first50.xyz").stat().st_size < 200_000
    licenses = data_path("LICENSES.md").read_text()
    for needle in ("deepchem/deepchem", "GLambard/Molecules_Dataset_Collection", "qm9pack", "BOTNet-datasets",
                   "108af2176a5f876c2df1df922baadb02d647c826", "29e6d467317e4b5967b7ea5cbee54de953fa0d45",
                   "CC0", "CC BY-SA 3.0", "MIT"):
        assert needle in licenses


def test_rmd17_ethanol_slice():
    table = bundled_xyz_dataset("rmd17_ethanol", BundledXyzParams())
    assert len(table) == 100 and table.target_names == ["energy"] and table.units == {"energy": "eV"}
    assert table.records[0].energy == pytest.approx(-4209.4657843064815, abs=1e-9)
    for rec in table.records:
        np.testing.assert_array_equal(rec.z, [6, 6, 8, 1, 1, 1, 1, 1, 1])  # C C O H H H H H H
        assert rec.forces.shape == (9, 3) and rec.pos.shape == (9, 3)
        # an isolated molecule: the net force vanishes (up to DFT noise)
        assert np.abs(rec.forces.sum(axis=0)).max() < 1e-2
        assert -4210.04 - 1e-6 <= rec.energy <= -4208.79 + 1e-6
    np.testing.assert_array_equal(table.targets[:, 0], [r.energy for r in table.records])
    assert len(bundled_xyz_dataset("rmd17_ethanol", BundledXyzParams(limit=7))) == 7


def test_3bpa_slice():
    table = bundled_xyz_dataset("3bpa", BundledXyzParams())
    assert len(table) == table.n_read == 50
    assert table.target_names == ["energy"] and table.units == {"energy": "eV"}
    assert table.source == "bundled:3bpa (3bpa_first50.xyz)"
    # first frame, values copied by hand from the file's first two lines
    first = table.records[0]
    assert first.energy == pytest.approx(-17660.461737861464, abs=1e-9)
    np.testing.assert_allclose(first.pos[0], [0.32656990, -1.01286015, 0.72107275])
    np.testing.assert_allclose(first.forces[0], [0.17092934, 0.13274200, 0.79555789])
    for rec in table.records:
        # 3-(benzyloxy)pyridin-2-amine, C12H12N2O
        assert rec.pos.shape == (27, 3) and rec.forces.shape == (27, 3) and rec.forces.dtype == np.float64
        assert np.bincount(rec.z, minlength=9)[[1, 6, 7, 8]].tolist() == [12, 12, 2, 1]
        assert np.abs(rec.forces.sum(axis=0)).max() < 1e-2  # isolated molecule: no net force
        d = np.linalg.norm(rec.pos[:, None] - rec.pos[None], axis=-1) + np.eye(27) * 10
        assert 0.85 < d.min() < 1.2  # shortest bond (C-H / N-H), Å
    np.testing.assert_array_equal(table.targets[:, 0], [r.energy for r in table.records])
    assert len(bundled_xyz_dataset("3bpa", BundledXyzParams(limit=3))) == 3
    licenses = data_path("LICENSES.md").read_text()
    assert "3bpa_first50.xyz" in licenses and "dataset_3BPA/train_300K.xyz" in licenses


def test_bundled_csv_checksums_match_licenses():
    import hashlib
    import re

    licenses = data_path("LICENSES.md").read_text()
    listed = dict(re.findall(r"\| `([\w.-]+\.csv)` \|[^\n]*sha256 `([0-9a-f]{64})`", licenses))
    assert set(listed) == {m.filename for m in (*BUNDLED_CSV.values(), *MOLECULEACE_SETS.values())}
    for filename, digest in listed.items():
        assert hashlib.sha256(data_path(filename).read_bytes()).hexdigest() == digest
