"""Run the analyses named in the config after training; each writes into ``analyses/<name>/``."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from molgdl.data.table import MoleculeTable
from molgdl.run.folder import RunFolder

log = logging.getLogger("molgdl")


@dataclass
class AnalysisContext:
    """What an analysis gets: the run folder, the data, and lazy access to trained models.

    run_dir: the run folder; out_dir: where this analysis writes; table: the molecules;
    graphs: the featurized GraphSet; seeds: replicate seeds with a trained model in ``seed_<s>/model.pt``;
    params: the validated params of the analysis.
    """

    run_dir: Path
    out_dir: Path
    table: MoleculeTable
    graphs: Any
    seeds: list[int]
    resolved: Any
    params: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

    def model(self, seed: int | None = None):
        """The trained ``MolecularModel`` of ``seed`` (first seed by default), in eval mode on the CPU:
        ``model.encoder``, ``model.readout``, ``model.head``; ``model.embed(batch)`` gives ``[B, d]``."""
        from molgdl.predict import load_replicate_model

        seed = self.seeds[0] if seed is None else seed
        return load_replicate_model(self.resolved, self.run_dir / f"seed_{seed}", self.graphs, self.table).eval()

    def embeddings(self, seed: int | None = None) -> np.ndarray:
        """Per-molecule learned representation ``[M, d]`` of the model of ``seed`` (first seed by default);
        for a classical model, the imputed descriptor vector it sees (as ``molgdl embed``)."""
        from molgdl.predict import is_classical, load_classical_replicate
        from molgdl.run.evaluate import average_by_owner, embed_graphs

        if is_classical(self.resolved):
            seed = self.seeds[0] if seed is None else seed
            return load_classical_replicate(self.resolved, self.run_dir / f"seed_{seed}").features(self.graphs.extra)
        model = self.model(seed)
        per_graph = embed_graphs(model, self.graphs.dataset, 256)
        return average_by_owner(per_graph, self.graphs.graph_owner, len(self.table))


def run_analyses(res, data, folder: RunFolder) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for i, ref in enumerate(res.config.analyses):
        key = f"analyses[{i}]"
        out_dir = folder.path / "analyses" / ref.name
        out_dir.mkdir(parents=True, exist_ok=True)
        ctx = AnalysisContext(folder.path, out_dir, data.table, data.graphs, list(res.config.run.seeds), res,
                              res.params[key])
        log.info("analysis %s -> %s", ref.name, out_dir)
        results[ref.name] = res.build("analysis", key)(ctx)
    return results
