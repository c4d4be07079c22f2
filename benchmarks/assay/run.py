"""MoleculeACE assay benchmark (issue 16, deliverable 6): the ten bundled MoleculeACE sets, their own
train/test split, test RMSE and cliff RMSE per set x arm x seed, one JSON record per run under
``results/<arm>/``.

Arms (``--arms``; run in this order, each over the sets smallest first):
  svr_tanimoto, knn_tanimoto, lightgbm, rf  direct peers (scikit-learn / LightGBM, ``peers.py``) on ECFP4
  molgdl_svm, molgdl_knn, molgdl_lightgbm, molgdl_linear
                                            molgdl's fingerprint models through ``python -m molgdl run``:
                                            configs/moleculeace_rf.yaml with only ``model`` replaced
                                            (registered defaults, no search); skipped when not
                                            registered
  molgdl_rf_config                          configs/moleculeace_rf.yaml as it stands (model.n_jobs=1)
  chemprop                                  chemprop 2.3.1 defaults in .bench/chemprop-venv
                                            (benchmarks/peers/setup_chemprop.sh), a fixed 10 % of train
                                            (rng seed 0) as validation, the same test split
  assay_preset                              molgdl's assay preset (members stacked by inner CV on training
                                            molecules only): runs only with --assay-preset-config
                                            configs/assay_preset.yaml

    OMP_NUM_THREADS=1 python benchmarks/assay/run.py                       # everything missing, seeds 0-4
    OMP_NUM_THREADS=1 python benchmarks/assay/run.py --arms chemprop --sets CHEMBL2047_EC50 --seeds 0
    OMP_NUM_THREADS=1 python benchmarks/assay/run.py --quick               # smoke: 2 sets, small, .bench/
    python benchmarks/assay/report.py                                      # BENCHMARKS.md from results/

A record that exists is not rerun (``--force`` reruns). Deterministic arms (SVR, k-NN) run once, as seed 0.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "benchmarks"))
import data  # noqa: E402
from common import BENCH_DIR, CHEMPROP_PY  # noqa: E402
from fingerprints import ecfp4  # noqa: E402
from peers import PEERS, inputs, search  # noqa: E402

RESULTS = HERE / "results"
RF_CONFIG = "configs/moleculeace_rf.yaml"
MOLGDL_MODELS = {  # arm -> model block replacing the config's random forest (registered defaults)
    "molgdl_svm": ("svm", "{name: svm, kernel: tanimoto}"),
    "molgdl_knn": ("knn", "{name: knn, metric: minmax}"),
    "molgdl_lightgbm": ("lightgbm", "{name: lightgbm, n_jobs: 1}"),
    "molgdl_linear": ("linear", "{name: linear}"),
}
ARMS = ["svr_tanimoto", "knn_tanimoto", "lightgbm", "rf", *MOLGDL_MODELS, "molgdl_rf_config", "chemprop",
        "assay_preset"]
DEFAULT_ARMS = [a for a in ARMS if a not in ("chemprop", "assay_preset")]
CHEMPROP_VAL_SEED = 0


def versions(*dists: str) -> dict[str, str]:
    out = {"python": platform.python_version()}
    for d in dists:
        try:
            out[d] = metadata.version(d)
        except metadata.PackageNotFoundError:
            out[d] = "not installed"
    return out


def git_commit() -> str:
    proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return proc.stdout.strip() or "unknown"


class Store:
    """``<dir>/<arm>/<set>__s<seed>.json``: one record per run."""

    def __init__(self, root: Path, force: bool) -> None:
        self.root, self.force = root, force

    def path(self, arm: str, name: str, seed: int) -> Path:
        return self.root / arm / f"{name}__s{seed}.json"

    def todo(self, arm: str, name: str, seeds: list[int]) -> list[int]:
        return [s for s in seeds if self.force or not self.path(arm, name, s).exists()]

    def write(self, record: dict) -> None:
        p = self.path(record["arm"], record["set"], record["seed"])
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        print(f"{record['set']:16s} {record['arm']:18s} s{record['seed']}  "
              f"test RMSE {record['test_rmse']:.3f}  "
              f"cliff RMSE {record['cliff_rmse']:.3f}  {record['wall_s']:.1f}s", flush=True)


def base_record(arm: str, s: data.AssaySet, seed: int, sc: dict, wall_s: float, command: str, vers: dict,
                **extra) -> dict:
    return {"arm": arm, "set": s.name, "seed": seed, **sc, "wall_s": round(wall_s, 2), "command": command,
            "versions": vers, "commit": git_commit(), "threads": os.environ.get("OMP_NUM_THREADS", "unset"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores", **extra}


# ---------------------------------------------------------------------------------------------- direct peers
def run_peer(arm: str, s: data.AssaySet, seeds: list[int], store: Store, quick: bool, cmd: str) -> None:
    peer = PEERS[arm]
    seeds = [0] if peer.deterministic else seeds
    todo = store.todo(arm, s.name, seeds)
    if not todo:
        return
    X = ecfp4(s.smiles)
    t0 = time.perf_counter()
    Z_train, Z_test = inputs(peer, X[s.train], X[s.test])
    grid = peer.grid[:2] if quick else peer.grid
    best, cv_rmse = search(peer, Z_train, s.y[s.train], grid, folds=3 if quick else 5)
    search_s = time.perf_counter() - t0
    vers = versions("numpy", "scikit-learn", "lightgbm", "rdkit")
    for seed in todo:
        t0 = time.perf_counter()
        model = peer.make(best, seed).fit(Z_train, s.y[s.train])
        pred = model.predict(Z_test)
        wall = time.perf_counter() - t0
        store.write(base_record(
            arm, s, seed, data.scores(s, pred), wall, cmd, vers, label=peer.label,
            deterministic=peer.deterministic, params=best, fixed=peer.fixed,
            search={"grid": grid, "cv_rmse": cv_rmse, "folds": 3 if quick else 5, "fold_seed": 0,
                    "model_seed": 0, "seconds": round(search_s, 2), "once_per_set": True},
            wall_note="wall_s: refit on the whole training split + test prediction (search excluded)"))


# ---------------------------------------------------------------------------------------------- molgdl arms
def registered_models() -> set[str]:
    proc = subprocess.run([sys.executable, "-m", "molgdl", "components", "--kind", "model", "--json"],
                          cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-2000:])
        return set()
    return {r["name"] for r in json.loads(proc.stdout).get("model", [])}


def run_molgdl(arm: str, s: data.AssaySet, seeds: list[int], store: Store, quick: bool, work: Path,
               config: str = RF_CONFIG, model: str | None = None) -> None:
    todo = store.todo(arm, s.name, seeds)
    if not todo:
        return
    name = f"{arm}_{s.name}"
    sets = [f"run.name={name}", f"run.output_dir={work / 'runs'}", f"run.seeds=[{', '.join(map(str, todo))}]",
            f"data.source.set={s.name}"]
    if model:
        sets.append(f"model={model}")
    elif arm == "molgdl_rf_config":
        sets.append("model.n_jobs=1")
    if quick and arm == "molgdl_rf_config":
        sets.append("model={name: random_forest, n_estimators: 50, n_jobs: 1}")
    cmd = [sys.executable, "-m", "molgdl", "run", config, "--overwrite"]
    cmd += [a for x in sets for a in ("--set", x)]
    shown = "python -m molgdl run " + config + " --overwrite " + " ".join(
        f"--set {shlex.quote(x.replace(str(work), '.bench/assay'))}" for x in sets)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    run_dir = work / "runs" / name
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-1500:] + proc.stderr[-2500:])
        print(f"{s.name} {arm}: molgdl run failed ({proc.returncode}); see above", flush=True)
        return
    vfile = run_dir / "versions.json"
    vers = json.loads(vfile.read_text()).get("packages", {}) if vfile.exists() else versions("molgdl")
    for seed in todo:
        m = json.loads((run_dir / f"seed_{seed}" / "metrics.json").read_text())
        test = m["metrics"]["test"]["overall"]
        pred = _molgdl_predictions(run_dir / f"seed_{seed}" / "predictions.csv", s)
        sc = data.scores(s, pred) if pred is not None else {}
        if pred is not None and abs(sc["test_rmse"] - test["rmse"]) > 1e-6:
            print(f"warning: {name} seed {seed}: RMSE from predictions.csv {sc['test_rmse']:.6f} != "
                  f"metrics.json {test['rmse']:.6f}", flush=True)
        store.write(base_record(
            arm, s, seed, {"test_rmse": test["rmse"], "cliff_rmse": test["cliff_rmse"],
                           "n_train": m["split_sizes"]["train"], "n_val": m["split_sizes"]["val"],
                           "n_test": m["split_sizes"]["test"],
                           "n_test_cliff": int((s.cliff[s.test] == 1).sum())},
            wall / len(todo), shown, vers, label=arm, deterministic=False, params=model or "config",
            train_seconds=m.get("train_seconds"), rmse_rechecked_from_predictions=pred is not None,
            wall_note=f"wall_s: the whole molgdl run ({wall:.1f} s, {len(todo)} seeds, featurization "
                      "included) divided by its seeds"))


def _molgdl_predictions(path: Path, s: data.AssaySet) -> np.ndarray | None:
    """Test predictions in test-row order from a run's predictions.csv, or None when its layout is unknown
    (the record then keeps metrics.json's numbers, which are authoritative)."""
    import csv

    if not path.exists():
        return None
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    cols = rows[0].keys() if rows else []
    pcol = next((c for c in cols if c.endswith("_pred")), None)
    if pcol is None or "split" not in cols or "smiles" not in cols:
        return None
    by_smiles = {r["smiles"]: float(r[pcol]) for r in rows if r["split"] == "test"}
    try:
        return np.array([by_smiles[s.smiles[i]] for i in s.test])
    except KeyError:
        return None


# ---------------------------------------------------------------------------------------------- chemprop
def run_chemprop(s: data.AssaySet, seeds: list[int], store: Store, quick: bool, work: Path) -> None:
    import csv

    todo = store.todo("chemprop", s.name, seeds)
    if not todo:
        return
    if not CHEMPROP_PY.exists():
        print("chemprop: no venv; run `bash benchmarks/peers/setup_chemprop.sh` first", flush=True)
        return
    rng = np.random.default_rng(CHEMPROP_VAL_SEED)  # molgdl's ColumnSplitter with val_seed=0, the same draw
    train = rng.permutation(s.train)
    n_val = max(1, int(round(0.1 * len(train))))
    split = {"train": sorted(map(int, train[n_val:])), "val": sorted(map(int, train[:n_val])),
             "test": [int(i) for i in s.test]}
    out_root = work / "chemprop" / s.name
    out_root.mkdir(parents=True, exist_ok=True)
    split_file = out_root / "split.json"
    split_file.write_text(json.dumps(split))
    epochs = 5 if quick else 50
    vers = json.loads(subprocess.run(
        [str(CHEMPROP_PY), "-c", "import json, chemprop, torch, rdkit, lightning; print(json.dumps("
         "{'chemprop': chemprop.__version__, 'torch': torch.__version__, 'rdkit': rdkit.__version__, "
         "'lightning': lightning.__version__}))"],
        capture_output=True, text=True).stdout.strip().splitlines()[-1])
    for seed in todo:
        out = out_root / f"seed_{seed}"
        cmd = [str(CHEMPROP_PY), str(ROOT / "benchmarks/peers/chemprop_runner.py"), "--data", str(s.path),
               "--smiles-column", "smiles", "--target-column", "y", "--split-json", str(split_file), "--seed",
               str(seed), "--epochs", str(epochs), "--out", str(out), "--accelerator", "cpu",
               "--threads", "1"]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-2500:])
            print(f"{s.name} chemprop seed {seed}: failed", flush=True)
            continue
        runner = json.loads(proc.stdout.strip().splitlines()[-1])
        with open(out / "chemprop" / "model_0" / "test_predictions.csv", newline="") as fh:
            rows = list(csv.reader(fh))[1:]
        pred = np.array([float(r[-1]) for r in rows])  # test-index order, checked by the runner
        sc = data.scores(s, pred)
        if abs(sc["test_rmse"] - runner["test_rmse"]) > 1e-6:
            raise RuntimeError(f"chemprop {s.name} seed {seed}: RMSE {sc['test_rmse']} != runner's "
                               f"{runner['test_rmse']}")
        shown = " ".join(shlex.quote(c.replace(str(work), ".bench/assay").replace(str(ROOT) + "/", ""))
                         for c in cmd)
        store.write(base_record("chemprop", s, seed, {**sc, "n_train": len(split["train"]),
                                                      "n_val": len(split["val"])}, wall, shown, vers,
                                label="chemprop 2.3.1 defaults", deterministic=False, epochs=epochs,
                                peak_rss_mb=runner["peak_rss_mb"], val_seed=CHEMPROP_VAL_SEED,
                                wall_note="wall_s: the whole chemprop_runner.py process"))


