"""Defaults of the classical models (svm, knn, lightgbm, linear) on three bundled MoleculeACE sets.

Each model is fitted on the set's own training molecules (all of them) and scored by test RMSE in
-log10(K/nM), on ECFP4 (radius 2, 2,048) bits or counts. Writes ``results.json`` next to this file and prints
a markdown table generated from it (the table in docs/fingerprint-models.md).

    OMP_NUM_THREADS=1 python benchmarks/classical_defaults/probe.py      # about 5 minutes on one core
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import molgdl_datasets
from molgdl.data import MoleculeRecord
from molgdl_models.boosting import LightGBMRegressor
from molgdl_models.kernel_knn import KernelKNNRegressor
from molgdl_models.kernel_svm import KernelSVR
from molgdl_models.linear import StandardizedRidge
from molgdl_rdkit.fingerprints import Fingerprint
from molgdl_rdkit.params import CircularParams

SETS = ("CHEMBL1862_Ki", "CHEMBL204_Ki", "CHEMBL236_Ki")
DATA = Path(molgdl_datasets.__file__).parent / "data"
OUT = Path(__file__).with_name("results.json")


def candidates():
    """(row label, fingerprint counts?, estimator factory)."""
    for C in (1.0, 5.0, 10.0):
        yield f"svm minmax counts C={C:g}", True, lambda C=C: KernelSVR(kernel="minmax", C=C)
        yield f"svm tanimoto bits C={C:g}", False, lambda C=C: KernelSVR(kernel="tanimoto", C=C)
    for k in (3, 5, 10):
        for w in ("similarity", "uniform"):
            yield f"knn k={k} {w}", True, lambda k=k, w=w: KernelKNNRegressor(n_neighbors=k, weights=w)
    yield "lightgbm molgdl defaults", True, lambda: LightGBMRegressor(n_jobs=1, random_state=0)
    yield "lightgbm LightGBM defaults", True, lambda: LightGBMRegressor(
        n_estimators=100, learning_rate=0.1, min_child_samples=20, subsample=1.0, colsample_bytree=1.0,
        reg_lambda=0.0, n_jobs=1, random_state=0)
    yield "linear (ridge, alpha by LOO)", True, lambda: StandardizedRidge()


def main() -> None:
    warnings.simplefilter("ignore")
    results: dict[str, dict[str, float]] = {}
    for name in SETS:
        df = pd.read_csv(DATA / f"moleculeace_{name}.csv")
        records = [MoleculeRecord(id=str(i), smiles=s, row=i + 2) for i, s in enumerate(df["smiles"])]
        X = {c: np.stack([Fingerprint("ecfp", CircularParams(counts=c)).compute(r) for r in records])
             for c in (False, True)}
        train, test = (df["split"] == "train").to_numpy(), (df["split"] == "test").to_numpy()
        y = df["y"].to_numpy()
        for label, counts, make in candidates():
            pred = make().fit(X[counts][train], y[train]).predict(X[counts][test])
            results.setdefault(label, {})[name] = float(np.sqrt(np.mean((pred - y[test]) ** 2)))
        print(name, "done", file=sys.stderr, flush=True)
    OUT.write_text(json.dumps(results, indent=1))
    print("| model | " + " | ".join(SETS) + " | mean |\n| --- |" + " --- |" * (len(SETS) + 1))
    for label, row in results.items():
        values = [row[s] for s in SETS]
        print(f"| {label} | " + " | ".join(f"{v:.3f}" for v in values) + f" | {np.mean(values):.3f} |")


if __name__ == "__main__":
    main()
