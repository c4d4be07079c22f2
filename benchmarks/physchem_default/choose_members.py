"""How configs/esol.yaml's (and configs/freesolv.yaml's) members were chosen: equal-weight member sets compared
on the validation RMSE of the dataset's random 80/10/10 splits, seeds 0-4, never the test split.

Inputs: the predictions of the default D-MPNN (``dmpnn``, z-scored rdkit2d) and of the same network with
CDF-normalised descriptors (``dmpnn_cdf``) from ``benchmarks/descriptors/molnet_before_after.py`` (run folders
``.bench/descriptors/runs/<dataset>_after{,_cdf}_s<seed>``, arms ``after`` and ``after_cdf``), plus classical models
fitted here on each seed's training rows: LightGBM on rdkit2d (``lgbm_d``) and on rdkit2d + ECFP4 counts
(``lgbm_df``), a Gaussian process (``gp_d``) and an RBF SVR (``svr_d``) on standardised rdkit2d, a random forest
on rdkit2d + ECFP4 counts (``rf_df``). Every set of 1-4 members containing ``dmpnn`` is scored by the mean of
its members' predictions; ``results/choice_<dataset>.json`` keeps validation and test RMSE per set and seed.

    OMP_NUM_THREADS=1 python benchmarks/physchem_default/choose_members.py [--dataset esol|freesolv]

With ``--replicates R`` (round 2, ESOL): the neural candidates are ``R`` replicates of the default D-MPNN that
differ only in ``trainer.init_seed_offset`` (0..R-1; offset 0 is ``dmpnn``), trained here when missing
(``molgdl run configs/<dataset>_dmpnn.yaml``, run folders under ``.bench/physchem_default/candidates``), on
the seeds given by ``--seeds``. A member set is then the first ``n`` replicates (``dmpnn*n``, n = 1..R)
plus 0-3 of the classical candidates; the record is ``results/choice_<dataset>_replicates.json``.

    OMP_NUM_THREADS=1 python benchmarks/physchem_default/choose_members.py --dataset esol --replicates 5 \
        --seeds 0 1 2 3 4 5 6 7 8 9
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RUNS = ROOT / ".bench" / "descriptors" / "runs"
CANDIDATES = ROOT / ".bench" / "physchem_default" / "candidates"
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import molgdl_command  # noqa: E402


def rdkit2d(mols) -> np.ndarray:
    from molgdl_rdkit.descriptors import RDKit2DDescriptors
    from molgdl.data.table import MoleculeRecord  # noqa: F401  (record type of compute)

    d = RDKit2DDescriptors()
    out = []
    for m in mols:
        v = []
        for f in d._callables():
            try:
                v.append(float(f(m)))
            except Exception:  # noqa: BLE001 - as RDKit2DDescriptors.compute
                v.append(np.nan)
        out.append(v)
    X = np.array(out)
    X[~np.isfinite(X)] = np.nan
    return X


def classical(seed: int):
    from molgdl_models.boosting import LightGBMRegressor
    from molgdl_models.gaussian_process import GaussianProcessRegression
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVR

    return {
        "lgbm_d": (make_pipeline(SimpleImputer(), LightGBMRegressor(n_jobs=1, random_state=seed)), "d"),
        "lgbm_df": (make_pipeline(SimpleImputer(), LightGBMRegressor(n_jobs=1, random_state=seed)), "df"),
        "gp_d": (make_pipeline(SimpleImputer(), GaussianProcessRegression(random_state=seed)), "d"),
        "svr_d": (make_pipeline(SimpleImputer(), StandardScaler(), SVR(C=5.0, epsilon=0.05)), "d"),
        "rf_df": (make_pipeline(SimpleImputer(), RandomForestRegressor(300, n_jobs=1, random_state=seed)), "df"),
    }


def replicate_predictions(dataset: str, seed: int, replicates: int) -> dict[str, pd.DataFrame]:
    """predictions.csv of D-MPNN replicates ``dmpnn`` (offset 0), ``dmpnn_r1``.. on ``seed``'s split, trained
    here when their run folder has none."""
    frames = {}
    for k in range(replicates):
        name = f"{dataset}_dmpnn_o{k}_s{seed}"
        pred = CANDIDATES / name / f"seed_{seed}" / "predictions.csv"
        if not pred.exists():
            cmd = molgdl_command(ROOT / "configs" / f"{dataset}_dmpnn.yaml", [
                f"run.seeds=[{seed}]", f"run.name={name}", f"run.output_dir={CANDIDATES}",
                f"trainer.init_seed_offset={k}", "data.progress=false", "trainer.progress_bar=false"])
            proc = subprocess.run(cmd + ["--overwrite"], cwd=ROOT, capture_output=True, text=True)
            if proc.returncode != 0:
                sys.exit(f"{name}: molgdl run failed\n{proc.stdout[-2000:]}{proc.stderr[-3000:]}")
        frames["dmpnn" if k == 0 else f"dmpnn_r{k}"] = pd.read_csv(pred)
    return frames


def member_sets(others: list[str], replicates: int) -> list[tuple[str, ...]]:
    """Round 1 (replicates 0): ``dmpnn`` plus 0-3 of ``others``. Round 2: the first n D-MPNN replicates plus
    0-3 of the classical candidates."""
    if not replicates:
        return [("dmpnn", *c) for k in range(4) for c in itertools.combinations(others, k)]
    neural = ["dmpnn"] + [f"dmpnn_r{k}" for k in range(1, replicates)]
    classical_names = [o for o in others if o not in neural]
    return [(*neural[:n], *c) for n in range(1, replicates + 1) for k in range(4)
            for c in itertools.combinations(classical_names, k)]


def set_name(members: tuple[str, ...]) -> str:
    n = sum(m.startswith("dmpnn_r") for m in members)
    rest = [m for m in members if not m.startswith("dmpnn_r")]
    return "+".join([f"dmpnn*{n + 1}" if n else rest[0], *rest[1:]])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="esol", choices=["esol", "freesolv"])
    ap.add_argument("--replicates", type=int, default=0, help="round 2: D-MPNN replicates as candidates")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    args = ap.parse_args()
    dataset = args.dataset
    from rdkit import Chem, RDLogger
    from rdkit.Chem import rdFingerprintGenerator

    RDLogger.DisableLog("rdApp.*")
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    rows, feats = [], {}
    for seed in args.seeds:
        if args.replicates:
            frames = replicate_predictions(dataset, seed, args.replicates)
        else:
            dirs = {"dmpnn": RUNS / f"{dataset}_after_s{seed}", "dmpnn_cdf": RUNS / f"{dataset}_after_cdf_s{seed}"}
            if not all(d.exists() for d in dirs.values()):
                sys.exit(f"missing {dirs}: run benchmarks/descriptors/molnet_before_after.py first")
            frames = {k: pd.read_csv(d / f"seed_{seed}" / "predictions.csv") for k, d in dirs.items()}
        p = frames["dmpnn"]
        assert all((f["smiles"] == p["smiles"]).all() and (f["split"] == p["split"]).all() for f in frames.values())
        pred_col = next(c for c in p.columns if c.endswith("_pred"))
        y = p[pred_col[: -len("_pred")]].to_numpy()
        preds = {k: f[pred_col].to_numpy() for k, f in frames.items()}
        if "d" not in feats:
            mols = [Chem.MolFromSmiles(s) for s in p["smiles"]]
            feats["d"] = rdkit2d(mols)
            feats["df"] = np.hstack([feats["d"], np.stack([gen.GetCountFingerprintAsNumPy(m) for m in mols])])
        masks = {s: (p["split"] == s).to_numpy() for s in ("train", "val", "test")}
        for name, (est, key) in classical(seed).items():
            preds[name] = est.fit(feats[key][masks["train"]], y[masks["train"]]).predict(feats[key])
        for members in member_sets([n for n in preds if n != "dmpnn"], args.replicates):
            mean = np.mean([preds[m] for m in members], axis=0)
            rows.append({"seed": seed, "members": set_name(members),
                         **{s: float(np.sqrt(np.mean((mean[masks[s]] - y[masks[s]]) ** 2)))
                            for s in ("val", "test")}})
        print(f"seed {seed}: {len(rows)} rows", flush=True)
    (HERE / "results").mkdir(exist_ok=True)
    command = f"OMP_NUM_THREADS=1 python benchmarks/physchem_default/choose_members.py --dataset {dataset}"
    if args.replicates:
        command += f" --replicates {args.replicates} --seeds {' '.join(map(str, args.seeds))}"
    suffix = "_replicates" if args.replicates else ""
    (HERE / "results" / f"choice_{dataset}{suffix}.json").write_text(json.dumps({"command": command, "rows": rows},
                                                                        indent=0) + "\n")
    df = pd.DataFrame(rows).groupby("members")[["val", "test"]].mean().sort_values("val")
    print(df.head(10).round(3))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
