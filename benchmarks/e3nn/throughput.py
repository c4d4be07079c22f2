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
molecule does not depend on the batch size), 1 warm-up + ``--cpu-steps`` timed steps. CUDA (when available): fp32 and bf16 autocast,
3 warm-up + ``--cuda-steps`` timed steps. The table goes to BENCHMARKS.md (section ``e3nn-throughput``).

    nice -n 5 python benchmarks/e3nn/throughput.py [--cpu-steps 2] [--cuda-steps 20] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import machine, timed, write_section  # noqa: E402

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
                          avg_num_neighbors=17.0, max_num_neighbors=32, natural_parity="natural" in name,
                          correlation=2 if " c2 " in name else 1)
        return _with_sum_head(enc, enc.out_dim)
    if name == "schnet":
        from molgdl_models.schnet import SchNetEncoder

        enc = SchNetEncoder(hidden_channels=128, num_filters=128, num_interactions=6, cutoff=5.0,
                            max_num_neighbors=32)
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
    t0 = time.perf_counter()
    loss = None
    for b, t in zip(batches[warmup:], targets[warmup:]):
        loss = step(b, t)
    if device == "cuda":
        torch.cuda.synchronize()
    wall = time.perf_counter() - t0
    n_mol = sum(b.num_graphs for b in batches[warmup:])
    n_atoms = sum(b.num_nodes for b in batches[warmup:]) / steps
    out = {"model": name, "device": device, "precision": precision, "mol_per_s": n_mol / wall,
           "s_per_step": wall / steps, "atoms_per_batch": n_atoms, "finite": bool(torch.isfinite(loss)),
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


def table(rows: list[dict]) -> str:
    lines = ["| device | precision | model | params | atoms/batch | molecules/s | s/step | peak memory (MiB) | vs plain e3nn |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    by_key = {(r["device"], r["precision"], r["model"]): r for r in rows}
    for r in rows:
        ref = None
        if r["model"].startswith("e3nn"):
            ref = by_key.get((r["device"], r["precision"], "plain " + r["model"].replace("natural ", "").replace("c2 ", "")))
        ratio = f"{r['mol_per_s'] / ref['mol_per_s']:.2f}x" if ref else ""
        mem_kind = "RSS" if r["device"] == "cpu" else "CUDA alloc"
        lines.append(f"| {r['device']} | {r['precision']} | {r['model']} | {r['params']:,} | {r['atoms_per_batch']:.0f} | "
                     f"{r['mol_per_s']:.1f} | "
                     f"{r['s_per_step']:.3f} | {r['peak_mb']:.0f} ({mem_kind}) | {ratio} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--one", nargs=3, metavar=("MODEL", "DEVICE", "PRECISION"), help=argparse.SUPPRESS)
    ap.add_argument("--steps", type=int, default=2, help=argparse.SUPPRESS)
    ap.add_argument("--warmup", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--batch", type=int, default=128, help="molecules per batch")
    ap.add_argument("--cpu-batch", type=int, default=32, help="molecules per batch on CPU")
    ap.add_argument("--cpu-steps", type=int, default=2, help="timed CPU steps per model (after 1 warm-up)")
    ap.add_argument("--cuda-steps", type=int, default=20, help="timed CUDA steps per model (after 3 warm-ups)")
    ap.add_argument("--models", nargs="*", default=MODELS, help=f"subset of {MODELS}")
    ap.add_argument("--no-cpu", action="store_true", help="skip the CPU runs")
    ap.add_argument("--no-write", action="store_true", help="print only; do not update BENCHMARKS.md")
    args = ap.parse_args()
    if args.one:
        name, device, precision = args.one
        print(json.dumps(run_one(name, device, precision, args.steps, args.warmup, args.batch)))
        return

    import torch

    rows = []
    if not args.no_cpu:
        for name in args.models:
            rows.append(child(name, "cpu", "fp32", args.cpu_steps, 1, args.cpu_batch))
            print(json.dumps(rows[-1]), flush=True)
    if torch.cuda.is_available():
        for precision in ("fp32", "bf16"):
            for name in args.models:
                try:
                    rows.append(child(name, "cuda", precision, args.cuda_steps, 3, args.batch))
                except RuntimeError as exc:  # e.g. an op without bf16 support: report, keep going
                    print(f"{name} cuda {precision} failed: {exc}", file=sys.stderr)
                    continue
                print(json.dumps(rows[-1]), flush=True)
    gpu = f"; CUDA: {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else "; CUDA: not available"
    body = (f"### e3nn training throughput (bundled QM9 slice, cutoff 5 Å)\n\n"
            f"`nice -n 5 python benchmarks/e3nn/throughput.py --cpu-batch {args.cpu_batch} --cpu-steps "
            f"{args.cpu_steps}` on {machine()}{gpu}; CPU runs: 1 thread, batch {args.cpu_batch}, 1 warm-up + "
            f"{args.cpu_steps} timed steps, peak RSS of the whole process; CUDA runs: batch {args.batch}, 3 warm-ups + "
            f"{args.cuda_steps} timed steps, peak CUDA allocation. A step = forward + backward + Adam on an energy-like target "
            f"(sum readout + linear head). e3nn: 4 layers, 32 channels per irrep, parity; plain e3nn: e3nn's "
            f"`gate_points_2101.Network` with the same hidden irreps; SchNet: 128 hidden, 6 interactions. "
            f"'vs plain e3nn' = molecules/s ratio (> 1: molgdl-e3nn faster).\n\n{table(rows)}\n")
    print(body)
    if not args.no_write:
        write_section("e3nn-throughput", body)


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
