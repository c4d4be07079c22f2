r"""NequIP interaction block: an equivariant point convolution with per-edge tensor-product weights.

.. math::
    m_i = \frac{1}{\sqrt{\bar n}} \sum_{j \in \mathcal{N}(i)}
          \big(W_1 h_j\big) \otimes_{R(r_{ij})} Y(\hat r_{ij}), \qquad
    \mathrm{out}_i = W_2\, m_i + W_{sc} h_i

with :math:`r_{ij} = \mathrm{pos}_j - \mathrm{pos}_i` (Å), :math:`Y` the spherical harmonics, the tensor
product restricted to ``uvu`` paths (each input channel keeps its own channel) and weighted per edge and
path by :math:`R`, a radial MLP (e3nn ``FullyConnectedNet``, no biases) of the enveloped Bessel basis,
:math:`W_1, W_2, W_{sc}` equivariant linear maps (``o3.Linear``), :math:`\bar n` = ``avg_num_neighbors``.
Batzner et al., Nat. Commun. 13, 2453 (2022). The gate nonlinearity and the residual live in
:mod:`molgdl_e3nn.layer`.
"""

from __future__ import annotations

import math

import torch
from e3nn import o3
from e3nn.nn import FullyConnectedNet
from torch import Tensor, nn

from . import kernels as kernel_paths
from .product import ProductBasis


def uvu_tensor_product(irreps_in: o3.Irreps, irreps_edge: o3.Irreps, target: o3.Irreps) -> o3.TensorProduct:
    """``irreps_in x irreps_edge`` with one ``uvu`` path per pair of irreps whose product holds an irrep of
    ``target``; weights are given per edge (``shared_weights=False``). Output irreps sorted by ``(l, p)``."""
    mid, instructions = [], []
    for i, (mul, ir_in) in enumerate(irreps_in):
        for j, (_, ir_edge) in enumerate(irreps_edge):
            for ir_out in ir_in * ir_edge:
                if ir_out in target:
                    instructions.append((i, j, len(mid), "uvu", True))
                    mid.append((mul, ir_out))
    mid = o3.Irreps(mid)
    mid_sorted, perm, _ = mid.sort()
    instructions = [(i, j, perm[k], mode, train) for i, j, k, mode, train in instructions]
    return o3.TensorProduct(irreps_in, irreps_edge, mid_sorted, instructions,
                            shared_weights=False, internal_weights=False)


class SpeciesLinear(nn.Module):
    r"""Equivariant linear map whose weights depend on the atom's element: :math:`W_{z_i} h_i`, NequIP's
    self-connection (a tensor product of :math:`h_i` with the one-hot species).

    With ``rank=None`` every element has its own weights (a ``[num_types, weight_numel]`` table). With an
    integer ``rank`` the table is factorised as :math:`W_z = e_z B` (learned element embedding
    :math:`e_z \in \mathbb{R}^{\text{rank}}`, shared basis :math:`B`): the same maps for up to ``rank``
    distinct elements in the data, but ``rank / num_types`` of the parameters and optimizer work
    (ethanol, batch 5, 3 layers: the full table cost 20% of the training step, mostly Adam on rows of
    elements that never occur).

    Shapes:
        - **input:** h :math:`(N, \dim \text{irreps\_in})`, z :math:`(N)` int64 ``< num_types``
        - **output:** :math:`(N, \dim \text{irreps\_out})`
    """

    def __init__(self, irreps_in, irreps_out, num_types: int, rank: int | None = None) -> None:
        super().__init__()
        self.linear = o3.Linear(irreps_in, irreps_out, shared_weights=False, internal_weights=False)
        self.rank = rank
        if rank is None:
            self.weight = nn.Parameter(torch.randn(num_types, self.linear.weight_numel))
        else:  # e_z B has unit-variance entries at initialisation, like the full table
            self.embedding = nn.Parameter(torch.randn(num_types, rank) / math.sqrt(rank))
            self.basis = nn.Parameter(torch.randn(rank, self.linear.weight_numel))

    def forward(self, h: Tensor, z: Tensor) -> Tensor:
        if self.rank is None:
            return self.linear(h, self.weight.index_select(0, z))
        return self.linear(h, self.embedding.index_select(0, z) @ self.basis)


