"""Fixtures of the diffpool tests: the quick-run CLI overrides and a checker of finished run folders."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[3]
QUICK = ["--set", "trainer.max_epochs=1", "--set", "trainer.batch_size=8", "--set", "trainer.num_threads=1",
         "--set", "data.progress=false", "--set", "trainer.progress_bar=false", "--set", "data.num_workers=1"]


def check_run(run_dir: Path, clusters: int, hydrogens: bool) -> dict:
    """Assertions shared by the 2D and 3D runs; returns the analysis summary."""
    from rdkit import Chem

    summary = json.loads((run_dir / "summary.json").read_text())
    info = summary["analyses"]["diffpool_clusters"]
    assert info["clusters"] == clusters and info["n_atoms"] > 0 and info["drawn"] > 0
    out = run_dir / "analyses" / "diffpool_clusters"
    assert (out / "clusters.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with (out / "assignments.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == info["n_atoms"]
    split = json.loads((run_dir / "seed_0" / "split.json").read_text())
    assert len({r["id"] for r in rows}) == len(split["test"]) == info["n_molecules"]
    mols: dict[str, Chem.Mol] = {}
    for r in rows:
        p = [float(r[f"p_{c}"]) for c in range(clusters)]
        assert math.isclose(sum(p), 1.0, abs_tol=1e-4)
        assert int(r["cluster"]) == max(range(clusters), key=p.__getitem__)
        mol = mols.setdefault(r["smiles"], Chem.MolFromSmiles(r["smiles"]))
        if hydrogens:
            mol = Chem.AddHs(mol)
        # atom i of the graph is atom i of the RDKit molecule (2D graphs: always; QM9: as the featurizer orders it)
        if not hydrogens:
            assert mol.GetAtomWithIdx(int(r["atom"])).GetAtomicNum() == int(r["z"])
    with (run_dir / "seed_0" / "logs" / "metrics.csv").open() as fh:
        log_rows = list(csv.DictReader(fh))
    for key in ("train/aux_link", "train/aux_entropy", "val/aux_link", "val/aux_entropy"):
        values = [float(r[key]) for r in log_rows if r.get(key)]
        assert values and all(math.isfinite(v) and v >= 0 for v in values), key
    return info


@pytest.fixture
def diffpool_e2e():
    """``root`` (the repository), ``quick`` (CLI overrides for a 1-epoch run) and ``check_run``."""
    return SimpleNamespace(root=ROOT, quick=QUICK, check_run=check_run)
