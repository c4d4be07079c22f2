"""Shared helpers of the benchmark scripts: timed subprocesses with peak memory, BENCHMARKS.md sections."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / ".bench"
CHEMPROP_PY = BENCH_DIR / "chemprop-venv" / "bin" / "python"


def timed(cmd: list[str], env: dict[str, str] | None = None, log: Path | None = None) -> dict:
    """Run ``cmd`` under ``/usr/bin/time``: wall seconds, peak RSS (MiB) of the process tree's largest member."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "MAXRSS_KB=%M", *cmd], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    wall = time.perf_counter() - t0
    if log:
        log.write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-3000:])
        raise RuntimeError(f"command failed ({proc.returncode}): {' '.join(cmd)}")
    rss = re.findall(r"MAXRSS_KB=(\d+)", proc.stderr)
    return {"wall_s": wall, "peak_rss_mb": int(rss[-1]) / 1024 if rss else float("nan"), "stdout": proc.stdout}


def molgdl_command(config: Path, overrides: list[str]) -> list[str]:
    """``python -m molgdl run config --overwrite --set o1 --set o2 ...``."""
    cmd = [sys.executable, "-m", "molgdl", "run", str(config), "--overwrite"]
    for s in overrides:
        cmd += ["--set", s]
    return cmd


def molgdl_run_once(cmd: list[str], run_dir: Path, name: str) -> float | None:
    """Run a ``molgdl_command`` unless ``run_dir/summary.json`` exists (then reused); returns the wall seconds
    of the run, or None when it was reused. A failed run prints its output tail and raises."""
    if (run_dir / "summary.json").exists():
        return None
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-3000:])
        raise RuntimeError(f"{name} failed")
    return time.perf_counter() - t0


def mean_std(values: list[float]) -> str:
    import numpy as np

    v = np.asarray(values, dtype=float)
    return f"{v.mean():.3f} ± {v.std(ddof=1) if len(v) > 1 else 0.0:.3f}"


def benchmarks_md() -> Path:
    """The file that ``write_section`` edits: ``$MOLGDL_BENCHMARKS_MD`` if set (``regenerate.py`` points it at a
    temp copy), else the repository's BENCHMARKS.md."""
    return Path(os.environ.get("MOLGDL_BENCHMARKS_MD") or ROOT / "BENCHMARKS.md")


def write_section(name: str, body: str) -> None:
    """Replace (or append) the section between ``<!-- name:start -->`` and ``<!-- name:end -->``."""
    path = benchmarks_md()
    text = path.read_text() if path.exists() else "# Benchmarks\n\nNumbers measured by the scripts in `benchmarks/`.\n"
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


def machine() -> str:
    import platform

    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def dump(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2))


def report_main(doc: str, results: Path, section: str, render, argv: list[str] | None = None) -> int:
    """The command line of a one-section report script: ``--results DIR`` (default ``results``, the committed
    raw results), then the text ``render(DIR)`` written as section ``section`` of BENCHMARKS.md."""
    import argparse

    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", type=Path, default=results)
    args = ap.parse_args(argv)
    write_section(section, render(args.results))
    return 0
