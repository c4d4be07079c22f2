"""QM9 component of molgdl-datasets: PyG's target convention, the bundled slice, the qm9pack source."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from pydantic import ValidationError

from molgdl.errors import DataError
from molgdl_datasets import qm9 as qm9mod
from molgdl_datasets.factories import qm9_dataset
from molgdl_datasets.params import QM9_TARGETS, Qm9Params

HA = 27.211386246  # eV per Hartree
# QM9 atomref.txt, U0 column (Hartree), typed by hand
REF_U0 = {"H": -0.500273, "C": -37.846772, "N": -54.583861, "O": -75.064579, "F": -99.718730}

# QM9 molecule 1 (dsgdb9nsd_000001.xyz): methane
METHANE_XYZ = [
    ("C", -0.0126981359, 1.0858041578, 0.0080009958),
    ("H", 0.002150416, -0.0060313176, 0.0019761204),
    ("H", 1.0117308433, 1.4637511618, 0.0002765748),
    ("H", -0.540815069, 1.4475266138, -0.8766437152),
    ("H", -0.5238136345, 1.4379326443, 0.9063972942),
]
METHANE_U0 = -40.47893  # Hartree
METHANE_U0_ATOM_PYG = -17.172  # eV, PyG QM9 target 12 for molecule 1


def test_target_list_is_pyg_order():
    assert QM9_TARGETS[:12] == ("mu", "alpha", "homo", "lumo", "gap", "r2", "zpve", "U0", "U", "H", "G", "Cv")
    assert QM9_TARGETS[12:] == ("U0_atom", "U_atom", "H_atom", "G_atom", "A", "B", "C")


def test_methane_atomization_energy_closed_form():
    z = np.array([6, 1, 1, 1, 1])
    ptr = np.array([0, 5])
    props = {"U0": np.array([METHANE_U0]), "homo": np.array([-0.3877])}
    y = qm9mod.qm9_targets(props, z, ptr, qm9mod.atomref_table(), ["U0_atom", "U0", "homo"])
    hand = (METHANE_U0 - REF_U0["C"] - 4 * REF_U0["H"]) * HA
    assert y[0, 0] == pytest.approx(hand, abs=1e-9)
    assert y[0, 0] == pytest.approx(METHANE_U0_ATOM_PYG, abs=1e-3)
    assert y[0, 1] == pytest.approx(METHANE_U0 * HA) and y[0, 2] == pytest.approx(-0.3877 * HA)


def test_bundled_slice_first_molecule_by_hand():
    table = qm9_dataset(Qm9Params(targets=["U0_atom", "U0", "gap", "mu", "Cv"]))
    assert len(table) == 3000 and table.n_read == 3000 and table.task == "regression"
    assert table.units == {"U0_atom": "eV", "U0": "eV", "gap": "eV", "mu": "D", "Cv": "cal/(mol K)"}
    acetone = table.records[0]
    assert acetone.id == "gdb_18" and acetone.smiles == "CC(C)=O" and acetone.row == 1
    assert acetone.z.dtype == np.int64 and acetone.pos.dtype == np.float64
    assert sorted(acetone.z.tolist()) == [1] * 6 + [6] * 3 + [8]
    u0 = -193.08834  # Hartree, QM9 molecule 18
    hand = (u0 - 3 * REF_U0["C"] - REF_U0["O"] - 6 * REF_U0["H"]) * HA
    assert table.targets[0, 0] == pytest.approx(hand, abs=1e-9)
    assert table.targets[0, 1] == pytest.approx(u0 * HA, abs=1e-9)
    assert table.targets[0, 2] == pytest.approx(0.2344 * HA, abs=1e-9)
    assert table.targets[0, 3] == pytest.approx(2.7362)
    # consistency of the whole slice: U0_atom = U0 - sum of atom references, per molecule
    refs = np.array([sum(qm9mod.QM9_ATOMREF_HARTREE[int(z)][0] for z in r.z) for r in table.records])
    np.testing.assert_allclose(table.targets[:, 0], table.targets[:, 1] - refs * HA, atol=1e-8)
    assert -120 < table.targets[:, 0].mean() < -40  # atomization energies, eV


def test_bundled_slice_geometry_matches_smiles():
    Chem = pytest.importorskip("rdkit.Chem")
    table = qm9_dataset(Qm9Params(limit=200))
    assert len(table) == 200 and table.target_names == ["U0_atom"]
    for rec in table.records:
        mol = Chem.AddHs(Chem.MolFromSmiles(rec.smiles))
        assert sorted(a.GetAtomicNum() for a in mol.GetAtoms()) == sorted(rec.z.tolist()), rec.id
        d = np.linalg.norm(rec.pos[:, None] - rec.pos[None], axis=-1)
        d[np.diag_indices_from(d)] = np.inf
        assert 0.9 < d.min() < 1.2  # shortest bond (C-H, N-H, O-H) in Å


def test_bundled_atomref_and_gap():
    arrays = qm9mod.load_bundled()
    np.testing.assert_allclose(arrays["atomref"][:, :4], qm9mod.atomref_table())
    assert list(arrays["atomref_columns"]) == ["U0", "U", "H", "G", "Cv"]
    assert np.abs(arrays["gap"] - (arrays["lumo"] - arrays["homo"])).max() <= 1.01e-4
    assert arrays["ptr"][-1] == len(arrays["z"]) == len(arrays["pos"])
    # methane (QM9 id 1) is not in the slice
    assert "C" not in set(arrays["smiles"].tolist()) and 1 not in arrays["index"]


def test_all_19_targets_finite():
    table = qm9_dataset(Qm9Params(targets=list(QM9_TARGETS), limit=50))
    assert table.targets.shape == (50, 19) and np.isfinite(table.targets).all()
    assert set(table.units) == set(QM9_TARGETS)


def test_unknown_target_rejected_with_suggestion():
    with pytest.raises(ValidationError, match="did you mean 'U0_atom'"):
        Qm9Params(targets=["u0_atom"])
    with pytest.raises(ValidationError):
        Qm9Params(source="web")


# ----------------------------------------------------------------------------- qm9pack (optional)


def test_qm9pack_missing_says_pip_install(monkeypatch):
    monkeypatch.setattr(qm9mod, "_find_qm9pack", lambda: None)
    with pytest.raises(DataError) as err:
        qm9_dataset(Qm9Params(source="qm9pack"))
    assert "pip install qm9pack" in str(err.value)


def _fake_qm9pack(root):
    """A stand-in qm9pack package with three tiny CSV parts in the layout qm9pack documents."""
    pkg = root / "qm9pack"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("raise RuntimeError('molgdl-datasets must not import qm9pack')\n")
    header = ["XYZ_file", "Index", "SMILES", "InChi", "N_atoms", "Elements", "XYZ_Ang", "RotA_GHz",
              "RotB_GHz",
              "RotC_GHz", "Dipole_debye", "Polarizability_bohr3", "HOMO_au", "LUMO_au", "HOMO_LUMO_gap_au",
              "R2_bohr2", "ZOVE_au", "InternalEnergy_0K_au", "InternalEnergy_298K_au", "Enthalphy_298K_au",
              "GibbsFreeEnergy_298K_au", "Heatcapacity_Cv_cal_mol_K"]
    props = [157.7118, 157.70997, 157.70699, 0.0, 13.21, -0.3877, 0.1171, 0.5048, 35.3641, 0.044749,
             METHANE_U0, -40.476062, -40.475117, -40.498597, 6.469]
    methane = ["dsgdb9nsd_000001.xyz", 1, "C", "InChI=1S/CH4/h1H4", 5, str([a[0] for a in METHANE_XYZ]),
               str([list(a[1:]) for a in METHANE_XYZ]), *props]
    water_xyz = [("O", -0.0343604951, 0.9775395708, 0.0076015923),
                 ("H", 0.0647664923, 0.0205721989, 0.0015346341),
                 ("H", 0.8717903737, 1.3007924048, 0.0006931336)]
    water = ["dsgdb9nsd_000003.xyz", 3, "O", "InChI=1S/H2O/h1H2", 3, "['O', 'H', 'H']",
             # quoted strings and a Mathematica-style exponent, as in the original QM9 xyz files
             str([f"{c:.10f}" for a in water_xyz for c in a[1:]]).replace("0.0006931336", "6.931336*^-4"),
             *props[:10], -76.404702, -76.401867, -76.400922, -76.422349, 6.002]
    for k, rows in ((1, [methane]), (2, [water]), (3, [])):
        with open(pkg / "data" / f"qm9_part{k}.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
    return water_xyz


def test_qm9pack_source_with_a_stand_in_package(tmp_path, monkeypatch):
    water_xyz = _fake_qm9pack(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    table = qm9_dataset(Qm9Params(source="qm9pack", targets=["U0_atom", "H", "zpve"]))
    assert [r.id for r in table.records] == ["gdb_1", "gdb_3"]
    assert table.smiles == ["C", "O"]
    methane, water = table.records
    np.testing.assert_array_equal(methane.z, [6, 1, 1, 1, 1])
    np.testing.assert_allclose(methane.pos, [a[1:] for a in METHANE_XYZ])
    np.testing.assert_array_equal(water.z, [8, 1, 1])
    np.testing.assert_allclose(water.pos, [a[1:] for a in water_xyz])
    assert table.targets[0, 0] == pytest.approx(METHANE_U0_ATOM_PYG, abs=1e-3)
    hand_water = (-76.404702 - REF_U0["O"] - 2 * REF_U0["H"]) * HA
    assert table.targets[1, 0] == pytest.approx(hand_water, abs=1e-9)
    assert table.targets[0, 1] == pytest.approx(-40.475117 * HA)
    assert table.targets[0, 2] == pytest.approx(0.044749 * HA)
    assert len(qm9_dataset(Qm9Params(source="qm9pack", limit=1))) == 1


def test_qm9pack_unexpected_layout(tmp_path, monkeypatch):
    pkg = tmp_path / "qm9pack" / "data"
    pkg.mkdir(parents=True)
    (tmp_path / "qm9pack" / "__init__.py").write_text("")
    for k in (1, 2, 3):
        (pkg / f"qm9_part{k}.csv").write_text("a,b\n1,2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(DataError) as err:
        qm9_dataset(Qm9Params(source="qm9pack"))
    assert "columns found: ['a', 'b']" in str(err.value) and "source: bundled" in err.value.hint
