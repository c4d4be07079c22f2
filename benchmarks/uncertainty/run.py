"""Uncertainty benchmark (issue 18): every molgdl estimator and chemprop 2.3.1's uncertainty methods on the same
splits; raw per-molecule results in ``benchmarks/uncertainty/results/<set>__<split>__s<seed>.json``, turned into
the BENCHMARKS.md section by ``report.py`` (all metrics and calibrations are computed there, from these files).

    OMP_NUM_THREADS=1 python benchmarks/uncertainty/run.py            # ESOL, Lipo (random + scaffold), 10 MoleculeACE
    OMP_NUM_THREADS=1 python benchmarks/uncertainty/run.py --quick    # ESOL (300 molecules), few epochs: a smoke run
    python benchmarks/uncertainty/report.py

Per (set, split, seed), molgdl trains a D-MPNN (300 x 3, mean readout, noam schedule, 50 epochs: chemprop's
defaults) for each estimator: ensemble (5 members), mve, evidential, mc_dropout (head dropout 0.1, 20 passes) and
langevin (one QAdam chain as long as the whole ensemble: 5 x 50 epochs, 10 snapshots in its second half: equal
training cost). Each is run with the zscaling calibrator, whose stored scale gives back the raw spread. chemprop
gets the same split (``chemprop_uq.py``). Existing result files are kept (delete one to rerun it).

A cell (set, split, seed) takes from 40 min to several hours on one core. Each finished arm is written at once to
``results/partial/<set>__<split>__s<seed>/`` (commit it: a later run, on any machine, goes on from there), so a
killed cell loses at most the arm it was training; with ``--work DIR`` (a folder that survives, e.g. under
``.bench/``) that arm's ``molgdl run`` also resumes from its last checkpoint. The partial folder is removed once
the cell's result file is written.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from common import CHEMPROP_PY, ROOT, machine  # noqa: E402

RESULTS = HERE / "results"
MOLECULEACE = ["CHEMBL1862_Ki", "CHEMBL2047_EC50", "CHEMBL204_Ki", "CHEMBL214_Ki", "CHEMBL218_EC50",
               "CHEMBL228_Ki", "CHEMBL236_Ki", "CHEMBL262_Ki", "CHEMBL287_Ki", "CHEMBL4203_Ki"]


def benchmark_sets(quick: bool) -> list[tuple[str, dict, str]]:
    """(set name, data source, split) of the benchmark."""
    if quick:
        return [("esol", {"name": "esol", "limit": 300}, "random")]
    sets = [(n, {"name": n}, s) for n in ("esol", "lipo") for s in ("random", "scaffold")]
    return sets + [(m, {"name": "moleculeace", "set": m}, "random") for m in MOLECULEACE]


def settings(quick: bool) -> dict:
    if quick:
        return {"epochs": 6, "members": 3, "hidden": 64, "passes": 8, "snapshots": 4}
    return {"epochs": 50, "members": 5, "hidden": 300, "passes": 20, "snapshots": 10}


def estimator_arms(s: dict) -> dict[str, dict]:
    """Arm name -> (uncertainty estimator, config changes)."""
    langevin_opt = {"name": "qadam", "lr": 0.001, "eta": 8192.0, "b": 2, "h0": 0, "schedule": "linear",
                    "rate": 0.06 / s["members"]}  # the resolution grows over the whole (members x longer) chain
    return {
        "ensemble": ({"name": "ensemble", "members": s["members"]}, {}),
        "mve": ({"name": "mve"}, {}),
        "evidential": ({"name": "evidential"}, {}),
        "mc_dropout": ({"name": "mc_dropout", "passes": s["passes"]}, {"head": {"dropout": 0.1}}),
        "langevin": ({"name": "langevin", "snapshots": s["snapshots"], "start_fraction": 0.5},
                     {"optimizer": langevin_opt, "epochs": s["epochs"] * s["members"], "early_stopping": None}),
    }


def molgdl_config(tmp: Path, name: str, source: dict, split: str, seed: int, s: dict, estimator: dict,
                  change: dict) -> Path:
    hidden = s["hidden"]
    trainer = {"max_epochs": change.get("epochs", s["epochs"]), "batch_size": 50, "progress_bar": False,
               "accelerator": "cpu", "num_threads": 1}
    if "early_stopping" in change:
        trainer["early_stopping"] = change["early_stopping"]
    cfg = {
        "run": {"name": name, "output_dir": str(tmp), "seeds": [seed]},
        "data": {"source": source, "progress": False, "num_workers": 1},
        "split": {"name": split, "sizes": [0.8, 0.1, 0.1]},
        "model": {"name": "dmpnn", "hidden_dim": hidden, "depth": 3},
        "head": {"hidden_dim": hidden, "num_layers": 2, **change.get("head", {})},
        "optimizer": change.get("optimizer", {"name": "adam", "lr": 0.001}),
        "scheduler": {"name": "noam", "warmup_epochs": 2, "init_lr_ratio": 0.1, "final_lr_ratio": 0.1},
        "trainer": trainer,
        "uncertainty": {"estimator": estimator, "calibrator": {"name": "zscaling"}, "coverage": 0.9},
    }
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def run_molgdl(config: Path, run_dir: Path, seed: int) -> tuple[dict, pd.DataFrame, str]:
    """Train one arm; per-molecule val/test y, mean and raw spread (zscaling's unc / scale).

    A run folder left by a killed attempt (``--work``) is resumed from its last checkpoint."""
    t0 = time.perf_counter()
    again = "--resume" if (run_dir / "status.json").exists() else "--overwrite"
    proc = subprocess.run([sys.executable, "-m", "molgdl", "run", str(config), again], capture_output=True,
                          text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-3000:])
        raise RuntimeError(f"molgdl run {config} failed")
    seed_dir = run_dir / f"seed_{seed}"
    pred = pd.read_csv(seed_dir / "predictions.csv")
    cal = json.loads((seed_dir / "calibration.json").read_text())
    (target, state), = cal["targets"].items()
    metrics = json.loads((seed_dir / "metrics.json").read_text())
    out = {"source": "molgdl", "wall_s": wall, "train_seconds": metrics["train_seconds"],
           "seconds_before_resume": metrics.get("seconds_before_resume")}  # in train_seconds: a resumed arm
    for k in ("val", "test"):
        part = pred[(pred["split"] == k) & pred[f"{target}_pred"].notna()]
        out[k] = {"smiles": part["smiles"].tolist(), "y": part[target].tolist(),
                  "mu": part[f"{target}_pred"].tolist(), "sigma": (part[f"{target}_unc"] / state["scale"]).tolist()}
    return out, pred, target


def run_chemprop(pred: pd.DataFrame, target: str, seed: int, s: dict, work: Path) -> dict:
    """chemprop's methods on the split of the molgdl run (``pred``: its predictions.csv)."""
    pred = pred[pred[target].notna()].reset_index(drop=True)
    data = work / "chemprop_data.csv"
    pd.DataFrame({"smiles": pred["smiles"], "y": pred[target]}).to_csv(data, index=False)
    split = {k: pred.index[pred["split"] == k].tolist() for k in ("train", "val", "test")}
    (work / "chemprop_split.json").write_text(json.dumps(split))
    epochs = max(s["epochs"], 3)  # chemprop needs more epochs than its 2 warm-up epochs
    t0 = time.perf_counter()
    proc = subprocess.run([str(CHEMPROP_PY), str(HERE / "chemprop_uq.py"), "--data", str(data), "--split",
                           str(work / "chemprop_split.json"), "--seed", str(seed), "--epochs", str(epochs),
                           "--ensemble-size", str(s["members"]), "--out", str(work / "chemprop")],
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-3000:])
        raise RuntimeError("chemprop_uq.py failed")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    arms = {}
    for method, values in result["methods"].items():
        arm = {"source": "chemprop", "train_seconds": result["train_seconds"][
            {"ensemble": "point", "dropout": "point", "mve": "mve", "evidential-total": "evidential"}[method]]}
        for k in ("val", "test"):
            rows = pred[pred["split"] == k]
            v = values[k]
            arm[k] = {"smiles": rows["smiles"].tolist(), "y": rows[target].tolist(), "mu": v["mu"],
                      "sigma": np.sqrt(np.maximum(v["var"], 0)).tolist()}
        arm["test"]["chemprop_zscaling_sigma"] = np.sqrt(np.maximum(values["test"]["zscaling_var"], 0)).tolist()
        arm["test"]["chemprop_conformal_half"] = values["test"]["conformal_half"]
        arms[f"chemprop:{method}"] = arm
    arms["_chemprop_wall_s"] = time.perf_counter() - t0
    return arms


