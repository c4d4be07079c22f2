"""(c) Optimizer step time of the quantized optimizers vs their base optimizer, ~1M-parameter MLP, 1 thread.

Only ``optimizer.step()`` is timed (gradients are fixed random tensors, set once), as thread CPU time
(``time.thread_time``: time the process spends descheduled by other load on the machine is not counted).
Base and quantized steps alternate step by step and the median over the repetitions is taken, so what
load remains (shared caches, frequency) hits both alike. Writes ``.bench/qlangevin/results/step_time.json``.

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
        ("qadam (eta=2^13, default: stats once per epoch, B=100)", adam, qa(eta=8192.0)),
        ("qadam (eta=2^13, stats_every=10)", adam, qa(eta=8192.0, stats_every=10)),
        ("qadam (eta=2^13, stats_every=1)", adam, qa(eta=8192.0, stats_every=1)),
        ("qadam (eta=1000, float64 path, stats off)", adam, qa(eta=1000.0, stats_every=0)),
        ("qadam (stochastic rounding, stats off)", adam, qa(eta=8192.0, stats_every=0, rounding="stochastic", seed=0)),
        ("qsgd unfused (fused: false, eta=2^13, stats off)", sgd, qs(eta=8192.0, stats_every=0, fused=False)),
        ("qsgd unfused (fused: false, eta=2^13, stats once per epoch, B=100)", sgd, qs(eta=8192.0, fused=False)),
        ("qsgd unfused momentum 0.9 (fused: false, eta=2^13, stats off)", sgdm,
         qs(eta=8192.0, stats_every=0, momentum=0.9, fused=False)),
        ("qsgd default (fused C loop, eta=2^13, stats off)", sgd, qs(eta=8192.0, stats_every=0)),
        ("qsgd default (fused C loop, eta=2^13, stats once per epoch, B=100)", sgd, qs(eta=8192.0)),
        ("qsgd default momentum 0.9 (fused C loop, eta=2^13, stats off)", sgdm, qs(eta=8192.0, stats_every=0,
                                                                                momentum=0.9)),
        ("sgld (T=1e-5) vs sgd", sgd, lambda p: build_sgld(SGLDParams(lr=1e-2, temperature=1e-5, seed=0), p)),
    ]


def step_cpu_time(opt) -> float:
    t0 = time.thread_time()
    opt.step()
    return time.thread_time() - t0


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
        for _ in range(10):  # warm-up (state allocation)
            base.step(), quant.step()
        tb, tq = [], []
        for _ in range(args.reps):  # alternating steps
            tb.append(step_cpu_time(base))
            tq.append(step_cpu_time(quant))
        mb, mq = statistics.median(tb), statistics.median(tq)
        rows.append({"variant": name, "params": n_params, "base_ms": mb * 1e3, "quant_ms": mq * 1e3,
                     "ratio": mq / mb})
        print(f"{name:55s} base {mb * 1e3:7.3f} ms  quantized {mq * 1e3:7.3f} ms  ratio {mq / mb:5.2f}", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "step_time.json").write_text(json.dumps({"torch": torch.__version__, "threads": 1, "reps": args.reps,
                                                   "clock": "thread_time", "rows": rows,
                                                   "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])},
                                                  indent=2))


if __name__ == "__main__":
    main()
