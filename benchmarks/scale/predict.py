"""Streaming ``molgdl predict`` at growing input sizes: molecules/s and peak RSS (issue 17).

Each measurement is one ``python -m molgdl predict --quiet`` process under ``/usr/bin/time`` (peak RSS of the
largest process of the tree, featurization workers included), on the first N molecules of a library. Runs:
``configs/esol_dmpnn.yaml`` (D-MPNN with RDKit's 2D descriptors) and the same D-MPNN graph-only
(``descriptors: []``), the same with the ``rdkit2d_fast`` descriptor subset (``esol_dmpnn_fast``), and the default
ESOL run ``configs/esol.yaml`` (``esol_default``: seven members on RDKit 2D descriptors, four of them D-MPNNs); each is
trained for ``--epochs`` epochs here (prediction speed does not depend on how well the model was trained), or taken
from ``--run LABEL=DIR``.

    python benchmarks/scale/predict.py --library /path/to/moses/train.csv.gz --sizes 10000 100000 0
    python benchmarks/scale/predict.py --quick     # 2,000 and 10,000 molecules of the bundled data sets

A size of 0 means the whole library. One JSON record per (run, size) goes to ``benchmarks/scale/results/``
(``--results DIR``); ``report.py`` writes the BENCHMARKS.md section from them.

``--chemprop PATH`` (the ``chemprop`` command of .bench/chemprop-venv, benchmarks/peers/setup_chemprop.sh) adds
the peer arm ``chemprop_graph``: chemprop 2.3.1's D-MPNN of the same size as ``graph_only`` (message 300, depth
3, FFN 300 x 2, no descriptors) trained on ESOL for the same epochs, and ``chemprop predict`` timed on the same
molecules in the same benchmark run. chemprop reports no streaming rate, so both are compared on
molecules per wall second (start-up included for both). ``--repeats N`` measures every arm N times per size, the
arms interleaved so that each repeat sees the same machine load; the report pairs the repeats.

    python benchmarks/scale/predict.py --library train.csv.gz --sizes 10000 100000 \
        --runs graph_only --chemprop .bench/chemprop-venv/bin/chemprop --repeats 5
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from common import ROOT, machine  # noqa: E402

RESULTS = HERE / "results"
#: label -> (config under configs/, overrides); esol_default is the default ESOL run (the seven-member ensemble)
RUNS = {"esol_dmpnn": ("esol_dmpnn.yaml", []), "graph_only": ("esol_dmpnn.yaml", ["descriptors=[]"]),
        "esol_dmpnn_fast": ("esol_dmpnn.yaml", ["descriptors=[{name: rdkit2d_fast}]"]),
        "esol_default": ("esol.yaml", [])}
BUNDLED = ("esol_delaney-processed.csv", "lipo_Lipophilicity.csv", "bbbp_BBBP.csv", "freesolv_SAMPL.csv")


def bundled_smiles() -> list[str]:
    """The SMILES of the bundled data sets (about 8,000), in file order."""
    import pandas as pd
    from molgdl_datasets.bundled import data_path

    out = []
    for name in BUNDLED:
        df = pd.read_csv(data_path(name))
        column = next(c for c in df.columns if c.lower() == "smiles")
        out += df[column].astype(str).str.strip().tolist()
    return out


def library_smiles(path: Path, n: int) -> list[str]:
    """The first ``n`` SMILES (all with n = 0) of a CSV(.gz) library with a ``smiles`` column (any case)."""
    import pandas as pd

    df = pd.read_csv(path, nrows=n or None, dtype=str, keep_default_na=False)
    column = next(c for c in df.columns if c.lower() == "smiles")
    return df[column].tolist()


def train(label: str, config: str, overrides: list[str], epochs: int, out: Path) -> Path:
    cmd = [sys.executable, "-m", "molgdl", "run", str(ROOT / "configs" / config), "--overwrite",
           "--set", f"run.name={label}", "--set", f"run.output_dir={out}", "--set", f"trainer.max_epochs={epochs}",
           "--set", "trainer.progress_bar=false", "--set", f"data.cache_dir={out / 'cache'}"]
    for o in overrides:
        cmd += ["--set", o]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-3000:])
        raise RuntimeError(f"training {label} failed")
    return out / label


ESOL_TARGET = "measured log solubility in mols per litre"


def chemprop_train(chemprop: str, epochs: int, out: Path) -> Path:
    """chemprop's D-MPNN sized like ``graph_only`` trained on bundled ESOL; the path of its model file."""
    from molgdl_datasets.bundled import data_path

    cmd = [chemprop, "train", "-i", str(data_path("esol_delaney-processed.csv")), "-s", "smiles",
           "--target-columns", ESOL_TARGET, "--epochs", str(epochs), "--warmup-epochs", "0", "--message-hidden-dim", "300", "--depth", "3",
           "--ffn-hidden-dim", "300", "--ffn-num-layers", "2", "-o", str(out / "chemprop_graph"),
           "--accelerator", "cpu"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    models = sorted((out / "chemprop_graph").rglob("best*.pt")) or sorted((out / "chemprop_graph").rglob("*.pt"))
    if proc.returncode != 0 or not models:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-3000:])
        raise RuntimeError("chemprop training failed")
    return models[0]


