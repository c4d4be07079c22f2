r"""NequIP-style E(3)-equivariant encoder (Batzner et al., Nat. Commun. 13, 2453, 2022) from e3nn primitives,
with MACE's product basis in every layer (Batatia et al., NeurIPS 2022; :mod:`molgdl_e3nn.product`).

.. math::
    h^{(0)}_i = \mathrm{Emb}(z_i), \qquad
    h^{(t+1)} = \mathrm{Layer}_t\big(h^{(t)}, \{(j, i, \vec r_{ij}) : |\vec r_{ij}| < r_c\}\big), \qquad
    \mathrm{out}_i = W_{\mathrm{out}}\, h^{(T)}_i\big|_{0e}

with :math:`\vec r_{ij} = \mathrm{pos}_j - \mathrm{pos}_i` (Å) for neighbour ``j`` of centre ``i``
(``molgdl.geometry.radius_graph``, per molecule), edge directions as spherical harmonics
(``normalize=True``, ``normalization='component'``) and edge lengths as an enveloped Bessel basis.
``forward`` returns invariant scalars for the platform's readouts; ``forward_features`` the full equivariant
features :math:`h^{(T)}` (irreps ``irreps_features``), e.g. for :class:`~molgdl_e3nn.heads.VectorHead`.

With ``parity=True`` every feature has a definite parity: outputs are invariant under rotations,
reflections and translations (E(3)). With ``parity=False`` (NequIP's option) edge vectors are labelled
``1e``: the network is SE(3)-equivariant only, and its scalars can tell mirror images apart.
"""

from __future__ import annotations

import torch
from e3nn import o3
from torch import Tensor, nn

from molgdl.errors import ConfigError, DataError
from molgdl.geometry import radius_graph
from molgdl.specs import FeatureDims

from . import kernels as kernel_paths
from .embedding import AtomTypeEmbedding
from .irreps import edge_irreps, exact_wigner_3j_, hidden_irreps
from .layer import GatedInteractionLayer
from .radial import RadialEmbedding


