"""``scaling.descriptors: cdf`` end to end: the fitted quantiles are stored in the run, and ``molgdl predict``
on the run reproduces its own predictions, for a neural and a classical model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from molgdl.cli import main


def _run(tmp_path, model: dict, extra: dict) -> object:
    cfg = {
        "run": {"name": "r", "output_dir": str(tmp_path / "runs"), "seeds": [0]},
        "data": {"source": {"name": "esol", "limit": 90}, "cache_dir": str(tmp_path / "cache"), "progress": False},
        "descriptors": [{"name": "rdkit2d"}],
        "scaling": {"descriptors": "cdf"},
        "model": model, **extra,
    }
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert main(["run", str(path)]) == 0
    return tmp_path / "runs" / "r"


@pytest.mark.parametrize("kind", ["dmpnn", "random_forest"])
def test_cdf_scaling_is_stored_and_predict_reproduces_the_run(tmp_path, kind):
    if kind == "dmpnn":
        run = _run(tmp_path, {"name": "dmpnn", "hidden_dim": 16, "depth": 2},
                   {"head": {"hidden_dim": 16}, "trainer": {"max_epochs": 2, "batch_size": 16, "progress_bar": False,
                                                            "accelerator": "cpu"}})
        q = torch.load(run / "seed_0" / "model.pt", weights_only=True)["state_dict"]["x_quantiles"]
        assert q.shape[0] == 1001 and (q[1:] >= q[:-1]).all() and (q[-1] > q[0]).any()
    else:
        run = _run(tmp_path, {"name": "random_forest", "n_estimators": 10}, {})
    preds = pd.read_csv(run / "seed_0" / "predictions.csv")
    target = [c for c in preds.columns if c.endswith("_pred")][0]
    inp = tmp_path / "new.csv"
    pd.DataFrame({"smiles": preds["smiles"].head(12)}).to_csv(inp, index=False)
    out = tmp_path / "out.csv"
    assert main(["predict", "--run", str(run), "--input", str(inp), "--output", str(out)]) == 0
    got = pd.read_csv(out)[target].to_numpy()
    assert np.isfinite(got).all()
    assert got == pytest.approx(preds[target].head(12).to_numpy(), rel=1e-5, abs=1e-5)
