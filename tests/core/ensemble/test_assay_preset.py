"""configs/assay_preset.yaml as shipped, shrunk only in size (160 molecules of a bundled MoleculeACE set,
2 inner folds, a 2-epoch D-MPNN of width 16, 20 trees): it runs end to end, writes why it chose its weights,
reports cliff RMSE, and `molgdl predict` on it reproduces its predictions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ensemble_helpers import read_json

PRESET = Path(__file__).resolve().parents[3] / "configs" / "assay_preset.yaml"


def test_assay_preset_runs_small(run_cli, tmp_path):
    members = yaml.safe_load(PRESET.read_text())["ensemble"]["members"]
    assert {"svm_ecfp", "gnn"} <= set(members)
    code, _, err = run_cli(
        "run", PRESET, "--set", f"run.output_dir={tmp_path / 'runs'}", "--set", "data.source.limit=160",
        "--set", "data.source.set=CHEMBL4203_Ki", "--set", "ensemble.inner_folds=2",
        "--set", "ensemble.members.gnn.trainer.max_epochs=2",
        "--set", "ensemble.members.gnn.model.hidden_dim=16",
        "--set", "ensemble.members.gnn.head.hidden_dim=16",
        "--set", "ensemble.members.gnn.trainer.batch_size=16",
        "--set", "ensemble.members.rf.model.n_estimators=20")
    assert code == 0, err
    run = tmp_path / "runs" / "assay_preset"
    info = read_json(run / "ensemble.json")
    assert list(info["members"]) == list(members)
    rep = info["replicates"]["seed_0"]
    assert abs(sum(rep["weights"]["y"].values()) - 1.0) < 1e-9
    assert set(rep["oof"]) == set(members)
    metrics = read_json(run / "seed_0" / "metrics.json")["metrics"]["test"]["overall"]
    assert "cliff_rmse" in metrics
    why = (run / "why.txt").read_text()
    assert f"test rmse: ensemble {metrics['rmse']:.4f}" in why
    pred = pd.read_csv(run / "seed_0" / "predictions.csv")
    inp = tmp_path / "in.csv"
    pred[["smiles"]].to_csv(inp, index=False)
    code, _, err = run_cli("predict", "--run", run, "--input", inp, "--output", tmp_path / "p.csv")
    assert code == 0, err
    np.testing.assert_allclose(pd.read_csv(tmp_path / "p.csv")["y_pred"], pred["y_pred"], rtol=0, atol=1e-5)
