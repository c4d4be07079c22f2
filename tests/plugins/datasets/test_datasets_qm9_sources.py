"""QM9 sources ``npz`` (a local file in the bundled layout) and ``pyg`` (PyG's downloader, replaced here by a
stand-in: the tests never touch the network)."""

from __future__ import annotations

import urllib.error

import numpy as np
import pytest
from pydantic import ValidationError

from molgdl.errors import DataError
from molgdl_datasets import qm9 as qm9mod
from molgdl_datasets.bundled import data_path
from molgdl_datasets.factories import qm9_dataset
from molgdl_datasets.params import QM9_TARGETS, Qm9Params

HA = 27.211386246  # eV per Hartree
REF_U0 = {1: -0.500273, 6: -37.846772, 7: -54.583861, 8: -75.064579, 9: -99.718730}  # atomref.txt, Hartree

# ------------------------------------------------------------------------------------------------- npz


def _bundled_arrays() -> dict[str, np.ndarray]:
    with np.load(data_path("qm9_first3000.npz")) as d:
        return {k: d[k] for k in d.files}


def _write_npz(tmp_path, n: int, drop=(), name="qm9_small.npz", **replace) -> str:
    """The first ``n`` molecules of the bundled file, re-saved as a user file (optionally altered)."""
    a = _bundled_arrays()
    n_atoms = int(a["ptr"][n])
    out = {k: v for k, v in a.items() if k not in drop}
    out.update(ptr=a["ptr"][: n + 1], z=a["z"][:n_atoms].astype(np.int64), pos=a["pos"][:n_atoms])
    for k in ("index", "smiles", *qm9mod.RAW_PROPERTIES):
        if k in out:
            out[k] = a[k][:n]
    out.update(replace)
    path = tmp_path / name
    np.savez(path, **{k: v for k, v in out.items() if k not in drop})
    return str(path)


def test_npz_matches_bundled_slice(tmp_path):
    path = _write_npz(tmp_path, 40)
    targets = ["U0_atom", "gap", "mu", "H_atom"]
    table = qm9_dataset(Qm9Params(source="npz", path=path, targets=targets))
    ref = qm9_dataset(Qm9Params(targets=targets, limit=40))
    assert len(table) == 40 and table.n_read == 40 and table.units == ref.units
    np.testing.assert_array_equal(table.targets, ref.targets)
    for a, b in zip(table.records, ref.records):
        assert a.id == b.id and a.smiles == b.smiles
        np.testing.assert_array_equal(a.z, b.z)
        np.testing.assert_array_equal(a.pos, b.pos)
    assert table.source.startswith("qm9 npz (") and path in table.source
    # acetone (QM9 id 18), U0 typed by hand from dsgdb9nsd_000018.xyz
    hand = (-193.08834 - 3 * REF_U0[6] - REF_U0[8] - 6 * REF_U0[1]) * HA
    assert table.records[0].id == "gdb_18" and table.targets[0, 0] == pytest.approx(hand, abs=1e-9)
    assert len(qm9_dataset(Qm9Params(source="npz", path=path, limit=7))) == 7


def test_npz_minimal_layout_defaults(tmp_path):
    """n_atoms instead of ptr; no index, smiles or atomref: ids 1..M, no SMILES, QM9's atomref.txt."""
    a = _bundled_arrays()
    n = 5
    drop = ("ptr", "index", "smiles", "atomref", "atomref_columns")
    path = _write_npz(tmp_path, n, drop=drop, n_atoms=np.diff(a["ptr"][: n + 1]))
    table = qm9_dataset(Qm9Params(source="npz", path=path, targets=["U0_atom"]))
    ref = qm9_dataset(Qm9Params(targets=["U0_atom"], limit=n))
    assert [r.id for r in table.records] == [f"gdb_{k}" for k in range(1, n + 1)]
    assert all(r.smiles is None for r in table.records)
    np.testing.assert_allclose(table.targets, ref.targets, rtol=0, atol=1e-9)