class E3NNEncoder(nn.Module):
    r"""NequIP-style interaction network: atom embeddings from atomic numbers and 3D positions.

    Args:
        num_layers: interaction layers.
        l_max: highest rotation order of edge spherical harmonics and hidden features (0-3).
        parity: E(3) (``True``) or SE(3)-only chiral model (``False``).
        num_features: multiplicity of the ``0e`` scalars (= ``out_dim``).
        num_tensor_features: multiplicity of the other irreps (``None``: ``num_features``).
        cutoff: radius of the neighbour graph and of the envelope (Å).
        num_radial: Bessel functions; trainable_radial: train their frequencies; cutoff_p: envelope exponent.
        radial_width, radial_depth: radial MLP hidden width / number of hidden layers.
        avg_num_neighbors: message sums are divided by its square root.
        max_num_neighbors: nearest neighbours kept per atom (``None``: all within ``cutoff``).
        max_z: atomic numbers must be ``< max_z``.
        residual: add each layer's input to its output (:mod:`molgdl_e3nn.layer`); off by default, as in
            NequIP (``resnet: false``): on the QM9 slice it trained slower (6 epochs, U0_atom MAE 0.37 vs 0.29 eV).
        output_norm: LayerNorm over the invariant outputs (per atom, so symmetry and batch independence are
            kept): the gated scalars have a positive mean that a sum readout multiplies by the atom count
            (mean 1.4, std 3.9 per feature at initialisation without it); 0.68 -> 0.49 eV on the same probe.
        species_self_connection: the self-connection's weights depend on the element (NequIP's tensor product
            with the one-hot species; :class:`~molgdl_e3nn.interaction.SpeciesLinear`). On by default: QM9 slice
            probe, 6 epochs, U0_atom / gap MAE 0.243 / 0.478 -> 0.196 / 0.411 eV.
        species_rank: the per-element weights are ``e_z B`` with a learned ``species_rank``-dimensional element
            embedding (exact for up to that many elements in the data); ``None``: a full ``max_z``-row table.
        natural_parity: hidden irreps ``0e + 1o + 2e + 3o`` only (MACE's choice; see
            :func:`~molgdl_e3nn.irreps.hidden_irreps`); ``False``: both parities of every ``l`` (NequIP's).
            On by default: rMD17 ethanol, batch 5, l_max 1: 44 vs 58 ms per training step, and the same
            validation force error per epoch (4-minute probes).
        correlation: > 1: MACE's product basis up to this power in every layer
            (:class:`~molgdl_e3nn.product.ProductBasis`); 1: NequIP's layer. Default 2: at equal training time
            QM9 U0_atom 0.132 -> 0.120 eV (12 min) and ethanol forces 54 -> 44 meV/Å (4 min), ~20% more per step.
        all_layer_outputs: the invariant output mixes the scalars of every layer, not only the last (MACE sums
            a readout of every layer).
        species_product: with ``correlation > 1``, element-dependent weights on the product basis's blocks
            (:class:`~molgdl_e3nn.product.ProductBasis` ``num_types``), as MACE's per-element product weights.
        kernels: which kernels run the convolutions (:mod:`molgdl_e3nn.kernels`): ``auto`` (cuEquivariance on
            CUDA when installed, else plain e3nn), ``plain`` or ``cuequivariance``. Same parameters and, up to
            float rounding, the same results on every path.

    Attributes:
        out_dim: width of ``forward``'s output; irreps_out: ``out_dim x 0e``;
        irreps_features: irreps of ``forward_features``; irreps_edge: spherical-harmonic irreps.

    Shapes:
        - **input:** batch with ``z`` :math:`(N)` int64, ``pos`` :math:`(N, 3)` Å, ``batch`` :math:`(N)`
          (optional)
        - **output:** :math:`(N, \text{out\_dim})`, in the dtype of the parameters (``pos`` is cast)
    """

    def __init__(
        self,
        num_layers: int = 3,
        l_max: int = 1,
        parity: bool = True,
        num_features: int = 32,
        num_tensor_features: int | None = None,
        cutoff: float = 5.0,
        num_radial: int = 8,
        trainable_radial: bool = True,
        cutoff_p: int = 6,
        radial_width: int = 64,
        radial_depth: int = 2,
        avg_num_neighbors: float = 10.0,
        max_num_neighbors: int | None = None,
        max_z: int = 100,
        residual: bool = False,
        output_norm: bool = True,
        species_self_connection: bool = True,
        species_rank: int | None = 8,
        natural_parity: bool = True,
        correlation: int = 2,
        all_layer_outputs: bool = False,
        species_product: bool = False,
        kernels: str = "auto",
    ) -> None:
        super().__init__()
        kernel_paths.check(kernels)
        if not 0 <= l_max <= 3:
            raise ConfigError(f"e3nn: l_max must be 0..3, got {l_max}", hint="set l_max to 0, 1, 2 or 3")
        self.cutoff = float(cutoff)
        self.max_num_neighbors = max_num_neighbors
        self.max_z = max_z
        self.parity = parity
        self.out_dim = num_features
        self.irreps_edge = edge_irreps(l_max, parity)
        self.embedding = AtomTypeEmbedding(max_z, num_features)
        self.radial = RadialEmbedding(cutoff, num_radial, trainable_radial, cutoff_p)
        self.spherical_harmonics = o3.SphericalHarmonics(self.irreps_edge, normalize=True,
                                                         normalization="component")
        target = hidden_irreps(num_features, num_tensor_features or num_features, l_max, parity, natural_parity)
        layers, irreps = [], self.embedding.irreps_out
        for _ in range(num_layers):
            layer = GatedInteractionLayer(irreps, self.irreps_edge, target, num_radial, radial_width,
                                          radial_depth, avg_num_neighbors, residual=residual,
                                          species_types=max_z if species_self_connection else 0,
                                          species_rank=species_rank, correlation=correlation,
                                          product_types=max_z if species_product and correlation > 1 else 0)
            layers.append(layer)
            irreps = layer.irreps_out
        self.layers = nn.ModuleList(layers)
        self.irreps_features = irreps
        self.irreps_out = o3.Irreps(f"{num_features}x0e")
        self.all_layer_outputs = all_layer_outputs
        read = sum((layer.irreps_out for layer in layers), o3.Irreps()) if all_layer_outputs else irreps
        self.output = o3.Linear(read, self.irreps_out)
        self.output_norm = nn.LayerNorm(num_features) if output_norm else nn.Identity()
        self.kernels = kernels

    @property
    def kernels(self) -> str:
        """Which kernels run the layers (:mod:`molgdl_e3nn.kernels`): ``auto``, ``plain`` or ``cuequivariance``;
        settable at any time (the parameters are the same on every path)."""
        return self.__dict__.get("_kernels", "plain")  # encoders pickled before the param existed ran plain

    @kernels.setter
    def kernels(self, value: str) -> None:
        kernel_paths.check(value)
        self._kernels = value
        for layer in self.layers:
            layer.interaction.kernels = value

    def _apply(self, fn, recurse=True):
        """Every dtype / device move (``.double()``, ``.to(...)``) keeps the Wigner 3j constants exact."""
        module = super()._apply(fn, recurse)
        exact_wigner_3j_(self)
        return module

    @property
    def vector_irrep(self) -> o3.Irrep:
        """How this model labels a polar vector: ``1o`` with parity, ``1e`` without."""
        return o3.Irrep("1o" if self.parity else "1e")

    def _inputs(self, batch) -> tuple[Tensor, Tensor, Tensor | None]:
        z: Tensor = batch.z
        pos: Tensor | None = getattr(batch, "pos", None)
        if pos is None:
            raise DataError("e3nn: the batch has no 3D positions (batch.pos)",
                            hint="use a 3D featurizer (one that embeds conformers) with the e3nn model")
        if z.numel() and bool(((z < 0) | (z >= self.max_z)).any()):
            raise DataError(f"e3nn: atomic numbers must lie in [0, {self.max_z}); got {int(z.min())}..{int(z.max())}",
                            hint="raise the e3nn param max_z")
        return z, pos.to(self.embedding.weight.dtype), getattr(batch, "batch", None)

    def forward_features(self, batch) -> Tensor:
        r"""Full equivariant node features :math:`h^{(T)}`, irreps ``irreps_features`` (e3nn layout).

        Shapes:
            - **output:** :math:`(N, \dim \text{irreps\_features})`
        """
        return self._layer_features(batch)[-1]

    def _layer_features(self, batch) -> list[Tensor]:
        """Node features after every layer, ``[h^(1), ..., h^(T)]``."""
        z, pos, graph_index = self._inputs(batch)
        edge_src, edge_dst = radius_graph(pos, graph_index, self.cutoff, self.max_num_neighbors)
        edge_vec = pos.index_select(0, edge_src) - pos.index_select(0, edge_dst)  # r_ij = pos_j - pos_i, Å
        edge_sh = self.spherical_harmonics(edge_vec)
        edge_radial = self.radial(edge_vec.norm(dim=-1))
        h, out = self.embedding(z), []
        for layer in self.layers:
            h = layer(h, edge_src, edge_dst, edge_sh, edge_radial, z)
            out.append(h)
        return out

    def forward(self, batch) -> Tensor:
        """Invariant atom embeddings: the ``0e`` part of :meth:`forward_features` (of every layer's features
        with ``all_layer_outputs``), linearly mixed."""
        feats = self._layer_features(batch)
        return self.output_norm(self.output(torch.cat(feats, dim=-1) if self.all_layer_outputs else feats[-1]))

    def vector_head(self, charges: bool = True):
        """A fresh :class:`~molgdl_e3nn.heads.VectorHead` reading this encoder's ``forward_features``."""
        from .heads import VectorHead

        return VectorHead(self.irreps_features, self.vector_irrep, charges=charges)


