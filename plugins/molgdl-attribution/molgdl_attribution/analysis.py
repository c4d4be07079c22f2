"""The ``attribution`` analysis: per-atom contributions of one replicate's model on the molecules of a split.

Writes into ``analyses/attribution/``, each file named after its method (``molgdl_attribution.outputs``):
``<method>_atoms.csv``, ``<method>_molecules.csv``, ``<method>_molecules.png`` and
``<method>_molecules/*.svg``, ``<method>_substructures.csv``, ``<method>_substructures.png``,
``<method>_substructure_examples.png``; for descriptor models also ``permutation_shap_features.csv`` (the
Shapley value of every descriptor column). docs/attributions.md explains each method.
"""

from __future__ import annotations

import logging
from typing import Any

from molgdl.errors import ConfigError

from .params import AttributionParams

log = logging.getLogger("molgdl")


def build_attribution_analysis(params: AttributionParams):
    def run(ctx) -> dict[str, Any]:
        return run_attribution(ctx, params)

    return run


def run_attribution(ctx, params: AttributionParams) -> dict[str, Any]:
    from molgdl.predict import is_classical, load_classical_replicate

    from .explainers import explain_classical, explain_graph
    from .outputs import write_method_outputs
    from .selection import (background_positions, descriptor_blocks, feature_frame, resolve_methods,
                            split_positions, target_index, with_graphs)
    from .spread import unmapped_message

    if getattr(ctx, "resolved", None) is None:  # molgdl.testing's stub context: no trained model to load
        return {"skipped": "no trained model in this context (the run's resolved config is missing)"}
    res, table = ctx.resolved, ctx.table
    seed = ctx.seeds[0] if params.seed is None else params.seed
    if seed not in ctx.seeds:
        raise ConfigError(f"attribution: seed {seed} has no trained model; seeds of this run: {ctx.seeds}",
                          hint="set analyses[].seed to one of run.seeds, or null")
    classical = is_classical(res)
    methods = resolve_methods(params.methods, classical, res.config.model.name)
    t = target_index(params.target, table.target_names)
    positions = with_graphs(split_positions(ctx.run_dir, seed, table, params.split), ctx.graphs.graph_owner)
    positions = positions[: params.max_molecules]
    summary: dict[str, Any] = {"seed": seed, "split": params.split, "target": table.target_names[t],
                               "n_molecules": len(positions), "methods": {}}
    if not positions:
        summary["note"] = f"no featurized molecule in split {params.split!r}"
        return summary
    for method in methods:
        out_dir = ctx.out_dir
        log.info("attribution: %s on %d molecules (seed %d, target %s)", method, len(positions), seed,
                 table.target_names[t])
        extra: dict[str, Any] = {}
        if classical:
            model = load_classical_replicate(res, ctx.run_dir / f"seed_{seed}")
            blocks = descriptor_blocks(res)
            train = with_graphs(split_positions(ctx.run_dir, seed, table, "train"), ctx.graphs.graph_owner)
            bg = background_positions(train, params.background, params.random_state)
            results, phis = explain_classical(model, t, blocks, ctx.graphs.extra, table.records, positions,
                                              ctx.graphs.extra[bg], params, require_atoms=False)
            features = f"{method}_features.csv"
            feature_frame(phis, ctx.graphs.extra_names, blocks).to_csv(out_dir / features, index=False)
            extra["files"] = [features]
            extra["background_molecules"] = len(bg)
            if not any(b.mapped for b in blocks):
                note = (unmapped_message(blocks) + f"; only {features} (the Shapley value of each descriptor "
                        "column) is written")
                log.warning("attribution: %s", note)
                summary["methods"][method] = {"n_molecules": len(results), "note": note, **extra}
                continue
            if any(not b.mapped for b in blocks):
                extra["note"] = (unmapped_message(blocks) + f"; their share is in {method}_molecules.csv, "
                                 "column unmapped")
                log.warning("attribution: %s", extra["note"])
        else:
            results = explain_graph(ctx.model(seed), table.task, t, ctx.graphs, positions, method, params)
        out = write_method_outputs(out_dir, method, results, table, params, table.target_names[t])
        out["files"] = extra.pop("files", []) + out["files"]
        summary["methods"][method] = {**out, **extra}
    return summary