def test_npz_missing_file(tmp_path):
    with pytest.raises(DataError) as err:
        qm9_dataset(Qm9Params(source="npz", path=str(tmp_path / "nope.npz")))
    assert "not found" in str(err.value) and "nope.npz" in str(err.value) and err.value.hint


def test_npz_missing_keys(tmp_path):
    path = _write_npz(tmp_path, 3, drop=("U0", "pos"))
    with pytest.raises(DataError) as err:
        qm9_dataset(Qm9Params(source="npz", path=path, targets=["U0_atom"]))
    msg = str(err.value)
    assert "missing arrays ['pos', 'U0']" in msg and path in msg and "found:" in msg
    assert "ptr" in err.value.hint and "Hartree" in err.value.hint
    # a target that does not need the dropped property still needs the geometry
    with pytest.raises(DataError, match=r"missing arrays \['pos'\]"):
        qm9_dataset(Qm9Params(source="npz", path=path, targets=["gap"]))


def test_npz_not_an_archive_and_bad_layout(tmp_path):
    bad = tmp_path / "table.npz"
    bad.write_text("mu,alpha\n1,2\n")
    with pytest.raises(DataError, match="not a numpy .npz archive") as err:
        qm9_dataset(Qm9Params(source="npz", path=str(bad)))
    assert "layout" in err.value.hint
    path = _write_npz(tmp_path, 4, name="bad_ptr.npz", ptr=np.array([0, 10, 20, 30, 99]))
    with pytest.raises(DataError, match=r"ptr\[-1\] = 99 but z has"):
        qm9_dataset(Qm9Params(source="npz", path=path))


def test_source_params_checked():
    with pytest.raises(ValidationError, match="needs `path`"):
        Qm9Params(source="npz")
    with pytest.raises(ValidationError, match="only used with source 'npz'"):
        Qm9Params(path="x.npz")
    with pytest.raises(ValidationError, match="only used with source 'pyg'"):
        Qm9Params(source="npz", path="x.npz", root="/tmp/pyg")


# ------------------------------------------------------------------------------------------------- pyg

# PyG's QM9[0] (methane, gdb_1): y in PyG's order and units, i.e. QM9's values (Hartree x HA) for
# homo .. G, MoleculeNet's atomization energies (kcal/mol x 0.04336414) for columns 12-15.
METHANE_RAW = {"mu": 0.0, "alpha": 13.21, "homo": -0.3877, "lumo": 0.1171, "gap": 0.5048, "r2": 35.3641,
               "zpve": 0.044749, "U0": -40.47893, "U": -40.476062, "H": -40.475117, "G": -40.498597,
               "Cv": 6.469, "A": 157.7118, "B": 157.70997, "C": 157.70699}  # fmt: skip
METHANE_ATOM_KCAL = {"U0_atom": -395.999594594, "U_atom": -398.643290011, "H_atom": -401.014646522,
                     "G_atom": -372.471772148}  # fmt: skip
METHANE_POS = [[-0.0127, 1.0858, 0.0080], [0.0022, -0.0060, 0.0020], [1.0117, 1.4638, 0.0003],
               [-0.5408, 1.4475, -0.8766], [-0.5238, 1.4379, 0.9064]]  # fmt: skip


def _pyg_y(raw: dict[str, float], atom_kcal: dict[str, float]):
    import torch

    hartree = {"homo", "lumo", "gap", "zpve", "U0", "U", "H", "G"}
    row = []
    for name in QM9_TARGETS:
        if name in atom_kcal:
            row.append(atom_kcal[name] * 0.04336414)
        else:
            row.append(raw[name] * HA if name in hartree else raw[name])
    return torch.tensor([row], dtype=torch.float)


def _pyg_molecules():
    import torch
    from torch_geometric.data import Data

    methane = Data(
        z=torch.tensor([6, 1, 1, 1, 1]),
        pos=torch.tensor(METHANE_POS),
        y=_pyg_y(METHANE_RAW, METHANE_ATOM_KCAL),
        smiles="[H]C([H])([H])[H]",
        name="gdb_1",
        idx=torch.tensor([0]),
    )
    # a second molecule with distinct values in every column, to check the column picking
    water_y = torch.arange(100, 119, dtype=torch.float).view(1, 19)
    water = Data(
        z=torch.tensor([8, 1, 1]),
        pos=torch.tensor([[0.0, 0.0, 0.12], [0.0, 0.76, -0.48], [0.0, -0.76, -0.48]]),
        y=water_y,
        smiles="[H]O[H]",
        name="gdb_3",
        idx=torch.tensor([2]),
    )
    return [methane, water]


