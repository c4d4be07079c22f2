"""Parameter model of the e3nn encoders (pydantic only: no torch / e3nn import here)."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from molgdl.specs import Params


class E3NNParams(Params):
    """NequIP-style interaction network (Batzner et al. 2022) on a radius graph of the 3D conformer.

    Parity is not a parameter: it is chosen by the model name (``e3nn``: parity on, E(3)-invariant output;
    ``e3nn_chiral``: parity off, SE(3)-invariant output that can tell enantiomers apart), so that each
    registered name makes one honest symmetry claim.
    """

    num_layers: int = Field(3, ge=1, description="Number of interaction layers (convolution + gate + residual).")
    l_max: int = Field(1, ge=0, le=3, description="Highest rotation order l of the spherical harmonics and features (0-3).")
    num_features: int = Field(
        32, ge=1, description="Multiplicity of the invariant scalars (0e) of every layer; also out_dim."
    )
    num_tensor_features: Optional[int] = Field(
        None, ge=1,
        description="Multiplicity of every other irrep (pseudoscalars and l >= 1); null: same as num_features.",
    )
    cutoff: float = Field(5.0, gt=0.0, description="Neighbour cutoff radius r_c in Å (radius graph and envelope).")
    num_radial: int = Field(8, ge=1, description="Number of Bessel functions sin(n pi r / r_c) / r in the radial basis.")
    trainable_radial: bool = Field(True, description="Train the Bessel frequencies n pi (NequIP default) or keep them fixed.")
    cutoff_p: int = Field(6, ge=2, description="Exponent p of NequIP's polynomial cutoff envelope (smooth to 2nd order at r_c).")
    radial_width: int = Field(64, ge=1, description="Hidden width of the radial MLP that makes the per-edge tensor-product weights.")
    radial_depth: int = Field(2, ge=0, description="Number of hidden layers of the radial MLP.")
    avg_num_neighbors: float = Field(
        10.0, gt=0.0,
        description="Summed messages are divided by sqrt(avg_num_neighbors); set near the mean neighbour count.",
    )
    max_num_neighbors: Optional[int] = Field(
        None, ge=1, description="Keep at most this many nearest neighbours per atom (null, the default: all within "
        "cutoff). A cap makes the energy jump when an atom with more neighbours than the cap inside the cutoff "
        "swaps its last kept neighbour; RDKit conformers of ESOL/Lipophilicity molecules reach 60 within 5 Å."
    )
    max_z: int = Field(100, ge=2, description="Atom types are one-hot over atomic numbers 0..max_z-1 (z < max_z).")
    residual: bool = Field(
        False, description="Add each layer's input to its output (ResNet update; NequIP's resnet). Off by default: "
        "it trained slower on QM9 at 3 layers.")
    output_norm: bool = Field(
        True, description="LayerNorm over the invariant per-atom outputs before the readout (keeps the summed "
        "features of a sum readout at a scale independent of the gate's positive mean).")
    species_self_connection: bool = Field(
        True, description="Element-dependent self-connection weights (NequIP's tensor product with the one-hot "
        "species); adds max_z x (self-connection weights) parameters.")
    species_rank: Optional[int] = Field(
        8, ge=1, description="Rank of the element-dependent self-connection: weights e_z B from a learned element "
        "embedding of this size (exact for up to this many elements in the data; null: a full max_z-row table, "
        "20% slower per step on ethanol).")
    natural_parity: bool = Field(
        True, description="Hidden irreps of the spherical harmonics' parity only (0e + 1o + 2e + 3o, as MACE) "
        "instead of both parities of every l (NequIP's, false): fewer tensor-product paths, ~25% faster steps on "
        "small molecules. Only matters with parity (model e3nn).")
    correlation: int = Field(
        2, ge=1, le=3, description="Body order per layer: > 1 passes each layer's aggregated messages through "
        "MACE's product basis (channel-wise tensor powers up to this order, Batatia et al. 2022) before the gate; "
        "1: NequIP's linear map. 2 by default: at equal training time it lowered the errors on QM9 (U0_atom "
        "0.132 -> 0.120 eV, 12 min) and rMD17 ethanol (forces 54 -> 44 meV/Å, 4 min) for ~20% more time per step.")
    all_layer_outputs: bool = Field(
        False, description="The invariant output mixes the scalars of every layer's features, not only the last "
        "layer's (as MACE, whose energy sums a readout of every layer).")
    species_product: bool = Field(
        False, description="With correlation > 1: every block of the product basis is scaled per element (weights "
        "1 + e_z C from a learned element embedding of size species_rank, as MACE's element-dependent product "
        "weights).")
    kernels: Literal["auto", "plain", "cuequivariance"] = Field(
        "auto", description="Which kernels run the convolutions: auto (NVIDIA cuEquivariance's fused convolution on a "
        "CUDA device when molgdl-e3nn[cuda] and cuequivariance-ops-torch are installed, plain e3nn otherwise), plain "
        "(e3nn) or cuequivariance (on any device; pure torch without the ops wheel). Same parameters and, to float "
        "rounding, the same results on every path.")
