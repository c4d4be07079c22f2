"""Pretraining at library scale (issue 25, first acceptance line): ``molgdl pretrain`` of the default encoder
(configs/pretrain_moses.yaml) on the first N MOSES molecules, with bounded memory, killed once and resumed.

The run is killed with SIGKILL (its whole process group: the trainer and its loader workers) after
``--kill-after`` seconds and continued with ``molgdl pretrain --resume``; both processes are sampled every
``--sample-seconds`` for resident memory (the trainer, and the trainer plus its workers), so the record shows
whether memory stays flat as the stream advances. One JSON record goes to
``benchmarks/fewshot/results/pretrain_scale_<N>.json``: the phases (wall seconds, memory samples, peak), where the
resumed run continued (from its run.log), the pretraining record (molecules seen, steps, held-out RMSE) and the
run's config. The encoder itself stays in ``--out``; ``run.py --pretrained OUT/pretrain_moses`` measures it.

    OMP_NUM_THREADS=1 python benchmarks/fewshot/pretrain.py --molecules 1000000 --kill-after 1200 \\
        --out /tmp/pretrain_1m
    python benchmarks/fewshot/pretrain.py --quick      # 3,000 molecules, killed after 40 s
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))
from common import machine  # noqa: E402

MOSES = ROOT.parent / "shared" / "data" / "moses" / "train.csv.gz"


def tree_rss_kib(pid: int) -> tuple[int, int, int]:
    """(VmRSS of ``pid``, VmHWM of ``pid``, VmRSS of ``pid`` and all its descendants), KiB; zeros once it is gone."""
    def field(p: int, name: str) -> int:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith(name + ":"):
                    return int(line.split()[1])
        except OSError:  # the process has ended
            return 0
        return 0

    def children(p: int) -> list[int]:
        try:
            return [int(c) for t in os.listdir(f"/proc/{p}/task")
                    for c in Path(f"/proc/{p}/task/{t}/children").read_text().split()]
        except OSError:
            return []

    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += field(p, "VmRSS")
        stack.extend(children(p))
    return field(pid, "VmRSS"), field(pid, "VmHWM"), total


def phase(cmd: list[str], kill_after: float | None, sample_seconds: float, log: Path) -> dict:
    """Run ``cmd`` in its own process group, sampling its memory; SIGKILL the group after ``kill_after`` s."""
    t0 = time.perf_counter()
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
                                env={**os.environ, "COLUMNS": "200"})
        samples, hwm, killed = [], 0, False
        while proc.poll() is None:
            time.sleep(sample_seconds)
            rss, peak, total = tree_rss_kib(proc.pid)
            if rss:
                hwm = max(hwm, peak)
                samples.append([round(time.perf_counter() - t0, 1), rss, total])
            if kill_after is not None and time.perf_counter() - t0 >= kill_after and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                killed = True
    return {"command": " ".join(cmd[2:]), "wall_s": time.perf_counter() - t0, "returncode": proc.returncode,
            "killed": killed, "peak_rss_kib": hwm, "samples": samples}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--molecules", type=int, default=1_000_000, help="first N molecules of MOSES train")
    ap.add_argument("--library", type=Path, default=MOSES)
    ap.add_argument("--config", type=Path, default=ROOT / "configs" / "pretrain_moses.yaml")
    ap.add_argument("--kill-after", type=float, default=1200.0, help="SIGKILL the first run after this many s")
    ap.add_argument("--sample-seconds", type=float, default=10.0)
    ap.add_argument("--out", type=Path, help="output folder of the pretraining run (default: a temporary one)")
    ap.add_argument("--results", type=Path, default=HERE / "results")
    ap.add_argument("--set", action="append", default=[], help="extra --set KEY=VALUE for molgdl pretrain")
    ap.add_argument("--quick", action="store_true", help="3,000 molecules, killed after 40 s, temporary results")
    args = ap.parse_args(argv)
    if args.quick:
        args.molecules, args.kill_after, args.sample_seconds = 3000, 40.0, 2.0
        args.set += ["data.val_molecules=500", "trainer.checkpoint_every_n_steps=5", "trainer.loader_workers=1"]
        args.results = Path(tempfile.mkdtemp()) / "results"
    out = args.out or Path(tempfile.mkdtemp(prefix="molgdl_pretrain_"))
    out.mkdir(parents=True, exist_ok=True)
    base = [sys.executable, "-m", "molgdl", "pretrain", str(args.config), "--set", f"run.output_dir={out}",
            "--set", f"data.path={args.library}", "--set", f"data.max_molecules={args.molecules}",
            "--set", "trainer.progress_bar=false"]
    for s in args.set:
        base += ["--set", s]
    run_dir = out / "pretrain_moses"
    phases = [phase(base + ["--overwrite"], args.kill_after, args.sample_seconds, out / "phase1.log")]
    if phases[0]["killed"]:
        phases.append(phase(base + ["--resume"], None, args.sample_seconds, out / "phase2.log"))
    if phases[-1]["returncode"] != 0:
        sys.stderr.write((out / f"phase{len(phases)}.log").read_text()[-3000:])
        raise SystemExit("pretraining failed")
    sys.path.insert(0, str(HERE))
    from run import pretrain_record

    resumed = re.findall(r"resuming from .* after data row (\d+)", (run_dir / "run.log").read_text())
    record = {"benchmark_command": "python benchmarks/fewshot/pretrain.py " + " ".join(argv or sys.argv[1:]),
              "machine": machine(), "molecules": args.molecules, "kill_after_s": args.kill_after,
              "resumed_after_row": int(resumed[-1]) if resumed else None, "phases": phases,
              **pretrain_record(run_dir, f"scale_{args.molecules}")}
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"pretrain_scale_{args.molecules}.json"
    path.write_text(json.dumps(record, indent=1) + "\n")
    wall = sum(p["wall_s"] for p in phases)
    print(f"{record['train_molecules_seen']:,} molecules seen in {wall / 60:.1f} min "
          f"({'killed and resumed after row ' + str(record['resumed_after_row']) if resumed else 'not killed'}); "
          f"peak RSS {max(p['peak_rss_kib'] for p in phases) / 1024:,.0f} MiB; {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
