"""Writes the ``e3nn-throughput`` section of BENCHMARKS.md from ``benchmarks/e3nn/results/throughput_<device>.json``
(written by ``throughput.py``); every number and verdict is computed here from the per-step times, which pair up
by batch (every model trains on the same batches). Also the ``e3nn-gpu-fast-path`` section (issue 26) from
``results/device_throughput*.json`` (``device_throughput.py``; text in ``device_section.py``).

    python benchmarks/e3nn/report.py [--results DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from common import write_section  # noqa: E402
from stats import paired  # noqa: E402

import device_section  # noqa: E402

SECTIONS = ("e3nn-throughput", "e3nn-gpu-fast-path")
QUICK = ("throughput.py --quick",)
RESULTS = HERE / "results"


def reference(model: str) -> str | None:
    """The plain-e3nn network with the same hidden irreps as a molgdl-e3nn row."""
    if not model.startswith("e3nn"):
        return None
    return "plain " + model.replace("natural ", "").replace("c2 ", "")


def device_lines(d: dict, device: str) -> list[str]:
    rows = d["rows"]
    by = {(r["precision"], r["model"]): r for r in rows}
    steps = len(rows[0]["step_s"]) if rows else 0
    lines = [f"**{device.upper()}** ({d['machine']}{', ' + d['gpu'] if d.get('gpu') else ''}, torch {d['torch']}; "
             f"batch {d['batch']}, {d['warmup']} warm-up + {steps} timed steps per model, each timed as "
             f"{d['clock']}; peak memory: {'RSS of the process' if device == 'cpu' else 'CUDA allocation'}). "
             f"Command: `{d['command']}`; raw results: `benchmarks/e3nn/results/throughput_{device}.json`.", "",
             "| precision | model | params | atoms/batch | molecules/s | s/step (mean ± std) | peak MiB | "
             "vs plain e3nn (same irreps): time ratio | paired by batch |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        t = np.asarray(r["step_s"])
        ref = by.get((r["precision"], reference(r["model"]) or ""))
        ratio, verdict = "", ""
        if ref is not None:
            ratio = f"{t.mean() / np.mean(ref['step_s']):.2f}"
            verdict = "step time " + paired(t, ref["step_s"], "faster", "slower")
        lines.append(f"| {r['precision']} | {r['model']} | {r['params']:,} | {r['atoms_per_batch']:.0f} | "
                     f"{r['mol_per_s']:.1f} | {t.mean():.3f} ± {t.std(ddof=1) if len(t) > 1 else 0:.3f} | "
                     f"{r['peak_mb']:.0f} | {ratio} | {verdict} |")
    return lines


def render(results: Path) -> str:
    lines = ["## e3nn training throughput (bundled QM9 slice, cutoff 5 Å)", "",
             "A step = forward + backward + Adam on an energy-like target (sum readout + linear head). `e3nn l1/l2`: "
             "molgdl-e3nn, 4 layers, 32 channels per irrep, both parities of every l, NequIP's layer; `natural`: the "
             "spherical harmonics' parity only; `natural c2`: the default encoder (natural parity, product basis "
             "`correlation: 2`). `plain e3nn`: e3nn's own `gate_points_2101.Network` with the same hidden irreps as "
             "the `e3nn` rows (the reference each e3nn row is compared with). SchNet: molgdl-models, 128 hidden, "
             "6 interactions. No neighbour cap (the default). The CUDA table measured earlier is withdrawn.", ""]
    for device in ("cpu", "cuda"):
        path = results / f"throughput_{device}.json"
        if path.exists():
            lines += device_lines(json.loads(path.read_text()), device) + [""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    write_section("e3nn-throughput", render(args.results))
    write_section("e3nn-gpu-fast-path", device_section.render(args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