def chemprop_measure(chemprop: str, model: Path, smiles: list[str], tmp: Path) -> dict:
    """One ``chemprop predict`` process over ``smiles``: wall seconds and peak RSS (MiB)."""
    inp, out = tmp / f"cp_in_{len(smiles)}.csv", tmp / f"cp_out_{len(smiles)}.csv"
    inp.write_text("smiles\n" + "\n".join(smiles) + "\n")
    cmd = [chemprop, "predict", "-i", str(inp), "-o", str(out), "--model-paths", str(model), "-s", "smiles",
           "--accelerator", "cpu"]
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "MAXRSS_KB=%M", *cmd], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-3000:])
        raise RuntimeError("chemprop predict failed")
    rows = sum(1 for _ in open(out)) - 1
    if rows != len(smiles):
        raise RuntimeError(f"chemprop predict wrote {rows} rows for {len(smiles)} molecules")
    return {"wall_s": wall, "peak_rss_mb": int(re.findall(r"MAXRSS_KB=(\d+)", proc.stderr)[-1]) / 1024,
            "streaming_mol_per_s": None, "failed": None,
            "command": shlex.join(["chemprop", "predict", "-i", "INPUT.csv", "-o", "OUT.csv", "--model-paths",
                                   "MODEL.pt", "-s", "smiles", "--accelerator", "cpu"])}