# ---------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arms", nargs="+", default=None, choices=ARMS, help=f"default: {DEFAULT_ARMS}")
    p.add_argument("--sets", nargs="+", default=data.SETS, choices=data.SETS)
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    p.add_argument("--quick", action="store_true", help="smoke run: the 2 smallest sets, seed 0, 2-setting "
                   "grids with 3 folds, 5 chemprop epochs, records under .bench/assay_quick/results")
    p.add_argument("--results", type=Path, default=None, help=f"records folder (default {RESULTS})")
    p.add_argument("--force", action="store_true", help="rerun records that exist")
    p.add_argument("--assay-preset-config", type=Path, default=None,
                   help="SLOT for molgdl's assay preset (issue 16 deliverable 2, not written yet): a "
                        "config that picks the model by inner CV on the training split; run like the other "
                        "molgdl arms")
    args = p.parse_args(argv)

    arms = args.arms or DEFAULT_ARMS
    sets = data.by_size(args.sets)
    seeds = args.seeds
    work = BENCH_DIR / ("assay_quick" if args.quick else "assay")
    if args.quick:
        sets, seeds = data.by_size(args.sets)[:2], [0]
    store = Store(args.results or (work / "results" if args.quick else RESULTS), args.force)
    work.mkdir(parents=True, exist_ok=True)
    registered = registered_models() if any(a in MOLGDL_MODELS for a in arms) else set()
    for arm in arms:
        cmd = ("OMP_NUM_THREADS=1 python benchmarks/assay/run.py --arms " + arm + " --sets " + " ".join(sets)
               + " --seeds " + " ".join(map(str, seeds)) + (" --quick" if args.quick else ""))
        for name in sets:
            s = data.load(name)
            if arm in PEERS:
                run_peer(arm, s, seeds, store, args.quick, cmd)
            elif arm in MOLGDL_MODELS:
                if MOLGDL_MODELS[arm][0] not in registered:
                    print(f"{arm}: model {MOLGDL_MODELS[arm][0]!r} is not registered in molgdl; skipped",
                          flush=True)
                    break
                run_molgdl(arm, s, seeds, store, args.quick, work, model=MOLGDL_MODELS[arm][1])
            elif arm == "molgdl_rf_config":
                run_molgdl(arm, s, seeds, store, args.quick, work)
            elif arm == "chemprop":
                run_chemprop(s, seeds, store, args.quick, work)
            elif arm == "assay_preset":
                if args.assay_preset_config is None:
                    print("assay_preset: molgdl's assay preset does not exist yet (issue 16 deliverable 2); "
                          "pass --assay-preset-config PATH once it does. Skipped.", flush=True)
                    break
                run_molgdl(arm, s, seeds, store, args.quick, work, config=str(args.assay_preset_config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
