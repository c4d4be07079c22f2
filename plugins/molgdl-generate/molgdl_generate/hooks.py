"""Hook implementations of molgdl-generate (no torch / rdkit import here: the factories import lazily)."""

from __future__ import annotations

from molgdl import hookimpl
from molgdl.specs import TaskSpec

from .gen_params import GenerateParams
from .lm_params import LanguageModelParams


def _language_model(params, context):
    from .lm_task import run_language_model

    return run_language_model(params, context)


def _generate(params, context):
    from .gen_task import run_generate

    return run_generate(params, context)


@hookimpl
def molgdl_tasks():
    return [
        TaskSpec(
            name="language_model",
            summary="train a SMILES or SELFIES GRU/transformer language model, streaming a CSV(.gz) from disk",
            factory=_language_model,
            params=LanguageModelParams,
            resume_may_change=("training.max_minutes", "training.max_steps", "training.epochs", "training.threads",
                               "training.checkpoint_every_s", "training.lr", "training.lr_schedule",
                               "training.lr_min", "training.shuffle", "training.shuffle_buffer"),
        ),
        TaskSpec(
            name="generate",
            summary="decode molecules from a language model (greedy, beam, top-k/p, typical, contrastive, soft "
                    "Bellman, property-guided) and report the MOSES metrics",
            factory=_generate,
            params=GenerateParams,
        ),
    ]
