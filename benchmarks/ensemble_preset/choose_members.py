"""Which members the assay preset should have: every candidate of ``candidates.yaml`` predicts the outer
training molecules of a MoleculeACE set by inner 5-fold CV (``molgdl.ensemble.oof``, exactly as the preset
does), and candidate sets of members are scored by *nested* stacking: the weights for inner fold k are
fitted on the out-of-fold predictions of the other folds and applied to fold k. Only training molecules are
used; the test split of the sets is never read.

    OMP_NUM_THREADS=1 python benchmarks/ensemble_preset/choose_members.py --sets CHEMBL2047_EC50 CHEMBL4203_Ki
    python benchmarks/ensemble_preset/choose_members.py --report          # results.json -> results.md

Out-of-fold predictions are cached under .bench/ensemble_preset/<set>/<member>.csv (a rerun only adds what is
missing). Results (per set: each member's out-of-fold RMSE, nested-stack RMSE of member subsets) go to
results.json beside this file.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORK = ROOT / ".bench" / "ensemble_preset"
RESULTS = HERE / "results.json"
PRESET = ROOT / "configs" / "assay_preset.yaml"


def preset_members() -> list[str]:
    import yaml

    return list(yaml.safe_load(PRESET.read_text())["ensemble"]["members"])


def oof_of_set(set_name: str, skip: list[str]) -> tuple[dict, np.ndarray, np.ndarray, dict]:
    """Out-of-fold predictions ``{member: [N]}``, targets ``[N]``, inner fold of each molecule ``[N]``,
    seconds per member."""
    import pandas as pd

    from molgdl.config.load import load_config
    from molgdl.ensemble.members import member_configs
    from molgdl.ensemble.oof import make_folds, out_of_fold, write_oof
    from molgdl.config.load import parse_config
    from molgdl.run.data_stage import load_table, prepare_data
    from molgdl.run.resolve import resolve
    from molgdl.tune.folds import restrict

    config = load_config(HERE / "candidates.yaml", {"data.source.set": set_name})
    res = resolve(config)
    table = load_table(res)
    split = {k: np.asarray(v) for k, v in res.build("splitter", "split").split(table, 0).items()}
    train = np.sort(split["train"])
    folds = make_folds(len(train), config.ensemble.inner_folds, 0, split)
    fold_of = np.full(len(train), -1)
    for k, f in enumerate(folds):
        fold_of[f["test"]] = k
    out, seconds = {}, {}
    for mc in member_configs(config, WORK / set_name):
        if mc.name in skip:
            continue
        path = WORK / set_name / f"{mc.name}.csv"
        if not path.exists():
            t0 = time.perf_counter()
            member_res = resolve(parse_config(mc.raw), pm=res.pm)
            sub = restrict(prepare_data(member_res, None), train)
            pred = out_of_fold(member_res, sub, folds, 0, WORK / set_name / "work" / mc.name)
            path.parent.mkdir(parents=True, exist_ok=True)
            write_oof(path, sub, folds, pred)
            seconds_file = path.with_suffix(".seconds")
            seconds_file.write_text(f"{time.perf_counter() - t0:.1f}")
            print(f"{set_name} {mc.name}: {time.perf_counter() - t0:.0f} s", flush=True)
        df = pd.read_csv(path)
        out[mc.name] = df["y_pred"].to_numpy()
        seconds[mc.name] = float(path.with_suffix(".seconds").read_text())
    y = table.targets[train, 0]
    return out, y, fold_of, seconds


def nested_stack_rmse(oof: dict[str, np.ndarray], names: list[str], y: np.ndarray,
                      fold_of: np.ndarray) -> float:
    from molgdl.ensemble.stacking import nnls_weights

    P = np.stack([oof[n] for n in names], axis=1)
    pred = np.zeros(len(y))
    for k in np.unique(fold_of):
        held = fold_of == k
        w = nnls_weights(P[~held], y[~held])
        pred[held] = P[held] @ w
    return float(math.sqrt(np.mean((pred - y) ** 2)))


def rmse(p: np.ndarray, y: np.ndarray) -> float:
    return float(math.sqrt(np.mean((p - y) ** 2)))


def measure(set_name: str, skip: list[str]) -> dict:
    oof, y, fold_of, seconds = oof_of_set(set_name, skip)
    names = list(oof)
    record = {"n_inner_molecules": int(len(y)), "member_oof_rmse": {n: rmse(oof[n], y) for n in names},
              "member_seconds": seconds, "nested_stack_rmse": {}}
    for size in range(1, len(names) + 1):
        for subset in itertools.combinations(names, size):
            if size > 4 and len(subset) != len(names):
                continue
            record["nested_stack_rmse"]["+".join(subset)] = nested_stack_rmse(oof, list(subset), y, fold_of)
    preset = [n for n in names if n in preset_members()]
    if len(preset) == len(preset_members()):
        record["nested_stack_rmse"]["+".join(preset)] = nested_stack_rmse(oof, preset, y, fold_of)
        record["preset"] = "+".join(preset)
    return record


def report(results: dict) -> str:
    sets = sorted(results)
    members = sorted({m for r in results.values() for m in r["member_oof_rmse"]})
    lines = ["# Assay preset: candidate members by inner CV (training molecules only)", "",
             "Generated by `python benchmarks/ensemble_preset/choose_members.py --report` from results.json. "
             "Out-of-fold RMSE (5 inner folds of the outer training molecules, -log10 units) of each member "
             "alone, and the nested-stacking RMSE of member sets (weights for each inner fold fitted on the "
             "other folds). A blank cell: that candidate was not computed on that set.", "",
             "| member | " + " | ".join(sets) + " | mean | seconds (mean) |", "|---" * (len(sets) + 3) + "|"]
    for m in members:
        vals = [results[s]["member_oof_rmse"].get(m) for s in sets]
        secs = [results[s]["member_seconds"].get(m) for s in sets]
        shown = [f"{v:.4f}" if v is not None else "" for v in vals]
        mean = np.mean([v for v in vals if v is not None]) if all(v is not None for v in vals) else None
        lines.append(f"| {m} | " + " | ".join(shown) + f" | {'' if mean is None else f'{mean:.4f}'} | "
                     f"{np.mean([s for s in secs if s is not None]):.0f} |")
    common = set.intersection(*(set(results[s]["nested_stack_rmse"]) for s in sets))
    ranked = sorted(common, key=lambda k: np.mean([results[s]["nested_stack_rmse"][k] for s in sets]))
    lines += ["", "Member sets, nested stacking: the best 15 by mean, then the best single member, the ECFP4 "
              "SVM alone and the members of configs/assay_preset.yaml:", "",
              "| members | " + " | ".join(sets) + " | mean |", "|---" * (len(sets) + 2) + "|"]
    single = [k for k in ranked if "+" not in k][:1]
    preset = [results[s].get("preset") for s in sets]
    extra = single + ["svm_ecfp"] + ([preset[0]] if preset[0] and len(set(preset)) == 1 else [])
    for k in ranked[:15] + [k for k in dict.fromkeys(extra) if k in common and k not in ranked[:15]]:
        vals = [results[s]["nested_stack_rmse"][k] for s in sets]
        lines.append(f"| {k} | " + " | ".join(f"{v:.4f}" for v in vals) + f" | {np.mean(vals):.4f} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sets", nargs="*", default=[])
    p.add_argument("--skip", nargs="*", default=[], help="candidates left out (not computed, not scored)")
    p.add_argument("--report", action="store_true")
    args = p.parse_args()
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for s in args.sets:
        results[s] = measure(s, args.skip)
        RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True))
    if args.report or args.sets:
        (HERE / "results.md").write_text(report(results))
        print((HERE / "results.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
