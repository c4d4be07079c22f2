"""Parameter models of the callbacks and optimizers of this plugin (pydantic only: no torch import here)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from molgdl.specs import Params, WrapperParams

ROBUST_NAMES = ("winsorized", "m3", "rm3")
Method = Literal["factored", "vmap", "loop"]


class CoherenceParams(Params):
    """The ``coherence`` callback: m-coherence over a fixed sample of training molecules."""

    m: int = Field(128, ge=2, description="Size of the fixed evaluation sample of training molecules (all of "
                   "them if the training split is smaller). m-coherence lies in [0, m]. A measurement costs "
                   "about 1.6 training steps per sample molecule.")
    every_n_epochs: int = Field(5, ge=0, description="Measure after every n-th epoch (0: only before "
                                "training).")
    at_start: bool = Field(True, description="Also measure before the first step (written as epoch 0).")
    group_depth: int = Field(1, ge=0, description="Parameter groups: the first n dotted parts of the "
                             "parameter names (1: encoder, readout, head; 0: the whole network only).")
    method: Method = Field("factored", description="Per-example gradients: factored (linear cost, exact for "
                           "nn.Linear parameters, vmap for the rest), vmap (torch.func vmap over the vjp, "
                           "quadratic in batch_size) or loop (one backward per molecule, the reference).")
    batch_size: int = Field(64, ge=1, description="Molecules per batched forward during the measurement.")
    chunk: int = Field(16, ge=1, description="Molecules per vmap call (vmap method; cotangents in its quadratic fallback).")
    seed: int = Field(0, ge=0, description="Seed of the choice of the evaluation sample.")
    train_mode: bool = Field(False, description="Measure with the model in training mode (dropout on); "
                             "default eval mode, so that repeated measurements of the same weights agree.")
    plot: bool = Field(True, description="Write coherence.png next to coherence.csv after each measurement.")


class FeederParams(Params):
    """The ``per_example_gradients`` callback (feeds the ``winsorized`` and ``m3`` optimizers)."""

    method: Method = Field("factored", description="How the per-example gradients of each training batch are "
                           "computed (see the coherence callback).")
    chunk: int = Field(16, ge=1, description="Molecules per vmap call (vmap method; cotangents in its quadratic fallback).")


class RobustParams(WrapperParams):
    """A robust aggregation wrapped around any registered optimizer."""

    refused_bases: ClassVar[tuple[str, ...]] = ROBUST_NAMES
    refused_reason: ClassVar[str] = "is already a robust aggregator; wrap a plain optimizer (adam, sgd, ...)"


class WinsorizedParams(RobustParams):
    """Winsorized gradients: each coordinate's per-example values clipped to [c-th smallest, c-th largest]."""

    c: int = Field(1, ge=0, description="Winsorization depth: the c most extreme values on each side of "
                   "every coordinate are clipped (0: the plain mean). Reduced to (B-1)//2 for small batches.")


class M3Params(RobustParams):
    """M3: coordinate-wise median of the mean gradients of three thirds of the batch."""


class RM3Params(RobustParams):
    """RM3: coordinate-wise median of the minibatch gradients of the current and the two previous steps."""