def run_one(name: str, source: dict, split: str, seed: int, s: dict, quick: bool, results: Path = RESULTS,
            work: Path | None = None, redo: tuple[str, ...] = ()) -> Path:
    stem = f"{'quick__' if quick else ''}{name}__{split}__s{seed}"
    out = results / f"{stem}.json"
    partial = results / "partial" / stem  # one JSON per finished arm, and the split the arms share
    if out.exists() and redo:
        # chemprop alone: its split must come from a molgdl arm's run folder, found before the record is touched
        alone = split_from_work(work / stem if work is not None else None, seed) if set(redo) == {"chemprop"} else None
        reopen(out, partial)
        if alone is not None:
            alone.to_csv(partial / "split.csv", index=False)
    if out.exists():
        print(f"{out.name}: exists, kept")
        return out
    partial.mkdir(parents=True, exist_ok=True)
    for arm in redo:  # trained again from scratch: its result and its run folder go
        (partial / ("chemprop.json" if arm == "chemprop" else f"molgdl_{arm}.json")).unlink(missing_ok=True)
        if work is not None and (work / stem / arm).is_dir():
            shutil.rmtree(work / stem / arm)
    scratch = tempfile.TemporaryDirectory(prefix="molgdl_uq_") if work is None else contextlib.nullcontext(None)
    with scratch as tmp:  # the molgdl run folders: thrown away, or kept under --work so that an arm resumes
        base = Path(tmp) if work is None else work / stem
        base.mkdir(parents=True, exist_ok=True)
        arms = {}
        # one-model arms first: a cell stopped early has kept the most arms (the ensemble and langevin train five)
        ordered = sorted(estimator_arms(s).items(), key=lambda item: item[0] in ("ensemble", "langevin"))
        for arm, (estimator, change) in ordered:
            done = partial / f"molgdl_{arm}.json"
            if done.exists():
                arms[f"molgdl:{arm}"] = json.loads(done.read_text())
                print(f"{name} {split} seed {seed}: molgdl {arm} kept from {done}")
                continue
            cfg = molgdl_config(base, arm, source, split, seed, s, estimator, change)
            result, pred, target = run_molgdl(cfg, base / arm, seed)
            if not (partial / "split.csv").exists():  # the molecules, split and target chemprop trains on
                pred[["smiles", "split", target]].to_csv(partial / "split.csv", index=False)
            _write_json(done, result)
            arms[f"molgdl:{arm}"] = result
            print(f"{name} {split} seed {seed}: molgdl {arm} done ({result['train_seconds']:.0f} s)")
        done = partial / "chemprop.json"
        if done.exists():
            chemprop = json.loads(done.read_text())
        else:
            pred = pd.read_csv(partial / "split.csv")
            chemprop = run_chemprop(pred, pred.columns[-1], seed, s, base)
            _write_json(done, chemprop)
        wall = chemprop.pop("_chemprop_wall_s")
        arms.update(chemprop)
        print(f"{name} {split} seed {seed}: chemprop done ({wall:.0f} s)")
    record = {"set": name, "split": split, "seed": seed, "quick": quick, "settings": s, "machine": machine(),
              "command": " ".join(["python", "benchmarks/uncertainty/run.py", *(["--quick"] if quick else [])]),
              "arms": arms}
    _write_json(out, record)
    shutil.rmtree(partial)  # everything it held is in the record now
    return out


