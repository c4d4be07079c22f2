"""How the fine-tuning recipe is chosen (issue 25): fine-tuning variants of one pretrained encoder against the
same architecture from scratch, scored on the *train* split of each MoleculeACE set only.

Each set's train split is cut once (``--seed``) into a pool (75 %) and a held-out part (25 %) that plays the query;
supports of ``--sizes`` molecules are drawn from the pool (``--draws`` nested draws per size). The sets' test
splits are never read, so a recipe picked here has not seen the benchmark's queries (``run.py``).

Variants (``--variants``, any of VARIANTS): ``scratch`` (random weights, every weight at the head's learning rate),
``ft<m>`` (the pretrained encoder + a new two-layer head, pretrained weights at m x the head's learning rate: ft0.1,
ft1), ``frozen`` (encoder and readout frozen: the head trained on the fixed embedding), ``lp`` (a linear probe: ridge
regression on the fixed embedding, penalty by leave-one-out), ``lpft`` (that probe as the start of a linear head,
then every weight fine-tuned at a tenth of the head's usual learning rate), and ``mean`` (no model: the support's
mean label, the reference any of them must beat). One JSON per run in
``results/recipe/<label>.json`` (every episode's held-out RMSE per variant).

    OMP_NUM_THREADS=1 python benchmarks/fewshot/recipe.py --pretrained RUN --label moses_1m
    python benchmarks/fewshot/recipe.py --pretrained RUN --quick     # 2 sets, size 16, 1 draw, 3 epochs
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "benchmarks" / "assay"))
import data  # noqa: E402  (the ten bundled MoleculeACE sets, read-only)

# name -> (pretrained weights?, settings that differ from task fewshot's `finetune:` / `scratch:` defaults)
VARIANTS = {
    "scratch": (False, {}),
    "ft0.1": (True, {}),
    "ft1": (True, {"lr_multiplier": 1.0}),
    "frozen": (True, {"freeze": "all"}),
    "lp": (True, {"freeze": "all", "head_layers": 1, "head_init": "ridge", "epochs": 0}),
    "lpft": (True, {"lr_multiplier": 1.0, "head_layers": 1, "head_init": "ridge", "lr": 1e-4}),
}
MEAN = "mean"  # the reference every model must beat: the support's mean label for every held-out molecule


def arm(variant: str, epochs: int):
    """The FineTuneArm (pretrained variants) or TrainArm (scratch) of ``variant``, ``epochs`` unless it sets them."""
    from molgdl_fewshot.params import FineTuneArm, TrainArm

    pretrained, changes = VARIANTS[variant]
    return (FineTuneArm if pretrained else TrainArm)(**{"epochs": epochs, **changes})


SMALL = (16, 32, 64)  # the "support sizes 16-64"


def scored(record: dict, whole: bool) -> list[dict]:
    """The record's episodes at support sizes 16-64, or (``whole``) those on the whole pool."""
    return [e for e in record["episodes"]
            if (e.get("whole_pool", False) if whole else e["size"] in SMALL and not e.get("whole_pool"))]


def held_out_rmse(record: dict, variant: str, whole: bool = False) -> float:
    """Mean held-out RMSE of ``variant`` over the record's scored episodes (sizes 16-64, or the whole pool)."""
    episodes = scored(record, whole)
    return float(np.mean([e["rmse"][variant] for e in episodes])) if episodes else float("inf")


def supports_key(record: dict) -> tuple:
    """What fixes a record's supports and held-out molecules: records with equal keys are scored on the same ones."""
    return tuple(record["sizes"]), record["draws"], record["whole_pool_draws"], record["seed"]


