"""Acceptance (issue 27): attributions recover a planted substructure.

The target is a known count: the number of amide groups (SMARTS ``[CX3](=O)[NX3]``: a carbonyl carbon bonded
to a trivalent nitrogen, which includes ureas, carbamates and imides) of each ESOL molecule (1,128 real
molecules, bundled). A small D-MPNN (sum readout) and a random forest on ECFP4 counts are trained on it with
``molgdl run``; the test-split molecules that contain an amide are attributed with
``molgdl_attribution.attribute``.

Overlap, as docs/attributions.md defines it: a molecule is a hit when its top-ranked atom (the highest
attribution; the target grows with the count, so the planted atoms should push the prediction up) is one of
the atoms matched by the pattern. The hit rate must be >= 90% for each model and method. A control shuffles
the scores within each molecule and must fall far below that (so the measure can fail).
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attribution_helpers import run_yaml

pytestmark = pytest.mark.slow

AMIDE = "[CX3](=O)[NX3]"
THRESHOLD = 0.90


def planted_atoms(smiles: str) -> set[int]:
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    return {a for match in mol.GetSubstructMatches(Chem.MolFromSmarts(AMIDE)) for a in match}


@pytest.fixture(scope="module")
def amide_csv(tmp_path_factory) -> Path:
    esol = pd.read_csv(files("molgdl_datasets") / "data" / "esol_delaney-processed.csv")
    smiles = [s.strip() for s in esol["smiles"]]
    from rdkit import Chem

    pattern = Chem.MolFromSmarts(AMIDE)
    counts = [len(Chem.MolFromSmiles(s).GetSubstructMatches(pattern)) for s in smiles]
    path = tmp_path_factory.mktemp("data") / "amide.csv"
    pd.DataFrame({"smiles": smiles, "n_amide": counts}).to_csv(path, index=False)
    return path


def train(root: Path, csv: Path, name: str, model: dict, extra: dict) -> Path:
    cfg = {
        "run": {"name": name, "output_dir": str(root / "runs"), "seeds": [0]},
        "data": {"source": {"name": "csv", "path": str(csv), "target_columns": ["n_amide"]},
                 "progress": False, "num_workers": 1},
        "featurizer": {"name": "graph2d"},
        "model": model,
        "split": {"name": "random", "sizes": [0.7, 0.1, 0.2]},
        **extra,
    }
    return run_yaml(root, cfg)


@pytest.fixture(scope="module")
def dmpnn_run(tmp_path_factory, amide_csv) -> Path:
    return train(tmp_path_factory.mktemp("dmpnn"), amide_csv, "dmpnn",
                 {"name": "dmpnn", "hidden_dim": 32, "depth": 3},
                 {"readout": {"name": "sum"}, "head": {"hidden_dim": 32},
                  "trainer": {"max_epochs": 12, "batch_size": 32, "accelerator": "cpu",
                              "early_stopping": None, "progress_bar": False, "num_threads": 2}})


@pytest.fixture(scope="module")
def forest_run(tmp_path_factory, amide_csv) -> Path:
    return train(tmp_path_factory.mktemp("rf"), amide_csv, "rf",
                 {"name": "random_forest", "n_estimators": 100, "n_jobs": 1},
                 {"descriptors": [{"name": "ecfp", "radius": 2, "n_bits": 2048, "counts": True}]})


def amide_test_molecules(run_dir: Path) -> list[str]:
    """SMILES of the run's test molecules that contain the planted substructure."""
    rows = json.loads((run_dir / "seed_0" / "split.json").read_text())["test"]
    data = pd.read_csv(run_dir / "seed_0" / "predictions.csv")
    smiles = data.loc[data["split"] == "test", "smiles"].tolist()
    assert len(smiles) == len(rows)
    return [s for s in smiles if planted_atoms(s)]


def hit_rate(atoms: pd.DataFrame, shuffle: bool = False) -> tuple[float, int]:
    rng = np.random.default_rng(0)
    hits = []
    for _, g in atoms.groupby("molecule"):
        scores = g["attribution"].to_numpy()
        if shuffle:
            scores = rng.permutation(scores)
        top = int(g["atom"].to_numpy()[np.argmax(scores)])
        hits.append(top in planted_atoms(g["smiles"].iloc[0]))
    return float(np.mean(hits)), len(hits)


def check(run_dir: Path, method: str, **params) -> None:
    from molgdl_attribution import attribute

    smiles = amide_test_molecules(run_dir)
    assert len(smiles) >= 30  # enough molecules for a 90% rate to mean something
    result = attribute(run_dir, smiles, method=method, **params)
    assert (result.molecules["error"] == "").all()
    rate, n = hit_rate(result.atoms)
    control, _ = hit_rate(result.atoms, shuffle=True)
    print(f"{run_dir.name} {method}: top atom in the amide for {rate:.1%} of {n} molecules "
          f"(shuffled: {control:.1%})")
    assert n == len(smiles)
    assert rate >= THRESHOLD, f"{method}: {rate:.1%} of {n} test molecules"
    assert control < 0.6  # the measure separates real attributions from chance


def test_dmpnn_integrated_gradients_finds_the_amides(dmpnn_run):
    check(dmpnn_run, "integrated_gradients")


def test_dmpnn_occlusion_finds_the_amides(dmpnn_run):
    check(dmpnn_run, "occlusion")


def test_random_forest_shapley_values_find_the_amides(forest_run):
    check(forest_run, "permutation_shap")