@pytest.fixture
def fake_pyg_qm9(monkeypatch):
    """Replace ``torch_geometric.datasets.QM9`` by an in-memory dataset of two molecules; record the roots."""
    import torch_geometric.datasets as tgd
    from torch_geometric.data import InMemoryDataset

    roots: list[str] = []

    class FakeQM9(InMemoryDataset):
        def __init__(self, root):
            roots.append(root)
            super().__init__(None)
            self._data, self.slices = self.collate(_pyg_molecules())

    monkeypatch.setattr(tgd, "QM9", FakeQM9)
    return roots


def test_pyg_source_with_a_stand_in(fake_pyg_qm9, tmp_path):
    targets = ["U0_atom", "homo", "U0", "mu", "C"]
    table = qm9_dataset(Qm9Params(source="pyg", root=str(tmp_path), targets=targets))
    assert fake_pyg_qm9 == [str(tmp_path.resolve())]
    assert len(table) == 2 and table.n_read == 2 and table.task == "regression"
    assert [r.id for r in table.records] == ["gdb_1", "gdb_3"]
    assert table.smiles == ["[H]C([H])([H])[H]", "[H]O[H]"]
    assert table.units == {"U0_atom": "eV", "homo": "eV", "U0": "eV", "mu": "D", "C": "GHz"}
    methane, water = table.records
    assert methane.z.dtype == np.int64 and methane.pos.dtype == np.float64 and methane.pos.shape == (5, 3)
    np.testing.assert_array_equal(methane.z, [6, 1, 1, 1, 1])
    np.testing.assert_allclose(methane.pos, METHANE_POS, atol=1e-6)
    # PyG's atomization energy equals this plugin's own convention (U0 - sum atomref) x HA, computed
    # from QM9's raw Hartree values: the two sources agree
    ours = qm9mod.qm9_targets({"U0": np.array([METHANE_RAW["U0"]])}, np.array([6, 1, 1, 1, 1]),
                              np.array([0, 5]), qm9mod.atomref_table(), ["U0_atom"])[0, 0]  # fmt: skip
    assert table.targets[0, 0] == pytest.approx(ours, abs=2e-3)
    assert table.targets[0, 0] == pytest.approx(-17.172, abs=1e-3)
    assert table.targets[0, 1] == pytest.approx(-0.3877 * HA, rel=1e-6)
    assert table.targets[0, 2] == pytest.approx(METHANE_RAW["U0"] * HA, rel=1e-6)
    assert table.targets[0, 4] == pytest.approx(157.70699, rel=1e-6)
    # column picking: water's y is 100..118 in PyG's order
    expected = [100 + QM9_TARGETS.index(t) for t in table.target_names]
    np.testing.assert_array_equal(table.targets[1], expected)


def test_pyg_limit_and_default_root(fake_pyg_qm9, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    table = qm9_dataset(Qm9Params(source="pyg", limit=1, targets=list(QM9_TARGETS)))
    assert len(table) == 1 and table.targets.shape == (1, 19)
    assert fake_pyg_qm9 == [str(tmp_path / ".cache" / "molgdl" / "pyg_qm9")]


def test_pyg_network_failure_is_a_data_error(monkeypatch, tmp_path):
    import torch_geometric.datasets as tgd

    class OfflineQM9:
        def __init__(self, root):
            raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(tgd, "QM9", OfflineQM9)
    with pytest.raises(DataError) as err:
        qm9_dataset(Qm9Params(source="pyg", root=str(tmp_path)))
    assert "needs the network" in str(err.value) and "URLError" in str(err.value)
    for alt in ("source: bundled", "source: npz", "source: qm9pack"):
        assert alt in err.value.hint
