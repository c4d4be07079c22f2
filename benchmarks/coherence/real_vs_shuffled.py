"""m-coherence during training on real vs shuffled targets (ESOL, Lipophilicity): every target permuted across
molecules vs the real ones, same seeded 80/10/10 split, the coherence callback after every epoch on a fixed
sample of m = 256 training molecules (eval mode). One PNG with the four whole-network curves, and the peak
m-coherence per run and per parameter group.

Reduced CPU budget: D-MPNN 128x3 + mean readout + 128x2 head, no descriptors, Adam lr 1e-3 with the noam
schedule, batch 50; ESOL 30 epochs, Lipophilicity 15 epochs. Writes ``.bench/coherence/real_vs_shuffled.json``
and ``.bench/coherence/real_vs_shuffled.png``.

    OMP_NUM_THREADS=1 nice -n 5 python benchmarks/coherence/real_vs_shuffled.py
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _data import shuffled_all  # noqa: E402
from common import molgdl_command, molgdl_run_once  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / ".bench" / "coherence"
BASE = [
    "featurizer={name: graph2d}", "descriptors=[]",
    "model={name: dmpnn, hidden_dim: 128, depth: 3}", "readout={name: mean}",
    "head={hidden_dim: 128, num_layers: 2}", "optimizer={name: adam, lr: 0.001}", "trainer.batch_size=50",
    "trainer.num_threads=1", "data.progress=false", "trainer.progress_bar=false", "data.num_workers=1",
    "callbacks=[{name: coherence, m: 256, every_n_epochs: 1, group_depth: 1}]", "run.seeds=[0]",
]


def run(name: str, csv_path: Path, split: Path, epochs: int) -> tuple[list[dict], dict]:
    run_dir = BENCH / "runs" / name
    sets = [*BASE, f"data.source={{name: csv, path: {csv_path}, target_columns: [y]}}", f"split={{name: file, path: {split}}}",
            f"trainer.max_epochs={epochs}", f"run.output_dir={BENCH / 'runs'}", f"run.name={name}",
            f"data.cache_dir={BENCH / 'cache'}"]
    cmd = molgdl_command(ROOT / "configs" / "esol.yaml", sets)
    seconds = molgdl_run_once(cmd, run_dir, name)
    rows = list(csv.DictReader((run_dir / "seed_0" / "coherence.csv").open()))
    metrics = json.loads((run_dir / "seed_0" / "metrics.json").read_text())["metrics"]
    info = {"seconds": seconds, "command": " ".join(cmd[1:]).replace(str(ROOT) + "/", ""),
            "test_rmse": metrics["test"]["overall"]["rmse"], "train_rmse": metrics["train"]["overall"]["rmse"]}
    return rows, info


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", nargs="+", default=["esol", "lipo"])
    ap.add_argument("--epochs", type=int, nargs="+", default=[30, 15], help="per dataset")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "plugins" / "molgdl-coherence"))
    from molgdl_coherence.plot import plot_rows

    curves, results = {}, {}
    for dataset, epochs in zip(args.datasets, args.epochs):
        for shuffle in (False, True):
            label = f"{dataset} {'shuffled' if shuffle else 'real'}"
            csv_path, split = shuffled_all(dataset, BENCH / "data", shuffle)
            rows, info = run(f"{dataset}_{'shuffled' if shuffle else 'real'}_e{epochs}", csv_path, split, epochs)
            peak = {}
            for r in rows:
                g, v = r["group"], float(r["m_coherence"])
                if v == v and v > peak.get(g, (-1.0, 0))[0]:
                    peak[g] = (v, int(r["epoch"]))
            results[label] = {"epochs": epochs, "peak": peak, **info,
                              "curve": [(int(r["epoch"]), float(r["m_coherence"])) for r in rows if r["group"] == "all"],
                              "eval_seconds": [float(r["seconds"]) for r in rows if r["group"] == "all"]}
            curves[label] = [r for r in rows if r["group"] == "all"]
            print(label, peak, info["test_rmse"], info["seconds"], file=sys.stderr, flush=True)
    BENCH.mkdir(parents=True, exist_ok=True)
    plot_rows(curves, BENCH / "real_vs_shuffled.png")
    (BENCH / "real_vs_shuffled.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
