"""``task: fewshot``: every arm on every episode of one labelled set; one JSON line per episode."""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np

from molgdl.errors import DataError

from .episodes import draw_episodes
from .params import FewShotConfig, FineTuneArm, TrainArm


def read_set(cfg: FewShotConfig) -> tuple[list[str], np.ndarray, np.ndarray]:
    import pandas as pd

    d = cfg.data
    if not d.path.is_file():
        raise DataError(f"data.path {d.path} does not exist", hint="give a CSV with smiles, y and split columns")
    frame = pd.read_csv(d.path)
    missing = [c for c in (d.smiles_column, d.target_column, d.split_column) if c not in frame.columns]
    if missing:
        raise DataError(f"{d.path} has no column(s) {missing}; it has {list(frame.columns)}",
                        hint="set data.smiles_column / target_column / split_column")
    split = frame[d.split_column].astype(str).str.strip().str.lower().to_numpy()
    return frame[d.smiles_column].astype(str).tolist(), frame[d.target_column].to_numpy(float), split


def canonical(smiles: list[str]) -> list[str]:
    """Identity keys for the leak check: RDKit canonical SMILES (the input string when RDKit cannot parse it)."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    out = []
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        out.append(Chem.MolToSmiles(mol) if mol is not None else s)
    return out


def rmse(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(y) - np.asarray(pred)) ** 2)))


def fingerprints(context: Any, cfg: FewShotConfig, smiles: list[str]) -> np.ndarray:
    from molgdl.data.table import MoleculeRecord

    desc = context.build("descriptor", cfg.fingerprint, "fingerprint")
    return np.stack([np.asarray(desc.compute(MoleculeRecord(id=str(i), smiles=s, row=i + 1)), dtype=float)
                     for i, s in enumerate(smiles)])


def classical(context: Any, block: dict[str, Any], where: str, seed: int) -> Any:
    from molgdl.config.load import validate_params
    from molgdl.config.schema import ComponentRef

    ref = ComponentRef.model_validate(block)
    spec = context.registry.get("model", ref.name, where=f"{where}.name")
    est = spec.factory(validate_params(spec, ref, where), "regression")
    if "random_state" in est.get_params():
        est.set_params(random_state=seed)
    return est


def arm_settings(arm: TrainArm) -> dict[str, Any]:
    """fit_predict's training keywords for the finetune arm (FineTuneArm) or the scratch arm (TrainArm: every
    weight at ``lr``, nothing frozen, a randomly initialised head)."""
    pretrained = {"lr_multiplier": 1.0, "freeze": "none", "head_init": "random"}
    if isinstance(arm, FineTuneArm):
        pretrained = {"lr_multiplier": arm.lr_multiplier, "freeze": arm.freeze, "head_init": arm.head_init}
    return {"epochs": arm.epochs, "lr": arm.lr, "head_hidden": arm.head_hidden, "head_kind": arm.head_kind,
            "head_layers": arm.head_layers, "batch_size": arm.batch_size, **pretrained}


def fewshot_task(cfg: FewShotConfig, context: Any) -> dict[str, Any]:
    from .encoder import embed, featurize, load_embedder
    from .finetune import fit_predict
    from .heads import knn_regression, protonet_regression

    smiles, y, split = read_set(cfg)
    emb = load_embedder(cfg.pretrained, context.registry)
    graphs, ok = featurize(emb.featurizer, smiles)
    keep = np.zeros(len(smiles), dtype=bool)
    keep[ok] = True
    graph_of = {int(i): g for i, g in zip(ok, graphs)}
    train = np.flatnonzero((split == "train") & keep)
    test = np.flatnonzero((split == "test") & keep)
    episodes = draw_episodes(canonical(smiles), train, test, cfg.sizes, cfg.draws, cfg.seed,
                             cfg.full_train_draws)
    Z = np.zeros((len(smiles), 0))
    if {"protonet", "knn"} & set(cfg.arms):
        encoder, readout = emb.build(True)
        Z = np.zeros((len(smiles), readout.out_dim))
        Z[ok] = embed(encoder, readout, graphs)
    X = fingerprints(context, cfg, smiles) if {"svm", "rf"} & set(cfg.arms) else None
    out = context.run_dir / "episodes.jsonl"
    done = set()
    if context.resume and out.exists():
        done = {(r["size"], r["draw"]) for r in map(json.loads, out.read_text().splitlines())}
    ft = cfg.finetune
    with out.open("a") as fh:
        for ep in episodes:
            if (ep.size, ep.draw) in done:
                continue
            s, q = ep.support, ep.query
            result: dict[str, Any] = {}
            seconds: dict[str, float] = {}
            for arm in cfg.arms:
                t0 = time.perf_counter()
                if arm == "mean":  # no model: the support's mean label (what any model must beat)
                    pred = np.full(len(q), y[s].mean())
                elif arm == "protonet":
                    pred = protonet_regression(Z[s], y[s], Z[q], cfg.n_prototypes)
                elif arm == "knn":
                    pred = knn_regression(Z[s], y[s], Z[q], cfg.knn_k)
                elif arm in ("finetune", "scratch"):
                    encoder, readout = emb.build(arm == "finetune", seed=cfg.seed + ep.draw)
                    pred = fit_predict(encoder, readout, [graph_of[int(i)] for i in s], y[s],
                                       [graph_of[int(i)] for i in q], seed=cfg.seed + ep.draw,
                                       **arm_settings(ft if arm == "finetune" else cfg.scratch))
                else:
                    est = classical(context, cfg.svm if arm == "svm" else cfg.rf, arm, cfg.seed + ep.draw)
                    est.fit(X[s], y[s])
                    pred = est.predict(X[q])
                result[arm] = rmse(y[q], pred)
                seconds[arm] = time.perf_counter() - t0
            record = {"size": ep.size, "draw": ep.draw, "full": ep.size not in cfg.sizes, "rmse": result,
                      "seconds": seconds,
                      "support": ep.support.tolist(), "n_query": int(len(q))}
            fh.write(json.dumps(record) + "\n")
            fh.flush()
            context.log.info("k=%d draw %d: %s", ep.size, ep.draw,
                             ", ".join(f"{a} {v:.3f}" for a, v in result.items()))
    records = [json.loads(line) for line in out.read_text().splitlines()]
    sizes = sorted({r["size"] for r in records})
    test_summary = {f"{arm}_k{k}": float(np.mean([r["rmse"][arm] for r in records if r["size"] == k]))
                    for arm in cfg.arms for k in sizes}
    return {"test": {"rmse": test_summary}, "episodes": len(records), "n_train": int(len(train)),
            "n_test": int(len(test))}
