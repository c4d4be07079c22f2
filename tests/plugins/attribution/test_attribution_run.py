"""The attribution analysis in `molgdl run` and on a finished run, and the ``attribute`` call, on tiny ESOL
runs: the files it writes, the identities its numbers must satisfy, and the messages for what it cannot do."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from molgdl.errors import ConfigError

from attribution_helpers import run_yaml

PNG = b"\x89PNG\r\n\x1a\n"


def run_config(root: Path, name: str, **sections) -> Path:
    cfg = {
        "run": {"name": name, "output_dir": str(root / "runs"), "seeds": [0]},
        "data": {"source": {"name": "esol", "limit": 60}, "progress": False, "num_workers": 1},
        "featurizer": {"name": "graph2d"},
        "trainer": {"max_epochs": 2, "batch_size": 20, "progress_bar": False, "accelerator": "cpu",
                    "early_stopping": None, "num_threads": 1},
        **sections,
    }
    return run_yaml(root, cfg)


@pytest.fixture(scope="module")
def graph_run(tmp_path_factory) -> Path:
    return run_config(tmp_path_factory.mktemp("graph"), "graph",
                      model={"name": "dmpnn", "hidden_dim": 12, "depth": 2}, head={"hidden_dim": 12},
                      analyses=[{"name": "attribution", "methods": ["integrated_gradients", "occlusion"],
                                 "n_draw": 3, "min_molecules": 1, "steps": 32}])


@pytest.fixture(scope="module")
def forest_run(tmp_path_factory) -> Path:
    return run_config(tmp_path_factory.mktemp("forest"), "forest",
                      model={"name": "random_forest", "n_estimators": 20, "n_jobs": 1},
                      descriptors=[{"name": "ecfp", "radius": 2, "n_bits": 1024, "counts": True},
                                   {"name": "rdkit2d"}],
                      analyses=[{"name": "attribution", "background": 4, "permutations": 2, "n_draw": 2,
                                 "min_molecules": 1}])


def test_config_analysis_writes_every_file(graph_run):
    out = graph_run / "analyses" / "attribution"
    summary = json.loads((graph_run / "summary.json").read_text())["analyses"]["attribution"]
    test_rows = json.loads((graph_run / "seed_0" / "split.json").read_text())["test"]
    target = summary["target"]
    assert summary["n_molecules"] == len(test_rows) and target.startswith("measured log solubility")
    for method in ("integrated_gradients", "occlusion"):
        info = summary["methods"][method]
        for name in info["files"]:
            assert (out / name).exists(), name
        assert (out / f"{method}_molecules.png").read_bytes()[:8] == PNG
        assert (out / f"{method}_substructures.png").read_bytes()[:8] == PNG
        assert len(list((out / f"{method}_molecules").glob("*.svg"))) == info["n_drawn"] == 3
        atoms = pd.read_csv(out / f"{method}_atoms.csv")
        mols = pd.read_csv(out / f"{method}_molecules.csv")
        assert len(mols) == len(test_rows) and len(atoms) == info["n_atoms"] == mols["n_atoms"].sum()
        # atom order is RDKit's: the element column matches the SMILES atom by atom
        from rdkit import Chem

        for smiles, group in atoms.groupby("smiles"):
            assert group["element"].tolist() == [a.GetSymbol() for a in Chem.MolFromSmiles(smiles).GetAtoms()]
        assert (atoms.groupby("position")["rank"].min() == 1).all()
        # the predictions explained are the run's own test predictions
        pred = pd.read_csv(graph_run / "seed_0" / "predictions.csv").set_index("smiles")[f"{target}_pred"]
        np.testing.assert_allclose(mols["prediction"], pred.loc[mols["smiles"]].to_numpy(), atol=0.01)
        subs = pd.read_csv(out / f"{method}_substructures.csv")
        assert len(subs) and subs["mean"].is_monotonic_decreasing
    ig = summary["methods"]["integrated_gradients"]
    assert ig["completeness_gap_relative"] < 0.05  # atom scores add up to prediction - baseline prediction


def test_forest_analysis_maps_fingerprint_bits_and_reports_the_rest(forest_run):
    out = forest_run / "analyses" / "attribution"
    info = json.loads((forest_run / "summary.json").read_text())["analyses"]["attribution"]["methods"]
    shap = info["permutation_shap"]
    assert "'rdkit2d' have no atom mapping" in shap["note"] and shap["background_molecules"] == 4
    mols = pd.read_csv(out / "permutation_shap_molecules.csv")
    # efficiency: atoms + absent bits + rdkit2d columns = prediction - mean background prediction, exactly
    np.testing.assert_allclose(mols["on_atoms"] + mols["absent"] + mols["unmapped"],
                               mols["prediction"] - mols["reference"], atol=1e-9)
    assert (mols["off_atoms"] == mols["absent"] + mols["unmapped"]).all()
    features = pd.read_csv(out / "permutation_shap_features.csv")
    assert set(features["descriptor_set"]) <= {"ecfp", "rdkit2d"}
    assert not features.loc[features["descriptor_set"] == "rdkit2d", "atom_mapped"].any()
    assert features["mean_abs"].is_monotonic_decreasing
    assert (out / "permutation_shap_molecules.png").read_bytes()[:8] == PNG


def test_descriptor_set_without_atom_mapping_gets_a_clear_message(tmp_path):
    from molgdl_attribution import attribute

    run = run_config(tmp_path, "rdkit2d", model={"name": "random_forest", "n_estimators": 10, "n_jobs": 1},
                     descriptors=[{"name": "rdkit2d"}],
                     analyses=[{"name": "attribution", "background": 2, "permutations": 2}])
    methods = json.loads((run / "summary.json").read_text())["analyses"]["attribution"]["methods"]
    info = methods["permutation_shap"]
    assert "'rdkit2d' have no atom mapping" in info["note"]
    assert info["files"] == ["permutation_shap_features.csv"]
    assert (run / "analyses" / "attribution" / "permutation_shap_features.csv").is_file()
    with pytest.raises(ConfigError, match="'rdkit2d' have no atom mapping") as exc:
        attribute(run, ["CCO"])
    assert "ecfp" in exc.value.hint


def test_attribute_new_molecules(graph_run):
    from molgdl_attribution import Attributions, attribute

    smiles = ["CC(=O)Nc1ccccc1", "not a smiles", "CCO"]
    ig = attribute(graph_run, smiles, steps=64)
    assert isinstance(ig, Attributions) and ig.method == "integrated_gradients"
    assert ig.molecules.loc[1, "error"] and ig.molecules.loc[0, "error"] == ""
    assert ig.atoms.groupby("molecule").size().to_dict() == {0: 10, 2: 3}
    ok = ig.molecules.drop(index=1)
    np.testing.assert_allclose(ok["on_atoms"] + ok["off_atoms"], ok["prediction"] - ok["reference"],
                               atol=1e-6)
    assert (ok["off_atoms"].abs() <= 0.05 * (ok["prediction"] - ok["reference"]).abs() + 1e-4).all()
    svg = ig.draw(0)
    assert "<svg" in getattr(svg, "data", svg)
    with pytest.raises(Exception, match="no attributions to draw"):
        ig.draw(1)
    assert {"substructure", "mean", "n_molecules"} <= set(ig.substructures().columns)
    assert "<table" in ig._repr_html_()

    occ = attribute(graph_run, ["CC(=O)Nc1ccccc1"], method="occlusion", occlusion="bonds")
    assert len(occ.atoms) == 10 and occ.molecules["reference"].isna().all()
    with pytest.raises(ConfigError, match="descriptor"):
        attribute(graph_run, ["CCO"], method="permutation_shap")
    with pytest.raises(ConfigError, match="steps"):
        attribute(graph_run, ["CCO"], steps=1)
    with pytest.raises(ConfigError, match="targets"):
        attribute(graph_run, ["CCO"], target="logP")


def test_attribute_a_forest_run_and_the_api_analysis(forest_run):
    from molgdl_attribution import attribute

    shap = attribute(forest_run, ["CC(=O)Nc1ccccc1", "c1ccccc1O"], background=4, permutations=4)
    assert shap.method == "permutation_shap"
    assert set(shap.features.columns) == {"molecule", "feature", "attribution"}
    m = shap.molecules
    np.testing.assert_allclose(m["on_atoms"] + m["absent"] + m["unmapped"], m["prediction"] - m["reference"],
                               atol=1e-9)
    api = pytest.importorskip("molgdl.api")
    run = api.open_run(forest_run)
    again = attribute(run, ["CCO"], background=2, permutations=2)  # a Run object is accepted too
    assert len(again.atoms) == 3
    result = run.analyse("attribution", max_molecules=3, background=2, permutations=2, n_draw=1)
    assert result["methods"]["permutation_shap"]["n_molecules"] == 3
    assert "permutation_shap_substructures" in result.table_names
    with pytest.raises(ConfigError, match="needs a graph model"):
        run.analyse("attribution", methods=["occlusion"])


def test_docstring_examples_run(graph_run):
    import doctest

    import molgdl_attribution.api as module

    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    for test in finder.find(module, "molgdl_attribution.api", extraglobs={"run_dir": graph_run,
                                                                          "attribute": module.attribute}):
        runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)
    assert result.attempted >= 8