def arm_choices(records: list[dict], whole: bool = False) -> dict[str, tuple[dict, str]]:
    """Across recipe records scored on the same supports (e.g. the same variants at several epoch counts):
    for each arm, ``finetune`` (any pretrained variant) and ``scratch``, the (record, variant) with the lowest
    mean held-out RMSE; each arm is chosen by the same rule, on train molecules only."""
    supports = {supports_key(r) for r in records}
    if len(supports) > 1:
        raise SystemExit(f"recipe records scored on different supports {sorted(supports)}: choose among records of "
                         "one --sizes/--draws/--whole-pool-draws/--seed only")
    out = {}
    for arm_name, pick in (("finetune", lambda v: VARIANTS.get(v, (False,))[0]), ("scratch", lambda v: v == "scratch")):
        candidates = [(r, v) for r in records for v in r["variants"] if v in VARIANTS and pick(v)
                      and scored(r, whole)]
        if candidates:
            out[arm_name] = min(candidates, key=lambda rv: held_out_rmse(rv[0], rv[1], whole))
    if "finetune" not in out:
        raise SystemExit("the recipe records have no pretrained variant scored "
                         + ("on the whole pool" if whole else "at support sizes 16-64"))
    return out


def chosen(record: dict, whole: bool = False) -> str:
    """The pretrained variant with the lowest mean held-out RMSE in one record (``arm_choices`` on it alone)."""
    return arm_choices([record], whole)["finetune"][1]


def arm_settings_of(records: list[dict], whole: bool = False) -> dict[str, dict]:
    """task fewshot's ``finetune:`` and (where a record scored scratch) ``scratch:`` sections of
    ``arm_choices``."""
    from molgdl_fewshot.params import TrainArm

    sections = {}
    for arm_name, (record, variant) in arm_choices(records, whole).items():
        settings = {k: v for k, v in record["variant_settings"][variant].items() if k != "pretrained"}
        if arm_name == "scratch":
            settings = {k: v for k, v in settings.items() if k in TrainArm.model_fields}
        sections[arm_name] = settings
    return sections