def build_e3nn(params, dims: FeatureDims, parity: bool = True) -> E3NNEncoder:
    """Factory of the ``e3nn`` (``parity=True``) and ``e3nn_chiral`` (``parity=False``) encoders; uses ``z``
    and ``pos`` only (ignores ``dims.atom_dim``)."""
    if not dims.is_3d:
        name = "e3nn" if parity else "e3nn_chiral"
        raise ConfigError(
            f"model {name} needs 3D positions, but the featurizer is 2D (FeatureDims.is_3d is False)",
            hint="choose a 3D featurizer (one that embeds conformers) or a 2D model such as dmpnn or gine",
        )
    return E3NNEncoder(
        num_layers=params.num_layers,
        l_max=params.l_max,
        parity=parity,
        num_features=params.num_features,
        num_tensor_features=params.num_tensor_features,
        cutoff=params.cutoff,
        num_radial=params.num_radial,
        trainable_radial=params.trainable_radial,
        cutoff_p=params.cutoff_p,
        radial_width=params.radial_width,
        radial_depth=params.radial_depth,
        avg_num_neighbors=params.avg_num_neighbors,
        max_num_neighbors=params.max_num_neighbors,
        max_z=params.max_z,
        residual=params.residual,
        output_norm=params.output_norm,
        species_self_connection=params.species_self_connection,
        species_rank=params.species_rank,
        natural_parity=params.natural_parity,
        correlation=params.correlation,
        all_layer_outputs=params.all_layer_outputs,
        species_product=params.species_product,
        kernels=params.kernels,
    )