def split_from_work(base: Path | None, seed: int) -> pd.DataFrame:
    """The cell's split (smiles, split, target: what chemprop trains on) from the predictions of any molgdl arm left
    in the cell's work folder ``base`` (every arm has the same split). A record keeps no training molecules, so
    without such a folder chemprop cannot be trained again alone."""
    for predictions in sorted(base.glob(f"*/seed_{seed}/predictions.csv")) if base is not None else []:
        pred = pd.read_csv(predictions)
        target = next(c for c in pred.columns if f"{c}_pred" in pred.columns)
        return pred[["smiles", "split", target]]
    raise SystemExit(f"--redo chemprop alone needs the cell's split, and no molgdl arm's predictions.csv under "
                     f"{base if base is not None else 'a --work folder'} holds it (the record keeps no training "
                     "molecules); train a molgdl arm again with it (e.g. --redo mve chemprop), or pass the --work "
                     "folder of the cell's first run. Nothing was changed.")


def reopen(out: Path, partial: Path) -> None:
    """Turn a cell's record back into one file per arm in ``partial`` (the state of the cell before its last arm
    finished), so that ``--redo`` trains the named arms again and keeps the others."""
    record = json.loads(out.read_text())
    partial.mkdir(parents=True, exist_ok=True)
    chemprop = {}
    for arm, result in record["arms"].items():
        source, estimator = arm.split(":", 1)
        if source == "molgdl":
            _write_json(partial / f"molgdl_{estimator}.json", result)
        else:
            chemprop[arm] = result
    if chemprop:  # its wall time is not in the record
        _write_json(partial / "chemprop.json", {**chemprop, "_chemprop_wall_s": float("nan")})
    out.unlink()


