"""Cost of the coherence callback at its default settings (m = 128 molecules, every 5 epochs, factored
per-example gradients) on the default ESOL config (configs/esol_dmpnn.yaml: D-MPNN 300x3 + rdkit2d, batch 50):
one ``molgdl run`` with the callback and one without, same seed, one thread. Reported: seconds per
measurement (from coherence.csv), training seconds per epoch of the run without the callback, and the overhead
at the default frequency = (seconds per measurement / 5) / (seconds per epoch); also the whole-run ratio of
the two training times (includes the measurement before training; noisier on a shared machine).
Writes ``benchmarks/coherence/results/overhead.json`` (run folders in a temp dir).

    OMP_NUM_THREADS=1 nice -n 5 python benchmarks/coherence/overhead.py --epochs 10
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results"


def run(name: str, epochs: int, callbacks: str, work: Path) -> Path:
    cmd = [sys.executable, "-m", "molgdl", "run", str(ROOT / "configs" / "esol_dmpnn.yaml"), "--overwrite"]
    for s in (f"callbacks={callbacks}", f"trainer.max_epochs={epochs}", "trainer.num_threads=1",
              "data.progress=false", "trainer.progress_bar=false", "run.seeds=[0]", f"run.name={name}",
              f"run.output_dir={work / 'runs'}", "trainer.early_stopping=null"):
        cmd += ["--set", s]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-3000:])
        raise RuntimeError(f"{name} failed")
    return work / "runs" / name / "seed_0"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="2 epochs")
    ap.add_argument("--results", type=Path, default=RESULTS, help="folder of the raw results")
    args = ap.parse_args(argv)
    if args.quick:
        args.epochs = 2
    work = Path(tempfile.mkdtemp(prefix="molgdl-coherence-"))
    plain = run(f"esol_plain_e{args.epochs}", args.epochs, "[]", work)
    with_cb = run(f"esol_coherence_e{args.epochs}", args.epochs, "[{name: coherence}]", work)
    t_plain = json.loads((plain / "metrics.json").read_text())["train_seconds"]
    t_cb = json.loads((with_cb / "metrics.json").read_text())["train_seconds"]
    rows = [r for r in csv.DictReader((with_cb / "coherence.csv").open()) if r["group"] == "all"]
    per_eval = [float(r["seconds"]) for r in rows]
    epoch_s = t_plain / args.epochs
    own_epoch_s = (t_cb - sum(per_eval)) / args.epochs  # the callback run's own epochs, measurements removed
    mean_eval = sum(per_eval) / len(per_eval)
    result = {
        "epochs": args.epochs, "evaluations": len(per_eval), "seconds_per_evaluation": per_eval,
        "train_seconds_plain": t_plain, "train_seconds_with_callback": t_cb, "epoch_seconds_plain": epoch_s,
        "epoch_seconds_with_callback_excl_measurements": own_epoch_s,
        "overhead_at_default_frequency": mean_eval / 5 / epoch_s,
        "overhead_at_default_frequency_same_run": mean_eval / 5 / own_epoch_s,
        "whole_run_ratio": t_cb / t_plain - 1,
        "command": ("OMP_NUM_THREADS=1 python benchmarks/coherence/overhead.py "
                    + " ".join(sys.argv[1:] if argv is None else argv)).strip(),
    }
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "overhead.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
