"""``molgdl predict`` / ``molgdl embed`` on a trained run: same numbers as the run's own predictions, bad rows
reported, and a checkpoint that carries code is refused without running it."""

from __future__ import annotations

import pickle
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml

from molgdl.cli import main


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("predict")
    cfg = {
        "run": {"name": "r", "output_dir": str(tmp / "runs"), "seeds": [0, 1]},
        "data": {"source": {"name": "esol", "limit": 80}, "cache_dir": str(tmp / "cache"), "progress": False},
        "descriptors": [{"name": "morgan", "radius": 2, "n_bits": 256}],
        "model": {"name": "dmpnn", "hidden_dim": 32, "depth": 2},
        "head": {"hidden_dim": 32},
        "trainer": {"max_epochs": 2, "batch_size": 16, "progress_bar": False, "accelerator": "cpu"},
    }
    path = tmp / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert main(["run", str(path)]) == 0
    return tmp / "runs" / "r"


def test_predict_matches_the_runs_predictions_and_reports_bad_rows(trained_run, tmp_path, capsys):
    preds = [pd.read_csv(trained_run / f"seed_{s}" / "predictions.csv") for s in (0, 1)]
    target = [c for c in preds[0].columns if c.endswith("_pred")][0]
    smiles = preds[0]["smiles"].tolist()[:5]
    inp = tmp_path / "new.csv"
    pd.DataFrame({"smiles": smiles + ["not_a_smiles"]}).to_csv(inp, index=False)
    out = tmp_path / "out.csv"
    assert main(["predict", "--run", str(trained_run), "--input", str(inp), "--output", str(out)]) == 0
    got = pd.read_csv(out)
    expected = (preds[0][target].to_numpy()[:5] + preds[1][target].to_numpy()[:5]) / 2  # ensemble of both seeds
    assert got[target].to_numpy()[:5] == pytest.approx(expected, rel=1e-5, abs=1e-5)
    assert pd.isna(got[target].iloc[5]) and "parse" in str(got["error"].iloc[5]).lower()
    cap = capsys.readouterr()
    assert "1 molecule failed" in " ".join((cap.out + cap.err).split())  # rich may wrap the line


def test_embed_writes_one_row_per_molecule(trained_run, tmp_path):
    inp = tmp_path / "new.csv"
    pd.DataFrame({"smiles": ["CCO", "c1ccccc1"]}).to_csv(inp, index=False)
    out = tmp_path / "emb.csv"
    assert main(["embed", "--run", str(trained_run), "--input", str(inp), "--output", str(out)]) == 0
    emb = pd.read_csv(out)
    assert len(emb) == 2 and emb.shape[1] == 2 + 32  # id, smiles, 32 features (mean readout of hidden 32)


class _Evil:
    def __reduce__(self):
        return (Path.touch, (Path(_Evil.marker),))


def test_a_model_file_carrying_code_is_refused_and_not_run(trained_run, tmp_path, capsys):
    import shutil

    run = tmp_path / "copy"
    shutil.copytree(trained_run, run)
    _Evil.marker = str(tmp_path / "pwned")
    with open(run / "seed_0" / "model.pt", "wb") as fh:
        pickle.dump({"state_dict": _Evil()}, fh)
    inp = tmp_path / "new.csv"
    pd.DataFrame({"smiles": ["CCO"]}).to_csv(inp, index=False)
    code = main(["predict", "--run", str(run), "--input", str(inp), "--output", str(tmp_path / "o.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "not a plain molgdl weights file" in err and "Traceback" not in err
    assert not Path(_Evil.marker).exists()
    assert torch.load(trained_run / "seed_0" / "model.pt", weights_only=True)["state_dict"]