class InteractionBlock(nn.Module):
    r"""Equivariant convolution over the radius graph (before the gate).

    Args:
        irreps_in: node feature irreps.
        irreps_edge: spherical-harmonic irreps of the edge directions.
        irreps_out: output irreps (the gate's input irreps).
        num_radial: width of the radial features.
        radial_width, radial_depth: hidden width and number of hidden layers of the radial MLP.
        avg_num_neighbors: the sum over neighbours is divided by its square root.
        species_types: > 0: the self-connection :math:`W_{sc}` depends on the element
            (:class:`SpeciesLinear` over ``species_types`` atomic numbers); 0: one shared ``o3.Linear``.
        species_rank: rank of the factorised per-element weights (``None``: a full table).
        correlation: > 1: the aggregated messages pass through MACE's product basis
            (:class:`~molgdl_e3nn.product.ProductBasis`) up to this power before the output map; 1: NequIP's
            linear map.
        product_channels: channels of the product basis (``None``: the smallest multiplicity of ``irreps_out``,
            i.e. the number of tensor features).
        product_types: > 0: the product basis scales its blocks by element-dependent weights over this many
            atomic numbers (element embedding of size ``species_rank``, or 8); 0: shared weights.

    Shapes:
        - **input:** h :math:`(N, \dim \text{irreps\_in})`, edge_src / edge_dst :math:`(E)` int64 (neighbour
          ``j`` / centre ``i``), edge_sh :math:`(E, \dim \text{irreps\_edge})`, edge_radial
          :math:`(E, \text{num\_radial})`
        - **output:** :math:`(N, \dim \text{irreps\_out})`
    """

    def __init__(self, irreps_in, irreps_edge, irreps_out, num_radial: int, radial_width: int = 64,
                 radial_depth: int = 2, avg_num_neighbors: float = 10.0, species_types: int = 0,
                 species_rank: int | None = None, correlation: int = 1, product_channels: int | None = None,
                 product_types: int = 0) -> None:
        super().__init__()
        self.irreps_in = o3.Irreps(irreps_in)
        self.irreps_edge = o3.Irreps(irreps_edge)
        self.irreps_out = o3.Irreps(irreps_out)
        self.norm = 1.0 / math.sqrt(avg_num_neighbors)
        self.linear_1 = o3.Linear(self.irreps_in, self.irreps_in)
        self.tp = uvu_tensor_product(self.irreps_in, self.irreps_edge, self.irreps_out)
        self.radial = FullyConnectedNet([num_radial] + [radial_width] * radial_depth + [self.tp.weight_numel],
                                        torch.nn.functional.silu)
        if correlation > 1:
            produced = {ir for _, ir in self.tp.irreps_out}
            channel_irreps = o3.Irreps([(1, ir) for _, ir in self.irreps_out.simplify() if ir in produced])
            channels = product_channels or min(mul for mul, _ in self.irreps_out.simplify())
            self.product = ProductBasis(channels, channel_irreps, correlation, self.irreps_out,
                                        num_types=product_types, rank=species_rank or 8)
            self.linear_2 = o3.Linear(self.tp.irreps_out.simplify(), self.product.irreps_in)
        else:
            self.product = None
            self.linear_2 = o3.Linear(self.tp.irreps_out.simplify(), self.irreps_out)
        self.self_connection = (SpeciesLinear(self.irreps_in, self.irreps_out, species_types, species_rank)
                                if species_types
                                else o3.Linear(self.irreps_in, self.irreps_out))
        self.kernels = "plain"  # set by the encoder (molgdl_e3nn.kernels); "auto" is resolved per device
        self._fast: dict = {}  # (device, dtype) -> CueConvolution: constants only, rebuilt after unpickling

    def __getstate__(self):
        state = super().__getstate__()
        state["_fast"] = {}
        return state

    def convolution(self, x: Tensor, edge_src: Tensor, edge_dst: Tensor, edge_sh: Tensor, weight: Tensor) -> Tensor:
        r"""Summed messages :math:`\sum_{j} (x_j \otimes_w Y_{ij})` per centre ``i``, :math:`(N, \dim \text{mid})`,
        by the plain e3nn tensor product or by cuEquivariance (:mod:`molgdl_e3nn.kernels`)."""
        kernels = self.__dict__.get("kernels", "plain")  # blocks pickled before the param existed: plain
        path = kernel_paths.resolve(kernels, x.device.type)
        if path == "cuequivariance" and (kernels != "auto" or kernel_paths.uniform(self.tp.irreps_in1)):
            return self._cue(x, edge_sh, weight, edge_src, edge_dst)
        messages = self.tp(x.index_select(0, edge_src), edge_sh, weight)  # [E, dim mid]
        return messages.new_zeros(x.size(0), messages.size(1)).index_add(0, edge_dst, messages)

    def _cue(self, x: Tensor, edge_sh: Tensor, weight: Tensor, edge_src: Tensor, edge_dst: Tensor) -> Tensor:
        dtype = torch.promote_types(torch.promote_types(x.dtype, edge_sh.dtype), weight.dtype)  # bf16 autocast
        key, fast = (x.device, dtype), self.__dict__.setdefault("_fast", {})
        if key not in fast:
            from .cue_conv import CueConvolution

            fused = x.is_cuda and kernel_paths.installed("cuequivariance_ops_torch")
            method = "uniform_1d" if fused and kernel_paths.uniform(self.tp.irreps_in1) else "naive"
            math = torch.float64 if dtype == torch.float64 else torch.float32
            fast[key] = CueConvolution(self.tp, method, math).to(x.device)
        return fast[key](x.to(dtype), edge_sh.to(dtype), weight.to(dtype), edge_src, edge_dst)

    def forward(self, h: Tensor, edge_src: Tensor, edge_dst: Tensor, edge_sh: Tensor, edge_radial: Tensor,
                z: Tensor | None = None) -> Tensor:
        weight = self.radial(edge_radial)  # [E, weight_numel]
        x = self.linear_1(h)
        summed = self.convolution(x, edge_src, edge_dst, edge_sh, weight)
        own = self.self_connection(h, z) if isinstance(self.self_connection, SpeciesLinear) else self.self_connection(h)
        out = self.linear_2(summed * self.norm)
        return (self.product(out, z) if self.product is not None else out) + own
