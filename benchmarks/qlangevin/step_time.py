"""(c) Optimizer step time of the quantized optimizers vs their base optimizer, as a mean over whole epochs.

A ~1M-parameter MLP (float32, fixed random gradients, 1 thread); only ``optimizer.step()`` is timed, as thread
CPU time (``time.thread_time``: time descheduled by other load is not counted). An epoch is ESOL's 18 batches
(``set_steps_per_epoch(18)``), so it contains the once-per-epoch diagnostics step of the default settings, and
the mean over all of its steps is what a training run pays. Base and quantized steps alternate step by step;
each repeat runs ``--epochs`` epochs of both and gives one ratio of means. Writes
``benchmarks/qlangevin/results/step_time.json``; ``report.py`` computes the verdict against 1.3x from it.

    OMP_NUM_THREADS=1 python benchmarks/qlangevin/step_time.py [--repeats 7 --epochs 10] [--quick] [--results DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

RESULTS = Path(__file__).resolve().parent / "results"
ESOL_BATCHES = 18  # ceil(902 training molecules / batch 50): configs/esol.yaml's random 80/10/10 split


def model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(384, 1024), torch.nn.ReLU(), torch.nn.Linear(1024, 512),
                               torch.nn.ReLU(), torch.nn.Linear(512, 128), torch.nn.ReLU(), torch.nn.Linear(128, 1))


def variants() -> list[tuple[str, str, object, object]]:
    """(name, base name, base factory, quantized factory)."""
    from molgdl_qlangevin.factories import build_qadam, build_qsgd, build_sgld
    from molgdl_qlangevin.params import QAdamParams, QSGDParams, SGLDParams

    adam = lambda p: torch.optim.Adam(p, lr=1e-3, foreach=True)  # noqa: E731
    sgd = lambda p: torch.optim.SGD(p, lr=1e-2, foreach=True)  # noqa: E731
    sgdm = lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.9, foreach=True)  # noqa: E731
    qa = lambda **kw: (lambda p: build_qadam(QAdamParams(lr=1e-3, eta=8192.0, schedule="constant", **kw), p))  # noqa: E731
    qs = lambda **kw: (lambda p: build_qsgd(QSGDParams(lr=1e-2, eta=8192.0, schedule="constant", **kw), p))  # noqa: E731
    return [
        ("qadam default (diagnostics once per epoch, sampled)", "adam", adam, qa()),
        ("qadam, diagnostics once per epoch on every coordinate (stats_sample: 0)", "adam", adam, qa(stats_sample=0)),
        ("qadam, diagnostics off (stats_every: 0)", "adam", adam, qa(stats_every=0)),
        ("qadam, diagnostics every step, sampled (stats_every: 1)", "adam", adam, qa(stats_every=1)),
        ("qsgd default (fused C loop, diagnostics once per epoch, sampled)", "sgd", sgd, qs()),
        ("qsgd, diagnostics once per epoch on every coordinate (stats_sample: 0)", "sgd", sgd, qs(stats_sample=0)),
        ("qsgd, diagnostics off (stats_every: 0)", "sgd", sgd, qs(stats_every=0)),
        ("qsgd unfused (fused: false), diagnostics once per epoch, sampled", "sgd", sgd, qs(fused=False)),
        ("qsgd default, momentum 0.9", "sgd momentum 0.9", sgdm, qs(momentum=0.9)),
        ("sgld (T=1e-5)", "sgd", sgd, lambda p: build_sgld(SGLDParams(lr=1e-2, temperature=1e-5, seed=0), p)),
    ]


def step_cpu_time(opt) -> float:
    t0 = time.thread_time()
    opt.step()
    return time.thread_time() - t0


def one_repeat(make_base, make_q, epochs: int) -> dict:
    """Alternating base/quantized steps over ``epochs`` epochs of ESOL_BATCHES steps: per-step seconds."""
    m_base, m_q = model(), model()
    g = torch.Generator().manual_seed(1)
    for a, b in zip(m_base.parameters(), m_q.parameters()):
        a.grad = torch.randn(a.shape, generator=g) * 1e-2
        b.grad = a.grad.clone()
    base, quant = make_base(list(m_base.parameters())), make_q(list(m_q.parameters()))
    if hasattr(quant, "set_steps_per_epoch"):
        quant.set_steps_per_epoch(ESOL_BATCHES)
    for _ in range(ESOL_BATCHES):  # one warm-up epoch (state allocation, the C loop's first call)
        base.step(), quant.step()
    tb, tq = [], []
    for _ in range(epochs * ESOL_BATCHES):
        tb.append(step_cpu_time(base))
        tq.append(step_cpu_time(quant))
    return {"base_s": tb, "quant_s": tq, "params": sum(p.numel() for p in m_base.parameters())}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--epochs", type=int, default=10, help="epochs of ESOL_BATCHES steps per repeat")
    ap.add_argument("--quick", action="store_true", help="5 repeats of 1 epoch")
    ap.add_argument("--results", type=Path, default=RESULTS, help="folder of the raw results")
    args = ap.parse_args(argv)
    if args.quick:
        args.repeats, args.epochs = 5, 1
    torch.set_num_threads(1)
    rows = []
    for name, base_name, make_base, make_q in variants():
        reps = [one_repeat(make_base, make_q, args.epochs) for _ in range(args.repeats)]
        per_step = len(reps[0]["base_s"])
        row = {"variant": name, "base": base_name, "params": reps[0]["params"],
               # per repeat: mean ms over all steps; per position in the epoch: mean ms over epochs and repeats
               "base_ms": [1e3 * sum(r["base_s"]) / per_step for r in reps],
               "quant_ms": [1e3 * sum(r["quant_s"]) / per_step for r in reps],
               "quant_ms_by_batch": [1e3 * sum(r["quant_s"][i] for r in reps for i in range(b, per_step, ESOL_BATCHES))
                                     / (len(reps) * args.epochs) for b in range(ESOL_BATCHES)],
               "base_ms_by_batch": [1e3 * sum(r["base_s"][i] for r in reps for i in range(b, per_step, ESOL_BATCHES))
                                    / (len(reps) * args.epochs) for b in range(ESOL_BATCHES)]}
        rows.append(row)
        ratios = [q / b for q, b in zip(row["quant_ms"], row["base_ms"])]
        print(f"{name:75s} ratio of means per repeat {', '.join(f'{r:.2f}' for r in ratios)}", flush=True)
    args.results.mkdir(parents=True, exist_ok=True)
    argv_text = " ".join(sys.argv[1:] if argv is None else argv)
    (args.results / "step_time.json").write_text(json.dumps({
        "command": f"OMP_NUM_THREADS=1 python benchmarks/qlangevin/step_time.py {argv_text}".strip(),
        "torch": torch.__version__, "threads": 1, "clock": "thread_time", "repeats": args.repeats,
        "epochs": args.epochs, "batches_per_epoch": ESOL_BATCHES, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