def measure(run: Path, smiles: list[str], chunk: int, tmp: Path, live: Path | None = None) -> dict:
    """One predict process over ``smiles``: wall seconds, peak RSS (MiB), the molecules/s molgdl reports, and the
    largest resident memory of the predict process while it scored each chunk (:func:`rss_by_chunk`)."""
    inp, out = tmp / f"in_{len(smiles)}.csv.gz", tmp / f"out_{len(smiles)}.csv"
    with gzip.open(inp, "wt") as fh:
        fh.write("smiles\n" + "\n".join(smiles) + "\n")
    for p in tmp.glob(f"out_{len(smiles)}.csv*"):
        p.unlink()
    cmd = [sys.executable, "-m", "molgdl", "predict", "--run", str(run), "--input", str(inp), "--output", str(out),
           "--chunk-size", str(chunk), "--quiet"]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(["/usr/bin/time", "-f", "MAXRSS_KB=%M", *cmd], stdout=subprocess.DEVNULL, stderr=err,
                                text=True, env={**os.environ, "COLUMNS": "1000"})
        by_chunk = rss_by_chunk(proc, Path(f"{out}.progress.json"), live)
        wall = time.perf_counter() - t0
        err.seek(0)
        stderr = err.read()
    if proc.returncode != 0:
        sys.stderr.write(stderr[-3000:])
        raise RuntimeError("predict failed")
    reported = re.search(r"wrote (\d+) predictions .*?\(([\d,]+) molecules/s", stderr)
    rows = sum(1 for _ in open(out)) - 1
    if rows != len(smiles) or reported is None:
        raise RuntimeError(f"predict wrote {rows} rows for {len(smiles)} molecules: {stderr[-1000:]}")
    return {"wall_s": wall, "peak_rss_mb": int(re.findall(r"MAXRSS_KB=(\d+)", stderr)[-1]) / 1024,
            "rss_by_chunk_mb": by_chunk[:-(-len(smiles) // chunk)],  # not the time after the last chunk
            "streaming_mol_per_s": float(reported.group(2).replace(",", "")),
            "failed": sum(1 for _ in open(f"{out}.failures.csv")) - 1 if Path(f"{out}.failures.csv").exists() else 0,
            "command": shlex.join(["python", "-m", "molgdl", "predict", "--run", run.name, "--input", "INPUT.csv.gz",
                                   "--output", "OUT.csv", "--chunk-size", str(chunk), "--quiet"])}


def rss_by_chunk(proc: subprocess.Popen, progress: Path, live: Path | None = None, every: float = 1.0
                 ) -> list[float | None]:
    """Wait for ``proc`` (``/usr/bin/time`` running ``molgdl predict``), sampling the predict process's resident
    memory (VmRSS, featurization workers not included) every ``every`` seconds; returns, per chunk, the largest
    value seen while it was scored (MiB; None for a chunk shorter than a sample), the chunk told by the job's
    progress file. So a memory that grows with the input shows chunk by chunk, and ``live`` (a JSON file, rewritten
    about once a minute and removed at the end) keeps the series of a long run stopped before its record is written."""
    peaks: list[float | None] = []
    done, last_write = -1, time.monotonic()
    while proc.poll() is None:
        rss = sum(_vm_rss_mb(pid) for pid in _children(proc.pid))
        try:
            done = json.loads(progress.read_text())["chunks_written"]
        except (OSError, ValueError, KeyError):
            pass  # not written yet, or being replaced
        if rss and done >= 0:
            peaks += [None] * (done + 1 - len(peaks))
            peaks[done] = round(max(peaks[done] or 0.0, rss), 1)
        if live is not None and time.monotonic() - last_write > 60:
            live.write_text(json.dumps({"rss_by_chunk_mb": peaks}) + "\n")
            last_write = time.monotonic()
        time.sleep(every)
    if live is not None:
        live.unlink(missing_ok=True)
    return peaks


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []


def _vm_rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    return int(found.group(1)) / 1024 if found else 0.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--library", type=Path, help="CSV(.gz) with a SMILES column (e.g. MOSES train.csv.gz)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 0])
    ap.add_argument("--runs", nargs="+", choices=sorted(RUNS), default=sorted(RUNS))
    ap.add_argument("--run", action="append", default=[], metavar="LABEL=DIR", help="use a trained run folder")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--chunk-size", type=int, default=10_000)
    ap.add_argument("--quick", action="store_true", help="2,000 and 10,000 molecules of the bundled data sets")
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--chemprop", help="the chemprop 2.3.1 command: adds the chemprop_graph peer arm")
    ap.add_argument("--repeats", type=int, default=1,
                    help="measure every arm this many times per size, arms interleaved (mean and spread reported)")
    args = ap.parse_args(argv)
    if args.quick:
        args.sizes, args.chunk_size, args.epochs = [2_000, 10_000], 2_000, 1
    elif args.library is None:
        ap.error("give --library PATH (or --quick)")
    args.results.mkdir(parents=True, exist_ok=True)
    given = dict(r.split("=", 1) for r in args.run)
    command = "python benchmarks/scale/predict.py " + (" ".join(["--quick"]) if args.quick else shlex.join(
        [*(["--library", args.library.name]), "--sizes", *map(str, args.sizes), "--chunk-size", str(args.chunk_size),
         *(["--runs", *args.runs] if args.runs != sorted(RUNS) else []),
         *(["--chemprop", "chemprop"] if args.chemprop else []),
         *(["--repeats", str(args.repeats)] if args.repeats > 1 else [])]))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        arms = {}  # label -> what to measure: a molgdl run folder or chemprop's model file
        for label in args.runs:
            arms[label] = Path(given[label]) if label in given else train(label, *RUNS[label], args.epochs, tmp / "runs")
        if args.chemprop:
            arms["chemprop_graph"] = chemprop_train(args.chemprop, args.epochs, tmp / "runs")
        for size in args.sizes:
            if args.quick:
                pool = bundled_smiles()
                smiles = (pool * (size // len(pool) + 1))[:size]
                source = f"bundled data sets ({', '.join(BUNDLED)}) repeated"
            else:
                smiles = library_smiles(args.library, size)
                source = args.library.name
            runs: dict[str, list[dict]] = {label: [] for label in arms}
            for _ in range(args.repeats):  # arms interleaved, so that every repeat sees the same machine load
                for label, target in arms.items():
                    runs[label].append(chemprop_measure(args.chemprop, target, smiles, tmp) if label == "chemprop_graph"
                                       else measure(target, smiles, args.chunk_size, tmp,
                                                    args.results / f"running_{label}_{len(smiles)}.json"))
            for label, measured in runs.items():
                record = {"run": label, "molecules": len(smiles), "chunk_size": args.chunk_size, "source": source,
                          "epochs_trained": None if label in given else args.epochs, "machine": machine(),
                          "benchmark_command": command, **combined(measured)}
                name = f"predict_{label}_{len(smiles)}{'_quick' if args.quick else ''}.json"
                record_path(args.results, name, command).write_text(json.dumps(record, indent=1) + "\n")
                rate = record["streaming_mol_per_s"]
                print(f"{label} {len(smiles):>8,} molecules: {record['wall_s']:.1f} s (mean of {args.repeats}), "
                      f"{'-' if rate is None else f'{rate:,.0f}'} mol/s streaming, {record['peak_rss_mb']:.0f} MiB peak")
    return 0


def record_path(results: Path, name: str, command: str) -> Path:
    """``results/name``, or ``results/cmd_<digest of command>/name`` when ``results/name`` holds the record of another
    benchmark command (the report pairs arms of one command: a later command must not replace their records)."""
    import hashlib

    path = results / name
    if path.exists() and json.loads(path.read_text()).get("benchmark_command") != command:
        path = results / f"cmd_{hashlib.sha256(command.encode()).hexdigest()[:8]}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
    return path


def combined(runs: list[dict]) -> dict:
    """One record from repeated measurements: mean wall time and streaming rate, the largest peak RSS, and every
    repeat's values (``wall_s_runs``, ``peak_rss_mb_runs``, ``streaming_mol_per_s_runs``)."""
    rates = [r["streaming_mol_per_s"] for r in runs]
    return {"wall_s": sum(r["wall_s"] for r in runs) / len(runs), "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "streaming_mol_per_s": None if rates[0] is None else sum(rates) / len(rates),
            "failed": runs[0]["failed"], "command": runs[0]["command"], "repeats": len(runs),
            "wall_s_runs": [r["wall_s"] for r in runs], "peak_rss_mb_runs": [r["peak_rss_mb"] for r in runs],
            "streaming_mol_per_s_runs": rates, "rss_by_chunk_mb_runs": [r.get("rss_by_chunk_mb") for r in runs]}


if __name__ == "__main__":
    sys.exit(main())
