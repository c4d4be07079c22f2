r"""MACE's product basis (Batatia et al., NeurIPS 2022), channel-wise: tensor powers of each channel's
aggregated messages up to a correlation order :math:`\nu`, mixed by an equivariant linear map.

.. math::
    B^{(1)}_{ik} = A_{ik}, \qquad
    B^{(n)}_{ik} = \big(B^{(n-1)}_{ik} \otimes A_{ik}\big)\big|_{\text{channel irreps}}, \qquad
    \mathrm{out}_i = W\,\big[B^{(1)}_i, \dots, B^{(\nu)}_i\big]

:math:`A_{ik}` is channel ``k`` of atom ``i``'s aggregated message, one copy of every irrep of
``channel_irreps`` (e.g. ``0e + 1o``: a scalar :math:`s` and a vector :math:`\vec v`). The products are
Clebsch-Gordan couplings within one channel (e3nn's ``uuu`` tensor-product paths without weights, component
normalisation), kept where they land in ``channel_irreps``: for ``0e + 1o`` and :math:`\nu = 3` the scalars are
:math:`s, s^2, \vec v\cdot\vec v/\sqrt3, s^3, s\,\vec v\cdot\vec v/\sqrt3` and the vectors :math:`\vec v,
s\vec v, s^2\vec v, (\vec v\cdot\vec v/\sqrt3)\,\vec v`. A message is a 2-body function of the neighbourhood,
so :math:`B^{(\nu)}` is a :math:`(\nu+1)`-body one (MACE's higher body order per layer). MACE symmetrises the
powers with generalised Clebsch-Gordan matrices and element-dependent weights; here the second power drops
the couplings that vanish by symmetry (:math:`\vec v \times \vec v`) and the linear map :math:`W` (shared by
all elements, mixing channels) absorbs the remaining redundancy. With ``num_types`` set, every block of every
channel is first scaled by an element-dependent weight :math:`1 + (e_{z_i} C)_{bk}` (a low-rank stand-in for
MACE's per-element weights; :math:`C` starts at zero, so training starts from the shared map).

Couplings with a scalar factor or to a scalar are plain products and dot products (most paths at
``l_max`` 1; each e3nn tensor-product path costs a few more kernels, and the force loss differentiates them
twice); the others contract with the float64-exact Wigner 3j symbols.

Shapes:
    - **input:** :math:`(N, \dim \text{irreps\_in})`, irreps ``irreps_in`` = ``channels x ir`` for every
      ``ir`` of ``channel_irreps``, in that order (e3nn layout)
    - **output:** :math:`(N, \dim \text{irreps\_out})`
"""

from __future__ import annotations

import math

import torch
from e3nn import o3
from torch import Tensor, nn


def power_paths(irreps_1: list[o3.Irrep], irreps_2: list[o3.Irrep], keep: set[o3.Irrep],
                symmetric: bool) -> list[tuple[int, int, o3.Irrep]]:
    """Couplings ``(i, j, ir)`` of block ``i`` of the first list with block ``j`` of the second whose irrep
    ``ir`` is in ``keep``. ``symmetric`` (the square of one list): each unordered pair once, and the
    antisymmetric couplings of an irrep with itself (odd ``L`` from ``l x l``, identically zero) left out."""
    paths = []
    for i, ir_1 in enumerate(irreps_1):
        for j, ir_2 in enumerate(irreps_2):
            if symmetric and j < i:
                continue
            paths += [(i, j, ir) for ir in ir_1 * ir_2
                      if ir in keep and not (symmetric and i == j and ir.l % 2 == 1)]
    return paths


def couple(x: Tensor, y: Tensor, l_1: int, l_2: int, l_out: int, w3j: Tensor | None) -> Tensor:
    r"""One coupling of two blocks ``[..., 2 l_1 + 1]`` and ``[..., 2 l_2 + 1]`` to ``[..., 2 l_out + 1]``:
    :math:`\sqrt{2L+1}\sum_{ij} C_{ijk} x_i y_j` (e3nn's ``uuu`` path, component normalisation). Scalar
    factors and scalar outputs take the closed forms :math:`x y` and :math:`x\cdot y/\sqrt{2l+1}`."""
    if l_1 == 0 or l_2 == 0:
        return x * y
    if l_out == 0:
        return (x * y).sum(-1, keepdim=True) / math.sqrt(2 * l_1 + 1)
    return math.sqrt(2 * l_out + 1) * torch.einsum("ijk,...i,...j->...k", w3j, x, y)


