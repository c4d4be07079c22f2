"""GPU throughput of the molgdl-e3nn fast path (``kernels: cuequivariance``) against the same encoder on the plain
e3nn path, e3nn's own ``gate_points_2101`` network and PyG's SchNet, all in one run: molecules/s for training and
inference on QM9 (batch 128, l_max 1 and 2, fp32 and bf16 autocast) and for energy + force training on rMD17 ethanol.

Models (every e3nn row has the hidden irreps of ``gate_points_2101``: 32 channels of both parities of every l,
4 layers, cutoff 5 Å, NequIP's layer, ``correlation: 1``, ``natural_parity: false``):

- ``fast l1/l2``: molgdl-e3nn ``E3NNEncoder(kernels="cuequivariance")``: each convolution one cuEquivariance kernel;
- ``molgdl plain l1/l2``: the same encoder and parameters with ``kernels="plain"``;
- ``plain e3nn l1/l2``: ``e3nn.nn.models.gate_points_2101.Network`` (its own radius graph, plain torch);
- ``pyg schnet``: ``torch_geometric.nn.models.SchNet`` (128 hidden, 128 filters, 6 interactions, cutoff 5 Å) with
  the radius graph computed once per batch before timing (pyg-lib / torch-cluster are absent; the e3nn rows
  build theirs inside every step, so SchNet is favoured here).

A training step = forward + backward + Adam of encoder -> sum -> energy, MSE to a random target (QM9) or
energy + 10 x force MSE with forces = -dE/dpos (ethanol, the 100 bundled frames, fp32 only). Inference =
forward under ``torch.no_grad``. Each (model, task, precision) runs ``--warmup`` untimed and ``--steps`` timed
steps, each timed with ``torch.cuda.synchronize`` (wall clock). One process per model (peak memory per model).

    bash benchmarks/e3nn/device_throughput.sh              # on the device machine: writes $OUT/device_throughput.json
    python benchmarks/e3nn/device_throughput.py --dry-run  # here, on CPU at tiny size: proves the script end to end
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from common import machine  # noqa: E402

MODELS = ["fast l1", "molgdl plain l1", "plain e3nn l1", "fast l2", "molgdl plain l2", "plain e3nn l2", "pyg schnet"]
QM9_ELEMENTS = (1, 6, 7, 8, 9)


def build(name: str, device: str):
    """``(module, energy_fn)`` with ``energy_fn(batch) -> [B]`` energies."""
    import torch

    torch.manual_seed(0)
    if name.startswith(("fast", "molgdl plain")):
        from molgdl_e3nn.model import E3NNEncoder

        enc = E3NNEncoder(num_layers=4, l_max=int(name[-1]), parity=True, num_features=32, cutoff=5.0,
                          avg_num_neighbors=17.0, natural_parity=False, correlation=1,
                          kernels="cuequivariance" if name.startswith("fast") else "plain")
        head = torch.nn.Linear(enc.out_dim, 1)
        module = torch.nn.ModuleDict({"encoder": enc, "head": head}).to(device)

        def energy(batch):
            atom = head(enc(batch))[:, 0].float()
            return atom.new_zeros(batch.num_graphs).index_add(0, batch.batch, atom)

        return module, energy
    if name.startswith("plain e3nn"):
        from throughput import build as build_plain

        module, energy = build_plain(name)
        return module.to(device), energy
    if name == "pyg schnet":
        from torch_geometric.nn.models import SchNet

        current = {}

        def graph(pos, batch):  # the batch's precomputed edges; distances from pos (differentiable)
            src, dst = current["edge_index"]
            return current["edge_index"], (pos[src] - pos[dst]).norm(dim=-1)

        net = SchNet(hidden_channels=128, num_filters=128, num_interactions=6, num_gaussians=50, cutoff=5.0,
                     interaction_graph=graph).to(device)

        def energy(batch):
            current["edge_index"] = batch.edge_index
            return net(batch.z, batch.pos, batch.batch)[:, 0].float()

        return net, energy
    raise ValueError(name)


def with_edges(batches):
    """Each batch with its radius graph (5 Å, plain torch) as ``edge_index``, computed once (for PyG SchNet)."""
    from molgdl.geometry import radius_graph

    for b in batches:
        b.edge_index = radius_graph(b.pos, b.batch, 5.0)
    return batches


def ethanol_batches(batch_size: int, count: int, device: str):
    """``count`` batches of ``batch_size`` frames cycling over the 100 bundled rMD17 ethanol frames
    (energies eV, forces eV/Å)."""
    import torch
    from molgdl_datasets.bundled import data_path
    from molgdl_datasets.xyz_reader import parse_extxyz
    from torch_geometric.data import Batch, Data

    frames = parse_extxyz(data_path("rmd17_ethanol_first100.xyz"))
    e0 = sum(float(f.info["energy"]) for f in frames) / len(frames)
    graphs = [Data(z=torch.from_numpy(f.z), pos=torch.from_numpy(f.pos).float(),
                   energy=torch.tensor([float(f.info["energy"]) - e0]),
                   forces=torch.from_numpy(f.arrays["forces"]).float()) for f in frames]
    out = []
    for k in range(count):
        picked = [graphs[(k * batch_size + i) % len(graphs)] for i in range(batch_size)]
        out.append(Batch.from_data_list(picked).to(device))
    return out


def measure(step, batches, warmup: int, device: str) -> dict:
    import torch

    for b in batches[:warmup]:
        step(b)
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    times = []
    for b in batches[warmup:]:
        t0 = time.perf_counter()
        step(b)
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    n_mol = sum(b.num_graphs for b in batches[warmup:])
    out = {"mol_per_s": n_mol / sum(times), "step_s": times, "batch": batches[0].num_graphs,
           "atoms_per_batch": sum(b.num_nodes for b in batches[warmup:]) / len(times)}
    if device == "cuda":
        out["peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return out


def run_model(name: str, device: str, batch: int, steps: int, warmup: int, precisions: list[str]) -> list[dict]:
    """Every task of one model in this process: QM9 train / infer at each precision, ethanol energy + force train."""
    import torch
    from throughput import qm9_batches

    module, energy = build(name, device)
    opt = torch.optim.Adam(module.parameters(), lr=1e-4)
    qm9 = [b.to(device) for b in with_edges(qm9_batches(batch, warmup + steps))]
    gen = torch.Generator().manual_seed(0)
    for b in qm9:
        b.target = torch.randn(b.num_graphs, generator=gen).to(device)
    base = {"model": name, "device": device, "params": sum(p.numel() for p in module.parameters()),
            "kernels": getattr(module["encoder"], "kernels", None) if isinstance(module, torch.nn.ModuleDict) else None}
    rows = []

    def train_step(b, bf16):
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=bf16):
            pred = energy(b)
        (pred.float() - b.target).pow(2).mean().backward()
        opt.step()

    def infer_step(b, bf16):
        with torch.no_grad(), torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=bf16):
            energy(b)

    def force_step(b):
        opt.zero_grad(set_to_none=True)
        b.pos.requires_grad_(True)
        e = energy(b)
        (forces,) = torch.autograd.grad(-e.sum(), b.pos, create_graph=True)
        loss = (e - b.energy.float()).pow(2).mean() + 10.0 * (forces - b.forces).pow(2).mean()
        loss.backward()
        opt.step()
        b.pos.requires_grad_(False)

    tasks = [(f"qm9 {mode}", p, (lambda b, f=fn, bf=(p == "bf16"): f(b, bf)), qm9)
             for p in precisions for mode, fn in (("train", train_step), ("infer", infer_step))]
    ethanol = with_edges(ethanol_batches(min(batch, 32), warmup + steps, device))
    tasks.append(("ethanol energy+force train", "fp32", force_step, ethanol))
    for task, precision, step, batches in tasks:
        row = {**base, "task": task, "precision": precision}
        try:
            row.update(measure(step, batches, warmup, device))
        except Exception as exc:  # an op without bf16 or double-backward support: record it, keep going
            row["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"
        rows.append(row)
        print(json.dumps({k: v for k, v in row.items() if k != "step_s"}), flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--one", metavar="MODEL", help=argparse.SUPPRESS)
    ap.add_argument("--dry-run", action="store_true",
                    help="CPU, batch 4, 1 warm-up + 2 steps, l_max 1 models and SchNet: proves the script end to end")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--models", nargs="*", default=MODELS)
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", HERE / "results")),
                    help="folder of device_throughput.json (default $OUT, else benchmarks/e3nn/results)")
    args = ap.parse_args(argv)
    import torch

    device = "cpu" if args.dry_run or not torch.cuda.is_available() else "cuda"
    if args.dry_run:
        args.batch, args.steps, args.warmup = 4, 2, 1
        args.models = [m for m in args.models if not m.endswith("l2")]
    precisions = ["fp32", "bf16"]
    if args.one:
        rows = run_model(args.one, device, args.batch, args.steps, args.warmup, precisions)
        print("ROWS " + json.dumps(rows))
        return
    t0 = time.time()
    rows, failed = [], {}
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / ("device_throughput_dry_run.json" if args.dry_run else "device_throughput.json")
    for name in args.models:
        cmd = [sys.executable, __file__, "--one", name, "--batch", str(args.batch), "--steps", str(args.steps),
               "--warmup", str(args.warmup)] + (["--dry-run"] if args.dry_run else [])
        proc = subprocess.run(cmd, capture_output=True, text=True)
        sys.stderr.write(proc.stderr[-3000:] if proc.returncode else "")
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("ROWS ")]
        if proc.returncode or not lines:
            failed[name] = f"exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ''}"
            print(f"{name} failed: {failed[name]}", flush=True)
        else:
            rows += json.loads(lines[-1][5:])
            print(f"{name}: done ({time.time() - t0:.0f} s)", flush=True)
        info = {"command": "bash benchmarks/e3nn/device_throughput.sh" if device == "cuda"
                else "python benchmarks/e3nn/device_throughput.py --dry-run",
                "machine": machine(), "device": device, "dry_run": args.dry_run,
                "gpu": torch.cuda.get_device_name(0) if device == "cuda" else None, "torch": torch.__version__,
                "packages": versions(), "batch": args.batch, "steps": args.steps, "warmup": args.warmup,
                "wall_s": time.time() - t0, "failed_models": failed, "rows": rows,
                "models_done": args.models[:args.models.index(name) + 1]}
        path.write_text(json.dumps(info, indent=1) + "\n")  # after every model: a timeout keeps what ran
    print(f"wrote {path} ({len(rows)} rows, {len(failed)} failed models, {time.time() - t0:.0f} s)")


def versions() -> dict:
    from importlib import metadata

    out = {}
    for dist in ("torch", "e3nn", "torch-geometric", "cuequivariance-torch", "cuequivariance-ops-torch-cu13",
                 "cuequivariance-ops-torch-cu12"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


if __name__ == "__main__":
    main()
