"""``task: generate``: decode molecules from a language model, score them with a guide, report MOSES metrics.

Writes into the run folder (per seed): ``molecules.csv`` (smiles, valid, canonical, log_likelihood, entropy,
guide_score), ``metrics.json``, ``grid.png``, ``properties.png`` and, with ``report.sweep``, ``tradeoff.csv``
and ``tradeoff.png`` (sensibleness / diversity / attribution over lam x tau).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from molgdl.errors import ConfigError, RunDirError

from .gen_params import GenerateParams


def _load_lm(ref, where: str):
    from .checkpoint import load_language_model

    try:
        return load_language_model(ref.run, ref.seed)
    except RunDirError as exc:
        raise ConfigError(f"{where}: {exc.args[0]}", hint=exc.hint) from None


def _check_needs(params: GenerateParams) -> None:
    from .decoding.registry import decoder_params

    spec, _ = decoder_params(params.decoder)
    if "amateur" in spec.needs and params.amateur is None:
        raise ConfigError(f"decoder {spec.name!r} needs a second language model: amateur is missing",
                          hint="add amateur: {run: runs/<a smaller or earlier language_model run>}")
    if "guide" in spec.needs and params.guide is None:
        raise ConfigError(f"decoder {spec.name!r} needs a property guide: guide is missing",
                          hint="add guide: {run: runs/<property run>} (e.g. molgdl run configs/esol_dmpnn.yaml)")
    if params.report.sweep is not None and params.guide is None:
        raise ConfigError("report.sweep draws the lam x tau trade-off of guided decoding: guide is missing",
                          hint="add guide: {run: ...} or remove report.sweep")


def run_generate(params: GenerateParams, context) -> dict:
    """Factory of the ``generate`` task (molgdl.specs.TaskSpec)."""
    _check_needs(params)
    lm, vocab = _load_lm(params.model, "model.run")
    amateur = _load_lm(params.amateur, "amateur.run")[0] if params.amateur else None
    guide = None
    if params.guide is not None:
        from .guide import Guide

        guide = Guide(params.guide.run, params.guide.target, params.guide.direction)
    reference = _reference(params) if params.reference is not None else None
    seeds = {}
    for seed in context.seeds:
        seeds[str(seed)] = _one_seed(params, seed, context.seed_dir(seed), lm, vocab, amateur, guide, reference,
                                     context.log)
    first = seeds[str(context.seeds[0])]
    return {"test": {k: v for k, v in first.items() if isinstance(v, (int, float)) and not isinstance(v, bool)},
            "seeds": seeds}


def _reference(params: GenerateParams) -> dict:
    from .metrics import canonical, fragment_counts, scaffold_counts
    from .stream import iter_smiles

    ref = params.reference
    train = iter_smiles(ref.train, ref.column, ref.train_rows)
    train_set = {c for c in (canonical(s) for s in train) if c} if ref.canonicalize_train else set(train)
    test = [c for c in (canonical(s) for s in iter_smiles(ref.test, ref.column, ref.test_rows)) if c]
    return {"train": train_set, "test": test, "scaffolds": scaffold_counts(test), "fragments": fragment_counts(test)}


def _one_seed(params, seed, out: Path, lm, vocab, amateur, guide, reference, log) -> dict:
    from .decoding.context import DecodeContext
    from .decoding.registry import decoder_params
    from .sampling import decode, grammar_factory, seeded

    t0 = time.time()
    ctx = DecodeContext(max_len=params.max_len, grammar=grammar_factory(vocab, params.grammar),
                        backtrack=params.backtrack, generator=seeded(seed), amateur=amateur)
    value_info = {}
    if guide is not None:
        ctx.guide, ctx.score, value_info = _fit_guide(params, lm, vocab, guide, ctx, out, seed, log)
    spec, dparams = decoder_params(params.decoder)
    decoder = spec.build(dparams)
    log.info("decoding %d molecules with %s", params.n, spec.name)
    gen = decode(decoder, lm, vocab, params.n, params.batch_size, ctx)
    decode_s = time.time() - t0
    from .report import write_report

    summary = write_report(out, gen, guide, reference, params.report, log)
    summary.update(value_info)
    summary["decode_seconds"] = round(decode_s, 1)
    if params.report.sweep is not None:
        from .sweep import run_sweep

        summary["sweep"] = run_sweep(params, lm, vocab, ctx, guide, out, seed, log)
    (out / "metrics.json").write_text(json.dumps(summary, indent=1))
    return summary


def _fit_guide(params, lm, vocab, guide, ctx, out: Path, seed: int, log):
    """Sample unguided molecules, score them, standardise, fit the prefix value; returns
    (attribution, terminal score for soft Bellman, info)."""
    import numpy as np
    import torch

    from .decoding.registry import decoder_params
    from .prefix_value import PrefixValueAttribution, fit_prefix_value
    from .sampling import decode

    spec, p = decoder_params({"name": "sample", "tau": 1.0})
    sample_ctx = type(ctx)(max_len=ctx.max_len, grammar=ctx.grammar, backtrack=ctx.backtrack,
                           generator=torch.Generator().manual_seed(seed + 7919))
    gen = decode(spec.build(p), lm, vocab, params.guide.samples, params.batch_size, sample_ctx)
    scores = guide.score(gen.smiles)
    ok = np.isfinite(scores)
    if ok.sum() < 5:
        raise ConfigError(f"guide: only {int(ok.sum())} of {len(scores)} sampled molecules could be scored by "
                          f"{guide.path}", hint="check that the guide run predicts these molecules (molgdl predict)")
    mean, std = float(scores[ok].mean()), float(scores[ok].std() or 1.0)
    seqs = [t for t, k in zip(gen.tokens, ok) if k]
    z = ((scores[ok] - mean) / std).tolist()
    net, history = fit_prefix_value(seqs, z, len(vocab), epochs=params.guide.epochs, seed=seed)
    torch.save({"state": net.state_dict(), "mean": mean, "std": std}, out / "prefix_value.pt")
    log.info("prefix value: %d scored molecules, mse %.3f (z units)", len(z), history[-1])

    def terminal(token_strings):
        smiles = [vocab.decode(t) for t in token_strings]
        s = guide.score(smiles)
        return [float((v - mean) / std) if np.isfinite(v) else 0.0 for v in s]

    info = {"guide_unguided_mean": mean, "guide_unguided_std": std, "prefix_value_mse": history[-1],
            "prefix_value_samples": len(z)}
    return PrefixValueAttribution(net), terminal, info
