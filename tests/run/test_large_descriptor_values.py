"""Molecules whose RDKit descriptors overflow float32 (``Ipc`` of large peptides reaches 1e79) go through
featurization, training and ``predict`` with every value finite, for the random-forest and the default
D-MPNN configs, on small slices of the two MoleculeACE sets where the random-forest config used to crash
(``Input X contains infinity or a value too large for dtype('float32')``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from rdkit import Chem
from rdkit.Chem import Descriptors

from molgdl.cli import main

REPO = Path(__file__).resolve().parents[2]
FLOAT32_MAX = float(np.finfo(np.float32).max)


def assay_slice(name: str, out: Path) -> tuple[Path, list[str]]:
    """120 rows of the bundled set (train and test) plus its first 6 molecules whose raw Ipc is beyond float32,
    as a CSV with the set's own split and cliff columns; returns the file and the overflowing SMILES."""
    import molgdl_datasets

    df = pd.read_csv(Path(molgdl_datasets.__file__).parent / "data" / f"moleculeace_{name}.csv")
    ipc = np.array([Descriptors.Ipc(Chem.MolFromSmiles(s)) for s in df.smiles])
    huge = np.flatnonzero(ipc > FLOAT32_MAX)[:6]
    assert len(huge) == 6  # the raw values really overflow float32 (checked with RDKit directly)
    part = pd.concat([df.iloc[:120], df.iloc[huge]]).drop_duplicates("smiles")
    part.to_csv(out, index=False)
    return out, df.smiles.iloc[huge].tolist()


def config_for(base: str, csv: Path, tmp: Path) -> Path:
    cfg = yaml.safe_load((REPO / "configs" / base).read_text())
    cfg["run"].update({"name": "r", "output_dir": str(tmp / "runs"), "seeds": [0]})
    cfg["data"] = {"source": {"name": "csv", "path": str(csv), "target_columns": ["y"], "split_column": "split",
                              "cliff_column": "cliff_mol"},
                   "cache_dir": str(tmp / "cache"), "progress": False}
    cfg["split"] = {"name": "column", "column": "split", "val_fraction": 0.1}
    if cfg["model"]["name"] == "random_forest":
        cfg["model"]["n_estimators"] = 20
    else:  # the default D-MPNN with its rdkit2d descriptors, at CI size
        cfg["model"].update({"hidden_dim": 32, "depth": 2})
        for member in cfg.get("ensemble", {}).get("members", {}).values():
            member.pop("pretrained", None)  # the shipped encoder is 300x3: this CI-size D-MPNN starts from random weights
        cfg["head"]["hidden_dim"] = 32
        cfg["trainer"].update({"max_epochs": 2, "batch_size": 16, "progress_bar": False, "accelerator": "cpu"})
    path = tmp / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.mark.parametrize("config", ["esol_random_forest.yaml", "esol.yaml"])
@pytest.mark.parametrize("assay", ["CHEMBL204_Ki", "CHEMBL236_Ki"])
def test_overflowing_descriptors_train_and_predict_finite(tmp_path, assay, config, capsys, recwarn):
    csv, huge = assay_slice(assay, tmp_path / "slice.csv")
    assert main(["run", str(config_for(config, csv, tmp_path))]) == 0, capsys.readouterr().err
    run = tmp_path / "runs" / "r"
    assert json.loads((run / "status.json").read_text())["state"] == "completed"
    preds = pd.read_csv(run / "seed_0" / "predictions.csv")
    assert np.isfinite(preds["y_pred"]).all() and len(preds) == len(pd.read_csv(csv))
    summary = json.loads((run / "summary.json").read_text())
    for split in ("train", "val", "test"):
        assert np.isfinite(summary[split]["y"]["rmse"]["mean"])
    log = (run / "run.log").read_text()
    assert "overflow encountered" not in log and "infinity" not in log.lower()

    new = tmp_path / "new.csv"
    pd.DataFrame({"smiles": huge + ["CCO"]}).to_csv(new, index=False)
    out = tmp_path / "pred.csv"
    assert main(["predict", "--run", str(run), "--input", str(new), "--output", str(out)]) == 0
    err = capsys.readouterr().err
    got = pd.read_csv(out)
    assert np.isfinite(got["y_pred"]).all() and len(got) == 7
    assert "overflow encountered" not in err
    assert not [w for w in recwarn if "overflow" in str(w.message) or "infinity" in str(w.message)]
    # the same molecules predicted by the run itself give the same numbers
    same = preds.set_index("smiles").loc[huge, "y_pred"].to_numpy()
    assert got["y_pred"].to_numpy()[:6] == pytest.approx(same, rel=1e-5, abs=1e-5)
