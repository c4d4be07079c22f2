"""Training from the disk store against training in memory (issue 17, deliverable 4): peak RSS and molecules/s.

The surrogate-model use case: the first N MOSES molecules with RDKit-computed targets (Crippen logP, TPSA, QED),
the default 2D model of ``configs/esol_dmpnn.yaml`` (D-MPNN 300x3, mean readout, 300x2 head) without descriptors,
a random 90/5/5 split, one featurization process and one torch thread. Each (size, storage) is one ``molgdl run``
in a fresh process with an empty cache (featurization included), timed by a Lightning callback registered in that
process (``epoch_clock``): the training batches of the first epoch, up to ``--train-seconds`` (the whole epoch with
0), give molecules/s; ``VmHWM`` (peak RSS of the process, featurization included) is read when the timing ends,
and the process ends there (evaluation is not measured).

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/scale/train.py --library ../shared/data/moses/train.csv.gz \\
        --sizes 10000 100000
    python benchmarks/scale/train.py --quick      # 2,000 molecules of the bundled data sets

The whole MOSES train set (1.58 M) is ``--sizes 0``: hours on one core, not run here. One JSON record per
(size, storage) goes to ``benchmarks/scale/results/train_<storage>_<n>.json`` (``--results DIR``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from common import ROOT, machine  # noqa: E402

RESULTS = HERE / "results"
TARGETS = ("logp", "tpsa", "qed")


def _target_rows(smiles: list[str]) -> list[str]:
    """CSV rows ``smiles,logp,tpsa,qed`` of the molecules RDKit parses (Crippen.MolLogP,
    rdMolDescriptors.CalcTPSA, QED.qed)."""
    from rdkit import Chem, RDLogger
    from rdkit.Chem import QED, Crippen, rdMolDescriptors

    RDLogger.DisableLog("rdApp.*")
    rows = []
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        if mol is not None:
            rows.append(f"{s},{Crippen.MolLogP(mol):.6f},{rdMolDescriptors.CalcTPSA(mol):.6f},{QED.qed(mol):.6f}\n")
    return rows


def write_targets(smiles: list[str], path: Path, chunk: int = 10_000) -> int:
    """CSV ``smiles,logp,tpsa,qed`` of ``smiles`` in order (computed in a process per core); returns the number
    of rows."""
    from concurrent.futures import ProcessPoolExecutor

    n = 0
    with path.open("w") as fh, ProcessPoolExecutor(os.cpu_count()) as pool:
        fh.write("smiles,logp,tpsa,qed\n")
        for rows in pool.map(_target_rows, [smiles[i:i + chunk] for i in range(0, len(smiles), chunk)]):
            fh.writelines(rows)
            n += len(rows)
    return n


def config(csv: Path, out: Path, storage: str) -> dict:
    return {
        "run": {"name": f"train_{storage}", "output_dir": str(out), "seeds": [0]},
        "data": {"source": {"name": "csv", "path": str(csv), "target_columns": list(TARGETS)},
                 "cache_dir": str(out / f"cache_{storage}"), "num_workers": 1, "progress": False,
                 "storage": storage},
        "featurizer": {"name": "graph2d"}, "descriptors": [],
        "split": {"name": "random", "sizes": [0.9, 0.05, 0.05]},
        "model": {"name": "dmpnn", "hidden_dim": 300, "depth": 3, "dropout": 0.0}, "readout": {"name": "mean"},
        "head": {"hidden_dim": 300, "num_layers": 2, "dropout": 0.0},
        "optimizer": {"name": "adam", "lr": 0.001},
        "trainer": {"max_epochs": 1, "batch_size": 50, "num_threads": 1, "progress_bar": False,
                    "accelerator": "cpu", "early_stopping": None},
        "callbacks": [{"name": "epoch_clock"}],
    }


def vm_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def child(cfg_path: Path, record_path: Path, seconds: float) -> int:
    """Run one config in this process with the ``epoch_clock`` callback, which times the training batches and,
    after ``seconds`` of training or at the end of the epoch, writes the record and ends the process (evaluation
    and the final predictions are not part of the measurement)."""
    import molgdl
    import pytorch_lightning as pl
    from molgdl.specs import CallbackSpec, NoParams

    t_start = time.perf_counter()

    class EpochClock(pl.Callback):
        def on_train_epoch_start(self, trainer, module):
            self.t0, self.molecules, self.batches = time.perf_counter(), 0, 0
            self.rss_start_kib, self.hwm_start_kib = vm_kib("VmRSS"), vm_kib("VmHWM")
            self.n_batches = trainer.num_training_batches

        def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
            self.molecules += int(batch.num_graphs)
            self.batches += 1
            if time.perf_counter() - self.t0 >= seconds:
                self.finish(trainer)

        def on_train_epoch_end(self, trainer, module):
            self.finish(trainer)

        def finish(self, trainer):
            elapsed = time.perf_counter() - self.t0
            record_path.write_text(json.dumps({
                "train_seconds": elapsed, "train_molecules": self.molecules, "train_batches": self.batches,
                "epoch_batches": self.n_batches, "full_epoch": self.batches == self.n_batches,
                "train_mol_per_s": self.molecules / elapsed, "rss_train_start_kib": self.rss_start_kib,
                "hwm_train_start_kib": self.hwm_start_kib, "rss_end_kib": vm_kib("VmRSS"),
                "hwm_end_kib": vm_kib("VmHWM"), "seconds_to_first_batch": self.t0 - t_start}))
            os._exit(0)

    class Plugin:
        @molgdl.hookimpl
        def molgdl_callbacks(self):
            return [CallbackSpec(name="epoch_clock", summary="times the training epoch (benchmark)",
                                 factory=lambda params: EpochClock(), params=NoParams)]

    molgdl.register_plugin(Plugin(), "scale_benchmark")
    logging.getLogger("molgdl").setLevel(logging.INFO)  # run.log gets the featurization line, as from the CLI
    molgdl.run(str(cfg_path))
    return 1  # the callback ends the process; getting here means training never started


def measure(csv: Path, n: int, storage: str, tmp: Path, seconds: float) -> dict:
    out = tmp / f"{storage}_{n}"
    out.mkdir(parents=True, exist_ok=True)
    cfg_path, rec_path = out / "config.json", out / "record.json"
    cfg_path.write_text(json.dumps(config(csv, out, storage)))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(cfg_path), str(rec_path),
                           str(seconds)],
                          capture_output=True, text=True, cwd=ROOT, env=env)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-4000:])
        raise RuntimeError(f"training {storage} on {n} molecules failed")
    feat = [ln for ln in (out / f"train_{storage}" / "run.log").read_text().splitlines() if "featurization:" in ln]
    return {**json.loads(rec_path.read_text()), "featurization_log": feat[-1].split("featurization: ")[-1]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--library", type=Path, help="CSV(.gz) with a SMILES column (MOSES train.csv.gz)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--storages", nargs="+", default=["memory", "disk"])
    ap.add_argument("--quick", action="store_true", help="2,000 molecules of the bundled data sets")
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--train-seconds", type=float, default=90.0,
                    help="time the first batches of the epoch up to this many seconds (default 90; 0: whole epoch)")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(Path(args.child[0]), Path(args.child[1]), float(args.child[2]) or float("inf"))
    from predict import bundled_smiles, library_smiles

    if args.quick:
        sizes, source = [2000], "bundled"
        pool = bundled_smiles()
    elif args.library is None:
        ap.error("give --library (MOSES train.csv.gz) or --quick")
    else:
        sizes, source = args.sizes, args.library.name.split(".")[0] if "moses" not in str(args.library) else "moses"
        pool = library_smiles(args.library, max(sizes) if 0 not in sizes else 0)
    args.results.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="molgdl_scale_train_") as tmp_name:
        tmp = Path(tmp_name)
        for n in sizes:
            csv = tmp / f"library_{n}.csv"
            t0 = time.perf_counter()
            rows = write_targets(pool[:n] if n else pool, csv)
            target_s = time.perf_counter() - t0
            for storage in args.storages:
                rec = measure(csv, rows, storage, tmp, args.train_seconds)
                record = {"benchmark_command": "python benchmarks/scale/train.py " + " ".join(argv or sys.argv[1:]),
                          "machine": machine(), "source": source, "molecules": rows, "storage": storage,
                          "targets": list(TARGETS), "target_seconds": target_s, **rec}
                name = f"train_{storage}_{rows}{'_quick' if args.quick else ''}.json"
                (args.results / name).write_text(json.dumps(record, indent=1) + "\n")
                print(f"{storage} {rows}: {rec['train_mol_per_s']:.0f} molecules/s ({rec['train_batches']} of "
                      f"{rec['epoch_batches']} batches), peak RSS {rec['hwm_end_kib'] / 1024:.0f} MiB", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