class ProductBasis(nn.Module):
    r"""Channel-wise tensor powers of the aggregated messages up to ``correlation``, then an ``o3.Linear``.

    Args:
        channels: number of channels ``K`` (multiplicity of every irrep of the input).
        channel_irreps: the irreps of one channel (each once), e.g. ``0e + 1o``.
        correlation: highest power :math:`\nu` (1: the linear map alone).
        irreps_out: output irreps.
        num_types: > 0: element-dependent block weights over atomic numbers ``< num_types``; 0: none.
        rank: size of the learned element embedding behind those weights.

    Attributes:
        paths: for every power :math:`n = 2..\nu`, its couplings ``(i, j, ir)``: block ``i`` of power
            :math:`n-1` with block ``j`` of the input.
    """

    def __init__(self, channels: int, channel_irreps, correlation: int, irreps_out, num_types: int = 0,
                 rank: int = 8) -> None:
        super().__init__()
        self.channels = channels
        single = [ir for _, ir in o3.Irreps(channel_irreps)]
        self.channel_irreps = single
        self.irreps_in = o3.Irreps([(channels, ir) for ir in single])
        self.irreps_out = o3.Irreps(irreps_out)
        self.paths, irreps, blocks = [], single, list(single)
        self._couplings = []  # per power: (i, j, l_1, l_2, L, name of the 3j buffer or None), fixed at init
        for n in range(2, correlation + 1):
            paths = power_paths(irreps, single, set(single), symmetric=n == 2)
            couplings = []
            for i, j, ir in paths:
                l_1, l_2 = irreps[i].l, single[j].l
                name = None
                if l_1 and l_2 and ir.l:
                    name = f"_w3j_{l_1}_{l_2}_{ir.l}"  # refilled exactly by exact_wigner_3j_
                    if not hasattr(self, name):
                        self.register_buffer(name, o3.wigner_3j(l_1, l_2, ir.l), persistent=False)
                couplings.append((i, j, l_1, l_2, ir.l, name))
            self.paths.append(paths)
            self._couplings.append(couplings)
            irreps = [ir for _, _, ir in paths]
            blocks += irreps
        self.irreps_basis = o3.Irreps([(channels, ir) for ir in blocks])
        self.linear = o3.Linear(self.irreps_basis, self.irreps_out)
        self.species = num_types > 0
        if self.species:  # weights 1 + e_z C per (block, channel); C = 0 at initialisation
            self.species_embedding = nn.Parameter(torch.randn(num_types, rank) / math.sqrt(rank))
            self.species_basis = nn.Parameter(torch.zeros(rank, len(blocks) * channels))

    def powers(self, a: Tensor) -> list[list[Tensor]]:
        """The blocks ``[N, K, 2l + 1]`` of every power :math:`B^{(1)}, \\dots, B^{(\\nu)}` of ``a``."""
        n, k = a.shape[0], self.channels
        single = [b.reshape(n, k, ir.dim)
                  for b, ir in zip(a.split([k * ir.dim for ir in self.channel_irreps], dim=-1), self.channel_irreps)]
        out, previous = [single], single
        for couplings in self._couplings:
            previous = [couple(previous[i], single[j], l_1, l_2, l_out, getattr(self, name) if name else None)
                        for i, j, l_1, l_2, l_out, name in couplings]
            out.append(previous)
        return out

    def forward(self, a: Tensor, z: Tensor | None = None) -> Tensor:
        """``a``: ``[N, dim irreps_in]``; ``z``: ``[N]`` atomic numbers (needed with ``num_types``)."""
        n = a.shape[0]
        blocks = [b for power in self.powers(a) for b in power]  # each [N, K, 2l + 1]
        if self.species:
            if z is None:
                raise ValueError("ProductBasis with num_types > 0 needs the atomic numbers z")
            weight = 1.0 + (self.species_embedding.index_select(0, z) @ self.species_basis).view(n, len(blocks), -1)
            blocks = [b * weight[:, i, :, None].to(b.dtype) for i, b in enumerate(blocks)]
        return self.linear(torch.cat([b.reshape(n, -1) for b in blocks], dim=-1))
