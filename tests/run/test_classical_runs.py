"""Classical models end to end: each trains on 150 ESOL molecules, and `molgdl predict` / `molgdl embed` on its
run give the run's own predictions and the descriptor vector the model saw; a crafted model.pkl is refused."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from molgdl.cli import main

MODELS = {
    "svm": {},
    "knn": {"n_neighbors": 3},
    "linear": {},
    "lightgbm": {"n_estimators": 60, "n_jobs": 1},
    "gp": {},
    "random_forest": {"n_estimators": 30, "n_jobs": 1},
}
N_BITS = 256


def write_config(tmp: Path, name: str, model: dict, *, source: str = "esol", descriptors=None) -> Path:
    cfg = {
        "run": {"name": name, "output_dir": str(tmp / "runs"), "seeds": [0, 1]},
        "data": {"source": {"name": source, "limit": 150}, "cache_dir": str(tmp / "cache"), "progress": False,
                 "num_workers": 1},
        "descriptors": descriptors or [{"name": "ecfp", "radius": 2, "n_bits": N_BITS, "counts": True}],
        "model": model,
    }
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("classical")
    out = {}
    for name, params in MODELS.items():
        assert main(["run", str(write_config(tmp, name, {"name": name, **params}))]) == 0
        out[name] = tmp / "runs" / name
    return out


def _run_predictions(run: Path) -> tuple[pd.DataFrame, str, np.ndarray]:
    preds = [pd.read_csv(run / f"seed_{s}" / "predictions.csv") for s in (0, 1)]
    target = [c for c in preds[0].columns if c.endswith("_pred")][0]
    return preds[0], target, (preds[0][target].to_numpy() + preds[1][target].to_numpy()) / 2


@pytest.mark.parametrize("model", list(MODELS))
def test_predict_on_a_classical_run_matches_its_predictions(runs, model, tmp_path):
    run = runs[model]
    assert all((run / f"seed_{s}" / "model.pkl").is_file() for s in (0, 1))
    assert not list(run.glob("seed_*/model.pkl.tmp"))
    first, target, mean = _run_predictions(run)
    rows = list(range(0, 150, 15))
    inp = tmp_path / "new.csv"
    pd.DataFrame({"smiles": first["smiles"].iloc[rows].tolist() + ["not_a_smiles"]}).to_csv(inp, index=False)
    out = tmp_path / "out.csv"
    assert main(["predict", "--run", str(run), "--input", str(inp), "--output", str(out)]) == 0
    got = pd.read_csv(out)
    np.testing.assert_allclose(got[target].to_numpy()[:-1], mean[rows], rtol=1e-9, atol=1e-9)
    assert pd.isna(got[target].iloc[-1]) and "parse" in str(got["error"].iloc[-1]).lower()
    assert np.std(mean) > 0.1, "predictions should vary across molecules"


def test_embed_of_a_classical_run_is_the_descriptor_vector(runs, tmp_path):
    from molgdl.data import MoleculeRecord
    from molgdl_rdkit.fingerprints import Fingerprint
    from molgdl_rdkit.params import CircularParams

    smiles = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1"]
    inp = tmp_path / "new.csv"
    pd.DataFrame({"smiles": smiles}).to_csv(inp, index=False)
    out = tmp_path / "emb.csv"
    assert main(["embed", "--run", str(runs["svm"]), "--input", str(inp), "--output", str(out)]) == 0
    emb = pd.read_csv(out)
    assert emb.shape == (3, 2 + N_BITS)
    fp = Fingerprint("ecfp", CircularParams(radius=2, n_bits=N_BITS, counts=True))
    expected = np.stack([fp.compute(MoleculeRecord(id="m", smiles=s, row=1)) for s in smiles])
    np.testing.assert_array_equal(emb.iloc[:, 2:].to_numpy(), expected)


def test_classification_run_predicts_probabilities(tmp_path):
    path = write_config(tmp_path, "bbbp_svm", {"name": "svm"}, source="bbbp")
    assert main(["run", str(path)]) == 0
    run = tmp_path / "runs" / "bbbp_svm"
    first, target, mean = _run_predictions(run)
    inp = tmp_path / "new.csv"
    first[["smiles"]].iloc[:12].to_csv(inp, index=False)
    out = tmp_path / "out.csv"
    assert main(["predict", "--run", str(run), "--input", str(inp), "--output", str(out)]) == 0
    got = pd.read_csv(out)[target].to_numpy()
    np.testing.assert_allclose(got, mean[:12], rtol=1e-9, atol=1e-12)
    assert ((got >= 0) & (got <= 1)).all()


def test_minmax_kernel_refuses_negative_descriptors_by_name(tmp_path, capsys):
    path = write_config(tmp_path, "neg", {"name": "svm"}, descriptors=[{"name": "rdkit2d"}])
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert "non-negative" in err and "rdkit2d:" in err and "kernel" in err and "Traceback" not in err


class _Evil:
    marker = ""

    def __reduce__(self):
        return (Path.touch, (Path(_Evil.marker),))


def test_a_model_pkl_carrying_code_is_refused_and_not_run(runs, tmp_path, capsys):
    import shutil

    run = tmp_path / "copy"
    shutil.copytree(runs["linear"], run)
    _Evil.marker = str(tmp_path / "pwned")
    with open(run / "seed_0" / "model.pkl", "wb") as fh:
        pickle.dump({"format": 1, "estimators": [_Evil()]}, fh)
    inp = tmp_path / "new.csv"
    pd.DataFrame({"smiles": ["CCO"]}).to_csv(inp, index=False)
    code = main(["predict", "--run", str(run), "--input", str(inp), "--output", str(tmp_path / "o.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "not a plain molgdl classical model file" in err and "Traceback" not in err
    assert not Path(_Evil.marker).exists()


def test_analysis_context_embeddings_of_a_classical_run(runs, tmp_path):
    from molgdl.predict import _featurize_input, open_run
    from molgdl.run.analysis import AnalysisContext

    inp = tmp_path / "new.csv"
    pd.DataFrame({"smiles": ["CCO", "c1ccccc1O"]}).to_csv(inp, index=False)
    res, _ = open_run(runs["knn"])
    table, graphs = _featurize_input(res, inp, ["y"], "regression")
    ctx = AnalysisContext(runs["knn"], tmp_path, table, graphs, [0, 1], res)
    emb = ctx.embeddings(1)
    assert emb.shape == (2, N_BITS)
    np.testing.assert_array_equal(emb, graphs.extra)  # fingerprints have nothing missing: imputation is a no-op


def test_a_classical_run_without_model_pkl_says_to_rerun(runs, tmp_path, capsys):
    import shutil

    run = tmp_path / "old"
    shutil.copytree(runs["random_forest"], run)
    for path in run.glob("seed_*/model.pkl"):
        path.unlink()  # as a run trained before classical models were saved
    inp = tmp_path / "new.csv"
    pd.DataFrame({"smiles": ["CCO"]}).to_csv(inp, index=False)
    assert main(["predict", "--run", str(run), "--input", str(inp), "--output", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert "model.pkl" in err and "rerun" in err and "Traceback" not in err
