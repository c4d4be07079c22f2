"""A small finished run folder and an ``AnalysisContext`` over it, for testing analyses without training.

``make_analysis_context(root)`` writes what ``molgdl run`` leaves in a run folder (``status.json``,
``summary.json``, and per seed ``split.json``, ``metrics.json``, ``predictions.csv``) for the ten
``tiny_table_3d`` molecules, featurized with ``TinyGraphFeaturizer``, and returns a context whose
``embeddings(seed)`` gives fixed per-molecule features instead of loading a trained model: mean atom
features of the molecule, a column that tracks the target, and a little seed-dependent noise.
``context.resolved`` is ``None``: an analysis that needs the resolved config is tested with a real run
(``analyses: [{name: ...}]`` in a tiny config).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from molgdl.run.analysis import AnalysisContext


@dataclass
class StubAnalysisContext(AnalysisContext):
    """An ``AnalysisContext`` whose ``embeddings`` are fixed features (no model is loaded)."""

    def embeddings(self, seed: int | None = None) -> np.ndarray:
        seed = self.seeds[0] if seed is None else seed
        if seed not in self.seeds:
            raise KeyError(f"no trained model for seed {seed}; seeds: {self.seeds}")
        from molgdl.run.evaluate import average_by_owner

        per_graph = np.stack([g.x.mean(0).numpy().astype(np.float64) for g in self.graphs.dataset])
        base = average_by_owner(per_graph, self.graphs.graph_owner, len(self.table))
        signal = np.nan_to_num(self.table.targets[:, :1], nan=0.0)
        rng = np.random.default_rng(1000 + seed)
        return np.concatenate([base, signal], axis=1) + 0.01 * rng.standard_normal((len(self.table), base.shape[1] + 1))


def make_analysis_context(root: Path, *, seeds: Sequence[int] = (0, 1), params: Any = None,
                          task: str = "regression", missing_targets: bool = False,
                          name: str = "analysis") -> StubAnalysisContext:
    """Write a finished tiny run folder under ``root`` and return the context an analysis gets.

    missing_targets: blank (NaN) the targets of two molecules, as a CSV with empty cells does.
    The analysis writes into ``root / "analyses" / name``.
    """
    from molgdl.data.featurize import featurize_table
    from molgdl.data.splits import RandomSplitter, write_split_file
    from molgdl.run.evaluate import evaluate_predictions, split_labels, write_predictions
    from molgdl.run.summary import summarize
    from molgdl.testing.molecules import TinyGraphFeaturizer, tiny_table_3d

    root = Path(root)
    table = tiny_table_3d(task)
    if missing_targets:
        table.targets[[1, 4]] = np.nan
    graphs = featurize_table(table, TinyGraphFeaturizer(), ("tiny", {}, "molgdl.testing"), [], None,
                             num_workers=1, progress=False)
    replicates: dict[int, dict[str, Any]] = {}
    for seed in seeds:
        seed_dir = root / f"seed_{seed}"
        seed_dir.mkdir(parents=True, exist_ok=True)
        split = {k: np.asarray(v) for k, v in RandomSplitter([0.6, 0.2, 0.2]).split(table, seed).items()}
        rng = np.random.default_rng(seed)
        pred = np.nan_to_num(table.targets, nan=0.5) + 0.1 * rng.standard_normal(table.targets.shape)
        if task == "classification":
            pred = np.clip(pred, 0.0, 1.0)
        write_split_file(seed_dir / "split.json", table, split)
        write_predictions(seed_dir / "predictions.csv", table, pred, split_labels(len(table), split))
        with warnings.catch_warnings():  # a split whose targets are all missing has no metrics
            warnings.simplefilter("ignore", RuntimeWarning)
            metrics = evaluate_predictions(table, pred, split)
        replicates[seed] = {"seed": seed, "metrics": metrics, "train_seconds": 0.0,
                            "split_sizes": {k: int(len(v)) for k, v in split.items()}}
        (seed_dir / "metrics.json").write_text(json.dumps(replicates[seed], indent=2, default=float))
    summary = summarize(replicates, table.task, table.target_names)
    (root / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
    (root / "status.json").write_text(json.dumps({"state": "completed"}))
    out_dir = root / "analyses" / name
    out_dir.mkdir(parents=True, exist_ok=True)
    return StubAnalysisContext(root, out_dir, table, graphs, list(seeds), None, params)