def held_out_split(n_train: int, seed: int, fraction: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``[0, n_train)`` cut into (pool, held-out) at random; the held-out part is ``fraction`` of them."""
    order = np.random.default_rng(seed).permutation(n_train)
    n_out = int(round(fraction * n_train))
    return np.sort(order[n_out:]), np.sort(order[:n_out])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pretrained", type=Path, required=True, help="run folder of `molgdl pretrain`")
    ap.add_argument("--label", default="recipe", help="name of the results file")
    ap.add_argument("--sets", nargs="+", default=data.SETS)
    ap.add_argument("--sizes", type=int, nargs="*", default=[16, 64], help="support sizes (none: only the "
                    "whole pool, with --whole-pool-draws)")
    ap.add_argument("--draws", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--whole-pool-draws", type=int, default=0, help="also train on the whole pool (75 %% of the "
                    "train split) this many times (seeds)")
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=[*VARIANTS, MEAN])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1, help="sets scored at a time (processes)")
    ap.add_argument("--results", type=Path, default=HERE / "results" / "recipe")
    ap.add_argument("--quick", action="store_true", help="2 sets, size 16, 1 draw, 3 epochs, temporary folder")
    args = ap.parse_args(argv)
    if args.quick:
        args.sets, args.sizes, args.draws, args.epochs = data.SETS[:2], [16], 1, 3
        args.results = Path(tempfile.mkdtemp())
    from molgdl_fewshot.encoder import load_embedder
    from molgdl_fewshot.protocol import arm_settings

    emb = load_embedder(args.pretrained, registry())
    out = args.results / f"{args.label}.json"
    args.results.mkdir(parents=True, exist_ok=True)
    record = json.loads(out.read_text()) if out.exists() else {"episodes": []}
    done = {(e["set"], e["size"], e["draw"]) for e in record["episodes"]}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT).stdout.strip()
    record.update(label=args.label, pretrained=str(args.pretrained),
                  variant_settings={v: {"pretrained": VARIANTS[v][0], **arm_settings(arm(v, args.epochs))}
                                    for v in args.variants if v != MEAN},
                  pretrained_meta={k: emb.artifact.meta[k] for k in
                                   ("model", "readout", "data", "steps", "val_rmse_standardised")},
                  sizes=args.sizes, draws=args.draws, whole_pool_draws=args.whole_pool_draws, epochs=args.epochs,
                  variants=args.variants, seed=args.seed,
                  command="python benchmarks/fewshot/recipe.py " + " ".join(sys.argv[1:] if argv is None else argv),
                  commit=commit, machine=f"{platform.machine()}, 2 shared CPU cores, OMP_NUM_THREADS=1")
    jobs = [(name, args, {(k, d) for s, k, d in done if s == name}) for name in data.by_size(args.sets)]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for episodes in pool.map(score_set, *zip(*jobs)):
            record["episodes"] += episodes
            out.write_text(json.dumps(record, indent=1) + "\n")
    summarise(record)


def registry():
    from molgdl.plugins import create_plugin_manager
    from molgdl.registry import Registry

    return Registry(create_plugin_manager())


def score_set(name: str, args: argparse.Namespace, done: set[tuple[int, int]]) -> list[dict]:
    """Every variant on every episode of one set not in ``done`` ((size, draw) pairs); one dict per episode."""
    from molgdl_fewshot.encoder import featurize, load_embedder
    from molgdl_fewshot.episodes import draw_episodes
    from molgdl_fewshot.finetune import fit_predict
    from molgdl_fewshot.protocol import arm_settings, canonical

    emb = load_embedder(args.pretrained, registry())
    s = data.load(name)
    train = s.train  # the test split is never read below
    smiles = [s.smiles[i] for i in train]
    y = s.y[train]
    graphs, ok = featurize(emb.featurizer, smiles)
    graph_of = {int(i): g for i, g in zip(ok, graphs)}
    pool, held = held_out_split(len(train), args.seed)
    pool = np.array([i for i in pool if i in graph_of])
    held = np.array([i for i in held if i in graph_of])
    out = []
    for ep in draw_episodes(canonical(smiles), pool, held, args.sizes, args.draws, args.seed,
                            args.whole_pool_draws):
        if (ep.size, ep.draw) in done:
            continue
        rmse, seconds = {}, {}
        for variant in args.variants:
            t0 = time.perf_counter()
            if variant == MEAN:
                pred = np.full(len(ep.query), y[ep.support].mean())
            else:
                encoder, readout = emb.build(VARIANTS[variant][0], seed=args.seed + ep.draw)
                pred = fit_predict(encoder, readout, [graph_of[int(i)] for i in ep.support], y[ep.support],
                                   [graph_of[int(i)] for i in ep.query], seed=args.seed + ep.draw,
                                   **arm_settings(arm(variant, args.epochs)))
            rmse[variant] = data.rmse(y[ep.query], pred)
            seconds[variant] = time.perf_counter() - t0
        out.append({"set": name, "size": ep.size, "draw": ep.draw, "whole_pool": ep.size not in args.sizes,
                    "rmse": rmse, "seconds": seconds, "n_held_out": int(len(ep.query))})
        print(f"{name} k={ep.size} draw {ep.draw}: " + ", ".join(f"{v} {r:.3f}" for v, r in rmse.items()),
              flush=True)
    return out


def summarise(record: dict) -> None:
    """Mean held-out RMSE per variant and size, and each variant against scratch (paired over episodes)."""
    sys.path.insert(0, str(HERE.parent))
    from stats import paired

    eps = record["episodes"]
    groups = {f"k={k}": [e for e in eps if e["size"] == k and not e.get("whole_pool")]
              for k in sorted({e["size"] for e in eps if not e.get("whole_pool")})}
    groups["whole pool"] = [e for e in eps if e.get("whole_pool")]
    for label, sub in groups.items():
        if not sub:
            continue
        print(f"{label}: " + ", ".join(f"{v} {np.mean([e['rmse'][v] for e in sub]):.3f}" for v in record["variants"]))
        if "scratch" in record["variants"]:
            for v in record["variants"]:
                if v != "scratch":
                    print(f"  {v} - scratch: " + paired([e["rmse"][v] for e in sub],
                                                        [e["rmse"]["scratch"] for e in sub], v, "scratch"))


if __name__ == "__main__":
    main()
