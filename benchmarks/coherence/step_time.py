"""Cost of one training step with the robust aggregators, relative to the plain base optimizer (Adam), in one
process with interleaved repeats: ESOL batches of 50, the model of noisy_labels.py (D-MPNN 64x3, no
descriptors) and the ESOL D-MPNN of configs/esol_dmpnn.yaml (D-MPNN 300x3 + rdkit2d). A step = (the
per_example_gradients callback for winsorized/m3) + forward + backward + optimizer step. Writes
``benchmarks/coherence/results/step_time.json`` (every repeat's time per step).

    OMP_NUM_THREADS=1 nice -n 5 python benchmarks/coherence/step_time.py --steps 10
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results"
MODELS = {
    "D-MPNN 64x3, no descriptors": {"model": {"name": "dmpnn", "hidden_dim": 64, "depth": 3}, "descriptors": [],
                                    "head": {"hidden_dim": 64, "num_layers": 2}},
    "configs/esol_dmpnn.yaml (D-MPNN 300x3 + rdkit2d)": {},
}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="2 steps, 1 repeat")
    ap.add_argument("--results", type=Path, default=RESULTS, help="folder of the raw results")
    args = ap.parse_args(argv)
    if args.quick:
        args.steps, args.repeats = 2, 1

    import torch
    from torch_geometric.loader import DataLoader

    from molgdl.run.data_stage import prepare_data
    from molgdl.run.resolve import resolve_file
    from molgdl.run.train_stage import build_model, feature_dims
    from molgdl.train.module import PredictorModule, masked_loss
    from molgdl_coherence.callback import ExampleGradientFeeder
    from molgdl_coherence.optimizer import RobustOptimizer

    torch.set_num_threads(1)
    result = {}
    for label, over in MODELS.items():
        res = resolve_file(ROOT / "configs" / "esol_dmpnn.yaml", overrides={"data.progress": False, **over})
        data = prepare_data(res, None)
        torch.manual_seed(0)
        model = build_model(res, feature_dims(data), 1)
        batches = list(DataLoader(data.graphs.dataset, batch_size=50, shuffle=True))[:args.steps]
        feeder = ExampleGradientFeeder()

        def run(rule):
            module = PredictorModule(model, "regression", make_optimizer=None)
            base = torch.optim.Adam(model.parameters(), lr=1e-9)  # tiny lr: the weights barely move
            opt = RobustOptimizer(base, rule, c=2) if rule else base
            trainer = SimpleNamespace(optimizers=[opt])
            t0 = time.perf_counter()
            for b in batches:
                if rule in ("winsorized", "m3"):
                    feeder.on_train_batch_start(trainer, module, b, 0)
                opt.zero_grad()
                masked_loss(model(b), module.scaled_targets(b), "regression").backward()
                opt.step()
            return (time.perf_counter() - t0) / len(batches)

        times: dict[str, list[float]] = {}
        for _ in range(args.repeats):  # interleaved: every rule once per repeat
            for rule in (None, "winsorized", "m3", "rm3"):
                times.setdefault(rule or "adam", []).append(1e3 * run(rule))
        result[label] = {"ms_per_step": times}
        print(label, result[label], flush=True)
    args.results.mkdir(parents=True, exist_ok=True)
    argv_text = " ".join(sys.argv[1:] if argv is None else argv)
    (args.results / "step_time.json").write_text(json.dumps({
        "command": f"OMP_NUM_THREADS=1 python benchmarks/coherence/step_time.py {argv_text}".strip(),
        "steps": args.steps, "repeats": args.repeats, "models": result}, indent=1) + "\n")


if __name__ == "__main__":
    main()
