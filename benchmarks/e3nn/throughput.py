"""Training throughput (molecules/s) and peak memory of the molgdl-e3nn encoder vs SchNet and a plain-e3nn
reference network of equal size, on bundled QM9 molecules (z, pos; hydrogens included).

One training step = forward + backward + Adam step of encoder -> sum over atoms -> linear head, MSE to a
random energy-like target, batch of 128 molecules, cutoff 5 Å. Models:

- ``e3nn l1`` / ``e3nn l2``: molgdl-e3nn ``E3NNEncoder``, 4 layers, 32 channels per irrep, parity on, both
  parities of every l (``natural_parity: false``: the hidden irreps of the plain-e3nn reference).
- ``e3nn natural l1`` / ``l2``: the same with ``natural_parity: true`` (``0e+1o+2e`` only).
- ``e3nn natural c2 l1`` / ``l2``: the default encoder: natural parity and MACE's product basis
  (``correlation: 2``). All other e3nn rows use ``correlation: 1`` (NequIP's layer, as the plain reference).
- ``plain e3nn l1`` / ``l2``: e3nn's own ``gate_points_2101.Network`` (the e3nn authors' point-convolution
  network: same hidden irreps, 4 gated layers + output convolution, cutoff 5 Å, one-hot H C N O F input),
  the reference we must at least match.
- ``schnet``: molgdl-models SchNet, 128 hidden / 128 filters, 6 interactions.

Every configuration runs in its own process (peak RSS on CPU, ``torch.cuda.max_memory_allocated`` on CUDA).
CPU: 1 thread, batch ``--cpu-batch`` (default 32, to keep the run under 3 minutes: on CPU the cost per
molecule does not depend on the batch size), 1 warm-up + ``--cpu-steps`` timed steps, each timed as thread CPU
time. CUDA (when available): fp32 and bf16 autocast, 3 warm-up + ``--cuda-steps`` timed steps (synchronised wall
clock). Every model sees the same batches, so step times pair up by batch. Every step's time goes to
``benchmarks/e3nn/results/throughput_<device>.json``; ``report.py`` writes the section ``e3nn-throughput``.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/e3nn/throughput.py [--cpu-steps 5] [--cuda-steps 20] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import machine, timed  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"

MODELS = ["e3nn l1", "e3nn l2", "e3nn natural l1", "e3nn natural l2", "e3nn natural c2 l1", "e3nn natural c2 l2",
          "plain e3nn l1", "plain e3nn l2", "schnet"]
QM9_ELEMENTS = (1, 6, 7, 8, 9)


def qm9_batches(batch_size: int, count: int):
    """``count`` consecutive batches of the bundled QM9 slice (float32 pos in Å)."""
    import torch
    from molgdl_datasets.qm9 import load_bundled
    from torch_geometric.data import Batch, Data

    arrays = load_bundled(limit=batch_size * count)  # the slice has 3,000 molecules: batches repeat beyond it
    ptr, z, pos = arrays["ptr"], arrays["z"], arrays["pos"]
    graphs = [Data(z=torch.from_numpy(z[ptr[i]:ptr[i + 1]]), pos=torch.from_numpy(pos[ptr[i]:ptr[i + 1]]).float())
              for i in range(len(ptr) - 1)]
    distinct = [Batch.from_data_list(graphs[k * batch_size:(k + 1) * batch_size])
                for k in range(max(1, len(graphs) // batch_size))]
    return [distinct[k % len(distinct)] for k in range(count)]


def build(name: str):
    """``(module, energy_fn)``: ``energy_fn(batch) -> [B]``."""
    import torch

    torch.manual_seed(0)
    if name.startswith("e3nn"):
        from molgdl_e3nn.model import E3NNEncoder

        enc = E3NNEncoder(num_layers=4, l_max=int(name[-1]), parity=True, num_features=32, cutoff=5.0,
                          avg_num_neighbors=17.0, natural_parity="natural" in name,
                          correlation=2 if " c2 " in name else 1)
        return _with_sum_head(enc, enc.out_dim)
    if name == "schnet":
        from molgdl_models.schnet import SchNetEncoder

        enc = SchNetEncoder(hidden_channels=128, num_filters=128, num_interactions=6, cutoff=5.0)
        return _with_sum_head(enc, enc.out_dim)
    if name.startswith("plain e3nn"):
        from e3nn import o3
        from e3nn.nn.models.gate_points_2101 import Network

        l_max = int(name[-1])
        hidden = o3.Irreps([(32, (l, p)) for l in range(l_max + 1) for p in (1, -1)]).sort().irreps.simplify()
        net = Network(irreps_in=f"{len(QM9_ELEMENTS)}x0e", irreps_hidden=hidden, irreps_out="1x0e",
                      irreps_node_attr=f"{len(QM9_ELEMENTS)}x0e", irreps_edge_attr=o3.Irreps.spherical_harmonics(l_max),
                      layers=4, max_radius=5.0, number_of_basis=8, radial_layers=2, radial_neurons=64,
                      num_neighbors=17.0, num_nodes=18.0, reduce_output=True)
        lookup = torch.zeros(10, dtype=torch.long)
        lookup[list(QM9_ELEMENTS)] = torch.arange(len(QM9_ELEMENTS))

        def energy(batch):
            onehot = torch.nn.functional.one_hot(lookup.to(batch.z.device)[batch.z], len(QM9_ELEMENTS)).to(batch.pos.dtype)
            return net({"pos": batch.pos, "x": onehot, "z": onehot, "batch": batch.batch})[:, 0]

        return net, energy
    raise ValueError(name)


def _with_sum_head(enc, dim: int):
    import torch

    head = torch.nn.Linear(dim, 1)
    module = torch.nn.ModuleDict({"encoder": enc, "head": head})

    def energy(batch):
        atom = head(enc(batch))[:, 0]
        return atom.new_zeros(batch.num_graphs).index_add(0, batch.batch, atom)

    return module, energy


def run_one(name: str, device: str, precision: str, steps: int, warmup: int, batch_size: int) -> dict:
    """Time ``steps`` training steps in this process; returns molecules/s and peak memory (CUDA only)."""
    import torch

    if device == "cpu":
        torch.set_num_threads(1)
    batches = [b.to(device) for b in qm9_batches(batch_size, warmup + steps)]
    module, energy = build(name)
    module.to(device)
    opt = torch.optim.Adam(module.parameters(), lr=1e-4)
    gen = torch.Generator().manual_seed(0)
    targets = [torch.randn(b.num_graphs, generator=gen).to(device) for b in batches]
    use_bf16 = precision == "bf16"

    def step(batch, target):
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=use_bf16):
            pred = energy(batch)
        loss = (pred.float() - target).pow(2).mean()
        loss.backward()
        opt.step()
        return loss

    for b, t in zip(batches[:warmup], targets[:warmup]):
        step(b, t)
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    clock = time.thread_time if device == "cpu" else time.perf_counter
    loss, step_s = None, []
    for b, t in zip(batches[warmup:], targets[warmup:]):
        t0 = clock()
        loss = step(b, t)
        if device == "cuda":
            torch.cuda.synchronize()
        step_s.append(clock() - t0)
    wall = sum(step_s)
    n_mol = sum(b.num_graphs for b in batches[warmup:])
    n_atoms = sum(b.num_nodes for b in batches[warmup:]) / steps
    out = {"model": name, "device": device, "precision": precision, "mol_per_s": n_mol / wall,
           "s_per_step": wall / steps, "step_s": step_s, "atoms_per_batch": n_atoms,
           "finite": bool(torch.isfinite(loss)),
           "params": sum(p.numel() for p in module.parameters())}
    if device == "cuda":
        out["peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return out


def child(name: str, device: str, precision: str, steps: int, warmup: int, batch_size: int) -> dict:
    cmd = [sys.executable, __file__, "--one", name, device, precision, "--steps", str(steps), "--warmup",
           str(warmup), "--batch", str(batch_size)]
    res = timed(cmd, env={"OMP_NUM_THREADS": "1"} if device == "cpu" else None)
    row = json.loads(res["stdout"].strip().splitlines()[-1])
    if device == "cpu":
        row["peak_mb"] = res["peak_rss_mb"]
    return row


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--one", nargs=3, metavar=("MODEL", "DEVICE", "PRECISION"), help=argparse.SUPPRESS)
    ap.add_argument("--steps", type=int, default=2, help=argparse.SUPPRESS)
    ap.add_argument("--warmup", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--batch", type=int, default=128, help="molecules per batch")
    ap.add_argument("--cpu-batch", type=int, default=32, help="molecules per batch on CPU")
    ap.add_argument("--cpu-steps", type=int, default=5, help="timed CPU steps per model (after 1 warm-up)")
    ap.add_argument("--cuda-steps", type=int, default=20, help="timed CUDA steps per model (after 3 warm-ups)")
    ap.add_argument("--models", nargs="*", default=MODELS, help=f"subset of {MODELS}")
    ap.add_argument("--no-cpu", action="store_true", help="skip the CPU runs")
    ap.add_argument("--quick", action="store_true", help="3 models, batch 8, 2 CPU steps")
    ap.add_argument("--results", type=Path, default=RESULTS, help="folder of the raw results")
    args = ap.parse_args(argv)
    if args.one:
        name, device, precision = args.one
        print(json.dumps(run_one(name, device, precision, args.steps, args.warmup, args.batch)))
        return
    if args.quick:
        args.models, args.cpu_batch, args.cpu_steps = ["e3nn natural c2 l1", "plain e3nn l1", "schnet"], 8, 2

    import torch

    argv_text = " ".join(sys.argv[1:] if argv is None else argv)
    command = f"OMP_NUM_THREADS=1 python benchmarks/e3nn/throughput.py {argv_text}".strip()
    args.results.mkdir(parents=True, exist_ok=True)
    runs = []
    if not args.no_cpu:
        runs.append(("cpu", [("fp32", args.cpu_steps, 1, args.cpu_batch)]))
    if torch.cuda.is_available():
        runs.append(("cuda", [(p, args.cuda_steps, 3, args.batch) for p in ("fp32", "bf16")]))
    for device, settings in runs:
        rows = []
        for precision, steps, warmup, batch in settings:
            for name in args.models:
                try:
                    rows.append(child(name, device, precision, steps, warmup, batch))
                except RuntimeError as exc:  # e.g. an op without bf16 support: report, keep going
                    print(f"{name} {device} {precision} failed: {exc}", file=sys.stderr)
                    continue
                print(json.dumps(rows[-1]), flush=True)
        gpu = torch.cuda.get_device_name(0) if device == "cuda" else None
        (args.results / f"throughput_{device}.json").write_text(json.dumps({
            "command": command, "machine": machine(), "gpu": gpu, "torch": torch.__version__,
            "clock": "thread_time" if device == "cpu" else "perf_counter (synchronised)",
            "warmup": settings[0][2], "batch": settings[0][3], "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
