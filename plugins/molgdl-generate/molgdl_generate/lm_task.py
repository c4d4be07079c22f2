"""``task: language_model``: train a SMILES/SELFIES language model, one per seed, in the run folder."""

from __future__ import annotations


def run_language_model(params, context) -> dict:
    """Factory of the ``language_model`` task (molgdl.specs.TaskSpec)."""
    from .train import train_language_model

    seeds = {}
    for seed in context.seeds:
        seeds[str(seed)] = train_language_model(params, seed, context.seed_dir(seed), context.resume, context.log)
    first = seeds[str(context.seeds[0])]
    return {"val": {"nll_per_token": first["val_nll_per_token"]}, "seeds": seeds}