def _write_json(path: Path, data: dict) -> None:
    """Written whole or not at all: a kill mid-write leaves no truncated arm behind."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="ESOL (300 molecules), 6 epochs, 3 members: a smoke run")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--sets", nargs="+", default=None, help="only these set names (e.g. esol CHEMBL204_Ki)")
    p.add_argument("--splits", nargs="+", default=None, choices=["random", "scaffold"],
                   help="only these splits (e.g. two processes for lipo's random and scaffold cells)")
    p.add_argument("--results", type=Path, default=RESULTS, help="where the raw results go (default: results/)")
    p.add_argument("--work", type=Path, default=None,
                   help="keep the molgdl run folders here (not in a temporary folder), so a killed cell's "
                        "unfinished arm resumes from its last checkpoint")
    p.add_argument("--redo", nargs="+", default=[], choices=[*estimator_arms(settings(False)), "chemprop"],
                   metavar="ARM", help="train these arms of the chosen cells again, from scratch, keeping the others "
                                       "(finished cells included), e.g. an arm whose training time a resume "
                                       "under-counted: ensemble, mve, evidential, mc_dropout, langevin or chemprop "
                                       "(chemprop alone takes the split from a molgdl arm's folder under --work)")
    args = p.parse_args(argv)
    if args.redo and not args.sets:
        p.error("--redo needs --sets (the cells to train again)")
    if not CHEMPROP_PY.exists():
        raise SystemExit(f"no chemprop venv at {CHEMPROP_PY}: run benchmarks/peers/setup_chemprop.sh first")
    args.results.mkdir(parents=True, exist_ok=True)
    s = settings(args.quick)
    for name, source, split in benchmark_sets(args.quick):
        if (args.sets and name not in args.sets) or (args.splits and split not in args.splits):
            continue
        for seed in args.seeds:
            run_one(name, source, split, seed, s, args.quick, args.results, args.work, tuple(args.redo))
    return 0


if __name__ == "__main__":
    sys.exit(main())
