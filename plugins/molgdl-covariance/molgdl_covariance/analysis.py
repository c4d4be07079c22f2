"""The ``learned_vs_descriptors`` analysis: a trained run's embeddings vs a descriptor set, report in out_dir."""

from __future__ import annotations

from typing import Any

import numpy as np

from molgdl.errors import ConfigError, DataError

from .comparison import compare_feature_sets
from .params import LearnedVsDescriptorsParams
from .report import write_report


def _build_descriptor(ctx, name: str):
    registry = getattr(ctx.resolved, "registry", None)
    if registry is not None:
        spec = registry.get("descriptor", name, where="analyses: learned_vs_descriptors.descriptor")
        return spec.factory(spec.build_params())
    if name == "rdkit2d":  # no resolved config (a stub context): the RDKit plugin directly
        try:
            from molgdl_rdkit.descriptors import RDKit2DDescriptors
        except ImportError as exc:
            raise ConfigError("learned_vs_descriptors needs the rdkit2d descriptor", hint="pip install -e "
                              "plugins/molgdl-rdkit (and rdkit)") from exc
        return RDKit2DDescriptors()
    raise ConfigError(f"learned_vs_descriptors: descriptor {name!r} cannot be built without a resolved config",
                      hint="run the analysis from `molgdl run`, or use descriptor: rdkit2d")


def descriptor_matrix(ctx, name: str) -> tuple[np.ndarray, list[str], str]:
    """Descriptor values ``[M, D]`` for ``ctx.table``'s molecules, their names, and where they came from."""
    prefix = f"{name}:"
    names = list(getattr(ctx.graphs, "extra_names", []) or [])
    cols = [i for i, n in enumerate(names) if n.startswith(prefix)]
    if cols:
        return np.asarray(ctx.graphs.extra, float)[:, cols], [names[i][len(prefix):] for i in cols], "the run's featurization"
    desc = _build_descriptor(ctx, name)
    values = np.stack([np.asarray(desc.compute(r), float).ravel() for r in ctx.table.records])
    return values, list(desc.names), "computed for this analysis"


class LearnedVsDescriptors:
    """``callable(context) -> dict``: see ``docs/covariance.md``."""

    def __init__(self, params: LearnedVsDescriptorsParams) -> None:
        self.params = params

    def __call__(self, ctx) -> dict[str, Any]:
        p = self.params
        seed = ctx.seeds[0] if p.seed is None else p.seed
        if seed not in ctx.seeds:
            raise ConfigError(f"analyses: learned_vs_descriptors.seed = {seed} has no trained model",
                              hint=f"use one of the run's seeds {ctx.seeds} or null")
        learned = np.asarray(ctx.embeddings(seed), float)
        values, names, source = descriptor_matrix(ctx, p.descriptor)
        try:
            cmp = compare_feature_sets(
                learned, values, [f"h{i}" for i in range(learned.shape[1])], names, method=p.method,
                criterion=p.criterion, linkage=p.linkage, max_communities=p.max_communities, louvain_threshold=p.louvain_threshold,
                louvain_resolution=p.louvain_resolution, top_k=p.top_k, cca_components=p.cca_components,
                seed=p.random_state)
        except ValueError as exc:
            raise DataError(f"learned_vs_descriptors (run {ctx.run_dir}): {exc}",
                            hint="the run needs at least 4 molecules and non-constant features") from exc
        cmp.notes.append(f"learned features: model of seed {seed}; descriptors ({p.descriptor}): {source}")
        files = write_report(cmp, ctx.out_dir, title=f"Learned features (seed {seed}) vs {p.descriptor} descriptors")
        return {"seed": int(seed), "descriptor": p.descriptor, **cmp.summary, "files": sorted(files.values())}
