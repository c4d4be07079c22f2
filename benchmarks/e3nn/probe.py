"""QM9 probes: many variants of the equal-time QM9 benchmark's configs trained at once, one CPU core each
(process ``k`` pinned to the ``k``-th of ``--cores``), for ``--minutes`` of training each. For choosing
settings on a many-core machine; the benchmark itself (``equal_time.py qm9``) runs one e3nn / SchNet pair.

Variants (a JSON list, ``--variants FILE``), each
``{"label": str, "model": "e3nn" | "schnet", "lr": float, "params": {model param overrides},
"config": {run-config sections to replace or merge, as equal_time.base_config's keywords}}``.

    python benchmarks/e3nn/probe.py --variants benchmarks/e3nn/qm9_probes_round1.json --minutes 6 --cores 2-15 \
        --npz ../shared/data/qm9/qm9_subset_20k.npz > .bench/e3nn/probe.jsonl

Prints one JSON line per variant: label, test MAE of U0_atom and gap (eV), epochs, training seconds.
Nothing goes to BENCHMARKS.md: probes are one seed each, at whatever speed the probing machine has.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from equal_time import QM9_SCHNET, SCHNET, e3nn_model, qm9_config, qm9_source, run_together  # noqa: E402


def parse_cores(text: str) -> list[int]:
    """``"2-5,8"`` -> ``[2, 3, 4, 5, 8]``."""
    cores = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        cores += list(range(int(lo), int(hi or lo) + 1))
    return cores


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", required=True, help="JSON file: a list of variants (see the module docstring)")
    ap.add_argument("--minutes", type=float, default=6)
    ap.add_argument("--cores", default="0-1", help="CPU cores to pin the runs to, e.g. 2-15")
    ap.add_argument("--npz", default="../shared/data/qm9/qm9_subset_20k.npz")
    args = ap.parse_args()
    variants = json.loads(Path(args.variants).read_text())
    cores = parse_cores(args.cores)
    if len(variants) > len(cores):
        raise SystemExit(f"{len(variants)} variants for {len(cores)} cores: give --cores at least one core each")
    source = qm9_source(args.npz)
    configs = {}
    for v in variants:
        base = e3nn_model("qm9") if v["model"] == "e3nn" else {**SCHNET, **QM9_SCHNET}  # the benchmark's
        configs[v["label"]] = qm9_config(v["label"], source, {**base, **v.get("params", {})}, v["lr"], args.minutes,
                                         task="qm9_probe", **v.get("config", {}))
    for label, r in run_together("qm9_probe", configs, cores).items():
        row = {"label": label, "minutes": args.minutes}
        if "error" in r:
            row["error"] = r["error"]
        else:
            test = r["metrics"]["test"]
            row.update(U0_atom=test["U0_atom"]["mae"], gap=test["gap"]["mae"], epochs=r["epochs"],
                       train_s=r["train_seconds"])
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
