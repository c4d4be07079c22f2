"""(c) Optimizer step time of the quantized optimizers vs their base optimizer, ~1M-parameter MLP, 1 thread.

Only ``optimizer.step()`` is timed (gradients are fixed random tensors, set once). Base and quantized
steps are interleaved repetition by repetition and the median is taken, so load from other processes on
the machine hits both alike. Writes ``.bench/qlangevin/results/step_time.json``.

    OMP_NUM_THREADS=1 python benchmarks/qlangevin/step_time.py [--reps 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / ".bench" / "qlangevin" / "results"


def model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(384, 1024), torch.nn.ReLU(), torch.nn.Linear(1024, 512),
                               torch.nn.ReLU(), torch.nn.Linear(512, 128), torch.nn.ReLU(), torch.nn.Linear(128, 1))


def variants():
    from molgdl_qlangevin.factories import build_qadam, build_qsgd, build_sgld
    from molgdl_qlangevin.params import QAdamParams, QSGDParams, SGLDParams

    adam = lambda p: torch.optim.Adam(p, lr=1e-3, foreach=True)  # noqa: E731
    sgd = lambda p: torch.optim.SGD(p, lr=1e-2, foreach=True)  # noqa: E731
    sgdm = lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.9, foreach=True)  # noqa: E731
    qa = lambda **kw: (lambda p: build_qadam(QAdamParams(lr=1e-3, schedule="constant", **kw), p))  # noqa: E731
    qs = lambda **kw: (lambda p: build_qsgd(QSGDParams(lr=1e-2, schedule="constant", **kw), p))  # noqa: E731
    return [
        ("qadam (eta=2^13, stats off)", adam, qa(eta=8192.0, stats_every=0)),
        ("qadam (eta=2^13, stats_every=10, default)", adam, qa(eta=8192.0, stats_every=10)),
        ("qadam (eta=2^13, stats_every=1)", adam, qa(eta=8192.0, stats_every=1)),
        ("qadam (eta=1000, float64 path, stats off)", adam, qa(eta=1000.0, stats_every=0)),
        ("qadam (stochastic rounding, stats off)", adam, qa(eta=8192.0, stats_every=0, rounding="stochastic", seed=0)),
        ("qsgd (eta=2^13, stats off)", sgd, qs(eta=8192.0, stats_every=0)),
        ("qsgd (eta=2^13, stats_every=10, default)", sgd, qs(eta=8192.0, stats_every=10)),
        ("qsgd momentum 0.9 (eta=2^13, stats off)", sgdm, qs(eta=8192.0, stats_every=0, momentum=0.9)),
        ("sgld (T=1e-5) vs sgd", sgd, lambda p: build_sgld(SGLDParams(lr=1e-2, temperature=1e-5, seed=0), p)),
    ]


def timed_steps(opt, reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        opt.step()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=200)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = []
    for name, make_base, make_q in variants():
        m_base, m_q = model(), model()
        g = torch.Generator().manual_seed(1)
        for a, b in zip(m_base.parameters(), m_q.parameters()):
            a.grad = torch.randn(a.shape, generator=g) * 1e-2
            b.grad = a.grad.clone()
        n_params = sum(p.numel() for p in m_base.parameters())
        base, quant = make_base(list(m_base.parameters())), make_q(list(m_q.parameters()))
        if hasattr(quant, "set_steps_per_epoch"):
            quant.set_steps_per_epoch(100)
        timed_steps(base, 10), timed_steps(quant, 10)  # warm-up (state allocation)
        tb, tq = [], []
        for _ in range(args.reps // 10):  # interleaved blocks of 10 steps
            tb += timed_steps(base, 10)
            tq += timed_steps(quant, 10)
        mb, mq = statistics.median(tb), statistics.median(tq)
        rows.append({"variant": name, "params": n_params, "base_ms": mb * 1e3, "quant_ms": mq * 1e3,
                     "ratio": mq / mb})
        print(f"{name:45s} base {mb * 1e3:7.3f} ms  quantized {mq * 1e3:7.3f} ms  ratio {mq / mb:5.2f}", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "step_time.json").write_text(json.dumps({"torch": torch.__version__, "threads": 1, "rows": rows,
                                                   "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])},
                                                  indent=2))


if __name__ == "__main__":
    main()
