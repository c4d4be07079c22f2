"""Parameter models of every component of this plugin (pydantic only: no torch import here)."""

from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import Field

from molgdl.specs import Params

Activation = Literal["relu", "leakyrelu", "prelu", "tanh", "elu", "selu", "gelu", "silu"]


class DMPNNParams(Params):
    """Directed bond message passing (chemprop v2 ``BondMessagePassing`` defaults)."""

    hidden_dim: int = Field(300, ge=1, description="Width of the directed-bond and atom hidden states.")
    depth: int = Field(
        3,
        ge=1,
        description="Number of bond hidden states computed, as in chemprop: h^(1) from W_i, then depth-1 "
        "message-passing updates (depth=3 -> 2 updates).",
    )
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout after every bond update and after W_o.")
    bias: bool = Field(False, description="Bias in W_i and W_h (chemprop default False; W_o always has one).")
    activation: Activation = Field("relu", description="Nonlinearity tau used everywhere.")
    undirected: bool = Field(
        False, description="Average the two directions of a bond before each message step (chemprop option)."
    )


class GINEParams(Params):
    """GINE (Hu et al. 2020): GIN convolutions with bond features added to the messages."""

    hidden_dim: int = Field(300, ge=1, description="Width of the node states.")
    num_layers: int = Field(5, ge=1, description="Number of GINEConv layers.")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="Dropout after every layer.")
    norm: Literal["batch", "layer", "none"] = Field(
        "batch", description="Normalisation inside each layer's MLP and after the layer."
    )
    train_eps: bool = Field(False, description="Learn the GIN self-weight epsilon.")
    residual: bool = Field(True, description="Add each layer's input to its output.")


class SchNetParams(Params):
    """SchNet (Schütt et al. 2017) on a radius graph of the 3D conformer."""

    hidden_channels: int = Field(128, ge=1, description="Width of the atom embeddings (= out_dim).")
    num_filters: int = Field(128, ge=1, description="Width of the continuous filters.")
    num_interactions: int = Field(3, ge=1, description="Number of interaction blocks.")
    num_gaussians: int = Field(50, ge=2, description="Number of Gaussians in the distance expansion.")
    cutoff: float = Field(5.0, gt=0.0, description="Interaction cutoff radius in Å (cosine envelope).")
    max_num_neighbors: Optional[int] = Field(
        None, ge=1, description="Keep at most this many nearest neighbours per atom (null, the default: all within "
        "cutoff). A cap makes the energy jump when an atom with more neighbours than the cap inside the cutoff "
        "swaps its last kept neighbour."
    )
    max_z: int = Field(100, ge=2, description="Size of the atomic-number embedding table (z < max_z).")


class AtomwiseReadoutParams(Params):
    """Per-atom MLP, then a sum or mean over each molecule's atoms (SchNetPack's Atomwise)."""

    hidden_dim: int = Field(64, ge=1, description="Hidden width of the per-atom MLP.")
    out_dim: Optional[int] = Field(None, ge=1, description="Output width per atom (null: same as the encoder).")
    num_layers: int = Field(2, ge=1, description="Linear layers of the per-atom MLP (SiLU between them).")
    reduce: Literal["sum", "mean"] = Field("sum", description="sum (extensive targets such as energies) or mean.")


class AttentionReadoutParams(Params):
    """Gated attention pooling: sum_i softmax_i(gate(h_i)) * f(h_i)."""

    hidden_dim: int = Field(128, ge=1, description="Hidden width of the gate MLP and the feature MLP.")
    out_dim: Optional[int] = Field(None, ge=1, description="Output width (null: same as the encoder).")


class Set2SetParams(Params):
    """Set2Set pooling (Vinyals et al. 2016); output width is 2 * in_dim."""

    processing_steps: int = Field(3, ge=1, description="Number of LSTM attention iterations.")


class RandomForestParams(Params):
    """scikit-learn random forest on molecule descriptors."""

    n_estimators: int = Field(500, ge=1, description="Number of trees.")
    max_features: Union[Literal["task_default", "sqrt", "log2"], float, int, None] = Field(
        "task_default",
        description="Features tried per split: 'task_default' = 1/3 for regression (Breiman) and 'sqrt' "
        "for classification; a float is a fraction, an int a count, null all features.",
    )
    min_samples_leaf: int = Field(1, ge=1, description="Minimum number of samples in a leaf.")
    max_depth: Optional[int] = Field(None, ge=1, description="Maximum tree depth (null: unlimited).")
    class_weight: Optional[Literal["balanced", "balanced_subsample"]] = Field(
        None, description="Class weighting (classification only)."
    )
    n_jobs: int = Field(-1, description="Parallel jobs (-1: all cores).")


# ---- classical models on fingerprints / descriptors (molgdl_models.classical)

SimilarityKernel = Literal["minmax", "tanimoto"]


