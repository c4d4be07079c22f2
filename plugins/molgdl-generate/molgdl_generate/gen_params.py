"""Params of the ``generate`` task (validated before torch or RDKit is imported)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from molgdl.specs import Params


class RunRef(Params):
    run: Path = Field(..., description="folder of a completed `task: language_model` run")
    seed: int | None = Field(None, description="which seed's model (null: the first)")


class GuideRef(Params):
    run: Path = Field(..., description="folder of a completed molgdl property run (molgdl run <property config>)")
    target: str | None = Field(None, description="predicted target to steer (null: the run's only target)")
    direction: Literal["maximize", "minimize"] = Field("maximize", description="raise or lower the property")
    samples: int = Field(2000, ge=50, description="unguided molecules sampled and scored to fit the prefix value")
    epochs: int = Field(8, ge=1, description="training epochs of the prefix value network")


class Reference(Params):
    train: Path = Field(..., description="training SMILES for novelty (CSV/CSV.gz or a bundled slice name)")
    test: Path = Field(..., description="reference SMILES for scaffold/fragment similarity and properties")
    train_rows: int | None = Field(None, ge=1, description="first rows of `train` used (null: all)")
    test_rows: int | None = Field(None, ge=1, description="first rows of `test` used (null: all)")
    canonicalize_train: bool = Field(True, description="re-canonicalise `train` with this RDKit (MOSES files are "
                                                       "already RDKit-canonical: false saves minutes on 1.6 M rows)")
    column: str = Field("SMILES", description="SMILES column of both files")


class Sweep(Params):
    lams: list[float] = Field([0.0, 1.0, 2.0], description="attribution weights of the trade-off picture")
    taus: list[float] = Field([0.7, 1.0, 1.3], description="entropy weights (temperatures) of the picture")
    n: int = Field(200, ge=10, description="molecules per (lam, tau) cell")


class ReportOptions(Params):
    unique_k: list[int] = Field([1000, 10_000], description="k of the unique@k metrics")
    grid: int = Field(24, ge=0, description="molecules drawn in grid.png (0: no grid)")
    sweep: Sweep | None = Field(None, description="the sensibleness/diversity/attribution picture over lam x tau "
                                                  "(guided decoder; needs a guide)")


class GenerateParams(Params):
    model: RunRef = Field(..., description="the language model: {run: runs/<language_model run>}")
    decoder: dict[str, Any] = Field(default_factory=lambda: {"name": "sample"},
                                    description="{name: <decoder>, <its params>} (docs/generate.md lists them)")
    n: int = Field(1000, ge=1, description="molecules to generate")
    batch_size: int = Field(500, ge=1, description="strings decoded at a time")
    max_len: int = Field(100, ge=2, description="tokens per string (a longer one is cut and counts as invalid)")
    grammar: bool = Field(True, description="SMILES grammar and RDKit valence masks (SELFIES need none)")
    backtrack: int = Field(12, ge=0, description="with grammar: retries of a string whose masks reject every "
                           "token (a dead end, e.g. an aromatic ring that does not kekulize): retry k decodes "
                           "again from 2^k tokens back (docs/generate.md); 0: a dead end ends the string, invalid")
    amateur: RunRef | None = Field(None, description="second language model for the contrastive decoder")
    guide: GuideRef | None = Field(None, description="property run used as the attribution term / reported score")
    reference: Reference | None = Field(None, description="train/test SMILES for the MOSES metrics (null: "
                                                          "validity, uniqueness, diversity only)")
    report: ReportOptions = Field(default_factory=ReportOptions, description="metrics and pictures")

    @field_validator("decoder")
    @classmethod
    def _decoder(cls, value: dict[str, Any]) -> dict[str, Any]:
        from .decoding.registry import decoder_params

        decoder_params(value, "decoder")
        return value