class SVMParams(Params):
    """Kernel SVM (precomputed Tanimoto/MinMax Gram matrix). C=5 on the standardised target was the best of
    {1, 5, 10} for ECFP4 bits and counts on three MoleculeACE training sets (800-2,800 molecules)."""

    kernel: SimilarityKernel = Field(
        "minmax",
        description="'minmax': sum(min)/sum(max), equals Tanimoto on bits and generalises it to counts; needs "
        "non-negative descriptors (negative columns are refused, naming them). 'tanimoto': x.y/(|x|^2+|y|^2-x.y), "
        "any real descriptors.",
    )
    C: float = Field(5.0, gt=0.0, description="Inverse regularisation strength (SVR on the standardised target, SVC).")
    epsilon: float = Field(
        0.1, ge=0.0, description="Regression only: width of the SVR's insensitive tube, in standard deviations of "
        "the training target.",
    )
    class_weight: Optional[Literal["balanced"]] = Field(None, description="Class weighting (classification only).")


class KNNParams(Params):
    """k-nearest neighbours by fingerprint similarity (distance 1 - similarity). 3 similarity-weighted
    neighbours beat 5 and 10, weighted or not, on three MoleculeACE sets (ECFP4 counts; docs)."""

    n_neighbors: int = Field(3, ge=1, description="Neighbours that vote (fewer when training is smaller).")
    metric: SimilarityKernel = Field(
        "minmax", description="Similarity: 'minmax' (non-negative descriptors: bits, counts) or 'tanimoto' (any)."
    )
    weights: Literal["similarity", "uniform"] = Field(
        "similarity", description="Weight each neighbour by its similarity, or equally."
    )


class LinearParams(Params):
    """Ridge (regression) or L2 logistic regression (classification) on standardised descriptors."""

    alpha: Optional[float] = Field(
        None, gt=0.0, description="Ridge penalty; null: chosen by leave-one-out error on the training rows over "
        "13 values from 0.1 to 1e5 (bit and count fingerprints with ~1,000 molecules need 1e2-1e4).",
    )
    C: Optional[float] = Field(
        None, gt=0.0, description="Logistic inverse penalty; null: chosen by stratified 5-fold log-loss on the "
        "training rows over 13 values from 1e-4 to 100.",
    )
    class_weight: Optional[Literal["balanced"]] = Field(None, description="Class weighting (classification only).")
    max_iter: int = Field(2000, ge=10, description="Iterations of the logistic regression solver.")


class LightGBMParams(Params):
    """LightGBM gradient boosting. Defaults for small assay sets: many small steps (500 x 0.05), leaves of 5
    molecules rather than 20, and row/column subsampling, which regularise on 100-2,000 molecules; they beat
    LightGBM's own defaults on three MoleculeACE sets (ECFP4 counts; docs/fingerprint-models.md)."""

    n_estimators: int = Field(500, ge=1, description="Boosting rounds (trees).")
    learning_rate: float = Field(0.05, gt=0.0, le=1.0, description="Shrinkage of each tree.")
    num_leaves: int = Field(31, ge=2, description="Maximum leaves per tree.")
    max_depth: int = Field(-1, ge=-1, description="Maximum tree depth (-1: unlimited, num_leaves limits).")
    min_child_samples: int = Field(5, ge=1, description="Minimum molecules in a leaf.")
    subsample: float = Field(0.8, gt=0.0, le=1.0, description="Fraction of rows drawn for each tree.")
    colsample_bytree: float = Field(0.5, gt=0.0, le=1.0, description="Fraction of descriptor columns per tree.")
    reg_lambda: float = Field(1.0, ge=0.0, description="L2 penalty on leaf values.")
    class_weight: Optional[Literal["balanced"]] = Field(None, description="Class weighting (classification only).")
    n_jobs: int = Field(-1, description="Threads (-1: all cores).")


class GaussianProcessParams(Params):
    """Exact Gaussian process on standardised descriptors: RBF kernel (isotropic) with a fitted signal
    variance and, for regression, a fitted white-noise term; hyperparameters by maximum marginal likelihood
    on the training rows. Suited to physical-chemistry descriptor sets (rdkit2d) of up to a few thousand
    molecules; O(n^3) in the training molecules."""

    length_scale: float = Field(10.0, gt=0.0, description="Starting RBF length scale (standardised descriptor "
                                "units; fitted). ~sqrt(number of descriptors) suits rdkit2d's ~210.")
    noise: float = Field(0.1, gt=0.0, description="Starting white-noise variance (normalised targets; fitted; "
                         "regression only).")
    n_restarts: int = Field(0, ge=0, description="Extra optimiser restarts from random hyperparameters.")
    max_train: int = Field(10000, ge=2, description="Refuse more training molecules than this (the kernel "
                           "matrix takes 8 n^2 bytes).")
